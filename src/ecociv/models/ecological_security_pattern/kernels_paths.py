r"""Minimum cumulative resistance on the 8-neighbour grid graph: cost distance to the nearest
source, cost allocation, least-cost links between sources whose allocation zones touch, and the
corridor band around each link (pure functions on numpy arrays).

Conventions
-----------
Cells are the nodes of a graph; every cell is joined to its 8 neighbours. The cost of the step
between neighbouring cells :math:`i` and :math:`j` is the mean of their resistances times the
distance between their centres,

.. math:: c_{ij} = \frac{R_i + R_j}{2}\, \ell_{ij},\qquad
   \ell_{ij} \in \{\Delta x,\ \Delta y,\ \sqrt{\Delta x^2 + \Delta y^2}\},

the convention of ArcGIS Cost Distance ("How the cost distance tools work", ArcGIS Pro
documentation: perpendicular moves cost (cost1 + cost2)/2 × cell size, diagonal moves × 1.414214)
that Linkage Mapper builds on (McRae & Kavanagh 2011). Cost is thus in resistance × metres.
Diagonal steps are allowed whatever the two cells beside them hold (as ArcGIS and Circuitscape
do). A cell with NaN resistance is no node: it is impassable.

The minimum cumulative resistance from a set of origin cells (Knaapen et al. 1992; Yu 1999) is
the least total step cost of a path to them, found by Dijkstra's algorithm (Dijkstra 1959) on a
sparse matrix with ``scipy.sparse.csgraph.dijkstra``, or, without building the matrix, on the
grid itself (:mod:`.grid_dijkstra`, the same results bit for bit; what the model uses).

References
----------
Dijkstra, E. W. (1959). A note on two problems in connexion with graphs. Numerische Mathematik 1,
269-271.
Knaapen, J. P., Scheffer, M., Harms, B. (1992). Estimating habitat isolation in landscape
planning. Landscape and Urban Planning 23, 1-16.
Yu, K. J. (1999). 生物保护的景观生态安全格局 (Landscape ecological security patterns in
biological conservation). Acta Ecologica Sinica 19(1), 8-15.
McRae, B. H., Kavanagh, D. M. (2011). Linkage Mapper Connectivity Analysis Software. The Nature
Conservancy, Seattle WA.
Mehlhorn, K. (1988). A faster approximation algorithm for the Steiner problem in graphs.
Information Processing Letters 27, 125-128.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ecociv.lazy import LazyModule

if TYPE_CHECKING:
    import scipy.sparse as sp
    import scipy.sparse.csgraph as csgraph
else:  # imported when first used (a scenario's plan imports this module)
    sp = LazyModule("scipy.sparse")
    csgraph = LazyModule("scipy.sparse.csgraph")

#: The 8 neighbour offsets (row, col) in increasing order of flat index, so that one cell's
#: neighbours come out sorted (canonical CSR order).
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))

#: Each unordered neighbour pair once: right, down-left, down, down-right.
FORWARD = ((0, 1), (1, -1), (1, 0), (1, 1))

#: Rows of cells processed at a time while the graph is built (bounds the temporaries).
_BAND_ROWS = 256

#: Largest search state (bytes) for which :func:`least_cost_links` adds a second workspace to
#: search on two threads (about 9,000² cells; larger grids search on one thread).
SPAWN_STATE_BYTES = 1 << 30


def step_length(dr: int, dc: int, dx: float, dy: float) -> float:
    """Distance between the centres of cells ``(dr, dc)`` apart, m (``dx``, ``dy`` cell width and
    height, m)."""
    return float(np.hypot(dr * dy, dc * dx))


def pair_windows(shape: tuple[int, int], dr: int, dc: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Slices ``(first, second)`` such that ``a[first]`` and ``a[second]`` are the cells of every
    pair ``(r, c)``, ``(r + dr, c + dc)`` inside a grid of ``shape``."""
    rows, cols = shape
    first = (slice(max(0, -dr), rows - max(0, dr)), slice(max(0, -dc), cols - max(0, dc)))
    second = (slice(max(0, dr), rows - max(0, -dr)), slice(max(0, dc), cols - max(0, -dc)))
    return first, second


