r"""Dijkstra's algorithm on the 8-neighbour grid graph without building the graph: step costs
are computed from the resistance grid when a cell is scanned, the state of a search is two
whole-grid arrays (distance float64 and predecessor int32: 12 bytes per cell, where the sparse
graph alone took 96) and a priority queue that holds only the search front, and bounded searches
reset only the cells they reached.

Equal to SciPy, ties included. ``scipy.sparse.csgraph.dijkstra`` (SciPy 1.17,
``_shortest_path.pyx``, ``_dijkstra``) keeps a priority queue of (−distance, cell) pairs and
pops the largest pair first: the least distance, and among equal distances the highest cell
number; a cell is relaxed only by a strictly smaller distance (and then takes the predecessor
and the nearest source of the cell being scanned, and a new pair is pushed); pairs whose distance
is no longer the cell's are skipped when popped. The queue here is the same: a binary heap of
(distance, cell) pairs, ordered by distance, then higher cell number first, with the outdated
pairs skipped when popped. A pair is two neighbouring 64-bit integers of one array (the
comparisons read the pairs themselves, not a whole-grid array at random places, and both halves
of a pair at once): the distance's IEEE 754 bits, which as integers are ordered as the
distances are (these are never negative nor NaN), and the cell number. As a cell's pairs differ
in distance, no two pairs are equal and any correct heap pops them in the same order: the cells
are scanned in SciPy's order, with their neighbours in the order of the sparse graph's columns
(:data:`kernels_paths.NEIGHBOURS`) and step costs evaluated by the same float64 expression as
:func:`kernels_paths.cost_graph`'s; distances, predecessors and nearest sources are SciPy's bit
for bit (``tests/models/test_ecological_security_pattern_grid_dijkstra.py`` compares them on
grids full of equal-cost paths). Written for ecociv; Dijkstra (1959).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ecociv.compiled import jit
from ecociv.models.ecological_security_pattern.kernels_paths import NEIGHBOURS, step_length

#: compiled, cached where the install is writable and loaded from the cache lean
#: (``ecociv.compiled.jit``; the callers' cached code holds their callees')
_jit = jit(nogil=True)

#: SciPy's "no predecessor" marker
NULL_IDX = -9999

#: pairs the priority queue holds before it first grows (it doubles when full)
_QUEUE_START = 4096


@_jit
def _push(queue: Any, size: int, key: int, c: int) -> int:
    """Add the pair (``key``, ``c``) to the heap of ``size`` pairs (room for one more): ``key``
    the distance's bits as an integer (module notes); the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        parent_key = queue[2 * parent]
        parent_cell = queue[2 * parent + 1]
        if key > parent_key or (key == parent_key and c <= parent_cell):
            break  # the parent is popped first (SciPy's pair order)
        queue[2 * i] = parent_key
        queue[2 * i + 1] = parent_cell
        i = parent
    queue[2 * i] = key
    queue[2 * i + 1] = c
    return size + 1


@_jit
def _start(origins: Any, labels: Any, dist: Any, source: Any, touched: Any, queue: Any) -> int:
    """Put the origins at distance 0 on the queue (room for all of them); their number."""
    track_source = source.size > 0
    size = 0
    for i in range(origins.size):
        o = origins[i]
        if dist[o] == 0.0:  # an origin given twice (SciPy scans it twice, to no effect)
            continue
        dist[o] = 0.0
        if track_source:
            source[o] = labels[o]
        size = _push(queue, size, 0, o)  # the bits of 0.0
        touched[size - 1] = o
    return size


