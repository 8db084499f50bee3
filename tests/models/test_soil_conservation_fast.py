"""The fast RUSLE kernels of ``soil_conservation`` against closed forms and against the factor
functions they fuse.

* Horn's gradient: exact on planes (everywhere, with holes and at the edges, where the one-sided
  differences of a plane are exact too) and on quadratic surfaces in the complete windows (the
  central differences of a quadratic are its derivative).
* D8 receivers: on a plane the steepest-descent neighbour is the one whose direction is nearest
  the downhill gradient (square cells) - derived by hand for every direction.
* Flow accumulation: on a plane draining south-east the accumulated cell count of cell (r, c) is
  min(r, c) + 1; on a strip it is the position along the strip (pyflwdir and a naive path walk
  are the other references: test_soil_conservation_pyflwdir_peer.py, test_soil_conservation.py).
* LS: ``ls_factor`` evaluates the factor functions in compiled passes (tan θ = |∇z|,
  sin θ = |∇z|/√(1 + |∇z|²), NumPy's powers); it must equal their composition within 1e-12
  relative (each factor is checked by hand in test_soil_conservation.py), and chunk by chunk it
  must equal itself on the whole grid bit for bit.
* R: month by month in the log form of the formula (Renard & Freimund 1994), for two layouts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecociv.models.soil_conservation import kernels


def _plane(a: float, b: float, shape: tuple[int, int], dx: float, dy: float) -> np.ndarray:
    """z = a·x + b·y with x east and y north (row 0 = north), m."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    return 100.0 + a * cols * dx - b * rows * dy


# --- Horn's gradient ----------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(a=st.floats(-2, 2), b=st.floats(-2, 2), rows=st.integers(1, 9), cols=st.integers(1, 9),
       spacing=st.sampled_from([(30.0, 30.0), (25.5, 31.0), (1.0, 1.0)]), seed=st.integers(0, 1000))
def test_horn_gradient_is_exact_on_planes_with_holes(a: float, b: float, rows: int, cols: int,
                                                      spacing: tuple, seed: int) -> None:
    dx, dy = spacing
    z = _plane(a, b, (rows, cols), dx, dy)
    z[np.random.default_rng(seed).random(z.shape) < 0.2] = np.nan
    dzdx, dzdy = kernels.horn_gradient(z, dx, dy)
    valid = ~np.isnan(z)
    assert np.array_equal(np.isnan(dzdx), ~valid)
    # each of the three differences of the window is exact on a plane; a cell with none of them
    # (no valid neighbour to difference with) gets 0
    for got, slope in ((dzdx, a), (dzdy, b)):
        assert np.all(np.isclose(got[valid], slope, atol=1e-9) | (got[valid] == 0))
    # where the cell's own row (column) has a neighbour, its difference exists: exactly the slope
    padded = np.pad(z, 1, constant_values=np.nan)
    east_or_west = np.isfinite(padded[1:-1, 2:]) | np.isfinite(padded[1:-1, :-2])
    north_or_south = np.isfinite(padded[2:, 1:-1]) | np.isfinite(padded[:-2, 1:-1])
    np.testing.assert_allclose(dzdx[valid & east_or_west], a, atol=1e-9)
    np.testing.assert_allclose(dzdy[valid & north_or_south], b, atol=1e-9)


