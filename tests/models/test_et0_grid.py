"""et0 on grids: the raster result equals the station computation for the same values at each
cell-centre latitude (found independently with pyproj here), the computation stays lazy on
dask-backed inputs, and misuse is reported clearly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine
from pyproj import Transformer

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.et0.model import MODEL, run
from ecociv.models.et0.stations import compute_et0_table

NAN = np.nan

# 3×3 cells of 5 km on China Albers near Shihezi (44.3°N, 86°E): rows 5 km apart differ by
# ~0.045° of latitude, enough for Ra to differ between rows.
_X0, _Y0 = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True).transform(86.0, 44.3)
ALBERS = GridSpec.from_crs(CHINA_ALBERS, Affine(5000.0, 0, _X0, 0, -5000.0, _Y0), (3, 3))
GEOGRAPHIC = GridSpec.from_crs("EPSG:4326", Affine(0.5, 0, 86.0, 0, -0.5, 45.0), (3, 3))

TMAX = np.array([[31.0, 30.0, 29.0], [28.0, 27.0, 26.0], [25.0, 24.0, NAN]])
TMIN = np.array([[16.0, 15.0, 14.0], [13.0, 12.0, 11.0], [10.0, 9.0, NAN]])
ELEVATION = np.array([[400.0, 600.0, 800.0], [1000.0, 1200.0, 1400.0], [1600.0, 1800.0, 2000.0]])
EA = np.full((3, 3), 1.1)
U2 = np.array([[1.0, 2.0, 3.0]] * 3)
RS = np.array([[27.0, 26.0, 25.0], [24.0, NAN, 22.0], [21.0, 20.0, 19.0]])


def _rasters(grid: GridSpec, penman_monteith: bool = True) -> dict[str, xr.DataArray]:
    arrays = {"tmax": TMAX, "tmin": TMIN}
    if penman_monteith:
        arrays |= {"elevation": ELEVATION, "actual_vapour_pressure": EA, "wind_speed_2m": U2,
                   "solar_radiation": RS}
    return {name: from_array(values, grid, name=name) for name, values in arrays.items()}


def _cell_latitudes(grid: GridSpec) -> np.ndarray:
    xs, ys = np.meshgrid(grid.x_coords(), grid.y_coords())
    to_geographic = Transformer.from_crs(grid.crs, grid.crs.geodetic_crs, always_xy=True)
    return np.asarray(to_geographic.transform(xs, ys)[1])


def _station_equivalent(grid: GridSpec, time_step: str, date: dict[str, object],
                        penman_monteith: bool = True) -> pd.DataFrame:
    """The same cells as station rows (wind 'measured' at 2 m)."""
    columns = {"latitude_deg": _cell_latitudes(grid).ravel(), "elevation_m": ELEVATION.ravel(),
               "tmax_c": TMAX.ravel(), "tmin_c": TMIN.ravel()}
    if penman_monteith:
        columns |= {"ea_kpa": EA.ravel(), "wind_speed_m_s": U2.ravel(),
                    "wind_height_m": np.full(9, 2.0), "solar_radiation_mj_m2_day": RS.ravel()}
    frame = pd.DataFrame(columns | {k: [v] * 9 for k, v in date.items()})
    frame = frame.iloc[:8]  # the last cell has no temperature: nodata in the raster
    return compute_et0_table(frame, time_step, "cells")


def test_grid_through_the_executor_equals_the_station_computation(tmp_path: Path) -> None:
    inputs = {**_rasters(ALBERS), "time_step": "daily", "day_of_year": 200}
    manifest = run_in_memory(MODEL, inputs, tmp_path / "out")
    assert set(manifest["outputs"]) == {"et0", "et0_method"}
    with rasterio.open(tmp_path / "out" / "et0.tif") as src:
        et0 = src.read(1, masked=True)
        assert src.tags(1)["units"] == "mm/day"
    with rasterio.open(tmp_path / "out" / "et0_method.tif") as src:
        method = src.read(1)
        assert src.nodata == 255
    table = _station_equivalent(ALBERS, "daily", {"day_of_year": 200})
    np.testing.assert_allclose(et0.compressed(), table["et0_mm_day"], rtol=1e-6)
    assert et0.mask.ravel().tolist() == [False] * 8 + [True]
    # the cell without radiation fell back to Hargreaves–Samani, as its station row does
    expected_codes = table["method"].map({"penman_monteith": 1, "hargreaves_samani": 2})
    assert method.ravel().tolist() == [*expected_codes, 255]
    assert method[1, 1] == 2
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["model"]["id"] == "et0"


def test_monthly_grid_with_soil_heat_flux_equals_monthly_stations() -> None:
    outputs = run({**_rasters(ALBERS), "time_step": "monthly", "month": 7,
                   "tmean_prev_month": 20.0})
    table = _station_equivalent(ALBERS, "monthly", {"month": 7, "tmean_prev_month_c": 20.0})
    np.testing.assert_allclose(outputs["et0"].values.ravel()[:8], table["et0_mm_day"], rtol=1e-12)


def test_temperature_only_grid_uses_hargreaves_on_a_geographic_grid() -> None:
    # on a geographic grid the cell latitude is the y coordinate: 44.75, 44.25, 43.75
    outputs = run({**_rasters(GEOGRAPHIC, penman_monteith=False), "day_of_year": 100})
    assert np.nanmax(outputs["et0_method"].values) == 2
    frame = pd.DataFrame({"latitude_deg": np.repeat([44.75, 44.25, 43.75], 3)[:8],
                          "elevation_m": 0.0, "day_of_year": 100,
                          "tmax_c": TMAX.ravel()[:8], "tmin_c": TMIN.ravel()[:8]})
    table = compute_et0_table(frame, "daily", "cells", one_row_per_date=False)  # cells, not stations
    assert set(table["method"]) == {"hargreaves_samani"}
    np.testing.assert_allclose(outputs["et0"].values.ravel()[:8], table["et0_mm_day"], rtol=1e-12)


def test_dask_backed_inputs_stay_lazy_and_give_the_same_result() -> None:
    eager = run({**_rasters(ALBERS), "day_of_year": 200})
    chunked = {name: array.chunk({"y": 2, "x": 2}) for name, array in _rasters(ALBERS).items()}
    lazy = run({**chunked, "day_of_year": 200})
    assert isinstance(lazy["et0"].data, da.Array)
    assert isinstance(lazy["et0_method"].data, da.Array)
    np.testing.assert_array_equal(lazy["et0"].values, eager["et0"].values)
    np.testing.assert_array_equal(lazy["et0_method"].values, eager["et0_method"].values)


def test_minimum_above_maximum_temperature_names_the_cell() -> None:
    rasters = _rasters(ALBERS)
    tmin = TMIN.copy()
    tmin[2, 1] = 30.0
    rasters["tmin"] = from_array(tmin, ALBERS, name="tmin")
    with pytest.raises(InputError, match=r"cell \(row 2, col 1\).*above the maximum"):
        run({**rasters, "day_of_year": 200})
    lazy = run({**{k: v.chunk({"y": 2, "x": 2}) for k, v in rasters.items()}, "day_of_year": 200})
    with pytest.raises(InputError, match=r"cell \(row 2, col 1\)"):
        lazy["et0"].compute()


def test_neither_stations_nor_temperature_is_an_error() -> None:
    with pytest.raises(InputError, match=r"needs station records .* or temperature rasters"):
        run({"time_step": "daily"})


def test_one_temperature_raster_is_an_error() -> None:
    with pytest.raises(InputError, match=r"missing \['tmin'\]"):
        run({"tmax": _rasters(ALBERS)["tmax"], "day_of_year": 1})


def test_some_penman_monteith_rasters_missing_is_an_error() -> None:
    rasters = _rasters(ALBERS)
    del rasters["wind_speed_2m"]
    with pytest.raises(InputError, match=r"\['wind_speed_2m'\] missing"):
        run({**rasters, "day_of_year": 1})


def test_penman_monteith_needs_elevation() -> None:
    rasters = _rasters(ALBERS)
    del rasters["elevation"]
    with pytest.raises(InputError, match="'elevation'"):
        run({**rasters, "day_of_year": 1})


def test_date_parameters_must_match_the_time_step() -> None:
    rasters = _rasters(ALBERS)
    with pytest.raises(InputError, match="'day_of_year'"):
        run({**rasters, "time_step": "daily"})
    with pytest.raises(InputError, match="'month'"):
        run({**rasters, "time_step": "monthly"})
    with pytest.raises(InputError, match="monthly, not daily"):
        run({**rasters, "time_step": "daily", "day_of_year": 5, "month": 1})


def test_example_produces_every_output(tmp_path: Path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    assert set(manifest["outputs"]) == {"et0", "et0_method", "et0_table"}
    table = pd.read_csv(tmp_path / "out" / "et0_table.csv")
    assert list(table["method"]) == ["penman_monteith", "hargreaves_samani"]


def test_files_through_run_model(make_raster: Callable[..., Path],
                                 write_csv: Callable[[str, str], Path], tmp_path: Path) -> None:
    # GeoTIFFs (read lazily, float32, nodata -9999) and a station CSV, parameters given as text
    # as on the command line; the rasters equal the station computation for the same cells.
    from ecociv.execute import run_model

    origin = (ALBERS.transform.c, ALBERS.transform.f)
    paths = {name: make_raster(np.where(np.isnan(values), -9999, values).astype("float32"),
                               name, res=5000.0, nodata=-9999, origin=origin)
             for name, values in (("tmax", TMAX), ("tmin", TMIN), ("elevation", ELEVATION),
                                  ("actual_vapour_pressure", EA), ("wind_speed_2m", U2),
                                  ("solar_radiation", RS))}
    stations = write_csv("stations.csv", "latitude_deg,elevation_m,day_of_year,tmax_c,tmin_c\n"
                                         "44.3,450,200,31,16\n")
    manifest = run_model(MODEL, {**paths, "stations": stations},
                         {"time_step": "daily", "day_of_year": "200"}, tmp_path / "out")
    assert set(manifest["outputs"]) == {"et0", "et0_method", "et0_table"}
    with rasterio.open(tmp_path / "out" / "et0.tif") as src:
        et0 = src.read(1, masked=True)
    expected = _station_equivalent(ALBERS, "daily", {"day_of_year": 200})["et0_mm_day"]
    np.testing.assert_allclose(et0.compressed(), expected, rtol=1e-5)
    table = pd.read_csv(tmp_path / "out" / "et0_table.csv")
    assert table["method"].tolist() == ["hargreaves_samani"]
