"""Tests of ``emission_inventory``: a hand-computed inventory, IPCC defaults, a published total,
projection, the consumption account, the shipped data and bad inputs."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.emission_inventory.model import MODEL, by_unit, consumption, inventory
from ecociv.models.emission_inventory.reference import co2_by_unit, unit_of
from ecociv.models.emission_inventory.report import emissions_chart

DATA = Path(str(files("ecociv") / "data"))
INDUSTRY = DATA / "industry"


def _activity() -> pd.DataFrame:
    return pd.DataFrame(
        [("A", "power_heat", 2020, "coal", 1000.0, "TJ"),
         ("B", "power_heat", 2020, "coal", 2000.0, "TJ"),
         ("A", "steel", 2020, "pig_iron", 100.0, "t"),
         ("B", "steel", 2020, "pig_iron", 50.0, "t"),
         ("B", "steel", 2020, "coal", 500.0, "TJ")],
        columns=["unit", "sector", "year", "process", "activity", "activity_unit"])


def _factors() -> pd.DataFrame:
    return pd.DataFrame(
        [("*", "coal", "CO2", 94600.0, "kg/TJ", "IPCC 2006 Vol.2 Table 1.4"),
         ("*", "coal", "SO2", 400.0, "kg/TJ", "test value"),
         ("steel", "pig_iron", "CO2", 1.43, "t/t", "IPCC 2019 Vol.3 Table 4.1"),
         ("steel", "pig_iron", "SO2", 2.0, "kg/t", "test value")],
        columns=["sector", "process", "pollutant", "value", "unit", "source"])


def _controls() -> pd.DataFrame:
    return pd.DataFrame(
        [("fgd", "power_heat", "SO2", 0.9, 0.8, ""),
         ("sinter_fgd", "steel", "SO2", 0.5, 1.0, "B")],
        columns=["measure", "sector", "pollutant", "removal_efficiency", "application", "unit"])


def test_hand_computed_inventory_with_control() -> None:
    out = inventory(_activity(), _factors(), _controls()).set_index(["unit", "sector", "pollutant"])
    # A power: 1000 TJ × 94.6 t/TJ = 94 600 t CO2; SO2 1000 × 0.4 = 400 t, FGD removes 0.9 × 0.8 → 112 t
    # B power: 189 200 t CO2; SO2 800 t → 224 t
    # A steel: 100 t pig iron × 1.43 = 143 t CO2; SO2 100 × 0.002 = 0.2 t, no measure in A
    # B steel: 50 × 1.43 + 500 × 94.6 = 47 371.5 t CO2; SO2 0.1 + 200 = 200.1 t, × (1 − 0.5) = 100.05 t
    expected = {("A", "power_heat", "CO2"): (94600.0, 94600.0), ("A", "power_heat", "SO2"): (400.0, 112.0),
                ("B", "power_heat", "CO2"): (189200.0, 189200.0), ("B", "power_heat", "SO2"): (800.0, 224.0),
                ("A", "steel", "CO2"): (143.0, 143.0), ("A", "steel", "SO2"): (0.2, 0.2),
                ("B", "steel", "CO2"): (47371.5, 47371.5), ("B", "steel", "SO2"): (200.1, 100.05)}
    assert len(out) == len(expected)
    for key, (unabated, emitted) in expected.items():
        assert out.loc[key, "unabated_t"] == pytest.approx(unabated, rel=1e-12)
        assert out.loc[key, "emission_t"] == pytest.approx(emitted, rel=1e-12)
        assert out.loc[key, "removed_t"] == pytest.approx(unabated - emitted, rel=1e-9, abs=1e-12)
    wide = by_unit(inventory(_activity(), _factors(), _controls())).set_index("unit")
    assert wide.loc["B", "so2_t"] == pytest.approx(224.0 + 100.05)
    assert wide.loc["A", "co2_t"] == pytest.approx(94743.0)


def test_sector_specific_factor_replaces_the_wildcard_row() -> None:
    factors = pd.concat([_factors(), pd.DataFrame([("steel", "coal", "SO2", 800.0, "kg/TJ", "test")],
                                                  columns=_factors().columns)], ignore_index=True)
    out = inventory(_activity(), factors).set_index(["unit", "sector", "pollutant"])
    assert out.loc[("B", "steel", "SO2"), "unabated_t"] == pytest.approx(0.1 + 500 * 0.8)
    assert out.loc[("B", "power_heat", "SO2"), "unabated_t"] == pytest.approx(800.0)


def test_co2_of_coal_and_gas_equals_the_ipcc_2006_table_1_4_default() -> None:
    # 2006 IPCC Guidelines Vol. 2 Ch. 1 Table 1.4 default CO2 emission factors (kg CO2/TJ):
    # other bituminous coal 94 600, anthracite 98 300, lignite 101 000, natural gas 56 100,
    # gas/diesel oil 74 100, motor gasoline 69 300, residual fuel oil 77 400.
    table_1_4 = {"other_bituminous_coal": 94600.0, "anthracite": 98300.0, "lignite": 101000.0,
                 "natural_gas": 56100.0, "gas_diesel_oil": 74100.0, "motor_gasoline": 69300.0,
                 "residual_fuel_oil": 77400.0}
    library = pd.read_csv(INDUSTRY / "emission_factors.csv")
    fuels = library[(library["sector"] == "*") & (library["pollutant"] == "CO2")].set_index("process")
    for fuel, value in table_1_4.items():
        assert fuels.loc[fuel, "unit"] == "kg/TJ"
        assert fuels.loc[fuel, "value"] == pytest.approx(value, rel=1e-9), fuel
    activity = pd.DataFrame({"unit": ["650100"], "sector": ["power_heat"], "year": [2020],
                             "process": ["other_bituminous_coal"], "activity": [1.0], "activity_unit": ["TJ"]})
    out = inventory(activity, library[["sector", "process", "pollutant", "value", "unit", "source"]])
    assert out["emission_t"].iloc[0] == pytest.approx(94.6, rel=1e-9)  # 1 TJ × 94 600 kg/TJ


def test_county_series_reproduces_the_ceads_xinjiang_total() -> None:
    """Chen et al. (2020, Sci. Data 7:391) county CO2 summed over Xinjiang against the CEADs
    provincial inventory (Guan et al. 2021), 1998–2017. Scope: both are energy-related CO2 of
    Xinjiang, but the county series downscales an earlier CEADs provincial version by night-time
    light, so single years differ (−27 % in 1998, +28 % in 2011): the tolerance is 5 % on the
    1998–2017 total (measured −4.3 %) and 30 % on any single year; the two series move together
    (correlation > 0.95, measured 0.971)."""
    counties = pd.read_csv(DATA / "belt" / "co2_county.csv", dtype={"adcode": str})
    years = range(1998, 2018)
    county = co2_by_unit(counties, years, level="province").set_index("year")["co2_t"]
    ceads = pd.read_csv(INDUSTRY / "co2_reference.csv").set_index("year")["co2_t"].loc[list(years)]
    assert set(co2_by_unit(counties, years, level="province")["unit"]) == {"650000"}
    assert county.sum() / ceads.sum() - 1 == pytest.approx(-0.043, abs=0.01)
    assert abs(county.sum() / ceads.sum() - 1) < 0.05
    assert np.all(np.abs(county / ceads - 1) < 0.30)
    assert np.corrcoef(county.to_numpy(), ceads.to_numpy())[0, 1] > 0.95


def test_county_adcodes_aggregate_to_prefectures_and_corps_cities() -> None:
    assert unit_of("650102") == "650100"
    assert unit_of("659001") == "659001"
    assert unit_of("652324", level="province") == "650000"
    with pytest.raises(ValueError, match="6-digit"):
        unit_of("6501")


def test_growth_lever_projects_activity_to_end_year() -> None:
    levers = {"growth": {"power_heat": 0.03, "B/steel": -0.1}, "end_year": 2022}
    out = inventory(_activity(), _factors(), None, levers).set_index(["year", "unit", "sector", "pollutant"])
    base = out.loc[(2020, "A", "power_heat", "CO2"), "emission_t"]
    assert out.loc[(2022, "A", "power_heat", "CO2"), "emission_t"] == pytest.approx(base * 1.03**2)
    steel = out.loc[(2020, "B", "steel", "CO2"), "emission_t"]
    assert out.loc[(2022, "B", "steel", "CO2"), "emission_t"] == pytest.approx(steel * 0.9**2)
    assert out.loc[(2021, "A", "steel", "CO2"), "emission_t"] == pytest.approx(143.0)  # no rate: flat
    assert bool(out.loc[(2021, "A", "steel", "CO2"), "projected"])
    assert not bool(out.loc[(2020, "A", "steel", "CO2"), "projected"])


def test_application_lever_overrides_the_table() -> None:
    out = inventory(_activity(), _factors(), _controls(), {"application": {"power_heat/SO2": 0.5}})
    row = out.set_index(["unit", "sector", "pollutant"]).loc[("A", "power_heat", "SO2")]
    assert row["emission_t"] == pytest.approx(400.0 * (1 - 0.9 * 0.5))


def test_consumption_account_moves_exported_co2_to_the_receiver() -> None:
    emissions = inventory(_activity(), _factors())
    exports = pd.DataFrame({"year": [2020], "producer_unit": ["B"], "receiving_region": ["Anhui"],
                            "electricity": [1.0e8], "emission_factor": [0.85]})
    table = consumption(emissions, exports).set_index("region")
    moved = 1.0e8 * 0.85 / 1000.0  # kWh × kg/kWh → t
    assert table.loc["B", "exported_co2_t"] == pytest.approx(moved)
    assert table.loc["B", "consumption_co2_t"] == pytest.approx(189200.0 + 47371.5 - moved)
    assert table.loc["Anhui", "imported_co2_t"] == pytest.approx(moved)
    assert np.isnan(table.loc["Anhui", "production_co2_t"])
    assert table.loc["A", "consumption_co2_t"] == pytest.approx(table.loc["A", "production_co2_t"])
    assert not table["exports_above_production"].any()
    big = consumption(emissions, exports.assign(electricity=[1.0e12])).set_index("region")
    assert bool(big.loc["B", "exports_above_production"]) and big.loc["B", "consumption_co2_t"] < 0


def test_example_runs_and_draws_a_chart(tmp_path: Path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path)
    assert {"emissions", "emissions_by_unit", "emissions_consumption"} <= set(manifest["outputs"])
    paths = emissions_chart(tmp_path, manifest)
    assert paths and paths[0].stat().st_size > 1000


# --- shipped data -----------------------------------------------------------------------------

CONTRACT_SECTORS = ["agriculture", "mining", "food_processing", "textiles", "petroleum_refining", "coking",
                    "coal_chemicals", "chemicals_other", "non_metallic_minerals", "steel", "non_ferrous",
                    "other_manufacturing", "power_heat", "construction", "transport_logistics", "tourism",
                    "services_other", "households"]


def test_shipped_sectors_accounts_and_sources_are_consistent() -> None:
    sectors = pd.read_csv(INDUSTRY / "sectors.csv", dtype=str)
    assert sectors["sector"].tolist() == CONTRACT_SECTORS
    assert sectors[["name_en", "name_zh", "gbt4754_2017_codes", "seed_study_category"]].notna().all().all()
    sources = set(pd.read_csv(INDUSTRY / "sources.csv", dtype=str)["source"])
    accounts = pd.read_csv(INDUSTRY / "sector_accounts.csv", dtype={"unit": str})
    units = pd.read_csv(DATA / "belt" / "units.csv", dtype=str)
    assert set(accounts["sector"]) <= set(CONTRACT_SECTORS)
    assert set(accounts["unit"]) <= set(units["prefecture_adcode"])
    assert set(accounts["status"]) <= {"reported", "estimated", "illustrative"}
    assert not accounts.duplicated(["unit", "sector", "year"]).any()
    for cell in accounts["source"]:
        assert set(part.strip() for part in cell.split(";")) <= sources, cell
    factors = pd.read_csv(INDUSTRY / "emission_factors.csv")
    assert set(factors["sector"]) <= set(CONTRACT_SECTORS) | {"*"}
    for cell in factors["source"]:
        assert set(part.strip() for part in cell.split(";")) <= sources, cell
    for name in ("reported_accounts.csv", "co2_reference.csv", "pollutant_reference.csv", "electricity_exports.csv"):
        table = pd.read_csv(INDUSTRY / name)
        assert set(table["source"]) <= sources, name
    references = pd.read_csv(INDUSTRY / "pollutant_reference.csv")
    assert set(references["pollutant"]) <= {"SO2", "NOx", "PM", "VOCs", "CO2", "COD", "NH3-N"}


def test_shipped_factor_library_and_exports_load_through_the_spec(tmp_path: Path) -> None:
    activity = tmp_path / "activity.csv"
    activity.write_text("unit,sector,year,process,activity,activity_unit\n"
                        "652300,power_heat,2021,coal_tce,1000000,tce\n"
                        "650500,power_heat,2021,other_bituminous_coal,50,PJ\n"
                        "650100,non_metallic_minerals,2021,clinker,1,Mt\n", encoding="utf-8")
    manifest = run_in_memory(MODEL, {"activity": activity, "emission_factors": INDUSTRY / "emission_factors.csv",
                                     "electricity_exports": INDUSTRY / "electricity_exports.csv"}, tmp_path / "out")
    assert "emissions_consumption" in manifest["outputs"]
    emissions = pd.read_csv(tmp_path / "out" / "emissions.csv", dtype={"unit": str}).set_index("unit")
    # 1e6 tce × 29.3076 GJ/tce × 94.6 kg/GJ = 2.7725 Mt; clinker 1 Mt × 0.65 × 44.01/56.08 × 1.02
    assert emissions.loc["652300", "emission_t"] == pytest.approx(2.7725e6, rel=1e-4)
    assert emissions.loc["650100", "emission_t"] == pytest.approx(1e6 * 0.65 * 44.01 / 56.08 * 1.02, rel=1e-3)


# --- bad inputs: one InputError naming table, line and column ------------------------------------


def _csv(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path


def _run_files(tmp_path: Path, activity: pd.DataFrame, factors: pd.DataFrame) -> None:
    run_in_memory(MODEL, {"activity": _csv(tmp_path, "activity", activity),
                          "emission_factors": _csv(tmp_path, "factors", factors)}, tmp_path / "out")


@pytest.mark.parametrize(("change", "expected"), [
    (lambda a, f: f.assign(unit=["kg/TJ", "kg/tonnez", "t/t", "kg/t"]),
     r"table 'emission_factors': line 3, column 'unit': unknown unit 'kg/tonnez'"),
    (lambda a, f: f.assign(source=["IPCC", "", "IPCC", "test"]),
     r"table 'emission_factors': line 3, column 'source': no source"),
    (lambda a, f: f.assign(pollutant=["CO2", "SOx", "CO2", "SO2"]),
     r"table 'emission_factors': line 3, column 'pollutant': unknown pollutant 'SOx'"),
    (lambda a, f: a.assign(sector=["power_heat", "power_heat", "cement", "steel", "steel"]),
     r"table 'activity': line 4, columns 'sector', 'process': sector 'cement' with process 'pig_iron' "
     r"is not in the factor library"),
])
def test_bad_tables_name_the_table_line_and_column(tmp_path: Path, change, expected: str) -> None:
    activity, factors = _activity(), _factors()
    changed = change(activity, factors)
    if "pollutant" in changed.columns:
        factors = changed
    else:
        activity = changed
    with pytest.raises(InputError, match=expected) as caught:
        _run_files(tmp_path, activity, factors)
    assert "\n" not in str(caught.value)


def test_negative_activity_is_refused_with_its_line(tmp_path: Path) -> None:
    activity = _activity()
    activity.loc[1, "activity"] = -5.0
    with pytest.raises(InputError, match=r"activity.*line 3.*activity") as caught:
        _run_files(tmp_path, activity, _factors())
    assert "\n" not in str(caught.value)
    with pytest.raises(InputError, match=r"table 'activity': row 1, column 'activity': negative activity"):
        inventory(activity, _factors())


def test_activity_unit_that_does_not_fit_the_factor_is_refused() -> None:
    activity = _activity().assign(activity_unit=["t", "TJ", "t", "t", "TJ"])
    with pytest.raises(InputError, match=r"activity in 't' does not fit a factor in 'kg/TJ'"):
        inventory(activity, _factors())


def test_bad_controls_and_levers_are_refused() -> None:
    controls = _controls().assign(pollutant=["SO2", "dust"])
    with pytest.raises(InputError, match=r"table 'controls': row 1, column 'pollutant': unknown pollutant 'dust'"):
        inventory(_activity(), _factors(), controls)
    doubled = pd.concat([_controls(), _controls().iloc[[0]].assign(measure="wet_fgd")], ignore_index=True)
    with pytest.raises(InputError, match=r"applications of one sector and pollutant add up to at most 1"):
        inventory(_activity(), _factors(), doubled)
    with pytest.raises(InputError, match=r"levers: unknown lever\(s\) \['growht'\]"):
        inventory(_activity(), _factors(), None, {"growht": {}})
    with pytest.raises(InputError, match=r"levers: growth.cement: no activity for sector 'cement'"):
        inventory(_activity(), _factors(), None, {"growth": {"cement": 0.1}, "end_year": 2025})
    with pytest.raises(InputError, match=r"end_year 2010 is before"):
        inventory(_activity(), _factors(), None, {"end_year": 2010})


def test_exports_from_a_unit_without_co2_are_refused() -> None:
    exports = pd.DataFrame({"year": [2020], "producer_unit": ["Z"], "receiving_region": ["Anhui"],
                            "electricity": [1.0], "emission_factor": [0.8]})
    with pytest.raises(InputError, match=r"table 'electricity_exports': row 0, column 'producer_unit'"):
        consumption(inventory(_activity(), _factors()), exports)


def test_sulfur_based_so2_factor_reproduces_ap42_39s_lb_per_ton() -> None:
    # AP-42 Table 1.2-1 (anthracite): SOx = 39 S lb/ton, S in wt%; 1 short ton of 1 % S coal → 39 lb,
    # i.e. 19.5 kg per tonne of coal; the library holds it per tonne of fuel sulfur (0.01 t in 1 t).
    library = pd.read_csv(INDUSTRY / "emission_factors.csv")
    activity = pd.DataFrame({"unit": ["650100"], "sector": ["power_heat"], "year": [2020],
                             "process": ["anthracite_sulfur"], "activity": [0.01], "activity_unit": ["t"]})
    out = inventory(activity, library[["sector", "process", "pollutant", "value", "unit", "source"]])
    assert out["pollutant"].tolist() == ["SO2"]
    assert out["emission_t"].iloc[0] * 1000 == pytest.approx(19.5, rel=1e-9)  # kg per t of coal


def test_shipped_control_measure_library_applies_through_the_application_lever(tmp_path: Path) -> None:
    measures = INDUSTRY / "control_measures.csv"
    if not measures.is_file():
        pytest.skip("control_measures.csv not shipped")
    library = pd.read_csv(measures)
    row = library[(library["sector"] == "power_heat") & (library["pollutant"] == "SO2")].iloc[0]
    activity = pd.DataFrame({"unit": ["652300"], "sector": ["power_heat"], "year": [2021],
                             "process": ["anthracite_sulfur"], "activity": [100.0], "activity_unit": ["t"]})
    inputs = {"activity": activity, "emission_factors": INDUSTRY / "emission_factors.csv", "controls": measures}
    run_in_memory(MODEL, inputs, tmp_path / "none")
    plain = pd.read_csv(tmp_path / "none" / "emissions.csv")
    assert plain["emission_t"].iloc[0] == pytest.approx(195.0)  # library given, nothing applied
    rate = float(row["max_application"])
    key = f"{row['measure']}/power_heat"
    run_in_memory(MODEL, {**inputs, "levers": {"application": {key: rate}}}, tmp_path / "applied")
    applied = pd.read_csv(tmp_path / "applied" / "emissions.csv")
    assert applied["emission_t"].iloc[0] == pytest.approx(195.0 * (1 - row["removal_efficiency"] * rate))
    with pytest.raises(InputError, match="above max_application"):
        inventory(activity, pd.read_csv(INDUSTRY / "emission_factors.csv"), library,
                  {"application": {key: min(1.0, rate + 0.05)}})


def test_check_hook_finds_bad_files_and_levers_before_a_run(tmp_path: Path) -> None:
    assert MODEL.check is not None
    factors = _csv(tmp_path, "factors", _factors())
    MODEL.check({"emission_factors": factors, "activity": _csv(tmp_path, "activity", _activity()),
                 "levers": {"growth": {"power_heat": 0.02}}})
    MODEL.check({"emission_factors": factors, "activity": None})  # from an upstream step: later
    bad = _csv(tmp_path, "bad", _factors().assign(unit=["kg/TJ", "kg/TJ", "t/t", "kg/tt"]))
    with pytest.raises(InputError, match=r"line 5, column 'unit': unknown unit 'kg/tt'"):
        MODEL.check({"emission_factors": bad})
    with pytest.raises(InputError, match=r"unknown lever"):
        MODEL.check({"levers": {"grwth": {}}})
