"""Writing a folder all-or-nothing: outputs go to a temporary sibling folder that is renamed
into place only when everything succeeded, so a failed or killed run leaves earlier results
intact.

The ``--out`` rule: ecociv never deletes or overwrites a file it did not write. An output folder
may be new, empty, or an earlier ecociv output, recognised by the marker file
:data:`MARKER` that lists every file ecociv wrote there (with size and modification time). When
an earlier output is replaced, only the files the marker lists are replaced; any other file in it
(notes, a QGIS project) is moved into the new folder unchanged. A
non-empty folder without a marker, a listed file changed since ecociv wrote it (other than
``.aux.xml`` side files, which GIS software rewrites when reading), or another file
in the way of a new output is refused with an :class:`~ecociv.errors.OutputError` before anything
is touched.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ecociv.errors import OutputError
from ecociv.io import partial

#: name of the file that marks a folder as written by ecociv (and lists the files it wrote)
MARKER = ".ecociv-output.json"

#: side files GIS software rewrites when it only reads the data (QGIS and GDAL add statistics to
#: ``.aux.xml``): not counted as edits
_REWRITTEN_BY_READERS = (".aux.xml",)

#: how many names an error message lists before "…"
_SHOWN = 5


def ensure_writable_parent(path: Path) -> None:
    """Create ``path``'s parent folder or raise :class:`OutputError` saying why it cannot."""
    parent = path.resolve().parent
    for ancestor in (parent, *parent.parents):
        if ancestor.exists():
            if not ancestor.is_dir():
                raise OutputError(f"output folder {path} cannot be created: {ancestor} is a file, "
                                  "not a folder")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"output folder {path} cannot be created: {err.strerror or err}") from err
    if not parent.is_dir():
        raise OutputError(f"output folder {path}: {parent} is not a folder")
    if path.exists() and not path.is_dir():
        raise OutputError(f"output folder {path} exists and is not a folder")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"output folder {path} is not writable ({parent} denies writing)")


def _entries(folder: Path) -> list[str]:
    """Every file, symbolic link and empty folder under ``folder``, as relative POSIX paths."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        links = [d for d in dirs if (Path(root) / d).is_symlink()]
        for name in (*files, *links):
            found.append((base / name).as_posix())
        if not dirs and not files and base != Path("."):
            found.append(base.as_posix() + "/")
    return sorted(found)


def _stamp(path: Path) -> dict[str, int]:
    stat = path.lstat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def owned_files(folder: Path) -> dict[str, dict[str, int] | None] | None:
    """The files ecociv wrote into ``folder`` (relative path → size and modification time, or
    ``None`` where not recorded), or ``None`` when ``folder`` is not an ecociv output."""
    marker = folder / MARKER
    try:
        if marker.is_file():
            data = json.loads(marker.read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("written_by") == "ecociv" \
                    and isinstance(data.get("files"), dict):
                return {str(k): v if isinstance(v, dict) else None for k, v in data["files"].items()}
            return None
        manifest = folder / "manifest.json"
        if manifest.is_file():  # model runs written before the marker existed
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if isinstance(data, dict) and "ecociv_version" in data \
                    and isinstance(data.get("outputs"), dict):
                files: dict[str, dict[str, int] | None] = {"manifest.json": None}
                for meta in data["outputs"].values():
                    if isinstance(meta, dict) and isinstance(meta.get("path"), str):
                        files[meta["path"]] = None
                return files
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return None


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def foreign_entries(path: Path) -> list[str]:
    """Check that ``path`` may be (re)written by ecociv and return the entries in it that ecociv
    did not write (they are kept when the folder is replaced).

    Raises
    ------
    OutputError
        ``path`` holds files but is not an earlier ecociv output, or a file ecociv wrote there
        was changed since.
    """
    if not path.is_dir():
        return []
    entries = _entries(path)
    if not entries:
        return []
    owned = owned_files(path)
    if owned is None:
        raise OutputError(
            f"output folder {path} already holds files ecociv did not write ({_listing(entries)}); "
            "ecociv never deletes them: give a new or empty folder, or move or remove these files "
            "yourself")
    changed = [name for name, stamp in owned.items()
               if stamp is not None and not name.endswith(_REWRITTEN_BY_READERS)
               and (path / name).exists() and _stamp(path / name) != stamp]
    if changed:
        raise OutputError(
            f"output folder {path}: {_listing(changed)} changed after ecociv wrote it; ecociv does "
            "not overwrite edited files: give a new folder, or move these files away")
    return [name for name in entries if name != MARKER and name not in owned]


def _write_marker(tmp: Path) -> None:
    from ecociv import __version__

    files = {name: _stamp(tmp / name) for name in _entries(tmp) if not name.endswith("/")}
    (tmp / MARKER).write_text(json.dumps({"written_by": "ecociv", "ecociv_version": __version__,
                                          "files": files}, indent=1), encoding="utf-8")


def _carry_over(old: Path, new: Path, names: list[str]) -> list[str]:
    """Move ``names`` from ``old`` into ``new``; return the names that could not be moved."""
    left = []
    for name in names:
        target = new / name.rstrip("/")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith("/"):
                target.mkdir(exist_ok=True)
            else:
                os.rename(old / name, target)
        except OSError:
            left.append(name)
    return left


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    ``path`` must be new, empty or an earlier ecociv output (see the module docstring); files in
    it that ecociv did not write are kept. On error, including Ctrl-C, the temporary folder is
    removed and ``path`` (if it existed) is untouched.

    Raises
    ------
    OutputError
        ``path`` cannot be written or holds files ecociv did not write in the way.
    """
    path = Path(path)
    ensure_writable_parent(path)
    foreign_entries(path)  # refuse before any work is done
    target = path.resolve()
    token = uuid.uuid4().hex[:8]
    tmp = target.parent / f".{target.name}.partial-{token}"
    partial.tidy(target.parent, f".{target.name}.partial-")  # left by killed runs
    try:
        tmp.mkdir()
    except OSError as err:
        raise OutputError(f"output folder {path} is not writable: {err.strerror or err}") from err
    try:
        partial.mark(tmp)
        yield tmp
        partial.unmark(tmp)
        _write_marker(tmp)
        keep = foreign_entries(target)  # again: the folder may have changed during the run
        blocked = [name for name in keep if (tmp / name.rstrip("/")).exists()
                   and not name.endswith("/")]
        if blocked:
            raise OutputError(f"output folder {path}: {_listing(blocked)} (not written by ecociv) "
                              "would be overwritten by the new outputs; move these files away or "
                              "give a new folder")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    try:
        if target.exists():
            old = target.parent / f".{target.name}.replaced-{token}"
            os.rename(target, old)
        os.rename(tmp, target)
    except OSError as err:
        if old is not None and not target.exists():
            os.rename(old, target)  # put the earlier results back
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"output folder {path} could not be replaced: {err.strerror or err}") from err
    if old is not None:
        left = _carry_over(old, target, keep)
        if left:
            raise OutputError(f"output folder {path} was replaced, but {_listing(left)} could not be "
                              f"moved into it from {old}; they are still there")
        shutil.rmtree(old, ignore_errors=True)

