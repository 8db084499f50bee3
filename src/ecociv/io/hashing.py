"""Content hashes of input files, for provenance and the runner's cache."""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

_CHUNK = 8 * 1024 * 1024
_memo: dict[tuple[str, int, int], str] = {}
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecociv-hash")


def file_digest(path: str | Path) -> str:
    """BLAKE2b-128 hex digest of a file (or of every file under a folder, in sorted order)."""
    text = str(path)
    if "|layername=" in text:  # one layer of a multi-layer file: the file's digest plus the name
        file, _, layer = text.partition("|layername=")
        return hashlib.blake2b(f"{file_digest(file)}|{layer}".encode(), digest_size=16).hexdigest()
    path = Path(path)
    if path.is_dir():
        digest = hashlib.blake2b(digest_size=16)
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(str(child.relative_to(path)).encode())
            digest.update(file_digest(child).encode())
        return digest.hexdigest()
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _memo:
        return _memo[key]
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    _memo[key] = digest.hexdigest()
    return _memo[key]


def digest_later(path: str | Path) -> Future[str]:
    """Start hashing in a background thread (hashlib releases the GIL on large buffers)."""
    return _pool.submit(file_digest, path)
