"""park_risk: the HJ 169-2018 tables at their boundaries, sensitivity classes from hand-built
geometry, the Belt parks layer, the map, bad inputs.

Tables implemented (HJ 169-2018; see ecociv.models.park_risk.hj169 for how each was checked):
Q classes C.1.1 (1, 10, 100); M classes C.1.2 (5, 10, 20); P Table C.2; air E Table D.1 (5 km:
10,000 / 50,000 persons; 500 m: 500 / 1,000); potential Table 2; levels Table 1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.models.park_risk import hj169
from ecociv.models.park_risk import kernels as k
from ecociv.models.park_risk.model import MODEL, example, run
from ecociv.models.park_risk.report import risk_map

BELT = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "belt"


@pytest.mark.parametrize("q, expected", [(0.0, "Q0"), (0.999, "Q0"), (1.0, "Q1"), (9.999, "Q1"),
                                         (10.0, "Q2"), (99.99, "Q2"), (100.0, "Q3"), (1e6, "Q3")])
def test_q_classes_at_the_thresholds(q: float, expected: str) -> None:
    assert hj169.q_class(q) == expected


@pytest.mark.parametrize("m, expected", [(0.0, "M4"), (5.0, "M4"), (5.01, "M3"), (10.0, "M3"),
                                         (15.0, "M2"), (20.0, "M2"), (20.01, "M1"), (25.0, "M1")])
def test_m_classes_at_the_thresholds(m: float, expected: str) -> None:
    assert hj169.m_class(m) == expected


def test_p_and_potential_tables_as_stated() -> None:
    # Table C.2 (rows Q3, Q2, Q1; columns M1..M4) and Table 2 (rows E1..E3; columns P1..P4)
    p_rows = {"Q3": "P1 P1 P2 P3", "Q2": "P1 P2 P3 P4", "Q1": "P2 P3 P4 P4"}
    for q_cls, row in p_rows.items():
        assert [hj169.p_class(q_cls, f"M{i}") for i in range(1, 5)] == row.split()
    assert hj169.p_class("Q0", "M1") is None
    pot_rows = {"E1": "IV+ IV III III", "E2": "IV III III II", "E3": "III III II I"}
    for e_cls, row in pot_rows.items():
        assert [hj169.risk_potential("Q2", f"P{i}", e_cls) for i in range(1, 5)] == row.split()
    assert hj169.risk_potential("Q0", None, "E1") == "I"  # Q < 1: I whatever the surroundings
    assert hj169.highest(["II", "IV+", "III"]) == "IV+"
    assert hj169.LEVELS["IV"] == hj169.LEVELS["IV+"] == "level 1"
    # worked case of a public HJ 169 calculator's self-test: Q = 11.75 with M3 -> P3; E1 -> III, E3 -> II
    p = hj169.p_class(hj169.q_class(11.75), "M3")
    assert p == "P3"
    assert [hj169.risk_potential("Q2", p, e) for e in ("E1", "E3")] == ["III", "II"]


@pytest.mark.parametrize("p5, p05, expected", [
    (50_001, 0, "E1"), (50_000, 0, "E2"), (10_001, 0, "E2"), (10_000, 0, "E3"),
    (0, 1_001, "E1"), (0, 1_000, "E2"), (0, 501, "E2"), (0, 500, "E3"), (20_000, 1_500, "E1")])
def test_air_classes_at_the_thresholds(p5: float, p05: float, expected: str) -> None:
    assert hj169.air_sensitivity(p5, p05) == expected


def test_raster_population_share_of_a_cell() -> None:
    # one 1 km cell of 1,000 persons with the point at its centre: a 500 m circle covers
    # pi * 0.5^2 / 1 = 0.785 of it (sub-cell estimate within 0.03), a 5 km circle all of it
    values = np.zeros((21, 21))
    values[10, 10] = 1000.0
    xs = np.arange(21) * 1000.0 + 500.0
    ys = 21_000.0 - (np.arange(21) * 1000.0 + 500.0)
    inner = k.raster_population_within(values, xs, ys, 10_500.0, 10_500.0, 500.0, subsamples=40)
    assert inner == pytest.approx(1000 * np.pi / 4, rel=0.03)
    assert k.raster_population_within(values, xs, ys, 10_500.0, 10_500.0, 5000.0) == pytest.approx(1000.0)
    # 5.6 km away the cell is outside the 5 km circle
    assert k.raster_population_within(values, xs, ys, 16_100.0, 10_500.0, 5000.0) == 0.0


def _inputs(**changes: Any) -> dict[str, Any]:
    base = dict(example())
    base.update(changes)
    return base


def test_sensitivity_classes_from_a_hand_built_geometry() -> None:
    base = example()
    grid_crs = base["population"].rio.crs
    park_xy = (-1_400_000.0 + 25_500.0, 4_900_000.0 - 5_500.0)  # the desert park, empty cells
    # settlements: 50,000 persons at 4.9 km -> E2 (50,000 is not "more than 50,000"); one more -> E1
    for extra, expected in ((0.0, "E2"), (1.0, "E1")):
        towns = gpd.GeoDataFrame({"population": [50_000.0 + extra, 99_999.0]},
                                 geometry=[Point(park_xy[0] - 4900.0, park_xy[1]),
                                           Point(park_xy[0] - 5100.0, park_xy[1] - 100.0)], crs=grid_crs)
        inputs = {k_: v for k_, v in base.items() if k_ != "population"}
        inputs["settlements"] = towns
        table = run(inputs)["park_risk"].set_index("park_id")
        assert table.loc["desert_park", "population_5km"] == 50_000.0 + extra
        assert table.loc["desert_park", "e_air"] == expected
        assert table.loc["desert_park", "population_source"] == "settlements"
    out = run(base)["park_risk"].set_index("park_id")
    # town park: 9 cells x 8,000 persons within 5 km = 72,000 -> E1; desert park: nobody -> E3
    assert out.loc["town_park", "population_5km"] == pytest.approx(72_000.0)
    assert out.loc["town_park", "e_air"] == "E1"
    assert out.loc["desert_park", "e_air"] == "E3"
    # river 2.5 km and 8.5 km away (within 10 km): default F2; red line 12.7 / 15.0 km away (> 10 km): S3
    assert out.loc["town_park", "river_distance_m"] == pytest.approx(2500.0)
    assert list(out["surface_s"]) == ["S3", "S3"]
    assert list(out["e_surface"]) == ["E2", "E2"]
    # a red line within sensitive_distance makes S1: with F2, E1 (Table D.2)
    near = run(_inputs(sensitive_distance=13_000.0))["park_risk"].set_index("park_id")
    assert near.loc["town_park", "surface_s"] == "S1"
    assert near.loc["town_park", "e_surface"] == "E1"
    assert near.loc["desert_park", "surface_s"] == "S3"
    # a river beyond river_distance: F3/S3 -> E3 and the note says so
    far = run(_inputs(river_distance=2000.0))["park_risk"].set_index("park_id")
    assert far.loc["town_park", "e_surface"] == "E3"
    assert "no river" in far.loc["town_park", "defaults_used"]
    # groundwater: defaults G3/D1 -> E2; a park's own G1/D3 -> E2, G3/D3 -> E3 (Table D.5)
    parks = base["parks"].copy()
    parks["groundwater_g"] = ["G1", "G3"]
    parks["vadose_d"] = ["D3", "D3"]
    own = run(_inputs(parks=parks))["park_risk"].set_index("park_id")
    assert list(own["e_groundwater"]) == ["E2", "E3"]
    assert "groundwater_g" not in own.loc["town_park", "defaults_used"]


def test_q_m_p_and_potential_of_the_example() -> None:
    out = run(example())["park_risk"].set_index("park_id")
    # town park: Q = 20/5 + 5000/2500 = 6 (Q1); M = 10 + 2 x 5 = 20 (M2) -> P3; E1 air -> III
    assert out.loc["town_park", "q_ratio"] == pytest.approx(6.0)
    assert out.loc["town_park", "m_score"] == 20.0
    assert out.loc["town_park", "p_class"] == "P3"
    assert out.loc["town_park", "potential_air"] == "III"
    assert out.loc["town_park", "risk_potential"] == "III"
    assert out.loc["town_park", "assessment_level"] == "level 2"
    # desert park: Q = 5 (Q1), M = 5 (M4) -> P4; E3 air -> I, E2 water -> II
    assert out.loc["desert_park", "p_class"] == "P4"
    assert out.loc["desert_park", "potential_air"] == "I"
    assert out.loc["desert_park", "risk_potential"] == "II"
    assert set(out["inventory_status"]) == {"illustrative"}


def test_belt_parks_on_real_geometry(tmp_path: Path) -> None:
    from ecociv.models.park_risk.belt import parks_tables, settlements

    towns = settlements(BELT)
    assert (towns["origin"] != "GeoNames city").sum() > 10  # county seats added with census population
    inputs = {**parks_tables(), "land_use": str(BELT / "land_use.tif"), "settlements": towns,
              "rivers": str(BELT / "rivers.gpkg")}
    out_dir = tmp_path / "out"
    run_in_memory(MODEL, inputs, out_dir)
    table = pd.read_csv(out_dir / "park_risk.csv").set_index("park_id")
    named = {"kuitun_dushanzi", "zhundong", "shuimogou", "midong_chemical", "shanshan", "shihezi"}
    assert named <= set(table.index)
    # Dushanzi: the GeoNames town Xininglu (69,361 persons) lies within 5 km -> air E1
    assert table.loc["kuitun_dushanzi", "population_5km"] >= 69_361
    assert table.loc["kuitun_dushanzi", "e_air"] == "E1"
    assert set(table["inventory_status"]) == {"illustrative"}
    assert table["coord_status"].str.contains("approximate").all()
    manifest = {"inputs": {"rivers": {"path": str(BELT / "rivers.gpkg")}},
                "grid": {"crs": towns.crs.to_wkt()}}
    files = risk_map(out_dir, manifest)
    assert files and files[0].stat().st_size > 10_000


def _bad(case: str) -> dict[str, Any]:
    inputs = dict(example())
    parks = inputs["parks"].copy()
    substances = inputs["park_substances"].copy()
    processes = inputs["park_processes"].copy()
    if case == "outside":
        parks.loc[1, "lon"] = 120.0
    elif case == "park_source":
        parks.loc[0, "source"] = ""
    elif case == "substance_source":
        substances.loc[2, "source"] = " "
    elif case == "category":
        processes.loc[0, "category"] = "cracking"
    elif case == "unknown_park":
        substances.loc[0, "park_id"] = "nowhere"
    elif case == "class":
        parks["vadose_d"] = ["D4", "D1"]
    elif case == "negative":
        substances.loc[0, "max_quantity_t"] = -3.0
    elif case == "no_grid":
        return {"parks": parks, "park_substances": substances, "park_processes": processes}
    return {**inputs, "parks": parks, "park_substances": substances, "park_processes": processes}


@pytest.mark.parametrize("case, message", [
    ("outside", "lies outside the run grid"),
    ("park_source", "no source"),
    ("substance_source", "no source"),
    ("category", "unknown category 'cracking'"),
    ("unknown_park", "park 'nowhere' is not in the parks table"),
    ("class", "vadose_d must be one of"),
    ("negative", "max_quantity_t"),
    ("no_grid", "give a raster on the run grid"),
])
def test_bad_inputs_give_one_line(case: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        run_in_memory(MODEL, _bad(case), tmp_path / "out")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_nearest_cell_distance() -> None:
    mask = np.zeros((5, 5), dtype=bool)
    mask[0, 4] = True
    xs = np.arange(5) * 1000.0 + 500.0
    ys = 5000.0 - (np.arange(5) * 1000.0 + 500.0)
    assert k.nearest_cell_distance(mask, xs, ys, 500.0, 500.0) == pytest.approx(np.hypot(4000.0, 4000.0))
    assert k.nearest_cell_distance(mask, xs, ys, 4600.0, 4600.0) == 0.0
    assert k.nearest_cell_distance(np.zeros((5, 5), bool), xs, ys, 0.0, 0.0) == float("inf")
    line = gpd.GeoSeries([LineString([(0, 0), (10, 0)])])
    assert float(line.distance(Point(5, 3)).min()) == 3.0
