"""The ``water_allocation`` model end to end: example network, levers, scenario and CLI wiring."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.models.water_allocation import demand
from ecociv.models.water_allocation.model import MODEL
from tests.cli_helper import run_ecociv

EXAMPLE = MODEL.example()["network"]
OASIS_ET0 = np.array([10, 20, 60, 110, 160, 190, 200, 170, 110, 55, 20, 10], dtype=float)
OASIS_P = np.array([8, 8, 12, 18, 22, 20, 18, 14, 10, 10, 10, 8], dtype=float)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return MODEL.run({"network": EXAMPLE})


def test_example_closes_every_balance(baseline: dict[str, pd.DataFrame]) -> None:
    assert baseline["mass_balance"]["relative_residual"].abs().max() < 1e-6
    assert len(baseline["lakes"]) == 24
    # domestic (priority 1) is never short while agriculture is: the priority order holds
    deliveries = baseline["deliveries"]
    assert deliveries.loc[deliveries["sector"] == "domestic", "shortage_m3"].max() < 1e-3
    assert deliveries.loc[deliveries["sector"] == "agriculture", "shortage_m3"].sum() > 0


def test_cropland_reduction_saves_area_times_net_requirement(tmp_path: Path) -> None:
    # removing A ha of cotton at 'farms' lowers its gross demand by A × NIR_cotton / efficiency, i.e. saves
    # exactly A × NIR at the field (issue 5); NIR from FAO-56 Kc × ET0 − Peff computed here independently
    area = 2500.0
    out = MODEL.run({"network": EXAMPLE,
                                "levers": {"cropland_reduction": {"farms": {"cotton": f"{area} ha"}}}})
    effects = out["lever_effects"].set_index("site")
    table = demand.load_crop_table()
    kc = demand.crop_monthly_kc(table, "cotton")
    nir_mm = demand.net_irrigation_requirement_mm(kc, OASIS_ET0, OASIS_P, method="usda_scs")
    net_saving = area * float(np.sum(nir_mm)) * 10.0  # mm × ha × 10 = m³
    change = effects.loc["farms", "change_m3_per_yr"]
    assert -change * 0.6 == pytest.approx(net_saving, rel=1e-9)
    assert effects.loc["town", "change_m3_per_yr"] == 0


def test_transfer_switched_off_by_lever(tmp_path: Path, baseline: dict[str, pd.DataFrame]) -> None:
    flows = baseline["flows"]
    assert flows.loc[flows["link"] == "transfer_south", "flow_m3"].sum() > 0
    out = MODEL.run({"network": EXAMPLE, "levers": {"transfers": {"transfer_south": {"enabled": False}}}})
    flows = out["flows"]
    assert flows.loc[flows["link"] == "transfer_south", "flow_m3"].abs().max() == 0
    south = out["deliveries"][out["deliveries"]["site"] == "south_farms"]
    before = baseline["deliveries"][baseline["deliveries"]["site"] == "south_farms"]
    assert south["delivered_m3"].sum() < before["delivered_m3"].sum()


def test_higher_efficiency_lowers_agricultural_demand(tmp_path: Path, baseline: dict[str, pd.DataFrame]) -> None:
    out = MODEL.run({"network": EXAMPLE, "levers": {"irrigation_efficiency": 0.75}})
    effects = out["lever_effects"].set_index("site")
    # gross demand ∝ 1/efficiency: farms 0.6 -> 0.75 gives × 0.8; south_farms 0.55 -> 0.75 gives × 0.55/0.75
    assert effects.loc["farms", "demand_with_levers_m3_per_yr"] == pytest.approx(
        effects.loc["farms", "demand_without_levers_m3_per_yr"] * 0.6 / 0.75, rel=1e-12)
    assert effects.loc["south_farms", "demand_with_levers_m3_per_yr"] == pytest.approx(
        effects.loc["south_farms", "demand_without_levers_m3_per_yr"] * 0.55 / 0.75, rel=1e-12)


def test_lake_minimum_and_pumping_limit_levers(tmp_path: Path, baseline: dict[str, pd.DataFrame]) -> None:
    out = MODEL.run({"network": EXAMPLE, "levers": {
        "groundwater_pumping_limit": {"north_aquifer": "1000 ten_thousand m**3/yr"},
        "lake_minimum_inflow": {"lake": "20000 ten_thousand m**3/yr"}}})
    pumped = out["groundwater"]["pumping_m3"]
    assert pumped.max() <= 1e7 * (1 + 1e-9)
    assert out["lakes"]["inflow_m3"].sum() > baseline["lakes"]["inflow_m3"].sum()


def test_bad_levers_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unknown lever 'cropland_reductoin'.*did you mean 'cropland_reduction'"):
        MODEL.run({"network": EXAMPLE, "levers": {"cropland_reductoin": {}}})
    with pytest.raises(InputError, match=r"cropland_reduction.farms.cotton.*must lie in 0..12000 ha"):
        MODEL.run({"network": EXAMPLE, "levers": {"cropland_reduction": {"farms": {"cotton": "2e4 ha"}}}})
    with pytest.raises(InputError, match=r"site 'farms' grows no 'rice'"):
        MODEL.run({"network": EXAMPLE, "levers": {"cropland_reduction": {"farms": {"rice": 1}}}})
    with pytest.raises(InputError, match=r"no link 'transfer_nort'.*did you mean"):
        MODEL.run({"network": EXAMPLE, "levers": {"transfers": {"transfer_nort": False}}})
    # these raised ValueError / AttributeError tracebacks
    with pytest.raises(InputError, match=r"levers: inflow_scale: a scale factor is a number .* got 'dry'"):
        MODEL.run({"network": EXAMPLE, "levers": {"inflow_scale": "dry"}})
    with pytest.raises(InputError, match=r"inflow_scale.north_river: a scale factor is a number"):
        MODEL.run({"network": EXAMPLE, "levers": {"inflow_scale": {"north_river": "x"}}})
    with pytest.raises(InputError, match=r"levers are a mapping of lever name to value, got \['inflow_scale'\]"):
        MODEL.run({"network": EXAMPLE, "levers": ["inflow_scale"]})


def test_virtual_water_trade_from_export_share(tmp_path: Path, baseline: dict[str, pd.DataFrame]) -> None:
    trade = pd.DataFrame({"crop": ["cotton"], "export_share": [0.9]}).set_index("crop", drop=False)
    out = MODEL.run({"network": EXAMPLE, "crop_trade": trade})
    crops = baseline["virtual_water"]
    cotton = crops[crops["crop"] == "cotton"]
    # 0.9 × production × (crop water use / production) = 0.9 × cotton crop water use
    expected = 0.9 * cotton["crop_water_use_m3"].sum()
    result = out["virtual_water_trade"]
    total = result.loc[result["crop"] == "total", "net_export_m3"].iloc[0]
    assert total == pytest.approx(expected, rel=1e-9)


def test_cli_model_run_with_levers_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation",
                                "--input", f"network={EXAMPLE.parent}",
                                "--param", "levers={transfers: {transfer_south: false}}",
                                "--param", "months=12", "--out", str(tmp_path / "run"))
    assert code == 0, err
    flows = pd.read_csv(tmp_path / "run" / "flows.csv")
    assert flows["month"].nunique() == 12
    assert flows.loc[flows["link"] == "transfer_south", "flow_m3"].max() == 0


def test_cli_missing_network_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation",
                              "--input", f"network={tmp_path / 'nope.yaml'}", "--out", str(tmp_path / "run"))
    assert code == 2
    assert "nope.yaml" in err and "does not exist" in err
    (tmp_path / "net.txt").write_text("x")
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation",
                              "--input", f"network={tmp_path / 'net.txt'}", "--out", str(tmp_path / "run"))
    assert code == 2 and "expected a yaml/yml file" in err


def test_scenario_levers_reach_the_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = tmp_path / "water.yaml"
    scenario.write_text(textwrap.dedent(f"""
        name: water_levers
        models:
          - id: water_allocation
            inputs: {{network: {EXAMPLE}}}
            params: {{months: 12}}
        levers:
          water:
            transfers: {{transfer_south: false}}
    """))
    code, _, err = run_ecociv(capsys, monkeypatch, "run", str(scenario), "--out", str(tmp_path / "store"),
                              "--no-maps")
    assert code == 0, err
    flows = next((tmp_path / "store" / "runs").glob("*/water_allocation/flows.csv"))
    table = pd.read_csv(flows)
    assert table.loc[table["link"] == "transfer_south", "flow_m3"].max() == 0


def test_inflow_from_the_water_yield_model(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    # a headwater fed by half the water yield of synthetic watershed 1 (the example's water_yield step):
    # its inflow over a year must equal 0.5 × that zone's wyield_vol
    example = Path(MODEL.example()["network"]).parent.parent
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "network.yaml").write_text(textwrap.dedent("""
        start: 2001-01
        months: 12
        nodes:
          - {id: head, type: inflow, inflow: {water_yield: ["1"], fraction: 0.5}}
          - {id: out, type: sink}
        links:
          - {id: down, from: head, to: out}
    """))
    scenario = tmp_path / "chain.yaml"
    scenario.write_text(textwrap.dedent(f"""
        name: chain
        grid: {{reference: {example / 'precipitation_synthetic.tif'}}}
        models:
          - id: water_yield
            inputs:
              precipitation: {example / 'precipitation_synthetic.tif'}
              et0: {example / 'et0_synthetic.tif'}
              root_restricting_depth: {example / 'root_restricting_depth_synthetic.tif'}
              plant_available_water: {example / 'plant_available_water_synthetic.tif'}
              land_use: {example / 'land_use_synthetic.tif'}
              biophysical_table: {example / 'biophysical_illustrative.csv'}
              watersheds: {example / 'watersheds_synthetic.gpkg'}
            params: {{seasonality_z: 5}}
          - id: water_allocation
            inputs:
              network: {tmp_path / 'net'}
              water_yield_zones: "@water_yield.watershed_results"
    """))
    code, _, err = run_ecociv(capsys, monkeypatch, "run", str(scenario), "--out", str(tmp_path / "store"),
                              "--no-maps")
    assert code == 0, err
    run = next((tmp_path / "store" / "runs").iterdir())
    zones = pd.read_csv(run / "water_yield" / "watershed_results.csv", dtype={"ws_id": str}).set_index("ws_id")
    flows = pd.read_csv(run / "water_allocation" / "flows.csv")
    # monthly shares (default 1/12 each) spread exactly the annual volume over the year
    assert flows["flow_m3"].sum() == pytest.approx(0.5 * zones.loc["1", "wyield_vol"], rel=1e-9)


def test_water_yield_inflow_without_the_table_is_named(tmp_path: Path) -> None:
    (tmp_path / "network.yaml").write_text(textwrap.dedent("""
        start: 2001-01
        months: 12
        nodes:
          - {id: head, type: inflow, inflow: {water_yield: ["1"]}}
          - {id: out, type: sink}
        links:
          - {id: down, from: head, to: out}
    """))
    with pytest.raises(InputError, match=r"node 'head'.inflow.*no water_yield_zones table"):
        MODEL.run({"network": tmp_path / "network.yaml"})
    zones = pd.DataFrame({"ws_id": ["2"], "wyield_vol": [1e6]})
    with pytest.raises(InputError, match=r"zone\(s\) \['1'\] are not in the water_yield_zones table"):
        MODEL.run({"network": tmp_path / "network.yaml", "water_yield_zones": zones})


def test_strategy2_scenario_moves_the_levers_it_names(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # the shipped strategy-2 scenario against the plain Belt network: pumping capped at the sustainable
    # yield leaves no overdraft in the capped aquifers, cotton cut by the lever lowers the Manas sites'
    # demand, and the Kashi transfer plus the lake minimum raise Ebinur's inflow
    from ecociv.demo import belt_scenario

    scenario = belt_scenario().parent / "belt_strategy2_water.yaml"
    code, _, err = run_ecociv(capsys, monkeypatch, "run", str(scenario), "--out", str(tmp_path / "s"), "--no-maps")
    assert code == 0, err
    folder = next((tmp_path / "s" / "runs").iterdir()) / "water_allocation"
    groundwater = pd.read_csv(folder / "groundwater.csv")
    capped = groundwater[groundwater["aquifer"].isin(["manas_aquifer", "urumqi_changji_aquifer"])]
    assert (capped["pumping_m3"] <= 5.0e8 * (1 + 1e-9)).all()
    assert capped["overdraft_m3"].max() <= 1e-3
    effects = pd.read_csv(folder / "lever_effects.csv").set_index("site")
    assert (effects.loc[["div8_irrigation", "shawan_irrigation", "manas_county_irrigation"],
                        "change_m3_per_yr"] < 0).all()
    lakes = pd.read_csv(folder / "lakes.csv")
    ebinur = lakes[lakes["lake"] == "ebinur_lake"]
    baseline = MODEL.run({"network": scenario.parent.parent / "water" / "belt_network"})["lakes"]
    assert ebinur["inflow_m3"].sum() > baseline.loc[baseline["lake"] == "ebinur_lake", "inflow_m3"].sum()
