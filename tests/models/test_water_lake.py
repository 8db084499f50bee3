"""Terminal-lake water balance and volume–area–level curves (water_allocation.lake)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecociv
from ecociv.errors import InputError
from ecociv.models.water_allocation.lake import (
    StorageCurve,
    default_curve,
    default_lake_climate,
    equilibrium_area,
    equilibrium_inflow,
    lake_step,
    longest_run_below_target,
    months_below_target,
    months_below_target_by_year,
    open_water_evaporation_mm,
    simulate_lake,
)

KM2 = 1e6


def cylinder(area_m2: float = 100 * KM2, depth_m: float = 20.0) -> StorageCurve:
    """Vertical walls: area constant, volume = area × depth (a flat bottom at level 0)."""
    levels = np.linspace(0.0, depth_m, 11)
    return StorageCurve(levels, np.full(levels.size, area_m2), area_m2 * levels, source="cylinder")


def cone(c: float = 4e6, depth_m: float = 10.0, rows: int = 2001) -> StorageCurve:
    """Inverted cone: A(h) = c h², V(h) = c h³ / 3, so A(V) = c^(1/3) (3V)^(2/3)."""
    h = np.linspace(0.0, depth_m, rows)
    return StorageCurve(100.0 + h, c * h**2, c * h**3 / 3.0, source="cone")


def write_curve(tmp_path: Path, text: str, name: str = "ebinur_curve.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def balance_residual(frame: pd.DataFrame) -> np.ndarray:
    terms = frame[["volume_start_m3", "inflow_m3", "precipitation_m3", "evaporation_m3", "spill_m3"]].abs()
    scale = np.maximum(terms.max(axis=1).to_numpy(), 1.0)
    residual = (frame["volume_start_m3"] + frame["inflow_m3"] + frame["precipitation_m3"]
                - frame["evaporation_m3"] - frame["spill_m3"] - frame["volume_m3"]).to_numpy()
    return np.abs(residual) / scale


# -- closed forms -----------------------------------------------------------------------------
def test_cylinder_lake_step_is_exact():
    # A = 100 km², V0 = 5e8 m³, Q = 3e7 m³, P = 10 mm, E = 150 mm:
    # P·A = 0.010 × 1e8 = 1e6 m³; E·A = 0.150 × 1e8 = 1.5e7 m³; V1 = 5e8 + 3e7 + 1e6 − 1.5e7 = 5.16e8 m³
    step = lake_step(5e8, 3e7, 10.0, 150.0, cylinder())
    assert step.precipitation_m3 == pytest.approx(1e6, rel=1e-12)
    assert step.evaporation_m3 == pytest.approx(1.5e7, rel=1e-12)
    assert step.volume_end_m3 == pytest.approx(5.16e8, rel=1e-12)
    assert step.area_end_m2 == pytest.approx(100 * KM2, rel=1e-12)
    assert step.level_end_m == pytest.approx(5.16, rel=1e-12)  # 5.16e8 m³ / 1e8 m²
    assert not step.dried_out and step.spill_m3 == 0.0


def test_cylinder_lake_over_years_is_linear():
    # 120 months of Q = 2e7, P = 5 mm, E = 100 mm on 100 km²: ΔV per month = 2e7 + 5e5 − 1e7 = 1.05e7 m³
    frame = simulate_lake(3e8, np.full(120, 2e7), 5.0, 100.0, cylinder())
    expected = 3e8 + 1.05e7 * np.arange(1, 121)
    np.testing.assert_allclose(frame["volume_m3"], expected, rtol=1e-12)
    np.testing.assert_allclose(frame["level_m"], expected / 1e8, rtol=1e-12)


def test_cone_curve_reproduces_analytic_area_and_level():
    c = 4e6
    curve = cone(c)
    volume = np.linspace(1e5, c * 10.0**3 / 3.0, 997)  # avoid the first rows, where A ∝ V^(2/3) bends most
    area = c ** (1 / 3) * (3 * volume) ** (2 / 3)
    level = 100.0 + (3 * volume / c) ** (1 / 3)
    np.testing.assert_allclose(curve.area_of_volume(volume), area, rtol=1e-3)
    np.testing.assert_allclose(curve.level_of_volume(volume), level, rtol=1e-6)
    np.testing.assert_allclose(curve.volume_of_area(area), volume, rtol=1e-3)
    np.testing.assert_allclose(curve.volume_of_level(level), volume, rtol=1e-3)


def test_paraboloid_default_ebinur_reference_state():
    # the packaged (illustrative) Ebinur curve: 7.6e8 m³ at 189 m over 542.9 km² (lakes_sources.csv)
    curve = default_curve("ebinur")
    assert curve.area_of_volume(7.6e8) == pytest.approx(542.9 * KM2)
    assert curve.level_of_volume(7.6e8) == pytest.approx(189.0)
    assert curve.level_of_volume(0.0) == pytest.approx(186.2)
    assert curve.volume_of_level(189.0) == pytest.approx(7.6e8)
    # paraboloid: area ∝ depth, so half the depth (1.4 m, level 187.6 m) has half the area
    assert curve.area_of_volume(curve.volume_of_level(187.6)) == pytest.approx(542.9 / 2 * KM2, rel=1e-3)
    manas = default_curve("Manas")
    assert manas.area_of_volume(manas.max_volume_m3) == pytest.approx(577.8 * KM2)


def test_first_row_above_empty_is_extended_to_zero():
    # first row 2e6 m³ over 1 km² at 10 m: area goes linearly to 0 at volume 0, bottom 10 − 2·2e6/1e6 = 6 m
    curve = StorageCurve(np.array([10.0, 11.0]), np.array([1 * KM2, 2 * KM2]), np.array([2e6, 3.5e6]))
    assert curve.area_of_volume(1e6) == pytest.approx(0.5 * KM2)
    assert curve.level_of_volume(0.0) == pytest.approx(6.0)
    assert curve.bottom_level_m == pytest.approx(6.0)
    assert curve.volume_of_level(5.0) == 0.0


def test_above_the_last_row_extrapolates_the_last_segment():
    curve = StorageCurve(np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 20.0]), np.array([0.0, 5.0, 20.0]))
    # last segment: area +10 m² and level +1 m per 15 m³
    assert curve.area_of_volume(35.0) == pytest.approx(30.0)
    assert curve.level_of_volume(35.0) == pytest.approx(3.0)
    assert curve.volume_of_area(30.0) == pytest.approx(35.0)
    assert curve.volume_of_level(3.0) == pytest.approx(35.0)
    assert bool(curve.above_curve(35.0)) and not bool(curve.above_curve(20.0))


def test_volume_of_area_on_a_flat_stretch_takes_the_smallest_volume():
    curve = StorageCurve(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 5.0, 5.0, 8.0]),
                         np.array([0.0, 2.5, 7.5, 14.0]))
    assert curve.volume_of_area(5.0) == pytest.approx(2.5)
    assert curve.volume_of_area(6.5) == pytest.approx(7.5 + 0.5 * 6.5)


# -- mass balance -----------------------------------------------------------------------------
def test_mass_balance_closes_over_360_random_months():
    rng = np.random.default_rng(20261126)
    n = 360
    inflow = rng.gamma(0.8, 6e7, n) * (rng.random(n) > 0.2)  # dry spells with no inflow at all
    precipitation = rng.gamma(1.0, 15.0, n)
    evaporation = rng.gamma(2.0, 60.0, n)
    for curve, v0 in ((default_curve("ebinur"), 4e8), (default_curve("manas"), 0.0), (cylinder(), 1e8)):
        frame = simulate_lake(v0, inflow, precipitation, evaporation, curve, substeps=2)
        assert balance_residual(frame).max() < 1e-9
        assert (frame["volume_m3"] >= 0).all()
        assert (frame["evaporation_m3"] <= frame["evaporation_demand_m3"] * (1 + 1e-12)).all()
        np.testing.assert_array_equal(frame["volume_start_m3"].to_numpy()[1:], frame["volume_m3"].to_numpy()[:-1])


@settings(max_examples=30, deadline=None)
@given(volume=st.floats(0, 2e9), inflow=st.floats(0, 5e8), precipitation=st.floats(0, 200),
       evaporation=st.floats(0, 400), substeps=st.integers(1, 4))
def test_lake_step_balance_property(volume, inflow, precipitation, evaporation, substeps):
    curve = default_curve("ebinur")
    step = lake_step(volume, inflow, precipitation, evaporation, curve, substeps=substeps)
    scale = max(volume, inflow, step.precipitation_m3, step.evaporation_m3, 1.0)
    closure = volume + inflow + step.precipitation_m3 - step.evaporation_m3 - step.spill_m3 - step.volume_end_m3
    assert abs(closure) <= 1e-9 * scale
    assert step.volume_end_m3 >= 0.0
    assert step.evaporation_m3 <= step.evaporation_demand_m3 * (1 + 1e-12) + 1e-12


def test_more_substeps_converge_to_the_same_month():
    curve = default_curve("ebinur")
    one = lake_step(3e8, 2e7, 10.0, 180.0, curve, substeps=1)
    many = lake_step(3e8, 2e7, 10.0, 180.0, curve, substeps=64)
    assert one.volume_end_m3 == pytest.approx(many.volume_end_m3, rel=1e-3)


# -- drying and spilling ----------------------------------------------------------------------
def test_drying_out_caps_evaporation_at_the_water_available():
    # cylinder 100 km², V0 = 1e6 m³, Q = 5e5 m³, P = 1 mm (1e5 m³), E = 200 mm (demand 2e7 m³):
    # available 1e6 + 5e5 + 1e5 = 1.6e6 m³ all evaporates; the lake is empty, not negative
    step = lake_step(1e6, 5e5, 1.0, 200.0, cylinder())
    assert step.volume_end_m3 == 0.0
    assert step.dried_out
    assert step.precipitation_m3 == pytest.approx(1e5)
    assert step.evaporation_m3 == pytest.approx(1.6e6)
    assert step.evaporation_demand_m3 == pytest.approx(2e7)


def test_a_bowl_dries_and_stays_empty_without_inflow():
    curve = default_curve("ebinur")
    # 1e6 m³ in the first segment (area 10 m² per m³: 38.8 km² at 3.88e6 m³) covers A0 = 1e7 m²; 300 mm
    # over the mean area (1e7 + 0) / 2 would take 1.5e6 m³ > 1e6 m³ stored: the lake dries in month 1
    frame = simulate_lake(1e6, np.zeros(6), 0.0, 300.0, curve)
    assert frame["dried_out"].iloc[0]
    assert (frame["volume_m3"] == 0.0).all()
    assert (frame["area_m2"] == 0.0).all()
    assert frame["evaporation_m3"].iloc[1:].sum() == 0.0
    assert frame["evaporation_m3"].iloc[0] == pytest.approx(1e6)


def test_spill_volume_caps_storage_and_balances():
    step = lake_step(9e8, 5e8, 0.0, 0.0, cylinder(depth_m=20.0), spill_volume_m3=1e9)
    assert step.volume_end_m3 == pytest.approx(1e9)
    assert step.spill_m3 == pytest.approx(4e8)


# -- targets and planning helpers -------------------------------------------------------------
def test_below_target_flags_and_summaries():
    curve = default_curve("ebinur")
    # no inflow, no rain, 100 mm/month: the lake shrinks every month from 542.9 km²
    frame = simulate_lake(7.6e8, np.zeros(24), 0.0, 100.0, curve, target_area_m2=400 * KM2, start="2030-01")
    below = frame["area_m2"] < 400 * KM2
    assert (frame["below_target"] == below).all()
    first = int(np.argmax(below.to_numpy()))
    assert 0 < first < 24 and below.iloc[first:].all()  # once below, it stays below
    assert months_below_target(frame) == 24 - first
    assert longest_run_below_target(frame) == 24 - first
    by_year = months_below_target_by_year(frame)
    assert by_year.sum() == 24 - first and list(by_year.index) == [2030, 2031]
    assert frame.index[0] == pd.Period("2030-01", freq="M")


def test_seasonal_target_from_twelve_values():
    target = np.where(np.isin(np.arange(1, 13), [5, 6, 7, 8, 9]), 710 * KM2, 500 * KM2)  # Environ. Res. 2025
    frame = simulate_lake(7.6e8, np.full(24, 6e7), 10.0, 50.0, default_curve("ebinur"), target_area_m2=target,
                          start="2030-03")
    np.testing.assert_array_equal(frame["target_area_m2"].to_numpy(), np.roll(np.tile(target, 2), -2))


def test_equilibrium_inflow_by_hand():
    # 800 km² with E − P = 990 mm/yr: 8e8 m² × 0.99 m = 7.92e8 m³/yr, the inflow the Chinese Science
    # Bulletin estimate gives for Ebinur's rational area (lakes_sources.csv: ebinur_rational_area)
    assert equilibrium_inflow(800 * KM2, 110.0, 1100.0) == pytest.approx(7.92e8)
    assert equilibrium_area(7.92e8, 110.0, 1100.0) == pytest.approx(800 * KM2)
    assert equilibrium_inflow(800 * KM2, 300.0, 200.0) == 0.0  # rain alone holds it
    assert equilibrium_area(1e8, 300.0, 200.0) == np.inf
    np.testing.assert_allclose(equilibrium_inflow([1e8, 2e8], 100.0, 1100.0), [1e8, 2e8])


def test_lake_fed_its_equilibrium_inflow_holds_its_area():
    # steady state of the cylinder: monthly Q = A (E − P) → volume constant to rounding
    curve = cylinder()
    inflow = equilibrium_inflow(100 * KM2, 12 * 8.0, 12 * 120.0) / 12
    frame = simulate_lake(4e8, np.full(36, inflow), 8.0, 120.0, curve)
    np.testing.assert_allclose(frame["volume_m3"], 4e8, rtol=1e-12)


def test_open_water_evaporation_from_pan():
    assert open_water_evaporation_mm(200.0, 0.6) == pytest.approx(120.0)
    with pytest.raises(ValueError, match="pan_coefficient"):
        open_water_evaporation_mm(200.0, 0.0)


def test_default_climate_has_twelve_months():
    for lake in ("ebinur", "manas"):
        climate = default_lake_climate(lake)
        assert list(climate.index) == list(range(1, 13))
        assert (climate["precipitation_mm"] >= 0).all() and (climate["evaporation_mm"] >= 0).all()
    # open-water evaporation = annual pan normal × pan coefficient (E601/Φ20 = 0.61, Water 9(12):952, 2017),
    # spread over the months by the lake cell's ET0 (scripts/build_belt_network.py --part lakes)
    pans = pd.read_csv(Path(ecociv.__file__).parent / "data" / "water" / "lake_pan_evaporation.csv").set_index("lake")
    for lake in ("ebinur", "manas"):
        climate = default_lake_climate(lake)
        annual = pans.loc[lake, "pan_evaporation_mm_per_yr"] * pans.loc[lake, "pan_coefficient"]
        expected = annual * climate["et0_mm"] / climate["et0_mm"].sum()
        np.testing.assert_allclose(climate["evaporation_mm"], expected, atol=0.051)
    # Ebinur: 1662 mm/yr (pan, China Lakes Museum) × 0.61 = 1013.8 mm/yr
    assert default_lake_climate("ebinur")["evaporation_mm"].sum() == pytest.approx(1662 * 0.61, abs=0.6)


# -- reading curve files and bad input ---------------------------------------------------------
def test_read_converts_units(tmp_path):
    path = write_curve(tmp_path, "volume,level,area,note\nhundred_million m**3,m,km**2,\n0,100,0,empty\n"
                                 "0.5,101,100,\n2,102,200,\n")
    curve = StorageCurve.read(path)
    np.testing.assert_allclose(curve.volume_m3, [0.0, 5e7, 2e8])
    np.testing.assert_allclose(curve.area_m2, [0.0, 1e8, 2e8])
    assert curve.row_names == ("line 3", "line 4", "line 5")


def test_non_monotonic_volume_names_file_line_and_column(tmp_path):
    path = write_curve(tmp_path, "# test curve\nlevel,area,volume\nm,km**2,m**3\n1,0,0\n2,100,5e7\n"
                                 "3,200,3.2e8\n4,300,3.1e8\n")
    with pytest.raises(InputError) as error:
        StorageCurve.read(path)
    message = str(error.value)
    assert "ebinur_curve.csv" in message and "line 7" in message and "'volume'" in message
    assert "not larger than line 6" in message and "monotonic" in message


def test_decreasing_area_and_level_are_named(tmp_path):
    path = write_curve(tmp_path, "level,area,volume\nm,m**2,m**3\n0,0,0\n1,10,5\n2,8,14\n")
    with pytest.raises(InputError, match=r"line 5, column 'area'.*smaller than line 4"):
        StorageCurve.read(path)
    path = write_curve(tmp_path, "level,area,volume\nm,m**2,m**3\n0,0,0\n1,10,5\n1,10,15\n")
    with pytest.raises(InputError, match=r"line 5, column 'level'"):
        StorageCurve.read(path)


@pytest.mark.parametrize(("text", "pattern"), [
    ("level,area\nm,km**2\n0,0\n1,1\n", r"line 1: .*missing column\(s\) volume"),
    ("level,area,volume\nm,km,m**3\n0,0,0\n1,1,1\n", r"line 2, column 'area': unit 'km' is not an area"),
    ("level,area,volume\nm,km**2,furlongs**4\n0,0,0\n1,1,1\n", r"line 2, column 'volume'"),
    ("level,area,volume\nm,m**2,m**3\n0,0,0\n1,x,1\n", r"line 4, column 'area': area 'x' is not a number"),
    ("level,area,volume\nm,m**2,m**3\n0,0,0\n", r"at least 2 rows"),
    ("level,area,volume\nm,m**2,m**3\n0,0,0\n1,-1,1\n", r"line 4, column 'area': area -1 m² is negative"),
    ("level,area,volume\nm,m**2,m**3\n0,0,1\n1,2,3\n", r"line 3, column 'area': area is 0 m²"),
    # area in m² declared as km²: volumes 1e6 times smaller than ∫ area d(level)
    ("level,area,volume\nm,km**2,m**3\n0,0,0\n1,100,50\n2,200,200\n", r"check the units"),
])
def test_bad_curve_files(tmp_path, text, pattern):
    with pytest.raises(InputError, match=pattern):
        StorageCurve.read(write_curve(tmp_path, text))


def test_missing_file_and_unknown_default(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        StorageCurve.read(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="ebinur, manas"):
        default_curve("aral")


def test_from_table_with_units():
    table = pd.DataFrame({"level": [0.0, 1.0], "area": [0.0, 2.0], "volume": [0.0, 1.0]})
    curve = StorageCurve.from_table(table, "table", units={"area": "km**2", "volume": "km**2 * m"})
    assert curve.area_of_volume(1e6) == pytest.approx(2e6)
    with pytest.raises(InputError, match="missing column"):
        StorageCurve.from_table(table.drop(columns="area"), "table")


def test_bad_series_are_named():
    curve = cylinder()
    with pytest.raises(InputError, match=r"ebinur: precipitation_mm: precipitation_mm has 5 values; expected 24"):
        simulate_lake(1e8, np.zeros(24), np.zeros(5), 100.0, curve, name="ebinur")
    with pytest.raises(InputError, match=r"inflow_m3, month 2031-02"):
        simulate_lake(1e8, np.r_[np.zeros(13), -1.0, np.zeros(10)], 0.0, 100.0, curve, start="2030-01")
    with pytest.raises(ValueError, match="inflow_m3"):
        lake_step(1e8, -5.0, 0.0, 0.0, curve)
    with pytest.raises(ValueError, match="volume"):
        curve.area_of_volume(-1.0)