def cost_graph(resistance: np.ndarray, dx: float, dy: float) -> sp.csr_matrix:
    r"""The directed 8-neighbour step-cost graph of a resistance grid.

    Parameters
    ----------
    resistance : ndarray (rows, cols)
        Resistance of each cell, dimensionless, > 0; NaN = impassable.
    dx, dy : float
        Cell width and height, m.

    Returns
    -------
    scipy.sparse.csr_matrix (rows·cols, rows·cols)
        Entry (i, j) is the cost of the step from cell i to neighbour j (row-major cell numbers),
        resistance × m; both directions are stored.

    Notes
    -----
    :math:`c_{ij} = (R_i + R_j)/2 \cdot \ell_{ij}` (module docstring; ArcGIS Cost Distance). The
    matrix is filled band by band into preallocated arrays: 12 bytes per edge, about 96 bytes
    per cell (0.4 GB for 2000 × 2000 cells).
    """
    rows, cols = resistance.shape
    n = rows * cols
    padded = np.full((rows + 2, cols + 2), np.nan)
    padded[1:-1, 1:-1] = resistance
    valid = np.isfinite(padded)
    counts = np.zeros((rows, cols), dtype=np.int64)
    for dr, dc in NEIGHBOURS:
        counts += valid[1:-1, 1:-1] & valid[1 + dr:rows + 1 + dr, 1 + dc:cols + 1 + dc]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts.ravel(), out=indptr[1:])
    nnz = int(indptr[-1])
    index_type = np.int32 if n < 2**31 and nnz < 2**31 else np.int64
    indices = np.empty(nnz, dtype=index_type)
    data = np.empty(nnz, dtype=np.float64)
    lengths = np.array([step_length(dr, dc, dx, dy) for dr, dc in NEIGHBOURS])
    for r0 in range(0, rows, _BAND_ROWS):
        r1 = min(rows, r0 + _BAND_ROWS)
        here = padded[1 + r0:1 + r1, 1:-1]
        flat = (np.arange(r0, r1)[:, None] * cols + np.arange(cols)[None, :])
        neighbour_values = np.stack(
            [padded[1 + r0 + dr:1 + r1 + dr, 1 + dc:cols + 1 + dc] for dr, dc in NEIGHBOURS], axis=-1)
        keep = np.isfinite(here)[..., None] & np.isfinite(neighbour_values)
        offsets = np.array([dr * cols + dc for dr, dc in NEIGHBOURS])
        start, stop = indptr[r0 * cols], indptr[r1 * cols]
        indices[start:stop] = (flat[..., None] + offsets)[keep]
        data[start:stop] = ((here[..., None] + neighbour_values) * 0.5 * lengths)[keep]
    return sp.csr_matrix((data, indices, indptr), shape=(n, n))


@dataclass(frozen=True)
class CostDistance:
    """Minimum cumulative resistance to the nearest source.

    ``distance`` (rows, cols): resistance × m, inf where no source can be reached.
    ``allocation`` (rows, cols): id of the nearest source (0 where none is reached).
    ``predecessor`` (rows·cols,): previous cell on the least-cost path towards the source
    (negative at origins and unreached cells).
    """

    distance: np.ndarray
    allocation: np.ndarray
    predecessor: np.ndarray


def cost_distance(graph: Any, source_labels: np.ndarray) -> CostDistance:
    """Cost distance, allocation and least-cost predecessors from every source cell at once.

    Parameters
    ----------
    graph : csr_matrix or GridSearch
        Step costs from :func:`cost_graph`, resistance × m, or a
        :class:`.grid_dijkstra.GridSearch` on the resistance grid (the same result, bit for bit,
        without building the graph).
    source_labels : ndarray of int (rows, cols)
        Source id of each cell (1..n), 0 outside sources. Source cells must be passable.

    Returns
    -------
    CostDistance

    Notes
    -----
    One multi-source Dijkstra run (``min_only=True``): each cell gets the least cost to any
    source cell and the source it comes from, the cost-allocation of ArcGIS/Linkage Mapper
    (McRae & Kavanagh 2011).
    """
    shape = source_labels.shape
    labels = source_labels.ravel()
    origins = np.flatnonzero(labels > 0)
    if not isinstance(graph, sp.csr_matrix):
        # the allocation in the labels' integer type (one byte per cell for < 256 sources)
        labels = np.ascontiguousarray(labels)
        allocation = np.zeros(labels.size, dtype=labels.dtype)
        graph.run(origins, labels=labels, source=allocation)
        distance, predecessor = graph.take()
        return CostDistance(distance.reshape(shape), allocation.reshape(shape), predecessor)
    distance, predecessor, origin = csgraph.dijkstra(graph, directed=True, indices=origins, min_only=True,
                                             return_predecessors=True)
    allocation = np.where(origin >= 0, labels[np.maximum(origin, 0)], 0).astype(np.int32)
    return CostDistance(distance.reshape(shape), allocation.reshape(shape), predecessor)


@dataclass(frozen=True)
class Link:
    """A least-cost link between two sources.

    ``cells``: flat cell numbers of the path from ``source_a`` to ``source_b`` (a < b);
    ``cost``: resistance × m; ``length_m``: sum of the step lengths, m.
    """

    source_a: int
    source_b: int
    cells: np.ndarray
    cost: float
    length_m: float


def _trace(predecessor: np.ndarray, cell: int) -> list[int]:
    path = [cell]
    while predecessor[path[-1]] >= 0:
        path.append(int(predecessor[path[-1]]))
    return path


