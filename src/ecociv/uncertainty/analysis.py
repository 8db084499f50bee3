"""Ranges of the indicators over the samples and Sobol indices with a convergence check."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: quantiles reported for every indicator (5, 50 and 95 %)
QUANTILES = (0.05, 0.50, 0.95)
#: columns of sobol.csv
SOBOL_COLUMNS = ["indicator", "parameter", "S1", "S1_conf", "ST", "ST_conf", "N",
                 "S1_half", "ST_half", "S1_change", "ST_change", "converged"]


def ranges(outputs: pd.DataFrame, nominal: dict[str, float] | None = None,
           units: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per indicator (column of ``outputs``): the 5/50/95 % quantiles (linear
    interpolation between order statistics), mean, standard deviation, number of valid samples,
    and the deterministic (nominal) value when given."""
    rows = []
    for name in outputs.columns:
        values = pd.to_numeric(outputs[name], errors="coerce").to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        row: dict[str, object] = {"indicator": name, "units": (units or {}).get(name, "")}
        if values.size:
            q = np.quantile(values, QUANTILES)
            row.update(p05=q[0], p50=q[1], p95=q[2], mean=values.mean(),
                       sd=values.std(ddof=1) if values.size > 1 else 0.0)
        else:
            row.update(p05=np.nan, p50=np.nan, p95=np.nan, mean=np.nan, sd=np.nan)
        row["n"] = int(values.size)
        if nominal is not None:
            row["nominal"] = nominal.get(name, np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def sobol_indices(unit: np.ndarray, outputs: pd.DataFrame, names: list[str], *,
                  seed: int = 0, num_resamples: int = 200) -> pd.DataFrame:
    """First-order (S1) and total-order (ST) Sobol indices of every indicator that varies, by
    SALib's Saltelli/Jansen estimators, with bootstrap 95 % confidence half-widths (``*_conf``),
    and the same indices from the first half of the base samples (``*_half``): the convergence
    check: ``converged`` is true when both changes ``*_change`` are within the confidence
    half-widths (empty when N < 4).

    ``unit``: the Saltelli design (N·(D + 2) rows in SALib's order); ``outputs``: one row per
    design row, one column per indicator.
    """
    from SALib.analyze import sobol as sobol_analyze

    from ecociv.uncertainty.sampling import problem

    dims = len(names)
    block = dims + 2
    base = len(unit) // block
    rows = []
    for indicator in outputs.columns:
        y = pd.to_numeric(outputs[indicator], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(y)) or np.ptp(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            continue
        full = sobol_analyze.analyze(problem(names), y, calc_second_order=False,
                                     num_resamples=num_resamples, seed=seed)
        half = None
        if base >= 4:
            half = sobol_analyze.analyze(problem(names), y[: (base // 2) * block],
                                         calc_second_order=False, num_resamples=num_resamples,
                                         seed=seed)
        for j, name in enumerate(names):
            row = {"indicator": indicator, "parameter": name,
                   "S1": full["S1"][j], "S1_conf": full["S1_conf"][j],
                   "ST": full["ST"][j], "ST_conf": full["ST_conf"][j], "N": base}
            if half is not None:
                row.update(S1_half=half["S1"][j], ST_half=half["ST"][j],
                           S1_change=abs(full["S1"][j] - half["S1"][j]),
                           ST_change=abs(full["ST"][j] - half["ST"][j]))
                row["converged"] = bool(row["S1_change"] <= row["S1_conf"]
                                        and row["ST_change"] <= row["ST_conf"])
            rows.append(row)
    return pd.DataFrame(rows, columns=SOBOL_COLUMNS)
