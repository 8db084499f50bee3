"""``ecociv land-use validate``: the metrics of three GeoTIFFs as JSON and as tables, class tables
(names and reclassification), a region mask, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ecociv as ecociv_package
from ecociv.models.land_use_change import metrics
from tests.cli_helper import run_ecociv as ecociv

CODES = [1, 2, 3, 4, 5, 6, 7]


def _maps(seed: int = 0, shape: tuple[int, int] = (40, 50)):
    rng = np.random.default_rng(seed)
    initial = rng.integers(1, 8, shape).astype(np.uint8)
    reference = initial.copy()
    flip = rng.random(shape) < 0.2
    reference[flip] = rng.integers(1, 8, int(flip.sum()))
    simulated = initial.copy()
    flip = rng.random(shape) < 0.2
    simulated[flip] = np.where(rng.random(int(flip.sum())) < 0.5, reference[flip],
                               rng.integers(1, 8, int(flip.sum())))
    return initial, simulated, reference


def _args(initial, simulated, reference) -> list[str]:
    return ["land-use", "validate", "--initial", str(initial), "--simulated", str(simulated),
            "--reference", str(reference)]


def _one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_json_has_the_metrics_of_the_maps(capsys, monkeypatch, make_raster) -> None:
    initial, simulated, reference = _maps()
    initial[0, :3] = 255  # nodata of the file: left out
    paths = [make_raster(a, name, nodata=255) for a, name in
             ((initial, "initial"), (simulated, "simulated"), (reference, "reference"))]
    code, out, err = ecociv(capsys, monkeypatch, *_args(*paths), "--json", "--resolutions", "1,2,4")
    assert code == 0, err
    result = json.loads(out)
    keep = np.ones(initial.shape, bool)
    keep[0, :3] = False
    expected = metrics.validate(initial[keep][None], simulated[keep][None], reference[keep][None],
                                CODES)
    for key in ("kappa", "kappa_location", "kappa_histo", "kappa_simulation", "figure_of_merit",
                "hits", "misses", "wrong_hits", "false_alarms", "quantity_disagreement",
                "allocation_disagreement"):
        assert result[key] == pytest.approx(expected[key]), key
    assert result["cells"] == initial.size - 3
    assert [row["resolution"] for row in result["resolutions"]] == [1, 2, 4]
    assert result["files"]["reference"] == str(paths[2])
    assert result["cell_size"] == [30.0, 30.0]


def test_table_output_names_every_metric(capsys, monkeypatch, make_raster) -> None:
    paths = [make_raster(a) for a in _maps(1)]
    code, out, err = ecociv(capsys, monkeypatch, *_args(*paths), "--resolutions", "1,4")
    assert code == 0, err
    for word in ("kappa_location", "kappa_histo", "kappa_simulation", "figure_of_merit",
                 "wrong_hits", "false_alarms", "quantity_disagreement", "allocation_disagreement",
                 "producer's", "multiple resolutions", "120 × 120"):
        assert word in out, word


def test_class_table_reclassifies_sub_classes(capsys, monkeypatch, make_raster, write_csv) -> None:
    # CNLUCC-style two-digit sub-classes: 11, 12 → 1 (cropland); 21, 22 → 2 (forest); 31 → 3
    initial, simulated, reference = (np.where(a <= 2, 1, np.where(a <= 4, 2, 3)).astype(np.uint8)
                                     for a in _maps(2))
    rng = np.random.default_rng(9)

    def detailed(a: np.ndarray) -> np.ndarray:
        sub = rng.integers(1, 3, a.shape)
        return np.where(a == 3, 31, a * 10 + sub).astype(np.uint8)

    paths = [make_raster(detailed(a)) for a in (initial, simulated, reference)]
    table = write_csv("cnlucc.csv", "code,name,to,to_name\n11,paddy,1,cropland\n12,dry land,1,\n"
                      "21,forest,2,forest\n22,shrub,2,\n31,high-cover grassland,3,grassland\n")
    code, out, err = ecociv(capsys, monkeypatch, *_args(*paths), "--classes", str(table), "--json")
    assert code == 0, err
    result = json.loads(out)
    expected = metrics.validate(initial, simulated, reference, [1, 2, 3])
    assert result["kappa"] == pytest.approx(expected["kappa"])
    assert result["figure_of_merit"] == pytest.approx(expected["figure_of_merit"])
    assert [(row["lucode"], row["name"]) for row in result["per_class"]] == [
        (1, "cropland"), (2, "forest"), (3, "grassland")]


def test_mask_limits_the_comparison(capsys, monkeypatch, make_raster) -> None:
    initial, simulated, reference = _maps(3)
    region = np.zeros(initial.shape, np.uint8)
    region[5:30, 10:40] = 1
    paths = [make_raster(a) for a in (initial, simulated, reference)]
    code, out, err = ecociv(capsys, monkeypatch, *_args(*paths), "--mask",
                            str(make_raster(region)), "--json")
    assert code == 0, err
    inside = region == 1
    expected = metrics.validate(initial[inside][None], simulated[inside][None],
                                reference[inside][None], CODES)
    result = json.loads(out)
    assert result["cells"] == int(inside.sum())
    assert result["kappa_simulation"] == pytest.approx(expected["kappa_simulation"])


# --- bad input: one line, exit 2 -----------------------------------------------------------------

def test_maps_on_different_grids(capsys, monkeypatch, make_raster) -> None:
    initial, simulated, reference = _maps(4)
    paths = [make_raster(initial), make_raster(simulated, "sim", res=60.0), make_raster(reference)]
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths)))
    assert str(paths[1]) in line and str(paths[2]) in line
    assert "not on one grid" in line and "cell size (60.0, 60.0) vs (30.0, 30.0)" in line


def test_unknown_class_codes(capsys, monkeypatch, make_raster, write_csv) -> None:
    initial, simulated, reference = _maps(5)
    reference[2, 3] = 9
    paths = [make_raster(a) for a in (initial, simulated, reference)]
    table = write_csv("classes.csv", "code,name\n" + "".join(f"{c},class {c}\n" for c in CODES))
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths), "--classes", str(table)))
    assert str(paths[2]) in line and "code(s) [9] not in the class table" in line
    assert "row 2, col 3" in line


def test_missing_file(capsys, monkeypatch, make_raster, tmp_path) -> None:
    initial, simulated, _ = _maps(6)
    missing = tmp_path / "nowhere.tif"
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(
        make_raster(initial), make_raster(simulated), missing)))
    assert str(missing) in line and "does not exist" in line


def test_continuous_float_map(capsys, monkeypatch, make_raster) -> None:
    initial, simulated, reference = _maps(7)
    continuous = simulated.astype(np.float32) + 0.37
    paths = [make_raster(initial), make_raster(continuous, "ndvi"), make_raster(reference)]
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths)))
    assert str(paths[1]) in line and "non-integer values" in line


def test_float_map_with_class_table(capsys, monkeypatch, make_raster, write_csv) -> None:
    initial, simulated, reference = _maps(7)
    continuous = simulated.astype(np.float32) + 0.5
    paths = [make_raster(initial), make_raster(continuous, "ndvi"), make_raster(reference)]
    table = write_csv("classes.csv", "code\n" + "".join(f"{c}\n" for c in CODES))
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths), "--classes", str(table)))
    assert str(paths[1]) in line and "non-integer values" in line


def test_all_nodata(capsys, monkeypatch, make_raster) -> None:
    initial, simulated, _ = _maps(8)
    empty = np.full(initial.shape, 255, np.uint8)
    paths = [make_raster(initial, nodata=255), make_raster(simulated, nodata=255),
             make_raster(empty, "empty", nodata=255)]
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths)))
    assert "no cell is compared" in line and str(paths[2]) in line


@pytest.mark.parametrize(("text", "message"), [
    ("lucode_x,name\n1,a\n", "no `code` column"),
    ("code,name\n1,a\n1.5,b\n", "line 3, column 'code'"),
    ("code,name\n1,a\n1,b\n", "listed more than once"),
])
def test_bad_class_table(capsys, monkeypatch, make_raster, write_csv, text, message) -> None:
    paths = [make_raster(a) for a in _maps(9)]
    table = write_csv("bad.csv", text)
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths), "--classes", str(table)))
    assert str(table) in line and message in line


@pytest.mark.parametrize("text", ["1,x", "0", "2.5"])
def test_bad_resolutions(capsys, monkeypatch, make_raster, text) -> None:
    paths = [make_raster(a) for a in _maps(10)]
    line = _one_line_error(*ecociv(capsys, monkeypatch, *_args(*paths), "--resolutions", text))
    assert "--resolutions" in line


def test_the_belt_class_table_names_the_classes(capsys, monkeypatch, make_raster) -> None:
    table = Path(ecociv_package.__file__).parent / "data" / "belt" / "land_use_classes.csv"
    paths = [make_raster(a) for a in _maps(11)]
    code, out, err = ecociv(capsys, monkeypatch, *_args(*paths), "--classes", str(table), "--json")
    assert code == 0, err
    names = {row["lucode"]: row["name"] for row in json.loads(out)["per_class"]}
    assert names[1] == "cropland" and names[5] == "built-up" and names[7] == "snow/ice"
