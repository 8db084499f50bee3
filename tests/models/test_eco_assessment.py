"""eco_assessment: entropy weights by hand, TOPSIS against a published example, direction,
GDI weights, zone rules at and around their thresholds, contributions, indicators computed from
model outputs, and one InputError line per bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.models.eco_assessment import data, kernels, zones
from ecociv.models.eco_assessment.model import gdi_weights, run

# --- kernels ------------------------------------------------------------------------------------


def test_entropy_weights_by_hand() -> None:
    # columns: constant (e = 1), [0, 1, 3], [1, 2, 1]; worked by hand:
    # col 2: p = (0, 1/4, 3/4), e = (1/4 ln 4 + 3/4 ln 4/3) / ln 3 = 0.511860
    # col 3: p = (1/4, 1/2, 1/4), e = (1/2 ln 4 + 1/2 ln 2) / ln 3 = 0.946395
    x = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 2.0], [1.0, 3.0, 1.0]])
    entropy, weights = kernels.entropy_weights(x)
    e2 = (0.25 * math.log(4) + 0.75 * math.log(4 / 3)) / math.log(3)
    e3 = (0.5 * math.log(4) + 0.5 * math.log(2)) / math.log(3)
    assert entropy == pytest.approx([1.0, e2, e3])
    assert entropy[1:] == pytest.approx([0.511860, 0.946395], abs=1e-6)
    assert weights == pytest.approx([0.0, (1 - e2) / (2 - e2 - e3), (1 - e3) / (2 - e2 - e3)])
    assert weights[1] == pytest.approx(0.901051, abs=1e-6)
    assert weights.sum() == pytest.approx(1.0)


def test_entropy_of_an_all_zero_column_is_one_and_equal_weights_when_nothing_discriminates() -> None:
    entropy, weights = kernels.entropy_weights(np.array([[0.0, 1.0], [0.0, 1.0]]))
    assert entropy == pytest.approx([1.0, 1.0])
    assert weights == pytest.approx([0.5, 0.5])


# R package MCDA (Bigaret, Meyer et al.), help page TOPSIS.Rd, example: three cars, criteria purchase
# price (min), economy, aesthetics, boot capacity (max), weights 0.35/0.25/0.25/0.15, with the
# weighted positive and negative ideal solutions printed in the example.
CARS = np.array([[5490, 51.4, 8.5, 285], [6500, 70.6, 7, 288], [6489, 54.3, 7.5, 290]], dtype=float)
CAR_WEIGHTS = np.array([0.35, 0.25, 0.25, 0.15])
CAR_BENEFIT = np.array([False, True, True, True])
PIS = [0.179573776, 0.171636015, 0.159499658, 0.087302767]
NIS = [0.212610118, 0.124958799, 0.131352659, 0.085797547]


def test_topsis_ideal_points_match_the_published_example() -> None:
    best, worst = kernels.ideal_points(CARS, CAR_BENEFIT, CAR_WEIGHTS)
    assert best == pytest.approx(PIS, abs=1e-8)
    assert worst == pytest.approx(NIS, abs=1e-8)


def test_topsis_closeness_from_the_published_ideal_points() -> None:
    v = CAR_WEIGHTS * CARS / np.sqrt((CARS**2).sum(axis=0))
    d_plus = np.sqrt(((v - PIS) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - NIS) ** 2).sum(axis=1))
    closeness = kernels.topsis(CARS, CAR_BENEFIT, CAR_WEIGHTS)
    assert closeness == pytest.approx(d_minus / (d_plus + d_minus), abs=1e-8)
    assert ((closeness >= 0) & (closeness <= 1)).all()


def test_minmax_reverses_cost_indicators_and_zscore_negates_them() -> None:
    x = np.array([[1.0, 10.0], [3.0, 30.0], [2.0, 20.0]])
    out = kernels.minmax(x, np.array([True, False]))
    assert out[:, 0] == pytest.approx([0.0, 1.0, 0.5])
    assert out[:, 1] == pytest.approx([1.0, 0.0, 0.5])
    z = kernels.zscore(x, np.array([True, False]))
    assert z[:, 0] == pytest.approx(-z[:, 1])
    assert z[1, 0] > 0 > z[1, 1]


def test_a_constant_indicator_normalises_to_one() -> None:
    assert kernels.minmax(np.array([[2.0], [2.0]]), np.array([False]))[:, 0] == pytest.approx([1, 1])


# --- GDI weights --------------------------------------------------------------------------------


def test_gdi_category_weights_sum_to_100_and_are_the_published_ones() -> None:
    categories = data.categories().set_index("category")["weight_percent"]
    assert categories.sum() == pytest.approx(100.0)
    assert categories.to_dict() == {"resource_use": 29.3, "environmental_governance": 16.5,
                                    "environmental_quality": 19.3, "ecological_protection": 16.5,
                                    "growth_quality": 9.2, "green_living": 9.2}


def test_gdi_weights_split_a_category_equally() -> None:
    system = data.indicator_system().set_index("indicator")
    used = ["water_use_total", "water_intensity", "good_air_days_pct"]
    w = gdi_weights(system, used)
    assert w.sum() == pytest.approx(1.0)
    assert w[0] == pytest.approx(w[1])
    assert (w[0] + w[1]) / w[2] == pytest.approx(29.3 / 19.3)


def test_every_shipped_row_names_a_known_source() -> None:
    known = set(data.sources()["source"])
    for table in (data.indicator_system(), data.categories(), data.zone_weights()):
        for cell in table["source"]:
            for part in cell.split(";"):
                assert part.strip().split(" ")[0] in known, cell


# --- model --------------------------------------------------------------------------------------


def _table(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame([(u, i, v) for u, values in rows.items() for i, v in values.items()],
                        columns=["unit", "indicator", "value"])


THREE = {"A": {"water_intensity": 100.0, "good_air_days_pct": 80.0},
         "B": {"water_intensity": 300.0, "good_air_days_pct": 90.0},
         "C": {"water_intensity": 200.0, "good_air_days_pct": 70.0}}


def test_direction_handling_in_a_run() -> None:
    out = run({"indicator_values": _table(THREE)})
    c = out["contributions"].set_index(["unit", "indicator"])["normalised"]
    assert c[("A", "water_intensity")] == pytest.approx(1.0)  # least water per value added: best
    assert c[("B", "water_intensity")] == pytest.approx(0.0)
    assert c[("B", "good_air_days_pct")] == pytest.approx(1.0)


@pytest.mark.parametrize("weighting", ["gdi", "entropy", "combined"])
@pytest.mark.parametrize("normalisation", ["minmax", "zscore"])
def test_contributions_sum_to_the_score_and_weights_to_one(weighting: str, normalisation: str) -> None:
    out = run({"indicator_values": _table(THREE), "weighting": weighting, "normalisation": normalisation})
    sums = out["contributions"].groupby("unit")[["contribution", "weight"]].sum()
    scores = out["scores"].set_index("unit")
    assert sums["contribution"].to_numpy() == pytest.approx(scores.loc[sums.index, "score"].to_numpy())
    assert sums["weight"].to_numpy() == pytest.approx(np.ones(3))
    assert sorted(scores["rank"]) == [1, 2, 3]


def test_gdi_weighted_sum_by_hand() -> None:
    # A: water 1 (best), air 0.5; weights 29.3/(29.3+19.3) and 19.3/(29.3+19.3)
    out = run({"indicator_values": _table(THREE)})
    score = out["scores"].set_index("unit")["score"]
    wr, wq = 29.3 / 48.6, 19.3 / 48.6
    assert score["A"] == pytest.approx(wr * 1 + wq * 0.5)
    assert score["B"] == pytest.approx(wr * 0 + wq * 1)
    assert score["C"] == pytest.approx(wr * 0.5 + wq * 0)
    assert out["scores"]["unit"].tolist() == ["A", "B", "C"]


def test_topsis_aggregation_keeps_weighted_sum_as_the_contributions_total() -> None:
    out = run({"indicator_values": _table(THREE), "aggregation": "topsis"})
    scores = out["scores"].set_index("unit")
    x = np.array([[100, 80], [300, 90], [200, 70]], dtype=float)
    expected = kernels.topsis(x, np.array([False, True]), np.array([29.3, 19.3]) / 48.6)
    assert scores.loc[["A", "B", "C"], "score"].to_numpy() == pytest.approx(expected)
    sums = out["contributions"].groupby("unit")["contribution"].sum()
    assert sums.to_numpy() == pytest.approx(scores.loc[sums.index, "weighted_sum"].to_numpy())


# --- zone types ---------------------------------------------------------------------------------


def _area(cropland: tuple[float, float], ecological: tuple[float, float]) -> list[tuple[int, int, float]]:
    return [(2020, 1, cropland[0]), (2035, 1, cropland[1]), (2020, 3, ecological[0]),
            (2035, 3, ecological[1])]


def _land(units: dict[str, list[tuple[int, int, float]]]) -> pd.DataFrame:
    return pd.DataFrame([(y, u, c, a) for u, rows in units.items() for y, c, a in rows],
                        columns=["year", "zone", "lucode", "area_km2"])


def _classify(inputs: dict[str, object]) -> dict[str, str]:
    out = run(inputs)
    return dict(zip(out["zone_types"]["unit"], out["zone_types"]["zone_type"], strict=True))


def test_cropland_growth_rule_at_and_around_its_threshold() -> None:
    land = _land({"at": _area((100, 105), (100, 100)), "below": _area((100, 104.99), (100, 100)),
                  "above": _area((100, 105.01), (100, 100))})
    zone = _classify({"area_by_class": land})
    assert zone == {"at": "cropland_growth", "below": "general", "above": "cropland_growth"}
    zone = _classify({"area_by_class": land, "cropland_growth_threshold": 5.005})
    assert zone["at"] == "general" and zone["above"] == "cropland_growth"


def test_degradation_rule_at_and_around_its_threshold() -> None:
    land = _land({"at": _area((100, 100), (100, 95)), "below": _area((100, 100), (100, 95.01)),
                  "above": _area((100, 100), (100, 94.99))})
    zone = _classify({"area_by_class": land})
    assert zone == {"at": "ecological_degradation", "below": "general", "above": "ecological_degradation"}


def _groundwater(ratios: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"year": 2020, "aquifer": list(ratios), "unit": list(ratios),
                         "pumping_m3": [1e6 * (1 + r) for r in ratios.values()],
                         "allowable_abstraction_m3": 1e6, "overdraft_m3": [1e6 * r for r in ratios.values()]})


def test_overdraft_rule_is_strict_at_its_threshold() -> None:
    zone = _classify({"groundwater": _groundwater({"at": 0.3, "below": 0.2999, "above": 0.3001})})
    assert zone == {"at": "general", "below": "general", "above": "groundwater_overdraft"}


def test_esv_decline_rule_and_precedence() -> None:
    esv = pd.DataFrame({"unit": ["at", "below", "both"], "esv_yuan": [100.0, 100.0, 100.0],
                        "esv_change_yuan": [-5.0, -4.99, -20.0]})
    gw = _groundwater({"at": 0.0, "below": 0.0, "both": 0.9})
    out = run({"esv_by_unit": esv, "groundwater": gw})
    z = out["zone_types"].set_index("unit")
    assert z.loc["at", "zone_type"] == "ecological_degradation"
    assert z.loc["below", "zone_type"] == "general"
    assert z.loc["both", "zone_type"] == "ecological_degradation"
    assert z.loc["both", "rules_met"] == "groundwater_overdraft,ecological_degradation"
    out = run({"esv_by_unit": esv, "groundwater": gw,
               "zone_precedence": "groundwater_overdraft,ecological_degradation,cropland_growth"})
    assert out["zone_types"].set_index("unit").loc["both", "zone_type"] == "groundwater_overdraft"


def test_zone_emphasis_changes_the_weights_of_that_zone_only() -> None:
    gw = _groundwater({"A": 0.5, "B": 0.0, "C": 0.1})
    table = _table({u: {"water_use_total": v} for u, v in (("A", 5.0), ("B", 2.0), ("C", 3.0))})
    out = run({"groundwater": gw, "indicator_values": table})
    w = out["contributions"].pivot(index="unit", columns="indicator", values="weight")
    assert w.loc["B", "water_use_total"] == pytest.approx(0.5)  # general: equal (same category)
    # overdraft zone: both indicators have emphasis 2 (assessment_zone_weights.csv): still equal
    assert w.loc["A", "water_use_total"] == pytest.approx(0.5)
    custom = pd.DataFrame({"zone_type": ["groundwater_overdraft"], "indicator": ["water_use_total"],
                           "emphasis": [3.0]})
    out = run({"groundwater": gw, "indicator_values": table, "zone_weights": custom})
    w = out["contributions"].pivot(index="unit", columns="indicator", values="weight")
    assert w.loc["A", "water_use_total"] == pytest.approx(0.75)
    assert w.loc["B", "water_use_total"] == pytest.approx(0.5)


def test_zone_type_override_is_used_and_said() -> None:
    overrides = pd.DataFrame({"unit": ["A"], "zone_type": ["cropland_growth"]})
    out = run({"indicator_values": _table(THREE), "zone_type_overrides": overrides})
    z = out["zone_types"].set_index("unit")
    assert z.loc["A", "zone_type"] == "cropland_growth"
    assert "given in the zone_types table" in z.loc["A", "evidence"]


# --- indicators from model outputs --------------------------------------------------------------


def test_indicators_computed_from_model_outputs() -> None:
    deliveries = pd.DataFrame({"month": [f"2020-{m:02d}" for m in range(1, 13)] * 2,
                               "unit": ["A"] * 12 + ["B"] * 12, "delivered_m3": [1e7] * 12 + [2e7] * 12})
    groundwater = pd.DataFrame({"year": [2020], "aquifer": ["aq"], "unit": [""], "pumping_m3": [4e8],
                                "allowable_abstraction_m3": [2e8], "overdraft_m3": [2e8]})
    shares = pd.DataFrame({"year": [2020, 2020], "unit": ["A", "B"], "aquifer": ["aq", "aq"],
                           "pumping_m3": [1e8, 3e8], "overdraft_m3": [0.5e8, 1.5e8]})
    emissions = pd.DataFrame({"unit": ["A", "A", "B", "B"], "year": [2020, 2025, 2020, 2025],
                              "so2_t": [100.0, 80.0, 50.0, 55.0]})
    intensities = pd.DataFrame({"unit": ["A", "A", "B"], "sector": ["all", "all", "all"],
                                "year": [2019, 2020, 2020], "water_intensity": [50.0, 40.0, 60.0]})
    redline = pd.DataFrame({"zone": ["A", "B", "all"], "redline_percent": [10.0, 30.0, 20.0]})
    out = run({"deliveries": deliveries, "groundwater": groundwater, "groundwater_units": shares,
               "emissions_by_unit": emissions, "intensities": intensities, "redline_by_zone": redline})
    v = out["contributions"].set_index(["unit", "indicator"])["value"]
    assert v[("A", "water_use_total")] == pytest.approx(1.2)  # 12 × 10^7 m³ = 1.2 × 10^8 m³/yr
    assert v[("B", "water_use_total")] == pytest.approx(2.4)
    assert v[("A", "groundwater_overdraft_ratio")] == pytest.approx(1.0)  # 0.5e8 / (1/4 × 2e8)
    assert v[("A", "so2_reduction_pct")] == pytest.approx(20.0)
    assert v[("B", "so2_reduction_pct")] == pytest.approx(-10.0)
    assert v[("A", "water_intensity")] == pytest.approx(40.0)  # last year
    assert v[("B", "redline_share_pct")] == pytest.approx(30.0)
    origin = out["contributions"].set_index(["unit", "indicator"])["origin"]
    assert "emission_inventory.emissions_by_unit: so2_t" in origin[("A", "so2_reduction_pct")]
    assert set(out["scores"]["unit"]) == {"A", "B"}


def test_a_table_value_overrides_a_computed_one() -> None:
    redline = pd.DataFrame({"zone": ["A", "B"], "redline_percent": [10.0, 30.0]})
    table = pd.DataFrame({"unit": ["A"], "indicator": ["redline_share_pct"], "value": [50.0],
                          "source": ["survey"]})
    out = run({"redline_by_zone": redline, "indicator_values": table})
    c = out["contributions"].set_index(["unit", "indicator"])
    assert c.loc[("A", "redline_share_pct"), "value"] == 50.0
    assert c.loc[("A", "redline_share_pct"), "origin"] == "table (survey)"


def test_land_use_indicators_and_cropland_retention_capped() -> None:
    land = _land({"A": _area((100, 120), (100, 90)), "B": _area((100, 90), (100, 100))})
    v = run({"area_by_class": land})["contributions"].set_index(["unit", "indicator"])["value"]
    assert v[("A", "cropland_retention_pct")] == pytest.approx(100.0)
    assert v[("B", "cropland_retention_pct")] == pytest.approx(90.0)
    assert v[("A", "grassland_share_pct")] == pytest.approx(90 / 210 * 100)
    assert v[("A", "ecological_land_change_pct")] == pytest.approx(-10.0)


# --- missing values -----------------------------------------------------------------------------

HOLE = {"A": {"water_intensity": 100.0, "good_air_days_pct": 80.0},
        "B": {"water_intensity": 300.0},
        "C": {"water_intensity": 200.0, "good_air_days_pct": 70.0}}


def test_missing_value_policies() -> None:
    out = run({"indicator_values": _table(HOLE), "missing": "drop_unit"})
    assert sorted(out["scores"]["unit"]) == ["A", "C"]
    out = run({"indicator_values": _table(HOLE), "missing": "drop_indicator"})
    assert set(out["contributions"]["indicator"]) == {"water_intensity"}
    out = run({"indicator_values": _table(HOLE), "missing": "worst"})
    c = out["contributions"].set_index(["unit", "indicator"])
    assert c.loc[("B", "good_air_days_pct"), "value"] == 70.0
    assert c.loc[("B", "good_air_days_pct"), "normalised"] == 0.0
    assert c.loc[("B", "good_air_days_pct"), "origin"].startswith("missing")


# --- bad inputs: one InputError line each -------------------------------------------------------


def _one_line_error(inputs: dict[str, object], *words: str) -> None:
    with pytest.raises(InputError) as caught:
        run(inputs)
    text = str(caught.value)
    assert "\n" not in text
    for word in words:
        assert word in text, text


def test_unknown_indicator() -> None:
    table = _table({"A": {"not_an_indicator": 1.0}, "B": {"water_intensity": 2.0}})
    _one_line_error({"indicator_values": table}, "unknown indicator 'not_an_indicator'", "row 0")


def test_missing_value_with_policy_error() -> None:
    _one_line_error({"indicator_values": _table(HOLE)}, "B/good_air_days_pct", "missing")


def test_weights_not_summing_to_one() -> None:
    weights = pd.DataFrame({"indicator": ["water_intensity", "good_air_days_pct"], "weight": [0.5, 0.6]})
    _one_line_error({"indicator_values": _table(THREE), "weighting": "given",
                     "indicator_weights_given": weights}, "sum to 1.1")


def test_given_weights_used_when_they_sum_to_one() -> None:
    weights = pd.DataFrame({"indicator": ["water_intensity", "good_air_days_pct"], "weight": [0.2, 0.8]})
    out = run({"indicator_values": _table(THREE), "weighting": "given", "indicator_weights_given": weights})
    assert out["scores"].set_index("unit").loc["B", "score"] == pytest.approx(0.8)


def test_given_weights_missing_an_indicator_or_table() -> None:
    weights = pd.DataFrame({"indicator": ["water_intensity"], "weight": [1.0]})
    _one_line_error({"indicator_values": _table(THREE), "weighting": "given",
                     "indicator_weights_given": weights}, "good_air_days_pct")
    _one_line_error({"indicator_values": _table(THREE), "weighting": "given"}, "indicator_weights_given")


def test_unknown_zone_type() -> None:
    overrides = pd.DataFrame({"unit": ["A"], "zone_type": ["desert_paradise"]})
    _one_line_error({"indicator_values": _table(THREE), "zone_type_overrides": overrides},
                    "unknown zone type 'desert_paradise'")
    _one_line_error({"indicator_values": _table(THREE), "zone_precedence": "cropland_growth,wetland"},
                    "wetland")


def test_zone_weights_with_an_unknown_indicator() -> None:
    table = pd.DataFrame({"zone_type": ["general"], "indicator": ["nope"], "emphasis": [2.0]})
    _one_line_error({"indicator_values": _table(THREE), "zone_weights": table}, "'nope'")


def test_bad_indicator_system_and_units_of_measure() -> None:
    system = pd.DataFrame({"indicator": ["x"], "category": ["resource_use"], "direction": ["up"]})
    _one_line_error({"indicator_values": _table(THREE), "indicator_system": system}, "direction 'up'")
    table = _table(THREE).assign(unit_of_measure="litres")
    _one_line_error({"indicator_values": table}, "unit_of_measure 'litres'")


def test_duplicate_values_no_values_and_too_few_units() -> None:
    table = pd.concat([_table(THREE), _table({"A": {"water_intensity": 1.0}})], ignore_index=True)
    _one_line_error({"indicator_values": table}, "two values of water_intensity")
    _one_line_error({}, "no indicator value")
    _one_line_error({"indicator_values": _table({"A": {"water_intensity": 1.0}})}, "at least 2 units")


def test_the_latest_year_is_used() -> None:
    table = pd.DataFrame({"unit": ["A", "A", "B"], "indicator": ["water_intensity"] * 3,
                          "value": [1.0, 5.0, 3.0], "year": [2019, 2021, 2020]})
    c = run({"indicator_values": table})["contributions"].set_index("unit")
    assert c.loc["A", "value"] == 5.0


def test_shipped_zone_weights_name_known_zone_types_and_indicators() -> None:
    table = data.zone_weights()
    assert set(table["zone_type"]) == {*zones.TYPES, zones.GENERAL}
    system = set(data.indicator_system()["indicator"])
    assert set(table["indicator"]) - {""} <= system


def test_units_on_one_aquifer_share_its_overdraft_ratio() -> None:
    # the aquifer pumps 9e8 but units account for 3e8 (as in a water_allocation run where some
    # pumping is not attributed): the units' allowable shares follow the attributed pumping
    groundwater = pd.DataFrame({"year": [2020], "aquifer": ["aq"], "unit": [""], "pumping_m3": [9e8],
                                "allowable_abstraction_m3": [1e8], "overdraft_m3": [8e8]})
    shares = pd.DataFrame({"year": [2020, 2020], "unit": ["A", "B"], "aquifer": ["aq", "aq"],
                           "pumping_m3": [1e8, 2e8], "overdraft_m3": [2e8 / 3, 4e8 / 3]})
    out = run({"groundwater": groundwater, "groundwater_units": shares})
    z = out["zone_types"].set_index("unit")["overdraft_ratio"]
    assert z["A"] == pytest.approx(2.0)  # (2/3 e8) / (1/3 × 1e8)
    assert z["B"] == pytest.approx(2.0)


def test_cli_names_the_line_of_an_unknown_indicator_and_runs_topsis(
        tmp_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli_helper import run_ecociv

    bad = tmp_path / "values.csv"
    bad.write_text("unit,indicator,value\nA,water_intensity,1\nB,bogus,2\n", encoding="utf-8")
    code, _out, err = run_ecociv(capsys, monkeypatch, "model", "run", "eco_assessment", "-i",
                                 f"indicator_values={bad}", "-o", str(tmp_path / "bad"))
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "line 3" in err and "unknown indicator 'bogus'" in err
    good = tmp_path / "good.csv"
    good.write_text("unit,indicator,value\nA,water_intensity,1\nB,water_intensity,2\n"
                    "C,water_intensity,4\n", encoding="utf-8")
    code, _out, err = run_ecociv(capsys, monkeypatch, "model", "run", "eco_assessment", "-i",
                                 f"indicator_values={good}", "-p", "aggregation=topsis",
                                 "-o", str(tmp_path / "good"))
    assert code == 0, err
    scores = pd.read_csv(tmp_path / "good" / "scores.csv", dtype={"unit": str}).set_index("unit")
    # one cost indicator: closeness = (max − x) / (max − min) → 1, 2/3, 0
    assert scores["score"].to_numpy() == pytest.approx([1.0, 2 / 3, 0.0])
