"""water_allocation's ``cropland_change`` input: the simulated cropland change of a unit scales the
crop areas of its irrigation sites (closed-form cases worked by hand with FAO-56 NIR), and bad tables
get one clear line."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError, InputWarning
from ecociv.models.water_allocation import demand
from ecociv.models.water_allocation.model import MODEL
from tests.cli_helper import run_ecociv

ET0 = [10, 20, 60, 110, 160, 190, 200, 170, 110, 55, 20, 10]
P = [8, 8, 12, 18, 22, 20, 18, 14, 10, 10, 10, 8]
# east (unit 650001): 3000 ha cotton + 1000 ha maize at efficiency 0.6; west (650001): 2000 ha cotton
# at 0.5; north (650002): 1500 ha spring wheat at 0.7. One calendar year, river large enough for all.
NETWORK = textwrap.dedent(f"""\
    name: cropland coupling test
    start: 2001-01
    months: 12
    defaults: {{volume_units: ten_thousand m**3, flow_units: ten_thousand m**3/yr}}
    climate:
      oasis: {{et0: {ET0}, precipitation: {P}}}
    nodes:
      - {{id: river, type: junction, basin: b, inflow: 500000}}
      - {{id: east, type: demand, basin: b, unit: "650001", sector: agriculture,
         irrigation: {{crops: {{cotton: "3000 ha", maize: "1000 ha"}}, climate: oasis, efficiency: 0.6}}}}
      - {{id: west, type: demand, basin: b, unit: "650001", sector: agriculture,
         irrigation: {{crops: {{cotton: "2000 ha"}}, climate: oasis, efficiency: 0.5}}}}
      - {{id: north, type: demand, basin: b, unit: "650002", sector: agriculture,
         irrigation: {{crops: {{spring_wheat: "1500 ha"}}, climate: oasis, efficiency: 0.7}}}}
      - {{id: sea, type: sink, basin: b}}
    links:
      - {{id: to_east, from: river, to: east, kind: supply}}
      - {{id: to_west, from: river, to: west, kind: supply}}
      - {{id: to_north, from: river, to: north, kind: supply}}
      - {{id: down, from: river, to: sea, kind: river}}
    """)


def annual_nir_m3_per_ha(crop: str) -> float:
    """FAO-56 net irrigation requirement of a crop over the year (m³/ha): Kc × ET0 − Peff (USDA-SCS)."""
    table = demand.load_crop_table()
    kc = demand.crop_monthly_kc(table, crop)
    nir = demand.net_irrigation_requirement_mm(kc, np.array(ET0, float), np.array(P, float), method="usda_scs")
    return float(np.sum(nir)) * 10.0  # mm over 1 ha = 10 m³


def gross(areas: dict[str, float], efficiency: float) -> float:
    return sum(a * annual_nir_m3_per_ha(c) for c, a in areas.items()) / efficiency


@pytest.fixture
def network(tmp_path: Path) -> Path:
    path = tmp_path / "network.yaml"
    path.write_text(NETWORK, encoding="utf-8")
    return path


def change(rows: list[tuple[int, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "zone", "cropland_km2", "change_ha"])


def run(network: Path, table: pd.DataFrame, **params: object) -> dict[str, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        return MODEL.run({"network": network, "cropland_change": table, **params})


def test_ten_percent_less_cropland_cuts_the_units_sites_by_ten_percent(network: Path) -> None:
    # unit 650001: 200 km2 of mapped cropland in 2019, 180 km2 in 2035 (-2000 ha, -10 %); unit 650002 unchanged.
    # Relative rule: east and west x 0.9, north x 1; the demand falls by 10 % of each site's gross
    # irrigation requirement, worked here from FAO-56 NIR: east 0.1 x (3000 NIRc + 1000 NIRm) / 0.6 ...
    table = change([(2019, "650001", 200.0, 0.0), (2035, "650001", 180.0, -2000.0),
                    (2019, "650002", 50.0, 0.0), (2035, "650002", 50.0, 0.0)])
    out = run(network, table)
    effects = out["lever_effects"].set_index("site")
    east = gross({"cotton": 3000, "maize": 1000}, 0.6)
    west = gross({"cotton": 2000}, 0.5)
    north = gross({"spring_wheat": 1500}, 0.7)
    assert effects.loc["east", "demand_without_levers_m3_per_yr"] == pytest.approx(east, rel=1e-9)
    assert effects.loc["east", "change_m3_per_yr"] == pytest.approx(-0.1 * east, rel=1e-9)
    assert effects.loc["west", "change_m3_per_yr"] == pytest.approx(-0.1 * west, rel=1e-9)
    assert effects.loc["north", "change_m3_per_yr"] == pytest.approx(0.0, abs=1e-6)
    assert effects.loc["north", "demand_with_levers_m3_per_yr"] == pytest.approx(north, rel=1e-9)
    # the river covers every demand: delivered = the coupled demand
    delivered = out["deliveries"].groupby("site")["delivered_m3"].sum()
    assert delivered["east"] == pytest.approx(0.9 * east, rel=1e-6)
    coupling = out["cropland_coupling"].set_index("site")
    assert coupling.loc["east", "area_factor"] == pytest.approx(0.9)
    assert coupling.loc["east", "irrigated_after_ha"] == pytest.approx(3600.0)
    assert coupling.loc["west", "cropland_start_ha"] == pytest.approx(20000.0)
    assert coupling.loc["east", "demand_after_m3_per_yr"] == pytest.approx(0.9 * east, rel=1e-9)
    # the crop mix is kept: cotton and maize both x 0.9
    crops = out["virtual_water"].set_index(["site", "crop"])["area_ha"]
    assert crops[("east", "cotton")] == pytest.approx(2700.0)
    assert crops[("east", "maize")] == pytest.approx(900.0)


def test_more_cropland_raises_demand(network: Path) -> None:
    # oasis growth: 650002 from 50 to 60 km2 (+1000 ha, +20 %) -> north's demand x 1.2
    table = change([(2035, "650001", 200.0, 0.0), (2035, "650002", 60.0, 1000.0)])
    effects = run(network, table)["lever_effects"].set_index("site")
    north = gross({"spring_wheat": 1500}, 0.7)
    assert effects.loc["north", "change_m3_per_yr"] == pytest.approx(0.2 * north, rel=1e-9)
    assert effects.loc["east", "change_m3_per_yr"] == pytest.approx(0.0, abs=1e-6)


def test_absolute_rule_splits_the_hectares_by_irrigated_area(network: Path) -> None:
    # 650001 loses 2000 ha: east (4000 ha irrigated) takes 2000 x 4000/6000 = 1333.3 ha, west 666.7 ha;
    # both keep 2/3 of their area, so both demands fall by a third
    table = change([(2035, "650001", 180.0, -2000.0)])
    out = run(network, table, cropland_change_rule="absolute")
    effects = out["lever_effects"].set_index("site")
    assert effects.loc["east", "change_m3_per_yr"] == pytest.approx(
        -gross({"cotton": 3000, "maize": 1000}, 0.6) / 3, rel=1e-9)
    assert effects.loc["west", "change_m3_per_yr"] == pytest.approx(-gross({"cotton": 2000}, 0.5) / 3, rel=1e-9)
    coupling = out["cropland_coupling"].set_index("site")
    assert coupling.loc["west", "irrigated_after_ha"] == pytest.approx(2000 - 2000 * 2000 / 6000)


def test_absolute_cut_larger_than_the_sites_is_clamped_with_a_warning(network: Path) -> None:
    table = change([(2035, "650001", 100.0, -9000.0)])   # 9000 ha cut, 6000 ha irrigated in the unit
    with pytest.warns(InputWarning, match="larger than the site's irrigated area"):
        out = MODEL.run({"network": network, "cropland_change": table, "cropland_change_rule": "absolute"})
    coupling = out["cropland_coupling"].set_index("site")
    assert coupling.loc["east", "irrigated_after_ha"] == 0.0
    assert coupling.loc["east", "status"].startswith("clamped")
    assert out["lever_effects"].set_index("site").loc["west", "demand_with_levers_m3_per_yr"] == 0.0


def test_year_picked_and_default_latest(network: Path) -> None:
    table = change([(2019, "650001", 200.0, 0.0), (2030, "650001", 190.0, -1000.0),
                    (2035, "650001", 180.0, -2000.0)])
    latest = run(network, table)["cropland_coupling"].set_index("site")
    mid = run(network, table, cropland_year=2030)["cropland_coupling"].set_index("site")
    assert latest.loc["east", "area_factor"] == pytest.approx(0.9)
    assert mid.loc["east", "area_factor"] == pytest.approx(0.95)
    assert mid.loc["east", "year"] == 2030


def test_region_only_table_scales_every_site(network: Path) -> None:
    # a land simulation without zones writes zone 'all' only: -5 % for every irrigation site
    table = change([(2035, "all", 950.0, -5000.0)])
    effects = run(network, table)["lever_effects"].set_index("site")
    for site in ("east", "west", "north"):
        assert effects.loc[site, "change_m3_per_yr"] == pytest.approx(
            -0.05 * effects.loc[site, "demand_without_levers_m3_per_yr"], rel=1e-9)


def test_zone_without_site_and_site_without_zone_are_listed_and_warned(network: Path) -> None:
    table = change([(2035, "650001", 180.0, -2000.0), (2035, "650102", 3.0, -100.0)])
    with pytest.warns(InputWarning) as caught:
        out = MODEL.run({"network": network, "cropland_change": table})
    text = " ".join(str(w.message) for w in caught)
    assert "650102" in text and "-100 ha" in text and "north" in text
    coupling = out["cropland_coupling"]
    lonely = coupling[coupling["unit"] == "650102"].iloc[0]
    assert lonely["site"] == ""
    assert lonely["status"] == "no irrigation site in the network"
    north = coupling.set_index("site").loc["north"]
    assert north["area_factor"] == 1.0 and "no row" in north["status"]


@pytest.mark.parametrize(("table", "params", "message"), [
    (pd.DataFrame({"year": [2035], "zone": ["650001"], "cropland_km2": [1.0]}), {}, r"missing column\(s\) change_ha"),
    (change([(2035, "650001", -1.0, 0.0)]), {}, r"line 2, column 'cropland_km2': cropland area must be >= 0"),
    (change([(2035, "650001", 10.0, 1500.0)]), {}, r"line 2, column 'change_ha'.*start area would be negative"),
    (change([(2035, "Bole City", 10.0, -10.0)]), {}, r"none of its 1 zones \(Bole City\) is the unit of an "
                                                      r"irrigation site.*650001, 650002"),
    (change([(2035, "650001", 10.0, -10.0)]), {"cropland_year": 2030}, r"cropland_year 2030 is not in the table"),
    (change([(2035, "650001", 10.0, -10.0), (2035, "650001", 12.0, -10.0)]), {},
     r"line 3: zone '650001' appears twice in 2035"),
    (change([(2035, "650001", 10.0, -10.0)]), {"cropland_change_rule": "share"}, r"unknown rule 'share'"),
    (pd.DataFrame({"year": [2035], "zone": ["650001"], "cropland_km2": ["ten"], "change_ha": [0]}), {},
     r"line 2, column 'cropland_km2': expected a number, got 'ten'"),
])
def test_bad_tables_get_one_clear_line(network: Path, table: pd.DataFrame, params: dict[str, object],
                                       message: str) -> None:
    with pytest.raises(InputError, match=message):
        MODEL.run({"network": network, "cropland_change": table, **params})


def test_without_the_input_nothing_changes(network: Path) -> None:
    out = MODEL.run({"network": network})
    assert "cropland_coupling" not in out
    assert (out["lever_effects"]["change_m3_per_yr"] == 0).all()


def test_levers_apply_after_the_coupling(network: Path) -> None:
    # -10 % from the land simulation, then the lever takes 700 ha more cotton at east:
    # east's cotton 3000 x 0.9 - 700 = 2000 ha, maize 900 ha
    table = change([(2035, "650001", 180.0, -2000.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InputWarning)
        out = MODEL.run({"network": network, "cropland_change": table,
                         "levers": {"cropland_reduction": {"east": {"cotton": "700 ha"}}}})
    crops = out["virtual_water"].set_index(["site", "crop"])["area_ha"]
    assert crops[("east", "cotton")] == pytest.approx(2000.0)
    effects = out["lever_effects"].set_index("site")
    assert effects.loc["east", "demand_with_levers_m3_per_yr"] == pytest.approx(
        gross({"cotton": 2000, "maize": 900}, 0.6), rel=1e-9)


def test_csv_through_the_cli(network: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "cropland.csv"
    good.write_text("year,zone,cropland_km2,change_ha\n2035,650001,180,-2000\n2035,650002,50,0\n", encoding="utf-8")
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation", "--input",
                              f"network={network}", "--input", f"cropland_change={good}", "--out",
                              str(tmp_path / "out"))
    assert code == 0, err
    coupling = pd.read_csv(tmp_path / "out" / "cropland_coupling.csv", dtype={"unit": str}).set_index("site")
    assert coupling.loc["west", "area_factor"] == pytest.approx(0.9)
    bad = tmp_path / "bad.csv"
    bad.write_text("year,zone,cropland_km2,change_ha\n2035,650001,-5,0\n", encoding="utf-8")
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation", "--input",
                              f"network={network}", "--input", f"cropland_change={bad}", "--out",
                              str(tmp_path / "out2"))
    assert code == 2
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "cropland_change" in lines[0] and "line 2" in lines[0], err


def test_unit_without_cropland_at_the_start(network: Path) -> None:
    # 650002 had no mapped cropland and gains 500 ha: no ratio exists, so north keeps its area under
    # the relative rule (with a warning) and gains the 500 ha under the absolute rule (x (1500+500)/1500)
    table = change([(2035, "650001", 200.0, 0.0), (2035, "650002", 5.0, 500.0)])
    with pytest.warns(InputWarning, match="no cropland in the start year"):
        out = MODEL.run({"network": network, "cropland_change": table})
    assert out["cropland_coupling"].set_index("site").loc["north", "area_factor"] == 1.0
    absolute = run(network, table, cropland_change_rule="absolute")["cropland_coupling"].set_index("site")
    assert absolute.loc["north", "area_factor"] == pytest.approx(2000.0 / 1500.0)
