r"""Circuit theory on a resistance grid (McRae et al. 2008; Circuitscape): cells are nodes,
neighbouring cells are joined by conductors, 1 A is injected at one source and taken out at
another, and the node voltages come from a sparse linear solve of the graph Laplacian with one
node grounded (pure functions on numpy arrays).

Conventions (Circuitscape.jl 5.x, ``src/raster/pairwise.jl``, ``construct_graph``)
------------------------------------------------------------------------------
Cell conductance is :math:`c = 1/R`. Eight neighbours are connected. With the default
*average conductance* scheme the conductance between two cells is
:math:`g = (c_i + c_j)/2` for orthogonal neighbours and :math:`g = (c_i + c_j)/(2\sqrt2)` for
diagonal ones; with *average resistance* (Circuitscape's ``connect_using_avg_resistances``)
:math:`g = 1/((R_i + R_j)/2)` and :math:`g = 1/(\sqrt2\,(R_i + R_j)/2)`. Conductances do not
depend on the cell size (resistance is per cell), as in Circuitscape.

A focal region (a source patch) is one node: all its cells are shorted together, and every cell
of the region shows the node's current (Circuitscape's polygon focal nodes).

The current through a node is the larger of the current flowing in and the current flowing out
(Circuitscape.jl ``src/out.jl``, ``get_node_currents``), which is
:math:`\tfrac12\left(\sum_{e \ni x} |I_e| + |b_x|\right)` with :math:`b_x` the current injected
at :math:`x` (+1 A at the source, -1 A at the ground, 0 elsewhere; Kirchhoff's current law).

References
----------
McRae, B. H., Dickson, B. G., Keitt, T. H., Shah, V. B. (2008). Using circuit theory to model
connectivity in ecology, evolution, and conservation. Ecology 89(10), 2712-2724.
McRae, B. H. (2006). Isolation by resistance. Evolution 60(8), 1551-1561.
Anantharaman, R., Hall, K., Shah, V. B., Edelman, A. (2020). Circuitscape in Julia: high
performance connectivity modelling to support conservation decisions. Proceedings of the
JuliaCon Conferences 1(1), 58.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ecociv.lazy import LazyModule
from ecociv.models.ecological_security_pattern.kernels_paths import FORWARD, pair_windows
from ecociv.models.ecological_security_pattern.spec import SCHEMES

if TYPE_CHECKING:
    import scipy.sparse as sp
    import scipy.sparse.linalg as spla
else:  # imported when first used (a scenario's plan imports this module)
    sp = LazyModule("scipy.sparse")
    spla = LazyModule("scipy.sparse.linalg")


def edge_conductance(r_i: np.ndarray, r_j: np.ndarray, diagonal: bool,
                     scheme: str = "average_conductance") -> np.ndarray:
    r"""Conductance between two neighbouring cells, S (1/Ω).

    Parameters
    ----------
    r_i, r_j : ndarray
        Resistances of the two cells, Ω per cell (the dimensionless resistance read as ohms).
    diagonal : bool
        True for diagonal neighbours.
    scheme : {"average_conductance", "average_resistance"}
        Circuitscape's default averaging of conductances, or its
        ``connect_using_avg_resistances`` option.

    Notes
    -----
    Average conductance: :math:`g = (1/R_i + 1/R_j)/2`, divided by :math:`\sqrt2` for diagonal
    neighbours; average resistance: :math:`g = 2/(R_i + R_j)`, divided by :math:`\sqrt2`
    (Circuitscape.jl ``cond_avg``, ``weird_avg``, ``res_avg``, ``weirder_avg``).
    """
    if scheme == "average_conductance":
        g = (1.0 / r_i + 1.0 / r_j) * 0.5
    elif scheme == "average_resistance":
        g = 2.0 / (r_i + r_j)
    else:
        raise ValueError(f"unknown connection scheme {scheme!r}; expected one of {SCHEMES}")
    return g / np.sqrt(2.0) if diagonal else g


def grid_edges(resistance: np.ndarray, node: np.ndarray,
               scheme: str = "average_conductance") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conductors between the nodes of a grid.

    Parameters
    ----------
    resistance : ndarray (rows, cols)
        Cell resistance, Ω per cell (NaN = no node).
    node : ndarray of int (rows, cols)
        Node number of each cell (cells of a focal region share one), -1 = not in the circuit.
    scheme : str
        See :func:`edge_conductance`.

    Returns
    -------
    u, v : ndarray of int
        End nodes of each conductor (u != v; conductors inside a focal region are dropped).
    g : ndarray
        Conductances, S. Parallel conductors between the same nodes are kept apart.
    """
    us, vs, gs = [], [], []
    for dr, dc in FORWARD:
        first, second = pair_windows(node.shape, dr, dc)
        na, nb = node[first], node[second]
        keep = (na >= 0) & (nb >= 0) & (na != nb)
        us.append(na[keep])
        vs.append(nb[keep])
        gs.append(edge_conductance(resistance[first][keep], resistance[second][keep],
                                   diagonal=dr != 0 and dc != 0, scheme=scheme))
    return np.concatenate(us), np.concatenate(vs), np.concatenate(gs)


