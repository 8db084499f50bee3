"""Run inside a map worker by tests/test_scenario_run_file.py: an object that writes a file when
the interpreter frees it at teardown (a worker that skips the teardown never writes it)."""

from __future__ import annotations

import os
from pathlib import Path


class _WritesWhenFreed:
    def __init__(self, path: Path):
        self.path = path

    def __del__(self) -> None:
        self.path.write_text("freed at teardown", encoding="utf-8")


_held: list[_WritesWhenFreed] = []


def hold_until_teardown(path: str) -> int:
    """Keep an object that writes ``path`` when freed; return this worker's process id."""
    _held.append(_WritesWhenFreed(Path(path)))
    return os.getpid()
