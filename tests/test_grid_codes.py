"""Checks of categorical rasters (grid/codes.py): non-integer values come first and are named as
such; codes missing from the table are listed; without a table only whole numbers are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from ecociv.grid.codes import codes_error, unknown_codes

SRC = Path(__file__).resolve().parents[1] / "src"

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


def test_compiled_pass_gives_the_same_findings_as_numpy_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled first pass (``codes_loops.all_known``, which answers "nothing to report")
    against NumPy's ``unique`` alone, on blocks of float32 and float64 codes with NaN, runs of
    one code, ±inf, fractions and codes missing from the table, with and without a table."""
    from ecociv.grid import codes_loops

    rng = np.random.default_rng(4)
    table = np.array([7.0, 1.0, 3.0, 12.0])  # unsorted, as a table's column may be
    blocks = []
    for dtype in (np.float32, np.float64):
        base = rng.choice(table, size=(9, 14)).astype(dtype)
        base[:, 3:9] = base[:, 3:4]  # runs of one code
        base[rng.random(base.shape) < 0.1] = np.nan
        blocks.append(base)
        for odd in (2.0, 1.5, -7.0, np.inf, 1e9, 7.000001):
            bad = base.copy()
            bad[5, 11] = odd
            blocks.append(bad)
    answers = []
    for block in blocks:
        for codes in (table, None):
            fast = unknown_codes(block, codes)
            with monkeypatch.context() as patch:
                patch.setattr(codes_loops, "all_known", lambda *args: False)
                slow = unknown_codes(block, codes)
            np.testing.assert_array_equal(fast, slow)
            answers.append(bool(np.isnan(fast).all()))
    assert any(answers) and not all(answers)  # both outcomes are exercised
    assert codes_loops.all_known(blocks[0], np.sort(table), True)
    assert not codes_loops.all_known(blocks[1], np.sort(table), True)  # 2.0: not in the table
    assert codes_loops.all_known(blocks[1], np.sort(table), False)  # but a whole number
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(unknown_codes(blocks[1], table),
                                      np.full((1, 1, 16), np.nan))


def test_lower_bound_is_numpy_searchsorted_left() -> None:
    """``codes_loops.lower_bound`` (the binary search of the code check and of water_yield's
    land-use lookup) against NumPy's ``searchsorted(side="left")``: empty, one value,
    duplicates, values before, between and after the keys, ±inf."""
    from ecociv.grid import codes_loops

    rng = np.random.default_rng(11)
    arrays = [np.empty(0), np.array([3.0]), np.array([1.0, 2.0, 2.0, 2.0, 5.0]),
              np.sort(rng.integers(0, 200_000, 257).astype(np.float64))]
    for ordered in arrays:
        probes = np.concatenate([ordered, ordered + 0.5, ordered - 1.0,
                                 [-np.inf, np.inf, -1e12, 1e12, 0.0]])
        for value in probes:
            assert codes_loops.lower_bound(ordered, value) == np.searchsorted(ordered, value)


CACHE_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from ecociv.grid import codes_loops
    from ecociv.models.water_yield import loops
    known = np.array([1.0, 3.0, 70000.0])
    block = np.array([[1.0, 3.0], [70000.0, np.nan]])
    print(json.dumps({"known": bool(codes_loops.all_known(block, known, True)),
                      "row": int(loops._class_index(70000.0, known, False, 1.0)),
                      "missing": int(loops._class_index(2.0, known, False, 1.0)),
                      "arraymath": "numba.np.arraymath" in sys.modules,
                      "scipy_linalg": "scipy.linalg" in sys.modules}))
""")


def test_cached_code_check_and_lookup_load_without_numba_array_maths(tmp_path: Path) -> None:
    """Loaded from numba's cache in a second process, the code check and water_yield's land-use
    lookup do not import ``numba.np.arraymath`` (and with it ``scipy.linalg``), as code
    compiled with numba's ``np.searchsorted`` does (0.1-0.2 CPU-s on a run's main thread)."""
    pytest.importorskip("numba")
    env = {**os.environ, "PYTHONPATH": str(SRC), "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    runs = [json.loads(subprocess.run([sys.executable, "-c", CACHE_PROBE], env=env, check=True,
                                      capture_output=True, text=True, timeout=300)
                       .stdout.strip().splitlines()[-1]) for _ in range(2)]
    for found in runs:
        assert (found["known"], found["row"], found["missing"]) == (True, 2, -1)
    assert runs[0]["arraymath"]  # the first process compiled (numba's full set-up)
    assert not runs[1]["arraymath"] and not runs[1]["scipy_linalg"]