def band_edges(resistance: np.ndarray, band: np.ndarray, node: np.ndarray,
               scheme: str = "average_conductance") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conductors between the cells of a band of a grid, found without a window of the grid.

    Parameters
    ----------
    resistance : ndarray (rows, cols)
        Cell resistance of the whole grid, Ω per cell.
    band : ndarray of int
        Flat cell numbers of the band, sorted ascending.
    node : ndarray of int (band.size,)
        Node number of each band cell (cells of a focal region share one).
    scheme : str
        See :func:`edge_conductance`.

    Returns
    -------
    u, v, g : ndarray
        The conductors :func:`grid_edges` gives on any window holding the band (with -1 outside
        the band), in the same order and with the same conductances, bit for bit; ``u`` and
        ``v`` in ``node``'s integer type. Memory: a few arrays of the band's size, where the
        window of a long diagonal corridor holds most of the grid.
    """
    rows, cols = resistance.shape
    flat = resistance.reshape(-1)
    band = np.asarray(band)
    wide = band.astype(np.int64)
    band_rows, band_cols = np.divmod(wide, cols)
    cell_r = np.asarray(flat[band], dtype=np.float64)
    us, vs, gs = [], [], []
    for dr, dc in FORWARD:
        inside = ((band_rows + dr >= 0) & (band_rows + dr < rows)
                  & (band_cols + dc >= 0) & (band_cols + dc < cols))
        first = np.flatnonzero(inside)
        target = wide[first] + (dr * cols + dc)
        second = np.minimum(np.searchsorted(wide, target), band.size - 1)
        hit = wide[second] == target
        first, second = first[hit], second[hit]
        na, nb = node[first], node[second]
        keep = na != nb
        first, second = first[keep], second[keep]
        us.append(na[keep])
        vs.append(nb[keep])
        gs.append(edge_conductance(cell_r[first], cell_r[second], diagonal=dr != 0 and dc != 0,
                                   scheme=scheme))
    return np.concatenate(us), np.concatenate(vs), np.concatenate(gs)


def laplacian(n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray) -> sp.csc_matrix:
    r"""Weighted graph Laplacian :math:`L = D - G` of ``n`` nodes, S (parallel conductors add)."""
    off = sp.coo_matrix((np.concatenate([-g, -g]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                        shape=(n, n))
    degree = np.bincount(u, weights=g, minlength=n) + np.bincount(v, weights=g, minlength=n)
    return (off + sp.diags(degree)).tocsc()


def nested_dissection(rows: np.ndarray, cols: np.ndarray, leaf: int = 64) -> np.ndarray:
    """A fill-reducing elimination order of grid nodes from their (row, col) positions.

    Geometric nested dissection (George 1973): the nodes are split by the median row or column
    (whichever spans more) into two halves and the one-cell-wide line between them, which is
    ordered last since with 8-neighbour links it separates the halves; the halves are ordered
    the same way, recursively, down to ``leaf`` nodes. Nodes without a position (NaN, e.g.
    shorted focal regions) go at the very end.

    Returns a permutation of ``range(len(rows))``.

    References
    ----------
    George, A. (1973). Nested dissection of a regular finite element mesh. SIAM Journal on
    Numerical Analysis 10(2), 345-363.
    """
    rows = np.asarray(rows, dtype=np.float64)
    cols = np.asarray(cols, dtype=np.float64)
    placed = np.isfinite(rows) & np.isfinite(cols)
    order: list[np.ndarray] = []

    def split(idx: np.ndarray) -> None:
        if idx.size <= leaf:
            order.append(idx)
            return
        r, c = rows[idx], cols[idx]
        key = r if np.ptp(r) >= np.ptp(c) else c
        middle = np.floor(np.median(key))
        low, high, line = idx[key < middle], idx[key > middle], idx[key == middle]
        if low.size == 0 and high.size == 0:
            order.append(idx)
            return
        split(low)
        split(high)
        order.append(line)

    split(np.flatnonzero(placed))
    order.append(np.flatnonzero(~placed))
    return np.concatenate(order)


def grounded_solver(lap: sp.csc_matrix, ground: int,
                    order: np.ndarray | None = None) -> tuple[np.ndarray, spla.SuperLU]:
    """LU factorisation of the Laplacian with node ``ground`` held at 0 V.

    Parameters
    ----------
    lap : csc_matrix
        Laplacian, S.
    ground : int
        Grounded node.
    order : ndarray of int, optional
        Elimination order of the nodes (e.g. :func:`nested_dissection`); default: SuperLU's
        minimum-degree ordering of AᵀA.

    Returns
    -------
    keep : ndarray of int
        The node of each unknown, in the order of the factorised matrix.
    solver : SuperLU
        Factorisation of the reduced (symmetric positive definite for a connected circuit)
        matrix; with an ``order``, without pivoting (``diag_pivot_thresh=0``), which is stable
        for such matrices.
    """
    if order is None:
        keep = np.flatnonzero(np.arange(lap.shape[0]) != ground)
        return keep, spla.splu(lap[keep][:, keep].tocsc(), permc_spec="MMD_AT_PLUS_A")
    keep = np.asarray(order)[np.asarray(order) != ground]
    reduced = lap[keep][:, keep].tocsc()
    return keep, spla.splu(reduced, permc_spec="NATURAL", diag_pivot_thresh=0.0,
                           options={"SymmetricMode": True})


def grounded_system(n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray, ground: int,
                    order: np.ndarray) -> tuple[np.ndarray, sp.csc_matrix]:
    r"""The Laplacian of the conductors with node ``ground`` removed, its nodes in ``order``.

    Returns ``keep`` (the node of each unknown: ``order`` without ``ground``) and the matrix
    ``laplacian(n, u, v, g)[keep][:, keep]``, S, assembled directly in that order with 32-bit
    indices where they fit, instead of the whole Laplacian and two permuted copies of it.

    Notes
    -----
    The entries are those of :func:`laplacian`, bit for bit: parallel conductors are summed row
    by row, in the order of the conductors, by SciPy's own sort and sum of duplicates, as there.
    Rows of at most 16 entries (every cell: 8 neighbours and itself) sort stably; a longer row
    (a shorted focal region) is summed again on its own with the whole Laplacian's column
    numbers, so that SciPy's sort sees the same sequence (:func:`_long_rows`).
    """
    order = np.asarray(order)
    keep = order[order != ground]
    m = keep.size
    index = np.int32 if max(n, 2 * u.size + m) < np.iinfo(np.int32).max else np.int64
    position = np.full(n, -1, dtype=index)
    position[keep] = np.arange(m, dtype=index)
    degree = np.bincount(u, weights=g, minlength=n) + np.bincount(v, weights=g, minlength=n)
    pu, pv = position[u], position[v]
    inside = (pu >= 0) & (pv >= 0)
    pu, pv, off = pu[inside], pv[inside], -g[inside]
    del inside
    diagonal = np.arange(m, dtype=index)
    rows = np.concatenate([pu, pv, diagonal])
    cols = np.concatenate([pv, pu, diagonal])
    del pu, pv, diagonal
    data = np.concatenate([off, off, degree[keep]])
    del off
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(m, m))
    del rows, cols, data
    _long_rows(matrix, n, u, v, g, position)
    return keep, matrix.tocsc()


def _long_rows(matrix: sp.csr_matrix, n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray,
               position: np.ndarray) -> None:
    """Sum the off-diagonal entries of every row of ``matrix`` longer than 16 entries as
    :func:`laplacian` sums them (in place): the row's conductors in the same sequence and with
    the same column numbers (the whole Laplacian's), through the same SciPy sort and sum; the
    sort is not stable above 16 entries, so the order of the additions depends on that
    sequence."""
    lengths = np.diff(matrix.indptr)
    for row in np.flatnonzero(lengths > 16):
        node = int(np.flatnonzero(position == row)[0])
        first, second = np.flatnonzero(u == node), np.flatnonzero(v == node)
        columns = np.concatenate([v[first], u[second]]).astype(np.int64)
        alone = sp.csr_matrix((np.concatenate([-g[first], -g[second]]),
                               (np.zeros(columns.size, dtype=np.int64), columns)), shape=(1, n))
        where = position[alone.indices]
        placed = where >= 0
        where, values = where[placed], alone.data[placed]
        ordered = np.argsort(where)
        start, stop = matrix.indptr[row], matrix.indptr[row + 1]
        entries = matrix.data[start:stop]  # a view: written in place
        off_diagonal = matrix.indices[start:stop] != row
        if not np.array_equal(matrix.indices[start:stop][off_diagonal], where[ordered]):
            raise AssertionError("row structure differs from the Laplacian's")
        entries[off_diagonal] = values[ordered]


def voltages(lap: sp.csc_matrix, source: int, ground: int, order: np.ndarray | None = None) -> np.ndarray:
    r"""Node voltages, V, when 1 A enters at ``source`` and leaves at ``ground`` (0 V).

    Notes
    -----
    Solves :math:`L_{gg'} v = e_s` on the Laplacian with the ground's row and column removed
    (McRae et al. 2008), by sparse LU (SuperLU); ``order`` as in :func:`grounded_solver`.
    """
    keep, solver = grounded_solver(lap, ground, order)
    rhs = (keep == source).astype(np.float64)
    out = np.zeros(lap.shape[0])
    out[keep] = solver.solve(rhs)
    return out


def node_currents(n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray, volts: np.ndarray,
                  injected: np.ndarray) -> np.ndarray:
    r"""Current through each node, A (Circuitscape's node current).

    Parameters
    ----------
    n : int
        Number of nodes.
    u, v, g : ndarray
        Conductors (end nodes and conductance, S).
    volts : ndarray (n,)
        Node voltages, V.
    injected : ndarray (n,)
        Current injected at each node, A (+ in, - out).

    Notes
    -----
    :math:`I_x = \tfrac12\left(\sum_{e \ni x} g_e |v_{u_e} - v_{v_e}| + |b_x|\right)` = max(inflow,
    outflow) (Circuitscape.jl ``get_node_currents``).
    """
    branch = g * np.abs(volts[u] - volts[v])
    through = np.bincount(u, weights=branch, minlength=n) + np.bincount(v, weights=branch, minlength=n)
    return 0.5 * (through + np.abs(injected))


def effective_resistance(n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray, a: int, b: int) -> float:
    """Effective resistance between nodes ``a`` and ``b``, Ω: the voltage at ``a`` when 1 A flows
    from ``a`` to ``b`` (McRae 2006, resistance distance)."""
    return float(voltages(laplacian(n, u, v, g), a, b)[a])


@dataclass(frozen=True)
class PairCurrent:
    """Result of one source-to-ground circuit: node currents (A), voltages (V), effective
    resistance (Ω)."""

    current: np.ndarray
    volts: np.ndarray
    resistance: float


def pair_current(n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray, source: int,
                 ground: int, order: np.ndarray | None = None) -> PairCurrent:
    """Node currents when 1 A flows from ``source`` to ``ground`` through the conductors
    (``order`` as in :func:`grounded_solver`; with an order the grounded matrix is assembled
    directly, :func:`grounded_system`)."""
    if order is None:
        volts = voltages(laplacian(n, u, v, g), source, ground)
    else:
        keep, matrix = grounded_system(n, u, v, g, ground, order)
        solver = spla.splu(matrix, permc_spec="NATURAL", diag_pivot_thresh=0.0,
                           options={"SymmetricMode": True})
        del matrix  # the factors are all the solve needs
        volts = np.zeros(n)
        volts[keep] = solver.solve((keep == source).astype(np.float64))
        del solver
    injected = np.zeros(n)
    injected[source], injected[ground] = 1.0, -1.0
    return PairCurrent(node_currents(n, u, v, g, volts, injected), volts, float(volts[source] - volts[ground]))


def sum_abs_pairwise(values: np.ndarray) -> np.ndarray:
    r""":math:`\sum_{i<j} |a_i - a_j|` along the last axis.

    Notes
    -----
    With the values sorted, :math:`a_{(0)} \le \dots \le a_{(K-1)}`, the sum is
    :math:`\sum_k a_{(k)}(2k - K + 1)`.
    """
    k = values.shape[-1]
    ordered = np.sort(values, axis=-1)
    return ordered @ (2.0 * np.arange(k) - k + 1)


def pairwise_cumulative(n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray,
                        focal: np.ndarray, order: np.ndarray | None = None,
                        chunk: int = 1 << 18) -> tuple[np.ndarray, np.ndarray]:
    r"""Cumulative node current of every pair of focal nodes (Circuitscape pairwise mode), A,
    and the matrix of effective resistances, Ω.

    Parameters
    ----------
    n : int
        Number of nodes (the circuit must be connected).
    u, v, g : ndarray
        Conductors.
    focal : ndarray of int (K,)
        Focal nodes.
    order : ndarray of int, optional
        Elimination order (:func:`grounded_solver`).
    chunk : int
        Conductors processed at a time (bounds memory: chunk × K floats).

    Returns
    -------
    current : ndarray (n,)
        Sum over the K(K-1)/2 pairs of the node current with 1 A between the pair.
    resistance : ndarray (K, K)
        Effective resistances.

    Notes
    -----
    With focal node :math:`f_0` grounded, :math:`K - 1` solves of :math:`L x_k = e_{f_k}` with one
    LU factorisation (solved one right-hand side at a time, faster than SuperLU's multi-column
    solve) give every pair's voltages, :math:`v_{ij} = x_i - x_j` (:math:`x_0 = 0`),
    since :math:`L(x_i - x_j) = e_{f_i} - e_{f_j}` (superposition). The conductor currents summed
    over pairs are :math:`g_e \sum_{i<j} |\Delta x_i(e) - \Delta x_j(e)|`
    (:func:`sum_abs_pairwise`); each focal node adds 1 A to the in/outflow of the :math:`K-1`
    pairs it is part of, so :math:`I_x = \tfrac12(\sum_e |I_e| + [x\ \mathrm{focal}](K-1))`.
    """
    k = len(focal)
    keep, solver = grounded_solver(laplacian(n, u, v, g), int(focal[0]), order)
    position = np.full(n, -1)
    position[keep] = np.arange(keep.size)
    x = np.zeros((n, k))
    rhs = np.zeros(keep.size)
    for j in range(1, k):
        rhs[position[focal[j]]] = 1.0
        x[keep, j] = solver.solve(rhs)
        rhs[position[focal[j]]] = 0.0
    through = np.zeros(n)
    for start in range(0, u.size, chunk):
        su, sv = u[start:start + chunk], v[start:start + chunk]
        branch = g[start:start + chunk] * sum_abs_pairwise(x[su] - x[sv])
        through += np.bincount(su, weights=branch, minlength=n) + np.bincount(sv, weights=branch, minlength=n)
    injected = np.zeros(n)
    injected[focal] = k - 1
    xf = x[focal]  # (K, K): x_j at focal node i
    diag = np.diag(xf)
    resistance = diag[:, None] + diag[None, :] - xf - xf.T
    return 0.5 * (through + injected), resistance
