"""All-or-nothing output folders (io/atomic.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ecociv.errors import OutputError
from ecociv.io.atomic import MARKER, atomic_folder


def test_success_replaces_an_earlier_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        assert tmp.name.startswith(".out.partial-")
        (tmp / "old.txt").write_text("old")
    with atomic_folder(out) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "new.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert set(json.loads((out / MARKER).read_text())["files"]) == {"new.txt"}


def test_a_foreign_folder_is_refused_and_untouched(tmp_path: Path) -> None:
    out = tmp_path / "inputs"
    out.mkdir()
    (out / "land_use.tif").write_bytes(b"mine")
    with pytest.raises(OutputError, match=r"already holds files ecociv did not write \(land_use\.tif\)"
                       r".*give a new or empty folder"), atomic_folder(out) as tmp:
        (tmp / "x.csv").write_text("1")
    assert [p.name for p in out.iterdir()] == ["land_use.tif"]
    assert (out / "land_use.tif").read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with atomic_folder(out) as tmp:
        (tmp / "x.csv").write_text("1")
    assert (out / "x.csv").read_text() == "1"


def test_files_the_user_added_to_an_earlier_output_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "result.csv").write_text("v1")
    (out / "notes.txt").write_text("my notes")
    (out / "qgis").mkdir()
    (out / "qgis" / "project.qgz").write_text("p")
    with atomic_folder(out) as tmp:
        (tmp / "result.csv").write_text("v2")
    assert (out / "result.csv").read_text() == "v2"
    assert (out / "notes.txt").read_text() == "my notes"
    assert (out / "qgis" / "project.qgz").read_text() == "p"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    # the kept files are still not ecociv's
    assert set(json.loads((out / MARKER).read_text())["files"]) == {"result.csv"}


def test_an_edited_output_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "result.csv").write_text("v1")
    (out / "result.csv").write_text("edited in Excel, longer")
    with pytest.raises(OutputError, match=r"result\.csv changed after ecociv wrote it"), \
            atomic_folder(out):
        pass
    assert (out / "result.csv").read_text() == "edited in Excel, longer"


def test_statistics_added_by_qgis_to_an_aux_xml_are_not_an_edit(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "redline.tif").write_bytes(b"tif")
        (tmp / "redline.tif.aux.xml").write_text("<PAMDataset/>")
    (out / "redline.tif.aux.xml").write_text("<PAMDataset><Metadata>STATISTICS_MEAN</Metadata></PAMDataset>")
    with atomic_folder(out) as tmp:
        (tmp / "redline.tif").write_bytes(b"tif2")
        (tmp / "redline.tif.aux.xml").write_text("<PAMDataset/>")
    assert (out / "redline.tif.aux.xml").read_text() == "<PAMDataset/>"


def test_a_user_file_in_the_way_of_a_new_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
    (out / "b.csv").write_text("mine")
    with pytest.raises(OutputError, match=r"b\.csv \(not written by ecociv\) would be overwritten"), \
            atomic_folder(out) as tmp:
        (tmp / "b.csv").write_text("new")
    assert (out / "b.csv").read_text() == "mine" and (out / "a.csv").read_text() == "1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_output_folder_from_before_the_marker_is_recognised(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"ecociv_version": "0.1.0",
                                                   "outputs": {"x": {"path": "x.tif"}}}))
    (out / "x.tif").write_bytes(b"old")
    with atomic_folder(out) as tmp:
        (tmp / "x.tif").write_bytes(b"new")
    assert (out / "x.tif").read_bytes() == b"new" and not (out / "manifest.json").exists()


def test_interrupt_removes_the_partial_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), atomic_folder(out) as tmp:
        (tmp / "half.tif").write_bytes(b"x")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_error_keeps_the_earlier_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "new.txt").write_text("half")
        raise RuntimeError("model failed")
    assert (out / "old.txt").read_text() == "old" and not (out / "new.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_failed_swap_puts_the_earlier_folder_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    with atomic_folder(out) as tmp:
        (tmp / "old.txt").write_text("old")
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
