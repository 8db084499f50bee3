"""``sand_fixation`` model: a hand-chained month, unit conversions, nodata, zone totals,
properties of the service and bad inputs (Fryrear et al. 1998 equations; see
test_sand_fixation.py for each factor by hand)."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecociv import execute
from ecociv.errors import InputError
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.sand_fixation import kernels
from ecociv.models.sand_fixation.model import MODEL, SPEC, run

GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (1, 2))
DAYS = kernels.DAYS_IN_MONTH


def _raster(values: Any, name: str, units: str = "") -> Any:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:  # one value per month, same for both cells
        array = np.repeat(array[:, None, None], GRID.cols, axis=2)
    elif array.ndim == 0:
        array = np.full(GRID.shape, float(array))
    return from_array(array, GRID, name=name, units=units)


def _inputs(**overrides: Any) -> dict[str, Any]:
    wind = np.zeros(12)
    wind[0] = 2.0  # only January is windy: mean 2 m/s at 2 m
    values: dict[str, Any] = {
        "wind_speed": _raster(wind, "wind_speed", "m/s"),
        "temperature": _raster(np.full(12, 15.0), "temperature", "degC"),
        "precipitation": _raster(np.full(12, 20.0), "precipitation", "mm/month"),
        "et0": _raster(np.full(12, 100.0), "et0", "mm/month"),
        "elevation": _raster(0.0, "elevation", "m"),
        "sand": _raster(70.0, "sand", "percent"),
        "silt": _raster(20.0, "silt", "percent"),
        "clay": _raster(10.0, "clay", "percent"),
        "organic_matter": _raster(1.0, "organic_matter", "percent"),
        "caco3": _raster(5.0, "caco3", "percent"),
        "vegetation_cover": from_array(np.array([[0.3, 0.0]]), GRID, name="vegetation_cover"),
        "wind_height": 2.0, "weibull_shape": 1.0, "rain_day_fraction": 0.25,
        # the hand calculations below follow the point form at z (the default is field_mean)
        "soil_loss_form": "point",
    }
    values.update(overrides)
    return values


def test_hand_chained_january() -> None:
    out = run(_inputs())
    # January (31 days): k = 1, mean 2 m/s -> E = 88 e^-2.5 = 7.223476, Wf = 31 x 7.223476 = 223.928
    # rho(15 degC, 0 m) = 1.2234045; SW = (100 - 20 x 0.25)/100 = 0.95; SD = 1
    # WF = 223.928 x 1.2234045 / 9.81 x 0.95 = 26.5297 kg/m
    # EF = 0.4916, SCF = 1/1.681 = 0.594884 -> X_bare = 26.5297 x 0.292445 = 7.75849 kg/m
    # cell 0, cover 0.3: COG = e^-1.314 = 0.268744 -> X = 2.08504
    wf = 31 * 88 * math.exp(-2.5)
    weather = wf * 1.2234045 / 9.81 * 0.95
    x_bare = weather * 0.4916 / 1.681
    assert weather == pytest.approx(26.530, abs=1e-3)
    assert x_bare == pytest.approx(7.75849, abs=1e-5)
    bare_kg = float(kernels.soil_loss(x_bare, 50.0))
    covered_kg = float(kernels.soil_loss(x_bare * math.exp(-1.314), 50.0))
    # kg/m2 -> t/km2: x 1000
    potential = out["soil_loss_potential_monthly"].values
    actual = out["soil_loss_actual_monthly"].values
    np.testing.assert_allclose(potential[0, 0], [bare_kg * 1000] * 2, rtol=1e-6)
    np.testing.assert_allclose(actual[0, 0], [covered_kg * 1000, bare_kg * 1000], rtol=1e-6)
    assert np.all(potential[1:] == 0) and np.all(actual[1:] == 0)  # no wind, no loss
    np.testing.assert_allclose(out["soil_loss_potential"].values, potential.sum(axis=0))
    np.testing.assert_allclose(out["sand_fixation"].values[0],
                               [(bare_kg - covered_kg) * 1000, 0.0], rtol=1e-6)
    assert out["sand_fixation_monthly"].dims == ("band", "y", "x")
    assert out["saturated_months"].values.tolist() == [[0.0, 0.0]]
    # the table: 1 km2 cells, t/km2/yr x km2 = t/yr; Mt = 1e-6 t
    table = out["sand_fixation_totals"].compute()
    assert table.loc[0, "sand_fixation_t"] == pytest.approx((bare_kg - covered_kg) * 1000)
    assert table.loc[0, "sand_fixation_mt"] == pytest.approx((bare_kg - covered_kg) * 1e-3)
    assert table.loc[0, "area_km2"] == pytest.approx(2.0)
    assert table.loc[0, "soil_loss_potential_t"] == pytest.approx(2 * bare_kg * 1000)


def test_default_loss_form_keeps_actual_below_potential() -> None:
    # the stormy month of test_saturated_months_and_floored_service, with the model's default
    from ecociv.models.sand_fixation.model import SPEC

    assert SPEC.input("soil_loss_form").default == "field_mean"  # type: ignore[union-attr]
    wind = np.zeros(12)
    wind[0] = 8.0
    inputs = _inputs(wind_speed=_raster(wind, "wind_speed", "m/s"),
                     vegetation_cover=from_array(np.array([[0.02, 0.0]]), GRID, name="vegetation_cover"))
    del inputs["soil_loss_form"]
    out = run(inputs)
    assert out["soil_loss_actual"].values[0, 0] < out["soil_loss_potential"].values[0, 0]


def test_wind_height_conversion_and_monthly_cover() -> None:
    # 10 m winds are multiplied by 4.87/ln(67.8 x 10 - 5.42) = 0.747951 (FAO-56 eq. 47)
    wind10 = np.zeros(12)
    wind10[0] = 2.0 / 0.7479510
    base = run(_inputs())
    converted = run(_inputs(wind_speed=_raster(wind10, "wind_speed", "m/s"), wind_height=10.0))
    np.testing.assert_allclose(converted["soil_loss_actual"].values, base["soil_loss_actual"].values,
                               rtol=1e-6)
    cover = np.repeat(np.array([[[0.3, 0.0]]]), 12, axis=0)
    monthly = run(_inputs(vegetation_cover_monthly=from_array(cover, GRID, name="c")))
    np.testing.assert_allclose(monthly["sand_fixation"].values, base["sand_fixation"].values)


def test_snow_irrigation_and_rain_days_reduce_loss() -> None:
    base = float(run(_inputs())["soil_loss_potential"].values[0, 0])
    snow = np.zeros(12)
    snow[0] = 15.5  # half of January: SD = 0.5
    snowy = run(_inputs(snow_cover_days=_raster(snow, "snow_cover_days", "d")))
    assert float(snowy["soil_loss_potential"].values[0, 0]) < base
    irrigated = run(_inputs(irrigation=_raster(np.full(12, 100.0), "irrigation", "mm/month")))
    # SW = (100 - 120 x 0.25)/100 = 0.7 < 0.95
    assert float(irrigated["soil_loss_potential"].values[0, 0]) < base
    rain_days = _raster(DAYS, "rain_days", "d")  # every day wet: SW = (100 - 20)/100 = 0.8
    wetter = run(_inputs(rain_days=rain_days))
    expected_x = 31 * 88 * math.exp(-2.5) * 1.2234045 / 9.81 * 0.8 * 0.4916 / 1.681
    assert float(wetter["soil_loss_potential"].values[0, 0]) == pytest.approx(
        float(kernels.soil_loss(expected_x, 50.0)) * 1000, rel=1e-6)


def test_nodata_propagates() -> None:
    clay = from_array(np.array([[10.0, np.nan]]), GRID, name="clay")
    wind = np.full((12, 1, 2), 3.0)
    wind[5, 0, 0] = np.nan
    out = run(_inputs(clay=clay, wind_speed=from_array(wind, GRID, name="wind_speed")))
    for name in ("soil_loss_potential", "soil_loss_actual", "sand_fixation", "saturated_months"):
        assert np.all(np.isnan(out[name].values)), name  # (0,0): June wind missing; (0,1): clay
    assert np.isfinite(out["sand_fixation_monthly"].values[0, 0, 0])
    assert np.isnan(out["sand_fixation_monthly"].values[5, 0, 0])
    table = out["sand_fixation_totals"].compute()
    assert table.loc[0, "valid_cells"] == 0 and table.loc[0, "area_km2"] == 0


def test_saturated_months_and_floored_service() -> None:
    # a stormy January (mean 8 m/s at 2 m, k = 1): X_bare >> 61.7, the point form is past its
    # peak, so sparse vegetation raises the loss at z = 50 m; the service is floored at 0
    wind = np.zeros(12)
    wind[0] = 8.0
    cover = from_array(np.array([[0.02, 0.0]]), GRID, name="vegetation_cover")
    out = run(_inputs(wind_speed=_raster(wind, "wind_speed", "m/s"), vegetation_cover=cover))
    potential = out["soil_loss_potential_monthly"].values[0, 0, 0]
    actual = out["soil_loss_actual_monthly"].values[0, 0, 0]
    assert actual > potential
    assert out["sand_fixation_monthly"].values[0, 0, 0] == 0.0
    assert out["saturated_months"].values.tolist() == [[1.0, 1.0]]
    field = run(_inputs(wind_speed=_raster(wind, "wind_speed", "m/s"), vegetation_cover=cover,
                        soil_loss_form="field_mean"))
    assert field["soil_loss_actual"].values[0, 0] < field["soil_loss_potential"].values[0, 0]
    assert field["saturated_months"].values.tolist() == [[0.0, 0.0]]


def test_zones_table() -> None:
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_999_000, 1000, 5_000_000),
                                       box(1000, 4_999_000, 2000, 5_000_000)], crs=CHINA_ALBERS)
    out = run(_inputs(zones=zones, zone_field="name"))
    table = out["sand_fixation_totals"].compute().set_index("zone")
    annual = out["sand_fixation"].values[0]
    assert table.loc["west", "sand_fixation_t"] == pytest.approx(annual[0])
    assert table.loc["east", "sand_fixation_t"] == pytest.approx(0.0)
    assert table.loc["west", "sand_fixation_mean"] == pytest.approx(annual[0])
    assert set(SPEC.output("sand_fixation_totals").columns[i].id for i in range(9)) <= set(
        table.reset_index().columns)


_CELL = st.tuples(
    st.floats(0.0, 12.0),   # wind at 2 m, m/s
    st.floats(0.0, 1.0),    # cover, fraction
    st.floats(0.0, 1.0),    # additional cover
    st.floats(0.0, 60.0),   # precipitation, mm/month
    st.floats(5.0, 60.0),   # sand, %
    st.floats(1.0, 30.0),   # clay, %
)


@settings(max_examples=15, deadline=None)
@given(cells=st.lists(_CELL, min_size=2, max_size=2), form=st.sampled_from(["point", "field_mean"]))
def test_service_properties(cells: list[tuple[float, ...]], form: str) -> None:
    wind, cover, extra, precip, sand, clay = (np.array(c) for c in zip(*cells, strict=True))
    silt = 100.0 - sand - clay

    def two(values: np.ndarray, name: str) -> Any:
        return from_array(values.reshape(1, 2), GRID, name=name)

    def monthly(values: np.ndarray, name: str) -> Any:
        return from_array(np.repeat(values.reshape(1, 1, 2), 12, axis=0), GRID, name=name)

    common = _inputs(wind_speed=monthly(wind, "wind_speed"),
                     precipitation=monthly(precip, "precipitation"), sand=two(sand, "sand"),
                     silt=two(silt, "silt"), clay=two(clay, "clay"), weibull_shape=2.0,
                     soil_loss_form=form)
    low = run({**common, "vegetation_cover": two(cover, "vegetation_cover")})
    high = run({**common, "vegetation_cover": two(np.minimum(cover + extra, 1.0), "vegetation_cover")})
    for out in (low, high):
        assert np.all(out["sand_fixation"].values >= 0)
        assert np.all(out["sand_fixation_monthly"].values >= 0)
        assert np.all(out["soil_loss_actual"].values >= 0)
    unsaturated = low["saturated_months"].values == 0
    tolerance = 1e-9 * (1 + low["soil_loss_potential"].values)
    # actual <= potential, and more vegetation never raises actual loss (point form: wherever
    # the bare-soil transport is not saturated within z)
    assert np.all((low["soil_loss_actual"].values <= low["soil_loss_potential"].values + tolerance)
                  | ~unsaturated)
    assert np.all((high["soil_loss_actual"].values <= low["soil_loss_actual"].values + tolerance)
                  | ~unsaturated)
    if form == "field_mean":
        assert unsaturated.all()


def test_bad_texture_sum_names_the_cell() -> None:
    sand = from_array(np.array([[70.0, 80.0]]), GRID, name="sand")
    with pytest.raises(InputError) as err:  # checked chunk by chunk when computed
        run(_inputs(sand=sand))["sand_fixation"].compute()  # 80 + 20 + 10 = 110 %
    message = str(err.value)
    assert "cell (row 0, col 1)" in message and "110" in message and "sand" in message


def test_zero_clay_is_rejected(tmp_path) -> None:
    # EF uses sand/clay: the spec declares clay > 0, checked on the way in
    clay = from_array(np.array([[0.0, 10.0]]), GRID, name="clay")
    with pytest.raises(InputError, match=r"input 'clay' \(in memory\): cell \(row 0, col 0\): "
                       r"value 0 percent not allowed; values must be greater than 0 percent"):
        execute.run_in_memory(MODEL, _inputs(clay=clay), tmp_path / "out")


def test_more_snow_days_than_days_in_the_month() -> None:
    snow = np.zeros((12, 1, 2))
    snow[1, 0, 1] = 29.0  # February has 28 days
    with pytest.raises(InputError, match=r"snow_cover_days.*month 2, cell \(row 0, col 1\)"):
        run(_inputs(snow_cover_days=from_array(snow, GRID, name="snow_cover_days")))


def test_vegetation_is_required() -> None:
    values = _inputs()
    del values["vegetation_cover"]
    with pytest.raises(InputError, match="vegetation_cover_monthly"):
        run(values)


@pytest.mark.parametrize(("name", "bad", "expected"), [
    ("wind_speed", -1.0, "below the allowed minimum 0"),
    ("vegetation_cover", 1.5, "above the allowed maximum 1"),
])
def test_out_of_range_inputs_through_the_runner(tmp_path: Any, name: str, bad: float,
                                                expected: str) -> None:
    values = _inputs()
    array = np.array(values[name].values)
    array[..., 0, 1] = bad
    values[name] = from_array(array, GRID, name=name)
    with pytest.raises(InputError, match=expected) as err:
        execute.run_in_memory(MODEL, values, tmp_path / "out")
    assert "row 0, col 1" in str(err.value)


def test_example_runs_through_the_runner(tmp_path: Any) -> None:
    import rasterio

    manifest = execute.run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    assert set(manifest["outputs"]) == {o.id for o in SPEC.outputs}
    with rasterio.open(tmp_path / "out" / "sand_fixation_monthly.tif") as src:
        assert src.count == 12


def test_through_multiband_files(tmp_path: Any, make_raster: Any) -> None:
    import rasterio

    values = _inputs()
    sources: dict[str, Any] = {}
    for name in ("wind_speed", "temperature", "precipitation", "et0"):
        data = np.asarray(values[name].values, dtype="float32")
        path = tmp_path / f"{name}.tif"
        profile = {"driver": "GTiff", "width": 2, "height": 1, "count": 12, "dtype": "float32",
                   "crs": CHINA_ALBERS, "transform": GRID.transform, "nodata": -9999.0}
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data)
        sources[name] = path
    for name in ("elevation", "sand", "silt", "clay", "organic_matter", "caco3", "vegetation_cover"):
        sources[name] = make_raster(np.asarray(values[name].values, dtype="float32"), name,
                                    res=1000.0)
    params = {"wind_height": 2.0, "weibull_shape": 1.0, "rain_day_fraction": 0.25, "soil_loss_form": "point"}
    execute.run_model(MODEL, sources, params, tmp_path / "out")
    expected = run(_inputs())
    with rasterio.open(tmp_path / "out" / "sand_fixation.tif") as src:
        np.testing.assert_allclose(src.read(1), expected["sand_fixation"].values, rtol=1e-5)
    with rasterio.open(tmp_path / "out" / "soil_loss_actual_monthly.tif") as src:
        assert src.count == 12
        np.testing.assert_allclose(src.read(), expected["soil_loss_actual_monthly"].values, rtol=1e-5)
