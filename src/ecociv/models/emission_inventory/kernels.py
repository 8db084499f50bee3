"""Pure computations of the emission inventory (numbers and frames in, numbers and frames out).

Notes
-----
Emission of pollutant :math:`p` by unit :math:`u`, sector :math:`s`, year :math:`y`:

.. math:: E_{u,s,p,y} = \\sum_k A_{u,s,k,y} \\, EF_{s,k,p} \\, \\bigl(1 - \\sum_m \\eta_{m} \\, a_{m}\\bigr)

with :math:`A` the activity of process or fuel :math:`k`, :math:`EF` its factor, and the measures
:math:`m` of sector :math:`s` and pollutant :math:`p` removing :math:`\\eta_m` (removal efficiency)
on a share :math:`a_m` (application) of the activity (GAINS form, Amann et al. 2011;
:math:`\\sum_m a_m \\le 1`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ecociv.units import parse_unit, ureg

TONNE = ureg.Unit("t")


def tonnes_per_activity(activity_unit: str, factor_unit: str) -> float:
    """Tonnes emitted by one ``activity_unit`` of activity at a factor of one ``factor_unit``.

    Parameters
    ----------
    activity_unit : str
        Pint unit of the activity, e.g. ``"TJ"``, ``"t"``, ``"hundred_million * yuan"``.
    factor_unit : str
        Pint unit of the factor, mass per activity, e.g. ``"kg/TJ"``, ``"t/t"``.

    Returns
    -------
    float
        Multiplier (t per activity_unit × factor_unit), e.g. 0.001 for ``"TJ"`` and ``"kg/TJ"``.

    Raises
    ------
    ValueError
        If a unit is unknown or the product is not a mass.
    """
    product = 1.0 * parse_unit(activity_unit) * parse_unit(factor_unit)
    if product.dimensionality != TONNE.dimensionality:
        raise ValueError(f"activity in {activity_unit!r} times a factor in {factor_unit!r} is "
                         f"{product.dimensionality}, not a mass")
    return float(product.to(TONNE).magnitude)


def growth_factor(rate: float, years: int) -> float:
    """Activity multiplier after ``years`` years of compound growth at ``rate`` per year."""
    return float((1.0 + rate) ** years)


def project_activity(activity: pd.DataFrame, rates: Mapping[tuple[str, str], float],
                     end_year: int) -> pd.DataFrame:
    """Activity of the years after the last year of each series, up to ``end_year``.

    Parameters
    ----------
    activity : DataFrame
        Columns unit, sector, year, process, activity, activity_unit.
    rates : mapping
        Annual growth rate per (unit, sector) (dimensionless, e.g. 0.04 for 4 %/yr).
    end_year : int
        Last year projected.

    Returns
    -------
    DataFrame
        The projected rows (same columns), each series continued from its own last year.
    """
    keys = ["unit", "sector", "process", "activity_unit"]
    last = activity.sort_values("year").groupby(keys, as_index=False).last()
    rows = []
    for record in last.itertuples(index=False):
        rate = rates.get((str(record.unit), str(record.sector)), 0.0)
        for year in range(int(record.year) + 1, end_year + 1):
            rows.append({"unit": record.unit, "sector": record.sector, "year": year,
                         "process": record.process,
                         "activity": float(record.activity) * growth_factor(rate, year - int(record.year)),
                         "activity_unit": record.activity_unit})
    return pd.DataFrame(rows, columns=["unit", "sector", "year", "process", "activity", "activity_unit"])


def consumption_account(production: pd.DataFrame, exports: pd.DataFrame) -> pd.DataFrame:
    """Production- and consumption-based CO2 per region and year.

    Parameters
    ----------
    production : DataFrame
        Columns year, unit, co2_t: CO2 emitted per unit (t/yr).
    exports : DataFrame
        Columns year, producer_unit, receiving_region, co2_t: CO2 of the electricity sent (t/yr).

    Returns
    -------
    DataFrame
        year, region, production_co2_t, exported_co2_t, imported_co2_t, consumption_co2_t. Regions
        outside the inventory have no production (NaN) and so no consumption total; their
        imported CO2 is what they take over. ``exports_above_production`` flags a producer whose
        exported CO2 exceeds the CO2 the inventory gives it (its power activity is incomplete, or the
        export factor too high): its consumption-based CO2 is then negative.
    """
    out = production.rename(columns={"unit": "region", "co2_t": "production_co2_t"})
    sent = (exports.groupby(["year", "producer_unit"])["co2_t"].sum().rename("exported_co2_t")
            .reset_index().rename(columns={"producer_unit": "region"}))
    taken = (exports.groupby(["year", "receiving_region"])["co2_t"].sum().rename("imported_co2_t")
             .reset_index().rename(columns={"receiving_region": "region"}))
    out = out.merge(sent, on=["year", "region"], how="outer").merge(taken, on=["year", "region"], how="outer")
    out[["exported_co2_t", "imported_co2_t"]] = out[["exported_co2_t", "imported_co2_t"]].fillna(0.0)
    out["consumption_co2_t"] = out["production_co2_t"] - out["exported_co2_t"] + out["imported_co2_t"]
    out["exports_above_production"] = out["exported_co2_t"] > out["production_co2_t"].fillna(np.inf)
    out["year"] = out["year"].astype(int)
    return out.sort_values(["year", "region"]).reset_index(drop=True)[
        ["year", "region", "production_co2_t", "exported_co2_t", "imported_co2_t", "consumption_co2_t",
         "exports_above_production"]]
