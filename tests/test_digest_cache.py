"""The persistent cache of input file digests (ecociv.io.digest_cache): reused only for a file
in the same state, harmless when damaged or unusable."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from pathlib import Path

import pytest

from ecociv.io import digest_cache, hashing


def _blake(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@pytest.fixture
def cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache file; every file is cacheable however small or recent; no process memo."""
    path = tmp_path / "cache" / digest_cache.DEFAULT_NAME
    monkeypatch.setenv("ECOCIV_DIGEST_CACHE", str(path))
    monkeypatch.setattr(digest_cache, "MIN_CACHED_BYTES", 0)
    monkeypatch.setattr(digest_cache, "RACY_SECONDS", 0.0)
    monkeypatch.setattr(hashing, "_cache", digest_cache.DigestCache())
    monkeypatch.setattr(hashing, "_memo", {})
    return path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files actually read by file_digest."""
    seen: list[Path] = []
    original = hashing._hash_file

    def counting(path: Path) -> str:
        seen.append(path)
        return original(path)

    monkeypatch.setattr(hashing, "_hash_file", counting)
    return seen


def _new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget what this process remembers, as a new run would."""
    monkeypatch.setattr(hashing, "_memo", {})
    monkeypatch.setattr(hashing, "_cache", digest_cache.DigestCache())


def test_unchanged_file_is_read_once_across_runs(tmp_path, cache_file, reads, monkeypatch):
    data = tmp_path / "precipitation.tif"
    data.write_bytes(b"x" * 1000)
    assert hashing.file_digest(data) == _blake(b"x" * 1000)
    _new_process(monkeypatch)
    assert hashing.file_digest(data) == _blake(b"x" * 1000)
    assert reads == [data]  # the second run took the digest from the cache file
    assert cache_file.is_file()


def test_same_size_edit_with_restored_mtime_is_hashed_again(tmp_path, cache_file, reads,
                                                          monkeypatch):
    data = tmp_path / "land_use.tif"
    data.write_bytes(b"aaaa")
    before = data.stat()
    assert hashing.file_digest(data) == _blake(b"aaaa")
    time.sleep(0.05)  # past the kernel's timestamp granularity
    data.write_bytes(b"bbbb")  # same size ...
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))  # ... and the old mtime
    after = data.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after.st_ctime_ns != before.st_ctime_ns  # what no command can set back
    _new_process(monkeypatch)
    assert hashing.file_digest(data) == _blake(b"bbbb")
    assert reads == [data, data]


def test_edit_within_the_process_is_seen(tmp_path, cache_file):
    data = tmp_path / "et0.tif"
    data.write_bytes(b"one")
    assert hashing.file_digest(data) == _blake(b"one")
    time.sleep(0.05)
    data.write_bytes(b"two")
    assert hashing.file_digest(data) == _blake(b"two")


def test_replaced_file_at_the_same_path_is_hashed_again(tmp_path, cache_file, reads, monkeypatch):
    data = tmp_path / "dem.tif"
    data.write_bytes(b"old!")
    stat = data.stat()
    hashing.file_digest(data)
    other = tmp_path / "new.tif"
    other.write_bytes(b"new!")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    other.replace(data)  # another inode under the old name, same size and mtime
    _new_process(monkeypatch)
    assert hashing.file_digest(data) == _blake(b"new!")
    assert len(reads) == 2


def test_recently_changed_files_are_not_cached(tmp_path, cache_file, reads, monkeypatch):
    monkeypatch.setattr(digest_cache, "RACY_SECONDS", 3600.0)
    data = tmp_path / "fresh.tif"
    data.write_bytes(b"fresh")
    hashing.file_digest(data)
    _new_process(monkeypatch)
    hashing.file_digest(data)
    assert len(reads) == 2


def test_small_files_are_not_cached(tmp_path, cache_file, reads, monkeypatch):
    monkeypatch.setattr(digest_cache, "MIN_CACHED_BYTES", 10)
    data = tmp_path / "table.csv"
    data.write_bytes(b"a,b\n")
    hashing.file_digest(data)
    _new_process(monkeypatch)
    hashing.file_digest(data)
    assert len(reads) == 2


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong digest"])
def test_damaged_cache_file_is_harmless(tmp_path, cache_file, reads, monkeypatch, damage):
    data = tmp_path / "soil_sand.tif"
    data.write_bytes(b"sand" * 100)
    hashing.file_digest(data)
    if damage == "garbage":
        cache_file.write_bytes(b"this is not an SQLite database" * 200)
    elif damage == "truncated":
        content = cache_file.read_bytes()
        cache_file.write_bytes(content[: len(content) // 3] or b"SQLite format 3\0")
    else:  # a valid database holding something that is not a digest
        with sqlite3.connect(cache_file) as connection:
            connection.execute("UPDATE digests SET digest = 'not hex'")
        connection.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_file}{suffix}").unlink(missing_ok=True)
    _new_process(monkeypatch)
    assert hashing.file_digest(data) == _blake(b"sand" * 100)
    assert len(reads) == 2
    # the cache works again afterwards (a damaged file at the default name is replaced)
    _new_process(monkeypatch)
    assert hashing.file_digest(data) == _blake(b"sand" * 100)
    assert len(reads) == 2


def test_unusable_cache_location_is_harmless(tmp_path, cache_file, reads, monkeypatch):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ECOCIV_DIGEST_CACHE", str(blocker / "cache.sqlite3"))
    data = tmp_path / "x.tif"
    data.write_bytes(b"x")
    assert hashing.file_digest(data) == _blake(b"x")


def test_foreign_file_named_as_cache_is_never_overwritten(tmp_path, cache_file, monkeypatch):
    mine = tmp_path / "notes.txt"
    mine.write_text("a user's file, not a database\n" * 50)
    monkeypatch.setenv("ECOCIV_DIGEST_CACHE", str(mine))
    data = tmp_path / "x.tif"
    data.write_bytes(b"xyz")
    assert hashing.file_digest(data) == _blake(b"xyz")
    assert mine.read_text() == "a user's file, not a database\n" * 50


def test_cache_can_be_turned_off(tmp_path, cache_file, reads, monkeypatch):
    monkeypatch.setenv("ECOCIV_DIGEST_CACHE", "off")
    data = tmp_path / "x.tif"
    data.write_bytes(b"x")
    hashing.file_digest(data)
    _new_process(monkeypatch)
    hashing.file_digest(data)
    assert len(reads) == 2
    assert not cache_file.exists()
    assert digest_cache.cache_path() is None


def test_default_location_follows_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOCIV_DIGEST_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert digest_cache.cache_path() == tmp_path / "ecociv" / digest_cache.DEFAULT_NAME


def test_old_entries_are_dropped_beyond_the_limit(tmp_path, cache_file, monkeypatch):
    monkeypatch.setattr(digest_cache, "MAX_ENTRIES", 4)
    for i in range(7):
        data = tmp_path / f"f{i}.tif"
        data.write_bytes(bytes([i]))
        hashing.file_digest(data)
    with sqlite3.connect(cache_file) as connection:
        count = connection.execute("SELECT count(*) FROM digests").fetchone()[0]
    connection.close()
    assert 1 <= count <= 4
