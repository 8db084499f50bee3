"""Cost blocks of ``total_load_allocation`` from a control-measure library (stepwise MAC curves).

A measure removes ``removal_efficiency`` of a sector's emission on at most ``max_application`` of
it, at ``unit_cost`` yuan per tonne removed (the columns of ``control_measures.csv``). Per unit,
sector and pollutant the measures are ranked by unit cost and added one after the other on what
the cheaper ones left (the retrospective way of building a marginal abatement cost curve,
Sathaye & Meyers 1995, as LEAP's MACC reports do): measure k abates
:math:`E_k = R_{k-1}\\,\\eta_k\\,a_k` with :math:`R_0` the sector's emission and
:math:`R_k = R_{k-1} - E_k`. Each becomes one linear block (alpha = unit cost, beta = 0, width
= :math:`E_k`) of the unit's stepwise cost curve.
"""

from __future__ import annotations

import pandas as pd

BLOCK_COLUMNS = ["unit", "pollutant", "alpha", "beta", "max_abatement_t", "sector", "measure"]


def cost_blocks(emissions: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """Stepwise cost blocks per unit and pollutant.

    Parameters
    ----------
    emissions : DataFrame
        ``unit, sector, pollutant, emission_t`` (t/yr) of one year, e.g. the ``emissions`` output of
        ``emission_inventory``.
    measures : DataFrame
        ``measure, sector, pollutant, removal_efficiency`` (0–1), ``max_application`` (0–1),
        ``unit_cost`` (yuan/t).

    Returns
    -------
    DataFrame
        ``unit, pollutant, alpha`` (yuan/t), ``beta`` (0), ``max_abatement_t`` (t/yr), ``sector``,
        ``measure``: one row per measure that abates something.
    """
    rows = []
    sums = emissions.groupby(["unit", "sector", "pollutant"], as_index=False)["emission_t"].sum()
    for row in sums.itertuples(index=False):
        options = measures[(measures["sector"] == row.sector) & (measures["pollutant"] == row.pollutant)]
        remaining = float(row.emission_t)
        for option in options.sort_values(["unit_cost", "measure"]).itertuples(index=False):
            removed = remaining * float(option.removal_efficiency) * float(option.max_application)
            if removed <= 0:
                continue
            rows.append([row.unit, row.pollutant, float(option.unit_cost), 0.0, removed, row.sector,
                         option.measure])
            remaining -= removed
    return pd.DataFrame(rows, columns=BLOCK_COLUMNS)
