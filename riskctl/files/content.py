"""What a file is, judged by its content, and the name it is shown under.

Plain Python, no database, no app.  A file is accepted only when its bytes are one of the
kinds below *and* its name's extension is one of that kind's: a renamed executable, an
HTML page called ``.pdf`` or a Word file called ``.xlsx`` are refused.  ``filetype``
recognises the binary signatures (so a refusal can name what the file really is); the
zip-based kinds are told apart by their package parts, since every one of them starts
with the same zip signature.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import filetype
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any  # in the reader's words (lazy_gettext)
    content_type: str
    extensions: tuple[str, ...]


PDF = Kind("pdf", "PDF", "application/pdf", (".pdf",))
JPEG = Kind("jpeg", _l("JPEG image"), "image/jpeg", (".jpg", ".jpeg"))
PNG = Kind("png", _l("PNG image"), "image/png", (".png",))
OFD = Kind("ofd", _l("OFD fixed-layout document"), "application/ofd", (".ofd",))
DOCX = Kind(
    "docx", _l("Word document"), (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ), (".docx",),
)  # fmt: skip
XLSX = Kind(
    "xlsx", _l("Excel workbook"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",),
)  # fmt: skip
TEXT = Kind("text", _l("plain text"), "text/plain", (".txt",))  # UTF-8 or GB18030
# Video for study materials (廉政教育): the two containers every browser's player plays.
MP4 = Kind("mp4", _l("MP4 video"), "video/mp4", (".mp4", ".m4v"))
WEBM = Kind("webm", _l("WebM video"), "video/webm", (".webm",))
# Evidence on items (attachments), scans of records: documents and pictures.
KINDS = (PDF, JPEG, PNG, OFD, DOCX, XLSX, TEXT)
EXTENSIONS = {ext: kind for kind in KINDS for ext in kind.extensions}
VIDEO = (MP4, WEBM)

# What the main part of an Office Open XML package declares in [Content_Types].xml.
_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MAX_CONTENT_TYPES = 1024 * 1024  # [Content_Types].xml is a few KB; never inflate more
_HEAD = 64 * 1024
# ISO base media brands of files a browser's <video> plays (not QuickTime's "qt  ").
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1",
               b"M4V ", b"dash", b"mmp4"}  # fmt: skip
# Markup a browser would run or render if it ever ignored our headers.
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|svg|iframe|object|embed)\b",
                     re.IGNORECASE)  # fmt: skip
# Names filetype gives to programs and to what is not evidence but may carry code.
_EXECUTABLE = {"exe", "elf", "wasm", "swf", "crx", "deb", "rpm", "cab", "ar", "dex"}


class Refused(ValueError):
    """The file is not accepted; ``str()`` (or ``message_of``) says why, in the reader's
    words."""


_EXECUTABLE_REFUSED = _l("an executable program; not accepted")


def extension(name: str) -> str:
    return Path(name).suffix.lower()


def _zip_kind(file: IO[bytes]) -> Kind | None:
    try:
        with zipfile.ZipFile(file) as package:
            names = set(package.namelist())
            if "OFD.xml" in names:  # GB/T 33190: the entry file at the package root
                return OFD
            if "[Content_Types].xml" not in names:
                return None
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise Refused(_l("the file contains macros (VBA code); not accepted"))
            with package.open("[Content_Types].xml") as part:
                declared = part.read(_MAX_CONTENT_TYPES).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, ValueError) as exc:
        if isinstance(exc, Refused):
            raise
        return None
    if _DOCX_MAIN in declared and "word/document.xml" in names:
        return DOCX
    if _XLSX_MAIN in declared and "xl/workbook.xml" in names:
        return XLSX
    return None


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            # The head may cut a character in two: ignore an incomplete last one.
            text = head.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:
                text = head[: exc.start].decode(encoding, errors="strict")
                break
    if text is None:
        return False
    return not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text)


def detect(file: IO[bytes]) -> Kind:
    """The kind of the file's content (read from its start; the position is restored),
    or ``Refused`` saying what it is instead."""
    start = file.tell()
    try:
        head = file.read(_HEAD)
        if not head:
            raise Refused(_l("the file is empty (0 bytes); not accepted"))
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"\xff\xd8\xff"):
            return JPEG
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return PNG
        if head[4:8] == b"ftyp" and head[8:12] in _MP4_BRANDS:
            return MP4
        if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in head[:64]:
            return WEBM
        if head.startswith(b"PK\x03\x04"):
            file.seek(start)
            found = _zip_kind(file)
            if found is not None:
                return found
            raise Refused(_l("an archive, or an office document not recognised; not accepted"))
        guessed = filetype.guess(head)
        if guessed is not None:
            if guessed.extension in _EXECUTABLE or head.startswith((b"MZ", b"\x7fELF")):
                raise Refused(_EXECUTABLE_REFUSED)
            raise Refused(_l("files of this kind (%(mime)s) are not accepted", mime=guessed.mime))
        if head.startswith(
            (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
        ):
            raise Refused(_EXECUTABLE_REFUSED)
        if head.lstrip().startswith(b"#!"):
            raise Refused(_l("a script; not accepted"))
        # Text is judged whole (an upload is at most the attachment limit): markup or a
        # binary tail after a harmless first page is refused too.
        whole = head + file.read()
        if _MARKUP.search(whole):
            raise Refused(_l("a web page, SVG or other file with markup; not accepted"))
        if _is_text(whole):
            return TEXT
        raise Refused(_l("the content of the file is not recognised; not accepted"))
    finally:
        file.seek(start)


def check(file: IO[bytes], name: str, kinds: tuple[Kind, ...] = KINDS) -> Kind:
    """The kind of an upload named ``name``: its content must be one of ``kinds`` (the
    use's allow-list) and agree with its extension."""
    allowed = {ext: kind for kind in kinds for ext in kind.extensions}
    ext = extension(name)
    if ext not in allowed:
        raise Refused(
            _l("files named “%(ext)s” are not accepted; accepted: %(listed)s",
               ext=ext or _l("(no extension)"), listed=", ".join(sorted(allowed)))
        )  # fmt: skip
    kind = detect(file)
    if ext not in kind.extensions:
        raise Refused(
            _l("the content of the file is %(kind)s, which does not match the extension "
               "“%(ext)s”", kind=kind.label, ext=ext)
        )  # fmt: skip
    return kind


_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"/\\|?*\u2028\u2029\u202a-\u202e\u2066-\u2069]')
MAX_NAME = 200


def clean_filename(name: str) -> str:
    """The name to show and to offer on download: the last path segment only (no
    directories, whichever separator), NFC, no control or reserved characters, no
    leading dots, at most ``MAX_NAME`` characters with the extension kept."""
    base = re.split(r"[/\\]", unicodedata.normalize("NFC", name or ""))[-1]
    base = _UNSAFE.sub("_", base)
    base = re.sub(r"\s+", " ", base).strip(" .")
    stem, _dot, ext = base.rpartition(".") if "." in base else (base, "", "")
    ext = f".{ext}" if ext else ""
    if len(ext) > 16:
        stem, ext = base, ""
    stem = stem[: MAX_NAME - len(ext)].strip(" .")
    return f"{stem or '附件'}{ext}"
