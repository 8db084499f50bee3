"""The range checks of raster inputs take the smallest and largest value of a chunk in one task
(execute/checks.py ``value_range``): the same values as dask's ``nanmin``/``nanmax``."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest

from ecociv.execute.checks import value_range


@pytest.mark.parametrize(("shape", "chunks"), [((100, 130), (30, 40)), ((3, 50, 60), (1, 20, 25)),
                                               ((7,), (3,)), ((1, 1), (1, 1))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_value_range_equals_nanmin_and_nanmax(shape: tuple[int, ...], chunks: tuple[int, ...],
                                              dtype: str) -> None:
    rng = np.random.default_rng(len(shape))
    values = rng.normal(0, 100, shape).astype(dtype)
    values.flat[::5] = np.nan  # the first cell too: a chunk may start with NaN
    data = da.from_array(values, chunks=chunks)
    both = value_range(data)
    low, high = dask.compute(both["min"], both["max"])
    if values.size == 1:  # the only cell is NaN
        assert np.isnan(low) and np.isnan(high)
        return
    assert (low, high) == (np.nanmin(values), np.nanmax(values))
    assert (low, high) == tuple(float(v) for v in dask.compute(da.nanmin(data), da.nanmax(data)))


def test_value_range_of_cells_that_are_all_nan_is_nan() -> None:
    values = np.full((10, 10), np.nan, np.float32)
    values[7, 8] = 3.5  # one valid cell, in the last chunk
    both = value_range(da.from_array(values, chunks=5))
    assert dask.compute(both["min"], both["max"]) == (3.5, 3.5)
    both = value_range(da.from_array(np.full((10, 10), np.nan), chunks=5))
    low, high = dask.compute(both["min"], both["max"])
    assert np.isnan(low) and np.isnan(high)


def test_infinite_values_count() -> None:
    """An infinite cell is a value (out of any finite range), not left out like NaN."""
    values = np.array([[1.0, np.inf], [np.nan, -2.0]])
    both = value_range(da.from_array(values, chunks=1))
    assert dask.compute(both["min"], both["max"]) == (-2.0, np.inf)
