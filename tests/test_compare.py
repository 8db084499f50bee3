"""``ecociv compare`` on hand-made pairs of runs: numbers equal the runs' own tables, changes
against the baseline computed by hand, difference maps, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin

from ecociv.cli.main import main
from ecociv.errors import InputError
from ecociv.strategies.compare import compare_runs
from ecociv.strategies.indicators import run_indicators

GRID = {"crs": "EPSG:3857", "transform": [1000.0, 0, 0, 0, -1000.0, 3000.0], "shape": [3, 3]}


def _basin_summary(supply: dict[str, float], shortage: dict[str, float]) -> pd.DataFrame:
    rows = []
    for basin in supply:
        rows.append({"basin": basin, "sector": "agriculture", "demand_1e8m3_per_yr": 9.0,
                     "supply_1e8m3_per_yr": 1.0, "shortage_1e8m3_per_yr": 0.0})
        rows.append({"basin": basin, "sector": "all", "demand_1e8m3_per_yr": supply[basin] + shortage[basin],
                     "supply_1e8m3_per_yr": supply[basin], "shortage_1e8m3_per_yr": shortage[basin],
                     "groundwater_overdraft_1e8m3_per_yr": 0.5})
    return pd.DataFrame(rows)


def _run(root: Path, name: str, supply: dict[str, float], shortage: dict[str, float],
         raster: np.ndarray | None = None, *, grid: dict = GRID, status: str = "completed") -> Path:
    """A run folder as the store writes it: manifest, a water_allocation step with basin_summary
    and lakes tables, optionally a step with one float raster output."""
    folder = root / name
    steps = [{"name": "water_allocation", "model": "water_allocation", "cached": False}]
    (folder / "water_allocation").mkdir(parents=True)
    _basin_summary(supply, shortage).to_csv(folder / "water_allocation" / "basin_summary.csv", index=False)
    pd.DataFrame({"month": ["2000-01", "2000-02"], "lake": ["ebinur_lake"] * 2,
                  "area_km2": [500.0, 520.0 + sum(supply.values())]}).to_csv(
        folder / "water_allocation" / "lakes.csv", index=False)
    if raster is not None:
        step = folder / "water_yield"
        step.mkdir()
        with rasterio.open(step / "water_yield.tif", "w", driver="GTiff", width=3, height=3, count=1,
                           dtype="float32", crs="EPSG:3857", transform=from_origin(0, 3000, 1000, 1000),
                           nodata=-1.0) as dst:
            dst.write(raster.astype("float32"), 1)
            dst.update_tags(units="mm/yr")
        (step / "manifest.json").write_text(json.dumps(
            {"outputs": {"water_yield": {"path": "water_yield.tif", "units": "mm/yr"}}}))
        steps.append({"name": "water_yield", "model": "water_yield", "cached": False})
    manifest = {"run_id": name, "status": status, "scenario": {"name": name, "dataset": None},
                "grid": grid, "steps": steps}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    base = _run(tmp_path, "base", {"north": 10.0, "south": 4.0}, {"north": 2.0, "south": 1.0},
                np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]))
    strategy = _run(tmp_path, "capped", {"north": 8.0, "south": 4.5}, {"north": 4.0, "south": 0.5},
                    np.array([[1, 2, 3], [4, 7, 6], [7, 8, 6]]))
    return base, strategy


def test_indicators_equal_the_runs_own_tables(pair) -> None:
    base, _ = pair
    table = run_indicators(base).set_index(["level", "area", "indicator"])["value"]
    summary = pd.read_csv(base / "water_allocation" / "basin_summary.csv")
    total = summary[summary["sector"] == "all"].set_index("basin")
    for basin in ("north", "south"):
        assert table[("basin", basin, "water_delivered")] == total.loc[basin, "supply_1e8m3_per_yr"]
        assert table[("basin", basin, "water_shortage")] == total.loc[basin, "shortage_1e8m3_per_yr"]
    # Belt = sum over the basins' 'all' rows (not the sector rows): 10 + 4
    assert table[("belt", "Belt", "water_delivered")] == pytest.approx(14.0)
    # mean lake area over the months: (500 + 534) / 2
    assert table[("belt", "Belt", "ebinur_lake_area_mean")] == pytest.approx(517.0)


def test_changes_against_the_baseline_are_computed_right(pair, tmp_path) -> None:
    written = compare_runs(list(pair), tmp_path / "cmp")
    table = pd.read_csv(written["indicators"], encoding="utf-8-sig")
    row = table[(table["run"] == "capped") & (table["level"] == "belt")
                & (table["indicator"] == "water_delivered")].iloc[0]
    # capped delivers 8 + 4.5 = 12.5 against 14: change -1.5, -10.714 %
    assert row["value"] == pytest.approx(12.5)
    assert row["baseline"] == pytest.approx(14.0)
    assert row["change"] == pytest.approx(-1.5)
    assert row["change_percent"] == pytest.approx(-150 / 14)
    south = table[(table["run"] == "capped") & (table["area"] == "south")
                  & (table["indicator"] == "water_shortage")].iloc[0]
    assert south["change"] == pytest.approx(-0.5)
    moves = pd.read_csv(written["moves_most"], encoding="utf-8-sig").set_index("indicator")
    assert moves.loc["water_shortage", "run"] == "capped"
    assert moves.loc["water_shortage", "change"] == pytest.approx(1.5)  # 4.5 against 3
    assert written["workbook"].is_file() and written["trade_off"].is_file()
    sheets = pd.ExcelFile(written["workbook"]).sheet_names
    assert {"indicators", "belt", "basins", "moves_most"} <= set(sheets)


def test_difference_map_of_a_raster_in_both_runs(pair, tmp_path) -> None:
    written = compare_runs(list(pair), tmp_path / "cmp")
    maps = pd.read_csv(written["difference_maps"], encoding="utf-8-sig")
    assert list(maps["raster"]) == ["water_yield/water_yield"]
    # capped − base: +2 at the centre, −3 at the lower right corner
    assert maps["sum_positive"].iloc[0] == pytest.approx(2.0)
    assert maps["sum_negative"].iloc[0] == pytest.approx(-3.0)
    assert maps["max_abs"].iloc[0] == pytest.approx(3.0)
    assert (tmp_path / "cmp" / maps["map"].iloc[0]).is_file()
    with rasterio.open(tmp_path / "cmp" / "difference_maps" / "capped_water_yield__water_yield.tif") as src:
        np.testing.assert_array_equal(src.read(1), [[0, 0, 0], [0, 2, 0], [0, 0, -3]])


def test_a_failed_run_of_a_set_is_listed(pair, tmp_path) -> None:
    base, strategy = pair
    folder = tmp_path / "store" / "strategy-sets" / "one"
    folder.mkdir(parents=True)
    entries = [{"id": "BAU", "scenario_file": "bau.yaml", "status": "completed", "folder": str(base)},
               {"id": "S4", "scenario_file": "s4.yaml", "status": "failed", "error": "cap below minimum"},
               {"id": "S2", "scenario_file": "s2.yaml", "status": "completed", "folder": str(strategy)}]
    (folder / "strategy_set.json").write_text(json.dumps({"entries": entries}))
    written = compare_runs([folder], tmp_path / "cmp", maps=False)
    failed = pd.read_csv(written["failed"], encoding="utf-8-sig")
    assert failed.to_dict("records") == [{"run": "S4", "error": "cap below minimum"}]
    table = pd.read_csv(written["indicators"], encoding="utf-8-sig")
    assert set(table["run"]) == {"BAU", "S2"}


def test_runs_on_different_grids_are_refused(tmp_path) -> None:
    base = _run(tmp_path, "a", {"north": 1.0}, {"north": 0.0})
    other = _run(tmp_path, "b", {"north": 1.0}, {"north": 0.0}, grid={**GRID, "shape": [4, 3]})
    with pytest.raises(InputError, match="different grids"):
        compare_runs([base, other], tmp_path / "cmp")


def test_missing_and_unfinished_runs_are_refused(tmp_path) -> None:
    base = _run(tmp_path, "a", {"north": 1.0}, {"north": 0.0})
    with pytest.raises(InputError, match="does not exist"):
        compare_runs([base, tmp_path / "nowhere"], tmp_path / "cmp")
    failed = _run(tmp_path, "f", {"north": 1.0}, {"north": 0.0}, status="failed")
    with pytest.raises(InputError, match="did not complete"):
        compare_runs([base, failed], tmp_path / "cmp")
    with pytest.raises(InputError, match="not a run folder"):
        compare_runs([base, tmp_path], tmp_path / "cmp")


def test_cli_prints_one_line_for_a_missing_run(tmp_path, capsys) -> None:
    base = _run(tmp_path, "a", {"north": 1.0}, {"north": 0.0})
    with pytest.raises(SystemExit) as done:
        main(["compare", str(base), str(tmp_path / "gone"), "--out", str(tmp_path / "cmp")])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "gone" in err and "\n" not in err


def test_esv_of_the_scenario_map_is_summed_over_units(tmp_path) -> None:
    base = _run(tmp_path, "a", {"north": 1.0}, {"north": 0.0})
    step = base / "eco_compensation"
    step.mkdir()
    pd.DataFrame({"unit": ["650100", "650200"], "esv_yuan": [10.0, 20.0],
                  "esv_scenario_yuan": [12.0, 19.0]}).to_csv(step / "esv_by_unit.csv", index=False)
    manifest = json.loads((base / "manifest.json").read_text())
    manifest["steps"].append({"name": "eco_compensation", "model": "eco_compensation"})
    (base / "manifest.json").write_text(json.dumps(manifest))
    table = run_indicators(base).set_index(["level", "area", "indicator"])["value"]
    # the scenario map's ESV (not the baseline map's): 12 + 19
    assert table[("belt", "Belt", "esv")] == pytest.approx(31.0)
    assert table[("unit", "650100", "esv")] == pytest.approx(12.0)


def test_summary_tables_give_prefecture_and_belt_rows_with_units(tmp_path) -> None:
    base = _run(tmp_path, "a", {"north": 1.0}, {"north": 0.0})
    summary = base / "summary"
    summary.mkdir()
    pd.DataFrame({"prefecture_adcode": ["650100", "total"], "prefecture_zh": ["乌鲁木齐市", "合计"],
                  "prefecture_en": ["Urumqi", "Belt total"], "units": [7, 7], "area_km2": [1.0, 1.0],
                  "water_yield_1e8m3": [3.5, 3.5]}).to_csv(summary / "prefectures.csv", index=False)
    (summary / "columns.json").write_text(json.dumps({"water_yield_1e8m3": "water yield volume (10⁸ m³/yr)"}))
    table = run_indicators(base).set_index(["level", "area", "indicator"])
    assert table.loc[("prefecture", "650100", "water_yield_1e8m3"), "value"] == 3.5
    assert table.loc[("belt", "Belt", "water_yield_1e8m3"), "units"] == "10⁸ m³/yr"
    assert ("prefecture", "650100", "area_km2") not in table.index  # bookkeeping, not an indicator


def test_every_market_step_gives_price_volume_and_saving(tmp_path) -> None:
    """Two rights_market steps (a CO2 market over the whole region, a water market per basin): the
    clearing table's numbers per zone group, volumes and savings summed for the Belt, and no summed
    price where several zone groups clear at their own prices."""
    base = _run(tmp_path, "a", {"north": 1.0}, {"north": 0.0})
    manifest = json.loads((base / "manifest.json").read_text())
    columns = ["market", "zone_group", "rule", "quantity_unit", "price", "traded_volume", "saving"]
    for step, rows in (("rights_market", [["CO2", "all", "grandfathering", "t", 219.0, 5.0, 7.0]]),
                       ("water_rights_market", [["water", "north", "given", "m**3", 0.5, 3e7, 2e6],
                                                ["water", "south", "given", "m**3", 1.2, 1e7, 4e6]])):
        (base / step).mkdir()
        pd.DataFrame(rows, columns=columns).to_csv(base / step / "clearing.csv", index=False)
        manifest["steps"].append({"name": step, "model": "rights_market"})
    (base / "manifest.json").write_text(json.dumps(manifest))
    table = run_indicators(base).set_index(["level", "area", "indicator"])
    assert table.loc[("belt", "Belt", "co2_market_price"), "value"] == 219.0
    assert table.loc[("belt", "Belt", "co2_market_price"), "units"] == "yuan/t"
    assert table.loc[("basin", "south", "water_market_price"), "value"] == 1.2
    assert table.loc[("basin", "north", "water_market_traded"), "units"] == "m**3/yr"
    assert table.loc[("belt", "Belt", "water_market_traded"), "value"] == pytest.approx(4e7)
    assert table.loc[("belt", "Belt", "water_market_saving"), "value"] == pytest.approx(6e6)
    assert ("belt", "Belt", "water_market_price") not in table.index
    from ecociv.report.messages import indicator_name

    assert indicator_name("water_market_price", "zh") == "水权交易价格"
    assert indicator_name("co2_market_traded", "en") == "CO2 rights: volume traded"
