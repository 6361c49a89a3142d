"""Small files of each kind the attachment tests upload (built here, nothing shipped)."""

from __future__ import annotations

import io
import uuid
import zipfile

DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)


def unique() -> bytes:
    """Bytes no other test uploads (the store is shared by content)."""
    return uuid.uuid4().hex.encode()


def pdf(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" + (extra or unique()) + b"\n%%EOF\n"
    )


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + unique()


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + unique()


def _zip(parts: dict[str, str | bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        for name, data in parts.items():
            package.writestr(name, data)
    return out.getvalue()


def docx() -> bytes:
    return _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": "<w:document/>",
                 "docProps/core.xml": unique()})  # fmt: skip


def xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = unique().decode()
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ofd() -> bytes:
    return _zip({"OFD.xml": "<ofd:OFD/>", "Doc_0/Document.xml": unique()})


def zip_only() -> bytes:
    return _zip({"readme.txt": unique()})


def docm() -> bytes:
    return _zip({"[Content_Types].xml": DOCX_TYPES, "word/document.xml": "<w:document/>",
                 "word/vbaProject.bin": unique()})  # fmt: skip


def text() -> bytes:
    return "验收报告：设备已到货，数量相符。\n".encode() + unique()


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + unique()


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + unique()


def html() -> bytes:
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>" + unique()


def svg() -> bytes:
    return b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="x()"/>'


def mp4() -> bytes:
    """The start of an ISO base media file (ftyp box, brand isom) with an mdat box."""
    return b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00\x00\x00\x28mdat" + unique()


def webm() -> bytes:
    """An EBML header whose DocType is webm."""
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + unique()
