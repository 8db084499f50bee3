"""County CO2 series aggregated to the inventory's units, for comparison with published totals.

County adcodes aggregate to their prefecture (first four digits + "00"); cities of the Xinjiang
Production and Construction Corps (6590xx) are their own unit; ``"province"`` sums every county
of the table (the first two digits + "0000")."""

from __future__ import annotations

import numpy as np
import pandas as pd

MT = 1e6  # t per Mt


def unit_of(adcode: str, level: str = "prefecture") -> str:
    """The unit a county adcode belongs to: ``level`` is ``"prefecture"`` or ``"province"``."""
    code = str(adcode).strip()
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"not a 6-digit adcode: {adcode!r}")
    if level == "province":
        return code[:2] + "0000"
    if level != "prefecture":
        raise ValueError(f"unknown level {level!r}; expected 'prefecture' or 'province'")
    return code if code.startswith("6590") else code[:4] + "00"


def co2_by_unit(counties: pd.DataFrame, years: range | list[int], level: str = "prefecture",
                column_format: str = "co2_{year}", scale: float = MT) -> pd.DataFrame:
    """Sum a wide county table (one column per year, e.g. Mt CO2) to units, in t/yr.

    Parameters
    ----------
    counties : DataFrame
        Column ``adcode`` and one column per year named by ``column_format``.
    years : sequence of int
        Years to sum.
    level : str
        ``"prefecture"`` or ``"province"``.
    column_format : str
        Column name of a year, e.g. ``"co2_{year}"`` (Chen et al. 2020 series in the Belt dataset).
    scale : float
        t per table unit (1e6 for Mt).

    Returns
    -------
    DataFrame
        unit, year, co2_t (t/yr); a county with no value in a year is left out of that year's sum.
    """
    units = counties["adcode"].astype(str).map(lambda code: unit_of(code, level))
    frames = []
    for year in years:
        values = pd.to_numeric(counties[column_format.format(year=year)], errors="coerce") * scale
        summed = values.groupby(units).sum(min_count=1)
        frames.append(pd.DataFrame({"unit": summed.index, "year": int(year), "co2_t": summed.to_numpy()}))
    out = pd.concat(frames, ignore_index=True)
    return out[np.isfinite(out["co2_t"])].reset_index(drop=True)
