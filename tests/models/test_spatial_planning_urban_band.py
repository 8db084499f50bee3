"""spatial_planning's ``urban_probability`` takes land_use_change's multi-band ``suitability``:
the band of the built-up class (or of ``urban_class``) is used, by the band names
land_use_change writes; a single band still works; no band for the class is one clear error."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array, grid_of_array
from ecociv.models.spatial_planning.model import MODEL
from tests.models.land_use_files import write_example_inputs

CODES = [1, 3, 4, 5]          # band order of the multi-band raster (class-table order)


def _probabilities() -> dict[int, np.ndarray]:
    rows, cols = np.mgrid[0:12, 0:12]
    near_town = np.clip(1.0 - np.hypot(rows - 4, cols - 4) / 8.0, 0.0, 1.0)
    return {1: np.full((12, 12), 0.9), 3: np.full((12, 12), 0.2), 4: np.zeros((12, 12)),
            5: near_town}


def _inputs(**changes: Any) -> dict[str, Any]:
    values = {k: v for k, v in MODEL.example().items() if k != "urban_suitability"}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def _multi(names: list[str] | None = None) -> Any:
    grid = grid_of_array(MODEL.example()["land_use"])
    stack = np.stack([_probabilities()[c] for c in CODES])
    data = from_array(stack, grid, name="suitability", units="")
    labels = names if names is not None else [f"suitability per class: {c}" for c in CODES]
    return data.assign_coords(band_name=("band", labels))


def _boundary(tmp_path: Path, name: str, **changes: Any) -> np.ndarray:
    run_in_memory(MODEL, _inputs(**changes), tmp_path / name)
    with rasterio.open(tmp_path / name / "urban_boundary.tif") as src:
        return src.read(1)


def test_the_built_up_band_of_a_multi_band_suitability_is_used(tmp_path: Path) -> None:
    grid = grid_of_array(MODEL.example()["land_use"])
    single = from_array(_probabilities()[5], grid, name="urban_probability", units="")
    expected = _boundary(tmp_path, "single", urban_probability=single)
    assert expected.sum() > 0
    np.testing.assert_array_equal(_boundary(tmp_path, "multi", urban_probability=_multi()),
                                  expected)
    # the grassland band (0.2 everywhere, below urban_min_probability) lets nothing grow: the
    # band choice matters
    grass = _boundary(tmp_path, "grass", urban_probability=_multi(), urban_class=3)
    assert grass.sum() < expected.sum()


def test_no_band_for_the_class_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no band of the 4 is named for class 7"):
        run_in_memory(MODEL, _inputs(urban_probability=_multi(), urban_class=7), tmp_path / "a")
    unnamed = _multi().drop_vars("band_name")
    with pytest.raises(InputError, match="band names: none"):
        run_in_memory(MODEL, _inputs(urban_probability=unnamed), tmp_path / "b")
    with pytest.raises(InputError, match="set urban_class"):
        run_in_memory(MODEL, _inputs(urban_probability=_multi(), built_up_codes="5,3",
                                     cropland_codes="1"), tmp_path / "c")


def test_a_scenario_wires_land_use_change_suitability_to_urban_probability(
        tmp_path: Path) -> None:
    """@land_use_change.suitability (a COG with one band per class) into urban_probability:
    the band of class 1 (urban_class) is the one read, cell for cell."""
    from ecociv.scenario.runner import run_scenario
    from ecociv.scenario.schema import load_scenario
    from ecociv.scenario.store import ResultsStore

    write_example_inputs(tmp_path)
    pd.DataFrame({"lucode": [1, 3, 6], "role": ["built_up", "other", "other"]}).to_csv(
        tmp_path / "planning.csv", index=False)
    (tmp_path / "scenario.yaml").write_text(textwrap.dedent("""
        name: wired
        grid: {reference: land_use.tif}
        models:
          - id: land_use_change
            inputs: {land_use: land_use.tif, land_use_previous: land_use_previous.tif,
                     dem: dem.tif, classes: classes.csv}
            params: {start_year: 2020, end_year: 2025, previous_year: 2015, n_samples: 400}
          - id: spatial_planning
            inputs: {land_use: "@land_use_change.land_use_final",
                     urban_probability: "@land_use_change.suitability",
                     planning_classes: planning.csv}
            params: {urban_min_probability: 0.5, buffer_distance: 3000, closing_distance: 0,
                     max_hole_area: 0, min_patch_area: 0}
    """))
    result = run_scenario(load_scenario(tmp_path / "scenario.yaml"), base_dir=tmp_path,
                          store=ResultsStore(tmp_path / "store"))
    folder = result.folder
    with rasterio.open(folder / "land_use_change" / "suitability.tif") as src:
        assert src.count == 3 and src.descriptions[0].endswith(": 1")
        cropland_band = src.read(1, masked=True).filled(np.nan)
    with rasterio.open(folder / "land_use_change" / "land_use_final.tif") as src:
        final = src.read(1)
    with rasterio.open(folder / "spatial_planning" / "urban_boundary.tif") as src:
        boundary = src.read(1)
    # growth within 3 km of built-up (class 1 here) only where its suitability >= 0.5
    grown = (boundary == 1) & (final != 1)
    assert grown.any()
    assert (cropland_band[grown] >= 0.5).all()
    assert ((boundary == 1) | (final != 1)).all()       # the built-up land itself is inside
