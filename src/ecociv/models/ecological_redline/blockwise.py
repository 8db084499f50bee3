r"""The red line's whole-grid steps with compact arrays: the assessment region as one byte per
cell, the cumulative-contribution thresholds from value groups instead of one sort of the whole
grid, and sums that reproduce NumPy's whole-array summation bit for bit.

Exactness. Every function here returns the bits the whole-array code returned
(:func:`kernels.cumulative_thresholds`, ``np.sum`` of a float64 grid):

* The cumulative contribution :math:`S_k` of the sorted cells is a sequential sum
  (``np.cumsum``). Cells are split into groups of value ranges, visited from the highest range
  down; inside a group the cells are taken in grid order and sorted stably by decreasing value,
  so the concatenated groups are the whole grid's stable descending order, and each group's
  running sum starts from the last sum of the groups before (``np.cumsum`` of the carry followed
  by the group's amounts adds in the same order as one ``np.cumsum`` of everything). Equal values
  fall in one group, so blocks of ties never straddle two.
* ``np.sum`` of a contiguous float64 array is a pairwise sum (halves cut at multiples of 8,
  leaves of 128 summed with 8 accumulators); :func:`pairwise_sum` follows the same halving and
  sums each leaf of a few million cells with ``np.add.reduce``, which recurses the same way, so
  the whole grid never has to be one float64 array.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ecociv.grid.spec import GridSpec
from ecociv.models.ecological_redline import kernels

#: cells per leaf of :func:`pairwise_sum` and per block of the passes over the grid
BLOCK_CELLS = 1 << 22
#: value groups of :func:`cumulative_thresholds` (each sorted on its own)
GROUPS = 32


@dataclass(frozen=True)
class Region:
    """Fraction (0–1) of each cell inside the assessment region, compactly: ``code`` 0 outside,
    1 wholly inside, 2 partly inside with the fraction ``partial_values`` at the sorted flat cell
    numbers ``partial_cells``."""

    code: np.ndarray
    partial_cells: np.ndarray
    partial_values: np.ndarray

    @classmethod
    def everywhere(cls, shape: tuple[int, int]) -> Region:
        return cls(np.ones(shape, dtype=np.uint8), np.zeros(0, dtype=np.int64), np.zeros(0))

    @classmethod
    def from_fractions(cls, shape: tuple[int, int], slices: tuple[slice, slice],
                       fractions: np.ndarray) -> Region:
        code = np.zeros(shape, dtype=np.uint8)
        window = code[slices]
        window[fractions == 1.0] = 1
        partial = (fractions > 0) & (fractions != 1.0)
        window[partial] = 2
        cells = np.flatnonzero(code.ravel() == 2)
        rows, cols = np.divmod(cells, shape[1])
        values = fractions[rows - slices[0].start, cols - slices[1].start].astype(np.float64)
        return cls(code, cells, values)

    def fractions(self, r0: int, r1: int) -> np.ndarray:
        """The float64 fractions of rows ``r0:r1``."""
        out = (self.code[r0:r1] == 1).astype(np.float64)
        cols = self.code.shape[1]
        lo, hi = np.searchsorted(self.partial_cells, [r0 * cols, r1 * cols])
        out.ravel()[self.partial_cells[lo:hi] - r0 * cols] = self.partial_values[lo:hi]
        return out

    def selected(self, mask: np.ndarray) -> np.ndarray:
        """The float64 fractions of the cells of a boolean grid ``mask``, in grid order."""
        code = self.code[mask]
        out = (code == 1).astype(np.float64)
        inside = mask.ravel()[self.partial_cells]
        out[code == 2] = self.partial_values[inside]
        return out


def bands(rows: int, cols: int) -> Iterator[tuple[int, int]]:
    """Row bands of about :data:`BLOCK_CELLS` cells."""
    step = max(1, BLOCK_CELLS // max(1, cols))
    for r0 in range(0, rows, step):
        yield r0, min(rows, r0 + step)


class Weights:
    """Cell weights (true area × fraction in the region, m²) of a grid, computed per band or per
    selection as ``area * region`` was on the whole grid."""

    def __init__(self, grid: GridSpec, region: Region) -> None:
        area = grid.cell_area_m2()
        self.area = area  # (rows, 1) on equal-area and geographic grids, else (rows, cols)
        self.region = region
        self.shape = grid.shape

    def band(self, r0: int, r1: int) -> np.ndarray:
        return np.broadcast_to(self.area[r0:r1], (r1 - r0, self.shape[1])) * self.region.fractions(r0, r1)

    def area_band(self, r0: int, r1: int) -> np.ndarray:
        return np.broadcast_to(self.area[r0:r1], (r1 - r0, self.shape[1]))

    def selected(self, mask: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.area, self.shape)[mask] * self.region.selected(mask)


def pairwise_sum(segment: Callable[[int, int], np.ndarray], n: int,
                 leaf: int = BLOCK_CELLS) -> float:
    """``np.sum`` of a float64 vector of length ``n`` given by pieces (``segment(i, j)`` = the
    elements ``i:j``), bit for bit (see the module notes)."""

    def total(lo: int, size: int) -> float:
        if size <= max(leaf, 128):
            return float(np.add.reduce(segment(lo, lo + size))) if size else 0.0
        half = size // 2
        half -= half % 8
        return total(lo, half) + total(lo + half, size - half)

    return total(0, n)


def flat_segment(band_values: Callable[[int, int], np.ndarray], cols: int) -> Callable[[int, int], np.ndarray]:
    """``segment(i, j)`` of the flattened grid from a function of row bands."""

    def segment(i: int, j: int) -> np.ndarray:
        r0, r1 = i // cols, -(-j // cols)
        return band_values(r0, r1).ravel()[i - r0 * cols:j - r0 * cols]

    return segment


def selection_sum(band_selected: Callable[[int, int], np.ndarray], rows: int, cols: int) -> float:
    """``np.sum`` of the concatenation, in grid order, of the float64 vectors
    ``band_selected(r0, r1)`` (the selected cells of rows ``r0:r1``), bit for bit, without
    holding the whole selection: :func:`pairwise_sum` over pieces gathered band by band."""
    edges = list(bands(rows, cols))
    counts = np.array([band_selected(r0, r1).size for r0, r1 in edges], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)])

    def segment(i: int, j: int) -> np.ndarray:
        first = int(np.searchsorted(starts, i, side="right")) - 1
        last = int(np.searchsorted(starts, j, side="left"))
        pieces = [band_selected(*edges[b]) for b in range(first, min(last, len(edges)))]
        joined = np.concatenate(pieces) if pieces else np.zeros(0)
        return joined[i - starts[first]:j - starts[first]]

    return pairwise_sum(segment, int(starts[-1]))


def _group_edges(values: np.ndarray) -> np.ndarray:
    """Increasing value bounds splitting the finite values into about :data:`GROUPS` groups of
    similar size (from a sample; any bounds give the same thresholds, only the work differs)."""
    step = max(1, values.size // (64 * GROUPS))
    sample = values.ravel()[::step]
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return np.zeros(0)
    return np.unique(np.quantile(sample.astype(np.float64), np.linspace(0, 1, GROUPS + 1)[1:-1]))


def cumulative_thresholds(values: np.ndarray, weights: Weights, percents: tuple[float, ...],
                          ties: str = "higher") -> np.ndarray:
    """:func:`kernels.cumulative_thresholds` of ``values`` (float32 or float64, NaN = nodata)
    weighted by ``weights``, without sorting or copying the whole grid at once; equal to it bit
    for bit (module notes). Falls back to it where values are negative (the cumulative sums
    then need not increase)."""
    if ties not in kernels.TIE_RULES:
        raise ValueError(f"ties must be one of {kernels.TIE_RULES}, not {ties!r}")
    rows, cols = values.shape
    edges = _group_edges(values)
    group = np.full(values.shape, 255, dtype=np.uint8)
    negative = False
    for r0, r1 in bands(rows, cols):
        v = values[r0:r1].astype(np.float64)
        amounts = v * weights.band(r0, r1)
        ok = np.isfinite(v) & np.isfinite(amounts)
        negative |= bool((v[ok] < 0).any())
        # group 0 holds the highest values: searchsorted side="right" puts v == edge above it
        g = (edges.size - np.searchsorted(edges, v, side="right")).astype(np.uint8)
        group[r0:r1] = np.where(ok, g, 255)
    if negative:
        full = values.astype(np.float64)
        return kernels.cumulative_thresholds(full, np.broadcast_to(
            np.concatenate([weights.band(r0, r1) for r0, r1 in bands(rows, cols)]), values.shape),
            percents, ties)

    def sorted_group(k: int, carry: float) -> tuple[np.ndarray, np.ndarray]:
        member = group == k
        v = values[member].astype(np.float64)
        amounts = v * weights.selected(member)
        order = np.argsort(-v, kind="stable")
        return v[order], np.cumsum(np.concatenate([[carry], amounts[order]]))[1:]

    # pass 1: the sequential total, and where each group's running sum starts and ends
    present, starts, ends, lows = [], [], [], []
    carry = 0.0
    for k in range(edges.size + 1):
        if not (group == k).any():
            continue
        ordered, cumulative = sorted_group(k, carry)
        present.append(k)
        starts.append(carry)
        carry = float(cumulative[-1])
        ends.append(carry)
        lows.append(float(ordered[-1]))
    out = np.full(len(percents), np.inf)
    total = carry
    if not present or total <= 0:
        return out
    for index, percent in enumerate(percents):
        if percent <= 0:
            continue
        target = percent / 100.0 * total * (1 - 1e-12)
        at = int(np.searchsorted(np.asarray(ends), target, side="left"))
        at = min(at, len(present) - 1)
        ordered, cumulative = sorted_group(present[at], starts[at])
        k = int(np.searchsorted(cumulative, target, side="left"))
        if k >= cumulative.size:  # beyond the last cell: the whole code takes the last one
            k = cumulative.size - 1
        out[index] = ordered[k]
        if ties == "nearest":
            first = int(np.searchsorted(-ordered, -ordered[k], side="left"))
            last = int(np.searchsorted(-ordered, -ordered[k], side="right")) - 1
            after = 100.0 * cumulative[last] / total
            if first > 0:
                before, previous = 100.0 * cumulative[first - 1] / total, ordered[first - 1]
            elif at > 0:
                before, previous = 100.0 * starts[at] / total, lows[at - 1]
            else:
                continue
            if abs(before - percent) < abs(after - percent):
                out[index] = previous
    return out
