r"""Ecological protection red line kernels (pure functions on numpy arrays).

The steps follow the Technical Guideline for Delimiting Ecological Protection Red Lines
(《生态保护红线划定指南》, Ministry of Environmental Protection and National Development and
Reform Commission, 环办生态〔2017〕48号, May 2017): grading of each ecosystem service by the
cumulative contribution of its sorted cell values (the guideline's importance assessment,
"评估分级"), merging services by their highest class, adding the extremely sensitive land
(生态环境敏感性评估), then cleaning the candidate area so it forms coherent patches (the
guideline's boundary step, "确定红线边界": merge fragments, remove isolated small patches).

Class codes (uint8 on output): importance 1 = generally important (一般重要), 2 = important
(重要), 3 = extremely important (极重要); red line 1 = inside, 0 = outside.

Patches and holes (:mod:`ecociv.grid.patches`, shared with the urban development boundary):
red-line patches are 4-connected, holes 8-connected.
"""

from __future__ import annotations

import numpy as np

from ecociv.grid.patches import (  # noqa: F401 - part of this module's interface
    fill_holes,
    label_patches,
    patch_areas_m2,
    remove_small_patches,
)

GENERALLY_IMPORTANT = 1
IMPORTANT = 2
EXTREMELY_IMPORTANT = 3




#: How a run of equal values straddling a break is classed (see :func:`cumulative_thresholds`).
TIE_RULES = ("higher", "nearest")


def cumulative_thresholds(values: np.ndarray, weights: np.ndarray | float,
                          percents: tuple[float, ...], ties: str = "higher") -> np.ndarray:
    r"""Cell values at which the cumulative service, summed from the highest value down,
    first reaches each percentage of the total.

    Parameters
    ----------
    values : ndarray
        Service per unit area in any units (mm/yr, t/ha/yr, dimensionless habitat quality...);
        NaN = nodata. Must be ≥ 0.
    weights : ndarray or float
        Cell areas (m², broadcastable to ``values``): the service of a cell is value × area, so
        that grids whose cells differ in area (geographic grids) are graded by amounts. On an
        equal-area grid the weights cancel and this is the guideline's sum of cell values.
    percents : tuple of float
        Cumulative shares in percent (0–100).
    ties : {"higher", "nearest"}
        Where the cells equal to the value at which a share is crossed go: ``"higher"`` — all
        into the higher class (the class then holds at least the share); ``"nearest"`` — all
        into the higher class or all into the lower one, whichever leaves the class's
        cumulative share nearer the target (a tie goes higher).

    Returns
    -------
    ndarray
        One threshold per percentage, in the units of ``values``; ``inf`` where the share is
        0 % or the total service is 0 (no cell reaches the class).

    Notes
    -----
    Sort the valid cells by value, descending: :math:`v_1 \ge v_2 \ge \dots \ge v_n`, with
    amounts :math:`a_i = v_i w_i` and cumulative shares
    :math:`S_k = 100 \sum_{i \le k} a_i / \sum_i a_i`. The threshold for share :math:`p` is
    :math:`v_k` for the first :math:`k` with :math:`S_k \ge p` (《生态保护红线划定指南》2017:
    "the raster values at which the accumulated service reaches 50 % and 80 % of the total are
    the break points"). The cell at which the share is crossed belongs to the higher class, so
    the top class holds at least :math:`p` % of the service; cells tied with the threshold
    value all join the higher class. When many cells share one value (e.g. habitat quality of
    undisturbed cells of one class), that block can carry the top class far past :math:`p`;
    with ``ties="nearest"`` the block :math:`v_b = \dots = v_e` containing :math:`k` joins the
    lower class (threshold :math:`v_{b-1}`) when :math:`|S_{b-1} - p| < |S_e - p|`. The
    guideline states the shares, not how equal values are split, so this is a choice;
    it is monotonic (a higher :math:`p` never gets a higher threshold).
    """
    if ties not in TIE_RULES:
        raise ValueError(f"ties must be one of {TIE_RULES}, not {ties!r}")
    values = np.asarray(values, dtype=np.float64)
    amounts_all = values * np.broadcast_to(np.asarray(weights, dtype=np.float64), values.shape)
    valid = np.isfinite(values) & np.isfinite(amounts_all)
    ordered = values[valid]
    order = np.argsort(-ordered, kind="stable")
    ordered = ordered[order]
    cumulative = np.cumsum(amounts_all[valid][order])
    total = cumulative[-1] if cumulative.size else 0.0
    out = np.full(len(percents), np.inf)
    if total <= 0:
        return out
    for index, percent in enumerate(percents):
        if percent <= 0:
            continue
        # a relative tolerance keeps a share reached exactly from being missed by round-off
        target = percent / 100.0 * total * (1 - 1e-12)
        k = min(int(np.searchsorted(cumulative, target, side="left")), cumulative.size - 1)
        out[index] = ordered[k]
        if ties == "nearest":
            # the block of cells equal to ordered[k] (ordered is descending)
            first = int(np.searchsorted(-ordered, -ordered[k], side="left"))
            last = int(np.searchsorted(-ordered, -ordered[k], side="right")) - 1
            after = 100.0 * cumulative[last] / total
            before = 100.0 * cumulative[first - 1] / total if first > 0 else 0.0
            if first > 0 and abs(before - percent) < abs(after - percent):
                out[index] = ordered[first - 1]
    return out


