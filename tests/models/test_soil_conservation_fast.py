"""The fast RUSLE kernels of ``soil_conservation`` against the straightforward versions they
replaced (benchmarks/bench_services.py, issue 4): Horn's gradient with its complete windows in
one pass, D8 receivers without a padded copy, flow accumulation deduplicating waves in O(n)
instead of ``np.unique``, LS evaluated in place, and R month by month.

The references below are the previous implementations (commit 1167dd8), kept here verbatim in
substance. Stated tolerances: bit-identical (``assert_array_equal``) for the gradient, the
receivers, LS and R on a month-first array; flow accumulation and R on other memory layouts
differ only in the order of a floating-point sum (relative 1e-13; exact for the integer cell
areas LS accumulates).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecociv.models.soil_conservation import kernels

# --- the previous implementations --------------------------------------------------------------


def _shifted(padded: np.ndarray, drow: int, dcol: int) -> np.ndarray:
    rows, cols = padded.shape[0] - 2, padded.shape[1] - 2
    return padded[1 + drow: 1 + drow + rows, 1 + dcol: 1 + dcol + cols]


def _difference(before: np.ndarray, centre: np.ndarray, after: np.ndarray,
                spacing: float) -> np.ndarray:
    central = (after - before) / (2.0 * spacing)
    forward = (after - centre) / spacing
    backward = (centre - before) / spacing
    return np.where(~np.isnan(central), central, np.where(~np.isnan(forward), forward, backward))


def reference_horn_gradient(dem: np.ndarray, dx: float, dy: float) -> tuple[np.ndarray, ...]:
    z = np.asarray(dem, dtype=np.float64)
    padded = np.pad(z, 1, constant_values=np.nan)

    def at(drow: int, dcol: int) -> np.ndarray:
        return _shifted(padded, drow, dcol)

    def weighted(parts: list[np.ndarray]) -> np.ndarray:
        total = np.zeros(z.shape)
        weight = np.zeros(z.shape)
        for part, w in zip(parts, (1.0, 2.0, 1.0), strict=True):
            usable = ~np.isnan(part)
            total += np.where(usable, w * part, 0.0)
            weight += np.where(usable, w, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(weight > 0, total / weight, 0.0)
        return np.where(np.isnan(z), np.nan, mean)

    with np.errstate(invalid="ignore"):
        dzdx = weighted([_difference(at(r, -1), at(r, 0), at(r, 1), dx) for r in (-1, 0, 1)])
        dzdy = weighted([_difference(at(1, c), at(0, c), at(-1, c), dy) for c in (-1, 0, 1)])
    return dzdx, dzdy


def reference_d8_receivers(dem: np.ndarray, dx: float, dy: float) -> np.ndarray:
    z = np.asarray(dem, dtype=np.float64)
    rows, cols = z.shape
    padded = np.pad(z, 1, constant_values=np.nan)
    best = np.zeros(z.shape)
    receiver = np.full(z.shape, -1, dtype=np.int64)
    index = np.arange(rows * cols, dtype=np.int64).reshape(rows, cols)
    for drow, dcol in kernels.D8_OFFSETS:
        distance = float(np.hypot(drow * dy, dcol * dx))
        with np.errstate(invalid="ignore"):
            drop = (z - _shifted(padded, drow, dcol)) / distance
        better = drop > best
        best = np.where(better, drop, best)
        receiver = np.where(better, index + drow * cols + dcol, receiver)
    return receiver


def reference_flow_accumulation(receivers: np.ndarray, weights: np.ndarray) -> np.ndarray:
    shape = np.shape(weights)
    target = np.asarray(receivers, dtype=np.int64).ravel()
    total = np.nan_to_num(np.asarray(weights, dtype=np.float64).ravel().copy(), nan=0.0)
    has = target >= 0
    pending = np.bincount(target[has], minlength=target.size)
    wave = np.flatnonzero(pending == 0)
    while wave.size:
        wave = wave[target[wave] >= 0]
        if not wave.size:
            break
        destination = target[wave]
        np.add.at(total, destination, total[wave])
        np.subtract.at(pending, destination, 1)
        reached = np.unique(destination)
        wave = reached[pending[reached] == 0]
    return total.reshape(shape)


def reference_ls_factor(dem: np.ndarray, dx: float, dy: float, *, max_slope_length: float,
                        steep_threshold_degrees: float = 10.0) -> np.ndarray:
    z = np.asarray(dem, dtype=np.float64)
    dzdx, dzdy = reference_horn_gradient(z, dx, dy)
    theta = kernels.slope_angle(dzdx, dzdy)
    area = np.where(np.isnan(z), 0.0, dx * dy)
    accumulated = reference_flow_accumulation(reference_d8_receivers(z, dx, dy), area)
    upslope = accumulated - area
    length = kernels.slope_length_factor(upslope, float(np.sqrt(dx * dy)),
                                         kernels.contour_factor(dzdx, dzdy),
                                         kernels.slope_length_exponent(theta), max_slope_length)
    steep = kernels.slope_steepness_factor(theta, np.radians(steep_threshold_degrees))
    ls = np.maximum(length * steep, 0.0)
    return np.where(np.isnan(z), np.nan, ls)


def reference_rainfall_erosivity(monthly_precipitation: np.ndarray, axis: int = 0) -> np.ndarray:
    monthly = np.moveaxis(np.asarray(monthly_precipitation, dtype=np.float64), axis, 0)
    monthly = np.where(monthly < 0, np.nan, monthly)
    annual = monthly.sum(axis=0)
    cubes = (monthly**3).sum(axis=0)
    coefficient = kernels.R_US_TO_SI * kernels.FOURNIER_COEFFICIENT * 10.0**kernels.FOURNIER_OFFSET
    with np.errstate(divide="ignore", invalid="ignore"):
        r = coefficient * cubes / annual**kernels.FOURNIER_EXPONENT
    return np.where(annual == 0, 0.0, r)


# --- random DEMs with flats, pits, holes and edges ---------------------------------------------


def _dem(seed: int, rows: int, cols: int, holes: float, flats: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.normal(100.0, 5.0, (rows, cols)).cumsum(axis=seed % 2)  # a slope with noise
    if flats:
        z = np.round(z / 4.0) * 4.0  # plateaus and ties between neighbours
    z[rng.random((rows, cols)) < holes] = np.nan
    return z


DEMS = st.tuples(st.integers(0, 10_000), st.integers(1, 12), st.integers(1, 12),
                 st.sampled_from([0.0, 0.1, 0.35]), st.booleans())
SPACINGS = st.sampled_from([(30.0, 30.0), (25.5, 31.0), (1.0, 1.0)])


@settings(max_examples=60, deadline=None)
@given(DEMS, SPACINGS)
def test_gradient_receivers_and_ls_are_bit_identical(dem_args: tuple, spacing: tuple) -> None:
    z = _dem(*dem_args)
    dx, dy = spacing
    for fast, reference in zip(kernels.horn_gradient(z, dx, dy),
                               reference_horn_gradient(z, dx, dy), strict=True):
        np.testing.assert_array_equal(fast, reference)
    np.testing.assert_array_equal(kernels.d8_receivers(z, dx, dy),
                                  reference_d8_receivers(z, dx, dy))
    for cap in (np.inf, 45.0):
        np.testing.assert_array_equal(
            kernels.ls_factor(z, dx, dy, max_slope_length=cap, steep_threshold_degrees=10.0),
            reference_ls_factor(z, dx, dy, max_slope_length=cap, steep_threshold_degrees=10.0))


@settings(max_examples=40, deadline=None)
@given(DEMS, st.integers(0, 1000))
def test_flow_accumulation_matches_the_unique_based_version(dem_args: tuple, seed: int) -> None:
    z = _dem(*dem_args)
    receivers = kernels.d8_receivers(z, 30.0, 30.0)
    weights = np.random.default_rng(seed).uniform(0.0, 5.0, z.shape)
    weights[np.random.default_rng(seed + 1).random(z.shape) < 0.2] = np.nan
    # only the order in which a receiver's donors are added differs
    np.testing.assert_allclose(kernels.flow_accumulation(receivers, weights),
                               reference_flow_accumulation(receivers, weights), rtol=1e-13)
    areas = np.where(np.isnan(z), 0.0, 900.0)  # integers: every order gives the exact sum
    np.testing.assert_array_equal(kernels.flow_accumulation(receivers, areas),
                                  reference_flow_accumulation(receivers, areas))


def test_ls_on_a_larger_dem_with_a_nodata_disc() -> None:
    z = _dem(7, 120, 90, 0.0, False)
    rows, cols = np.ogrid[:120, :90]
    z[(rows - 60) ** 2 + (cols - 45) ** 2 < 15**2] = np.nan
    np.testing.assert_array_equal(kernels.ls_factor(z, 30.0, 30.0, max_slope_length=333.0),
                                  reference_ls_factor(z, 30.0, 30.0, max_slope_length=333.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erosivity_month_by_month(dtype: type) -> None:
    rng = np.random.default_rng(5)
    monthly: np.ndarray = rng.gamma(0.6, 30.0, (12, 17, 23)).astype(dtype)
    monthly[rng.random(monthly.shape) < 0.2] = 0.0
    monthly[:, 0, 0] = 0.0  # a dry cell: R = 0
    monthly[4, 1, 1] = -1.0  # negative month: NaN
    monthly[2, 2, 2] = np.nan
    # month-first layout (as the model passes it): the same additions in the same order
    np.testing.assert_array_equal(kernels.rainfall_erosivity(monthly),
                                  reference_rainfall_erosivity(monthly))
    # months last and contiguous: NumPy's sum there is pairwise, ours in month order
    last = np.ascontiguousarray(np.moveaxis(monthly, 0, -1))
    np.testing.assert_allclose(kernels.rainfall_erosivity(last, axis=-1),
                               reference_rainfall_erosivity(last, axis=-1), rtol=1e-13)
