"""Wind from published station figures, days with sand-lifting wind, and FAO-56 Penman-Monteith
ET0 on the common grid.

Wind. ``data/wind_stations.csv`` holds the station figures found in papers and bulletins
(annual mean wind at 10 m, gale days), each with its citation; they are sparse (a few stations,
no monthly normals). The annual mean is interpolated to the grid by inverse-distance weighting
with a regional background (:func:`idw_with_background`), so that a cell near a station takes the
station's value (the Alashankou gap, the Turpan-Hami wind area) and a cell far from every station
tends to the median of the stations; leave-one-out cross-validation gives its error. The monthly
means are the annual field times a seasonal factor (``SEASONAL_FACTOR``, illustrative: no
published monthly station normals were found). Days with wind >= 6 m/s in winter and spring
(December-May), the desertification wind factor of the red-line guideline, are computed from the
monthly means by a Weibull distribution of the wind observations (:func:`windy_days`).

ET0: FAO-56 Penman-Monteith (added below the wind part).
"""

from __future__ import annotations

from math import gamma
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer

from .common import Grid, Layer, Registry, write_csv, write_raster

HERE = Path(__file__).resolve().parent
STATIONS = HERE / "data" / "wind_stations.csv"
THIS = "CC-BY-4.0 (this dataset)"
U8_NODATA = 255
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.float64)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

#: Relative monthly mean wind (mean of the 12 = 1): spring maximum, winter minimum. Illustrative:
#: the shape of the former uniform placeholder curve (1.6 ... 3.3 m/s) divided by its mean; it
#: agrees with the published qualitative pattern (gales concentrated in April-July in Xinjiang,
#: Wang Yuzhu et al. 2020; national monthly mean wind peaks in April, lowest in December, Zhang
#: Xiaolong et al. 2020) but is not a station normal.
_SHAPE = np.array([1.6, 1.8, 2.4, 3.2, 3.3, 3.0, 2.8, 2.6, 2.4, 2.2, 1.9, 1.6])
SEASONAL_FACTOR = _SHAPE / _SHAPE.mean()
SEASONAL_NOTE = ("illustrative: relative monthly mean wind (12-month mean = 1), the shape of the "
                 "former uniform placeholder curve 1.6-3.3 m/s divided by its mean; consistent "
                 "with the published seasonality (gales concentrated in April-July in Xinjiang: "
                 "Wang Yuzhu et al. 2020, ChinaXiv:202011.00122; monthly mean wind peaks in April "
                 "and is lowest in December over China: Zhang Xiaolong et al. 2020, "
                 "ChinaXiv:202001.00043) but not a station normal; no monthly station normals "
                 "were found")

#: IDW parameters: distance softening d0 (m), background distance Db (m) at which the background
#: weighs as much as one station, power 2.
IDW_D0 = 5_000.0
IDW_DB = 25_000.0
#: Sand-lifting wind threshold of the red-line guideline's desertification factor, m/s at 10 m.
SAND_LIFTING_WIND = 6.0
#: Weibull shape of the wind observations within a month (as the sand_fixation model's default).
WEIBULL_K = 2.0
#: Months of "winter and spring" for the windy-days factor: December-May (0-based indices).
WINTER_SPRING = (11, 0, 1, 2, 3, 4)

IDW_TEXT = (f"inverse-distance weighting of the station annual means with weights "
            f"1/(d^2 + d0^2), d0 = {IDW_D0 / 1000:g} km, plus a background pseudo-station of "
            f"weight 1/Db^2, Db = {IDW_DB / 1000:g} km, whose value is the median of the "
            f"stations: within about 20 km of a station the station dominates, beyond about "
            f"{IDW_DB / 1000:g} km from every station the field tends to the median. Distances in "
            f"the dataset's Albers CRS. No elevation or exposure trend (too few stations to fit "
            f"one); gap winds are carried only by the stations inside the gaps (Jiangbasi for "
            f"the Alashankou pass; Qijiaojing and Shisanjianfang for the Turpan-Hami wind area); "
            f"the Dabancheng gap has no station figure and gets the background value")


