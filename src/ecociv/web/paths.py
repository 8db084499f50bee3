"""Paths under the store only: every name that comes from a request goes through these."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import HTTPException

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


def safe_id(value: str, what: str) -> str:
    """``value`` if it is a plain name (no separators, no leading dot), else HTTP 404."""
    if not _SAFE_ID.match(value) or ".." in value:
        raise HTTPException(404, f"no {what} {value!r}")
    return value


def inside(root: Path, relative: str, what: str = "file") -> Path:
    """``root/relative`` if it stays inside ``root`` (after resolving ``..`` and links) and no
    part of it is hidden, else HTTP 404 (the same answer as for a missing file)."""
    parts = Path(relative).parts
    if (not relative or Path(relative).is_absolute() or "\\" in relative or "\x00" in relative
            or any(p in ("..", ".") or p.startswith(".") for p in parts)):
        raise HTTPException(404, f"no {what} {relative!r}")
    base = root.resolve()
    target = (base / relative).resolve()
    if not target.is_relative_to(base) or target == base:
        raise HTTPException(404, f"no {what} {relative!r}")
    return target
