"""Files outside the database, addressed by their SHA-256.

A file lives at ``<root>/<aa>/<bb>/<sha256>``.  It is first written to a temporary file
under ``<root>/tmp`` (hashed and counted as it is written, so an oversize upload stops
at the limit), then given its name with a hard link, which never replaces an existing
file: two uploads of the same bytes, even at the same moment, store one file, and a
stored file is never overwritten.  Stored files are read-only.

The file is written before the database row is committed.  A transaction that rolls
back leaves an unreferenced file behind, which is harmless (it is named by its content)
and never the other way round: no row points at a file that was not written.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

CHUNK = 1024 * 1024
_DIGEST = re.compile(r"[0-9a-f]{64}")
Health = Literal["ok", "missing", "altered"]


class TooLarge(ValueError):
    """The upload is larger than the limit."""


@dataclass(frozen=True)
class Received:
    """An upload written to a temporary file, not stored yet."""

    path: Path
    sha256: str
    size: int


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, stream: IO[bytes], limit: int) -> Received:
        """Copy ``stream`` to a temporary file, hashing it; ``TooLarge`` past ``limit``
        bytes (the temporary file is removed)."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise TooLarge(f"larger than {limit} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Received(path, digest.hexdigest(), size)

    def keep(self, received: Received) -> bool:
        """Store a received file under its digest; ``False`` when those bytes were
        stored already (the existing file is left as it is)."""
        final = self.path_of(received.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(received.path, 0o444)
            os.link(received.path, final)  # atomic, and never replaces a file
        except FileExistsError:
            return False
        finally:
            received.path.unlink(missing_ok=True)
        return True

    def digests(self) -> Iterator[str]:
        """The SHA-256 names of the stored files, sorted (not the temporary files, and
        nothing that is not where its name puts it)."""
        for path in sorted(self.root.glob("??/??/*")):
            name = path.name
            if _DIGEST.fullmatch(name) and path.parent.parent.name + path.parent.name == name[:4]:
                yield name

    def put(self, sha256: str, source: Path) -> bool:
        """Store a copy of the file ``source`` under the name ``sha256`` as it is (a
        restore: the name is the one the database rows point at); ``False`` when a file of
        that name is stored already (it is left as it is, as ``keep`` does)."""
        final = self.path_of(sha256)
        if final.exists():
            return False
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="restore-")
        os.close(fd)
        path = Path(name)
        try:
            shutil.copyfile(source, path)
            with path.open("rb") as out:
                os.fsync(out.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o444)
            try:
                os.link(path, final)
            except FileExistsError:
                return False
        finally:
            path.unlink(missing_ok=True)
        return True

    def discard(self, received: Received) -> None:
        received.path.unlink(missing_ok=True)

    def open(self, sha256: str) -> IO[bytes]:
        return self.path_of(sha256).open("rb")

    def health(self, sha256: str, size: int) -> Health:
        """Whether the stored file is there and still has the digest it was stored
        under (its bytes are hashed again)."""
        try:
            file = self.open(sha256)
        except FileNotFoundError:
            return "missing"
        with file:
            return self.health_of_open(file, sha256, size)

    @staticmethod
    def health_of_open(file: IO[bytes], sha256: str, size: int) -> Health:
        """Hash an open stored file through and rewind it: the bytes checked are the
        bytes then served."""
        digest, seen = hashlib.sha256(), 0
        while chunk := file.read(CHUNK):
            digest.update(chunk)
            seen += len(chunk)
        file.seek(0)
        return "ok" if seen == size and digest.hexdigest() == sha256 else "altered"
