"""The ``--out`` rule of ``ecociv model run`` and ``ecociv data export``: ecociv never deletes a
file it did not write (io/atomic.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ecociv.demo import example_scenario
from ecociv.io.atomic import MARKER
from tests.cli_helper import run_ecociv as ecociv

EXAMPLE = example_scenario().parent


def _inputs(folder: Path) -> list[str]:
    folder.mkdir(exist_ok=True)
    for name in ("land_use_synthetic.tif", "carbon_pools_illustrative.csv"):
        shutil.copy(EXAMPLE / name, folder / name)
    return ["--input", f"land_use={folder / 'land_use_synthetic.tif'}",
            "--input", f"carbon_pools={folder / 'carbon_pools_illustrative.csv'}"]


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_model_run_into_its_input_folder_is_refused(capsys, monkeypatch, tmp_path) -> None:
    inputs = tmp_path / "inputs"
    args = _inputs(inputs)
    before = _contents(inputs)
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "carbon", *args, "--out", str(inputs))
    assert code == 2
    assert "already holds files ecociv did not write" in err and "new or empty folder" in err
    assert len(err.strip().splitlines()) == 1
    assert _contents(inputs) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs"]


def test_model_run_into_a_foreign_folder_is_refused(capsys, monkeypatch, tmp_path) -> None:
    args = _inputs(tmp_path / "inputs")
    out = tmp_path / "work"
    out.mkdir()
    (out / "report.docx").write_bytes(b"three weeks of work")
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "carbon", *args, "--out", str(out))
    assert code == 2 and "report.docx" in err
    assert _contents(out) == {"report.docx": b"three weeks of work"}


def test_model_run_replaces_its_earlier_output(capsys, monkeypatch, tmp_path) -> None:
    args = _inputs(tmp_path / "inputs")
    out = tmp_path / "carbon"
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "carbon", *args, "--out", str(out))
    assert code == 0, err
    (out / "my_notes.txt").write_text("keep me")
    first_totals = (out / "carbon_totals.csv").read_text()
    (out / "carbon_totals.csv").unlink()  # the second run must write it again
    code, _, err = ecociv(capsys, monkeypatch, "model", "run", "carbon", *args, "--out", str(out))
    assert code == 0, err
    # a new run replaced the outputs (the manifest's timings may equal the first run's to the ms)
    assert (out / "carbon_totals.csv").read_text() == first_totals
    assert (out / "my_notes.txt").read_text() == "keep me"
    assert {"carbon_density.tif", "carbon_totals.csv", "manifest.json", MARKER} <= {
        p.name for p in out.iterdir()}


def test_data_export_rule(capsys, monkeypatch, tmp_path) -> None:
    out = tmp_path / "export"
    code, _, err = ecociv(capsys, monkeypatch, "data", "export", "--format", "gpkg", "--out", str(out))
    assert code == 0, err
    assert (out / MARKER).is_file()
    code, _, err = ecociv(capsys, monkeypatch, "data", "export", "--format", "gpkg", "--out", str(out))
    assert code == 0, err  # an earlier export is replaced
    foreign = tmp_path / "gis"
    foreign.mkdir()
    (foreign / "project.qgz").write_bytes(b"qgis")
    code, _, err = ecociv(capsys, monkeypatch, "data", "export", "--format", "gpkg", "--out", str(foreign))
    assert code == 2 and "project.qgz" in err
    assert _contents(foreign) == {"project.qgz": b"qgis"}


def test_et0_never_overwrites_a_file_it_did_not_write(capsys, monkeypatch, tmp_path) -> None:
    stations = tmp_path / "stations.csv"
    shutil.copy(EXAMPLE / "stations_synthetic.csv", stations)
    original = stations.read_bytes()
    code, _, err = ecociv(capsys, monkeypatch, "et0", "--stations", str(stations), "--out", str(stations))
    assert code == 2 and "is the station table itself" in err
    assert stations.read_bytes() == original
    other = tmp_path / "budget.csv"
    other.write_text("year,amount\n2020,5\n")
    code, _, err = ecociv(capsys, monkeypatch, "et0", "--stations", str(stations), "--out", str(other))
    assert code == 2 and "exists and is not an ET0 table ecociv wrote" in err
    assert other.read_text() == "year,amount\n2020,5\n"
    out = tmp_path / "et0.csv"
    for _ in range(2):  # an earlier ET0 table is replaced
        code, _, err = ecociv(capsys, monkeypatch, "et0", "--stations", str(stations), "--out", str(out))
        assert code == 0, err
    assert "et0_mm_day" in out.read_text(encoding="utf-8-sig").splitlines()[0]