def test_horn_gradient_is_exact_on_a_quadratic_inside() -> None:
    # z = 0.01 x² + 0.02 x y - 0.005 y²: dz/dx = 0.02 x + 0.02 y, dz/dy = 0.02 x - 0.01 y
    dx, dy = 30.0, 20.0
    rows, cols = np.mgrid[0:12, 0:15]
    x, y = cols * dx, -rows * dy
    z = 0.01 * x**2 + 0.02 * x * y - 0.005 * y**2
    dzdx, dzdy = kernels.horn_gradient(z, dx, dy)
    inside = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(dzdx[inside], (0.02 * x + 0.02 * y)[inside], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(dzdy[inside], (0.02 * x - 0.01 * y)[inside], rtol=1e-12, atol=1e-9)


# --- D8 receivers ------------------------------------------------------------------------------

# downhill direction (degrees anticlockwise from east, y north) -> (row, col) step of the
# nearest of the 8 directions
NEAREST = [(10.0, (0, 1)), (35.0, (-1, 1)), (80.0, (-1, 0)), (130.0, (-1, -1)), (190.0, (0, -1)),
           (220.0, (1, -1)), (265.0, (1, 0)), (300.0, (1, 1)), (-20.0, (0, 1))]


@pytest.mark.parametrize(("angle", "step"), NEAREST)
def test_d8_on_a_plane_follows_the_nearest_direction(angle: float, step: tuple[int, int]) -> None:
    theta = math.radians(angle)
    # downhill along theta: z = -(cos θ x + sin θ y)
    z = _plane(-math.cos(theta), -math.sin(theta), (9, 11), 10.0, 10.0)
    receivers = kernels.d8_receivers(z, 10.0, 10.0)
    rows, cols = np.mgrid[1:8, 1:10]
    expected = (rows + step[0]) * 11 + cols + step[1]
    np.testing.assert_array_equal(receivers[1:-1, 1:-1], expected)


def test_d8_on_rectangular_cells_uses_true_distances() -> None:
    # a plane falling east and south by 1 m per 10 m: with 10 m wide and 40 m tall cells the drops
    # are E 1 m over 10 m (0.1), S 4 m over 40 m (0.1), SE 5 m over 41.23 m (0.121): SE
    z = _plane(-0.1, 0.1, (5, 5), 10.0, 40.0)
    assert kernels.d8_receivers(z, 10.0, 40.0)[2, 2] == 3 * 5 + 3
    # 40 m wide and 10 m tall: E 4/40, S 1/10, SE 5/41.23 - SE again; with a gentler
    # southward fall of 0.01: E 0.1, S 0.01, SE (4 + 0.1)/41.23 = 0.0994: E
    z = _plane(-0.1, 0.01, (5, 5), 40.0, 10.0)
    assert kernels.d8_receivers(z, 40.0, 10.0)[2, 2] == 2 * 5 + 3


# --- flow accumulation -------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (30, 30), (25, 60)])
def test_accumulation_on_a_plane_draining_south_east(shape: tuple[int, int]) -> None:
    # square cells, equal fall east and south: every interior cell drains diagonally, and the
    # last row and column drain along the edge (E along the last row, S along the last column)
    z = _plane(-1.0, 1.0, shape, 1.0, 1.0)
    receivers = kernels.d8_receivers(z, 1.0, 1.0)
    counts = kernels.flow_accumulation(receivers, np.ones(shape))
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    interior = (rows < shape[0] - 1) & (cols < shape[1] - 1)
    np.testing.assert_array_equal(counts[interior], (np.minimum(rows, cols) + 1)[interior])
    assert counts.sum() > 0
    # everything leaves through the bottom-right cell: it holds every cell
    assert counts[-1, -1] == counts.size


def test_accumulation_of_weights_on_a_strip_is_the_running_sum() -> None:
    z = -np.arange(50.0)[None, :]  # falls east
    weights = np.random.default_rng(3).uniform(0, 5, z.shape)
    weights[0, 7] = np.nan  # counts as 0
    got = kernels.flow_accumulation(kernels.d8_receivers(z, 1.0, 1.0), weights)
    np.testing.assert_allclose(got[0], np.cumsum(np.nan_to_num(weights[0])), rtol=1e-12)


# --- LS: the fused kernel against the composition of its factors -------------------------------


def _dem(seed: int, rows: int, cols: int, holes: float, flats: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    z = rng.normal(100.0, 5.0, (rows, cols)).cumsum(axis=seed % 2)  # a slope with noise
    if flats:
        z = np.round(z / 4.0) * 4.0  # plateaus and ties between neighbours
    z[rng.random((rows, cols)) < holes] = np.nan
    return z


def composed_ls_factor(dem: np.ndarray, dx: float, dy: float, *, max_slope_length: float,
                       steep_threshold_degrees: float = 10.0) -> np.ndarray:
    """LS from the documented factor functions, one after the other."""
    z = np.asarray(dem, dtype=np.float64)
    dzdx, dzdy = kernels.horn_gradient(z, dx, dy)
    theta = kernels.slope_angle(dzdx, dzdy)
    area = np.where(np.isnan(z), 0.0, dx * dy)
    upslope = kernels.flow_accumulation(kernels.d8_receivers(z, dx, dy), area) - area
    length = kernels.slope_length_factor(upslope, float(np.sqrt(dx * dy)), kernels.contour_factor(dzdx, dzdy),
                                         kernels.slope_length_exponent(theta), max_slope_length)
    steep = kernels.slope_steepness_factor(theta, np.radians(steep_threshold_degrees))
    return np.where(np.isnan(z), np.nan, np.maximum(length * steep, 0.0))


DEMS = st.tuples(st.integers(0, 10_000), st.integers(1, 12), st.integers(1, 12),
                 st.sampled_from([0.0, 0.1, 0.35]), st.booleans())
SPACINGS = st.sampled_from([(30.0, 30.0), (25.5, 31.0), (1.0, 1.0)])


#: LS of the compiled passes against the composed factor functions: relative tolerance (a few
#: units in the last place of float64, amplified by the difference of powers in L)
LS_RTOL = 1e-12


def _assert_ls_close(got: np.ndarray, expected: np.ndarray) -> None:
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=LS_RTOL, atol=0.0)


@settings(max_examples=60, deadline=None)
@given(DEMS, SPACINGS, st.sampled_from([10.0, 5.0, 90.0]))
def test_ls_equals_its_factors_composed(dem_args: tuple, spacing: tuple, threshold: float) -> None:
    z = _dem(*dem_args)
    dx, dy = spacing
    for cap in (np.inf, 45.0):
        _assert_ls_close(
            kernels.ls_factor(z, dx, dy, max_slope_length=cap, steep_threshold_degrees=threshold),
            composed_ls_factor(z, dx, dy, max_slope_length=cap,
                               steep_threshold_degrees=threshold))


def test_ls_on_a_larger_dem_with_a_nodata_disc() -> None:
    z = _dem(7, 120, 90, 0.0, False)
    rows, cols = np.ogrid[:120, :90]
    z[(rows - 60) ** 2 + (cols - 45) ** 2 < 15**2] = np.nan
    _assert_ls_close(kernels.ls_factor(z, 30.0, 30.0, max_slope_length=333.0),
                     composed_ls_factor(z, 30.0, 30.0, max_slope_length=333.0))


def test_ls_from_terrain_leaves_its_inputs_unless_told() -> None:
    z = _dem(5, 30, 20, 0.1, False)
    upslope, dzdx, dzdy = kernels.terrain(z, 30.0, 30.0)
    copies = [a.copy() for a in (upslope, dzdx, dzdy)]
    first = kernels.ls_from_terrain(upslope, dzdx, dzdy, 30.0, max_slope_length=333.0)
    for array, copy in zip((upslope, dzdx, dzdy), copies, strict=True):
        np.testing.assert_array_equal(array, copy)
    again = kernels.ls_from_terrain(upslope, dzdx, dzdy, 30.0, max_slope_length=333.0,
                                    overwrite=True)
    np.testing.assert_array_equal(again, first)


# --- R --------------------------------------------------------------------------------------------


def _erosivity_log_form(months: np.ndarray) -> float:
    """R = 17.02 Σ 1.735·10^(1.5 log10(p²/P) − 0.8188) over the wet months (modified Fournier
    index, Renard & Freimund 1994, in SI units), one cell; NaN with a negative month."""
    if np.isnan(months).any() or (months < 0).any():
        return math.nan
    annual = float(months.sum())
    return 17.02 * sum(1.735 * 10 ** (1.5 * math.log10(p * p / annual) - 0.8188)
                       for p in months.astype(np.float64) if p > 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_erosivity_month_by_month(dtype: type) -> None:
    rng = np.random.default_rng(5)
    monthly: np.ndarray = rng.gamma(0.6, 30.0, (12, 7, 9)).astype(dtype)
    monthly[rng.random(monthly.shape) < 0.2] = 0.0
    monthly[:, 0, 0] = 0.0  # a dry cell: R = 0
    monthly[4, 1, 1] = -1.0  # negative month: NaN
    monthly[2, 2, 2] = np.nan
    expected = np.array([[_erosivity_log_form(monthly[:, r, c].astype(np.float64)) for c in range(9)]
                         for r in range(7)])
    expected[0, 0] = 0.0
    np.testing.assert_allclose(kernels.rainfall_erosivity(monthly), expected, rtol=1e-12)
    assert np.isnan(kernels.rainfall_erosivity(monthly)[1, 1])
    last = np.ascontiguousarray(np.moveaxis(monthly, 0, -1))
    np.testing.assert_allclose(kernels.rainfall_erosivity(last, axis=-1), expected, rtol=1e-12)


def test_erosivity_of_separate_months_equals_the_stacked_array() -> None:
    """The model hands the months over as separate arrays (never stacked): same bits."""
    monthly = np.random.default_rng(9).gamma(0.6, 30.0, (12, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(kernels.rainfall_erosivity(list(monthly)),
                                  kernels.rainfall_erosivity(monthly))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_compiled_erosivity_of_months_follows_the_log_form(dtype: type) -> None:
    """The model's one-pass R (chunk_loops.erosivity_of_months, months as a tuple of 1-D
    arrays) against the log form of the formula (Renard & Freimund 1994): dry cells 0,
    a negative month NaN."""
    from ecociv.models.soil_conservation import chunk_loops

    rng = np.random.default_rng(11)
    monthly: np.ndarray = rng.gamma(0.6, 30.0, (12, 40)).astype(dtype)
    monthly[rng.random(monthly.shape) < 0.2] = 0
    monthly[:, 0] = 0  # a dry cell: R = 0
    monthly[4, 1] = -1  # a negative month: NaN
    expected = np.array([_erosivity_log_form(monthly[:, c].astype(np.float64))
                         for c in range(40)])
    expected[0] = 0.0
    coefficient = kernels.R_US_TO_SI * kernels.FOURNIER_COEFFICIENT * 10.0**kernels.FOURNIER_OFFSET
    out = np.empty(40)
    chunk_loops.erosivity_of_months(tuple(monthly), coefficient, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert out[0] == 0.0 and np.isnan(out[1])


# --- chunked LS and accumulation checks -------------------------------------------------------


@pytest.mark.parametrize(("chunk_rows", "chunk_cols"), [(1, 40), (7, 40), (64, 40), (7, 9),
                                                    (33, 1), (150, 13)])
def test_model_ls_chunk_by_chunk_is_bit_identical_to_ls_factor(chunk_rows: int,
                                                               chunk_cols: int) -> None:
    """soil_conservation computes the upslope area on the whole DEM, and the gradient and LS
    chunk by chunk from each chunk with one cell around it (in slabs of rows): every chunking,
    with a nodata disc across chunk edges and nodata along the grid's edge, gives ls_factor's
    values bit for bit."""
    import dask.array as da
    from affine import Affine

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import CHINA_ALBERS, GridSpec
    from ecociv.models.soil_conservation import model

    z = _dem(11, 150, 40, 0.1, True)
    rows, cols = np.ogrid[:150, :40]
    z[(rows - 70) ** 2 + (cols - 20) ** 2 < 9**2] = np.nan
    z[140:, :3] = np.nan
    z[0, 30:] = np.nan
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(25.5, 0, 0, 0, -31.0, 5_000_000.0), z.shape)
    dem = from_array(z, grid, name="dem", units="m")
    dem = dem.copy(data=da.from_array(z, chunks=(chunk_rows, chunk_cols)))
    original = model.SLAB_CELLS
    model.SLAB_CELLS = 3 * cols.size  # slabs of 3 rows inside each chunk
    try:
        lazy = model._slope_length_steepness(dem, 25.5, 31.0, max_slope_length=333.0,
                                             steep_threshold_degrees=10.0)
        got = lazy.data.compute(scheduler="threads")
    finally:
        model.SLAB_CELLS = original
    np.testing.assert_array_equal(got, kernels.ls_factor(z, 25.5, 31.0, max_slope_length=333.0))


@pytest.mark.parametrize("threads", [2, 3])
def test_d8_by_rows_in_threads_and_int32_equal_one_pass(threads: int) -> None:
    """The receivers computed by row ranges in several threads, into int32, are those of the
    one-pass loop (int64), and the upslope area is flow_accumulation(receivers, area) - area."""
    from ecociv.models.soil_conservation import terrain_loops

    z = _dem(5, 600, 31, 0.1, True)
    z[300:310, 10:20] = np.nan
    offsets = np.array(kernels.D8_OFFSETS, dtype=np.int64)
    distances = np.array([float(np.hypot(r * 25.0, c * 30.0)) for r, c in kernels.D8_OFFSETS])
    expected = terrain_loops.d8_directions(z, offsets[:, 0].copy(), offsets[:, 1].copy(),
                                           distances, offsets[:, 0] * 31 + offsets[:, 1])
    got = np.empty(z.shape, dtype=np.int32)
    kernels._d8_into(z, 30.0, 25.0, got, threads=threads)
    np.testing.assert_array_equal(got, expected)
    area = np.where(np.isnan(z), 0.0, 30.0 * 25.0)
    np.testing.assert_array_equal(kernels.upslope_area(z, 30.0, 25.0),
                                  kernels.flow_accumulation(expected, area) - area)


def test_accumulation_rejects_receivers_outside_the_grid() -> None:
    with pytest.raises(ValueError, match="flat index"):
        kernels.flow_accumulation(np.array([1, 5]), np.ones(2))
    with pytest.raises(ValueError, match="flat index"):
        kernels.flow_accumulation(np.array([-2, -1]), np.ones(2))
    with pytest.raises(ValueError, match="cells"):
        kernels.flow_accumulation(np.array([-1, 0, 1]), np.ones(2))


def test_accumulation_with_several_donors_per_receiver() -> None:
    """A hand-made tree: 0 → 2, 1 → 2, 2 → 4, 3 → 4, 4 → none, 5 → 3 (weights 1, 2, ..., 32):
    cell 4 gathers everything."""
    receivers = np.array([2, 2, 4, 4, -1, 3])
    weights = 2.0 ** np.arange(6)
    np.testing.assert_array_equal(kernels.flow_accumulation(receivers, weights),
                                  [1.0, 2.0, 7.0, 40.0, 63.0, 32.0])


def test_float32_dem_gives_the_ls_of_its_float64_copy() -> None:
    """The compiled terrain loops read a float32 DEM as it is (no float64 copy) and compute in
    float64: the same receivers, gradient and LS as the float64 copy, bit for bit."""
    z = _dem(3, 40, 33, 0.1, True).astype(np.float32)
    wide = z.astype(np.float64)
    np.testing.assert_array_equal(kernels.d8_receivers(z, 30.0, 25.0),
                                  kernels.d8_receivers(wide, 30.0, 25.0))
    for got, expected in zip(kernels.horn_gradient(z, 30.0, 25.0),
                             kernels.horn_gradient(wide, 30.0, 25.0), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(kernels.ls_factor(z, 30.0, 25.0, max_slope_length=333.0),
                                  kernels.ls_factor(wide, 30.0, 25.0, max_slope_length=333.0))
    _assert_ls_close(kernels.ls_factor(z, 30.0, 25.0, max_slope_length=333.0),
                     composed_ls_factor(wide, 30.0, 25.0, max_slope_length=333.0))


# --- R, K, C, P and the losses of a chunk (compiled passes) against the NumPy kernels -----------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 9), cols=st.integers(1, 9),
       dtype=st.sampled_from([np.float32, np.float64]), matter=st.booleans(),
       correction=st.sampled_from(["none", "zhang_2008"]), use_cover=st.booleans())
def test_chunk_factors_and_losses_equal_the_numpy_kernels(
        seed: int, rows: int, cols: int, dtype: type, matter: bool, correction: str,
        use_cover: bool) -> None:
    """model._factor_block and _loss_block against rainfall_erosivity, soil_erodibility,
    cover_factor_from_vegetation, the class table and soil_loss (1e-12 relative), with NaN,
    dry cells, negative months, pure sand, codes missing from the table and zero cover."""
    from ecociv.models.soil_conservation import model

    rng = np.random.default_rng(seed)
    shape = (rows, cols)
    months = rng.gamma(0.6, 30.0, (12, *shape)).astype(dtype)
    months[rng.random(months.shape) < 0.2] = 0.0
    months[:, rng.random(shape) < 0.1] = 0.0  # dry cells
    months[rng.random(months.shape) < 0.02] = -1.0
    months[rng.random(months.shape) < 0.02] = np.nan
    sand = rng.uniform(0, 100, shape)
    silt = rng.uniform(0, 1, shape) * (100 - sand)
    clay = rng.uniform(0, 1, shape) * (100 - sand - silt)
    sand[rng.random(shape) < 0.1] = 100.0  # no fines
    silt[sand == 100.0] = clay[sand == 100.0] = 0.0
    organic = rng.uniform(0, 8, shape)
    sand, silt, clay, organic = (a.astype(dtype) for a in (sand, silt, clay, organic))
    organic[rng.random(shape) < 0.05] = np.nan
    codes = rng.choice([1.0, 2.0, 3.0, 7.0, np.nan], shape)  # 7: not in the table
    cover = rng.uniform(-0.1, 1.0, shape).clip(0, None).astype(dtype)
    cover[rng.random(shape) < 0.05] = np.nan
    table = {1.0: (0.2, 0.5, False), 2.0: (0.9, 1.0, True), 3.0: (0.0, 1.0, False)}
    classes = model._Classes(keys=np.array([1.0, 2.0, 3.0]), c_values=np.array([0.2, 0.9, 0.0]),
                             p_values=np.array([0.5, 1.0, 1.0]),
                             from_cover=np.array([False, True, False]), use_cover=use_cover)
    per_carbon = kernels.ORGANIC_MATTER_PER_CARBON if matter else 1.0
    factors = model._factor_block(codes, sand, silt, clay, organic,
                                  *([cover] if use_cover else []), *months,
                                  organic_per_carbon=per_carbon, correction=correction,
                                  classes=classes)
    carbon = (kernels.organic_carbon_from_matter(organic) if matter
              else organic.astype(np.float64))
    expected_k = kernels.soil_erodibility(sand, silt, clay, carbon, correction)
    with np.errstate(invalid="ignore"):
        expected_r = kernels.rainfall_erosivity(months)
    c_cover = kernels.cover_factor_from_vegetation(cover)
    expected_c = np.full(shape, np.nan)
    expected_p = np.full(shape, np.nan)
    for code, (c, p, from_cover) in table.items():
        here = codes == code
        expected_c[here] = c_cover[here] if (from_cover and use_cover) else c
        expected_p[here] = p
    for got, expected in zip(factors, (expected_r, expected_k, expected_c, expected_p),
                             strict=True):
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)
    ls = rng.uniform(0, 20, shape)
    ls[rng.random(shape) < 0.1] = np.nan
    losses = model._loss_block(factors, ls)
    actual = kernels.soil_loss(expected_r, expected_k, ls, expected_c, expected_p)
    potential = np.where(np.isnan(actual), np.nan, kernels.soil_loss(expected_r, expected_k, ls))
    for got, expected in zip(losses, (potential, actual, potential - actual), strict=True):
        assert np.array_equal(np.isnan(got), np.isnan(expected))
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
