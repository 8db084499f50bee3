"""embodied_flows: Leontief kernels by hand, against pymrio's test MRIO, balance identities, bad inputs.

References: Miller, R. E., Blair, P. D. (2009), Input-Output Analysis, 2nd ed., eq. 2.4 (A = Z x^-1),
eq. 2.10 (L = (I - A)^-1); Stadler (2021), pymrio 0.7 (``load_test()`` and ``calc_all()``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.embodied_flows import kernels as k
from ecociv.models.embodied_flows.model import MODEL, example, run


def test_leontief_inverse_of_a_two_by_two_by_hand() -> None:
    # A = [[0.2, 0.3], [0.4, 0.1]]: I - A = [[0.8, -0.3], [-0.4, 0.9]], det = 0.72 - 0.12 = 0.6,
    # L = [[0.9, 0.3], [0.4, 0.8]] / 0.6 = [[1.5, 0.5], [2/3, 4/3]]
    a = np.array([[0.2, 0.3], [0.4, 0.1]])
    assert np.allclose(k.leontief_inverse(a), [[1.5, 0.5], [2 / 3, 4 / 3]], rtol=0, atol=1e-12)
    # A from Z and x: Z = [[20, 30], [40, 10]], x = [100, 100]
    z = np.array([[20.0, 30.0], [40.0, 10.0]])
    assert np.allclose(k.technical_coefficients(z, [100.0, 100.0]), a)
    # output multipliers = column sums of L: 1.5 + 2/3, 0.5 + 4/3
    assert np.allclose(k.leontief_inverse(a).sum(axis=0), [13 / 6, 11 / 6])


def test_equal_to_pymrio_on_its_test_mrio() -> None:
    pymrio = pytest.importorskip("pymrio")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        io = pymrio.load_test().calc_all()
    z = io.Z.to_numpy()
    x = io.x.to_numpy().ravel()
    a = k.technical_coefficients(z, x)
    assert np.allclose(a, io.A.to_numpy(), rtol=1e-10, atol=1e-14)
    leontief = k.leontief_inverse(a)
    assert np.allclose(leontief, io.L.to_numpy(), rtol=1e-9, atol=1e-12)
    ext = io.emissions
    direct = k.intensities(ext.F.to_numpy(), x)
    assert np.allclose(direct, ext.S.to_numpy(), rtol=1e-10, atol=1e-14)
    total = k.multipliers(direct, leontief)
    assert np.allclose(total, ext.M.to_numpy(), rtol=1e-9, atol=1e-12)
    # consumption-based (footprint) account by producing product: pymrio D_cba summed over regions
    # of consumption equals m_j * (total final demand for product j)
    y = io.Y.to_numpy().sum(axis=1)
    ours = k.embodied_by_product(total, y)
    assert np.allclose(ours.sum(axis=1), ext.D_cba.to_numpy().sum(axis=1), rtol=1e-9)
    # production-based: Σ F = m · y when every output ends in final demand of some region
    assert np.allclose(ours.sum(axis=1), ext.F.to_numpy().sum(axis=1), rtol=1e-9)


def _table(z: np.ndarray, local: list[float], exports: list[float], imports: list[float],
           water: list[float], co2: list[float], names: list[str]) -> dict[str, pd.DataFrame]:
    x = z.sum(axis=1) + np.array(local) + np.array(exports) - np.array(imports)
    sectors = pd.DataFrame({"sector": names, "total_output": x, "local_final_demand": local,
                            "exports": exports, "imports": imports, "water_use": water, "co2": co2})
    flows = pd.DataFrame([{"from_sector": names[i], "to_sector": names[j], "flow": z[i, j]}
                          for i in range(len(names)) for j in range(len(names)) if z[i, j] > 0],
                         columns=["from_sector", "to_sector", "flow"])
    return {"io_sectors": sectors, "io_flows": flows}


def test_embodied_equals_direct_when_all_output_goes_to_final_demand() -> None:
    # Z = 0: L = I, multipliers = direct intensities, so embodied in exports = direct use of the
    # exported share; local + exports = all output, so embodied totals = direct totals
    inputs = _table(np.zeros((2, 2)), [60.0, 10.0], [40.0, 30.0], [0.0, 0.0], [5.0, 2.0], [1.0, 8.0],
                    ["agriculture", "power_heat"])
    out = run(inputs)
    balance = out["embodied_balance"].set_index("extension")
    assert balance.loc["water", "in_local_final_demand"] + balance.loc["water", "in_exports"] == \
        pytest.approx(7.0)
    trade = out["embodied_trade"].set_index("sector")
    assert trade.loc["agriculture", "water_in_exports"] == pytest.approx(5.0 * 40 / 100)
    assert trade.loc["power_heat", "co2_in_exports"] == pytest.approx(8.0 * 30 / 40)
    multipliers = out["multipliers"].set_index("sector")
    assert np.allclose(multipliers["output_multiplier"], 1.0)
    assert np.allclose(multipliers["water_total"], multipliers["water_direct"])


def test_balance_closes_on_the_shipped_fixture() -> None:
    out = run(example())
    balance = out["embodied_balance"].set_index("extension")
    for ext in ("water", "co2"):
        row = balance.loc[ext]
        assert abs(row["closure"]) < 1e-9 * row["direct_total"]
        assert row["consumption_based"] == pytest.approx(row["in_local_final_demand"])
    # with intermediate use, multipliers exceed direct intensities (food processing buys crops)
    m = out["multipliers"].set_index("sector")
    assert (m["water_total"] >= m["water_direct"] - 1e-12).all()
    assert m.loc["food_processing", "water_total"] > 10 * m.loc["food_processing", "water_direct"]
    # by origin and by product give the same total embodied in exports
    trade = out["embodied_trade"]
    assert trade["water_in_exports"].sum() == pytest.approx(trade["water_exported_from_sector"].sum())


def test_crop_water_check_and_replacement() -> None:
    inputs = dict(example())
    crops = pd.DataFrame({"crop": ["cotton", "wheat"], "area_ha": [1e6, 5e5], "blue_mm": [600.0, 400.0],
                          "crop_water_use_m3": [7e9, 2.5e9]})
    inputs["virtual_water"] = crops
    out = run(inputs)
    check = out["crop_water_check"].iloc[0]
    blue = (600 * 1e6 + 400 * 5e5) * 10 / 1e8  # 10^8 m3
    assert check["crop_water"] == pytest.approx(blue)
    table_water = float(inputs["io_sectors"].set_index("sector").loc["agriculture", "water_use"])
    assert check["table_water"] == table_water
    assert check["ratio"] == pytest.approx(table_water / blue)
    replaced = run({**inputs, "agriculture_water": "crop_water", "crop_water_component": "total"})
    m = replaced["multipliers"].set_index("sector")
    assert m.loc["agriculture", "water_direct"] == pytest.approx(95.0 / 900 * 1e4)


@pytest.mark.parametrize("case, message", [
    ("productive", "column sum of A >= 1"),
    ("negative", "flow"),
    ("unknown", "unknown sector 'steel_mills'"),
    ("flow_sector", "is not a row of io_sectors"),
    ("balance", "differs from intermediate sales"),
])
def test_bad_inputs_give_one_line(case: str, message: str, tmp_path: Path) -> None:
    names = ["agriculture", "power_heat"]
    inputs = _table(np.array([[10.0, 5.0], [20.0, 5.0]]), [50.0, 20.0], [10.0, 10.0], [0.0, 0.0],
                    [1.0, 1.0], [1.0, 1.0], names)
    sectors, flows = inputs["io_sectors"], inputs["io_flows"]
    if case == "productive":
        # power_heat buys 25 (agriculture) + 30 (itself) with an output of 50: column sum 1.1;
        # rows balance: agriculture 10 + 25 + 70 = 105, power_heat 20 + 30 + 0 = 50
        inputs = _table(np.array([[10.0, 25.0], [20.0, 30.0]]), [70.0, 0.0], [0.0, 0.0], [0.0, 0.0],
                        [1.0, 1.0], [1.0, 1.0], names)
        sectors, flows = inputs["io_sectors"], inputs["io_flows"]
    elif case == "negative":
        flows.loc[flows.index[0], "flow"] = -1.0
    elif case == "unknown":
        sectors.loc[1, "sector"] = "steel_mills"
    elif case == "flow_sector":
        flows.loc[flows.index[0], "to_sector"] = "construction"
    elif case == "balance":
        sectors.loc[0, "total_output"] *= 1.5
    inputs = {"io_sectors": sectors, "io_flows": flows, "balance_tolerance": 0.01}
    with pytest.raises(InputError) as err:
        run_in_memory(MODEL, inputs, tmp_path / "out")
    text = str(err.value)
    assert message in text
    assert "\n" not in text


def test_wired_to_the_virtual_water_table_of_water_allocation(tmp_path: Path) -> None:
    # the CSV that water_allocation writes loads as this model's virtual_water input (columns and
    # units agree), and the comparison uses its blue water: Σ blue_mm × area_ha × 10 m³
    from ecociv.registry import get_model

    water = get_model("water_allocation")
    run_in_memory(water, water.example(), tmp_path / "water")
    crops = pd.read_csv(tmp_path / "water" / "virtual_water.csv")
    expected = float((crops["blue_mm"] * crops["area_ha"] * 10.0).sum()) / 1e8
    inputs = {**example(), "virtual_water": str(tmp_path / "water" / "virtual_water.csv")}
    run_in_memory(MODEL, inputs, tmp_path / "io")
    check = pd.read_csv(tmp_path / "io" / "crop_water_check.csv").iloc[0]
    assert check["crop_water"] == pytest.approx(expected)
    assert check["used"] == "table"
