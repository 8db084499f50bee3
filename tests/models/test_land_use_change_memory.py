"""The memory-saving paths of land_use_change give the answers of the plain ones: drivers read
band by band (lazy rasters) against one stacked array, prediction into a given array, class
maps read band by band, outputs computed chunk by chunk."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from affine import Affine

from ecociv.errors import InputError
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.land_use_change.drivers import Drivers
from ecociv.models.land_use_change.suitability import fit_suitability

N = 40


def _landscape() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    rows, cols = np.mgrid[0:N, 0:N]
    dem = (100.0 + 5.0 * rows + rng.normal(0, 3, (N, N))).astype(np.float32)
    slope = (cols * 0.5 + rng.normal(0, 1, (N, N))).astype(np.float32)
    slope[5, 7] = np.nan                         # a missing value: the mean is used
    initial = np.where(rows < 15, 1, np.where(cols < 20, 2, 3))
    final = initial.copy()
    final[(rows >= 15) & (rows < 19)] = 1        # cropland grows south
    return np.stack([dem, slope]), initial, final


def _lazy(values: np.ndarray, rows: int) -> xr.DataArray:
    """A dask-backed raster in bands of ``rows`` rows (as the reader gives them)."""
    return xr.DataArray(da.from_array(values, chunks=(rows, N)), dims=("y", "x"))


@pytest.mark.parametrize("method", ["logistic", "random_forest"])
def test_band_by_band_drivers_give_the_stacked_answer(method: str) -> None:
    stack, initial, final = _landscape()
    lazy = Drivers(["dem", "slope"], [_lazy(stack[0], 7), stack[1]], (N, N))
    assert lazy.band_rows() == 7
    kw = {"final": final, "method": method, "n_samples": 400, "seed": 11}
    plain = fit_suitability(stack, ["dem", "slope"], initial, [1, 2, 3], **kw)
    banded = fit_suitability(lazy, ["dem", "slope"], initial, [1, 2, 3], **kw)
    np.testing.assert_array_equal(plain.mean, banded.mean)
    np.testing.assert_array_equal(plain.scale, banded.scale)
    assert plain.contributions.equals(banded.contributions)
    valid = np.ones((N, N), bool)
    valid[0, :3] = False
    expected = plain.predict(stack, valid=valid)
    np.testing.assert_array_equal(banded.predict(lazy, valid=valid), expected)
    assert (expected[:, 0, :3] == 0).all() and expected[:, 1:].any()


def test_take_reads_the_cells_asked_for_in_any_order() -> None:
    stack, _, _ = _landscape()
    lazy = Drivers(["dem", "slope"], [_lazy(stack[0], 6), _lazy(stack[1], 6)], (N, N))
    cells = np.array([N * N - 1, 0, 17 * N + 3, 0, 5 * N + 7, 39])
    np.testing.assert_array_equal(lazy.take(cells), stack.reshape(2, -1)[:, cells])
    np.testing.assert_array_equal(lazy.rows(10, 13), stack[:, 10:13])
    assert lazy.select([1]).names == ["slope"]


def test_prediction_into_an_array_writes_only_the_bands_asked_for() -> None:
    stack, initial, _ = _landscape()
    fit = fit_suitability(stack, ["dem", "slope"], initial, [1, 2, 3], n_samples=400, seed=2)
    out = np.full((3, N, N), 7.0, np.float32)
    fit.predict(stack, out=out, bands=[1], chunk_rows=9)
    full = fit.predict(stack)
    np.testing.assert_array_equal(out[1], full[1])
    assert (out[0] == 7.0).all() and (out[2] == 7.0).all()
    with pytest.raises(InputError, match="float32"):
        fit.predict(stack, out=np.zeros((3, N, N)))


def test_class_maps_read_in_bands_name_the_cell_of_an_unknown_code() -> None:
    from ecociv.models.land_use_change.model import _codes_map, _read_classes

    _, initial, _ = _landscape()
    values = initial.astype(np.float32)
    values[2, 2] = np.nan
    cls, valid = _read_classes(_lazy(values, 8), [1, 2, 3], "land_use")
    assert not valid[2, 2] and valid.sum() == N * N - 1
    np.testing.assert_array_equal(_codes_map(cls, [1, 2, 3]), np.where(valid, initial, -1))
    values[33, 4] = 9                       # in the fifth band of 8 rows
    with pytest.raises(InputError, match=r"row 33, col 4.*\[9\]"):
        _read_classes(_lazy(values, 8), [1, 2, 3], "land_use")


def test_map_outputs_are_computed_chunk_by_chunk_from_the_class_map() -> None:
    from ecociv.models.land_use_change.model import _lazy as lazy_view
    from ecociv.models.land_use_change.model import _raster, _Run

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5e6), (N, N))
    cls = np.tile(np.array([0, 1, 2, -1], np.int8), (N, N // 4))
    run = _Run([4, 7, 9], {4: "a", 7: "b", 9: "c"}, grid, 1.0, cls >= 0, None, ["all"])
    out = _raster(run, cls, "land_use_final")
    assert isinstance(out.data, da.Array)
    expected = np.where(cls >= 0, np.array([4, 7, 9, 0])[cls], np.nan)
    np.testing.assert_array_equal(out.values, expected.astype(np.float32))
    prob = np.arange(3 * N * N, dtype=np.float32).reshape(3, N, N)
    view = lazy_view(prob, (1, 9, 13))
    np.testing.assert_array_equal(view.compute(), prob)
    assert view.chunks[1] == (9, 9, 9, 9, 4)
