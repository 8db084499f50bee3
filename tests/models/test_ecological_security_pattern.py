"""`ecological_security_pattern` end to end: sources from importance (true areas, 8-connected
patches, largest N) or polygons, the weighted resistance surface worked by hand, least-cost
corridors of known cost through files, corridor length per zone, the two circuit modes agreeing
where they must, and bad inputs named (resistance ≤ 0 by cell or table line, no patch above the
minimum area, sources outside the grid, geographic grids, weights without data)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_security_pattern.kernels_surface import graded, label_patches, select_sources
from ecociv.models.ecological_security_pattern.model import MODEL, resistance_surface

TOP = 5_000_000.0


def _grid(shape: tuple[int, int], res: float, crs: str = CHINA_ALBERS) -> GridSpec:
    return GridSpec.from_crs(crs, Affine(res, 0, 0, 0, -res, TOP), shape)


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).astype(np.float64).filled(np.nan)


def _cell_box(row: int, col: int, res: float) -> object:
    return box(col * res, TOP - (row + 1) * res, (col + 1) * res, TOP - row * res)


def test_example_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    manifest = run_in_memory(MODEL, MODEL.example(), out)
    assert {"resistance", "cost_distance", "cost_allocation", "current_density", "pinch_points",
            "sources", "corridors", "corridor_table"} <= set(manifest["outputs"])
    corridors = gpd.read_file(out / "corridors.gpkg")
    assert list(corridors.columns[:5]) == ["from_source", "to_source", "cost", "length_m",
                                           "effective_resistance"]
    assert len(gpd.read_file(out / "sources.gpkg")) == 2
    with rasterio.open(out / "current_density.tif") as src:
        assert src.tags()["units"] == "A"


def test_straight_corridor_through_files(tmp_path: Path, make_raster) -> None:
    # 5 × 9 cells of 100 m, uniform resistance 5; sources: the single cells (2, 0) and (2, 8).
    # The least-cost path runs along row 2: 8 steps × 5 × 100 m = 4000 resistance·m, 800 m long.
    # Cost distance along row 2: min(c, 8 - c) × 500
    surface = make_raster(np.full((5, 9), 5.0, dtype="float32"), "r", res=100.0)
    sources = gpd.GeoDataFrame(geometry=[_cell_box(2, 0, 100.0), _cell_box(2, 8, 100.0)], crs=CHINA_ALBERS)
    sources.to_file(tmp_path / "sources.gpkg")
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, TOP - 500, 400, TOP), box(400, TOP - 500, 900, TOP)],
                             crs=CHINA_ALBERS)
    zones.to_file(tmp_path / "zones.gpkg")
    out = tmp_path / "out"
    run_model(MODEL, {"resistance_surface": surface, "sources": tmp_path / "sources.gpkg",
                      "zones": tmp_path / "zones.gpkg"},
              {"zone_field": "name", "corridor_width": 600.0}, out)
    table = pd.read_csv(out / "corridor_table.csv")
    assert table[["from_source", "to_source"]].values.tolist() == [[1, 2]]
    assert table.loc[0, "cost"] == pytest.approx(4000.0)
    assert table.loc[0, "length_m"] == pytest.approx(800.0)
    line = gpd.read_file(out / "corridors.gpkg").geometry[0]
    # cell centres of row 2: y = TOP - 250, x = 50 ... 850
    assert list(line.coords) == [(50.0 + 100 * c, TOP - 250.0) for c in range(9)]
    np.testing.assert_allclose(_read(out / "cost_distance.tif")[2], [min(c, 8 - c) * 500.0 for c in range(9)])
    # corridor line from x = 50 to 850: 350 m west of x = 400, 450 m east
    lengths = pd.read_csv(out / "corridor_length_by_zone.csv").set_index("zone")["corridor_length_km"]
    assert lengths["west"] == pytest.approx(0.35) and lengths["east"] == pytest.approx(0.45)
    polygons = gpd.read_file(out / "sources.gpkg")
    # one 100 m cell = 0.01 km² each (China Albers is equal-area)
    np.testing.assert_allclose(polygons["area_km2"], [0.01, 0.01])
    current = _read(out / "current_density.tif")
    # a source cell carries the whole 1 A (Circuitscape node current at a terminal)
    assert current[2, 0] == pytest.approx(1.0) and current[2, 8] == pytest.approx(1.0)
    pinch = _read(out / "pinch_points.tif")
    assert set(np.unique(pinch)) <= {0.0, 1.0} and pinch.sum() >= 1
    assert np.all(current[pinch == 1] > 0)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["corridors"]["units"]["cost"] == "m"


def test_corridor_circuit_equals_pairwise_when_the_band_is_the_whole_grid(tmp_path: Path) -> None:
    # two sources: with a band wider than the grid the single corridor circuit is the whole-grid
    # pairwise circuit, so currents and effective resistance agree
    grid = _grid((6, 8), 100.0)
    rng = np.random.default_rng(3)
    surface = from_array(rng.uniform(1, 20, (6, 8)), grid, name="resistance_surface")
    sources = gpd.GeoDataFrame(geometry=[_cell_box(1, 1, 100.0), _cell_box(4, 6, 100.0)], crs=CHINA_ALBERS)
    results = {}
    for mode in ("corridors", "pairwise"):
        out = tmp_path / mode
        run_in_memory(MODEL, {"resistance_surface": surface, "sources": sources, "circuit_mode": mode,
                              "corridor_width": 1e9}, out)
        results[mode] = (_read(out / "current_density.tif"), pd.read_csv(out / "corridor_table.csv"))
    np.testing.assert_allclose(results["corridors"][0], results["pairwise"][0], rtol=1e-5)
    assert results["corridors"][1].loc[0, "effective_resistance"] == pytest.approx(
        results["pairwise"][1].loc[0, "effective_resistance"])


def test_resistance_surface_weighted_by_hand() -> None:
    # 1 × 4 cells of 1 km. land use 1, 2, 3 (built-up), 1 -> 10, 100, 1000, 10
    # slope 1, 10, 20, 30° -> default classes (<=2, 6, 15, 25, >25°): 1, 50, 200, 500
    # disturbance 0.1, 0.5, 0.9, 0.3 -> (<=0.2, 0.4, 0.6, 0.8, >0.8): 1, 100, 1000, 10
    # distance to built-up 2000, 1000, 0, 1000 m -> (<=500, 1000, 2000, 5000 m): 100, 200, 500, 200
    # weights 0.4, 0.2, 0.2, 0.2: R = 0.4 LU + 0.2 (S + D + B)
    #   24.4 = 4 + 0.2·102; 110 = 40 + 0.2·350; 740 = 400 + 0.2·1700; 146 = 4 + 0.2·710
    grid = _grid((1, 4), 1000.0)
    inputs = {
        "land_use": from_array(np.array([[1, 2, 3, 1]]), grid, name="land_use", units=None),
        "slope": from_array(np.array([[1.0, 10.0, 20.0, 30.0]]), grid, name="slope"),
        "disturbance": from_array(np.array([[0.1, 0.5, 0.9, 0.3]]), grid, name="disturbance"),
        "resistance_table": pd.DataFrame({"lucode": [1, 2, 3], "resistance": [10.0, 100.0, 1000.0],
                                          "built_up": [0, 0, 1]}),
        "factor_weights": pd.DataFrame({"factor": ["land_use", "slope", "disturbance",
                                                   "distance_to_built_up"],
                                        "weight": [0.4, 0.2, 0.2, 0.2]}),
    }
    np.testing.assert_allclose(resistance_surface(inputs, 1000.0, 1000.0), [[24.4, 110.0, 740.0, 146.0]])
    # without a weights table: equal weights over the four factors
    del inputs["factor_weights"]
    np.testing.assert_allclose(resistance_surface(inputs, 1000.0, 1000.0)[0, 0], (10 + 1 + 1 + 100) / 4)


def test_grading_classes_and_linear() -> None:
    upper, resistance = np.array([2.0, 6.0, 15.0]), np.array([1.0, 10.0, 50.0])
    values = np.array([0.0, 2.0, 2.5, 10.0, 40.0, np.nan])
    np.testing.assert_allclose(graded(values, upper, resistance, "classes"), [1, 1, 10, 50, 50, np.nan])
    # linear: 2.5 -> 1 + 0.5/4·9 = 2.125; 10 -> 10 + 4/9·40 = 27.78; ends clamped
    np.testing.assert_allclose(graded(values, upper, resistance, "linear"),
                               [1, 1, 2.125, 10 + 160 / 9, 50, np.nan])


def test_patches_are_8_connected_with_true_areas_and_the_largest_kept() -> None:
    # 1 km² cells. Patch a: 3 cells joined by a diagonal (8-connectivity); b: 2 cells; c: 1 cell
    mask = np.array([[1, 0, 0, 0, 1],
                     [0, 1, 0, 0, 1],
                     [0, 1, 0, 0, 0],
                     [0, 0, 0, 1, 0]], dtype=bool)
    labels, area = label_patches(mask, np.full((4, 1), 1e6))
    assert sorted(area) == [1.0, 2.0, 3.0]
    sources, kept = select_sources(labels, area, min_area_km2=1.5, max_sources=30)
    np.testing.assert_allclose(kept, [3.0, 2.0])
    assert sources[0, 0] == 1 and sources[2, 1] == 1 and sources[0, 4] == 2 and sources[3, 3] == 0
    sources, kept = select_sources(labels, area, min_area_km2=0.0, max_sources=1)
    assert int(sources.max()) == 1 and kept.tolist() == [3.0]


def test_sources_from_importance_through_the_model(tmp_path: Path) -> None:
    # 1 km cells; importance >= 0.5 in two blocks of 4 and 6 cells, one of 1 cell (too small)
    grid = _grid((6, 10), 1000.0)
    importance = np.zeros((6, 10))
    importance[0:2, 0:2] = 0.8
    importance[3:5, 6:9] = 0.9
    importance[5, 0] = 1.0
    inputs = {"resistance_surface": from_array(np.ones((6, 10)), grid, name="resistance_surface"),
              "importance": from_array(importance, grid, name="importance"),
              "importance_threshold": 0.5, "min_source_area": 2.0, "corridor_width": 2000.0}
    out = tmp_path / "out"
    run_in_memory(MODEL, inputs, out)
    polygons = gpd.read_file(out / "sources.gpkg")
    assert polygons["area_km2"].tolist() == pytest.approx([6.0, 4.0])
    assert polygons["cells"].tolist() == [6, 4]
    allocation = _read(out / "cost_allocation.tif")
    assert allocation[4, 7] == 1 and allocation[0, 0] == 2


def test_walled_off_sources_give_no_corridor(tmp_path: Path) -> None:
    grid = _grid((3, 5), 100.0)
    surface = np.ones((3, 5))
    surface[:, 2] = np.nan
    sources = gpd.GeoDataFrame(geometry=[_cell_box(1, 0, 100.0), _cell_box(1, 4, 100.0)], crs=CHINA_ALBERS)
    out = tmp_path / "out"
    run_in_memory(MODEL, {"resistance_surface": from_array(surface, grid, name="resistance_surface"),
                          "sources": sources}, out)
    assert len(pd.read_csv(out / "corridor_table.csv")) == 0
    assert np.all(np.isnan(_read(out / "cost_distance.tif")[:, 2]))
    assert np.nansum(_read(out / "pinch_points.tif")) == 0


# ------------------------------------------------------------------------------------ bad input

def _uniform_inputs(grid: GridSpec, values: np.ndarray) -> dict:
    sources = gpd.GeoDataFrame(geometry=[_cell_box(0, 0, grid.resolution[0]),
                                         _cell_box(0, grid.cols - 1, grid.resolution[0])], crs=grid.crs)
    return {"resistance_surface": from_array(values, grid, name="resistance_surface"), "sources": sources}


def test_resistance_zero_or_negative_names_the_cell(tmp_path: Path) -> None:
    grid = _grid((3, 4), 100.0)
    values = np.ones((3, 4))
    values[1, 2] = 0.0
    with pytest.raises(InputError, match=r"resistance_surface.*cell \(row 1, col 2\): value 0 not "
                       r"allowed; values must be greater than 0"):
        run_in_memory(MODEL, _uniform_inputs(grid, values), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_negative_table_resistance_names_the_line(tmp_path: Path, make_raster, write_csv) -> None:
    land_use = make_raster(np.array([[1, 2], [1, 1]], dtype="uint8"), "lu", res=100.0)
    table = write_csv("r.csv", "lucode,resistance\n1,10\n2,-5\n")
    importance = make_raster(np.array([[1.0, 0.0], [0.0, 1.0]], dtype="float32"), "imp", res=100.0)
    with pytest.raises(InputError, match=r"resistance_table.*line 3, column 'resistance': value -5 "
                       r"out of range; expected > 0"):
        run_model(MODEL, {"land_use": land_use, "resistance_table": table, "importance": importance},
                  {"importance_threshold": 0.5}, tmp_path / "out")


def test_no_patch_above_the_minimum_area_reports_the_largest(tmp_path: Path) -> None:
    # 1 km cells: patches of 2 and 1 cells (2 km², 1 km²) against a minimum of 5 km²
    grid = _grid((4, 6), 1000.0)
    importance = np.zeros((4, 6))
    importance[0, 0:2] = 1.0
    importance[3, 5] = 1.0
    inputs = {"resistance_surface": from_array(np.ones((4, 6)), grid, name="resistance_surface"),
              "importance": from_array(importance, grid, name="importance"),
              "importance_threshold": 0.5, "min_source_area": 5.0}
    with pytest.raises(InputError) as err:
        run_in_memory(MODEL, inputs, tmp_path / "out")
    message = str(err.value)
    assert "importance" in message and "minimum area 5 km²" in message
    assert "largest of the 2 patches" in message and "covers 2 km²" in message


def test_importance_without_threshold_and_a_single_source(tmp_path: Path) -> None:
    grid = _grid((4, 6), 1000.0)
    importance = np.zeros((4, 6))
    importance[0:2, 0:2] = 1.0
    inputs = {"resistance_surface": from_array(np.ones((4, 6)), grid, name="resistance_surface"),
              "importance": from_array(importance, grid, name="importance"), "min_source_area": 1.0}
    with pytest.raises(InputError, match="importance_threshold"):
        run_in_memory(MODEL, inputs, tmp_path / "a")
    with pytest.raises(InputError, match="only 1 source found; corridors need at least 2"):
        run_in_memory(MODEL, {**inputs, "importance_threshold": 0.5}, tmp_path / "b")


def test_source_polygon_outside_the_grid_is_named(tmp_path: Path) -> None:
    grid = _grid((3, 4), 100.0)
    inputs = _uniform_inputs(grid, np.ones((3, 4)))
    inputs["sources"] = gpd.GeoDataFrame(
        geometry=[_cell_box(0, 0, 100.0), box(10_000, TOP + 10_000, 10_100, TOP + 10_100)], crs=CHINA_ALBERS)
    with pytest.raises(InputError, match=r"vector 'sources'.*feature 2.*lies outside the grid"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_source_polygon_on_impassable_cells_is_named(tmp_path: Path) -> None:
    grid = _grid((3, 4), 100.0)
    values = np.ones((3, 4))
    values[0, 3] = np.nan
    with pytest.raises(InputError, match=r"feature 2.*no passable cell"):
        run_in_memory(MODEL, _uniform_inputs(grid, values), tmp_path / "out")


def test_small_polygon_takes_the_cells_it_touches(tmp_path: Path) -> None:
    # a 20 m square inside cell (1, 3) contains no cell centre: it still becomes that cell
    grid = _grid((3, 4), 100.0)
    inputs = _uniform_inputs(grid, np.ones((3, 4)))
    inputs["sources"] = gpd.GeoDataFrame(
        geometry=[_cell_box(1, 0, 100.0), box(310, TOP - 190, 330, TOP - 170)], crs=CHINA_ALBERS)
    out = tmp_path / "out"
    run_in_memory(MODEL, inputs, out)
    assert _read(out / "cost_allocation.tif")[1, 3] == 2


def test_geographic_grid_is_refused(tmp_path: Path) -> None:
    grid = GridSpec.from_crs("EPSG:4326", Affine(0.01, 0, 86.0, 0, -0.01, 44.0), (3, 4))
    inputs = _uniform_inputs(grid, np.ones((3, 4)))
    inputs["sources"] = gpd.GeoDataFrame(geometry=[box(86.0, 43.99, 86.01, 44.0),
                                                   box(86.03, 43.99, 86.04, 44.0)], crs="EPSG:4326")
    with pytest.raises(InputError, match=r"geographic.*projected"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_weight_for_a_factor_without_data_is_named(tmp_path: Path, make_raster, write_csv) -> None:
    land_use = make_raster(np.array([[1, 1, 1]], dtype="uint8"), "lu", res=100.0)
    importance = make_raster(np.array([[1.0, 0.0, 1.0]], dtype="float32"), "imp", res=100.0)
    weights = write_csv("w.csv", "factor,weight\nland_use,0.7\nslope,0.3\n")
    with pytest.raises(InputError, match=r"factor_weights.*line 3, column 'factor'.*'slope'.*slope raster"):
        run_model(MODEL, {"land_use": land_use, "importance": importance,
                          "resistance_table": write_csv("r.csv", "lucode,resistance\n1,10\n"),
                          "factor_weights": weights},
                  {"importance_threshold": 0.5, "min_source_area": 0}, tmp_path / "out")


def test_resistance_surface_and_factors_together_are_refused(tmp_path: Path) -> None:
    grid = _grid((3, 4), 100.0)
    inputs = _uniform_inputs(grid, np.ones((3, 4)))
    inputs["slope"] = from_array(np.zeros((3, 4)), grid, name="slope")
    with pytest.raises(InputError, match="either resistance_surface or the factors"):
        run_in_memory(MODEL, inputs, tmp_path / "out")


def test_land_use_code_missing_from_the_table_is_named(tmp_path: Path) -> None:
    grid = _grid((2, 3), 100.0)
    inputs = {"land_use": from_array(np.array([[1, 1, 7], [1, 1, 1]]), grid, name="land_use", units=None),
              "resistance_table": pd.DataFrame({"lucode": [1], "resistance": [10.0]}),
              "sources": gpd.GeoDataFrame(geometry=[_cell_box(0, 0, 100.0), _cell_box(1, 2, 100.0)],
                                          crs=CHINA_ALBERS)}
    with pytest.raises(InputError, match=r"land_use.*cell \(row 0, col 2\).*\[7\] not found in resistance_table"):
        run_in_memory(MODEL, inputs, tmp_path / "out")
