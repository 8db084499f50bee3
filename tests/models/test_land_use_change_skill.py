"""Skill of ``land_use_change`` on a synthetic landscape made by a known process (synthetic.py):
calibrated on the first period only (maps of year 0 and 5), it simulates years 5 -> 10 and is
compared with the year-10 map it never saw, against a null allocation of the same quantities
(uniform suitability, no neighbourhood effect). Metrics: Figure of Merit (Pontius et al. 2008,
Ann. Reg. Sci. 42:11) and Kappa-simulation (van Vliet et al. 2011, Ecol. Model. 222:1367),
as implemented in metrics.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from affine import Affine

from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.land_use_change.metrics import validate
from ecociv.models.land_use_change.model import MODEL
from ecociv.models.land_use_change.synthetic import make_landscape

CODES = [1, 3, 5, 6]
#: annual transitions (rows = from): cropland and built-up grow out of grassland and desert
ANNUAL = np.array([[0.99, 0.0, 0.01, 0.0],
                   [0.03, 0.96, 0.01, 0.0],
                   [0.0, 0.0, 1.0, 0.0],
                   [0.02, 0.0, 0.01, 0.97]])
#: driver weights per class: growth of cropland follows driver 1, built-up driver 2
WEIGHTS = {1: [3.0, 0.0], 5: [0.0, 3.0], 3: [0.0, 0.0], 6: [0.0, 0.0]}


def _maps(years: int):  # type: ignore[no-untyped-def]
    return make_landscape((80, 80), CODES, annual_P=ANNUAL, suitability_surfaces=WEIGHTS,
                          years=years, seed=11, correlation_cells=4.0,
                          initial_shares={1: 0.2, 3: 0.35, 5: 0.05, 6: 0.4})


def _simulate(tmp_path: Path, name: str, **changes: object) -> np.ndarray:
    first, second = _maps(5), _maps(10)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0),
                             (80, 80))
    # the reference of year 10 is built but never given to the model
    targets = pd.DataFrame({"year": 2020, "lucode": [1, 3, 5],
                            "area_km2": [float((second.final == c).sum()) for c in (1, 3, 5)]})
    inputs = {
        "land_use": from_array(first.final, grid, name="land_use", units=None),
        "land_use_previous": from_array(first.initial, grid, name="land_use_previous",
                                        units=None),
        "classes": pd.DataFrame({"lucode": CODES}),
        "dem": from_array(first.drivers[0], grid, name="dem", units="m"),
        "groundwater_overdraft": from_array(first.drivers[1], grid, name="groundwater_overdraft",
                                            units=""),
        "demand_targets": targets,
        "previous_year": 2010, "start_year": 2015, "end_year": 2020, "n_samples": 2000,
        **changes,
    }
    run_in_memory(MODEL, inputs, tmp_path / name)
    with rasterio.open(tmp_path / name / "land_use_final.tif") as src:
        return src.read(1)


def test_the_model_beats_a_null_allocation_on_a_known_process(tmp_path: Path) -> None:
    first, second = _maps(5), _maps(10)
    np.testing.assert_array_equal(first.initial, second.initial)   # one process, two dates
    simulated = _simulate(tmp_path, "model")
    # the null: same quantities (targets), suitability flat (dem and the other driver constant
    # give every class its share), neighbourhood weights ~0 (seeds only)
    flat = np.zeros((80, 80))
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0),
                             (80, 80))
    null = _simulate(tmp_path, "null",
                     dem=from_array(flat, grid, name="dem", units="m"),
                     groundwater_overdraft=from_array(flat, grid, name="groundwater_overdraft",
                                                      units=""),
                     classes=pd.DataFrame({"lucode": CODES,
                                           "neighbourhood_weight": [1e-5] * 4}))
    model_scores = validate(first.final, simulated, second.final, CODES)
    null_scores = validate(first.final, null, second.final, CODES)
    assert model_scores["figure_of_merit"] > null_scores["figure_of_merit"] + 0.05
    assert model_scores["kappa_simulation"] > null_scores["kappa_simulation"]
    assert model_scores["kappa_simulation"] > 0.0
