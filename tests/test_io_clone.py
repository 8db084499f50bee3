"""Copies of result folders are independent files (never hard links), reflinked or copied."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ecociv.io import clone


def test_clone_folder_copies_subfolders_as_independent_files(tmp_path: Path) -> None:
    source = tmp_path / "a"
    (source / "maps").mkdir(parents=True)
    (source / "table.csv").write_text("x\n1\n")
    (source / "maps" / "m.png").write_bytes(b"\x89PNG")
    os.utime(source / "table.csv", ns=(1_000_000_000, 1_000_000_000))
    clone.clone_folder(source, tmp_path / "b")
    copy = tmp_path / "b" / "table.csv"
    assert copy.read_text() == "x\n1\n" and (tmp_path / "b" / "maps" / "m.png").read_bytes() == b"\x89PNG"
    assert copy.stat().st_mtime_ns == 1_000_000_000  # times kept
    assert copy.stat().st_ino != (source / "table.csv").stat().st_ino
    copy.write_text("edited\n")
    assert (source / "table.csv").read_text() == "x\n1\n"


def test_clone_file_falls_back_to_a_copy_where_reflinks_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def refuse(*args: object) -> None:
        calls.append(args)
        raise OSError(95, "Operation not supported")

    if clone.fcntl is not None:
        monkeypatch.setattr(clone.fcntl, "ioctl", refuse)
    (tmp_path / "a.bin").write_bytes(b"0123456789" * 1000)
    clone.clone_file(tmp_path / "a.bin", tmp_path / "b.bin")
    assert (tmp_path / "b.bin").read_bytes() == b"0123456789" * 1000
    assert calls or clone.fcntl is None
