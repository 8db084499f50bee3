r"""Dijkstra's algorithm on the 8-neighbour grid graph without building the graph: step costs
are computed from the resistance grid when a cell is scanned, the state of a search is four
compact arrays (distance float64, heap position, heap and predecessor int32: 20 bytes per cell,
where the sparse graph alone took 96), and bounded searches reset only the cells they reached.

Equal to SciPy, ties included. ``scipy.sparse.csgraph.dijkstra`` (SciPy 1.17,
``_shortest_path.pyx``, ``_dijkstra``) keeps a priority queue of (−distance, cell) pairs and
pops the largest pair first: the least distance, and among equal distances the highest cell
number; a cell is relaxed only by a strictly smaller distance (and then takes the predecessor
and the nearest source of the cell being scanned); stale entries are skipped. The indexed binary
heap here orders cells by the same key (distance, then higher cell number first) and holds each
cell once at its current distance, so the cells are scanned in the same order, with their
neighbours in the order of the sparse graph's columns (:data:`kernels_paths.NEIGHBOURS`) and
step costs evaluated by the same float64 expression as :func:`kernels_paths.cost_graph`'s;
distances, predecessors and nearest sources are SciPy's bit for bit
(``tests/models/test_ecological_security_pattern_grid_dijkstra.py`` compares them on grids full
of equal-cost paths). Written for ecociv; Dijkstra (1959).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecociv.compiled import jit
from ecociv.models.ecological_security_pattern.kernels_paths import NEIGHBOURS, step_length

#: compiled, cached where the install is writable (``ecociv.compiled.jit``); numba's own cache
#: loading, as the functions call one another
_jit = jit(lean=False, nogil=True)

#: SciPy's "no predecessor" marker
NULL_IDX = -9999


@_jit
def _before(a: int, b: int, dist: Any) -> bool:
    """Cell ``a`` is popped before cell ``b`` (SciPy's pair order)."""
    da, db = dist[a], dist[b]
    return da < db or (da == db and a > b)


@_jit
def _sift_up(heap: Any, pos: Any, i: int, dist: Any) -> None:
    x = heap[i]
    while i > 0:
        parent = (i - 1) >> 1
        y = heap[parent]
        if not _before(x, y, dist):
            break
        heap[i] = y
        pos[y] = i
        i = parent
    heap[i] = x
    pos[x] = i


@_jit
def _sift_down(heap: Any, pos: Any, i: int, size: int, dist: Any) -> None:
    x = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _before(heap[child + 1], heap[child], dist):
            child += 1
        y = heap[child]
        if not _before(y, x, dist):
            break
        heap[i] = y
        pos[y] = i
        i = child
    heap[i] = x
    pos[x] = i


@_jit
def _search(resistance: Any, cols: int, offsets: Any, d_rows: Any, d_cols: Any, lengths: Any,
            origins: Any, labels: Any, limit: float, dist: Any, pos: Any, heap: Any, pred: Any,
            source: Any, touched: Any) -> Any:
    n = resistance.size
    rows = n // cols
    track_source = source.size > 0
    size = 0
    count = 0
    for i in range(origins.size):
        o = origins[i]
        if pos[o] != -1:  # an origin given twice (SciPy scans it twice, to no effect)
            continue
        dist[o] = 0.0
        if track_source:
            source[o] = labels[o]
        heap[size] = o
        pos[o] = size
        size += 1
        _sift_up(heap, pos, size - 1, dist)
        touched[count] = o
        count += 1
    while size > 0:
        v = heap[0]
        size -= 1
        pos[v] = -2  # scanned
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, 0, size, dist)
        rv = resistance[v]
        if not np.isfinite(rv):
            continue
        r = v // cols
        c = v - r * cols
        dv = dist[v]
        for k in range(8):
            rr = r + d_rows[k]
            cc = c + d_cols[k]
            if rr < 0 or rr >= rows or cc < 0 or cc >= cols:
                continue
            u = v + offsets[k]
            ru = resistance[u]
            if not np.isfinite(ru):
                continue
            nv = dv + (rv + ru) * 0.5 * lengths[k]
            if nv <= limit and dist[u] > nv:
                dist[u] = nv
                pred[u] = v
                if track_source:
                    source[u] = source[v]
                if pos[u] >= 0:
                    _sift_up(heap, pos, pos[u], dist)
                else:
                    heap[size] = u
                    pos[u] = size
                    size += 1
                    _sift_up(heap, pos, size - 1, dist)
                    if count == touched.size:
                        grown = np.empty(2 * touched.size, dtype=touched.dtype)
                        grown[:count] = touched[:count]
                        touched = grown
                    touched[count] = u
                    count += 1
    return touched[:count]


