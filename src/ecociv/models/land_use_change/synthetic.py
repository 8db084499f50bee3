r"""Synthetic landscapes made by a known process, to check that the model recovers what made them.

The process (all vectorised over cells; loops over years and classes only):

1. **Drivers**: ``d`` independent Gaussian random fields, white noise smoothed by a Gaussian filter
   of ``correlation_cells`` and standardised to mean 0, standard deviation 1 (dimensionless).
2. **True suitability** of class ``j``: :math:`s_j(x) = 1 / (1 + \exp(-w_j \cdot z(x)))` with the
   given weights :math:`w_j` (one per driver); the **true ranking** of drivers for class ``j`` is the
   order of :math:`|w_{j,i}|`, largest first.
3. **Initial map**: a smooth field independent of the drivers cut at the quantiles of
   ``initial_shares`` (contiguous patches with exactly those shares).
4. **Each year**, a cell of class ``i`` moves to class ``j != i`` with probability
   :math:`q_{ij}(x) = P_{ij}\, s_j(x) / \bar s_{j \mid i}`, where :math:`\bar s_{j \mid i}` is the mean of
   :math:`s_j` over the cells of class ``i`` that year. So the expected share of class-``i`` cells
   moving to ``j`` in a year is exactly :math:`P_{ij}` (the known annual matrix), and where they go is
   set by the suitability. If :math:`\sum_j q_{ij}(x) > 1` in a cell (strong suitability contrast and
   large off-diagonal probabilities), that cell's probabilities are scaled to sum to 1; the count of
   such cells is reported in ``Landscape.clipped_cells`` (0 for the defaults used in the tests).

Because cells that moved once can move again, the ``years``-year matrix of the two maps equals
:math:`P^{n}` only in expectation for a spatially homogeneous process; here it is close to it when the
off-diagonal probabilities are small (a few %/yr), which the tests state as their tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from ecociv.errors import InputError
from ecociv.models.land_use_change.demand import _check_codes, _check_stochastic

__all__ = ["Landscape", "make_landscape"]


@dataclass(frozen=True)
class Landscape:
    """A synthetic landscape and the truth that made it.

    Attributes
    ----------
    initial, final : numpy.ndarray of int16, shape (ny, nx)
        Class maps at the start and after ``years`` annual steps.
    drivers : numpy.ndarray of float32, shape (d, ny, nx)
        Standardised driver fields (dimensionless; NaN where ``nan_fraction`` removed values).
    driver_names : list of str
    true_P : numpy.ndarray, shape (k, k)
        The annual transition matrix of the process (rows = from, columns = to).
    true_ranking : dict of int to list of str
        Per class, driver names by decreasing absolute weight (classes with non-zero weights only).
    suitability : numpy.ndarray of float32, shape (k, ny, nx)
        The true suitability surfaces :math:`s_j`.
    weights : numpy.ndarray, shape (k, d)
    codes : list of int
    years : int
    clipped_cells : int
        Cell-years in which the transition probabilities had to be scaled down to sum to 1.
    """

    initial: NDArray[np.int16]
    final: NDArray[np.int16]
    drivers: NDArray[np.float32]
    driver_names: list[str]
    true_P: NDArray[np.float64]  # noqa: N815
    true_ranking: dict[int, list[str]]
    suitability: NDArray[np.float32]
    weights: NDArray[np.float64]
    codes: list[int]
    years: int
    clipped_cells: int


def _field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> NDArray[np.float64]:
    f = ndimage.gaussian_filter(rng.standard_normal(shape), sigma=sigma, mode="wrap")
    return (f - f.mean()) / f.std()


def make_landscape(
    shape: tuple[int, int],
    codes: Sequence[int],
    *,
    annual_P: ArrayLike,  # noqa: N803
    suitability_surfaces: Mapping[int, Sequence[float]],
    years: int,
    seed: int,
    driver_names: Sequence[str] | None = None,
    initial_shares: Mapping[int, float] | None = None,
    correlation_cells: float = 2.0,
    nan_fraction: float = 0.0,
) -> Landscape:
    """Make a landscape by the known process described in the module docstring.

    Parameters
    ----------
    shape : (int, int)
        Grid size (ny, nx).
    codes : sequence of int
        Class codes (order of the rows/columns of ``annual_P``).
    annual_P : array_like, shape (k, k)
        Annual transition probabilities (row-stochastic; rows = from).
    suitability_surfaces : mapping of int to sequence of float
        Driver weights per class code (all of the same length ``d``); classes not given get zero
        weights (uniform suitability).
    years : int
        Annual steps between ``initial`` and ``final`` (>= 1).
    seed : int
        Seed of every random draw (same seed, same landscape).
    driver_names : sequence of str, optional
        Default ``driver_1 ... driver_d``.
    initial_shares : mapping of int to float, optional
        Share of each class in the initial map (default equal shares).
    correlation_cells : float
        Standard deviation (cells) of the Gaussian filter that makes the fields smooth.
    nan_fraction : float
        Share of driver values set to NaN at random after the process ran (tests missing data).

    Returns
    -------
    Landscape
    """
    codes_l = _check_codes(codes)
    k = len(codes_l)
    pm = np.array(annual_P, dtype=np.float64)
    _check_stochastic(pm, "annual_P")
    if pm.shape != (k, k):
        raise InputError(f"annual_P must be {k}x{k} for codes {codes_l}, got {pm.shape}", source="annual_P")
    if int(years) < 1:
        raise InputError(f"years must be >= 1, got {years!r}", source="years")
    if len(shape) != 2 or min(shape) < 2:
        raise InputError(f"shape must be (ny, nx) with at least 2 cells each way, got {shape}", source="shape")
    unknown = sorted(set(suitability_surfaces) - set(codes_l))
    if unknown or not suitability_surfaces:
        raise InputError(f"weights must be given for some of the codes {codes_l}; unknown: {unknown}", source="weights")
    lengths = {len(w) for w in suitability_surfaces.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise InputError(
            f"every class needs the same number of driver weights, got {sorted(lengths)}", source="weights"
        )
    d = lengths.pop()
    names = [f"driver_{i + 1}" for i in range(d)] if driver_names is None else [str(n) for n in driver_names]
    if len(names) != d:
        raise InputError(f"{d} driver names needed, got {names}", source="driver_names")
    if not 0.0 <= nan_fraction < 1.0:
        raise InputError(f"nan_fraction must be in [0, 1), got {nan_fraction!r}", source="nan_fraction")
    shares = {c: 1.0 / k for c in codes_l} if initial_shares is None else dict(initial_shares)
    if set(shares) - set(codes_l) or any(s < 0 for s in shares.values()) or not np.isclose(sum(shares.values()), 1.0):
        raise InputError(f"initial shares must be >= 0 for known codes and sum to 1, got {shares}", source="shares")

    ny, nx = int(shape[0]), int(shape[1])
    streams = np.random.default_rng(seed).spawn(4)
    drivers = np.stack([_field(streams[0], (ny, nx), correlation_cells) for _ in range(d)])
    weights = np.zeros((k, d))
    for c, w in suitability_surfaces.items():
        weights[codes_l.index(int(c))] = np.asarray(w, dtype=np.float64)
    z = np.tensordot(weights, drivers, axes=1)  # (k, ny, nx)
    suit = 1.0 / (1.0 + np.exp(-z))

    # initial map: quantiles of a driver-independent smooth field
    patch = _field(streams[1], (ny, nx), max(correlation_cells * 4.0, 1.0))
    cum = np.cumsum([shares.get(c, 0.0) for c in codes_l])[:-1]
    cuts = np.quantile(patch, cum) if cum.size else np.array([])
    current = np.searchsorted(cuts, patch.ravel(), side="right").astype(np.intp)
    initial_idx = current.copy()

    flat_suit = suit.reshape(k, -1)
    rng = streams[2]
    clipped = 0
    for _ in range(int(years)):
        new = current.copy()
        u = rng.random(current.size)
        for i in range(k):
            cells = np.flatnonzero(current == i)
            if cells.size == 0:
                continue
            s = flat_suit[:, cells]
            q = pm[i][:, None] * s / s.mean(axis=1, keepdims=True)
            q[i] = 0.0
            total = q.sum(axis=0)
            over = total > 1.0
            clipped += int(over.sum())
            q[:, over] /= total[over]
            cum_q = np.cumsum(q, axis=0)
            moved = u[cells] < cum_q[-1]
            dest = (u[cells][None, :] >= cum_q).sum(axis=0)
            new[cells[moved]] = dest[moved]
        current = new

    code_arr = np.asarray(codes_l, dtype=np.int16)
    drivers32 = drivers.astype(np.float32)
    if nan_fraction > 0:
        drivers32[streams[3].random(drivers32.shape) < nan_fraction] = np.nan
    ranking = {
        codes_l[j]: [names[i] for i in np.argsort(-np.abs(weights[j]), kind="stable")]
        for j in range(k)
        if np.any(weights[j] != 0)
    }
    return Landscape(
        initial=code_arr[initial_idx].reshape(ny, nx),
        final=code_arr[current].reshape(ny, nx),
        drivers=drivers32,
        driver_names=names,
        true_P=pm,
        true_ranking=ranking,
        suitability=suit.astype(np.float32),
        weights=weights,
        codes=codes_l,
        years=int(years),
        clipped_cells=clipped,
    )
