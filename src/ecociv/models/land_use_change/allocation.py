r"""Spatial allocation of land-use demand: a cellular automaton after PLUS's CARS and FLUS.

One call of :func:`allocate_step` turns the map of one year into the next one whose class areas
(cells per zone and class) meet the demand. Each iteration

1. computes, for every cell that may change, the overall probability of each class k
   (Liu et al. 2017, FLUS; Liang et al. 2021, PLUS)

   .. math:: OP_{i,k} = P_{i,k} \, \Omega_{i,k} \, D_{z,k} \, A_{c,k} \, (1 - sc_{c,k})

   with :math:`P` the suitability, :math:`\Omega_{i,k}` the share of the other cells of the
   n × n window in class k times the class's neighbourhood weight, :math:`D_{z,k}` the adaptive
   coefficient of the class in the cell's zone, :math:`A_{c,k}` the conversion matrix (0/1) and
   :math:`sc_{c,k}` the conversion cost; where :math:`\Omega_{i,k} = 0` a random patch seed may
   start (:math:`r < P_{i,k}`, :math:`OP = P_{i,k}\, r\, \mu_k\, D_{z,k}`, PLUS's CARS);
2. draws a class per cell by a roulette normalised over the cell's classes, and keeps the draw
   when the suitability of the drawn class exceeds the decreasing threshold
   :math:`\tau = \delta^{l} r_1` (:math:`r_1 \sim U[0, 2)`, l raised each time an iteration
   closes less than half of the remaining gap);
3. applies the proposals, thinned so the expected number of cells gained by each class equals
   its remaining need and lost by each class its surplus, while no class gains more than it
   needs and none loses more than it has to spare (so the areas never overshoot the demand);
4. updates :math:`D_{z,k}` by FLUS's adaptive inertia rule from the last two gaps
   :math:`G = \text{demand} - \text{area}`: unchanged if :math:`|G^{t-1}| \le |G^{t-2}|`, times
   :math:`G^{t-2}/G^{t-1}` if :math:`G^{t-1} < G^{t-2} < 0`, times :math:`G^{t-1}/G^{t-2}` if
   :math:`0 < G^{t-2} < G^{t-1}`.

It stops when every (zone, class) gap is within the tolerance or after ``max_iterations``; the
gap left is returned (and reported by the model), never dropped. Loops are compiled
(``ca_loops.py``); there is no per-cell Python loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ecociv.errors import InputError

#: largest number of classes the restriction bitmask holds (uint32)
MAX_CLASSES = 31
#: a restriction bitmask with every bit set: the cell may not change at all
ALL_BITS = np.uint32(0xFFFFFFFF)


@dataclass(frozen=True)
class Neighbourhood:
    """The Moore window (``size`` × ``size`` cells, odd) and the weight of each class (0-1)."""

    size: int
    weights: NDArray[np.float64]

    def __post_init__(self) -> None:
        if self.size < 3 or self.size % 2 == 0:
            raise InputError(f"neighbourhood size must be an odd number ≥ 3, got {self.size}",
                             source="neighbourhood_size")


@dataclass(frozen=True)
class PatchSettings:
    """CARS seeds and the stopping rule.

    ``seed_coefficient`` μ_k (per class, 0-1); ``threshold_decay`` δ (0-1); ``max_iterations``
    per step; ``tolerance`` the gap allowed per (zone, class), as a fraction of the class's
    demanded cells (0 = exact)."""

    seed_coefficient: NDArray[np.float64]
    threshold_decay: float = 0.9
    max_iterations: int = 40
    tolerance: float = 0.0


@dataclass
class AllocationState:
    """What :func:`allocate_step` returns besides the map (and takes back the next step).

    ``coefficient``: the adaptive coefficients D (zones, classes); ``gap``: demand − area left
    (cells, zones × classes); ``iterations``: iterations run; ``converged``: every gap within the
    tolerance; ``history``: the two last gaps (for the inertia rule)."""

    coefficient: NDArray[np.float64]
    gap: NDArray[np.int64] | None = None
    iterations: int = 0
    converged: bool = False
    history: list[NDArray[np.int64]] = field(default_factory=list)


def class_index(codes_map: NDArray[np.integer] | NDArray[np.floating], codes: Sequence[int],
                valid: NDArray[np.bool_] | None = None, *, source: str = "land_use",
                row_offset: int = 0) -> NDArray[np.int8]:
    """The class map as indices into ``codes`` (int8, -1 outside ``valid`` or missing).

    ``row_offset``: the row of the grid where ``codes_map`` starts (a band of rows), for the
    cell named in the error.

    Raises
    ------
    InputError
        When a valid cell holds a code not in ``codes`` (first such cell named).
    """
    values = np.asarray(codes_map)
    inside = np.isfinite(values) if values.dtype.kind == "f" else np.ones(values.shape, bool)
    if valid is not None:
        inside &= valid
    lookup = {int(code): i for i, code in enumerate(codes)}
    out = np.full(values.shape, -1, dtype=np.int8)
    present = np.unique(values[inside]).astype(np.int64)
    unknown = [int(v) for v in present if int(v) not in lookup]
    if unknown:
        row, col = np.argwhere(inside & np.isin(values, unknown))[0]
        raise InputError(f"land-use code(s) {unknown} are not in the class table (codes "
                         f"{list(codes)})", source=source,
                         where=f"cell (row {row + row_offset}, col {col})")
    for code, i in lookup.items():
        out[inside & (values == code)] = i
    return out


def zone_areas(cls: NDArray[np.int8], zone: NDArray[np.int16] | None, n_zones: int,
               k: int) -> NDArray[np.int64]:
    """Cells per (zone, class) (one compiled pass; cells in no zone are not counted)."""
    from ecociv.models.land_use_change import ca_loops

    zone_arg = np.zeros((1, 1), np.int16) if zone is None else zone.astype(np.int16, copy=False)
    return ca_loops.zone_class_counts(np.ascontiguousarray(cls, dtype=np.int8), zone_arg,
                                      n_zones, k)


def _adapt(coefficient: NDArray[np.float64], older: NDArray[np.int64],
           newer: NDArray[np.int64]) -> NDArray[np.float64]:
    """FLUS's adaptive inertia rule (Liu et al. 2017) on gaps G = demand − area."""
    out = coefficient.copy()
    shrink = (newer < older) & (older < 0)
    grow = (older > 0) & (older < newer)
    out[shrink] *= older[shrink] / newer[shrink]
    out[grow] *= newer[grow] / older[grow]
    return out