@_jit
def _scan(resistance: Any, cols: int, offsets: Any, d_rows: Any, d_cols: Any, lengths: Any,
          limit: float, dist: Any, pred: Any, source: Any, touched: Any, count: int, queue: Any,
          size: int, stop_labels: Any, wanted: Any, remaining: int) -> tuple[int, int, int]:
    """Scan cells until the queue is empty or it or ``touched`` might not hold the next cell's
    neighbours (the caller then grows them and calls again), or (``remaining`` > 0) until a cell
    of each label still ``wanted`` (``stop_labels`` of the cell, ``wanted[label]`` = 1) has been
    scanned; the new ``count``, ``size`` and ``remaining``.

    The arrays are never replaced inside the loop: numba would count references to them at
    every step (atomic operations that took two thirds of the time)."""
    n = resistance.size
    rows = n // cols
    track_source = source.size > 0
    bits = dist.view(np.int64)  # the distances' bits, ordered as the distances (module notes)
    room = queue.size // 2 - 8
    touched_room = touched.size - 8
    while size > 0 and size <= room and count <= touched_room and remaining != 0:
        key_v = queue[0]
        v = queue[1]
        # the first pair off the heap (written out: a call of a compiled function with the
        # arrays costs numba's atomic reference counts at every step): the hole left at the top
        # moves down to the child popped first until the last pair fits there
        size -= 1
        key_last = queue[2 * size]
        cell_last = queue[2 * size + 1]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            key = queue[2 * child]
            cell = queue[2 * child + 1]
            if child + 1 < size:
                key_right = queue[2 * child + 2]
                cell_right = queue[2 * child + 3]
                if key_right < key or (key_right == key and cell_right > cell):
                    child += 1
                    key = key_right
                    cell = cell_right
            if key_last < key or (key_last == key and cell_last > cell):
                break  # the last pair is popped before both children
            queue[2 * i] = key
            queue[2 * i + 1] = cell
            i = child
        if size > 0:
            queue[2 * i] = key_last
            queue[2 * i + 1] = cell_last
        if key_v > bits[v]:  # outdated: the cell was reached more cheaply since
            continue
        if remaining > 0 and stop_labels[v] < wanted.size and wanted[stop_labels[v]]:
            wanted[stop_labels[v]] = 0
            remaining -= 1
            if remaining == 0:
                break
        rv = resistance[v]
        if not np.isfinite(rv):
            continue
        dv = dist[v]
        r = v // cols
        c = v - r * cols
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
            du = dist[u]
            if nv <= limit and du > nv:
                if du == np.inf:  # first reached in this search
                    touched[count] = u
                    count += 1
                dist[u] = nv
                pred[u] = v
                if track_source:
                    source[u] = source[v]
                size = _push(queue, size, bits[u], u)
    return count, size, remaining


def _grown(array: np.ndarray, needed: int, limit: int | None = None) -> np.ndarray:
    """``array``, or a copy at least twice as large (but not beyond ``limit`` items) if it holds
    fewer than ``needed`` items."""
    if array.size >= needed:
        return array
    size = max(needed, 2 * array.size)
    if limit is not None:
        size = max(needed, min(size, limit))
    bigger = np.empty(size, dtype=array.dtype)
    bigger[:array.size] = array
    return bigger


