"""``output_years`` of land_use_change: the maps written, the default of five years, the ids
other steps reference, and one clear error for a year outside the run."""

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
from ecociv.models.land_use_change.inputs import output_years
from ecociv.models.land_use_change.model import MODEL
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from tests.models.land_use_files import write_example_inputs


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def test_default_years_are_the_five_within_the_run() -> None:
    assert output_years(None, 2019, 2035) == [2025, 2030, 2035]
    assert output_years("", 2019, 2050) == [2025, 2030, 2035, 2040, 2050]
    assert output_years(None, 2020, 2024) == []
    assert output_years("2031, 2027 2027", 2019, 2035) == [2027, 2031]
    assert output_years([2033, "2021"], 2019, 2035) == [2021, 2033]
    assert output_years("[2019]", 2019, 2035) == [2019]     # the start map itself


@pytest.mark.parametrize(("value", "message"), [
    ("2036", "year 2036 is outside the simulated years 2019-2035"),
    ("2018", "year 2018 is outside the simulated years 2019-2035"),
    ("2030, next", "expected years"),
])
def test_a_year_outside_the_run_is_one_clear_error(value: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        output_years(value, 2019, 2035)
    assert "output_years" in str(info.value)
    with pytest.raises(InputError, match=message):
        MODEL.check({"start_year": 2019, "end_year": 2035, "output_years": value})


def test_run_writes_a_map_for_each_output_year_and_none_for_others(tmp_path: Path) -> None:
    inputs: dict[str, Any] = {**MODEL.example(), "output_years": "2022, 2024"}
    run_in_memory(MODEL, inputs, tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").glob("land_use_*.tif"))
    assert written == ["land_use_2022.tif", "land_use_2024.tif", "land_use_final.tif"]
    areas = pd.read_csv(tmp_path / "out" / "area_by_class.csv")
    for year in (2022, 2024):
        simulated = _read(tmp_path / "out" / f"land_use_{year}.tif")
        cropland = areas[(areas["year"] == year) & (areas["lucode"] == 1)]["area_km2"].item()
        assert (simulated == 1).sum() == cropland          # 1 km² cells
    start = np.nan_to_num(MODEL.example()["land_use"].values, nan=-1)
    assert (_read(tmp_path / "out" / "land_use_2024.tif") == 1).sum() > (start == 1).sum()


def test_run_refuses_an_output_year_after_the_end(tmp_path: Path) -> None:
    inputs: dict[str, Any] = {**MODEL.example(), "output_years": "2030"}
    with pytest.raises(InputError, match="year 2030 is outside the simulated years 2020-2025"):
        run_in_memory(MODEL, inputs, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _files(tmp_path: Path) -> None:
    write_example_inputs(tmp_path)
    pd.DataFrame({"lucode": [1, 3, 6], "c_above": [5.0, 2.0, 0.0], "c_below": [1.0, 3.0, 0.0],
                  "c_soil": [60.0, 40.0, 10.0], "c_dead": [0.5, 0.0, 0.0]}
                 ).to_csv(tmp_path / "pools.csv", index=False)


def _scenario(tmp_path: Path, params: str, reference: str) -> Path:
    (tmp_path / "scenario.yaml").write_text(textwrap.dedent(f"""
        name: years
        grid: {{reference: land_use.tif}}
        models:
          - id: land_use_change
            inputs: {{land_use: land_use.tif, land_use_previous: land_use_previous.tif,
                     dem: dem.tif, classes: classes.csv}}
            params: {{start_year: 2020, end_year: 2025, previous_year: 2015, n_samples: 400,
                      {params}}}
          - id: carbon
            inputs: {{land_use: "{reference}", carbon_pools: pools.csv}}
    """))
    return tmp_path / "scenario.yaml"


def test_a_scenario_reads_the_map_of_an_output_year(tmp_path: Path) -> None:
    _files(tmp_path)
    path = _scenario(tmp_path, "output_years: '2023'", "@land_use_change.land_use_2023")
    result = run_scenario(load_scenario(path), base_dir=tmp_path,
                          store=ResultsStore(tmp_path / "store"))
    simulated = _read(result.folder / "land_use_change" / "land_use_2023.tif")
    with rasterio.open(result.folder / "carbon" / "carbon_density.tif") as src:
        density = src.read(1, masked=True).filled(np.nan)
    inside = simulated != -32768
    per_class = {1: 66.5, 3: 45.0, 6: 10.0}   # above + below + soil + dead (t/ha)
    np.testing.assert_allclose(density[inside], [per_class[int(c)] for c in simulated[inside]])
    assert not (result.folder / "land_use_change" / "land_use_2025.tif").exists()
