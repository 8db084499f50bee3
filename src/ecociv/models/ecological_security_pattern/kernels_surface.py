r"""Ecological sources and the resistance surface (pure functions on numpy arrays).

Sources are the largest connected patches of ecologically important land; the resistance
surface is a weighted sum of factor resistances (land use, slope, human disturbance), the usual
construction of the minimum-cumulative-resistance security pattern (Yu 1999). The class breaks,
class resistances and weights are the user's (tables); the model's defaults are illustrative.

References
----------
Yu, K. J. (1999). 生物保护的景观生态安全格局 (Landscape ecological security patterns in
biological conservation). Acta Ecologica Sinica 19(1), 8-15.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ecociv.grid.patches import label_areas

#: 8-connectivity structuring element for patch labelling.
EIGHT = np.ones((3, 3), dtype=bool)

#: square metres per square kilometre
M2_PER_KM2 = 1e6


def label_patches(mask: np.ndarray, cell_area_m2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected patches of ``mask`` (8-connectivity) and their areas.

    Parameters
    ----------
    mask : ndarray of bool (rows, cols)
        Cells that qualify.
    cell_area_m2 : ndarray
        True area of each cell, m², broadcastable to ``mask`` (e.g. (rows, 1)).

    Returns
    -------
    labels : ndarray of int32 (rows, cols)
        Patch number 1..n, 0 outside every patch (``scipy.ndimage.label`` order).
    area_km2 : ndarray (n,)
        Area of patch k at index k - 1, km².
    """
    from scipy import ndimage  # here: a scenario's plan imports this module (~0.1 s)

    labels = np.empty(mask.shape, dtype=np.int32)
    count = ndimage.label(mask, structure=EIGHT, output=labels)
    sums = label_areas(labels, count, cell_area_m2)  # = np.bincount(..., weights=areas), bit for bit
    return labels, sums[1:] / M2_PER_KM2


def select_sources(labels: np.ndarray, area_km2: np.ndarray, min_area_km2: float,
                   max_sources: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep the ``max_sources`` largest patches of at least ``min_area_km2`` km².

    Returns the relabelled raster (1 = largest patch, 0 = not a source) and the kept areas, km²,
    largest first (ties: lower patch number first).
    """
    order = np.lexsort((np.arange(area_km2.size), -area_km2))
    kept = [k for k in order if area_km2[k] >= min_area_km2][:max_sources]
    lookup = np.zeros(area_km2.size + 1, dtype=np.int32)
    lookup[np.asarray(kept, dtype=np.int64) + 1] = np.arange(1, len(kept) + 1, dtype=np.int32)
    return lookup[labels], area_km2[np.asarray(kept, dtype=np.int64)]


def graded(values: np.ndarray, upper: np.ndarray, resistance: np.ndarray,
           mode: str = "classes") -> np.ndarray:
    r"""Resistance of a factor from class breaks.

    Parameters
    ----------
    values : ndarray
        Factor values (degrees of slope, metres to built-up land, a 0-1 index...); NaN stays NaN.
    upper : ndarray (k,)
        Upper bound of each class, sorted ascending, in the factor's units (the last may be inf).
    resistance : ndarray (k,)
        Resistance of each class, dimensionless.
    mode : {"classes", "linear"}
        ``classes``: a value gets the resistance of the first class with value ≤ upper (values
        above the last bound get the last class). ``linear``: piecewise-linear interpolation
        through the points (upper, resistance) of the finite bounds, constant beyond the ends.

    Notes
    -----
    Grading factors into resistance classes and combining them by weights is the common
    practice of MCR security-pattern studies (Yu 1999); breaks and resistances are inputs.
    """
    upper = np.asarray(upper, dtype=np.float64)
    resistance = np.asarray(resistance, dtype=np.float64)
    if mode == "classes":
        position = np.minimum(np.searchsorted(upper, values, side="left"), upper.size - 1)
        return np.where(np.isnan(values), np.nan, resistance[position])
    if mode == "linear":
        finite = np.isfinite(upper)
        return np.interp(values, upper[finite], resistance[finite])
    raise ValueError(f"unknown grading mode {mode!r}; expected 'classes' or 'linear'")


def distance_to(mask: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """Euclidean distance from each cell centre to the nearest ``mask`` cell centre, m
    (inf when ``mask`` is empty); ``scipy.ndimage.distance_transform_edt``."""
    from scipy import ndimage

    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(~mask, sampling=(dy, dx))


def weighted_resistance(factors: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    r"""Combined resistance :math:`R = \sum_f w_f R_f / \sum_f w_f` (dimensionless).

    A cell is NaN (impassable) where any factor is NaN.
    """
    total = sum(weights[name] for name in factors)
    out = np.zeros(next(iter(factors.values())).shape)
    for name, values in factors.items():
        out += weights[name] / total * values
    return out


def first_cell(mask: np.ndarray) -> tuple[int, int] | None:
    """(row, col) of the first True cell in row-major order, or None."""
    hits = np.flatnonzero(mask.ravel())
    if hits.size == 0:
        return None
    row, col = divmod(int(hits[0]), mask.shape[1])
    return row, col
