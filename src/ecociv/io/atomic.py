"""Writing a folder all-or-nothing: outputs go to a temporary sibling folder that is renamed
into place only when everything succeeded, so a failed or killed run leaves earlier results
intact."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ecociv.errors import OutputError


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


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    On error the temporary folder is removed and ``path`` (if it existed) is untouched.
    """
    path = Path(path)
    ensure_writable_parent(path)
    token = uuid.uuid4().hex[:8]
    tmp = path.resolve().parent / f".{path.name}.partial-{token}"
    try:
        tmp.mkdir()
    except OSError as err:
        raise OutputError(f"output folder {path} is not writable: {err.strerror or err}") from err
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    try:
        if path.exists():
            old = path.resolve().parent / f".{path.name}.replaced-{token}"
            os.rename(path, old)
        os.rename(tmp, path)
    except OSError as err:
        if old is not None and not path.exists():
            os.rename(old, path)  # put the earlier results back
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"output folder {path} could not be replaced: {err.strerror or err}") from err
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
