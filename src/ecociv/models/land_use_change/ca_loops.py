r"""Compiled cell loops (numba) of the land-use cellular automaton in ``allocation.py``.

Every random number is a counter-based draw: a SplitMix64 hash of (iteration seed, cell index,
stream), so the result of a loop does not depend on how many threads run it or in which order
(the proposal loop runs rows in parallel, ``prange``), and a run is reproduced by its seed.

The module is imported when the allocation first runs (numba takes 0.2-0.5 s to import); the
compiled code is cached on disk (``cache=True``) after the first call in an environment.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit
from ecociv.models.land_use_change.allocation import ALL_BITS

# ecociv.compiled.jit: numba.njit(cache=True, ...) that also works where no cache can be written
# (a read-only install); the serial loops load from the cache without numba's compiler set-up
_jit = jit(nogil=True, error_model="numpy")
_parallel = jit(nogil=True, parallel=True, error_model="numpy")



@jit(inline="always", lean=False)
def uniform(seed: np.uint64, index: np.int64, stream: np.int64) -> float:
    """A draw of U[0, 1) from (seed, cell index, stream): SplitMix64's finaliser (Steele, Lea &
    Flood 2014) on a Weyl sequence, the top 53 bits as a double."""
    z = (seed + np.uint64(index) * np.uint64(0x9E3779B97F4A7C15)
         + np.uint64(stream) * np.uint64(0xD1B54A32D192ED03))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@_parallel
def propose(cls: NDArray[np.int8], prob: NDArray[np.float32], zone: NDArray[np.int16],
            restricted: NDArray[np.uint32], need: NDArray[np.int64], surplus: NDArray[np.int64],
            weights: NDArray[np.float64], radius: int, coefficient: NDArray[np.float64],
            allowed: NDArray[np.bool_], keep: NDArray[np.float64],
            seed_coefficient: NDArray[np.float64], threshold: float,
            seed: np.uint64) -> NDArray[np.int8]:
    """The class each cell proposes to change to (-1: none), from the map at the start of the
    iteration (synchronous update).

    For a cell of class c in zone z that may lose cells (``surplus[z, c] > 0``), the overall
    probability of each class k is ``P_k × Ω_k × D_zk × (1 − cost_ck)`` (own class: no cost),
    ``Ω_k`` = share of the window's other cells in class k × weight k; where ``Ω_k = 0`` a patch
    seed may start: if r < P_k (r ~ U[0, 1), one draw per cell and iteration) the term is
    ``P_k × r × μ_k × D_zk``. Classes that
    need no more cells in the zone, are not allowed from c, or are restricted at the cell get 0.
    A roulette normalised over the cell's classes picks k; a change is proposed when k ≠ c and
    ``P_k > threshold × r1`` (r1 ~ U[0, 2), mean 1).
    """
    ny, nx = cls.shape
    k = prob.shape[0]
    zoned = zone.shape[0] == ny and zone.shape[1] == nx
    masked = restricted.shape[0] == ny and restricted.shape[1] == nx
    window = float((2 * radius + 1) ** 2 - 1)
    out = np.full((ny, nx), -1, dtype=np.int8)
    for row in numba.prange(ny):
        counts = np.zeros(k, dtype=np.float64)
        op = np.zeros(k, dtype=np.float64)
        r0 = max(0, row - radius)
        r1 = min(ny, row + radius + 1)
        for col in range(nx):
            c = cls[row, col]
            if c < 0:
                continue
            z = zone[row, col] if zoned else 0
            if z < 0 or surplus[z, c] <= 0:
                continue
            bits = restricted[row, col] if masked else np.uint32(0)
            if bits == ALL_BITS:
                continue
            for j in range(k):
                counts[j] = 0.0
            c0 = max(0, col - radius)
            c1 = min(nx, col + radius + 1)
            for rr in range(r0, r1):
                for cc in range(c0, c1):
                    v = cls[rr, cc]
                    if v >= 0:
                        counts[v] += 1.0
            counts[c] -= 1.0
            index = np.int64(row) * nx + col
            r = uniform(seed, index, np.int64(1))   # the seed draw, one per cell
            total = 0.0
            last = -1
            for j in range(k):
                op[j] = 0.0
                if j != c and (need[z, j] <= 0 or not allowed[c, j]
                               or (bits >> np.uint32(j)) & np.uint32(1)):
                    continue
                p = float(prob[j, row, col])
                if not p > 0.0:
                    continue
                omega = counts[j] / window * weights[j]
                if omega > 0.0:
                    value = p * omega * coefficient[z, j]
                else:
                    value = p * r * seed_coefficient[j] * coefficient[z, j] if r < p else 0.0
                if j != c:
                    value *= keep[c, j]
                if value > 0.0:
                    op[j] = value
                    total += value
                    last = j
            if last < 0:
                continue
            u = uniform(seed, index, np.int64(0)) * total
            pick = last
            acc = 0.0
            for j in range(k):
                acc += op[j]
                if op[j] > 0.0 and u < acc:
                    pick = j
                    break
            if pick == c:
                continue
            if prob[pick, row, col] > threshold * 2.0 * uniform(seed, index, np.int64(64)):
                out[row, col] = pick
    return out


@_jit
def count_proposals(cls: NDArray[np.int8], proposal: NDArray[np.int8], zone: NDArray[np.int16],
                    n_zones: int, k: int) -> NDArray[np.int64]:
    """Proposals per (zone, from class, to class)."""
    ny, nx = cls.shape
    zoned = zone.shape[0] == ny and zone.shape[1] == nx
    counts = np.zeros((n_zones, k, k), dtype=np.int64)
    for row in range(ny):
        for col in range(nx):
            t = proposal[row, col]
            if t >= 0:
                z = zone[row, col] if zoned else 0
                counts[z, cls[row, col], t] += 1
    return counts


@_jit
def accept(cls: NDArray[np.int8], proposal: NDArray[np.int8], zone: NDArray[np.int16],
           chance: NDArray[np.float64], need: NDArray[np.int64], surplus: NDArray[np.int64],
           seed: np.uint64, start_row: int) -> int:
    """Apply proposals in place: each with probability ``chance[z, c, t]`` while class t still
    needs cells and class c still has cells to give in the zone (``need`` and ``surplus``
    decremented). Rows are visited from ``start_row`` on, wrapping, so the rows where caps bite
    change between iterations. Returns the number of cells changed."""
    ny, nx = cls.shape
    zoned = zone.shape[0] == ny and zone.shape[1] == nx
    changed = 0
    for i in range(ny):
        row = (start_row + i) % ny
        for col in range(nx):
            t = proposal[row, col]
            if t < 0:
                continue
            c = cls[row, col]
            z = zone[row, col] if zoned else 0
            if need[z, t] <= 0 or surplus[z, c] <= 0:
                continue
            if uniform(seed, np.int64(row) * nx + col, np.int64(65)) >= chance[z, c, t]:
                continue
            cls[row, col] = t
            need[z, t] -= 1
            surplus[z, c] -= 1
            changed += 1
    return changed


@_jit
def convertible(cls: NDArray[np.int8], prob: NDArray[np.float32], zone: NDArray[np.int16],
                restricted: NDArray[np.uint32], allowed: NDArray[np.bool_],
                gives: NDArray[np.bool_], n_zones: int) -> NDArray[np.int64]:
    """Cells of class c that could become class k, per (zone, c, k): allowed by the conversion
    matrix, not restricted for k, with ``P_k > 0``; only for the classes that have cells to give
    in the zone (``gives[z, c]``). One serial pass (cheaper than the threads'
    start-up on a busy machine: 0.1 s for 4 million cells)."""
    ny, nx = cls.shape
    k = prob.shape[0]
    zoned = zone.shape[0] == ny and zone.shape[1] == nx
    masked = restricted.shape[0] == ny and restricted.shape[1] == nx
    total = np.zeros((n_zones, k, k), dtype=np.int64)
    for row in range(ny):
        for col in range(nx):
            c = cls[row, col]
            if c < 0:
                continue
            z = zone[row, col] if zoned else 0
            if z < 0 or not gives[z, c]:
                continue
            bits = restricted[row, col] if masked else np.uint32(0)
            for j in range(k):
                if j == c or not allowed[c, j] or (bits >> np.uint32(j)) & np.uint32(1):
                    continue
                if prob[j, row, col] > 0.0:
                    total[z, c, j] += 1
    return total


@_jit
def zone_class_counts(cls: NDArray[np.int8], zone: NDArray[np.int16], n_zones: int,
                      k: int) -> NDArray[np.int64]:
    """Cells per (zone, class); cells outside the region (class -1) or in no zone (-1) are
    not counted."""
    ny, nx = cls.shape
    zoned = zone.shape[0] == ny and zone.shape[1] == nx
    counts = np.zeros((n_zones, k), dtype=np.int64)
    for row in range(ny):
        for col in range(nx):
            c = cls[row, col]
            if c < 0:
                continue
            z = zone[row, col] if zoned else 0
            if z >= 0:
                counts[z, c] += 1
    return counts


@_jit
def pair_counts(first: NDArray[np.int8], last: NDArray[np.int8], k: int) -> NDArray[np.int64]:
    """Cells per (class in ``first``, class in ``last``), rows = from; cells outside either
    map (-1) are not counted."""
    ny, nx = first.shape
    counts = np.zeros((k, k), dtype=np.int64)
    for row in range(ny):
        for col in range(nx):
            a = first[row, col]
            b = last[row, col]
            if a >= 0 and b >= 0:
                counts[a, b] += 1
    return counts
