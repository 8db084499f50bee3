"""Copying result folders without sharing them: each copy is an independent file (a
copy-on-write clone where the filesystem offers one, else a plain copy), so editing a file of a
new run never changes the run it was copied from, as a hard link would."""

from __future__ import annotations

import shutil
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: ``ioctl`` request that clones a file's blocks copy-on-write (Linux ``FICLONE``: btrfs, XFS,
#: bcachefs, OCFS2); other filesystems refuse it and the file is copied.
_FICLONE = 0x40049409


def clone_file(source: str | Path, target: str | Path) -> Path:
    """Copy ``source`` to ``target`` as an independent file, keeping its times and mode.

    A reflink (blocks shared copy-on-write, so instant and without extra space) where the
    filesystem supports it, a byte copy otherwise.
    """
    source, target = Path(source), Path(target)
    cloned = False
    if fcntl is not None:
        with open(source, "rb") as src, open(target, "wb") as dst:
            try:
                fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
                cloned = True
            except OSError:
                cloned = False
    if cloned:
        shutil.copystat(source, target)
    else:
        shutil.copy2(source, target)
    return target


def clone_folder(source: str | Path, target: str | Path) -> None:
    """Copy folder ``source`` (with its subfolders) to the new folder ``target`` file by file
    with :func:`clone_file`."""
    shutil.copytree(source, target, copy_function=clone_file)
