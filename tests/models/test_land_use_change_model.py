"""The ``land_use_change`` model end to end: outputs, demand met, levers, restrictions, the
calibration/validation split, a scenario chaining its map into ``carbon``, and every bad input
of the issue (one InputError line each, nothing written)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array, grid_of_array
from ecociv.models.land_use_change.model import MODEL
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from tests.models.land_use_files import write_example_inputs


def _inputs(**changes: Any) -> dict[str, Any]:
    values = dict(MODEL.example())
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def _like(name: str, values: np.ndarray) -> Any:
    grid = grid_of_array(MODEL.example()["land_use"])
    return from_array(values, grid, name=name, units=None, nodata=255)


def test_example_meets_the_markov_demand(tmp_path: Path) -> None:
    run_in_memory(MODEL, _inputs(), tmp_path / "out")
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    # demand in km² of 1 km² cells: rounding to whole cells leaves < 1 cell per class
    assert demand["gap_km2"].abs().max() < 1.0
    final = _read(tmp_path / "out" / "land_use_final.tif")
    np.testing.assert_array_equal(final, _read(tmp_path / "out" / "land_use_2025.tif"))
    areas = pd.read_csv(tmp_path / "out" / "area_by_class.csv")
    last = areas[areas["year"] == 2025].set_index("lucode")["area_km2"]
    assert last[1] == int((final == 1).sum())
    # cropland grew 2015 -> 2020 (radius 6 -> 8 cells) and keeps growing into grassland
    assert last[1] > areas[(areas["year"] == 2020) & (areas["lucode"] == 1)]["area_km2"].item()
    crop = pd.read_csv(tmp_path / "out" / "cropland_area.csv")
    assert crop["change_ha"].iloc[-1] == pytest.approx((last[1] - 175.0) * 100.0)


def test_fitting_reads_only_the_maps_it_is_given(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    """Calibration never sees a validation map: suitability is trained on land_use_previous ->
    land_use, and a later reference map is no input of the model."""
    from ecociv.models.land_use_change import suitability

    seen: list[tuple[np.ndarray, np.ndarray | None]] = []
    real = suitability.fit_suitability

    def spy(drivers: Any, names: Any, initial: Any, codes: Any, **kw: Any) -> Any:
        seen.append((np.asarray(initial), kw.get("final")))
        return real(drivers, names, initial, codes, **kw)

    monkeypatch.setattr(suitability, "fit_suitability", spy)
    example = MODEL.example()
    run_in_memory(MODEL, example, tmp_path / "out")
    previous = np.nan_to_num(example["land_use_previous"].values, nan=-1)
    current = np.nan_to_num(example["land_use"].values, nan=-1)
    first_initial, first_final = seen[0]
    np.testing.assert_array_equal(np.where(first_initial < 0, -1, first_initial), previous)
    assert first_final is not None
    np.testing.assert_array_equal(np.where(np.asarray(first_final) < 0, -1, first_final), current)
    for initial, final in seen[1:]:   # the current-pattern fit of classes that did not grow
        np.testing.assert_array_equal(np.where(initial < 0, -1, initial), current)
        assert final is None
    assert "land_use_reference" not in {i.id for i in MODEL.spec.inputs}


def test_redline_cells_never_change(tmp_path: Path) -> None:
    redline = np.zeros((30, 30))
    redline[:, 12:] = 1
    run_in_memory(MODEL, _inputs(redline=_like("redline", redline)), tmp_path / "out")
    start = MODEL.example()["land_use"].values
    final = _read(tmp_path / "out" / "land_use_final.tif").astype(float)
    inside = (redline == 1) & np.isfinite(start)
    np.testing.assert_array_equal(final[inside], start[inside])
    assert (final != np.nan_to_num(start, nan=-32768)).any()


def test_cropland_reduction_from_low_suitability_cells(tmp_path: Path) -> None:
    classes = pd.DataFrame({"lucode": [1, 3, 5, 6]})   # built-up (5) may be absent from the map
    inputs = _inputs(land_use_previous=None, previous_year=None, classes=classes,
                     levers={"cropland_reduction": {"amount_km2": 20, "where": "low_suitability",
                                                    "to": 3}})
    run_in_memory(MODEL, inputs, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "suitability.tif") as src:
        crop_suitability = src.read(1)
    start = np.nan_to_num(MODEL.example()["land_use"].values, nan=-1)
    final = _read(tmp_path / "out" / "land_use_final.tif")
    lost = (start == 1) & (final != 1)
    kept = (start == 1) & (final == 1)
    assert lost.sum() == 20
    median = np.median(crop_suitability[start == 1])
    assert (crop_suitability[lost] < median).all()
    assert crop_suitability[kept].max() >= median


def test_same_seed_same_map_other_seed_other_map(tmp_path: Path) -> None:
    maps = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        run_in_memory(MODEL, _inputs(seed=seed), tmp_path / name)
        maps.append(_read(tmp_path / name / "land_use_final.tif"))
    np.testing.assert_array_equal(maps[0], maps[1])
    assert (maps[0] != maps[2]).any()


# --- bad input: one InputError each, nothing written ------------------------------------------


def _refused(tmp_path: Path, inputs: dict[str, Any], match: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError, match=match) as info:
        run_in_memory(MODEL, inputs, out)
    assert "\n" not in str(info.value)
    assert not out.exists() or not any(out.iterdir())


def test_demand_larger_than_convertible_cells(tmp_path: Path) -> None:
    # targets leave grassland as it is, so unused land (the absorbing class) gives the 300 km²
    # cropland gains by 2021; desert -> cropland is forbidden: class 1, year 2021, shortfall named
    conversion = pd.DataFrame({"from_lucode": [6], "to_lucode": [1], "allowed": [0]})
    targets = pd.DataFrame({"year": [2020, 2021, 2025], "lucode": [1, 1, 1],
                            "area_km2": [175.0, 475.0, 475.0]})
    _refused(tmp_path, _inputs(conversion=conversion, demand_targets=targets),
             r"class 1, zone 'all', year 2021.*shortfall 300\.000 km2")


def test_constraint_mask_makes_demand_infeasible(tmp_path: Path) -> None:
    redline = np.zeros((30, 30))
    redline[:15, :] = 1   # all grassland and the oasis: cropland can only grow into desert
    conversion = pd.DataFrame({"from_lucode": [6], "to_lucode": [1], "allowed": [0]})
    _refused(tmp_path, _inputs(redline=_like("redline", redline), conversion=conversion),
             r"class 1, zone 'all', year 2021.*shortfall")


def test_maps_on_different_grids(tmp_path: Path) -> None:
    from affine import Affine

    from ecociv.grid.spec import CHINA_ALBERS, GridSpec

    other = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 5000.0, 0, -1000.0, 5_000_000.0),
                              (30, 30))
    shifted = from_array(np.nan_to_num(MODEL.example()["land_use_previous"].values, nan=255),
                         other, name="land_use_previous", units=None, nodata=255)
    _refused(tmp_path, _inputs(land_use_previous=shifted), "land_use_previous")


def test_unknown_class_code_in_a_map(tmp_path: Path) -> None:
    values = np.nan_to_num(MODEL.example()["land_use"].values, nan=255)
    values[3, 4] = 9
    _refused(tmp_path, _inputs(land_use=_like("land_use", values)), r"9")


def test_class_table_missing_a_class(tmp_path: Path) -> None:
    classes = pd.DataFrame({"lucode": [1, 3], "name": ["cropland", "grassland"]})
    _refused(tmp_path, _inputs(classes=classes), r"6")


def test_transition_rows_must_sum_to_one(tmp_path: Path) -> None:
    table = pd.DataFrame({"from_lucode": [1, 3, 3, 6], "to_lucode": [1, 3, 1, 6],
                          "probability": [1.0, 0.8, 0.1, 1.0]})
    _refused(tmp_path, _inputs(land_use_previous=None, previous_year=None,
                               transition_probabilities=table), r"row 1.*sums to 0\.9")


def test_transition_probability_may_not_be_negative(tmp_path: Path) -> None:
    table = pd.DataFrame({"from_lucode": [1, 3, 3, 6], "to_lucode": [1, 3, 1, 6],
                          "probability": [1.0, 1.1, -0.1, 1.0]})
    _refused(tmp_path, _inputs(land_use_previous=None, previous_year=None,
                               transition_probabilities=table), r"probability")


def test_transition_probabilities_drive_the_demand(tmp_path: Path) -> None:
    # 10 % of grassland becomes cropland over 5 years: annual root, 5 steps = the 5-year matrix
    table = pd.DataFrame({"from_lucode": [1, 3, 3, 6], "to_lucode": [1, 3, 1, 6],
                          "probability": [1.0, 0.9, 0.1, 1.0]})
    run_in_memory(MODEL, _inputs(land_use_previous=None, previous_year=None, transition_years=5,
                                 transition_probabilities=table), tmp_path / "out")
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    crop_2025 = demand[(demand["year"] == 2025) & (demand["lucode"] == 1)]["area_km2"].item()
    assert crop_2025 == pytest.approx(175.0 + 0.1 * 274.0, rel=1e-6)


def test_end_year_after_start_year(tmp_path: Path) -> None:
    _refused(tmp_path, _inputs(end_year=2020), "end_year")


# --- a scenario chaining the simulated map into carbon -----------------------------------------


def test_scenario_feeds_the_simulated_map_to_carbon(tmp_path: Path) -> None:
    write_example_inputs(tmp_path)
    pd.DataFrame({"lucode": [1, 3, 6], "c_above": [5.0, 2.0, 0.0], "c_below": [1.0, 3.0, 0.0],
                  "c_soil": [60.0, 40.0, 10.0], "c_dead": [0.5, 0.0, 0.0]}
                 ).to_csv(tmp_path / "pools.csv", index=False)
    (tmp_path / "scenario.yaml").write_text(textwrap.dedent("""
        name: chain
        grid: {reference: land_use.tif}
        models:
          - id: land_use_change
            inputs: {land_use: land_use.tif, land_use_previous: land_use_previous.tif,
                     dem: dem.tif, classes: classes.csv}
            params: {start_year: 2020, end_year: 2025, previous_year: 2015, n_samples: 400}
          - id: carbon
            inputs: {land_use: "@land_use_change.land_use_2025", carbon_pools: pools.csv}
    """))
    result = run_scenario(load_scenario(tmp_path / "scenario.yaml"), base_dir=tmp_path,
                          store=ResultsStore(tmp_path / "store"))
    simulated = _read(result.folder / "land_use_change" / "land_use_2025.tif")
    with rasterio.open(result.folder / "carbon" / "carbon_density.tif") as src:
        density = src.read(1, masked=True).filled(np.nan)
    # total density = above + below + soil + dead (t/ha): cropland 66.5, grassland 45, desert 10
    per_class = {1: 66.5, 3: 45.0, 6: 10.0}
    inside = simulated != -32768
    expected = np.array([per_class[int(c)] for c in simulated[inside]])
    np.testing.assert_allclose(density[inside], expected)
    start = np.nan_to_num(MODEL.example()["land_use"].values, nan=-1)
    assert (simulated == 1).sum() > (start == 1).sum()   # the map carbon read is the simulated one


def test_a_gap_left_is_reported_never_silent(tmp_path: Path) -> None:
    from ecociv.errors import InputWarning

    # half the grassland to cropland each year: one iteration of the automaton cannot place it
    table = pd.DataFrame({"from_lucode": [1, 3, 3, 6], "to_lucode": [1, 3, 1, 6],
                          "probability": [1.0, 0.5, 0.5, 1.0]})
    with pytest.warns(InputWarning, match=r"demand not met in 2021 after 1 iterations"):
        run_in_memory(MODEL, _inputs(land_use_previous=None, previous_year=None, max_iterations=1,
                                     transition_probabilities=table), tmp_path / "out")
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    assert demand["gap_km2"].abs().max() >= 1.0
    assert (demand[demand["year"] > 2020]["iterations"] == 1).all()


def test_belt_strategy1_land_use_step(tmp_path: Path) -> None:
    """The land-use step of the shipped strategy-1 scenario on the Belt (2019 -> 2035): the
    levers' demand is met to the cell, water and snow/ice stay, built-up grows at 1.57 %/yr on
    the Belt zone, and no cell of the grid window outside the Belt changes."""
    import yaml

    from ecociv.demo import belt_scenario
    from ecociv.scenario.schema import parse_scenario

    shipped = belt_scenario().parent / "belt_strategy1_land.yaml"
    doc = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    doc["models"] = [step for step in doc["models"] if step["id"] == "land_use_change"]
    result = run_scenario(parse_scenario(doc, source=str(shipped)), base_dir=shipped.parent,
                          store=ResultsStore(tmp_path / "store"))
    folder = result.folder / "land_use_change"
    demand = pd.read_csv(folder / "demand.csv")
    assert demand["gap_km2"].abs().max() < 1.0          # whole 1 km² cells
    table = pd.read_csv(folder / "area_by_class.csv")
    assert set(table["zone"]) == {"all", "belt"}      # the window and the Belt zone
    areas = table[table["zone"] == "belt"].pivot(index="year", columns="lucode", values="area_km2")
    assert areas.loc[2035, 4] == areas.loc[2019, 4] and areas.loc[2035, 7] == areas.loc[2019, 7]
    assert areas.loc[2035, 5] == pytest.approx(areas.loc[2019, 5] * 1.0157 ** 16, abs=1.0)
    assert areas.loc[2035, 1] == pytest.approx(areas.loc[2019, 1] * 0.95, abs=1.0)
    final = _read(folder / "land_use_final.tif")
    assert (final != _read(folder / "land_use_2025.tif")).any()
    # outside the Belt zone the 2035 map is the 2019 map, cell for cell
    import geopandas as gpd
    import rasterio.features

    from ecociv.region.dataset import load_dataset

    dataset = load_dataset(check=False)
    zone = gpd.read_file(shipped.parent.parent / "strategies" / "belt_zone.gpkg").to_crs(dataset.grid.crs)
    inside = rasterio.features.rasterize(zone.geometry, out_shape=final.shape,
                                         transform=dataset.grid.transform).astype(bool)
    start = _read(Path(dataset.layer("land_use").path))
    changed = ~((final == start) | (np.isnan(final) & np.isnan(start)))
    assert changed[inside].any() and not changed[~inside].any()


def test_demand_is_met_per_zone(tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from ecociv.grid.spec import CHINA_ALBERS

    # west and east halves of the 30 km square (x 0-15 km and 15-30 km)
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_970_000, 15_000, 5_000_000),
                                       box(15_000, 4_970_000, 30_000, 5_000_000)],
                             crs=CHINA_ALBERS)
    run_in_memory(MODEL, _inputs(zones=zones, zone_field="name"), tmp_path / "out")
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    assert set(demand["zone"]) == {"west", "east", "all"}
    assert demand["gap_km2"].abs().max() < 1.0
    final = _read(tmp_path / "out" / "land_use_final.tif")
    areas = pd.read_csv(tmp_path / "out" / "area_by_class.csv")
    last = areas[(areas["year"] == 2025) & (areas["zone"] == "west")].set_index("lucode")
    assert last.loc[1, "area_km2"] == int((final[:, :15] == 1).sum())


@pytest.mark.parametrize("method", ["random_forest", "random_forest_shared"])
def test_forest_suitability_methods_run(tmp_path: Path, method: str) -> None:
    run_in_memory(MODEL, _inputs(method=method), tmp_path / "out")
    demand = pd.read_csv(tmp_path / "out" / "demand.csv")
    assert demand["gap_km2"].abs().max() < 1.0
    contributions = pd.read_csv(tmp_path / "out" / "driver_contributions.csv")
    assert set(contributions["method"]) and not contributions["contribution"].isna().any()
