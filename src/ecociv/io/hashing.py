"""Content hashes of input and output files and of model code, for provenance and the
runner's cache."""

from __future__ import annotations

import hashlib
import inspect
import sys
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

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


def record_output_digests(folder: str | Path, outputs: Mapping[str, dict[str, Any]]) -> None:
    """Add to each output entry of a manifest the BLAKE2b digest of every file it names.

    Parameters
    ----------
    folder : path
        Folder the output files were written to (their names in ``outputs`` are relative to it).
    outputs : mapping
        Output id -> manifest entry (``{"path": "x.tif", ...}``). Each entry gets
        ``"blake2b": {file name: hex digest}`` for its ``path`` and any other file it names
        (such as a Parquet copy of a table).
    """
    folder = Path(folder)
    for meta in outputs.values():
        meta["blake2b"] = {name: file_digest(folder / name) for name in _named_files(meta, folder)}


def _named_files(meta: Mapping[str, Any], folder: Path) -> list[str]:
    names = [meta["path"]]
    for key, value in meta.items():
        if (key not in ("path", "blake2b") and isinstance(value, str) and value
                and Path(value).name == value and (folder / value).is_file()):
            names.append(value)
    return names


def digest_problems(folder: str | Path, outputs: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What is wrong with output files compared with the digests recorded when they were written.

    Returns
    -------
    list of str
        One sentence per missing, changed or undigested file; empty when every file matches.
    """
    folder = Path(folder)
    problems = []
    for output_id, meta in outputs.items():
        recorded = meta.get("blake2b")
        if not isinstance(recorded, Mapping) or meta.get("path") not in recorded:
            problems.append(f"output '{output_id}' has no recorded digest (written by an older "
                            "ecociv)")
            continue
        for name, expected in recorded.items():
            path = folder / name
            if not path.is_file():
                problems.append(f"{path} is missing")
            elif file_digest(path) != expected:
                problems.append(f"{path} differs from the file written then (truncated or "
                                "edited?)")
    return problems


_code_memo: dict[str, str] = {}


def code_digest(function: Callable[..., Any]) -> str:
    """BLAKE2b-128 digest of the source code of the package that defines ``function``.

    Every ``.py`` file under the package's folder counts (its relative path and its bytes), so
    a change to any module of a model's package changes the digest, as taskgraph hashes the
    source of a task's function. Computed once per package and process. A function whose source
    cannot be found (defined interactively) gets a digest unique to this process, so results
    computed by it are never taken for results of other code.
    """
    module = inspect.getmodule(function)
    package = (module.__package__ or module.__name__) if module is not None else ""
    if package in _code_memo:
        return _code_memo[package]
    folders = [Path(p) for p in getattr(sys.modules.get(package), "__path__", [])]
    file = getattr(module, "__file__", None)
    if folders:
        files = sorted((p.relative_to(folder).as_posix(), p) for folder in folders
                       for p in folder.rglob("*.py"))
    elif file:
        files = [(Path(file).name, Path(file))]
    else:
        files = []
    digest = hashlib.blake2b(digest_size=16)
    if not files:
        digest.update(f"{package}:{uuid.uuid4().hex}".encode())
    for name, path in files:
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    _code_memo[package] = digest.hexdigest()
    return _code_memo[package]
