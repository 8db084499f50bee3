"""Checks of categorical rasters (grid/codes.py): non-integer values come first and are named as
such; codes missing from the table are listed; without a table only whole numbers are checked."""

from __future__ import annotations

import dask.array as da
import numpy as np
import xarray as xr

from ecociv.grid.codes import codes_error, unknown_codes

RASTER = np.array([[1.0, 2.0, 9.0], [np.nan, 2.5, 1.0], [7.0, 1.0, 2.0]])


def _found(data: np.ndarray, codes: np.ndarray | None, chunks: int | None = None) -> np.ndarray:
    if chunks is None:
        return unknown_codes(data, codes)
    return unknown_codes(da.from_array(data, chunks=chunks), codes).compute()


def test_non_integer_values_reported_before_unknown_codes() -> None:
    for chunks in (None, 2):
        error = codes_error(_found(RASTER, np.array([1.0, 2.0]), chunks), xr.DataArray(RASTER),
                            "table.lucode", "input 'land_use' (lu.tif)")
        assert error is not None
        assert "non-integer values (2.5)" in str(error) and "cell (row 1, col 1)" in str(error)


def test_unknown_codes_listed() -> None:
    whole = np.where(RASTER == 2.5, 2.0, RASTER)
    error = codes_error(_found(whole, np.array([1.0, 2.0]), 2), xr.DataArray(whole),
                        "table.lucode", "input 'land_use' (lu.tif)")
    assert error is not None
    assert "code(s) [7, 9] not found in table.lucode" in str(error)
    assert "cell (row 2, col 0)" in str(error)  # the first cell of code 7


def test_without_a_table_only_whole_numbers_are_checked() -> None:
    whole = np.where(RASTER == 2.5, 2.0, RASTER)
    assert codes_error(_found(whole, None), xr.DataArray(whole), None, "x") is None
    assert codes_error(_found(RASTER, None), xr.DataArray(RASTER), None, "x") is not None