def path_length(cells: np.ndarray, cols: int, dx: float, dy: float) -> float:
    """Length of a path of neighbouring cells through their centres, m."""
    rows_, cols_ = np.divmod(np.asarray(cells, dtype=np.int64), cols)
    return float(np.hypot(np.diff(rows_) * dy, np.diff(cols_) * dx).sum())


def zone_links(resistance: np.ndarray, result: CostDistance, dx: float, dy: float,
               max_cost: float | None = None) -> list[Link]:
    r"""Least-cost links between sources whose cost-allocation zones touch.

    Parameters
    ----------
    resistance : ndarray (rows, cols)
        Resistance, dimensionless (NaN impassable).
    result : CostDistance
        From :func:`cost_distance` on the same grid.
    dx, dy : float
        Cell width and height, m.
    max_cost : float, optional
        Links costing more (resistance × m) are dropped.

    Returns
    -------
    list of Link
        One per pair of adjacent sources, sorted by (source_a, source_b).

    Notes
    -----
    Two sources are adjacent when a cell allocated to one neighbours a cell allocated to the
    other (Linkage Mapper's cost-allocation adjacency; McRae & Kavanagh 2011). Over every such
    neighbour pair :math:`(u, v)` the link takes the one minimising
    :math:`d(u) + c_{uv} + d(v)` and follows the least-cost predecessors from :math:`u` back to
    source A and from :math:`v` back to source B. The path is the least-cost path between A and
    B among the paths inside the two allocation zones (a path crossing from A's zone to B's at
    :math:`(u, v)` costs at least :math:`d_A(u) + c_{uv} + d_B(v)`), so it never crosses a third
    source, and a minimum spanning tree of these links is one of the complete graph of
    source-to-source least costs (Mehlhorn 1988). The unrestricted least-cost path between A
    and B may be cheaper when it passes through a third zone: :func:`least_cost_links` finds it.
    """
    rows, cols = resistance.shape
    distance, allocation = result.distance, result.allocation
    found_a, found_b, found_u, found_v, found_cost = [], [], [], [], []
    for dr, dc in FORWARD:
        first, second = pair_windows((rows, cols), dr, dc)
        za, zb = allocation[first], allocation[second]
        touch = (za > 0) & (zb > 0) & (za != zb)
        if not touch.any():
            continue
        step = (resistance[first][touch] + resistance[second][touch]) * 0.5 * step_length(dr, dc, dx, dy)
        total = distance[first][touch] + step + distance[second][touch]
        found_a.append(za[touch])
        found_b.append(zb[touch])
        # flat cell numbers of the touching pairs (row-major, as the mask selects them)
        r, c = np.nonzero(touch)
        found_u.append((r + first[0].start) * np.int64(cols) + (c + first[1].start))
        found_v.append((r + second[0].start) * np.int64(cols) + (c + second[1].start))
        found_cost.append(total)
        del touch, r, c
    if not found_a:
        return []
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    u, v = np.concatenate(found_u), np.concatenate(found_v)
    total = np.concatenate(found_cost)
    swap = a > b
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    u, v = np.where(swap, v, u), np.where(swap, u, v)
    order = np.lexsort((u, total, b, a))  # per pair: cheapest first, ties by cell number
    a, b, u, v, total = a[order], b[order], u[order], v[order], total[order]
    first_of_pair = np.ones(a.size, dtype=bool)
    first_of_pair[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    links = []
    for k in np.flatnonzero(first_of_pair):
        if max_cost is not None and total[k] > max_cost:
            continue
        cells = np.array(_trace(result.predecessor, int(u[k]))[::-1]
                         + _trace(result.predecessor, int(v[k])), dtype=np.int64)
        links.append(Link(int(a[k]), int(b[k]), cells, float(total[k]),
                          path_length(cells, cols, dx, dy)))
    return links


def least_cost_links(graph: Any, source_labels: np.ndarray, candidates: list[Link],
                     dx: float, dy: float) -> list[Link]:
    r"""Unrestricted least-cost paths between the adjacent sources of ``candidates``.

    Parameters
    ----------
    graph : csr_matrix or GridSearch
        Step costs from :func:`cost_graph`, resistance × m, or a
        :class:`.grid_dijkstra.GridSearch` (same result; each search resets only the cells it
        reached).
    source_labels : ndarray of int (rows, cols)
        Source ids, 0 outside sources.
    candidates : list of Link
        Links of adjacent sources from :func:`zone_links`; their costs bound the search.
    dx, dy : float
        Cell width and height, m.

    Returns
    -------
    list of Link
        For each candidate pair (A, B) the least-cost path from A's cells to B's cells over the
        whole grid, as Linkage Mapper maps corridors between adjacent cores from each core's
        cost-distance surface (McRae & Kavanagh 2011); pairs whose path crosses a third source
        are dropped (Linkage Mapper's option to drop corridors that intersect core areas: the
        connection is then made by the links to and from that source).

    Notes
    -----
    One Dijkstra run per source A from all of A's cells, stopped at the largest cost of A's
    candidate links (a feasible path, so the least cost is within it): the search covers only
    the neighbourhood that can hold the corridors. On the grid (``GridSearch``) the run stops
    sooner, once a cell of every candidate B has been scanned (about half the cells on the
    Belt's grid); the links are the same.
    """
    cols = source_labels.shape[1]
    labels = source_labels.ravel()
    # the cells of each source in increasing order (a stable sort of the source cells only,
    # not of the whole grid)
    in_source = np.flatnonzero(labels > 0)
    order = in_source[np.argsort(labels[in_source], kind="stable")]
    top = int(labels.max())  # as a Python int: the labels may be one-byte integers
    starts = np.searchsorted(labels[order], np.arange(top + 2))
    cells_of = {k: order[starts[k]:starts[k + 1]] for k in range(1, top + 1)}
    by_source: dict[int, list[Link]] = {}
    for link in candidates:
        by_source.setdefault(link.source_a, []).append(link)
    def links_of(a: int, group: list[Link], space: Any) -> list[Link]:
        limit = max(link.cost for link in group) * (1 + 1e-9)
        if isinstance(space, sp.csr_matrix):
            distance, predecessor, _ = csgraph.dijkstra(space, directed=True, indices=cells_of[a],
                                                min_only=True, return_predecessors=True,
                                                limit=limit)
        else:  # stopped once a cell of every B is scanned: B's least cost and path are final
            space.run(cells_of[a], limit=limit,
                      stop_at=(labels, [link.source_b for link in group]))
            distance, predecessor = space.dist, space.pred
        found = []
        for link in group:
            b = link.source_b
            targets = cells_of[b]
            target = int(targets[np.argmin(distance[targets])])
            cells = np.array(_trace(predecessor, target)[::-1], dtype=np.int64)
            crossed = labels[cells]
            if np.any((crossed != 0) & (crossed != a) & (crossed != b)):
                continue
            found.append(Link(a, b, cells, float(distance[target]), path_length(cells, cols, dx, dy)))
        if not isinstance(space, sp.csr_matrix):
            space.reset()
        return found

    groups = sorted(by_source.items())
    workers = min(len(groups), os.cpu_count() or 1, 2)
    if not isinstance(graph, sp.csr_matrix) and graph.state_bytes > SPAWN_STATE_BYTES:
        workers = 1  # a second workspace would add its whole-grid state (12 bytes per cell)
    if isinstance(graph, sp.csr_matrix) or workers < 2:
        links = [link for a, group in groups for link in links_of(a, group, graph)]
    else:
        # the searches from different sources are independent: one workspace per thread (the
        # compiled search releases the GIL), the links gathered in source order as before
        import queue
        from concurrent.futures import ThreadPoolExecutor

        spaces: queue.SimpleQueue[Any] = queue.SimpleQueue()
        spaces.put(graph)
        for _ in range(workers - 1):
            spaces.put(graph.spawn())

        def job(item: tuple[int, list[Link]]) -> list[Link]:
            space = spaces.get()
            try:
                return links_of(item[0], item[1], space)
            finally:
                spaces.put(space)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            links = [link for found in pool.map(job, groups) for link in found]
    return sorted(links, key=lambda link: (link.source_a, link.source_b))


def corridor_band(graph: Any, cells: np.ndarray, width: float) -> np.ndarray:
    r"""Cells within cost distance ``width`` of a path (flat cell numbers, sorted).

    Parameters
    ----------
    graph : csr_matrix or GridSearch
        Step costs from :func:`cost_graph`, resistance × m, or a
        :class:`.grid_dijkstra.GridSearch` (same result).
    cells : ndarray of int
        Flat cell numbers of the path.
    width : float
        Half-width of the band, resistance × m.

    Notes
    -----
    A cell :math:`x` at cost distance :math:`\delta` from path cell :math:`p` has
    :math:`d_A(x) + d_B(x) \le d_A(p) + d_B(p) + 2\delta = \mathrm{LCD}_{AB} + 2\delta`, so the
    band is contained in Linkage Mapper's normalised least-cost corridor truncated at
    :math:`2\,\mathrm{width}` (McRae & Kavanagh 2011). The band is connected.
    """
    if not isinstance(graph, sp.csr_matrix):
        band = np.sort(graph.run(np.asarray(cells), limit=width))  # int32 where numbers fit
        graph.reset()
        return band
    reached = csgraph.dijkstra(graph, directed=True, indices=np.asarray(cells), min_only=True, limit=width)
    return np.flatnonzero(np.isfinite(reached))
