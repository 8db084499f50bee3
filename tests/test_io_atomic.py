"""All-or-nothing output folders (io/atomic.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecociv.errors import OutputError
from ecociv.io.atomic import atomic_folder


def test_success_replaces_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_folder(out) as tmp:
        assert tmp.name.startswith(".out.partial-")
        (tmp / "new.txt").write_text("new")
    assert [p.name for p in out.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_error_keeps_the_earlier_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("model failed")
    assert (out / "old.txt").read_text() == "old" and not (out / "new.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failed_swap_puts_the_earlier_folder_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    rename = os.rename

    def flaky(src: str | Path, dst: str | Path) -> None:
        if Path(src).name.startswith(".out.partial-"):
            raise OSError(28, "No space left on device")
        rename(src, dst)

    monkeypatch.setattr(os, "rename", flaky)
    with pytest.raises(OutputError, match="could not be replaced: No space left on device"), \
            atomic_folder(out) as tmp:
        (tmp / "new.txt").write_text("new")
    monkeypatch.undo()
    assert (out / "old.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=r"file\.txt is a file, not a folder"), \
            atomic_folder(blocker / "deeper" / "out"):
        pass


def test_missing_parents_are_created(tmp_path: Path) -> None:
    with atomic_folder(tmp_path / "a" / "b" / "out") as tmp:
        (tmp / "x").write_text("1")
    assert (tmp_path / "a" / "b" / "out" / "x").read_text() == "1"
