"""``ecociv model run``'s start: the input rasters decoded ahead give the same files as a run
without it, and the run leaves the garbage collector and the read-ahead as it found them, also
when it fails."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from ecociv import read_ahead
from tests.cli_helper import run_ecociv as ecociv

EXAMPLE = Path(__file__).parents[1] / "src" / "ecociv" / "data" / "example"


def _water_yield(out: Path) -> list[str]:
    files = {"precipitation": "precipitation_synthetic.tif", "et0": "et0_synthetic.tif",
             "root_restricting_depth": "root_restricting_depth_synthetic.tif",
             "plant_available_water": "plant_available_water_synthetic.tif",
             "land_use": "land_use_synthetic.tif", "biophysical_table": "biophysical_illustrative.csv",
             "watersheds": "watersheds_synthetic.gpkg"}
    args = ["model", "run", "water_yield", "--param", "seasonality_z=5", "--out", str(out)]
    for name, file in files.items():
        args += ["--input", f"{name}={EXAMPLE / file}"]
    return args


def test_the_same_files_with_and_without_read_ahead(capsys, monkeypatch, tmp_path) -> None:
    started: list[bool] = []
    real_start = read_ahead.start
    monkeypatch.setattr(read_ahead, "start", lambda paths, grid=None: started.append(
        real_start(paths, grid=grid)) or started[-1])
    code, _, err = ecociv(capsys, monkeypatch, *_water_yield(tmp_path / "ahead"))
    assert code == 0, err
    monkeypatch.setenv(read_ahead.BUDGET_ENV, "0")
    code, _, err = ecociv(capsys, monkeypatch, *_water_yield(tmp_path / "plain"))
    assert code == 0, err
    assert started == [True, False]
    for name in ("water_yield.tif", "aet.tif", "aet_fraction.tif", "watershed_results.csv"):
        assert (tmp_path / "ahead" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()


@pytest.mark.parametrize("fails", [False, True])
def test_collector_and_read_ahead_are_left_as_found(capsys, monkeypatch, tmp_path,
                                                    fails: bool) -> None:
    before = gc.get_threshold()
    args = _water_yield(tmp_path / "out")
    if fails:  # a parameter out of its range: the run stops with an input error
        args[args.index("seasonality_z=5")] = "seasonality_z=-1"
    code, _, err = ecociv(capsys, monkeypatch, *args)
    assert code == (2 if fails else 0), err
    assert gc.isenabled() and gc.get_threshold() == before
    assert read_ahead._active is None


def test_manifest_digests_are_those_of_the_files(capsys, monkeypatch, tmp_path) -> None:
    """The COGs are hashed as each is written (``write_rasters(written=...)``): the digests
    the manifest records are those of the finished files."""
    import hashlib
    import json

    code, _, err = ecociv(capsys, monkeypatch, *_water_yield(tmp_path / "out"))
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    for meta in manifest["outputs"].values():
        for name, digest in meta["blake2b"].items():
            data = (tmp_path / "out" / name).read_bytes()
            assert hashlib.blake2b(data, digest_size=16).hexdigest() == digest, name
