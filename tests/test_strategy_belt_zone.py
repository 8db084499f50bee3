"""The strategies' land levers act on the Belt only: every strategy file gives ``land_use_change``
the Belt as its zone (``belt_zone.gpkg``, the union of the dataset's member units), so the demand
and its levers are computed on the Belt's cells and cells outside it never change."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from ecociv.errors import InputWarning
from ecociv.strategies.belt_zone import BELT_ZONE, ZONE_FIELD, dissolve_units, shipped_path
from ecociv.strategies.catalog import STRATEGIES

LAND_LEVER_AMOUNTS = ("construction_land_cap", "oasis_area_cap")   # km2 levers: keyed by zone


def _belt_folder() -> Path:
    from importlib.resources import as_file, files

    with as_file(files("ecociv") / "data" / "belt") as path:
        return Path(path)


def _burn(layer: Any, shape: tuple[int, int], transform: Any) -> np.ndarray:
    from rasterio.features import rasterize

    return rasterize([(g, i + 1) for i, g in enumerate(layer.geometry)], out_shape=shape,
                     transform=transform, fill=0, dtype="int32")


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _land_step(doc: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in doc["models"] if m["id"] == "land_use_change")


def test_the_belt_zone_covers_exactly_the_cells_of_the_belt_units() -> None:
    import geopandas as gpd

    belt = _belt_folder()
    zone = gpd.read_file(shipped_path())
    units = gpd.read_file(belt / "units.gpkg", layer="counties")
    assert list(zone[ZONE_FIELD]) == [BELT_ZONE]
    with rasterio.open(belt / "land_use.tif") as src:
        shape, transform = src.shape, src.transform
    in_zone = _burn(zone.to_crs(units.crs), shape, transform) > 0
    in_units = _burn(units, shape, transform) > 0
    # stale file (units rebuilt) -> cells differ: regenerate with python -m ecociv.strategies.belt_zone
    assert np.array_equal(in_zone, in_units)
    assert 0 < in_zone.sum() < in_zone.size   # the window is larger than the Belt
    assert np.array_equal(_burn(dissolve_units(units), shape, transform) > 0, in_units)


@pytest.mark.parametrize("strategy", STRATEGIES, ids=[s.id for s in STRATEGIES])
def test_every_strategy_simulates_land_use_on_the_belt_zone(strategy) -> None:
    doc = _load(strategy.path)
    step = _land_step(doc)
    assert (strategy.path.parent / step["inputs"]["zones"]).resolve() == shipped_path().resolve()
    assert step["params"]["zone_field"] == ZONE_FIELD
    levers = (doc.get("levers") or {}).get("land_use") or {}
    for key in LAND_LEVER_AMOUNTS:   # an amount is the Belt's, keyed by the Belt zone
        if key in levers:
            assert isinstance(levers[key], dict) and set(levers[key]) == {BELT_ZONE}, key


def test_s1_oasis_cap_is_the_belts_2019_oasis_on_the_map() -> None:
    # "no net oasis expansion": the cap is the Belt's cropland (1) + built-up (5) of the 2019 map,
    # counted on the Belt's cells (1 km cells: cells = km2), not on the grid window
    import geopandas as gpd

    belt = _belt_folder()
    units = gpd.read_file(belt / "units.gpkg", layer="counties")
    with rasterio.open(belt / "land_use.tif") as src:
        land = src.read(1)
        inside = _burn(units, src.shape, src.transform) > 0
        cell_km2 = abs(src.transform.a * src.transform.e) / 1e6
    oasis_belt = float(np.isin(land[inside], (1, 5)).sum()) * cell_km2
    oasis_window = float(np.isin(land, (1, 5)).sum()) * cell_km2
    for strategy in STRATEGIES:
        cap = ((_load(strategy.path).get("levers") or {}).get("land_use") or {}).get("oasis_area_cap")
        if cap is not None:
            assert cap[BELT_ZONE] == pytest.approx(oasis_belt, abs=1.0), strategy.id
            assert cap[BELT_ZONE] < 0.6 * oasis_window


def _write_window(folder: Path) -> None:
    """A 10 × 20 window of 1 km cells (China Albers); the zone is its west half (columns 0-9).

    West half (100 cells): rows 0-3 cropland (1, 40 cells), row 4 built-up (5, 10), rows 5-9
    unused (6, 50). East half: rows 0-2 cropland (30), rows 3-4 grassland (3, 20), rows 5-9 unused
    (50). Elevation rises to the south and east (a suitability driver)."""
    import geopandas as gpd
    from affine import Affine
    from shapely.geometry import box

    from ecociv.grid.spec import CHINA_ALBERS

    ny, nx = 10, 20
    transform = Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0)
    land = np.full((ny, nx), 6, np.float32)
    land[0:4, 0:10] = 1
    land[4, 0:10] = 5
    land[0:3, 10:20] = 1
    land[3:5, 10:20] = 3
    rows, cols = np.mgrid[0:ny, 0:nx]
    dem = (500.0 + 30.0 * rows + 7.0 * cols + 5.0 * ((rows * 7 + cols * 3) % 5)).astype(np.float32)
    for name, values, nodata in (("land_use", land, 255), ("dem", dem, None)):
        with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=nx, height=ny, count=1,
                           dtype="float32", crs=CHINA_ALBERS, transform=transform, nodata=nodata) as dst:
            dst.write(values, 1)
    pd.DataFrame({"lucode": [1, 3, 5, 6], "name": ["cropland", "grassland", "built-up", "unused"]}
                 ).to_csv(folder / "classes.csv", index=False)
    gpd.GeoDataFrame({"zone": ["west"]}, geometry=[box(0, 4_990_000, 10_000, 5_000_000)],
                     crs=CHINA_ALBERS).to_file(folder / "zone.gpkg", driver="GPKG")


def test_strategy_land_levers_act_on_the_zone_only(tmp_path: Path) -> None:
    from ecociv.scenario.runner import run_scenario
    from ecociv.scenario.schema import load_scenario
    from ecociv.scenario.store import ResultsStore

    _write_window(tmp_path)
    (tmp_path / "strategy.yaml").write_text(textwrap.dedent("""
        name: zone_only
        grid: {reference: land_use.tif}
        models:
          - id: land_use_change
            inputs: {land_use: land_use.tif, dem: dem.tif, classes: classes.csv, zones: zone.gpkg}
            params: {start_year: 2020, end_year: 2022, zone_field: zone, n_samples: 400, seed: 3,
                     max_iterations: 400, seed_coefficient: 1.0}
        levers:
          land_use:
            urban_growth_rate: 10
            cropland_reduction: {share: 0.25, to: 3}
            oasis_area_cap: {west: 40}
    """), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputWarning)   # a demand left unmet would fail the run
        result = run_scenario(load_scenario(tmp_path / "strategy.yaml"), base_dir=tmp_path,
                              store=ResultsStore(tmp_path / "store"))
    folder = result.folder / "land_use_change"
    # Demand worked by hand on the zone's 100 cells (1 km2 each), 2020 -> 2022:
    #   built-up  10 x 1.10^2                         = 12.1 (from unused, the first balancing class)
    #   cropland  40 - 0.25 x 40                      = 30.0, the 10 km2 to grassland
    #   oasis     30.0 + 12.1 = 42.1 > cap 40: 2.1 more cropland to unused -> cropland 27.9
    #   unused    50 - 2.1 + 2.1                      = 50.0;  grassland 10.0
    # On the whole window the same levers would take 25 % of 70 km2 of cropland and cap an oasis of
    # 80 km2 at 40: the demand below is the zone's only.
    expected = {1: 27.9, 3: 10.0, 5: 12.1, 6: 50.0}
    demand = pd.read_csv(folder / "demand.csv", dtype={"zone": str})
    final = demand[(demand["year"] == 2022)]
    assert set(final["zone"]) == {"west", "all"}
    for zone in ("west", "all"):   # 'all' is the sum of the zones: the zone alone
        rows = final[final["zone"] == zone].set_index("lucode")["area_km2"]
        for code, area in expected.items():
            assert rows[code] == pytest.approx(area, abs=1e-9), (zone, code)
    # whole cells per class (largest remainder: 27.9 -> 28, 12.1 -> 12): met exactly in the zone
    with rasterio.open(tmp_path / "land_use.tif") as src:
        start = src.read(1)
    with rasterio.open(folder / "land_use_final.tif") as src:
        end = src.read(1)
    west = end[:, :10]
    assert {c: int((west == c).sum()) for c in expected} == {1: 28, 3: 10, 5: 12, 6: 50}
    # cells outside the zone never change
    assert np.array_equal(end[:, 10:], start[:, 10:])
    assert not np.array_equal(west, start[:, :10])


@pytest.mark.slow
def test_s1_on_the_belt_changes_no_cropland_outside_the_belt_counties(tmp_path: Path) -> None:
    # S1's land step as shipped (zones, levers), without its red-line input (computed by five other
    # steps; it only restricts cells further), on the embedded Belt dataset, 2019 -> 2035
    import geopandas as gpd

    from ecociv.scenario.runner import run_scenario
    from ecociv.scenario.schema import load_scenario
    from ecociv.scenario.store import ResultsStore

    s1 = next(s for s in STRATEGIES if s.id == "S1")
    doc = _load(s1.path)
    step = _land_step(doc)
    del step["inputs"]["redline"]
    step["inputs"]["zones"] = str(shipped_path())
    step["params"]["output_years"] = "2035"
    small = {key: doc[key] for key in ("name", "dataset", "years")}
    small["models"] = [step]
    small["levers"] = {"land_use": doc["levers"]["land_use"]}
    (tmp_path / "s1_land.yaml").write_text(yaml.safe_dump(small, allow_unicode=True), encoding="utf-8")
    result = run_scenario(load_scenario(tmp_path / "s1_land.yaml"), base_dir=tmp_path,
                          store=ResultsStore(tmp_path / "store"))
    folder = result.folder / "land_use_change"
    crop = pd.read_csv(folder / "cropland_area.csv", dtype={"zone": str})
    end = crop[crop["year"] == 2035]
    window = float(end.loc[end["zone"] == "all", "change_ha"].iloc[0])
    counties = float(end.loc[end["zone"] != "all", "change_ha"].sum())
    assert window - counties == pytest.approx(0.0, abs=1e-6)      # nothing outside the Belt counties
    # 5 % of the Belt's 2019 cropland (the map's 23 024 km2 in the Belt at the time of writing)
    start = crop[crop["year"] == 2019]
    belt_2019 = float(start.loc[start["zone"] != "all", "cropland_km2"].sum())
    assert counties == pytest.approx(-0.05 * belt_2019 * 100.0, abs=100.0)   # ha; one cell = 100 ha
    # and no cell outside the Belt changed class
    belt = _belt_folder()
    units = gpd.read_file(belt / "units.gpkg", layer="counties")
    with rasterio.open(belt / "land_use.tif") as src:
        before = src.read(1)
        inside = _burn(units, src.shape, src.transform) > 0
    with rasterio.open(folder / "land_use_final.tif") as src:
        after = src.read(1)
    data = before != 255
    assert np.array_equal(after[~inside & data], before[~inside & data])
    assert (after[inside & data] != before[inside & data]).any()


def test_writing_the_zone_replaces_its_own_file_and_never_a_foreign_one(tmp_path: Path) -> None:
    import geopandas as gpd

    from ecociv.errors import OutputError
    from ecociv.strategies.belt_zone import write_belt_zone

    out = write_belt_zone(_belt_folder(), tmp_path / "zone.gpkg")
    again = write_belt_zone(_belt_folder(), out)            # its own file: replaced
    assert list(gpd.list_layers(again)["name"]) == [BELT_ZONE]
    notes = tmp_path / "notes.gpkg"
    notes.write_text("my notes", encoding="utf-8")
    with pytest.raises(OutputError, match="not a Belt zone file"):
        write_belt_zone(_belt_folder(), notes)
    assert notes.read_text(encoding="utf-8") == "my notes"
    other = tmp_path / "other.gpkg"                           # a GeoPackage with another layer
    gpd.read_file(out).to_file(other, driver="GPKG", layer="mine")
    with pytest.raises(OutputError, match=str(other)):
        write_belt_zone(_belt_folder(), other)
    assert list(gpd.list_layers(other)["name"]) == ["mine"]