def allocate_step(current: NDArray[np.int8], suitability: NDArray[np.float32],
                  demand_cells: NDArray[np.int64], *, neighbourhood: Neighbourhood,
                  inertia: AllocationState | NDArray[np.float64],
                  conversion: NDArray[np.bool_], costs: NDArray[np.float64],
                  restricted: NDArray[np.uint32] | None, rng: np.random.Generator,
                  patch: PatchSettings, zones: NDArray[np.int16] | None = None,
                  ) -> tuple[NDArray[np.int8], AllocationState]:
    """Allocate one step's demand on the map (module docstring: the method).

    Parameters
    ----------
    current : ndarray of int8, shape (ny, nx)
        Class index per cell (position in the class table), -1 outside the region.
    suitability : ndarray of float32, shape (k, ny, nx)
        Probability of occurrence of each class (0-1).
    demand_cells : ndarray of int64, shape (zones, k)
        Cells each class should cover in each zone at the end of the step; each zone's row
        must sum to its cells in the region.
    neighbourhood : Neighbourhood
        Window size and per-class weights.
    inertia : AllocationState or ndarray, shape (zones, k)
        The state of the previous step, or the initial adaptive coefficients (1 = neutral).
    conversion : ndarray of bool, shape (k, k)
        Allowed conversions, rows = from class, columns = to class.
    costs : ndarray of float, shape (k, k)
        Conversion costs (0-1), rows = from, columns = to.
    restricted : ndarray of uint32, shape (ny, nx), optional
        Bit k set: the cell may not become class k (all bits: may not change).
    rng : numpy.random.Generator
        Source of the iteration seeds (the run is reproduced by its seed).
    patch : PatchSettings
        Seeds, threshold decay, iterations and tolerance.
    zones : ndarray of int16, shape (ny, nx), optional
        Zone index per cell (0-based; -1 = in no zone: never changes). None = one zone.

    Returns
    -------
    (ndarray of int8, AllocationState)
        The new class map and the state (coefficients, gap left, iterations).
    """
    from ecociv.models.land_use_change import ca_loops

    k = suitability.shape[0]
    if k > MAX_CLASSES:
        raise InputError(f"at most {MAX_CLASSES} classes are supported, got {k}",
                         source="classes")
    n_zones = demand_cells.shape[0]
    cls = current.copy()
    state = (inertia if isinstance(inertia, AllocationState)
             else AllocationState(coefficient=np.asarray(inertia, np.float64).copy()))
    coefficient = state.coefficient.copy()
    area = zone_areas(cls, zones, n_zones, k)
    if not np.array_equal(area.sum(axis=1), demand_cells.sum(axis=1)):
        raise InputError(f"demand totals per zone {demand_cells.sum(axis=1).tolist()} (cells) "
                         f"differ from the cells of each zone {area.sum(axis=1).tolist()}",
                         source="demand")
    tolerance = np.floor(patch.tolerance * demand_cells).astype(np.int64)
    zone_arg = np.zeros((1, 1), np.int16) if zones is None else zones.astype(np.int16, copy=False)
    mask_arg = np.zeros((1, 1), np.uint32) if restricted is None else restricted
    prob = np.ascontiguousarray(suitability, dtype=np.float32)
    allowed = np.ascontiguousarray(conversion, dtype=np.bool_)
    keep = np.ascontiguousarray(1.0 - np.asarray(costs, np.float64))
    weights = np.asarray(neighbourhood.weights, np.float64)
    seeds = np.asarray(patch.seed_coefficient, np.float64)
    radius = neighbourhood.size // 2
    level = 0
    history = list(state.history)
    iterations = 0
    gap = demand_cells - area
    history = [*history, gap.copy()][-2:]
    if len(history) == 2:  # the gap left by the previous step against this step's
        coefficient = _adapt(coefficient, history[0], history[1])
    while iterations < patch.max_iterations and np.any(np.abs(gap) > tolerance):
        need = np.maximum(gap, 0)
        surplus = np.maximum(-gap, 0)
        seed = np.uint64(rng.integers(0, 2**63, dtype=np.int64))
        proposal = ca_loops.propose(cls, prob, zone_arg, mask_arg, need, surplus, weights,
                                    radius, coefficient, allowed, keep, seeds,
                                    float(patch.threshold_decay ** level), seed)
        counts = ca_loops.count_proposals(cls, proposal, zone_arg, n_zones, k)
        chance = _chance(counts, need, surplus)
        before = int(np.abs(gap).sum())
        ca_loops.accept(cls, proposal, zone_arg, chance, need, surplus, seed,
                        int(rng.integers(0, cls.shape[0])))
        del proposal
        gap = np.where(gap > 0, need, -surplus)
        iterations += 1
        if before - int(np.abs(gap).sum()) < before / 2:
            level += 1
        history = [*history, gap.copy()][-2:]
        if len(history) == 2:
            coefficient = _adapt(coefficient, history[0], history[1])
    converged = not np.any(np.abs(gap) > tolerance)
    return cls, AllocationState(coefficient=coefficient, gap=gap, iterations=iterations,
                                converged=converged, history=history)


