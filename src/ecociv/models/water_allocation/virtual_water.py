r"""Crop water use, virtual-water content per tonne and the net virtual-water export of crop trade.

Uses the same ETc computation as the irrigation demand (:mod:`.demand`): ETc = Kc·ET0 month by
month, blue water = the net irrigation requirement, green water = the rest.

References
----------
Hoekstra, A.Y., Chapagain, A.K., Aldaya, M.M. and Mekonnen, M.M. (2011), *The Water Footprint
Assessment Manual: Setting the Global Standard*, Earthscan, London (cited as WFA Manual):
chapter 3, process water footprint of growing a crop, with crop water use CWU = 10 Σ ET (m³/ha,
ET in mm summed over the growing period) and WF = CWU / Y (m³/t); Appendix I, crop water
requirement option, green ET = min(ETc, Peff) and blue ET = max(0, ETc − Peff). Section numbers
are not quoted here because they could not be checked against the printed manual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ecociv.errors import InputError
from ecociv.models.water_allocation.demand import (
    M3_PER_MM_HA,
    PeffMethod,
    crop_monthly_kc,
    crop_season_fraction,
    load_crop_table,
    net_irrigation_requirement_mm,
)

#: m³ in 10⁸ m³ (亿立方米), the unit of Chinese water statistics.
M3_PER_HUNDRED_MILLION = 1e8


def crop_water_use_mm(kc: ArrayLike, et0_mm: ArrayLike, p_mm: ArrayLike, method: PeffMethod = "usda_scs", *,
                      fraction: float = 0.8, season_fraction: ArrayLike | None = None) -> dict[str, float]:
    r"""Green, blue and total crop evapotranspiration over a season.

    Parameters
    ----------
    kc : array_like
        Monthly mean Kc (dimensionless), shape ``(12,)`` (0 outside the season).
    et0_mm, p_mm : array_like
        Monthly reference evapotranspiration and precipitation (mm/month), shape ``(12,)``.
    method : str
        Effective-precipitation method (:func:`.demand.effective_precipitation`).
    fraction : float
        Effective fraction for ``method="fixed_fraction"``.
    season_fraction : array_like, optional
        Share of each month in the season, to prorate rain (:func:`.demand.season_fraction`).

    Returns
    -------
    dict
        ``{"green": mm, "blue": mm, "total": mm}`` per season (mm, i.e. per ha ×10 m³).

    Notes
    -----
    ETc = Σ Kc·ET0 (FAO-56 eq. 58); blue = Σ NIR = Σ max(Kc·ET0 − Peff, 0); green = ETc − blue
    = Σ min(Kc·ET0, Peff) over the season's months (WFA Manual, Appendix I, crop water
    requirement option, which assumes the crop's water requirement is fully met).
    """
    k = np.asarray(kc, dtype=np.float64)
    et0 = np.asarray(et0_mm, dtype=np.float64)
    blue = net_irrigation_requirement_mm(k, et0, p_mm, method, fraction=fraction, season_fraction=season_fraction)
    total = float(np.sum(k * et0))
    blue_total = float(np.sum(blue))
    return {"green": total - blue_total, "blue": blue_total, "total": total}


def virtual_water_content_m3_per_t(etc_mm: ArrayLike, yield_t_per_ha: ArrayLike, crop: str = "crop") -> np.ndarray:
    r"""Virtual-water content (water footprint of growing) of a crop.

    Parameters
    ----------
    etc_mm : array_like
        Crop evapotranspiration over the growing season (mm, >= 0): total, green or blue.
    yield_t_per_ha : array_like
        Crop yield (t/ha, > 0).
    crop : str
        Crop id, for error messages.

    Returns
    -------
    ndarray
        Virtual-water content (m³/t).

    Notes
    -----
    :math:`VWC = CWU / Y = 10\,\sum ET / Y` (WFA Manual, chapter 3, CWU = 10 Σ ET and
    WF = CWU / Y; the factor 10 turns mm into m³/ha).
    """
    etc = np.asarray(etc_mm, dtype=np.float64)
    yld = np.asarray(yield_t_per_ha, dtype=np.float64)
    if not np.all(yld > 0):
        raise InputError(f"yield must be > 0 t/ha, got {yield_t_per_ha!r}", source="yield_t_per_ha",
                         where=f"crop {crop!r}")
    if not np.all(etc >= 0):
        raise InputError(f"crop water use must be >= 0 mm, got {etc_mm!r}", source="etc_mm", where=f"crop {crop!r}")
    return M3_PER_MM_HA * etc / yld


def crop_virtual_water_table(crops: Sequence[str], et0_mm: ArrayLike, p_mm: ArrayLike,
                             method: PeffMethod = "usda_scs", *, table: pd.DataFrame | None = None,
                             prorate_rain: bool = False) -> pd.DataFrame:
    """Crop water use (mm) and virtual-water content (m³/t) of crops under one monthly climate.

    Parameters
    ----------
    crops : sequence of str
        Crop ids of the crop table.
    et0_mm, p_mm : array_like
        Monthly climate normals (mm/month), shape ``(12,)``.
    method : str
        Effective-precipitation method.
    table : DataFrame, optional
        Crop table (:func:`.demand.load_crop_table`); default the packaged one.
    prorate_rain : bool
        Count only the season's share of a partly occupied month's rain.

    Returns
    -------
    DataFrame
        Indexed by crop: ``etc_mm``, ``green_mm``, ``blue_mm`` (mm/season), ``yield_t_per_ha``,
        ``vwc_m3_per_t``, ``vwc_green_m3_per_t``, ``vwc_blue_m3_per_t`` (m³/t).
    """
    crop_table = load_crop_table() if table is None else table
    rows = []
    for crop in crops:
        kc = crop_monthly_kc(crop_table, crop)
        share = crop_season_fraction(crop_table, crop) if prorate_rain else None
        use = crop_water_use_mm(kc, et0_mm, p_mm, method, season_fraction=share)
        yld = float(crop_table.loc[crop, "yield_t_per_ha"])
        rows.append({
            "crop": crop, "etc_mm": use["total"], "green_mm": use["green"], "blue_mm": use["blue"],
            "yield_t_per_ha": yld,
            "vwc_m3_per_t": float(virtual_water_content_m3_per_t(use["total"], yld, crop)),
            "vwc_green_m3_per_t": float(virtual_water_content_m3_per_t(use["green"], yld, crop)),
            "vwc_blue_m3_per_t": float(virtual_water_content_m3_per_t(use["blue"], yld, crop)),
        })
    return pd.DataFrame(rows).set_index("crop")


def net_virtual_water_export(trade: pd.DataFrame, vwc: Mapping[str, float]) -> pd.DataFrame:
    r"""Virtual water carried by crop trade, per crop and in total.

    Parameters
    ----------
    trade : DataFrame
        Columns ``crop``, ``export_t`` and ``import_t`` (t/yr, >= 0) out of and into the region;
        a crop on several rows (several partners) is summed.
    vwc : mapping of str to float
        Virtual-water content of each traded crop (m³/t, >= 0), e.g. ``vwc_m3_per_t`` of
        :func:`crop_virtual_water_table`.

    Returns
    -------
    DataFrame
        Indexed by crop plus a last row ``total``: ``export_t``, ``import_t``, ``net_export_t``,
        ``vwc_m3_per_t`` (NaN on the total row), ``export_m3``, ``import_m3``,
        ``net_export_m3`` (m³/yr) and ``net_export_hundred_million_m3`` (10⁸ m³/yr).

    Notes
    -----
    :math:`VW_{net} = \sum_c (E_c - I_c)\,VWC_c` (WFA Manual, national accounting: a virtual-water
    flow is the traded volume times the water footprint per unit of product). The exporting region's VWC
    is applied to imports too, i.e. the result is the regional water *saved or spent*
    by trade, not the water used abroad.
    """
    missing = [c for c in ("crop", "export_t", "import_t") if c not in trade.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", source="trade")
    frame = trade[["crop", "export_t", "import_t"]].copy()
    frame["crop"] = frame["crop"].astype(str).str.strip()
    for column in ("export_t", "import_t"):
        values = pd.to_numeric(frame[column], errors="coerce")
        for index, value in zip(frame.index, values, strict=True):
            if not value >= 0:
                raise InputError(f"must be a number >= 0 t, got {frame.loc[index, column]!r}", source="trade",
                                 where=f"row {index}, crop {frame.loc[index, 'crop']!r}, column {column!r}")
        frame[column] = values.astype(float)
    without = sorted(set(frame["crop"]) - set(vwc))
    if without:
        raise InputError(f"no virtual-water content for crop(s) {', '.join(without)}", source="vwc",
                         where=f"crop {without[0]!r}")
    for crop in set(frame["crop"]):
        if not float(vwc[crop]) >= 0:
            raise InputError(f"virtual-water content must be >= 0 m³/t, got {vwc[crop]!r}", source="vwc",
                             where=f"crop {crop!r}")
    out = frame.groupby("crop", sort=False).sum()
    out["net_export_t"] = out["export_t"] - out["import_t"]
    out["vwc_m3_per_t"] = [float(vwc[crop]) for crop in out.index]
    out["export_m3"] = out["export_t"] * out["vwc_m3_per_t"]
    out["import_m3"] = out["import_t"] * out["vwc_m3_per_t"]
    out["net_export_m3"] = out["export_m3"] - out["import_m3"]
    total = out.sum(numeric_only=True)
    total["vwc_m3_per_t"] = np.nan
    out.loc["total"] = total
    out["net_export_hundred_million_m3"] = out["net_export_m3"] / M3_PER_HUNDRED_MILLION
    out.index.name = "crop"
    return out
