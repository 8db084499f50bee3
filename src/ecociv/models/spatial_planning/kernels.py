"""Array kernels of ``spatial_planning``: morphology of the urban development boundary, its cap
by an expansion factor, basic farmland from cropland, and the resolution of overlapping control
lines. Arrays in, arrays out (numpy / scipy.ndimage); no per-cell Python loops."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import ndimage

from ecociv.grid.patches import (  # noqa: F401 - part of this module's interface
    fill_holes,
    label_patches,
    patch_areas_m2,
    remove_small_patches,
)

#: 4-connected patches (rook), 8-connected holes (queen): the usual pair, so that a diagonal
#: gap neither splits a patch nor lets a hole leak out through a corner.


def distance_to(mask: np.ndarray, spacing: tuple[float, float]) -> np.ndarray:
    """Euclidean distance (m) from each cell centre to the nearest cell centre of ``mask``.

    Parameters
    ----------
    mask : ndarray of bool
        Target cells (distance 0).
    spacing : (float, float)
        Cell size (row, column) in m.

    Returns
    -------
    ndarray of float64
        Distance in m; ``inf`` everywhere when ``mask`` is empty.

    Notes
    -----
    Exact Euclidean distance transform (Maurer et al. 2003, ``scipy.ndimage.distance_transform_edt``).
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return np.asarray(ndimage.distance_transform_edt(~mask, sampling=spacing), dtype=np.float64)


def disc(radius_m: float, spacing: tuple[float, float]) -> np.ndarray:
    """Structuring element: the cells whose centre lies within ``radius_m`` of the centre cell."""
    ny, nx = (int(np.floor(radius_m / s)) for s in spacing)
    dy, dx = np.mgrid[-ny:ny + 1, -nx:nx + 1]
    return np.asarray((dy * spacing[0]) ** 2 + (dx * spacing[1]) ** 2 <= radius_m ** 2 + 1e-9)


def close(mask: np.ndarray, radius_m: float, spacing: tuple[float, float]) -> np.ndarray:
    """Morphological closing (dilation then erosion) by a disc of ``radius_m`` (m).

    Fills gaps and bays narrower than about the disc's diameter and never removes a cell of
    ``mask`` (the grid is padded, so patches at its edge are not eroded by the border).

    Notes
    -----
    :math:`A \\bullet B = (A \\oplus B) \\ominus B` (Soille 2003, ch. 4).
    """
    mask = np.asarray(mask, dtype=bool)
    element = disc(radius_m, spacing)
    if element.size <= 1 or not mask.any():
        return mask
    pad = max(element.shape) // 2
    padded = np.pad(mask, pad)
    closed = ndimage.binary_closing(padded, structure=element)
    return closed[pad:-pad, pad:-pad] | mask


def cap_growth(core: np.ndarray, candidate: np.ndarray, distance_m: np.ndarray,
               score: np.ndarray, group: np.ndarray, cell_area_m2: np.ndarray | float,
               cap_m2: np.ndarray) -> np.ndarray:
    """Keep the core and as much of the growth as each group's cap allows, nearest first.

    Parameters
    ----------
    core : ndarray of bool
        Cells always kept (built-up land).
    candidate : ndarray of bool
        The delineated boundary (includes the core).
    distance_m : ndarray
        Distance of each cell to the core, m (ranks the growth: nearest first).
    score : ndarray
        Suitability score; breaks ties of distance (higher first).
    group : ndarray of int
        Unit of each cell (0..g-1): caps apply per unit.
    cell_area_m2 : ndarray or float
        True cell area, m².
    cap_m2 : ndarray of float, shape (g,)
        Largest boundary area per unit, m² (``inf`` = no cap).

    Returns
    -------
    ndarray of bool
        The boundary: core plus the growth cells, taken in order of increasing distance (then
        decreasing score) while the unit's boundary area stays within its cap. When the core
        alone exceeds the cap, the boundary is the core.
    """
    core = np.asarray(core, dtype=bool)
    area = np.broadcast_to(np.asarray(cell_area_m2, dtype=np.float64), core.shape)
    growth = np.asarray(candidate, dtype=bool) & ~core
    cells = np.flatnonzero(growth)
    out = core | growth
    if cells.size == 0:
        return out
    groups = np.asarray(group).ravel()
    core_area = np.bincount(groups[core.ravel()], weights=area.ravel()[core.ravel()],
                            minlength=len(cap_m2))
    room = np.asarray(cap_m2, dtype=np.float64) - core_area
    g = groups[cells]
    order = np.lexsort((-np.asarray(score).ravel()[cells], np.asarray(distance_m).ravel()[cells], g))
    g_sorted = g[order]
    cum = np.cumsum(area.ravel()[cells][order])
    starts = np.searchsorted(g_sorted, g_sorted, side="left")
    before = np.concatenate(([0.0], cum))[starts]
    within = (cum - before) <= room[g_sorted] * (1 + 1e-12)
    keep = np.zeros(core.size, dtype=bool)
    keep[cells[order[within]]] = True
    return core | keep.reshape(core.shape)


def resolve_lines(claims: Mapping[str, np.ndarray], precedence: Sequence[str],
                  codes: Mapping[str, int]) -> np.ndarray:
    """The line holding each cell: the claiming plan that comes first in ``precedence``.

    Parameters
    ----------
    claims : mapping of plan name to ndarray of bool
        Cells each plan claims.
    precedence : sequence of str
        Plan names, highest first.
    codes : mapping of plan name to int
        Code of each plan in the result (0 = no plan).

    Returns
    -------
    ndarray of uint8
    """
    shape = next(iter(claims.values())).shape
    lines = np.zeros(shape, dtype=np.uint8)
    for plan in reversed(list(precedence)):
        lines[np.asarray(claims[plan], dtype=bool)] = codes[plan]
    return lines


def claim_bits(claims: Mapping[str, np.ndarray], bits: Mapping[str, int]) -> np.ndarray:
    """Sum of the bits of every plan claiming each cell (0 = none)."""
    shape = next(iter(claims.values())).shape
    out = np.zeros(shape, dtype=np.uint8)
    for plan, mask in claims.items():
        out |= np.where(np.asarray(mask, dtype=bool), bits[plan], 0).astype(np.uint8)
    return out


def three_zones(lines: np.ndarray, agricultural_land: np.ndarray, codes: Mapping[str, int]
                ) -> np.ndarray:
    """Ecological (1), agricultural (2) or urban (3) space of each cell.

    Red line -> ecological; basic farmland -> agricultural; urban boundary -> urban; land
    under no line: agricultural where it is cropland or built-up land (rural settlements
    outside the boundary), ecological otherwise (forest, grassland, water, desert, ice).
    """
    zones = np.where(np.asarray(agricultural_land, dtype=bool), 2, 1).astype(np.uint8)
    zones[lines == codes["redline"]] = 1
    zones[lines == codes["basic_farmland"]] = 2
    zones[lines == codes["urban_boundary"]] = 3
    return zones
