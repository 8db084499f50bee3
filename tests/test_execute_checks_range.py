"""The range checks of raster inputs take the smallest and largest value of every chunk of
several rasters in one task (execute/checks.py ``value_ranges``): the same values as dask's
``nanmin``/``nanmax``."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

from ecociv.execute.checks import value_ranges


@pytest.mark.parametrize(("shape", "chunks"), [((100, 130), (30, 40)), ((3, 50, 60), (1, 20, 25)),
                                               ((7,), (3,)), ((1, 1), (1, 1))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_value_ranges_equal_nanmin_and_nanmax(shape: tuple[int, ...], chunks: tuple[int, ...],
                                              dtype: str) -> None:
    rng = np.random.default_rng(len(shape))
    arrays = []
    for scale in (100.0, 1e-3, 7.0):
        values = rng.normal(0, scale, shape).astype(dtype)
        values.flat[::5] = np.nan  # the first cell too: a chunk may start with NaN
        arrays.append(values)
    ranges = value_ranges([da.from_array(v, chunks=chunks) for v in arrays],
                          [(True, True), (True, False), (False, True)]).compute()
    assert ranges.shape == (3, 2) and ranges.dtype == np.float64
    if arrays[0].size == 1:  # the only cell is NaN
        assert np.isnan(ranges).all()
        return
    for (low, high), values, wanted in zip(ranges, arrays, [(1, 1), (1, 0), (0, 1)], strict=True):
        data = da.from_array(values, chunks=chunks)
        expected = [float(v) for v in dask.compute(da.nanmin(data), da.nanmax(data))]
        assert expected == [float(np.nanmin(values)), float(np.nanmax(values))]
        assert low == expected[0] if wanted[0] else np.isnan(low)
        assert high == expected[1] if wanted[1] else np.isnan(high)


def test_value_ranges_of_cells_that_are_all_nan_are_nan() -> None:
    values = np.full((10, 10), np.nan, np.float32)
    values[7, 8] = 3.5  # one valid cell, in the last chunk
    ranges = value_ranges([da.from_array(values, chunks=5),
                           da.from_array(np.full((10, 10), np.nan), chunks=5)],
                          [(True, True), (True, True)]).compute()
    assert ranges[0].tolist() == [3.5, 3.5]
    assert np.isnan(ranges[1]).all()


def test_infinite_values_count() -> None:
    """An infinite cell is a value (out of any finite range), not left out like NaN."""
    values = np.array([[1.0, np.inf], [np.nan, -2.0]])
    ranges = value_ranges([da.from_array(values, chunks=1)], [(True, True)]).compute()
    assert ranges[0].tolist() == [-2.0, np.inf]


def test_one_task_per_chunk_and_one_to_combine() -> None:
    """Two rasters of 16 chunks: 16 tasks for their ranges and one that combines them (after
    dask's optimisation, as a computation runs them)."""
    arrays = [da.from_array(np.arange(64.0 * 40).reshape(64, 40), chunks=(4, 40)),
              da.from_array(np.ones((64, 40)), chunks=(4, 40))]
    ranges = value_ranges(arrays, [(True, True), (True, False)])
    (optimized,) = dask.optimize(ranges)
    inputs = {key for array in arrays for key in dict(array.__dask_graph__())}
    assert len(dict(optimized.__dask_graph__()).keys() - inputs) == 17
    assert ranges.compute()[0].tolist() == [0.0, 64.0 * 40 - 1]
