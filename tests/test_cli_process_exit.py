"""The ``ecociv`` script's start and end: a model run's inputs start decoding before the
command-line parser is set up (``read_ahead.start_for_command``), and after ``model run`` the
process ends without the interpreter's teardown (``ecociv.cli.process``), with every file,
thread, ``atexit`` function and output stream finished as a normal exit leaves them."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

from ecociv import read_ahead
from ecociv.grid.spec import CHINA_ALBERS


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], str | None]]:
    calls: list[tuple[list[str], str | None]] = []

    def fake_start(paths: Any, grid: str | None = None) -> bool:
        calls.append((list(paths), grid))
        return True

    monkeypatch.setattr(read_ahead, "start", fake_start)
    return calls


@pytest.mark.parametrize("argv, paths, grid", [
    (["model", "run", "water_yield", "--input", "land_use=a.tif", "-i", "et0=b.tif",
      "--input=precipitation=c.tif", "-iroot_restricting_depth=d.tif", "--out", "o"],
     ["a.tif", "b.tif", "c.tif", "d.tif"], None),
    (["model", "run", "carbon", "--grid", "g.tif", "--input", "land_use=a.tif", "--out", "o"],
     ["a.tif"], "g.tif"),
    (["model", "run", "carbon", "--grid=g.tif", "--input", "land_use=a.tif", "--", "-i",
      "x=y.tif"], ["a.tif"], "g.tif"),
])
def test_the_inputs_of_a_model_run_are_found_on_the_raw_command_line(
        started: list[tuple[list[str], str | None]], argv: list[str], paths: list[str],
        grid: str | None) -> None:
    assert read_ahead.start_for_command(argv)
    assert started == [(paths, grid)]


@pytest.mark.parametrize("argv", [
    ["models"],
    ["model", "describe", "water_yield"],
    ["run", "scenario.yaml"],
    ["model", "run", "carbon", "--input", "land_use=a.tif", "--scheduler", "tcp://h:8786"],
    ["model", "run", "carbon", "--input", "land_use=a.tif", "--align"],
    ["model", "run", "carbon", "--scheduler=tcp://h:8786", "--input", "land_use=a.tif"],
])
def test_no_read_ahead_for_other_commands_or_runs_that_resample_or_run_elsewhere(
        started: list[tuple[list[str], str | None]], argv: list[str]) -> None:
    assert not read_ahead.start_for_command(argv)
    assert started == []


def _land_use(path: Path) -> Path:
    codes = np.random.default_rng(7).integers(1, 4, size=(600, 500)).astype("uint8")
    codes[:5, :5] = 255
    with rasterio.open(path, "w", driver="GTiff", width=500, height=600, count=1, dtype="uint8",
                       crs=CHINA_ALBERS, transform=Affine(30, 0, 0, 0, -30, 5_000_000), nodata=255,
                       tiled=True, blockxsize=256, blockysize=256, compress="lzw") as dst:
        dst.write(codes, 1)
    return path


def test_a_run_as_a_process_writes_the_same_files_as_one_in_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import ecociv
    from ecociv.cli.main import main

    land_use = _land_use(tmp_path / "land_use.tif")  # LZW: decoded ahead in the process
    pools = Path(ecociv.__file__).parent / "data" / "example" / "carbon_pools_illustrative.csv"
    args = ["model", "run", "carbon", "--input", f"land_use={land_use}", "--input",
            f"carbon_pools={pools}"]
    done = subprocess.run([sys.executable, "-m", "ecociv.cli.main", *args, "--out",
                           str(tmp_path / "process")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"carbon: wrote 2 output(s) to {tmp_path / 'process'}")
    assert done.stdout.endswith(".csv  (table)\n")  # the last line, flushed before the exit
    monkeypatch.setattr(sys, "argv", ["ecociv", *args, "--out", str(tmp_path / "inside")])
    main()  # in-process: returns (no exit of the test's process)
    capsys.readouterr()
    names = sorted(p.name for p in (tmp_path / "inside").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "process").iterdir())
    assert "manifest.json" in names and any(name.endswith(".tif") for name in names)
    manifest = json.loads((tmp_path / "process" / "manifest.json").read_text())
    assert set(manifest["outputs"]) == {"carbon_density", "carbon_totals"}
    for name in names:
        if name != "manifest.json" and not name.startswith("."):  # the folder's own token
            assert filecmp.cmp(tmp_path / "inside" / name, tmp_path / "process" / name,
                               shallow=False), name
    assert not list(tmp_path.glob(".*"))  # no unfinished folder left


_FAST_EXIT = """
import atexit, sys, threading, time
from pathlib import Path
from ecociv.cli.process import exit_now

folder = Path(sys.argv[1])
def late_writer():
    time.sleep(0.3)
    (folder / "thread.txt").write_text("done")
threading.Thread(target=late_writer).start()
atexit.register(lambda: (folder / "atexit.txt").write_text("ran"))
sys.stdout.write("x" * 200_000)
sys.stderr.write("last words")
exit_now(3)
"""


def test_the_exit_waits_for_threads_runs_atexit_and_flushes_the_streams(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", _FAST_EXIT, str(tmp_path)], capture_output=True,
                          text=True)
    assert done.returncode == 3
    assert done.stdout == "x" * 200_000
    assert done.stderr == "last words"
    assert (tmp_path / "thread.txt").read_text() == "done"
    assert (tmp_path / "atexit.txt").read_text() == "ran"
