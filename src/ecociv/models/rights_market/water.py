"""Participants of a water-rights market from the demand sites of ``water_allocation``.

Every demand site (and sector) of the ``deliveries`` table is a participant of market ``water``
in the zone group of its basin. Its baseline is its desired use (mean annual demand), its rights
are what the allocation delivered to it under the caps (mean annual delivery), and giving up
water costs the marginal value of water of its sector, rising as it gives up more along a
linear inverse demand whose price elasticity at the desired use is the sector's.

Notes
-----
With a linear inverse demand :math:`v(w) = v_0 - s\\,w` through the desired use :math:`b` at the
marginal value :math:`v_b = v(b)` with point elasticity :math:`\\varepsilon` (< 0) there,
:math:`s = v_b / (|\\varepsilon|\\, b)`. Giving up :math:`a` of :math:`b` loses
:math:`\\int_{b-a}^{b} v(w)\\,dw = v_b\\,a + \\tfrac12 s\\,a^2`: the quadratic cost of the market
with :math:`\\alpha = v_b` (yuan/m³) and :math:`\\beta = v_b / (|\\varepsilon|\\, b)` (yuan/m³ per m³).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.rights_market.tables import text as _text
from ecociv.models.rights_market.tables import where as _where

VALUE_SOURCE = "water_values"
DELIVERY_SOURCE = "water_deliveries"


def _finite(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    """Column ``column`` as floats; a missing, non-numeric or negative value is an error naming
    its row."""
    if column not in frame.columns:
        raise InputError(f"column '{column}' is missing", source=source)
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InputError(f"column '{column}' must be a number ≥ 0, got "
                         f"{frame[column].iloc[position]!r}", source=source,
                         where=_where(frame, position))
    return values


def sector_values(values: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Marginal value (yuan/m³), price elasticity (< 0) and the most a site may give up (share
    of its desired use, default 1) of water per sector.

    Raises
    ------
    InputError
        A sector twice, a marginal value that is not a positive number, an elasticity that is
        not negative, a share outside [0, 1] (naming the row of ``water_values``).
    """
    sectors = _text(values, "sector")
    out: dict[str, tuple[float, float, float]] = {}
    value = pd.to_numeric(values["marginal_value"], errors="coerce") \
        if "marginal_value" in values else None
    elasticity = pd.to_numeric(values["price_elasticity"], errors="coerce") \
        if "price_elasticity" in values else None
    for position, sector in enumerate(sectors):
        where = _where(values, position)
        if not sector:
            raise InputError("column 'sector' is empty", source=VALUE_SOURCE, where=where)
        if sector in out:
            raise InputError(f"sector {sector!r} appears twice", source=VALUE_SOURCE, where=where)
        v = float(value.iloc[position]) if value is not None else np.nan
        e = float(elasticity.iloc[position]) if elasticity is not None else np.nan
        if not np.isfinite(v) or v <= 0:
            raise InputError(f"column 'marginal_value' of sector {sector!r} must be a number > 0 "
                             "(yuan/m³)", source=VALUE_SOURCE, where=where)
        if not np.isfinite(e) or e >= 0:
            raise InputError(f"column 'price_elasticity' of sector {sector!r} must be a number < 0 "
                             "(a demand falls when its price rises)", source=VALUE_SOURCE,
                             where=where)
        raw = values["max_give_up_share"].iloc[position] if "max_give_up_share" in values else None
        empty = raw is None or pd.isna(raw) or not str(raw).strip()
        most = 1.0 if empty else float(pd.to_numeric(pd.Series([raw]), errors="coerce").iloc[0])
        if not 0.0 <= most <= 1.0:  # also catches NaN (not a number)
            raise InputError(f"column 'max_give_up_share' of sector {sector!r} must be a share in "
                             f"[0, 1], got {values['max_give_up_share'].iloc[position]!r}",
                             source=VALUE_SOURCE, where=where)
        out[sector] = (v, e, most)
    return out


