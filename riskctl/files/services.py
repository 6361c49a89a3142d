"""Receiving an upload and reading a stored file back, for any domain that keeps files.

The caller owns the row that names the file (and so its audit record) and the
transaction; these functions only touch the file store.  An upload is refused before
anything is kept when it is too large (413) or not one of the use's allowed kinds, judged
by its content (422 at ``path``); a stored file that has gone is a 410 and one whose bytes
no longer have their SHA-256 a 409 — both ``keeps_writes`` errors, so that the caller's
audit record of the problem is committed although the request fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from flask_babel import lazy_gettext as _l

from riskctl.core.errors import Conflict, DomainError, ValidationFailed, message_of
from riskctl.files import content
from riskctl.files.storage import FileStore, Health, TooLarge


class FileTooLarge(DomainError):
    status = 413
    code = "file_too_large"


class FileMissing(DomainError):
    """The stored file is gone.  The caller's audit record stays although the read fails."""

    status = 410
    code = "file_missing"
    keeps_writes = True


class FileAltered(Conflict):
    """The stored file no longer has its SHA-256.  The caller's audit record stays."""

    code = "file_altered"
    keeps_writes = True


@dataclass(frozen=True)
class Upload:
    """A file received and kept: what the domain's row records."""

    filename: str  # cleaned, for display and download
    content_type: str  # from the content, never from the client
    kind: str  # content.Kind.key
    size: int
    sha256: str


def store_of(config: Mapping[str, Any]) -> FileStore:
    """The file store a Flask app's config names (``RISKCTL_UPLOAD_DIR``)."""
    return FileStore(config["RISKCTL_UPLOAD_DIR"])


def size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return str(_l("%(size)s bytes", size=size))


def receive(
    store: FileStore, stream: IO[bytes], filename: str | None, *, limit: int,
    kinds: tuple[content.Kind, ...] = content.KINDS, path: str = "file",
) -> Upload:  # fmt: skip
    """Check and keep an upload named ``filename``: at most ``limit`` bytes, one of
    ``kinds`` by its content and its extension.  Problems are raised against ``path``."""
    if not filename or not filename.strip():
        raise ValidationFailed.at(path, _l("choose a file to upload"))
    name = content.clean_filename(filename)
    try:
        received = store.receive(stream, limit)
    except TooLarge:
        raise FileTooLarge(
            _l(
                "the file is larger than the limit of %(limit)s; nothing was uploaded",
                limit=size_label(limit),
            )
        ) from None
    try:
        if received.size == 0:
            raise ValidationFailed.at(path, _l("the file is empty (0 bytes)"))
        with received.path.open("rb") as file:
            kind = content.check(file, name, kinds)
    except content.Refused as exc:
        store.discard(received)
        raise ValidationFailed.at(path, message_of(exc)) from None
    except BaseException:
        store.discard(received)
        raise
    store.keep(received)
    return Upload(name, kind.content_type, kind.key, received.size, received.sha256)


def open_checked(store: FileStore, sha256: str, size: int) -> tuple[Health, IO[bytes] | None]:
    """The stored file, open at its start once its bytes were hashed again, or the
    problem (``missing``/``altered``) and None.  The caller records a problem on the
    audit chain, then raises ``problem_error(health)``."""
    try:
        file = store.open(sha256)
    except FileNotFoundError:
        return "missing", None
    health = store.health_of_open(file, sha256, size)
    if health != "ok":
        file.close()
        return health, None
    return "ok", file


def problem_error(health: Health) -> DomainError:
    """The error a read answers when the stored file is missing or altered."""
    if health == "missing":
        return FileMissing(_l("the stored file is missing; please tell the administrator"))
    return FileAltered(
        _l("the stored file was changed: its SHA-256 differs from the one recorded at upload")
    )