def grade_by_thresholds(values: np.ndarray, extremely: float, important: float) -> np.ndarray:
    """Importance class of each cell from the two value thresholds.

    Parameters
    ----------
    values : ndarray
        Service per unit area; NaN = nodata.
    extremely, important : float
        Value thresholds (service units) from :func:`cumulative_thresholds`, ``extremely`` ≥
        ``important``.

    Returns
    -------
    ndarray of float
        3 where value ≥ ``extremely``, 2 where ``important`` ≤ value < ``extremely``, 1
        elsewhere, NaN where nodata (class codes, dimensionless).
    """
    values = np.asarray(values, dtype=np.float64)
    out = np.where(values >= extremely, EXTREMELY_IMPORTANT,
                   np.where(values >= important, IMPORTANT, GENERALLY_IMPORTANT)).astype(np.float64)
    out[~np.isfinite(values)] = np.nan
    return out


def merge_importance(classes: list[np.ndarray]) -> np.ndarray:
    """Merged importance: the highest class of any service in each cell (NaN only where every
    service is nodata), as the guideline overlays the single-service results."""
    stacked = np.stack([np.asarray(c, dtype=np.float64) for c in classes])
    with np.errstate(invalid="ignore"):
        merged = np.fmax.reduce(stacked, axis=0)
    return merged


def majority_filter(mask: np.ndarray, valid: np.ndarray, window: int) -> np.ndarray:
    r"""Smooth a red-line mask with a square majority filter.

    Parameters
    ----------
    mask : ndarray of bool
        Red line (True = inside).
    valid : ndarray of bool
        Cells with data; nodata cells neither vote nor change.
    window : int
        Odd window side in cells (1 = no smoothing).

    Returns
    -------
    ndarray of bool

    Notes
    -----
    With :math:`n_1` red-line cells among the :math:`n` valid cells of the window centred on a
    cell (the cell included), the cell becomes red line when :math:`2 n_1 > n`, outside when
    :math:`2 n_1 < n`, and keeps its state on a tie — the rule of a majority (mode) filter such
    as ArcGIS *Majority Filter* with a "majority" replacement threshold. It removes single-cell
    spurs and notches and closes one-cell gaps along patch edges.
    """
    from scipy import ndimage  # here: a scenario's plan imports this module (~0.1 s)

    mask = np.asarray(mask, dtype=bool) & valid
    if window <= 1:
        return mask
    kernel = np.ones((window, window), dtype=np.int32)
    ones = ndimage.correlate(mask.astype(np.int32), kernel, mode="constant", cval=0)
    count = ndimage.correlate(valid.astype(np.int32), kernel, mode="constant", cval=0)
    smoothed = np.where(2 * ones > count, True, np.where(2 * ones < count, False, mask))
    return smoothed & valid


def conflict_classes(redline: np.ndarray, land_use: np.ndarray, cropland_codes: list[int],
                     built_up_codes: list[int]) -> np.ndarray:
    """Red line overlapping cropland (1) or built-up land (2), 0 elsewhere (class codes).

    NaN where the red line is nodata, or inside the red line where the land use is nodata
    (whether that cell conflicts is unknown); outside the red line there is no conflict
    whatever the land use.
    """
    redline = np.asarray(redline, dtype=np.float64)
    land_use = np.asarray(land_use, dtype=np.float64)
    inside = redline == 1
    out = np.zeros(redline.shape)
    out[inside & np.isin(land_use, cropland_codes)] = 1.0
    out[inside & np.isin(land_use, built_up_codes)] = 2.0
    out[np.isnan(redline) | (inside & np.isnan(land_use))] = np.nan
    return out
