"""The red line's whole-grid steps done with compact arrays and value groups give the bits of
the whole-grid float64 code: thresholds (sequential cumulative sums in the stable descending
order), NumPy's pairwise sums, patch areas (``np.bincount``), and the whole model in row bands
against one band and one group (the former algorithm), cell for cell."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import Polygon

from ecociv.grid.io import from_array
from ecociv.grid.patches import label_areas
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_redline import blockwise, kernels
from ecociv.models.ecological_redline.model import MODEL, run
from ecociv.spec import ParamInput

SHAPE = (173, 131)
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(500.0, 0, 0, 0, -500.0, 5_000_000.0), SHAPE)
#: an irregular region: partly covered cells along its edges
REGION = Polygon([(3_100, 4_999_100), (60_300, 4_990_700), (64_900, 4_925_300),
                  (20_200, 4_914_100), (900, 4_950_500)])


def _service(rng: np.random.Generator, kind: str) -> np.ndarray:
    if kind == "ties":  # few distinct values: large blocks of equal values straddle the breaks
        values = rng.integers(0, 12, SHAPE).astype(np.float32) / 4
    else:
        values = rng.gamma(0.6, 50.0, SHAPE).astype(np.float32)
    values[rng.random(SHAPE) < 0.05] = np.nan
    return values


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(blockwise, "BLOCK_CELLS", 997)  # bands of 7 rows, leaves of 997 cells
    monkeypatch.setattr(blockwise, "GROUPS", 9)


@pytest.mark.parametrize("kind", ["ties", "gamma"])
@pytest.mark.parametrize("ties", ["higher", "nearest"])
def test_thresholds_equal_the_whole_grid_sort(small_blocks, kind: str, ties: str) -> None:
    rng = np.random.default_rng(11)
    from ecociv.grid.zonal import coverage

    cover = coverage(REGION, GRID)
    region = blockwise.Region.from_fractions(GRID.shape, cover.slices, cover.fractions)
    assert (region.code == 2).sum() > 50  # partly covered cells are exercised
    fractions = np.zeros(SHAPE)
    fractions[cover.slices] = cover.fractions
    np.testing.assert_array_equal(region.fractions(0, SHAPE[0]), fractions)
    values = _service(rng, kind)
    values[fractions <= 0] = np.nan
    weights = blockwise.Weights(GRID, region)
    percents = (12.5, 50.0, 80.0, 99.9, 100.0, 0.0)
    expected = kernels.cumulative_thresholds(values.astype(np.float64),
                                             GRID.cell_area_m2() * fractions, percents, ties)
    got = blockwise.cumulative_thresholds(values, weights, percents, ties)
    np.testing.assert_array_equal(got, expected)


def test_pairwise_sum_is_numpys_sum_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    for n in (0, 5, 128, 129, 1000, 100_003):
        data = rng.random(n) * rng.choice([1e-9, 1.0, 1e9], n)
        for leaf in (128, 1000, 4096):
            total = blockwise.pairwise_sum(lambda i, j, d=data: d[i:j].copy(), n, leaf)
            assert total == float(np.sum(data)), (n, leaf)
    # the grid version: rows of a 2-D array fed band by band
    grid = rng.random((37, 53))
    segment = blockwise.flat_segment(lambda r0, r1: grid[r0:r1], 53)
    assert blockwise.pairwise_sum(segment, grid.size, 200) == float(np.sum(grid.ravel()))


def test_label_areas_equal_bincount() -> None:
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 40, (61, 47)).astype(np.int32)
    rows_area = rng.random((61, 1)) * 1e6
    full_area = rng.random((61, 47)) * 1e6
    for area in (rows_area, full_area, 2.5e5):
        expected = np.bincount(labels.ravel(), weights=np.broadcast_to(area, labels.shape).ravel(),
                               minlength=41)
        np.testing.assert_array_equal(label_areas(labels, 40, area), expected)


def _inputs(rng: np.random.Generator) -> dict[str, object]:
    defaults = {i.id: i.default for i in MODEL.spec.inputs
                if isinstance(i, ParamInput) and i.default is not None}
    zones = gpd.GeoDataFrame({"name": ["a"]}, geometry=[REGION], crs=CHINA_ALBERS)
    land_use = rng.integers(1, 7, SHAPE).astype(float)
    return {**defaults,
            "water_conservation": from_array(_service(rng, "gamma"), GRID, name="w", units="mm/yr"),
            "habitat_quality": from_array(_service(rng, "ties") / 3, GRID, name="h", units=""),
            "soil_conservation": from_array(_service(rng, "gamma").astype(np.float64) / 3.1,
                                            GRID, name="s", units="t/ha/yr"),
            "sensitivity_class": from_array(rng.integers(1, 4, SHAPE).astype(float), GRID,
                                            name="c", units=None),
            "land_use": from_array(land_use, GRID, name="l", units=None),
            "zones": zones, "zone_field": "name", "cropland_codes": "1", "built_up_codes": "5",
            "min_patch_area": 0.6, "max_hole_area": 0.6, "break_ties": "nearest"}


def test_the_model_in_bands_and_groups_equals_one_band_and_one_group(monkeypatch) -> None:
    inputs = _inputs(np.random.default_rng(21))
    monkeypatch.setattr(blockwise, "BLOCK_CELLS", 1 << 30)
    monkeypatch.setattr(blockwise, "GROUPS", 1)
    whole = run(inputs)  # one band, one sort of every cell: the algorithm of before
    monkeypatch.setattr(blockwise, "BLOCK_CELLS", 997)
    monkeypatch.setattr(blockwise, "GROUPS", 7)
    banded = run(inputs)
    assert set(whole) == set(banded)
    for key, value in whole.items():
        if isinstance(value, gpd.GeoDataFrame):
            assert value.geometry.equals(banded[key].geometry), key
            pd.testing.assert_frame_equal(pd.DataFrame(value.drop(columns="geometry")),
                                          pd.DataFrame(banded[key].drop(columns="geometry")))
        elif isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, banded[key], check_exact=True, obj=key)
        else:
            np.testing.assert_array_equal(value.values, banded[key].values, err_msg=key)
    redline = whole["redline"].values
    assert np.nansum(redline) > 100 and np.isnan(redline).any()


def test_selection_sum_is_numpys_sum_of_the_selection(monkeypatch) -> None:
    monkeypatch.setattr(blockwise, "BLOCK_CELLS", 300)  # bands of 7 rows of 41, leaves of 300
    rng = np.random.default_rng(8)
    grid = rng.random((90, 41)) * rng.choice([1e-6, 1.0, 1e6], (90, 41))
    keep = rng.random((90, 41)) < 0.7
    total = blockwise.selection_sum(lambda r0, r1: grid[r0:r1][keep[r0:r1]], 90, 41)
    assert total == float(np.sum(grid[keep]))
