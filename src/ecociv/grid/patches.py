"""Patches of a boolean mask on a grid: label them, measure their true areas, drop the small
ones and fill small enclosed holes (pure functions on numpy arrays, shared by the red line and
the urban development boundary).

Connectivity: patches are 4-connected (cells sharing an edge), the rule
``rasterio.features.shapes`` uses to polygonise them, so one patch is one polygon; the background
(holes) is 8-connected, the complementary rule that makes "enclosed" well defined on a square
grid (Rosenfeld 1970, *Connectivity in digital pictures*, J. ACM 17(1)).

Memory: labels are int32 (4 bytes per cell) and the areas of the labels are summed without a
float64 copy of the cell areas (:func:`label_areas`), so a 16000² grid needs about 1 GB per
label raster rather than 3 GB.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# (scipy.ndimage is imported where it is used: a scenario's plan imports this module with its
# models, and the import took ~0.1 s of its one-core start)
#: 4-connectivity (``scipy.ndimage.generate_binary_structure(2, 1)``)
_EDGE = np.array([[False, True, False], [True, True, True], [False, True, False]])
#: 8-connectivity (``scipy.ndimage.generate_binary_structure(2, 2)``)
_CORNER = np.ones((3, 3), dtype=bool)

_sums_loop = None


def _compiled_sums() -> Any:
    global _sums_loop
    if _sums_loop is None:
        from ecociv.compiled import jit

        @jit(nogil=True)
        def loop(labels: Any, area: Any, out: Any) -> None:
            rows, cols = labels.shape
            row_area = area.shape[0] == rows and area.shape[1] == 1
            for r in range(rows):
                for c in range(cols):
                    out[labels[r, c]] += area[r, 0] if row_area else area[r, c]

        _sums_loop = loop
    return _sums_loop


def label_areas(labels: np.ndarray, count: int, cell_area_m2: np.ndarray | float) -> np.ndarray:
    """Sum of the cell areas (m²) of each label 0..count.

    Equal bit for bit to ``np.bincount(labels.ravel(), weights=area.ravel())`` with ``area`` the
    cell areas broadcast to the grid (bincount adds the weights one by one in grid order, as
    this loop does), without that float64 copy of the grid.
    """
    area = np.asarray(cell_area_m2, dtype=np.float64)
    out = np.zeros(count + 1)
    if labels.size == 0:
        return out
    if area.ndim == 0:
        area = np.full((labels.shape[0], 1), float(area))
    elif area.ndim < 2 or (area.shape[0] != labels.shape[0]) or area.shape[1] not in (1, labels.shape[1]):
        area = np.broadcast_to(area, labels.shape)
    _compiled_sums()(np.ascontiguousarray(labels), np.ascontiguousarray(area), out)
    return out


def fill_holes(mask: np.ndarray, valid: np.ndarray, cell_area_m2: np.ndarray | float,
               max_hole_area_m2: float) -> np.ndarray:
    """Fill enclosed holes of a mask that are smaller than an area.

    Parameters
    ----------
    mask : ndarray of bool
        The patches (e.g. the red line or the urban boundary).
    valid : ndarray of bool
        Cells with data.
    cell_area_m2 : ndarray
        True area of each cell, m² (broadcastable to ``mask``).
    max_hole_area_m2 : float
        Holes with an area below this (m²) are filled.

    Returns
    -------
    ndarray of bool

    Notes
    -----
    A hole is an 8-connected group of valid cells outside the mask that touches neither the
    edge of the grid nor a nodata cell (what lies beyond is unknown, so it is not taken as
    enclosed).
    """
    from scipy import ndimage

    mask = np.asarray(mask, dtype=bool) & valid
    background = valid & ~mask
    labels = np.empty(mask.shape, dtype=np.int32)
    count = ndimage.label(background, structure=_CORNER, output=labels)
    del background
    if count == 0 or max_hole_area_m2 <= 0:
        return mask
    open_to_outside = np.zeros(count + 1, dtype=bool)
    for edge in (labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]):
        open_to_outside[edge] = True
    near_nodata = ndimage.binary_dilation(~valid, structure=_CORNER)
    open_to_outside[labels[near_nodata]] = True
    del near_nodata
    hole_area = label_areas(labels, count, cell_area_m2)
    fill = ~open_to_outside & (hole_area < max_hole_area_m2)
    fill[0] = False
    mask |= fill[labels]
    return mask


def label_patches(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected patches of a mask, numbered 1..n (0 = outside)."""
    from scipy import ndimage

    labels = np.empty(np.shape(mask), dtype=np.int32)
    count = ndimage.label(np.asarray(mask, dtype=bool), structure=_EDGE, output=labels)
    return labels, int(count)


def patch_areas_m2(labels: np.ndarray, count: int, cell_area_m2: np.ndarray | float) -> np.ndarray:
    """True area (m²) of patches 0..count (index 0 = outside) from cell areas (m²)."""
    return label_areas(labels, count, cell_area_m2)


def remove_small_patches(mask: np.ndarray, cell_area_m2: np.ndarray | float,
                         min_area_m2: float) -> np.ndarray:
    """Drop 4-connected patches whose true area (m², from ``cell_area_m2``) is below
    ``min_area_m2``."""
    if min_area_m2 <= 0:
        return np.asarray(mask, dtype=bool)
    labels, count = label_patches(mask)
    if count == 0:
        return np.asarray(mask, dtype=bool)
    keep = patch_areas_m2(labels, count, cell_area_m2) >= min_area_m2
    keep[0] = False
    return keep[labels]
