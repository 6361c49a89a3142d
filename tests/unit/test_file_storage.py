"""Files are stored once per SHA-256, never overwritten, written whole or not at all, and
found missing or altered later."""

from __future__ import annotations

import hashlib
import io
import os
import threading

import pytest

from riskctl.files.storage import FileStore, TooLarge


def test_a_file_is_stored_under_its_sha256_read_only(tmp_path):
    store = FileStore(tmp_path)
    data = b"contract text"
    received = store.receive(io.BytesIO(data), limit=100)
    assert received.sha256 == hashlib.sha256(data).hexdigest() and received.size == len(data)
    assert store.keep(received) is True
    path = store.path_of(received.sha256)
    assert path.read_bytes() == data
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert oct(path.stat().st_mode & 0o777) == oct(0o444)
    assert list((tmp_path / "tmp").iterdir()) == []  # the temporary file is gone
    assert store.health(received.sha256, len(data)) == "ok"


def test_the_same_bytes_twice_are_stored_once_and_never_overwritten(tmp_path):
    store = FileStore(tmp_path)
    first = store.receive(io.BytesIO(b"same"), limit=100)
    assert store.keep(first)
    inode = store.path_of(first.sha256).stat().st_ino
    second = store.receive(io.BytesIO(b"same"), limit=100)
    assert store.keep(second) is False
    assert store.path_of(first.sha256).stat().st_ino == inode
    assert list((tmp_path / "tmp").iterdir()) == []


def test_an_upload_over_the_limit_stops_and_leaves_nothing(tmp_path):
    store = FileStore(tmp_path)
    with pytest.raises(TooLarge):
        store.receive(io.BytesIO(b"x" * 101), limit=100)
    assert list((tmp_path / "tmp").iterdir()) == []
    exactly = store.receive(io.BytesIO(b"x" * 100), limit=100)
    assert exactly.size == 100


def test_a_missing_or_altered_file_is_found(tmp_path):
    store = FileStore(tmp_path)
    gone = store.receive(io.BytesIO(b"to be lost"), limit=100)
    store.keep(gone)
    changed = store.receive(io.BytesIO(b"to be changed"), limit=100)
    store.keep(changed)
    store.path_of(gone.sha256).unlink()
    path = store.path_of(changed.sha256)
    path.chmod(0o644)
    path.write_bytes(b"to be CHANGED")
    assert store.health(gone.sha256, gone.size) == "missing"
    assert store.health(changed.sha256, changed.size) == "altered"


def test_a_digest_that_is_not_hex_is_no_path(tmp_path):
    with pytest.raises(ValueError):
        FileStore(tmp_path).path_of("../../etc/passwd" + "0" * 48)


def test_concurrent_uploads_of_the_same_bytes_store_one_file(tmp_path):
    store = FileStore(tmp_path)
    data = os.urandom(256 * 1024)
    results: list[bool] = []
    lock = threading.Lock()

    def upload() -> None:
        received = store.receive(io.BytesIO(data), limit=len(data))
        kept = store.keep(received)
        with lock:
            results.append(kept)

    threads = [threading.Thread(target=upload) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert store.path_of(hashlib.sha256(data).hexdigest()).read_bytes() == data
    assert list((tmp_path / "tmp").iterdir()) == []
