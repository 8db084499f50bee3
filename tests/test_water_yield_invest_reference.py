"""water_yield against outputs produced by InVEST 3.20.2 itself on the same inputs.

``tests/data/invest_awy/`` holds 20×20 synthetic inputs in InVEST's Annual Water Yield format
and, in ``invest_output/``, the ``wyield``, ``aet`` and ``fractp`` rasters and the
``watershed_results_wyield.csv`` that ``natcap.invest.annual_water_yield.execute`` wrote for
them (see that folder's README and ``benchmarks/make_invest_reference.py``). InVEST computes in
float32, ecociv in float64, so values agree to float32 rounding.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.execute import run_model
from ecociv.registry import get_model

DATA = Path(__file__).parent / "data" / "invest_awy"
PAIRS = {"water_yield": "wyield.tif", "aet": "aet.tif", "aet_fraction": "fractp.tif"}


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return np.ma.filled(src.read(1, masked=True).astype(np.float64), np.nan)


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    meta = json.loads((DATA / "metadata.json").read_text())
    out = tmp_path_factory.mktemp("invest_awy") / "out"
    sources = {name: DATA / file for name, file in meta["files"].items()}
    run_model(get_model("water_yield"), sources, {"seasonality_z": str(meta["seasonality_z"])}, out)
    return out


@pytest.mark.parametrize("output", sorted(PAIRS))
def test_rasters_match_invest(ours: Path, output: str) -> None:
    mine = _read(ours / f"{output}.tif")
    theirs = _read(DATA / "invest_output" / PAIRS[output])
    assert mine.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(mine), np.isnan(theirs))
    assert np.isnan(theirs).sum() >= 6  # the nodata and zero-precipitation cells
    tolerance = 1e-5 if output == "aet_fraction" else 1e-3
    np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=tolerance, equal_nan=True)


def test_watershed_means_match_invest(ours: Path) -> None:
    mine = pd.read_csv(ours / "watershed_results.csv").set_index("ws_id")
    theirs = pd.read_csv(DATA / "invest_output" / "watershed_results_wyield.csv").set_index("ws_id")
    mine.index = mine.index.astype(int)
    for column in ("precip_mn", "PET_mn", "AET_mn", "wyield_mn"):
        np.testing.assert_allclose(mine.loc[theirs.index, column], theirs[column], rtol=1e-5,
                                   err_msg=column)