def _chance(counts: NDArray[np.int64], need: NDArray[np.int64],
            surplus: NDArray[np.int64]) -> NDArray[np.float64]:
    """Acceptance probability per (zone, from, to): the expected gain of each class is its
    need plus three binomial standard deviations, and the expected loss of each class its
    surplus plus as much (capped at 1)."""
    into = counts.sum(axis=1).astype(np.float64)                       # (z, to)
    # aim three binomial standard deviations above the need, so one pass nearly always fills
    # it; the caps in `accept` stop at the need exactly
    wanted = need + 3.0 * np.sqrt(need)
    p_to = np.minimum(1.0, np.divide(wanted, into, out=np.ones_like(into), where=into > 0))
    expected_loss = (counts * p_to[:, None, :]).sum(axis=2)            # (z, from)
    spare = surplus + 3.0 * np.sqrt(surplus)
    p_from = np.minimum(1.0, np.divide(spare, expected_loss, out=np.ones_like(expected_loss),
                                       where=expected_loss > 0))
    return np.ascontiguousarray(p_from[:, :, None] * p_to[:, None, :])


def feasibility(current: NDArray[np.int8], suitability: NDArray[np.float32],
                demand_cells: NDArray[np.int64], *, conversion: NDArray[np.bool_],
                restricted: NDArray[np.uint32] | None, zones: NDArray[np.int16] | None,
                ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Shortfalls of a step's demand that no allocation can meet (cells, zones × classes).

    Per zone, the largest flow of cells from the classes that must shrink to those that must
    grow, each pair (c, k) limited to the cells of c that could become k (allowed by the
    conversion matrix, not restricted, suitability of k > 0), is a small linear program
    (HiGHS through SciPy). Returns ``(gain_shortfall, loss_shortfall)``: the cells each
    growing class needs beyond that flow and the cells each shrinking class must lose beyond it
    (all zeros when the demand can be met)."""
    from scipy.optimize import linprog

    from ecociv.models.land_use_change import ca_loops

    k = suitability.shape[0]
    n_zones = demand_cells.shape[0]
    gap = demand_cells - zone_areas(current, zones, n_zones, k)
    need, surplus = np.maximum(gap, 0), np.maximum(-gap, 0)
    gain_short = np.zeros_like(need)
    loss_short = np.zeros_like(need)
    if not need.any():
        return gain_short, loss_short
    zone_arg = np.zeros((1, 1), np.int16) if zones is None else zones.astype(np.int16, copy=False)
    mask_arg = np.zeros((1, 1), np.uint32) if restricted is None else restricted
    pairs = ca_loops.convertible(current, np.ascontiguousarray(suitability, np.float32),
                                 zone_arg, mask_arg, np.ascontiguousarray(conversion, bool),
                                 np.ascontiguousarray(surplus > 0), n_zones)
    for z in np.flatnonzero(need.sum(axis=1)):   # a loop over zones, not cells
        bounds = np.minimum(pairs[z], np.minimum.outer(surplus[z], need[z]))
        c_idx, k_idx = np.nonzero(bounds)
        flow = np.zeros((k, k))
        if c_idx.size:
            n = c_idx.size
            rows = np.zeros((2 * k, n))
            rows[c_idx, np.arange(n)] = 1.0
            rows[k + k_idx, np.arange(n)] = 1.0
            result = linprog(-np.ones(n), A_ub=rows,
                             b_ub=np.concatenate([surplus[z], need[z]]).astype(float),
                             bounds=list(zip(np.zeros(n), bounds[c_idx, k_idx], strict=True)),
                             method="highs")
            flow[c_idx, k_idx] = np.round(result.x)
        gain_short[z] = need[z] - flow.sum(axis=0).astype(np.int64)
        loss_short[z] = surplus[z] - flow.sum(axis=1).astype(np.int64)
    return gain_short, loss_short


def cells_from_km2(area_km2: NDArray[np.float64], zone_cells: NDArray[np.int64],
                   cell_area_km2: float) -> NDArray[np.int64]:
    """Demanded areas (zones × classes, km²) as cell counts summing to each zone's cells, by
    largest-remainder rounding after scaling each zone's demand to its area (lulcc's roundSum)."""
    cells = np.asarray(area_km2, np.float64) / cell_area_km2
    totals = cells.sum(axis=1, keepdims=True)
    scaled = np.divide(cells * zone_cells[:, None], totals, out=np.zeros_like(cells),
                       where=totals > 0)
    floor = np.floor(scaled).astype(np.int64)
    short = zone_cells - floor.sum(axis=1)
    order = np.argsort(-(scaled - floor), axis=1, kind="stable")
    for z in range(cells.shape[0]):
        floor[z, order[z, : short[z]]] += 1
    return floor