@_jit
def _reset(cells: Any, dist: Any, pred: Any) -> None:
    for i in range(cells.size):
        x = cells[i]
        dist[x] = np.inf
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
        self.offsets = np.array([dr * self.cols + dc for dr, dc in NEIGHBOURS], dtype=np.int64)
        self.d_rows = np.array([dr for dr, _ in NEIGHBOURS], dtype=np.int64)
        self.d_cols = np.array([dc for _, dc in NEIGHBOURS], dtype=np.int64)
        self.lengths = np.array([step_length(dr, dc, dx, dy) for dr, dc in NEIGHBOURS])
        #: cell numbers (predecessors, cells reached) in 4 bytes where they fit
        self.index_dtype = np.dtype(np.int32 if self.resistance.size < 2**31 - 16 else np.int64)
        self._new_state()

    def _new_state(self) -> None:
        n = self.resistance.size
        self.dist = np.full(n, np.inf)
        self.pred = np.full(n, NULL_IDX, dtype=self.index_dtype)
        self.touched = np.zeros(0, dtype=self.index_dtype)
        self._queue = np.empty(2 * _QUEUE_START, dtype=np.int64)  # (distance bits, cell) pairs

    def _ready(self) -> None:
        """Allocate the search state if :meth:`take` handed it out."""
        if self.dist.size != self.resistance.size:
            self._new_state()

    @property
    def state_bytes(self) -> int:
        """Bytes of one workspace's whole-grid search state (distance and predecessor)."""
        return self.resistance.size * (8 + self.pred.dtype.itemsize)

    def spawn(self) -> GridSearch:
        """Another workspace on the same grid (shares the resistance; new search state)."""
        other = object.__new__(GridSearch)
        other.shape, other.cols, other.resistance = self.shape, self.cols, self.resistance
        other.offsets, other.d_rows, other.d_cols = self.offsets, self.d_rows, self.d_cols
        other.lengths, other.index_dtype = self.lengths, self.index_dtype
        other._new_state()
        return other

    def run(self, origins: np.ndarray, limit: float = np.inf, labels: np.ndarray | None = None,
            source: np.ndarray | None = None, stop_at: tuple[np.ndarray, Any] | None = None
            ) -> np.ndarray:
        """Search from ``origins`` (flat cell numbers) up to cost ``limit`` (resistance × m),
        as ``dijkstra(graph, indices=origins, min_only=True, limit=limit)``. With ``labels``
        (flat integers) and ``source`` (zeros of the same type) each reached cell gets the label of its
        nearest origin. With ``stop_at`` = (flat labels, label ids) the search stops once a cell
        of every one of those labels has been scanned: their least costs (the least over each
        label's cells, with the cells at that cost and the paths to them) are then final, as
        Dijkstra scans cells in order of cost; other cells may hold costs above their least.
        Returns the cells reached (origins first; int32 where cell numbers fit)."""
        self._ready()
        origins = np.ascontiguousarray(origins, dtype=np.int64)
        if labels is None or source is None:
            labels = source = np.zeros(0, dtype=np.int32)
        touched = np.empty(max(1024, 2 * origins.size + 8), dtype=self.index_dtype)
        self._queue = _grown(self._queue, 2 * (origins.size + 8))
        count = size = _start(origins, labels, self.dist, source, touched, self._queue)
        stop_labels, wanted, remaining = np.zeros(0, dtype=np.int32), np.zeros(0, np.uint8), -1
        if stop_at is not None:
            stop_labels = np.ascontiguousarray(stop_at[0])
            ids = np.unique(np.asarray(stop_at[1], dtype=np.int64))
            wanted = np.zeros(int(ids.max()) + 1 if ids.size else 1, dtype=np.uint8)
            wanted[ids] = 1
            wanted[0] = 0  # 0 = no label
            remaining = int(wanted.sum())
        while size > 0 and remaining != 0:
            count, size, remaining = _scan(
                self.resistance, self.cols, self.offsets, self.d_rows, self.d_cols, self.lengths,
                float(limit), self.dist, self.pred, source, touched, count, self._queue, size,
                stop_labels, wanted, remaining)
            if size > 0 and remaining != 0:  # the queue or the list of reached cells is full
                touched = _grown(touched, count + 9, limit=self.resistance.size + 8)
                self._queue = _grown(self._queue, 2 * (size + 9))
        self.touched = touched[:count]
        return self.touched

    def reset(self) -> None:
        """Forget the last search (only the cells it reached are reset)."""
        _reset(self.touched, self.dist, self.pred)
        self.touched = np.zeros(0, dtype=self.index_dtype)

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        """The distances and predecessors of the last search as arrays of their own (the
        workspace allocates new ones only when it searches again)."""
        dist, pred = self.dist, self.pred
        self.dist = np.zeros(0)
        self.pred = np.zeros(0, dtype=pred.dtype)
        self.touched = np.zeros(0, dtype=self.index_dtype)
        return dist, pred
