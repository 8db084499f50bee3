"""Content hashes of input and output files and of model code, for provenance and the
runner's cache."""

from __future__ import annotations

import hashlib
import inspect
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ecociv.io import digest_cache

_CHUNK = 8 * 1024 * 1024
_memo: dict[tuple[str, digest_cache.Key], str] = {}
_cache = digest_cache.DigestCache()
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecociv-hash")


def file_digest(path: str | Path) -> str:
    """BLAKE2b-128 hex digest of a file (or of every file under a folder, in sorted order).

    A file is read once per state: its digest is kept for the process and, for files of at
    least 256 KiB, in a persistent cache keyed by absolute path, size, modification and
    status-change times, inode and device (:mod:`ecociv.io.digest_cache`), so later runs on
    unchanged inputs do not read them again.
    """
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
    absolute = str(path.resolve())
    for _ in range(3):  # a file that changes while it is read is read again
        stat = path.stat()
        key = digest_cache.stat_key(stat)
        if (absolute, key) in _memo:
            return _memo[absolute, key]
        cacheable = digest_cache.cacheable(stat, time.time())
        found = _cache.get(absolute, key) if cacheable else None
        if found is not None:
            _memo[absolute, key] = found
            return found
        hexdigest = _hash_file(path)
        if digest_cache.stat_key(path.stat()) == key:
            _memo[absolute, key] = hexdigest
            if cacheable:
                _cache.put(absolute, key, hexdigest)
            return hexdigest
    return hexdigest  # still changing: this reading's digest, remembered nowhere


def new_digest() -> Any:
    """A :mod:`hashlib` object of the digest of :func:`file_digest` (BLAKE2b-128)."""
    return hashlib.blake2b(digest_size=16)


def remember_digest(path: str | Path, written: os.stat_result, hexdigest: str) -> bool:
    """Record ``hexdigest`` (of :func:`new_digest`) as the digest of the file ``path``, whose
    writer fed it every byte it wrote and took ``written`` (``os.fstat``) after its last
    write, as :func:`file_digest` records the digest of a file it read: for the state the file
    has now, and only if that is the state ``written`` (else nothing is recorded and
    :func:`file_digest` reads the file). Returns whether it was recorded."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return False
    key = digest_cache.stat_key(stat)
    if key != digest_cache.stat_key(written):
        return False
    absolute = str(path.resolve())
    _memo[absolute, key] = hexdigest
    if digest_cache.cacheable(stat, time.time()):
        _cache.put(absolute, key, hexdigest)
    return True


def _hash_file(path: Path) -> str:
    digest = new_digest()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


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
    names = {key: _named_files(meta, folder) for key, meta in outputs.items()}
    files = sorted({name for found in names.values() for name in found})
    # side by side (hashlib releases the GIL on large buffers): the outputs of a 4000² run
    # (three COGs, 115 MB) took 0.2 s one after another at the end of every run
    workers = min(len(files), os.cpu_count() or 1, 4)
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ecociv-digest") as pool:
            digests = dict(zip(files, pool.map(lambda name: file_digest(folder / name), files),
                               strict=True))
    else:
        digests = {name: file_digest(folder / name) for name in files}
    for key, meta in outputs.items():
        meta["blake2b"] = {name: digests[name] for name in names[key]}


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
    """BLAKE2b-128 digest of the source code behind ``function``: every module of the package
    that defines it, and every module of that package's distribution or of ecociv that those
    modules import (followed recursively, lazy imports included).

    A change to a model's kernels, to a helper module it imports or to ecociv's grid code it
    calls changes the digest, as taskgraph hashes the source of a task's function. Modules are
    named by their dotted names, so the digest does not depend on where the code is installed.
    Computed once per package and process. A function whose source cannot be found (defined
    interactively) gets a digest unique to this process, so results computed by it are never
    taken for results of other code.
    """
    module = inspect.getmodule(function)
    file = getattr(module, "__file__", None)
    package = (module.__package__ or module.__name__) if module is not None else ""
    if package in _code_memo:
        return _code_memo[package]
    digest = hashlib.blake2b(digest_size=16)
    if module is None or not file:
        digest.update(f"{package}:{uuid.uuid4().hex}".encode())
        _code_memo[package] = digest.hexdigest()
        return _code_memo[package]
    roots = {top: [Path(p) for p in getattr(sys.modules.get(top), "__path__", [])]
             for top in {package.partition(".")[0], "ecociv"}}
    folders = [Path(p) for p in getattr(sys.modules.get(package), "__path__", [])]
    modules = {_dotted(package, p.relative_to(folder)): p
               for folder in folders for p in folder.rglob("*.py")}
    modules = _import_closure(modules or {module.__name__: Path(file)}, roots)
    for name in sorted(modules):
        digest.update(name.encode() + b"\0")
        digest.update(modules[name].read_bytes())
        digest.update(b"\0")
    _code_memo[package] = digest.hexdigest()
    return _code_memo[package]


def _dotted(package: str, relative: Path) -> str:
    parts = relative.with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join((package, *parts))


def _import_closure(modules: dict[str, Path], roots: Mapping[str, list[Path]]) -> dict[str, Path]:
    """``modules`` and the modules under ``roots`` (top-level package -> folders) they import,
    recursively, found in the folders without importing anything."""
    found = dict(modules)
    queue = list(found.items())
    while queue:
        name, path = queue.pop()
        for target in _imported_names(name, path):
            if target in found or target.partition(".")[0] not in roots:
                continue
            source = _module_file(target, roots)
            if source is not None:
                found[target] = source
                queue.append((target, source))
    return found


_imports_memo: dict[tuple[str, Path], frozenset[str]] = {}


def _imported_names(name: str, path: Path) -> frozenset[str]:
    """Dotted names a module imports (``from a import b`` gives ``a`` and ``a.b``)."""
    if (name, path) not in _imports_memo:
        _imports_memo[name, path] = frozenset(_parse_imports(name, path))
    return _imports_memo[name, path]


_FROM_IMPORT = re.compile(r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]*)",
                          re.MULTILINE)
_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w., \t]+)", re.MULTILINE)


def _parse_imports(name: str, path: Path) -> set[str]:
    # a scan of the text, not ast.walk (ten times slower): an import quoted in a docstring only
    # adds a module to the digest
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for match in _IMPORT.finditer(text):
        names.update(part.split()[0] for part in match[1].split(",") if part.strip())
    for dots, module, imported in _FROM_IMPORT.findall(text):
        base = module
        if dots:
            parent = package.rsplit(".", len(dots) - 1)[0] if len(dots) > 1 else package
            base = f"{parent}.{module}" if module else parent
        names.add(base)
        for part in imported.strip("()").split(","):
            if part.split():
                names.add(f"{base}.{part.split()[0]}")
    return names


def _module_file(name: str, roots: Mapping[str, list[Path]]) -> Path | None:
    top, _, rest = name.partition(".")
    for folder in roots.get(top, []):
        base = folder.joinpath(*rest.split(".")) if rest else folder
        for candidate in (base.with_name(base.name + ".py") if rest else None,
                          base / "__init__.py"):
            if candidate is not None and candidate.is_file():
                return candidate
    return None
