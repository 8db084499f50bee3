r"""Ecological sensitivity kernels: grading of factors, geometric-mean indices, classes,
terrain relief and USDA texture classes (pure functions on arrays; NaN = nodata).

The indices are those of the national Guideline for Delimiting Ecological Protection Red Lines
(生态保护红线划定指南, Ministry of Environmental Protection & NDRC, 2017, 环办生态〔2017〕48号),
appendix on ecological-environment sensitivity (生态环境敏感性评估):

* soil (water) erosion  :math:`SS = \sqrt[4]{R \cdot K \cdot LS \cdot C}` — rainfall erosivity,
  soil erodibility (graded by soil texture), terrain relief (地形起伏度), vegetation cover;
* land desertification  :math:`D = \sqrt[4]{I \cdot W \cdot K \cdot C}` — dryness index,
  days with wind ≥ 6 m/s in winter and spring, soil texture, vegetation cover;
* soil salinization     :math:`S = \sqrt[4]{I \cdot M \cdot D \cdot K}` — evaporation over
  precipitation, groundwater mineralization, groundwater depth, soil texture,

each factor graded 1 / 3 / 5 (一般敏感 / 敏感 / 极敏感) and the index graded into the same three
classes (1.0–2.0, 2.1–4.0, > 4.0) — see the model notes on how each limit is sourced.
Schemes with more classes (e.g. the five classes 1/3/5/7/9 of the 生态功能区划暂行规程) are the
same kernels with more limits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: USDA texture classes (Soil Survey Division Staff 1993, Soil Survey Manual, USDA Handbook 18,
#: fig. 3-16) plus two surfaces without fine earth; codes of the ``soil_texture`` input.
TEXTURE_CLASSES: dict[int, str] = {
    1: "sand", 2: "loamy sand", 3: "sandy loam", 4: "loam", 5: "silt loam", 6: "silt",
    7: "sandy clay loam", 8: "clay loam", 9: "silty clay loam", 10: "sandy clay",
    11: "silty clay", 12: "clay", 13: "gravel", 14: "bedrock",
}


def _f(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def grade(values: ArrayLike, thresholds: Sequence[float], *, increasing: bool = True) -> FloatArray:
    """Grade a factor into sensitivity scores 1, 3, 5, ... (2k − 1 for class k).

    Parameters
    ----------
    values : array_like
        Factor values, in the thresholds' units.
    thresholds : sequence of float
        Class limits in ascending order (n − 1 limits for n classes).
    increasing : bool
        True when sensitivity grows with the value (erosivity, relief, dryness, windy days,
        mineralization); False when it falls (vegetation cover, groundwater depth).

    Returns
    -------
    ndarray
        Scores 1, 3, ..., 2n − 1; NaN where ``values`` is NaN.

    Notes
    -----
    The guideline's ranges share their limits (e.g. "≤ 1.5 | 1.5–16.0 | ≥ 16.0"); a value on a
    limit takes the **less** sensitive class here, the reading that also makes the index classes
    "1.0–2.0 | 2.1–4.0 | > 4.0" contiguous.
    """
    limits = np.asarray(thresholds, dtype=np.float64)
    x = _f(values)
    if increasing:
        index = np.searchsorted(limits, x, side="left")
    else:
        index = limits.size - np.searchsorted(limits, x, side="right")
    return np.where(np.isnan(x), np.nan, 2.0 * index + 1.0)


def geometric_mean(*scores: ArrayLike) -> FloatArray:
    r"""Sensitivity index :math:`(\prod_{i=1}^{n} s_i)^{1/n}` of graded factor scores (the
    guideline's fourth root of the product of four scores); NaN if any score is NaN."""
    product = np.ones(np.broadcast_shapes(*(np.shape(s) for s in scores)))
    for score in scores:
        product = product * _f(score)
    return product ** (1.0 / len(scores))


def classify_index(index: ArrayLike, thresholds: Sequence[float]) -> FloatArray:
    """Sensitivity class 1..n of an index from n − 1 ascending limits; a value on a limit takes
    the lower class (guideline: 1.0–2.0 → 1, 2.1–4.0 → 2, > 4.0 → 3). NaN stays NaN."""
    x = _f(index)
    cls = 1.0 + np.searchsorted(np.asarray(thresholds, dtype=np.float64), x, side="left")
    return np.where(np.isnan(x), np.nan, cls)


#: days of each month (February 28.25), for accumulated temperature from monthly means
MONTH_DAYS = (31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0)


def selyaninov_dryness(temperature: ArrayLike, precipitation: ArrayLike, *, base: float = 10.0,
                       coefficient: float = 0.16) -> FloatArray:
    r"""Dryness index (干燥度) of desertification sensitivity by the modified Selyaninov formula
    :math:`I = 0.16 \sum T_{\ge 10} / \sum P_{T \ge 10}`, from monthly means.

    Parameters
    ----------
    temperature : array_like
        Mean air temperature of each month, °C; the **last** axis holds the 12 months.
    precipitation : array_like
        Precipitation of each month, mm; same shape.
    base : float
        Temperature of the warm season, °C (10).
    coefficient : float
        0.16 (mm per °C·d: 0.16 × accumulated temperature approximates the warm season's
        potential evaporation).

    Returns
    -------
    ndarray
        I (dimensionless): 0 where no month reaches ``base`` (no warm season), +inf where the
        warm months have no precipitation, NaN where any month is NaN.

    Notes
    -----
    The formula is the one the guideline-based desertification studies state (Wei W., Guo Z.
    et al. 2021, J. Geogr. Sci., table of sensitivity formulas: "I = 0.16 × annual
    accumulated temperature ≥ 10 °C / precipitation in the period ≥ 10 °C"; 胡云锋等 2018,
    ChinaXiv:201811.00060, "修正的谢良尼诺夫公式"). The monthly form is ours: the warm season
    is the months whose mean temperature is ≥ ``base``, and their accumulated temperature is
    the monthly mean × the days of the month (:data:`MONTH_DAYS`), not a sum of daily means.
    """
    t = _f(temperature)
    p = _f(precipitation)
    if t.shape[-1] != len(MONTH_DAYS) or p.shape != t.shape:
        raise ValueError(f"12 months on the last axis expected, got {t.shape} and {p.shape}")
    warm = t >= base
    sum_t = np.sum(np.where(warm, t * np.asarray(MONTH_DAYS), 0.0), axis=-1)
    sum_p = np.sum(np.where(warm, p, 0.0), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = coefficient * sum_t / sum_p
    index = np.where(sum_t <= 0, 0.0, np.where(sum_p <= 0, np.inf, index))
    missing = np.isnan(t).any(axis=-1) | np.isnan(p).any(axis=-1)
    return np.where(missing, np.nan, index)


def highest_class(*classes: ArrayLike) -> FloatArray:
    """The highest class of several (the overall sensitivity); cells where some are nodata take
    the highest of the others, NaN only where all are."""
    stacked = np.stack(np.broadcast_arrays(*(_f(c) for c in classes)))
    valid = ~np.isnan(stacked)
    best = np.max(np.where(valid, stacked, -np.inf), axis=0)
    return np.where(valid.any(axis=0), best, np.nan)


def relief(elevation: ArrayLike, window: int) -> FloatArray:
    """Terrain relief (地形起伏度): highest minus lowest elevation in a ``window`` × ``window``
    cell neighbourhood centred on each cell, in the elevation's units.

    Nodata neighbours are ignored; nodata cells stay nodata; the grid edge repeats the edge
    cells.
    """
    from scipy import ndimage

    z = _f(elevation)
    missing = np.isnan(z)
    high = ndimage.maximum_filter(np.where(missing, -np.inf, z), size=window, mode="nearest")
    low = ndimage.minimum_filter(np.where(missing, np.inf, z), size=window, mode="nearest")
    return np.where(missing, np.nan, high - low)


def usda_texture_class(sand_pct: ArrayLike, silt_pct: ArrayLike, clay_pct: ArrayLike) -> FloatArray:
    """USDA texture class code (1–12 of :data:`TEXTURE_CLASSES`) from sand, silt and clay in %.

    Notes
    -----
    The USDA texture triangle (Soil Survey Manual 1993, fig. 3-16) as the inequalities of the
    NRCS soil texture calculator, where the first class that matches, from the coarsest (sand)
    up, wins (listed here from the finest). The three fractions are first rescaled to sum to
    100 %::

        clay             clay ≥ 40, sand ≤ 45, silt < 40
        silty clay       clay ≥ 40, silt ≥ 40
        sandy clay       clay ≥ 35, sand > 45
        silty clay loam  27 ≤ clay < 40, sand ≤ 20
        clay loam        27 ≤ clay < 40, 20 < sand ≤ 45
        sandy clay loam  20 ≤ clay < 35, silt < 28, sand > 45
        silt             silt ≥ 80, clay < 12
        silt loam        silt ≥ 50 and 12 ≤ clay < 27, or 50 ≤ silt < 80 and clay < 12
        loam             7 ≤ clay < 27, 28 ≤ silt < 50, sand ≤ 52
        sandy loam       7 ≤ clay < 20, sand > 52, silt + 2 clay ≥ 30; or clay < 7, silt < 50,
                         silt + 2 clay ≥ 30
        loamy sand       silt + 1.5 clay ≥ 15, silt + 2 clay < 30
        sand             silt + 1.5 clay < 15
    """
    sa, si, cl = _f(sand_pct), _f(silt_pct), _f(clay_pct)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = (sa + si + cl) / 100.0
        sa, si, cl = sa / total, si / total, cl / total
    rules = [
        (12, (cl >= 40) & (sa <= 45) & (si < 40)),
        (11, (cl >= 40) & (si >= 40)),
        (10, (cl >= 35) & (sa > 45)),
        (9, (cl >= 27) & (cl < 40) & (sa <= 20)),
        (8, (cl >= 27) & (cl < 40) & (sa > 20) & (sa <= 45)),
        (7, (cl >= 20) & (cl < 35) & (si < 28) & (sa > 45)),
        (6, (si >= 80) & (cl < 12)),
        (5, ((si >= 50) & (cl >= 12) & (cl < 27)) | ((si >= 50) & (si < 80) & (cl < 12))),
        (4, (cl >= 7) & (cl < 27) & (si >= 28) & (si < 50) & (sa <= 52)),
        (3, ((cl >= 7) & (cl < 20) & (sa > 52) & (si + 2 * cl >= 30))
         | ((cl < 7) & (si < 50) & (si + 2 * cl >= 30))),
        (2, (si + 1.5 * cl >= 15) & (si + 2 * cl < 30)),
        (1, si + 1.5 * cl < 15),
    ]
    out = np.full(np.broadcast_shapes(sa.shape, si.shape, cl.shape), np.nan)
    for code, mask in rules:  # coarsest last: it wins where two rules touch, as in the calculator
        out = np.where(mask, float(code), out)
    return np.where(np.isnan(sa) | np.isnan(si) | np.isnan(cl), np.nan, out)


def lookup(codes: ArrayLike, table: dict[int, float]) -> FloatArray:
    """Values of ``table`` for integer ``codes``; NaN for NaN or codes not in the table."""
    x = _f(codes)
    keys = np.array(sorted(table), dtype=np.float64)
    values = np.array([table[int(k)] for k in keys], dtype=np.float64)
    out = np.full(x.shape, np.nan)
    if keys.size:
        position = np.clip(np.searchsorted(keys, x), 0, keys.size - 1)
        hit = keys[position] == x
        out[hit] = values[position[hit]]
    return out
