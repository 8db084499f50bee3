r"""The ecological security pattern on numpy arrays: sources → cost distance → least-cost
corridors → circuit-theory current density → pinch points.

The pieces live in :mod:`.kernels_surface` (sources, resistance), :mod:`.kernels_paths`
(minimum cumulative resistance, corridors) and :mod:`.kernels_circuit` (circuit theory); this
module chains them. Nothing here is chunk-local: the whole grid is held in memory, but the
step-cost graph is not built: the searches run on the resistance grid itself
(:mod:`.grid_dijkstra`, 20 bytes of state per cell, where the sparse graph of
:func:`.kernels_paths.cost_graph` took about 100 and SciPy's queue more), with SciPy's results
bit for bit.

Circuit modes
-------------
``corridors`` (default)
    Linkage Mapper's Pinchpoint Mapper (McRae 2012): for each corridor, a circuit of the cells
    of its band (cells within ``corridor_width`` cost distance of the least-cost path), 1 A from
    one source to the other (each source a shorted focal region); the current maps of all
    corridors are summed. Memory and time grow with the corridor bands, not the grid.
``pairwise``
    Circuitscape's pairwise mode (McRae et al. 2008) on the whole grid: 1 A between every pair
    of sources in the same connected component, the node currents summed over pairs; one sparse
    LU factorisation per component (:func:`.kernels_circuit.pairwise_cumulative`). Every source
    is shorted in every pair's circuit, as Circuitscape does when the source polygons are given
    both as focal regions and as its short-circuit regions (``polygon_file``); without the
    latter Circuitscape shorts only the pair's two regions, which needs one factorisation per
    pair. The LU fill grows faster than the grid: meant for grids up to about 10⁶ cells (35 s
    and 2.3 GB at 1000 × 1000 cells with 30 sources on this machine).

References
----------
McRae, B. H. (2012). Pinchpoint Mapper Connectivity Analysis Software. The Nature Conservancy,
Seattle WA.
McRae, B. H., Dickson, B. G., Keitt, T. H., Shah, V. B. (2008). Ecology 89(10), 2712-2724.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ecociv.lazy import LazyModule, import_in_background
from ecociv.models.ecological_security_pattern.grid_dijkstra import GridSearch
from ecociv.models.ecological_security_pattern.kernels_circuit import (
    band_edges,
    grid_edges,
    nested_dissection,
    pair_current,
    pairwise_cumulative,
)
from ecociv.models.ecological_security_pattern.kernels_paths import (
    Link,
    corridor_band,
    cost_distance,
    least_cost_links,
    zone_links,
)
from ecociv.models.ecological_security_pattern.spec import CIRCUIT_MODES, PATH_MODES

if TYPE_CHECKING:
    import scipy.sparse as sp
    import scipy.sparse.csgraph as csgraph
else:  # imported when first used (a scenario's plan imports this module)
    sp = LazyModule("scipy.sparse")
    csgraph = LazyModule("scipy.sparse.csgraph")


@dataclass(frozen=True)
class SecurityPattern:
    """Everything the model writes.

    ``cost_distance``: resistance × m to the nearest source (NaN where unreachable), float32
    (the output's precision; searched in float64); ``allocation``: nearest source id (0 = none),
    in the sources' integer type; ``links``: least-cost corridors;
    ``effective_resistance``: Ω per link (NaN where not solved); ``current``: cumulative node
    current, A (NaN on impassable cells), float32 (summed in float64, on the bands' cells only
    in the ``corridors`` mode; the pinch-point percentile is taken before rounding);
    ``corridor``: cells of the corridor bands;
    ``pinch``: pinch-point cells; ``pinch_threshold``: current at the percentile, A.
    """

    cost_distance: np.ndarray
    allocation: np.ndarray
    links: list[Link]
    effective_resistance: np.ndarray
    current: np.ndarray
    corridor: np.ndarray
    pinch: np.ndarray
    pinch_threshold: float


def corridor_currents_on_bands(resistance: np.ndarray, sources: np.ndarray, links: list[Link],
                               bands: list[np.ndarray],
                               scheme: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Summed current of one circuit per corridor band (Pinchpoint Mapper's adjacent-pair mode),
    held on the cells of the bands only.

    In each circuit the band cells of the corridor's two sources are shorted into one node each
    (1 A in at the first, out at the second); cells of any other source in the band are ordinary
    cells, as Circuitscape treats focal regions outside the pair. Each band's conductors are
    found from its cells (:func:`.kernels_circuit.band_edges`, no window of the grid) and its
    grounded matrix is assembled in elimination order (:func:`.kernels_circuit.grounded_system`).

    Parameters
    ----------
    bands : list of ndarray of int
        Flat cell numbers of each corridor's band, sorted ascending.

    Returns
    -------
    cells : ndarray of int
        The cells of the union of the bands (flat numbers, sorted); every other cell carries
        no current.
    current : ndarray (cells.size,)
        Current summed over the corridors on those cells, A (added corridor by corridor, in
        their order).
    reff : ndarray (len(links),)
        Effective resistance of each corridor, Ω.
    """
    cols = resistance.shape[1]
    cells = np.unique(np.concatenate(bands)) if bands else np.empty(0, dtype=np.int64)
    current = np.zeros(cells.size)
    reff = np.full(len(links), np.nan)
    labels_of = sources.reshape(-1)
    for k, (link, band) in enumerate(zip(links, bands, strict=True)):
        labels = labels_of[band]
        in_a = labels == link.source_a
        in_b = labels == link.source_b
        other = ~(in_a | in_b)
        del labels
        count = int(other.sum())
        index = np.int32 if count + 2 < np.iinfo(np.int32).max else np.int64
        numbers = np.where(in_b, 1, 0).astype(index)
        numbers[other] = 2 + np.arange(count, dtype=index)
        del in_a, in_b
        n = 2 + count
        u, v, g = band_edges(resistance, band, numbers, scheme)
        band_rows, band_cols = np.divmod(band[other], cols)
        node_rows = np.concatenate([[np.nan, np.nan], band_rows])
        node_cols = np.concatenate([[np.nan, np.nan], band_cols])
        del band_rows, band_cols, other
        order = nested_dissection(node_rows, node_cols)
        del node_rows, node_cols
        result = pair_current(n, u, v, g, source=0, ground=1, order=order)
        del u, v, g, order
        current[np.searchsorted(cells, band)] += result.current[numbers]
        reff[k] = result.resistance
    return cells, current, reff


def corridor_currents(resistance: np.ndarray, sources: np.ndarray, links: list[Link],
                      bands: list[np.ndarray], scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """The current of :func:`corridor_currents_on_bands` as a grid (rows, cols), A (0 outside
    the bands), and the effective resistance of each corridor, Ω."""
    cells, on_cells, reff = corridor_currents_on_bands(resistance, sources, links, bands, scheme)
    current = np.zeros(resistance.size)
    current[cells] = on_cells
    return current.reshape(resistance.shape), reff


def pairwise_currents(resistance: np.ndarray, sources: np.ndarray, links: list[Link],
                      scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """Circuitscape pairwise cumulative current on the whole grid, A, and the effective
    resistance between the two sources of each link, Ω."""
    rows, cols = resistance.shape
    n_sources = int(sources.max())
    passable = np.isfinite(resistance)
    node = np.full((rows, cols), -1, dtype=np.int64)
    plain = passable & (sources == 0)
    node[sources > 0] = sources[sources > 0] - 1
    node[plain] = n_sources + np.arange(int(plain.sum()))
    n = n_sources + int(plain.sum())
    plain_rows, plain_cols = np.nonzero(plain)
    node_rows = np.concatenate([np.full(n_sources, np.nan), plain_rows])
    node_cols = np.concatenate([np.full(n_sources, np.nan), plain_cols])
    u, v, g = grid_edges(resistance, node, scheme)
    adjacency = sp.coo_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, component = csgraph.connected_components(adjacency, directed=False)
    node_current = np.zeros(n)
    reff_of: dict[tuple[int, int], float] = {}
    for comp in np.unique(component[:n_sources]):
        focal = np.flatnonzero(component[:n_sources] == comp)
        if focal.size < 2:
            continue
        members = np.flatnonzero(component == comp)
        position = np.full(n, -1)
        position[members] = np.arange(members.size)
        inside = component[u] == comp
        order = nested_dissection(node_rows[members], node_cols[members])
        cur, matrix = pairwise_cumulative(members.size, position[u[inside]], position[v[inside]], g[inside],
                                          position[focal], order=order)
        node_current[members] = cur
        for i, a in enumerate(focal):
            for j, b in enumerate(focal):
                reff_of[(int(a) + 1, int(b) + 1)] = float(matrix[i, j])
    current = np.zeros((rows, cols))
    current[node >= 0] = node_current[node[node >= 0]]
    reff = np.array([reff_of.get((link.source_a, link.source_b), np.nan) for link in links])
    return current, reff


def pinch_points(current: np.ndarray, candidates: np.ndarray, percentile: float) -> tuple[np.ndarray, float]:
    """Cells of ``candidates`` whose current is at or above the ``percentile`` of the current over
    ``candidates`` (and > 0). Returns the mask and the threshold, A (NaN without candidates).

    Currents equal to the threshold up to rounding (relative 1e-9) count as reaching it, so cells
    with the same current are classed alike."""
    values = current[candidates & np.isfinite(current)]
    if values.size == 0:
        return np.zeros(current.shape, dtype=bool), float("nan")
    threshold = float(np.percentile(values, percentile))
    reached = current >= threshold * (1.0 - 1e-9)
    return candidates & reached & (current > 0), threshold


def security_pattern(resistance: np.ndarray, sources: np.ndarray, dx: float, dy: float, *,
                     corridor_width: float, max_corridor_cost: float | None = None,
                     pinch_percentile: float = 90.0, circuit_mode: str = "corridors",
                     scheme: str = "average_conductance", paths: str = "least_cost") -> SecurityPattern:
    r"""Cost distance, corridors, current density and pinch points of a resistance grid.

    Parameters
    ----------
    resistance : ndarray (rows, cols)
        Resistance, dimensionless (> 0; NaN = impassable).
    sources : ndarray of int (rows, cols)
        Source ids 1..n on passable cells, 0 elsewhere.
    dx, dy : float
        Cell width and height, m.
    corridor_width : float
        Half-width of corridor bands as cost distance from the least-cost path, resistance × m.
    max_corridor_cost : float, optional
        Corridors costing more are dropped, resistance × m.
    pinch_percentile : float
        Percentile (0-100) of the current over corridor-band cells (outside sources) at and above
        which a cell is a pinch point.
    circuit_mode : {"corridors", "pairwise"}
        See the module docstring.
    scheme : {"average_conductance", "average_resistance"}
        Circuitscape's cell-to-cell conductance averaging.
    paths : {"least_cost", "within_zones"}
        ``least_cost``: each corridor is the least-cost path between its two sources over the
        whole grid (Linkage Mapper; corridors crossing a third source are dropped), one bounded
        Dijkstra run per source; ``within_zones``: the least-cost path inside the two sources'
        cost-allocation zones, from the single multi-source run (faster).

    Returns
    -------
    SecurityPattern

    Notes
    -----
    Minimum cumulative resistance (Knaapen et al. 1992; Yu 1999) by Dijkstra on the 8-neighbour
    graph (:mod:`.kernels_paths`), corridors between sources whose allocation zones touch
    (McRae & Kavanagh 2011), circuit theory (McRae et al. 2008; :mod:`.kernels_circuit`).
    """
    if circuit_mode not in CIRCUIT_MODES:
        raise ValueError(f"unknown circuit mode {circuit_mode!r}; expected one of {CIRCUIT_MODES}")
    if paths not in PATH_MODES:
        raise ValueError(f"unknown path mode {paths!r}; expected one of {PATH_MODES}")
    # the circuits solve with SciPy's sparse LU (scipy.sparse.linalg, which imports scipy.linalg):
    # imported beside the searches, which run compiled without the GIL
    import_in_background("scipy.sparse.linalg")
    graph = GridSearch(resistance, dx, dy)  # the step-cost graph, never built (grid_dijkstra)
    result = cost_distance(graph, sources)
    links = zone_links(resistance, result, dx, dy)
    # from here on the predecessors are not needed, and the distance only as the float32 output
    unreached = ~np.isfinite(result.distance)
    distance = result.distance.astype(np.float32)
    distance[unreached] = np.nan
    allocation = result.allocation
    del result, unreached
    if paths == "least_cost":
        links = least_cost_links(graph, sources, links, dx, dy)
    if max_corridor_cost is not None:
        links = [link for link in links if link.cost <= max_corridor_cost]
    bands = [corridor_band(graph, link.cells, corridor_width) for link in links]
    del graph
    in_band = np.zeros(resistance.size, dtype=bool)
    for band in bands:
        in_band[band] = True
    corridor = in_band.reshape(resistance.shape)
    passable = np.isfinite(resistance)
    if circuit_mode == "corridors":
        # the current is summed on the bands' cells only (every other cell carries none): no
        # float64 grid of it; the same values, percentile and pinch points as on the grid
        cells, on_cells, reff = corridor_currents_on_bands(resistance, sources, links, bands, scheme)
        del bands
        on_cells[~passable.reshape(-1)[cells]] = np.nan
        candidates = corridor.reshape(-1)[cells] & (sources.reshape(-1)[cells] == 0)
        pinch_on, threshold = pinch_points(on_cells, candidates, pinch_percentile)
        pinch = np.zeros(resistance.shape, dtype=bool)
        pinch.reshape(-1)[cells] = pinch_on
        current32 = np.zeros(resistance.shape, dtype=np.float32)  # the output's precision
        flat = current32.reshape(-1)  # a view
        flat[cells] = on_cells
        flat[~passable.reshape(-1)] = np.nan
        del cells, on_cells, candidates, pinch_on
    else:
        del bands
        current, reff = pairwise_currents(resistance, sources, links, scheme)
        current[~passable] = np.nan  # in place: the current maps are this function's own arrays
        pinch, threshold = pinch_points(current, corridor & (sources == 0), pinch_percentile)
        current32 = current.astype(np.float32)  # the output's precision, after the percentile
        del current
    return SecurityPattern(distance, allocation, links, reff, current32, corridor, pinch,
                           threshold)