def read_stations(path: Path = STATIONS) -> pd.DataFrame:
    """The station table, checked: one row per station, coordinates, a citation, a value."""
    table = pd.read_csv(path, dtype={"wmo_id": "string"})
    assert table["station"].is_unique, "duplicate station"
    assert table[["lon", "lat", "citation", "citation_status"]].notna().all().all(), path
    assert table[["wind_annual_m_s", "gale_days"]].notna().any(axis=1).all(), "row without a value"
    assert set(table["citation_status"]) <= {"verified", "uncertain"}
    return table


def idw_with_background(x: np.ndarray, y: np.ndarray, sx: np.ndarray, sy: np.ndarray,
                        values: np.ndarray, background: float, *, d0: float = IDW_D0,
                        db: float = IDW_DB) -> np.ndarray:
    """Inverse-distance weighted value at points (x, y) from stations (sx, sy, values).

    Weights 1/(d² + d0²) for each station and 1/db² for a background value; all distances in the
    same projected unit (m)."""
    num = np.full(np.shape(x), background / db**2, dtype=np.float64)
    den = np.full(np.shape(x), 1.0 / db**2, dtype=np.float64)
    for px, py, value in zip(sx, sy, values, strict=True):
        w = 1.0 / ((x - px) ** 2 + (y - py) ** 2 + d0**2)
        num += w * value
        den += w
    return num / den


