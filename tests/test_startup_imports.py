"""Listing and describing models must start quickly: they read the models' light spec modules and
never import the numerical libraries that running a model needs (each costs 0.1–0.5 s to import).
Not timed (``benchmarks/bench_startup.py`` times the commands); this checks what is imported, so
a heavy import at the top of a spec module, ``ecociv.spec`` or the CLI cannot come back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Imported only to run a model (or, for pint, to parse a unit not in ``ecociv.spec.KNOWN_UNITS``).
HEAVY = ("xarray", "dask", "rasterio", "geopandas", "scipy", "matplotlib", "numba", "pandas",
         "shapely", "pyproj", "pint", "numpy")

_PROBE = """
import json, sys
from ecociv.cli.main import main
args, heavy_names, report = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
sys.argv = ["ecociv", *args]
code = 0
try:
    main()
except SystemExit as done:
    code = done.code or 0
heavy = sorted(name for name in sys.modules if name.partition(".")[0] in heavy_names)
with open(report, "w") as out:
    json.dump({"code": code, "heavy": heavy}, out)
"""


def _imports(tmp_path: Path, *args: str) -> dict[str, object]:
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY), str(report)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert report.exists(), done.stderr
    result: dict[str, object] = json.loads(report.read_text())
    assert result["code"] == 0, done.stderr
    return result


@pytest.mark.parametrize("args", [
    ("--version",),
    ("--help",),
    ("models",),
    ("models", "--json"),
    ("model", "describe", "water_yield"),
    ("model", "describe", "habitat_quality", "--json"),
    ("model", "describe", "et0"),
])
def test_listing_and_describing_import_no_numerical_library(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _imports(tmp_path, *args)
    assert result["heavy"] == [], f"`ecociv {' '.join(args)}` imported {result['heavy']}"


def test_the_probe_sees_heavy_imports(tmp_path: Path) -> None:
    # the check can fail: loading a model's code (its model.py, as `ecociv model run` does)
    # imports numpy and pandas, and the probe reports them
    report = tmp_path / "report.json"
    probe = _PROBE.replace("heavy = sorted", "import ecociv.models.carbon.model\nheavy = sorted", 1)
    subprocess.run([sys.executable, "-c", probe, json.dumps(["--version"]), json.dumps(HEAVY), str(report)],
                   capture_output=True, text=True, timeout=120, check=False)
    heavy = json.loads(report.read_text())["heavy"]
    assert "numpy" in heavy and "pandas" in heavy
