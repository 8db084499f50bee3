"""Patches of a boolean mask on a grid: label them, measure their true areas, drop the small
ones and fill small enclosed holes (pure functions on numpy arrays, shared by the red line and
the urban development boundary).

Connectivity: patches are 4-connected (cells sharing an edge), the rule
``rasterio.features.shapes`` uses to polygonise them, so one patch is one polygon; the background
(holes) is 8-connected, the complementary rule that makes "enclosed" well defined on a square
grid (Rosenfeld 1970, *Connectivity in digital pictures*, J. ACM 17(1)).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

_EDGE = ndimage.generate_binary_structure(2, 1)  # 4-connectivity
_CORNER = ndimage.generate_binary_structure(2, 2)  # 8-connectivity


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
    mask = np.asarray(mask, dtype=bool) & valid
    background = valid & ~mask
    labels, count = ndimage.label(background, structure=_CORNER)
    if count == 0 or max_hole_area_m2 <= 0:
        return mask
    open_to_outside = np.zeros(count + 1, dtype=bool)
    for edge in (labels[0, :], labels[-1, :], labels[:, 0], labels[:, -1]):
        open_to_outside[edge] = True
    near_nodata = ndimage.binary_dilation(~valid, structure=_CORNER)
    open_to_outside[labels[near_nodata]] = True
    area = np.broadcast_to(cell_area_m2, mask.shape)
    hole_area = np.bincount(labels.ravel(), weights=area.ravel(), minlength=count + 1)
    fill = ~open_to_outside & (hole_area < max_hole_area_m2)
    fill[0] = False
    return mask | fill[labels]


def label_patches(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected patches of a mask, numbered 1..n (0 = outside)."""
    labels, count = ndimage.label(np.asarray(mask, dtype=bool), structure=_EDGE)
    return labels.astype(np.int32), int(count)


def patch_areas_m2(labels: np.ndarray, count: int, cell_area_m2: np.ndarray | float) -> np.ndarray:
    """True area (m²) of patches 0..count (index 0 = outside) from cell areas (m²)."""
    area = np.broadcast_to(cell_area_m2, labels.shape)
    return np.bincount(labels.ravel(), weights=area.ravel(), minlength=count + 1)


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