def leave_one_out(sx: np.ndarray, sy: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Prediction at each station from the others (background = median of the others)."""
    out = np.empty(len(values))
    for i in range(len(values)):
        keep = np.arange(len(values)) != i
        out[i] = idw_with_background(np.array(sx[i]), np.array(sy[i]), sx[keep], sy[keep],
                                     values[keep], float(np.median(values[keep])))
    return out


def windy_days(monthly_mean: np.ndarray, *, threshold: float = SAND_LIFTING_WIND,
               k: float = WEIBULL_K, months: tuple[int, ...] = WINTER_SPRING) -> np.ndarray:
    """Days with wind at or above ``threshold`` in ``months`` from monthly mean wind (12, ...).

    The wind observations of a month are Weibull distributed with shape k and mean U (scale
    c = U / Γ(1 + 1/k)); the month contributes N_days × P(u ≥ threshold) = N exp(-(t/c)^k):
    the time with sand-lifting wind expressed in days (a lower bound of the count of days with
    at least one such observation)."""
    total = np.zeros(monthly_mean.shape[1:], dtype=np.float64)
    g = gamma(1.0 + 1.0 / k)
    for m in months:
        u = monthly_mean[m]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(u > 0, u / g, np.nan)
            p = np.where(u > 0, np.exp(-((threshold / c) ** k)), 0.0)
        total = total + DAYS_IN_MONTH[m] * p
    return np.where(np.isnan(monthly_mean[list(months)]).any(axis=0), np.nan, total)


def _to_grid(grid: Grid, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tr = Transformer.from_crs("EPSG:4326", CRS.from_user_input(grid.crs), always_xy=True)
    x, y = tr.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def _cell(grid: Grid, x: float, y: float) -> tuple[int, int] | None:
    col, row = int((x - grid.left) // grid.cell), int((grid.top - y) // grid.cell)
    if 0 <= row < grid.rows and 0 <= col < grid.cols:
        return row, col
    return None


def build_wind(reg: Registry, grid: Grid, rasters: dict[str, np.ndarray]) -> np.ndarray:
    """Write wind_stations.csv, wind_speed_by_month.csv, wind_speed_monthly.tif and
    windy_days_winter_spring.tif; return the monthly mean wind (12, rows, cols), m/s at 10 m."""
    from .rasters import I16_NODATA, SCALE, SCALED, SCALED_TEXT, _add, _scaled, _tags

    table = read_stations()
    sx, sy = _to_grid(grid, table["lon"].to_numpy(), table["lat"].to_numpy())
    dem = rasters["dem"]
    elevation = []
    for x, y in zip(sx, sy, strict=True):
        cell = _cell(grid, x, y)
        elevation.append(round(float(dem[cell]), 0) if cell is not None else np.nan)
    has_wind = table["wind_annual_m_s"].notna().to_numpy()
    values = table.loc[has_wind, "wind_annual_m_s"].to_numpy(dtype=float)
    background = float(np.median(values))
    loo = leave_one_out(sx[has_wind], sy[has_wind], values)
    rmse = float(np.sqrt(np.mean((loo - values) ** 2)))
    x, y = grid.centres()
    annual = idw_with_background(x, y, sx[has_wind], sy[has_wind], values, background)
    valid = rasters["land_use"] != U8_NODATA
    annual = np.where(valid, annual, np.nan)
    monthly = np.stack([annual * f for f in SEASONAL_FACTOR])
    at_station = [float(annual[c]) if (c := _cell(grid, px, py)) is not None else np.nan
                  for px, py in zip(sx, sy, strict=True)]

    out = table.copy()
    out.insert(5, "elevation_m", elevation)
    out["gridded_annual_m_s"] = np.round(at_station, 2)
    loo_col = np.full(len(out), np.nan)
    loo_col[has_wind] = np.round(loo, 2)
    out["loo_prediction_m_s"] = loo_col
    out["status"] = "reported"
    write_csv(out, reg.out / "wind_stations.csv")
    what = {
        "station": ("metadata", "", "station or place name"),
        "name_zh": ("metadata", "", "Chinese name"),
        "wmo_id": ("reported", "", "station number where the source gives it"),
        "lon": ("reported", "degree", "longitude (WGS84); see coord_source"),
        "lat": ("reported", "degree", "latitude (WGS84); see coord_source"),
        "elevation_m": ("derived", "m", "elevation of the station's cell in dem.tif"),
        "coord_source": ("metadata", "", "where the coordinates come from (approximate ones say so)"),
        "wind_annual_m_s": ("reported", "m/s", "published annual mean wind speed (about 10 m)"),
        "wind_low_m_s": ("reported", "m/s", "lower published value or range end"),
        "wind_high_m_s": ("reported", "m/s", "upper published value or range end"),
        "gale_days": ("reported", "day/yr", "days a year with wind of force 8 (>= 17.2 m/s) or more"),
        "gale_days_low": ("reported", "day/yr", "lower published value or bound"),
        "gale_days_high": ("reported", "day/yr", "upper published value"),
        "period": ("metadata", "", "years the figures describe, as published"),
        "citation": ("metadata", "", "sources of the figures"),
        "source_url": ("metadata", "", "where a web source was read"),
        "citation_status": ("metadata", "", "verified or uncertain (secondary copy)"),
        "note": ("metadata", "", "caveats"),
        "gridded_annual_m_s": ("derived", "m/s", "annual mean of wind_speed_monthly at the station"),
        "loo_prediction_m_s": ("derived", "m/s", "leave-one-out prediction of the interpolation"),
        "status": ("metadata", "", "reported for every row"),
    }
    assert list(what) == list(out.columns), list(out.columns)
    for column, (status, units, text) in what.items():
        reg.item(file="wind_stations.csv", item=column, status=status, units=units,
                 source="papers and web pages cited per row (scripts/belt_build/data/"
                        "wind_stations.csv)", file_in_source="", license="facts quoted with source",
                 citation="per row (column citation)", processing=text)
    reg.layer(Layer(id="wind_stations", path="wind_stations.csv", kind="table", units="m/s",
                    status="reported", long_name="published station wind figures (annual mean "
                    "wind, gale days) used for wind_speed_monthly", extra={"key": "station"}))

    shape = pd.DataFrame({"month": range(1, 13), "month_name": MONTHS,
                          "seasonal_factor": np.round(SEASONAL_FACTOR, 4), "status": "illustrative"})
    write_csv(shape, reg.out / "wind_speed_by_month.csv")
    for column, (status, units, text) in {
            "month": ("metadata", "", "month number"), "month_name": ("metadata", "", "month"),
            "seasonal_factor": ("illustrative", "1", f"monthly mean wind / annual mean wind; "
                                f"{SEASONAL_NOTE}"),
            "status": ("metadata", "", "illustrative for every row")}.items():
        reg.item(file="wind_speed_by_month.csv", item=column, status=status, units=units,
                 source="this build (scripts/belt_build/climate_pm.py)", file_in_source="",
                 license=THIS, citation="none (illustrative shape)", processing=text)
    reg.layer(Layer(id="wind_speed_by_month", path="wind_speed_by_month.csv", kind="table",
                    units="1", status="illustrative", long_name="seasonal factor of the monthly "
                    "mean wind (monthly / annual mean)", extra={"key": "month"}))

    band_names = [f"{m} ({i})" for i, m in enumerate(MONTHS, start=1)]
    processing = (f"annual mean = {IDW_TEXT}; stations: the rows of wind_stations.csv with an "
                  f"annual mean ({int(has_wind.sum())}; background {background:g} m/s); "
                  f"leave-one-out RMSE {rmse:.2f} m/s; month m = annual x seasonal_factor[m] of "
                  f"wind_speed_by_month.csv ({SEASONAL_NOTE}); nodata outside land_use")
    layer = Layer(id="wind_speed_monthly", path="wind_speed_monthly.tif", kind="raster", units="m/s",
                  status="derived", long_name="monthly mean wind speed at 10 m (station figures "
                  "interpolated x seasonal factor)", resampling="none (interpolated on the grid)",
                  extra={**SCALED, "table": "wind_stations.csv", "height_m": 10,
                         "loo_rmse_m_s": round(rmse, 2)})
    write_raster(reg.out / layer.path, grid, _scaled(monthly), dtype="int16", nodata=I16_NODATA,
                 tags=_tags(layer, "wind_stations.csv + wind_speed_by_month.csv",
                            method="IDW with background"),
                 band_tags=[{"month": str(i), "units": "m/s"} for i in range(1, 13)],
                 band_names=band_names, scale=SCALE)
    _add(reg, layer, source="wind_stations.csv (papers cited per row); wind_speed_by_month.csv",
         file_in_source="wind_stations.csv", license=THIS,
         citation="station figures: per row of wind_stations.csv", processing=f"{processing}; "
         f"{SCALED_TEXT}", bands=band_names)

    stored = np.round(monthly / SCALE) * SCALE
    days = windy_days(stored)
    data = np.where(np.isnan(days), U8_NODATA, np.round(days)).astype(np.uint8)
    layer = Layer(id="windy_days_winter_spring", path="windy_days_winter_spring.tif", kind="raster",
                  units="days", status="derived", long_name="days with wind >= 6 m/s in winter and "
                  "spring (December-May), from the monthly mean wind",
                  resampling="none (derived on the grid)",
                  extra={"threshold_m_s": SAND_LIFTING_WIND, "weibull_shape": WEIBULL_K,
                         "months": "December-May"})
    write_raster(reg.out / layer.path, grid, [data], dtype="uint8", nodata=U8_NODATA,
                 tags=_tags(layer, "wind_speed_monthly.tif"))
    _add(reg, layer, source="wind_speed_monthly.tif", file_in_source="wind_speed_monthly.tif",
         license=THIS, citation="factor of the red-line guideline (生态保护红线划定指南, 2017): "
         "days with sand-lifting wind >= 6 m/s in winter and spring; Weibull wind distribution: "
         "Skidmore E.L., Tatarko J. (1990), Trans. ASAE 33(6):1893-1899",
         processing=f"sum over December-May of days x P(u >= {SAND_LIFTING_WIND:g} m/s), u Weibull "
                    f"with shape k = {WEIBULL_K:g} and the month's stored mean wind (scale = mean / "
                    f"Gamma(1 + 1/k)): the time with sand-lifting wind in days, a lower bound of the "
                    f"count of days with any such observation; rounded to whole days; inherits "
                    f"the uncertainty of wind_speed_monthly")
    checks = reg.checks.setdefault("climate", {})
    checks["wind_stations_used"] = int(has_wind.sum())
    checks["wind_background_m_s"] = background
    checks["wind_loo_rmse_m_s"] = round(rmse, 2)
    checks["wind_loo"] = {str(n): [float(v), float(p)] for n, v, p in
                          zip(table.loc[has_wind, "station"], values, np.round(loo, 2), strict=True)}
    checks["windy_days_winter_spring_at_stations"] = {
        str(n): (int(data[c]) if (c := _cell(grid, px, py)) is not None else None)
        for n, px, py in zip(table["station"], sx, sy, strict=True)}
    return monthly