@_jit
def _reset(cells: Any, dist: Any, pos: Any, pred: Any) -> None:
    for i in range(cells.size):
        x = cells[i]
        dist[x] = np.inf
        pos[x] = -1
        pred[x] = NULL_IDX


class GridSearch:
    """Reusable Dijkstra workspace on one resistance grid (module notes).

    Parameters
    ----------
    resistance : ndarray (rows, cols)
        Resistance, dimensionless (> 0; NaN = impassable), used as float64.
    dx, dy : float
        Cell width and height, m.

    After :meth:`run`, ``dist`` holds the least costs (inf where not reached, resistance × m) and
    ``pred`` the predecessors (-9999 at origins and unreached cells), both flat.
    """

    def __init__(self, resistance: np.ndarray, dx: float, dy: float) -> None:
        self.shape = resistance.shape
        self.cols = int(resistance.shape[1])
        self.resistance = np.ascontiguousarray(resistance, dtype=np.float64).ravel()
        n = self.resistance.size
        self.offsets = np.array([dr * self.cols + dc for dr, dc in NEIGHBOURS], dtype=np.int64)
        self.d_rows = np.array([dr for dr, _ in NEIGHBOURS], dtype=np.int64)
        self.d_cols = np.array([dc for _, dc in NEIGHBOURS], dtype=np.int64)
        self.lengths = np.array([step_length(dr, dc, dx, dy) for dr, dc in NEIGHBOURS])
        index = np.int32 if n < 2**31 else np.int64
        self.dist = np.full(n, np.inf)
        self.pos = np.full(n, -1, dtype=index)
        self.heap = np.empty(n, dtype=index)
        self.pred = np.full(n, NULL_IDX, dtype=index)
        self.touched = np.zeros(0, dtype=np.int64)

    def spawn(self) -> GridSearch:
        """Another workspace on the same grid (shares the resistance; new search state)."""
        other = object.__new__(GridSearch)
        other.shape, other.cols, other.resistance = self.shape, self.cols, self.resistance
        other.offsets, other.d_rows, other.d_cols = self.offsets, self.d_rows, self.d_cols
        other.lengths = self.lengths
        n = self.resistance.size
        other.dist = np.full(n, np.inf)
        other.pos = np.full(n, -1, dtype=self.pos.dtype)
        other.heap = np.empty(n, dtype=self.heap.dtype)
        other.pred = np.full(n, NULL_IDX, dtype=self.pred.dtype)
        other.touched = np.zeros(0, dtype=np.int64)
        return other

    def run(self, origins: np.ndarray, limit: float = np.inf, labels: np.ndarray | None = None,
            source: np.ndarray | None = None) -> np.ndarray:
        """Search from ``origins`` (flat cell numbers) up to cost ``limit`` (resistance × m),
        as ``dijkstra(graph, indices=origins, min_only=True, limit=limit)``. With ``labels``
        (flat int32) and ``source`` (flat int32 of zeros) each reached cell gets the label of its
        nearest origin. Returns the cells reached (origins first)."""
        origins = np.ascontiguousarray(origins, dtype=np.int64)
        if labels is None or source is None:
            labels = source = np.zeros(0, dtype=np.int32)
        capacity = max(1024, 2 * origins.size)
        self.touched = _search(self.resistance, self.cols, self.offsets, self.d_rows,
                               self.d_cols, self.lengths, origins, labels, float(limit), self.dist,
                               self.pos, self.heap, self.pred, source,
                               np.zeros(capacity, dtype=np.int64))
        return self.touched

    def reset(self) -> None:
        """Forget the last search (only the cells it reached are reset)."""
        _reset(self.touched, self.dist, self.pos, self.pred)
        self.touched = np.zeros(0, dtype=np.int64)

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """The distances and predecessors of the last search as arrays of their own (the
        workspace starts afresh; its heap positions are reset)."""
        dist, pred = self.dist, self.pred
        n = dist.size
        self.dist = np.full(n, np.inf)
        self.pred = np.full(n, NULL_IDX, dtype=pred.dtype)
        self.pos[self.touched] = -1
        self.touched = np.zeros(0, dtype=np.int64)
        return dist, pred
