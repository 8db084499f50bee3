"""Seeded sample designs in the unit hypercube, mapped to the targets' distributions.

* ``mc``: a Latin hypercube (McKay, Beckman & Conover 1979), scipy.stats.qmc, seeded.
* ``sobol``: Saltelli's extension of Sobol' sequences for first- and total-order indices
  (Saltelli 2002; Saltelli et al. 2010), SALib ``sample.sobol`` (scrambled, seeded), N·(D + 2)
  model runs for D targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecociv.errors import InputError
from ecociv.uncertainty.distributions import Distribution


def problem(names: list[str]) -> dict[str, Any]:
    """The SALib problem of ``names`` over the unit hypercube (values are mapped by inverse CDF)."""
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def unit_design(method: str, n: int, dims: int, seed: int) -> np.ndarray:
    """An (rows, dims) array of numbers in [0, 1]: ``n`` Latin-hypercube rows for ``mc``, or the
    N·(dims + 2) Saltelli rows of base size ``n`` (a power of two) for ``sobol``."""
    if method == "mc":
        from scipy.stats import qmc

        return np.asarray(qmc.LatinHypercube(d=dims, seed=seed).random(n))
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise InputError(f"--samples must be a power of two for the Sobol method (base "
                             f"sample N of N·(D + 2) runs), got {n}", source="samples")
        from SALib.sample import sobol as sobol_sample

        names = [f"x{i}" for i in range(dims)]
        return np.asarray(sobol_sample.sample(problem(names), n, calc_second_order=False,
                                              scramble=True, seed=seed))
    raise InputError(f"method must be 'mc' or 'sobol', got {method!r}", source="method")


def to_values(unit: np.ndarray, distributions: list[Distribution]) -> np.ndarray:
    """Map each column of a unit design through its distribution's inverse CDF."""
    out = np.empty_like(unit, dtype=float)
    for j, dist in enumerate(distributions):
        out[:, j] = dist.ppf(unit[:, j])
    return out
