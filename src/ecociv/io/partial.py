"""Unfinished output folders (``.partial-*``): each carries a small marker naming the process
that writes it, so a folder left by a killed run can be told from one still being written and
from folders ecociv did not write (which are never removed)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from ecociv.errors import OutputWarning

#: name of the marker file inside a folder ecociv is writing
MARKER = ".ecociv-partial.json"


@dataclass(frozen=True)
class PartialFolder:
    """An unfinished output folder.

    Attributes
    ----------
    path : Path
        The folder.
    size : int
        Bytes of the files in it.
    ours : bool
        It carries ecociv's marker.
    running : bool
        The process that writes it is still running (or cannot be checked from here).
    """

    path: Path
    size: int
    ours: bool
    running: bool

    @property
    def stale(self) -> bool:
        """Written by ecociv in a process that is gone: safe to remove."""
        return self.ours and not self.running


def mark(folder: Path) -> None:
    """Write the marker naming this process into the new unfinished ``folder``."""
    pid = os.getpid()
    (folder / MARKER).write_text(json.dumps({
        "written_by": "ecociv", "pid": pid, "host": socket.gethostname(),
        "process_start": _process_start(pid),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}), encoding="utf-8")


def unmark(folder: Path) -> None:
    """Remove the marker before ``folder`` is renamed into place."""
    (folder / MARKER).unlink(missing_ok=True)


def _process_start(pid: int) -> int | None:
    """Start time of process ``pid`` in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _running(marker: dict[str, object]) -> bool:
    pid, start = marker.get("pid"), marker.get("process_start")
    if marker.get("host") != socket.gethostname() or not isinstance(pid, int) or os.name == "nt":
        return True  # another machine's process (a shared disk) cannot be checked from here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return start is None or _process_start(pid) in (None, start)


def _read_marker(folder: Path) -> dict[str, object] | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("written_by") == "ecociv" else None


def _size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total


def find(parent: Path, prefix: str) -> list[PartialFolder]:
    """Unfinished folders in ``parent`` whose names start with ``prefix`` (e.g. ``.partial-``)."""
    if not parent.is_dir():
        return []
    found = []
    for path in sorted(parent.iterdir()):
        if not path.name.startswith(prefix) or not path.is_dir() or path.is_symlink():
            continue
        marker = _read_marker(path)
        found.append(PartialFolder(path=path, size=_size(path), ours=marker is not None,
                                   running=marker is not None and _running(marker)))
    return found


def remove_stale(parent: Path, prefix: str) -> list[PartialFolder]:
    """Remove the folders :func:`find` reports as stale; return them."""
    removed = []
    for folder in find(parent, prefix):
        if folder.stale:
            shutil.rmtree(folder.path, ignore_errors=True)
            removed.append(folder)
    return removed


def describe_size(size: int) -> str:
    """``size`` bytes in words (``"1.5 MB"``)."""
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def tidy(parent: Path, prefix: str) -> None:
    """Remove stale unfinished folders in ``parent`` named ``prefix*`` and warn about the others
    (written by another running process, or not marked by ecociv) with their size and how to
    remove them."""
    remove_stale(parent, prefix)
    left = find(parent, prefix)
    if not left:
        return
    running = [f for f in left if f.running]
    foreign = [f for f in left if not f.ours]
    if running:
        warnings.warn(f"{len(running)} unfinished folder(s) {parent / prefix}* are being written by "
                      "another ecociv process at the same time; the output written last wins",
                      OutputWarning, stacklevel=2)
    if foreign:
        warnings.warn(
            f"{len(foreign)} unfinished folder(s) {parent / prefix}* "
            f"({describe_size(sum(f.size for f in foreign))}) carry no record of the process that "
            f"wrote them, so ecociv leaves them; when no ecociv run is writing there, remove them "
            f"with `rm -r {parent / prefix}*`", OutputWarning, stacklevel=2)