def participants_from_deliveries(deliveries: pd.DataFrame, values: pd.DataFrame,
                                 m3_per_unit: float = 1.0) -> pd.DataFrame:
    """Participants of market ``water``: one per demand site and sector of ``deliveries``.

    Parameters
    ----------
    deliveries : DataFrame
        ``water_allocation``'s deliveries: month (YYYY-MM), site, sector, basin, unit,
        demand_m3 and delivered_m3 (m³ in the month).
    values : DataFrame
        Per sector: marginal_value (yuan/m³ at the desired use) and price_elasticity (< 0).
    m3_per_unit : float
        Cubic metres in one unit of the market's quantity (1 for m³, 10⁸ for 10⁸ m³).

    Returns
    -------
    DataFrame
        participant (the site, or ``site/sector`` when a site has several sectors), market
        ``water``, unit, sector, zone_group (the basin, 'all' when empty), baseline (mean annual
        demand) and allocation (mean annual delivery) in quantity units per year, mac_intercept
        (yuan per quantity unit), mac_slope (yuan per quantity unit²) and max_abatement (the
        larger of the sector's max_give_up_share × baseline and baseline − allocation).

    Raises
    ------
    InputError
        An empty table, a month that is not YYYY-MM, a missing or negative amount, a delivery
        above its demand, a sector without a row in ``water_values`` (naming file and row).
    """
    if deliveries.empty:
        raise InputError("the deliveries table has no rows (expected water_allocation's "
                         "deliveries: one row per demand site and month)", source=DELIVERY_SOURCE)
    by_sector = sector_values(values)
    frame = pd.DataFrame({c: _text(deliveries, c) for c in ("month", "site", "sector", "basin",
                                                             "unit")})
    months = pd.to_datetime(frame["month"], format="%Y-%m", errors="coerce")
    if months.isna().any():
        position = int(np.flatnonzero(months.isna().to_numpy())[0])
        raise InputError(f"column 'month' must be YYYY-MM, got {frame['month'].iloc[position]!r}",
                         source=DELIVERY_SOURCE, where=_where(deliveries, position))
    empty_site = (frame["site"] == "").to_numpy()
    if empty_site.any():
        position = int(np.flatnonzero(empty_site)[0])
        raise InputError("column 'site' is empty", source=DELIVERY_SOURCE,
                         where=_where(deliveries, position))
    frame["demand"] = _finite(deliveries, "demand_m3", DELIVERY_SOURCE)
    frame["delivered"] = _finite(deliveries, "delivered_m3", DELIVERY_SOURCE)
    above = frame["delivered"].to_numpy() > frame["demand"].to_numpy() * (1 + 1e-6) + 1e-6
    if above.any():
        position = int(np.flatnonzero(above)[0])
        raise InputError(f"delivered_m3 {frame['delivered'].iloc[position]:.6g} is above demand_m3 "
                         f"{frame['demand'].iloc[position]:.6g} (a site never receives more than "
                         "its demand)", source=DELIVERY_SOURCE, where=_where(deliveries, position))
    unknown = ~frame["sector"].isin(list(by_sector))
    if unknown.any():
        position = int(np.flatnonzero(unknown.to_numpy())[0])
        row = frame.iloc[position]
        raise InputError(f"site {row['site']!r} has sector {row['sector']!r}, which has no row in "
                         f"water_values (sectors there: {', '.join(sorted(by_sector)) or 'none'})",
                         source=DELIVERY_SOURCE, where=_where(deliveries, position))
    keys = ["site", "sector"]
    grouped = frame.groupby(keys, sort=True)
    # mean annual amounts: the months of the run, whatever their number, scaled to 12
    per_year = grouped[["demand", "delivered"]].sum().mul(12.0, axis=0).div(
        grouped.size(), axis=0) / m3_per_unit
    first = grouped[["basin", "unit"]].first()
    sectors_of_site = frame.groupby("site")["sector"].nunique()
    sites = [s for s, _ in per_year.index]
    sectors = [c for _, c in per_year.index]
    baseline = per_year["demand"].to_numpy(dtype=float)
    value = np.array([by_sector[c][0] for c in sectors]) * m3_per_unit
    elasticity = np.array([by_sector[c][1] for c in sectors])
    # a site without demand cannot give water up: no slope is needed, it only may sell nothing
    slope = np.where(baseline > 0, value / (np.abs(elasticity) * np.maximum(baseline, 1e-300)),
                     value)
    return pd.DataFrame({
        "participant": [s if sectors_of_site[s] == 1 else f"{s}/{c}" for s, c in zip(sites, sectors,
                                                                                     strict=True)],
        "market": "water", "unit": first["unit"].to_numpy(), "sector": sectors,
        "zone_group": [b or "all" for b in first["basin"]],
        "baseline": baseline, "allocation": per_year["delivered"].to_numpy(dtype=float),
        "mac_intercept": value, "mac_slope": slope,
        # a site may give up its sector's share of its desired use, and always what the caps
        # already take from it (so command and control values its shortage at its own curve)
        "max_abatement": np.maximum(baseline * np.array([by_sector[c][2] for c in sectors]),
                                    baseline - per_year["delivered"].to_numpy(dtype=float))})
