"""`double_evaluation` (双评价): five-level grading at the thresholds, the land × water and
× climate matrices, downgrades, suitability classes, accumulated temperature from monthly means,
and the water-limited carrying scale with units (pint), worked by hand.

Thresholds and matrices: the 2019 draft guideline as transcribed in the CUG spj toolset
(github.com/CUGGISRS/spj, scripts named in ``kernels.py``), in the 5 = best convention."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.double_evaluation import kernels
from ecociv.models.double_evaluation import spec as breaks
from ecociv.models.double_evaluation.model import MODEL, run
from ecociv.spec import ParamInput
from ecociv.units import Q_

NAN = np.nan


# ---------------------------------------------------------------- grading at the thresholds

def test_slope_grading_at_the_breaks() -> None:
    # farming: ≤2 -> 5, (2, 6] -> 4, (6, 15] -> 3, (15, 25] -> 2, > 25 -> 1
    slope = np.array([0.0, 2.0, 2.0001, 6.0, 15.0, 25.0, 25.1, NAN])
    np.testing.assert_array_equal(kernels.grade_lower_better(slope, breaks.AGRICULTURE_SLOPE_DEG),
                                  [5, 5, 4, 4, 3, 2, 1, NAN])
    # building: ≤3 -> 5, (3, 8] -> 4, (8, 15] -> 3, (15, 25] -> 2, > 25 -> 1
    slope = np.array([3.0, 3.5, 8.0, 8.1, 25.0, 26.0])
    np.testing.assert_array_equal(kernels.grade_lower_better(slope, breaks.URBAN_SLOPE_DEG),
                                  [5, 4, 4, 3, 2, 1])


def test_water_and_climate_grading_at_the_breaks() -> None:
    # precipitation: <200 -> 1, [200, 400) -> 2, [400, 800) -> 3, [800, 1200) -> 4, ≥1200 -> 5
    rain = np.array([199.9, 200.0, 400.0, 799.0, 1200.0, NAN])
    np.testing.assert_array_equal(kernels.grade_higher_better(rain, breaks.PRECIPITATION_MM),
                                  [1, 2, 3, 3, 5, NAN])
    # water-use modulus, m³/km²/yr: <3, 3-8, 8-13, 13-25, ≥25 × 10⁴
    modulus = np.array([29_999.0, 30_000.0, 129_999.0, 130_000.0, 250_000.0])
    np.testing.assert_array_equal(
        kernels.grade_higher_better(modulus, breaks.WATER_MODULUS_M3_KM2), [1, 2, 3, 4, 5])
    # ≥0 °C accumulated temperature, °C·d: <1500, 1500-4000, 4000-5800, 5800-7600, ≥7600
    heat = np.array([1499.0, 1500.0, 4000.0, 5799.0, 7600.0])
    np.testing.assert_array_equal(
        kernels.grade_higher_better(heat, breaks.ACCUMULATED_TEMPERATURE_DEGC_D), [1, 2, 3, 3, 5])


def test_downgrades() -> None:
    # silt (farming land, level 5): <60 -> 5; 60-80 -> 4; ≥80 -> lowest (1); unknown -> 5
    silt = np.array([59.0, 60.0, 79.9, 80.0, NAN])
    np.testing.assert_array_equal(
        kernels.downgrade_by_two_breaks(np.full(5, 5.0), silt, (60.0, 80.0), second_to_lowest=True),
        [5, 4, 4, 1, 5])
    # relief (building land, level 3): <100 -> 3; 100-200 -> 2; ≥200 -> 1 (two levels, floor 1)
    relief = np.array([99.0, 100.0, 200.0])
    np.testing.assert_array_equal(
        kernels.downgrade_by_two_breaks(np.full(3, 3.0), relief, (100.0, 200.0),
                                        second_to_lowest=False), [3, 2, 1])
    np.testing.assert_array_equal(
        kernels.downgrade_by_two_breaks(np.array([2.0]), np.array([250.0]), (100.0, 200.0),
                                        second_to_lowest=False), [1])
    # hazards 1..4 with steps 0,1,2,4 on level 5 -> 5, 4, 3, 1; on level 2 -> 2, 1, 1, 1
    hazard = np.array([1.0, 2.0, 3.0, 4.0, NAN])
    np.testing.assert_array_equal(kernels.hazard_downgrade(np.full(5, 5.0), hazard, (0, 1, 2, 4)),
                                  [5, 4, 3, 1, 5])
    np.testing.assert_array_equal(kernels.hazard_downgrade(np.full(4, 2.0), hazard[:4], (0, 1, 2, 4)),
                                  [2, 1, 1, 1])


def test_matrices_on_hand_cells() -> None:
    # draft guideline (1 = best there): farming land 高 + water 差 -> 差; land 高 + water 较差 ->
    # 较好; land 中等 + water 一般 -> 一般; land 较高 + water 较差 -> 一般; land 低 -> 差 always.
    # In the 5 = best convention: (5,1)->1, (5,2)->4, (3,3)->3, (4,2)->3, (1,5)->1, (5,5)->5
    land = np.array([5.0, 5, 3, 4, 1, 5, NAN])
    water = np.array([1.0, 2, 3, 2, 5, 5, 3])
    np.testing.assert_array_equal(kernels.combine(kernels.AGRICULTURE_LAND_WATER, land, water),
                                  [1, 4, 3, 3, 1, 5, NAN])
    # climate: condition 5 with climate 一般 (3) stays 5; condition 4 with climate 较差 (2) -> 3;
    # condition 4 with climate 较好 (4) -> 4 (unlike the land-water table, where (4,4) -> 5)
    np.testing.assert_array_equal(
        kernels.combine(kernels.AGRICULTURE_CLIMATE, np.array([5.0, 4, 4]), np.array([3.0, 2, 4])),
        [5, 3, 4])
    # building: land 高 + water 差 -> 一般 (3) (farming: 差); land 中等 + water 较差 -> 较差 (2)...
    # (5,1) -> 3, (3,2) -> 3, (3,1) -> 2, (2,5) -> 3
    np.testing.assert_array_equal(
        kernels.combine(kernels.URBAN_LAND_WATER, np.array([5.0, 3, 3, 2]),
                        np.array([1.0, 2, 1, 5])), [3, 3, 2, 3])


def test_matrices_are_monotone() -> None:
    # improving a factor never worsens the combined condition, and a factor at its worst (1)
    # caps the result at 一般 (3) (building: land 高 + water 差 -> 3) or lower
    for matrix in (kernels.AGRICULTURE_LAND_WATER, kernels.AGRICULTURE_CLIMATE,
                   kernels.URBAN_LAND_WATER):
        assert (np.diff(matrix, axis=0) >= 0).all() and (np.diff(matrix, axis=1) >= 0).all()
        assert matrix[0, :].max() == 1 and matrix[:, 0].max() <= 3
        assert matrix[4, 4] == 5


def test_suitability_classes_and_protection() -> None:
    levels = np.array([5.0, 4, 3, 2, 1, NAN, 5])
    classes = kernels.suitability_class(levels, 5, 4, 2)
    np.testing.assert_array_equal(classes, [4, 3, 2, 2, 1, NAN, 4])
    protected = np.array([False, False, False, False, False, True, True])
    np.testing.assert_array_equal(kernels.exclude_protected(classes, protected),
                                  [4, 3, 2, 2, 1, 0, 0])


# ---------------------------------------------------------------- accumulated temperature

MONTHLY = np.array([-10.0, -5.0, 2.0, 10.0, 16.0, 20.0, 22.0, 20.0, 15.0, 8.0, 0.0, -8.0])


def test_accumulated_temperature_month_by_month_by_hand() -> None:
    # ≥0 °C: Mar 2×31 = 62, Apr 10×30 = 300, May 16×31 = 496, Jun 20×30 = 600, Jul 22×31 = 682,
    # Aug 20×31 = 620, Sep 15×30 = 450, Oct 8×31 = 248, Nov 0×30 = 0 -> 3458 °C·d
    assert kernels.accumulated_temperature_monthly(MONTHLY, 0.0) == pytest.approx(3458.0)
    # ≥10 °C: Apr 300 + May 496 + Jun 600 + Jul 682 + Aug 620 + Sep 450 = 3148 °C·d
    assert kernels.accumulated_temperature_monthly(MONTHLY, 10.0) == pytest.approx(3148.0)
    grid = np.stack([MONTHLY, MONTHLY + 100.0], axis=-1)  # (12, 2): months first
    np.testing.assert_allclose(kernels.accumulated_temperature_monthly(grid, 0.0),
                               [3458.0, MONTHLY.sum() * 0 + (MONTHLY + 100) @ kernels.DAYS_IN_MONTH])


def test_accumulated_temperature_interpolated() -> None:
    # a constant temperature: 365 days × 12 °C; below the base: nothing
    assert kernels.accumulated_temperature_interpolated(np.full(12, 12.0), 0.0) == pytest.approx(4380.0)
    assert kernels.accumulated_temperature_interpolated(np.full(12, -1.0), 0.0) == 0.0
    # the shoulder months are split: the interpolated sum lies between the month-wise sums with
    # bases just below and above, and decreases as the base rises
    interpolated = kernels.accumulated_temperature_interpolated(MONTHLY, 0.0)
    assert 3000.0 < interpolated < 3700.0
    assert kernels.accumulated_temperature_interpolated(MONTHLY, 10.0) < interpolated
    # nodata in any month -> nodata
    with_gap = np.stack([MONTHLY, np.where(np.arange(12) == 3, NAN, MONTHLY)], axis=-1)
    result = kernels.accumulated_temperature_interpolated(with_gap, 0.0)
    assert np.isfinite(result[0]) and np.isnan(result[1])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(5.0, 35.0), min_size=12, max_size=12))
def test_interpolated_matches_month_wise_when_every_day_counts(months: list[float]) -> None:
    # with every day above the base, the interpolated daily sum is (up to the kinks at mid-month)
    # Σ_m T_m (c_{m+1} - c_{m-1}) / 2, whose weights differ from the month lengths d_m by at most
    # (31 + 31) / 4 - 28 / 2 = 1.5 days: |difference| ≤ 12 × 1.5 × the warmest month
    values = np.array(months)
    monthly = kernels.accumulated_temperature_monthly(values, 0.0)
    interpolated = kernels.accumulated_temperature_interpolated(values, 0.0)
    assert abs(interpolated - monthly) <= 12 * 1.5 * values.max()


# ---------------------------------------------------------------- carrying scale, with units

def test_carrying_scale_arithmetic_with_units() -> None:
    # 1 × 10⁸ m³/yr for agriculture at 6000 m³/ha/yr -> 16 666.7 ha = 25 × 10⁴ mu
    water = Q_(1.0, "hundred_million * m**3/yr")
    quota = Q_(400.0, "m**3/chinese_mu/yr")  # = 6000 m³/ha/yr
    assert quota.to("m**3/ha/yr").magnitude == pytest.approx(6000.0)
    hectares = kernels.irrigable_cropland_ha(water.to("m**3/yr").magnitude,
                                             quota.to("m**3/ha/yr").magnitude)
    assert hectares == pytest.approx((water / quota).to("ha").magnitude)
    assert Q_(hectares, "ha").to("ten_thousand * chinese_mu").magnitude == pytest.approx(25.0)
    # 0.05 × 10⁸ m³/yr domestic at 125 L/person/day -> 5e6 × 1000 / (365 × 125) = 109 589 persons
    domestic = Q_(0.05, "hundred_million * m**3/yr")
    use = Q_(125.0, "L/d")
    people = kernels.supportable_population(domestic.to("m**3/yr").magnitude, use.magnitude)
    # (pint's year is 365.25 days; annual use is per-capita daily use × 365 days)
    assert people == pytest.approx((domestic * Q_(1, "yr") / (use * Q_(365, "d"))).to("").magnitude)
    assert people == pytest.approx(109_589.04, abs=0.01)
    assert Q_(people, "").to("ten_thousand").magnitude == pytest.approx(10.958904, abs=1e-6)


# ---------------------------------------------------------------- the model, by hand

# 2×3 cells of 1 km (1 km² each, China Albers); x 0..3000 m, y 4 998 000..5 000 000 m.
#  cell  slope precip modulus heat  other            farming                       building
#  (0,0)   1    500   260000  8000  -                land 5, water 5 -> 5; ×heat 5 -> 5 (4)   land 5, water 5 -> 5 (4)
#  (0,1)  30    500   260000  8000  -                land 1 -> 1 (1)                          land 1 -> 1 (1)
#  (0,2)  10    500   NaN     8000  -                land 3, water 3 -> 3; ×5 -> 4 (3)        land 3, water 3 -> 3 (2)
#  (1,0)   1    150   NaN     3000  -                land 5, water 1 -> 1 (1)                 land 5, water 1 -> 3 (2)
#  (1,1)   1    500   260000  8000  importance 3     protected (0)                            protected (0)
#  (1,2)   1    500   260000  3000  salinization 3,  land 5, water 5 -> 5; ×heat 2 -> 4;       land 5, water 5 -> 5;
#                                   hazards 4        saline -1 -> 3; hazard 4 (-1) -> 2 (2)    hazard 4 -> 1 (1)
SLOPE = np.array([[1.0, 30.0, 10.0], [1.0, 1.0, 1.0]])
RAIN = np.array([[500.0, 500.0, 500.0], [150.0, 500.0, 500.0]])
MODULUS = np.array([[260_000.0, 260_000.0, NAN], [NAN, 260_000.0, 260_000.0]])
HEAT = np.array([[8000.0, 8000.0, 8000.0], [3000.0, 8000.0, 3000.0]])
IMPORTANCE = np.array([[1.0, 2.0, 1.0], [1.0, 3.0, 1.0]])
SALINE = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 3.0]])
HAZARD = np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 4.0]])
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (2, 3))


def _raster(values: np.ndarray, name: str, units: str | None = None) -> xr.DataArray:
    return from_array(values, GRID, name=name, units=units)


def _inputs(**extra: object) -> dict[str, object]:
    # units: west = x 0..1500 (column 0 and half of column 1), east = x 1500..3000
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_998_000, 1_500, 5_000_000),
                                       box(1_500, 4_998_000, 3_000, 5_000_000)], crs=CHINA_ALBERS)
    values: dict[str, object] = {
        "importance_class": _raster(IMPORTANCE, "importance_class"),
        "slope": _raster(SLOPE, "slope", "degree"),
        "precipitation": _raster(RAIN, "precipitation", "mm/yr"),
        "water_modulus": _raster(MODULUS, "water_modulus", "m**3/km**2/yr"),
        "accumulated_temperature": _raster(HEAT, "accumulated_temperature", "delta_degC*day"),
        "salinization_class": _raster(SALINE, "salinization_class"),
        "agricultural_hazard": _raster(HAZARD, "agricultural_hazard"),
        "urban_hazard": _raster(HAZARD, "urban_hazard"),
        "zones": zones, "zone_field": "name",
    }
    defaults = {i.id: i.default for i in MODEL.spec.inputs
                if isinstance(i, ParamInput) and i.default is not None}
    return {**defaults, **values, **extra}


def test_model_by_hand() -> None:
    outputs = run(_inputs())
    np.testing.assert_array_equal(outputs["agricultural_level"].values, [[5, 1, 4], [1, 5, 2]])
    np.testing.assert_array_equal(outputs["agricultural_suitability"].values, [[4, 1, 3], [1, 0, 2]])
    np.testing.assert_array_equal(outputs["urban_level"].values, [[5, 1, 3], [3, 5, 1]])
    np.testing.assert_array_equal(outputs["urban_suitability"].values, [[4, 1, 2], [2, 0, 1]])
    table = outputs["suitability_by_zone"].set_index(["zone", "function", "class_code"])
    # west (3 km²: column 0 and half of column 1): farming most suitable (0,0) 1 km²,
    # unsuitable (1,0) 1 + half of (0,1) 0.5 = 1.5 km², protected half of (1,1) = 0.5 km²
    assert table.loc[("west", "agriculture", 4), "area_km2"] == pytest.approx(1.0)
    assert table.loc[("west", "agriculture", 1), "area_km2"] == pytest.approx(1.5)
    assert table.loc[("west", "agriculture", 0), "area_km2"] == pytest.approx(0.5)
    assert table.loc[("west", "agriculture", 1), "percent"] == pytest.approx(50.0)
    # east (3 km²): farming suitable (0,2) 1, generally suitable (1,2) 1, unsuitable 0.5
    assert table.loc[("east", "agriculture", 3), "area_km2"] == pytest.approx(1.0)
    assert table.loc[("east", "agriculture", 2), "area_km2"] == pytest.approx(1.0)
    assert table.loc[("east", "urban", 1), "area_km2"] == pytest.approx(1.5)
    assert "carrying_scale" not in outputs


def test_redline_also_protects_and_optional_factors_apply() -> None:
    inputs = _inputs(redline=_raster(np.array([[0.0, 0, 1], [0, 0, 0]]), "redline"))
    outputs = run(inputs)
    assert outputs["agricultural_suitability"].values[0, 2] == 0
    assert outputs["urban_suitability"].values[1, 1] == 0  # importance 3 still protects
    # silt 85 % at (0,0): farming land lowest -> level 1 (unsuitable)
    silt = np.array([[85.0, 0, 0], [0, 0, 0]])
    # elevation 4000 m at (0,0): building land 5 -> 4; with water 5 -> matrix (4,5) = 5 still;
    # relief 250 m at (0,0) as well: 4 -> 2, (2,5) -> 3
    elevation = np.array([[4000.0, 0, 0], [0, 0, 0]])
    relief = np.array([[250.0, 0, 0], [0, 0, 0]])
    outputs = run(_inputs(silt_content=_raster(silt, "silt_content", "percent"),
                          elevation=_raster(elevation, "elevation", "m"),
                          relief=_raster(relief, "relief", "m")))
    assert outputs["agricultural_level"].values[0, 0] == 1
    assert outputs["urban_level"].values[0, 0] == 3


def test_monthly_temperature_gives_the_climate_level() -> None:
    # 12 bands, months first; (1,0) and (1,2) take MONTHLY (month-wise ≥0 °C sum 3458 -> level
    # 2), the others MONTHLY + 15, every month ≥ 0 °C: Σ d_m (T_m + 15) = 365 × 15 + Σ d_m T_m
    # = 5475 + 2760 = 8235 °C·d -> level 5
    warm = np.broadcast_to((MONTHLY + 15.0)[:, None, None], (12, 2, 3)).copy()
    warm[:, 1, 0] = MONTHLY
    warm[:, 1, 2] = MONTHLY
    monthly = xr.DataArray(warm, dims=("band", "y", "x"),
                           coords={"band": np.arange(1, 13), "y": GRID.y_coords(),
                                   "x": GRID.x_coords()})
    inputs = _inputs(monthly_temperature=monthly, accumulated_temperature_method="monthly")
    del inputs["accumulated_temperature"]
    outputs = run(inputs)
    # (0,0): condition 5 × climate 5 -> 5; (1,2): condition 5 × climate 2 -> 4, -1 saline,
    # -1 hazard -> 2, as with the 3000 °C·d raster
    assert outputs["agricultural_level"].values[0, 0] == 5
    assert outputs["agricultural_level"].values[1, 2] == 2
    assert MONTHLY @ kernels.DAYS_IN_MONTH == pytest.approx(2760.0)
    assert outputs["agricultural_level"].values[0, 1] == 1  # slope 30°: land 1 whatever the heat


def test_carrying_scale_from_a_table() -> None:
    table = pd.DataFrame({"zone": ["east", "west"], "agricultural_water": [1.0, 0.5],
                          "domestic_water": [0.05, 0.01]})
    outputs = run(_inputs(water_availability=table))
    scale = outputs["carrying_scale"].set_index("zone")
    # east: 1e8 m³ / 6000 m³/ha = 16 666.7 ha = 25 × 10⁴ mu; 5e6 m³ -> 109 589 persons
    assert scale.loc["east", "cropland_water_limited_ha"] == pytest.approx(1e8 / 6000)
    assert scale.loc["east", "cropland_water_limited_10k_mu"] == pytest.approx(25.0)
    assert scale.loc["east", "population_water_limited_10k"] == pytest.approx(10.958904, abs=1e-6)
    # land-limited: east's most suitable + suitable farming land = (0,2) 1 km² = 100 ha -> 100 ha
    assert scale.loc["east", "suitable_cropland_ha"] == pytest.approx(100.0)
    assert scale.loc["east", "cropland_carrying_ha"] == pytest.approx(100.0)
    # west: 0.5e8 m³ -> 8333.3 ha = 12.5 × 10⁴ mu; land-limited (0,0) = 100 ha
    assert scale.loc["west", "cropland_water_limited_10k_mu"] == pytest.approx(12.5)
    assert scale.loc["west", "cropland_carrying_ha"] == pytest.approx(100.0)


def test_carrying_scale_from_water_yield() -> None:
    # 100 mm/yr on the 3 km² of west = 3e5 m³/yr; × 0.4 usable = 1.2e5; × 0.85 to farming =
    # 1.02e5 m³ -> 17 ha at 6000 m³/ha; × 0.05 domestic = 6000 m³ -> 6e6 L / (365 × 125) = 131.5
    wy = _raster(np.full((2, 3), 100.0), "water_yield", "mm/yr")
    scale = run(_inputs(water_yield=wy))["carrying_scale"].set_index("zone")
    assert scale.loc["west", "agricultural_water"] == pytest.approx(1.02e5 / 1e8)
    assert scale.loc["west", "cropland_water_limited_ha"] == pytest.approx(17.0)
    assert scale.loc["west", "population_water_limited"] == pytest.approx(6e6 / (365 * 125))


def test_example_runs(tmp_path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    for output in MODEL.spec.outputs:
        if not output.optional:
            assert output.id in manifest["outputs"]
    assert manifest["outputs"]["carrying_scale"]["units"]["population_water_limited_10k"] == \
        "ten_thousand"


def test_files_and_parameters_from_the_command_line(tmp_path, make_raster) -> None:
    sources = {"importance_class": make_raster(IMPORTANCE, "imp", res=1000.0),
               "slope": make_raster(SLOPE, "slope", res=1000.0),
               "precipitation": make_raster(RAIN, "rain", res=1000.0),
               "accumulated_temperature": make_raster(HEAT, "heat", res=1000.0)}
    run_model(MODEL, sources, {"irrigation_quota": "450 m**3/chinese_mu/yr"}, tmp_path / "out")
    import rasterio

    with rasterio.open(tmp_path / "out" / "agricultural_suitability.tif") as src:
        # no modulus: water from rain only; (1,0) rain 150 -> unsuitable; (0,0) 5 -> 3 x 5 ... :
        # land 5 × water 3 (500 mm) -> 5, × heat 5 -> 5 -> most suitable
        assert src.read(1)[0, 0] == 4 and src.read(1)[1, 0] == 1
    with pytest.raises(InputError, match=r"parameter 'accumulated_temperature_method'.*'daily' "
                                         r"is not one of"):
        run_model(MODEL, sources, {"accumulated_temperature_method": "daily"}, tmp_path / "o2")


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize(("missing", "message"), [
    (("importance_class",), r"ecological protection importance: give at least one of "
                            r"\['importance_class', 'redline'\]"),
    (("precipitation", "water_modulus"), r"water resource: give at least one of"),
    (("accumulated_temperature",), r"climate: give at least one of"),
])
def test_missing_factor_groups_are_named(missing: tuple[str, ...], message: str) -> None:
    inputs = _inputs()
    for name in missing:
        del inputs[name]
    with pytest.raises(InputError, match=message):
        run(inputs)


@pytest.mark.parametrize(("param", "value", "message"), [
    ("agriculture_slope_breaks", "2,6,15", r"expected 4 finite numbers"),
    ("precipitation_breaks", "200,400,400,1200", r"values must increase strictly"),
    ("silt_breaks", "sixty,80", r"not a comma-separated list of numbers"),
    ("urban_hazard_downgrade", "0,-1,2,4", r"levels lost must be >= 0"),
])
def test_bad_lists_are_named(param: str, value: str, message: str) -> None:
    inputs = _inputs(silt_content=_raster(np.zeros((2, 3)), "silt_content", "percent"),
                     **{param: value})
    with pytest.raises(InputError, match=message) as err:
        run(inputs)
    assert f"parameter '{param}'" in str(err.value)


def test_other_bad_inputs(tmp_path) -> None:
    with pytest.raises(InputError, match=r"suitable_min_level \(5\) <= most_suitable_min_level "
                                         r"\(4\)"):
        run(_inputs(most_suitable_min_level=4, suitable_min_level=5))
    table = pd.DataFrame({"zone": ["east"], "agricultural_water": [1.0], "domestic_water": [0.1]})
    with pytest.raises(InputError, match=r"table 'water_availability': column 'zone': no row for "
                                         r"zone\(s\) \['west'\]"):
        run(_inputs(water_availability=table))
    with pytest.raises(InputError, match="not both"):
        run(_inputs(water_availability=table,
                    water_yield=_raster(np.ones((2, 3)), "water_yield", "mm/yr")))
    flat = _raster(np.ones((2, 3)), "monthly_temperature", "degC")
    inputs = _inputs(monthly_temperature=flat)
    del inputs["accumulated_temperature"]
    # declared by the spec (12 bands, quota > 0): checked on the way in, as for files
    with pytest.raises(InputError, match=r"input 'monthly_temperature' \(in memory\): expected 12 "
                       r"bands \(one per month, January first\), found 1"):
        run_in_memory(MODEL, inputs, tmp_path / "bands")
    with pytest.raises(InputError, match=r"parameter 'irrigation_quota'.*greater than 0"):
        run_in_memory(MODEL, _inputs(water_availability=table.assign(zone=["west"]).pipe(
            lambda t: pd.concat([t, t.assign(zone=["east"])])), irrigation_quota=0.0),
            tmp_path / "quota")


def test_water_table_and_zones_from_files(tmp_path, make_raster, write_csv) -> None:
    zones = _inputs()["zones"]
    assert isinstance(zones, gpd.GeoDataFrame)
    zones.to_file(tmp_path / "units.gpkg", driver="GPKG")
    sources = {"importance_class": make_raster(IMPORTANCE, "imp", res=1000.0),
               "slope": make_raster(SLOPE, "slope", res=1000.0),
               "water_modulus": make_raster(np.nan_to_num(MODULUS, nan=-1.0), "mod", res=1000.0,
                                            nodata=-1.0),
               "accumulated_temperature": make_raster(HEAT, "heat", res=1000.0),
               "zones": tmp_path / "units.gpkg",
               "water_availability": write_csv("water.csv", "zone,agricultural_water,domestic_water\n"
                                                            "west,0.5,0.01\neast,1,0.05\n")}
    out = tmp_path / "out"
    run_model(MODEL, sources, {"zone_field": "name", "domestic_water_per_capita": "0.125 m**3/d"},
              out)
    scale = pd.read_csv(out / "carrying_scale.csv").set_index("zone")
    assert scale.loc["east", "cropland_water_limited_10k_mu"] == pytest.approx(25.0)
    assert scale.loc["east", "population_water_limited_10k"] == pytest.approx(10.958904, abs=1e-6)


# ---------------------------------------------------------------- row bands equal the whole grid

def _whole_grid_reference(inputs: dict[str, object]) -> dict[str, np.ndarray]:
    """The rasters as the model computed them before it worked in row bands: every kernel on
    the whole grid at once, in float64."""
    from ecociv.models.double_evaluation import model as de

    arrays = {k: np.asarray(v.values, dtype=np.float64) for k, v in inputs.items()
              if isinstance(v, xr.DataArray)}
    protected = de._protected(inputs, arrays, arrays["slope"].shape)
    out = {}
    for prefix, level in (("agricultural", de.agricultural_level(inputs, arrays)),
                          ("urban", de.urban_level(inputs, arrays))):
        out[f"{prefix}_level"] = level
        out[f"{prefix}_suitability"] = kernels.exclude_protected(
            kernels.suitability_class(level, 5, 4, 2), protected)
    return out


def test_row_bands_give_the_whole_grid_values_cell_for_cell(monkeypatch) -> None:
    from ecociv.models.double_evaluation import model as de

    rng = np.random.default_rng(7)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (157, 91))

    def raster(values: np.ndarray, name: str) -> xr.DataArray:
        values = np.where(rng.random(values.shape) < 0.03, NAN, values)  # scattered nodata
        return from_array(values, grid, name=name, units=None).chunk({"y": 23, "x": 91})

    shape = grid.shape
    zones = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[
        box(0, 4_850_000, 50_500, 5_000_000), box(40_250, 4_843_000, 91_000, 4_990_000)],
        crs=CHINA_ALBERS)
    inputs = {**_inputs(), "zones": zones,
              "importance_class": raster(rng.integers(1, 4, shape).astype(float), "i"),
              "slope": raster(rng.uniform(0, 40, shape), "s"),
              "precipitation": raster(rng.uniform(0, 1500, shape), "p"),
              "water_modulus": raster(rng.uniform(0, 300_000, shape), "m"),
              "accumulated_temperature": raster(rng.uniform(0, 9000, shape), "t"),
              "elevation": raster(rng.uniform(0, 6000, shape), "e"),
              "salinization_class": raster(rng.integers(1, 5, shape).astype(float), "sa"),
              "agricultural_hazard": raster(rng.integers(1, 5, shape).astype(float), "h"),
              "urban_hazard": raster(rng.integers(1, 5, shape).astype(float), "u")}
    monkeypatch.setattr(de, "BAND_CELLS", 40 * 91)  # 2 input chunks per band, 4 bands
    outputs = run(inputs)
    reference = _whole_grid_reference(inputs)
    for key, expected in reference.items():
        np.testing.assert_array_equal(outputs[key].values, expected, err_msg=key)
    assert np.isnan(reference["agricultural_level"]).any()
    # the per-unit table from whole float64 class layers, as before
    from ecociv.grid.zonal import zonal_statistics

    layers = {f"{f}_{c}": np.where(np.isnan(reference[f"{p}_suitability"]), np.nan,
                                   reference[f"{p}_suitability"] == c)
              for f, p in (("agriculture", "agricultural"), ("urban", "urban"))
              for c in kernels.CLASS_NAMES}
    stats = zonal_statistics(layers, list(zones.geometry), grid, names=["a", "b"])
    expected_table = de._class_table(stats, {"agriculture": None, "urban": None})
    pd.testing.assert_frame_equal(outputs["suitability_by_zone"], expected_table, check_exact=True)
