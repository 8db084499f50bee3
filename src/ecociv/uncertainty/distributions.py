"""Probability distributions of uncertain parameters, levers and input multipliers.

Each distribution maps a uniform number ``u`` in (0, 1) to a value by its inverse CDF, so one
sampler (Latin hypercube, Sobol/Saltelli) serves every distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ecociv.errors import InputError

#: distribution name -> its parameters (all required)
PARAMETERS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "truncnorm": ("mean", "sd", "low", "high"),
    "lognormal": ("median", "sigma"),
    "triangular": ("low", "mode", "high"),
}
#: u is kept inside (EPS, 1 - EPS): the inverse CDF of an unbounded distribution is infinite at 0, 1
EPS = 1e-9


@dataclass(frozen=True)
class Distribution:
    """A univariate distribution.

    Attributes
    ----------
    kind : str
        ``uniform`` (low, high), ``normal`` (mean, sd), ``truncnorm`` (mean, sd of the parent
        normal, cut at low and high), ``lognormal`` (median, sigma = standard deviation of the
        natural logarithm) or ``triangular`` (low, mode, high).
    params : dict
        The parameters named in :data:`PARAMETERS`, as floats in the target's units.
    """

    kind: str
    params: dict[str, float]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The values whose cumulative probabilities are ``u`` (inverse CDF)."""
        from scipy import stats

        u = np.clip(np.asarray(u, dtype=float), EPS, 1 - EPS)
        p = self.params
        if self.kind == "uniform":
            return np.asarray(p["low"] + u * (p["high"] - p["low"]))
        if self.kind == "normal":
            return np.asarray(stats.norm.ppf(u, loc=p["mean"], scale=p["sd"]))
        if self.kind == "truncnorm":
            a = (p["low"] - p["mean"]) / p["sd"]
            b = (p["high"] - p["mean"]) / p["sd"]
            return np.asarray(stats.truncnorm.ppf(u, a, b, loc=p["mean"], scale=p["sd"]))
        if self.kind == "lognormal":
            return np.asarray(stats.lognorm.ppf(u, s=p["sigma"], scale=p["median"]))
        width = p["high"] - p["low"]
        c = (p["mode"] - p["low"]) / width
        return np.asarray(stats.triang.ppf(u, c, loc=p["low"], scale=width))

    @property
    def centre(self) -> float:
        """The median (used to check a target before sampling)."""
        return float(self.ppf(np.array([0.5]))[0])


def parse_distribution(entry: dict[str, Any], where: str) -> Distribution:
    """A :class:`Distribution` from a mapping such as ``{distribution: normal, mean: 1, sd: 0.1}``.

    Raises
    ------
    InputError
        Unknown distribution, missing or extra parameters, non-numbers, ``sd <= 0``,
        ``low >= high``, a mode outside ``[low, high]``, a median ``<= 0``, a truncated normal
        whose interval holds no probability.
    """
    kind = entry.get("distribution")
    if kind not in PARAMETERS:
        raise InputError(f"distribution {kind!r} is not known; expected one of "
                         f"{', '.join(PARAMETERS)}", source=where)
    names = PARAMETERS[str(kind)]
    given = {k: v for k, v in entry.items() if k not in ("distribution", "target", "units",
                                                           "column", "name")}
    missing = [n for n in names if n not in given]
    extra = [k for k in given if k not in names]
    if missing or extra:
        raise InputError(f"{kind} takes parameters {', '.join(names)}"
                         + (f"; missing {', '.join(missing)}" if missing else "")
                         + (f"; unknown {', '.join(extra)}" if extra else ""), source=where)
    params: dict[str, float] = {}
    for name in names:
        value = given[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{kind} parameter '{name}' must be a finite number, got {value!r}",
                             source=where)
        params[name] = float(value)
    _check(str(kind), params, where)
    return Distribution(kind=str(kind), params=params)


def _check(kind: str, p: dict[str, float], where: str) -> None:
    def bad(message: str) -> InputError:
        return InputError(f"{kind}: {message}", source=where)

    if "sd" in p and p["sd"] <= 0:
        raise bad(f"sd must be > 0, got {p['sd']:g}")
    if "sigma" in p and p["sigma"] <= 0:
        raise bad(f"sigma must be > 0, got {p['sigma']:g}")
    if "median" in p and p["median"] <= 0:
        raise bad(f"median must be > 0, got {p['median']:g}")
    if "low" in p and p["low"] >= p["high"]:
        raise bad(f"low ({p['low']:g}) must be below high ({p['high']:g})")
    if kind == "triangular" and not p["low"] <= p["mode"] <= p["high"]:
        raise bad(f"mode ({p['mode']:g}) must lie in [low, high] = [{p['low']:g}, {p['high']:g}]")
    if kind == "truncnorm":
        from scipy import stats

        mass = (stats.norm.cdf((p["high"] - p["mean"]) / p["sd"])
                - stats.norm.cdf((p["low"] - p["mean"]) / p["sd"]))
        if mass < 1e-6:
            raise bad(f"[low, high] = [{p['low']:g}, {p['high']:g}] holds no probability of "
                      f"normal(mean={p['mean']:g}, sd={p['sd']:g})")
