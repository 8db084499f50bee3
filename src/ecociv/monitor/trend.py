"""Trend of an annual series: Sen's slope (Sen 1968, J. Am. Stat. Assoc. 63(324):1379-1389: the
median of the pairwise slopes) and the Mann-Kendall test (Mann 1945, Econometrica 13:245-259;
Kendall 1975, Rank Correlation Methods) with the variance corrected for ties and the normal
approximation with continuity correction. Pure Python (no SciPy)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class Trend:
    """Sen's slope (units per year), Mann-Kendall S, Z and two-sided p, number of years."""

    slope: float
    s: int
    z: float
    p: float
    n: int

    def direction(self, alpha: float = 0.05) -> str:
        """``increasing``/``decreasing`` when significant at ``alpha``, else ``no trend``."""
        if self.n < 3 or self.p >= alpha:
            return "no trend"
        return "increasing" if self.z > 0 else "decreasing"


def sen_slope(times: Sequence[float], values: Sequence[float]) -> float:
    """Median of (x_j - x_i) / (t_j - t_i) over all pairs i < j with t_j != t_i.

    Examples
    --------
    >>> sen_slope([2000, 2001, 2002, 2003], [10.0, 12.0, 14.0, 100.0])   # robust to the outlier
    2.0
    """
    slopes = [(values[j] - values[i]) / (times[j] - times[i])
              for i in range(len(values)) for j in range(i + 1, len(values)) if times[j] != times[i]]
    return float(median(slopes)) if slopes else float("nan")


def mann_kendall(times: Sequence[float], values: Sequence[float]) -> Trend:
    """Mann-Kendall trend test of ``values`` ordered by ``times``."""
    order = sorted(range(len(values)), key=lambda k: times[k])
    x = [values[k] for k in order]
    t = [times[k] for k in order]
    n = len(x)
    s = sum((x[j] > x[i]) - (x[j] < x[i]) for i in range(n) for j in range(i + 1, n))
    ties = Counter(x).values()
    var = (n * (n - 1) * (2 * n + 5) - sum(g * (g - 1) * (2 * g + 5) for g in ties)) / 18.0
    if var <= 0:
        z = 0.0
    elif s > 0:
        z = (s - 1) / math.sqrt(var)
    elif s < 0:
        z = (s + 1) / math.sqrt(var)
    else:
        z = 0.0
    p = math.erfc(abs(z) / math.sqrt(2.0))
    return Trend(slope=sen_slope(t, x), s=int(s), z=z, p=p, n=n)
