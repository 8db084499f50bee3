"""rights_market's water-rights market built from water_allocation's demand sites: a three-site
market solved by hand (Montgomery's 1972 closed form on the active set, with the linear inverse
demand of each site), quantity units, sectors that only buy, and the bad inputs (file, column,
row)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.models.rights_market.model import run
from ecociv.registry import get_model

# annual demand and delivery (m³/yr) of three sites of basin 'B'
SITES = {"farm1": ("agriculture", 1200.0, 900.0), "farm2": ("agriculture", 600.0, 600.0),
         "factory": ("industry", 300.0, 150.0)}
VALUES = "sector,marginal_value,price_elasticity\nagriculture,0.5,-0.5\nindustry,10,-1\n"
SHARE_TOO_BIG = ("sector,marginal_value,price_elasticity,max_give_up_share\n"
                 "agriculture,0.5,-0.5,1.5\nindustry,10,-1,\n")


def _deliveries(sites=SITES, months: int = 12) -> pd.DataFrame:
    """``months`` monthly rows per site, each a twelfth of the annual amounts (as water_allocation
    writes them), starting 2020-01."""
    rows = []
    for site, (sector, demand, delivered) in sites.items():
        for k in range(months):
            rows.append({"month": f"{2020 + k // 12}-{k % 12 + 1:02d}", "site": site,
                         "sector": sector, "priority": 3, "basin": "B", "unit": "650100",
                         "demand_m3": demand / 12, "delivered_m3": delivered / 12})
    return pd.DataFrame(rows)


def _values(text: str = VALUES) -> pd.DataFrame:
    from io import StringIO

    return pd.read_csv(StringIO(text))


def test_three_site_market_solved_by_hand():
    """Each site's cost of giving up a of its desired use b is v·a + ½·v/(|ε|·b)·a² (linear
    inverse demand through (b, v) with elasticity ε): α = v, β = v/(|ε|·b), so
    β_farm1 = 0.5/(0.5·1200) = 1/1200, β_farm2 = 1/600, β_factory = 10/(1·300) = 1/30.
    Required abatement A = Σb − Σl = 2100 − 1650 = 450 m³. Montgomery's closed form on all three,
    p = (A + Σα/β)/Σ(1/β) = 1650/1830 = 0.90 < α_factory = 10: the factory gives up nothing, so
    on the farms alone p* = (450 + 0.5·1200 + 0.5·600)/(1200 + 600) = 0.75 yuan/m³;
    farm1 gives up (0.75 − 0.5)·1200 = 300 m³, farm2 150 m³; farm2 sells 150 m³ to the factory.
    Cost with trading: farm1 0.5·300 + ½·300²/1200 = 187.5, farm2 0.5·150 + ½·150²/600 = 93.75,
    281.25 yuan/yr. Without trading farm1 gives up 300 (187.5), the factory 150
    (10·150 + ½·150²/30 = 1875): 2062.5 yuan/yr."""
    out = run({"water_deliveries": _deliveries(), "water_values": _values()})
    clearing = out["clearing"].iloc[0]
    assert (clearing["market"], clearing["zone_group"], clearing["quantity_unit"]) == ("water", "B", "m**3")
    assert clearing["price"] == pytest.approx(0.75, rel=1e-9)
    assert clearing["baseline"] == pytest.approx(2100.0)
    assert clearing["rights_issued"] == pytest.approx(1650.0)
    assert clearing["traded_volume"] == pytest.approx(150.0, rel=1e-9)
    assert clearing["cost_with_trading"] == pytest.approx(281.25, rel=1e-9)
    assert clearing["cost_without_trading"] == pytest.approx(2062.5, rel=1e-9)
    assert clearing["saving"] == pytest.approx(2062.5 - 281.25, rel=1e-9)
    trades = out["trades"].set_index("participant")
    assert trades.loc[["factory", "farm1", "farm2"], "abatement"].tolist() == pytest.approx([0, 300, 150])
    assert trades.loc[["factory", "farm1", "farm2"], "net_purchase"].tolist() == pytest.approx(
        [150, 0, -150], abs=1e-6)
    assert trades.loc["farm2", "marginal_abatement_cost"] == pytest.approx(0.75)
    assert trades.loc["factory", "sector"] == "industry"


def test_several_years_are_averaged_and_units_scale():
    """Three years of months give the same annual amounts; in units of 1000 m³ the price is per
    1000 m³ (750) and the amounts are a thousandth."""
    out = run({"water_deliveries": _deliveries(months=36), "water_values": _values(),
               "quantity_unit": "1000 m**3"})
    clearing = out["clearing"].iloc[0]
    assert clearing["price"] == pytest.approx(750.0, rel=1e-9)
    assert clearing["traded_volume"] == pytest.approx(0.150, rel=1e-9)
    assert clearing["cost_with_trading"] == pytest.approx(281.25, rel=1e-9)


def test_a_sector_that_may_not_give_water_up_never_sells():
    """The factory as domestic water that may not be given up (max_give_up_share 0), valued at
    v = 0.1 below the farms' (ε = −1, β = 0.1/300). It keeps its shortage under the caps (300 −
    150 = 150 m³, costed on its curve under command and control: 0.1·150 + ½·150²·0.1/300 =
    18.75) but sells nothing: the farms give up the other 300 m³, p = (300 + 0.5·1200 +
    0.5·600)/1800 = 2/3 yuan/m³: farm1 gives up 200 and buys 100 m³ from farm2, which gives up
    100. Without the limit the cheap domestic water is sold (net purchase < 0)."""
    text = ("sector,marginal_value,price_elasticity,max_give_up_share\nagriculture,0.5,-0.5,\n"
            "domestic,0.1,-1,0\n")
    sites = {**SITES, "factory": ("domestic", 300.0, 150.0)}
    out = run({"water_deliveries": _deliveries(sites), "water_values": _values(text)})
    trades = out["trades"].set_index("participant")
    assert trades.loc["factory", "abatement"] == pytest.approx(150.0)
    assert trades.loc["factory", "net_purchase"] == pytest.approx(0.0, abs=1e-6)
    assert trades.loc["factory", "cost_without_trading"] == pytest.approx(18.75)
    assert trades.loc[["farm1", "farm2"], "net_purchase"].tolist() == pytest.approx([100.0, -100.0])
    assert out["clearing"]["price"].iloc[0] == pytest.approx(2 / 3, rel=1e-9)
    assert out["clearing"]["saving"].iloc[0] >= 0
    free = run({"water_deliveries": _deliveries(sites),
                "water_values": _values(text.replace(",-1,0\n", ",-1,\n"))})
    assert free["trades"].set_index("participant").loc["factory", "net_purchase"] < 0


def _bad_deliveries(column: str, value) -> pd.DataFrame:
    frame = _deliveries()
    frame[column] = frame[column].astype(object)
    frame.loc[2, column] = value
    return frame


@pytest.mark.parametrize("deliveries, values, extra, message", [
    (_bad_deliveries("month", "2020-13"), VALUES, {}, r"water_deliveries: row 3: column 'month' must be YYYY-MM"),
    (_bad_deliveries("demand_m3", -1.0), VALUES, {}, r"water_deliveries: row 3: column 'demand_m3' must be a number"),
    (_bad_deliveries("delivered_m3", "x"), VALUES, {}, r"row 3: column 'delivered_m3' must be a number"),
    (_bad_deliveries("delivered_m3", 500.0), VALUES, {}, r"row 3: delivered_m3 500 is above demand_m3 100"),
    (_bad_deliveries("site", ""), VALUES, {}, r"row 3: column 'site' is empty"),
    (_bad_deliveries("sector", "ecology"), VALUES, {},
     r"water_deliveries: row 3: site 'farm1' has sector 'ecology', which has no row in water_values"),
    (_deliveries().iloc[0:0], VALUES, {}, "the deliveries table has no rows"),
    (_deliveries(), VALUES + "industry,5,-1\n", {}, r"water_values: row 3: sector 'industry' appears twice"),
    (_deliveries(), VALUES.replace("0.5,-0.5", "0,-0.5"), {},
     r"row 1: column 'marginal_value' of sector 'agriculture'"),
    (_deliveries(), VALUES.replace("10,-1", "10,0.2"), {},
     r"row 2: column 'price_elasticity' of sector 'industry' must be a number < 0"),
    (_deliveries(), SHARE_TOO_BIG, {},
     r"row 1: column 'max_give_up_share' of sector 'agriculture' must be a share in \[0, 1\]"),
    (_deliveries(), None, {}, "water_deliveries needs the water_values table"),
    (_deliveries(), VALUES, {"quantity_unit": "t"}, "quantity_unit: water_deliveries are volumes"),
    (_deliveries(), VALUES, {"emissions": pd.DataFrame({"year": [2035], "unit": ["A"], "sector": ["x"],
                                                         "pollutant": ["CO2"], "emission_t": [1.0]})},
     "not both emissions and water_deliveries"),
])
def test_bad_water_inputs(deliveries, values, extra, message):
    inputs = {"water_deliveries": deliveries, **extra}
    if values is not None:
        inputs["water_values"] = _values(values)
    with pytest.raises(InputError, match=message):
        run(inputs)


def test_files_through_the_model_runner(tmp_path, write_csv):
    """The same market from CSV files through the common run path; a bad row names the file's
    line."""
    deliveries = tmp_path / "deliveries.csv"
    _deliveries().to_csv(deliveries, index=False)
    values = write_csv("values.csv", VALUES)
    run_model(get_model("rights_market"), {"water_deliveries": deliveries, "water_values": values},
              {}, tmp_path / "out")
    clearing = pd.read_csv(tmp_path / "out" / "clearing.csv")
    assert clearing["price"].iloc[0] == pytest.approx(0.75, rel=1e-9)
    bad = write_csv("bad.csv", VALUES.replace("10,-1", "10,0.2"))
    with pytest.raises(InputError) as error:
        run_model(get_model("rights_market"), {"water_deliveries": deliveries, "water_values": bad},
                  {}, tmp_path / "out2")
    text = str(error.value)
    assert "line 3" in text and "price_elasticity" in text and "\n" not in text
    assert np.isfinite(clearing["saving"].iloc[0])


def test_the_belt_values_cover_every_sector_of_the_belt_network():
    """data/strategies/water_values_s5.csv (the S5 and combined strategies' water market) passes
    the checks and has a row for every sector of a demand site of the Belt's water network, with
    a status on every row (a value without a source says 'illustrative')."""
    from importlib import resources

    import yaml

    from ecociv.models.rights_market.water import sector_values

    data = resources.files("ecociv") / "data"
    values = pd.read_csv(str(data / "strategies" / "water_values_s5.csv"))
    network = yaml.safe_load((data / "water" / "belt_network" / "network.yaml").read_text())
    sectors = {str(node["sector"]) for node in network["nodes"]
               if node.get("type") == "demand" and node.get("sector")}
    assert sectors and sectors <= set(sector_values(values))
    assert values["status"].notna().all() and values["source"].str.len().gt(20).all()
    assert "illustrative" in values.loc[values["sector"] == "domestic", "status"].item()
