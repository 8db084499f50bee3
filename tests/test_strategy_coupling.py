"""The shipped strategy files couple the land simulation both ways: the red line that restricts it
is computed without it (on the baseline map), and the water allocation reads its cropland."""

from __future__ import annotations

import pytest
import yaml

from ecociv.strategies.catalog import STRATEGIES
from tests.models.land_use_files import write_example_inputs


def _steps(path: str) -> dict[str, dict]:
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    return {str(m.get("name") or m["id"]): m for m in doc["models"]}


def _upstream(steps: dict[str, dict], name: str) -> set[str]:
    """Every step ``name`` depends on through ``@step.output`` inputs."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for value in (steps[todo.pop()].get("inputs") or {}).values():
            if isinstance(value, str) and value.startswith("@"):
                source = value[1:].split(".", 1)[0]
                if source not in seen:
                    seen.add(source)
                    todo.append(source)
    return seen


@pytest.mark.parametrize("strategy", STRATEGIES, ids=[s.id for s in STRATEGIES])
def test_redline_before_the_land_simulation_and_cropland_to_water(strategy) -> None:
    steps = _steps(str(strategy.path))
    land = steps["land_use_change"]
    redline = land["inputs"]["redline"]
    source = redline[1:].split(".", 1)[0]
    assert steps[source]["id"] == "ecological_redline"
    assert "land_use_change" not in _upstream(steps, source) | {source}
    assert steps[source]["inputs"]["land_use"] == "dataset:land_use"
    assert land["inputs"]["report_zones"] == "dataset:units" and land["params"]["report_zone_field"] == "adcode"
    assert steps["water_allocation"]["inputs"]["cropland_change"] == "@land_use_change.cropland_area"
    # the simulated map's own red line is still computed (double evaluation, planning, assessment read it)
    assert steps["ecological_redline"]["inputs"]["land_use"] == "@land_use_change.land_use_final"


def test_scenario_carries_the_simulated_cropland_into_irrigation_demand(tmp_path) -> None:
    # land_use_change's example (cropland spreading from an oasis, 2020 -> 2025) reports cropland per
    # half of the square; water_allocation scales each half's irrigation site by that half's
    # simulated ratio 2025 / 2020, read in the scenario from @land_use_change.cropland_area
    import textwrap

    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    from ecociv.grid.spec import CHINA_ALBERS
    from ecociv.scenario.runner import run_scenario
    from ecociv.scenario.schema import load_scenario
    from ecociv.scenario.store import ResultsStore

    write_example_inputs(tmp_path)
    gpd.GeoDataFrame({"code": ["west", "east"]},
                     geometry=[box(0, 4_970_000, 15_000, 5_000_000), box(15_000, 4_970_000, 30_000, 5_000_000)],
                     crs=CHINA_ALBERS).to_file(tmp_path / "halves.gpkg", driver="GPKG")
    et0 = [10, 20, 60, 110, 160, 190, 200, 170, 110, 55, 20, 10]
    rain = [8, 8, 12, 18, 22, 20, 18, 14, 10, 10, 10, 8]
    (tmp_path / "network.yaml").write_text(textwrap.dedent(f"""\
        name: two halves
        start: 2001-01
        months: 12
        defaults: {{volume_units: ten_thousand m**3, flow_units: ten_thousand m**3/yr}}
        climate:
          oasis: {{et0: {et0}, precipitation: {rain}}}
        nodes:
          - {{id: river, type: junction, basin: b, inflow: 500000}}
          - {{id: west_farms, type: demand, basin: b, unit: west, sector: agriculture,
             irrigation: {{crops: {{cotton: "3000 ha"}}, climate: oasis, efficiency: 0.6}}}}
          - {{id: east_farms, type: demand, basin: b, unit: east, sector: agriculture,
             irrigation: {{crops: {{maize: "2000 ha"}}, climate: oasis, efficiency: 0.6}}}}
          - {{id: sea, type: sink, basin: b}}
        links:
          - {{id: to_west, from: river, to: west_farms, kind: supply}}
          - {{id: to_east, from: river, to: east_farms, kind: supply}}
          - {{id: down, from: river, to: sea, kind: river}}
        """), encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(textwrap.dedent("""
        name: land_to_water
        grid: {reference: land_use.tif}
        models:
          - id: land_use_change
            inputs: {land_use: land_use.tif, land_use_previous: land_use_previous.tif,
                     dem: dem.tif, classes: classes.csv, report_zones: halves.gpkg}
            params: {start_year: 2020, end_year: 2025, previous_year: 2015, n_samples: 400,
                     report_zone_field: code}
          - id: water_allocation
            inputs: {network: network.yaml, cropland_change: "@land_use_change.cropland_area"}
    """))
    result = run_scenario(load_scenario(tmp_path / "scenario.yaml"), base_dir=tmp_path,
                          store=ResultsStore(tmp_path / "store"))
    land = pd.read_csv(result.folder / "land_use_change" / "cropland_area.csv").set_index(["year", "zone"])
    effects = pd.read_csv(result.folder / "water_allocation" / "lever_effects.csv").set_index("site")
    changed = 0
    for half in ("west", "east"):
        ratio = land.loc[(2025, half), "cropland_km2"] / land.loc[(2020, half), "cropland_km2"]
        before = effects.loc[f"{half}_farms", "demand_without_levers_m3_per_yr"]
        assert effects.loc[f"{half}_farms", "demand_with_levers_m3_per_yr"] == pytest.approx(ratio * before, rel=1e-9)
        changed += ratio != 1.0
    assert changed   # the example's cropland grows: the demand moves with it
