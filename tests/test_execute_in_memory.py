"""In-memory inputs take the same validation path as files (``ecociv.execute.load_inputs``):
raster ranges and codes, table columns and ranges, parameter parsing and units, with the same
messages ("in memory" where a file path would be). The water-yield model's example grid (3×3
cells of 100 m on China Albers, origin (0, 5 000 000)) is used throughout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import load_inputs, run_in_memory, run_model
from ecociv.grid.io import grid_of_array
from ecociv.models.water_yield.model import MODEL as WATER_YIELD

from .conftest import RasterMaker


def example() -> dict[str, Any]:
    return dict(WATER_YIELD.example())


def message_of(call: Any) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


def as_files(values: dict[str, Any], make_raster: RasterMaker, tmp_path: Path
             ) -> tuple[dict[str, Path], dict[str, Any]]:
    """The same inputs written as GeoTIFF and CSV files on the example grid."""
    sources: dict[str, Path] = {}
    params: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, pd.DataFrame):
            sources[name] = tmp_path / f"{name}.csv"
            value.to_csv(sources[name], index=False)
        elif hasattr(value, "rio"):
            sources[name] = make_raster(np.nan_to_num(value.values, nan=-1), name, res=100,
                                        nodata=-1, dtype="float64")
        else:
            params[name] = value
    return sources, params


def test_negative_precipitation_in_memory_is_the_error_files_give(
        tmp_path: Path, make_raster: RasterMaker) -> None:
    values = example()
    precipitation = values["precipitation"].copy()
    precipitation[1, 2] = -5.0
    values["precipitation"] = precipitation
    in_memory = message_of(lambda: run_in_memory(WATER_YIELD, values, tmp_path / "m"))
    assert in_memory == ("input 'precipitation' (in memory): cell (row 1, col 2): value -5 mm/yr "
                         "below the allowed minimum 0 mm/yr")
    sources, params = as_files(values, make_raster, tmp_path)
    from_files = message_of(lambda: run_model(WATER_YIELD, sources, params, tmp_path / "f"))
    assert from_files == in_memory.replace("in memory", str(sources["precipitation"]))
    assert not (tmp_path / "m").exists()


def test_unknown_land_use_code_in_memory_is_the_error_files_give(
        tmp_path: Path, make_raster: RasterMaker) -> None:
    values = example()
    land_use = values["land_use"].copy()
    land_use[2, 0] = 7.0  # the table lists codes 1, 2, 3
    values["land_use"] = land_use
    in_memory = message_of(lambda: run_in_memory(WATER_YIELD, values, tmp_path / "m"))
    assert in_memory == ("input 'land_use' (in memory): cell (row 2, col 0): code(s) [7] not found "
                         "in biophysical_table.lucode (the table must list every code of the raster)")
    sources, params = as_files(values, make_raster, tmp_path)
    from_files = message_of(lambda: run_model(WATER_YIELD, sources, params, tmp_path / "f"))
    assert from_files == in_memory.replace("in memory", str(sources["land_use"]))


def test_in_memory_table_is_checked_like_a_csv(tmp_path: Path) -> None:
    values = example()
    table = values["biophysical_table"].copy()
    table.loc[1, "kc"] = -0.7
    values["biophysical_table"] = table
    assert message_of(lambda: run_in_memory(WATER_YIELD, values, tmp_path / "a")) == (
        "table 'biophysical_table' (in memory): row 1, column 'kc': value -0.7 out of range; "
        "expected >= 0")
    values["biophysical_table"] = example()["biophysical_table"].drop(columns="kc")
    assert "missing required column(s) ['kc']" in message_of(
        lambda: run_in_memory(WATER_YIELD, values, tmp_path / "b"))
    duplicated = example()["biophysical_table"]
    duplicated.loc[2, "lucode"] = 1
    values["biophysical_table"] = duplicated
    assert "duplicate code 1 in key column 'lucode' (rows [0, 2])" in message_of(
        lambda: run_in_memory(WATER_YIELD, values, tmp_path / "c"))
    # a table indexed by its key column is read as the CSV would be
    values["biophysical_table"] = example()["biophysical_table"].set_index("lucode")
    run_in_memory(WATER_YIELD, values, tmp_path / "indexed")
    # InVEST-style headers: case and spaces do not matter, in memory as in files
    upper = example()["biophysical_table"].rename(columns={"kc": " KC "})
    values["biophysical_table"] = upper
    run_in_memory(WATER_YIELD, values, tmp_path / "d")


def test_in_memory_parameters_are_parsed_like_the_command_line(
        tmp_path: Path, make_raster: RasterMaker) -> None:
    values = example()
    values["seasonality_z"] = "-1"
    in_memory = message_of(lambda: run_in_memory(WATER_YIELD, values, tmp_path / "a"))
    assert in_memory.startswith("parameter 'seasonality_z': -1 (from '-1')")
    sources, params = as_files(values, make_raster, tmp_path)
    assert message_of(lambda: run_model(WATER_YIELD, sources, params, tmp_path / "f")) == in_memory
    values["seasonality_z"] = "five"
    assert "parameter 'seasonality_z'" in message_of(
        lambda: run_in_memory(WATER_YIELD, values, tmp_path / "b"))
    values["seasonality_z"] = "5"
    manifest = run_in_memory(WATER_YIELD, values, tmp_path / "c")
    assert manifest["params"]["seasonality_z"] == 5.0


def test_unknown_input_name_in_memory(tmp_path: Path) -> None:
    values = example()
    values["precipitaton"] = values.pop("precipitation")
    message = message_of(lambda: run_in_memory(WATER_YIELD, values, tmp_path / "a"))
    assert "has no input 'precipitaton' (did you mean 'precipitation'?)" in message


def test_raster_units_are_converted_or_rejected() -> None:
    values = example()
    metres = values["precipitation"] / 1000.0
    metres.attrs["units"] = "m/yr"
    values["precipitation"] = metres
    sources = {k: v for k, v in values.items() if k != "seasonality_z"}
    loaded = load_inputs(WATER_YIELD, sources, {"seasonality_z": 5})
    np.testing.assert_allclose(loaded.values["precipitation"].values,
                               example()["precipitation"].values)
    assert loaded.values["precipitation"].attrs["units"] == "mm/yr"
    assert any("converted from m/yr to mm/yr" in n for n in loaded.notes.messages)
    values["precipitation"].attrs["units"] = "degC"
    sources = {k: v for k, v in values.items() if k != "seasonality_z"}
    with pytest.raises(InputError, match=r"input 'precipitation' \(in memory\): has units 'degC' "
                       r"\(attrs\['units'\]\); expected mm/yr"):
        load_inputs(WATER_YIELD, sources, {"seasonality_z": 5})


def test_raster_off_the_grid_needs_align() -> None:
    values = example()
    shifted = values["et0"].assign_coords(x=values["et0"].x + 50.0)
    shifted = shifted.rio.write_transform(shifted.rio.transform(recalc=True))
    values["et0"] = shifted
    sources = {k: v for k, v in values.items() if k != "seasonality_z"}
    with pytest.raises(InputError, match=r"input 'et0' \(in memory\): raster is not on the run's "
                       r"grid"):
        load_inputs(WATER_YIELD, sources, {"seasonality_z": 5})
    loaded = load_inputs(WATER_YIELD, sources, {"seasonality_z": 5}, align=True)
    assert grid_of_array(loaded.values["et0"]).same_as(loaded.grid)
    assert any("aligned to the run grid" in n for n in loaded.notes.messages)


def test_declared_nodata_of_an_in_memory_raster_is_missing() -> None:
    values = example()
    et0 = values["et0"].copy()
    et0[0, 0] = -9999.0
    values["et0"] = et0.rio.write_nodata(-9999.0)
    sources = {k: v for k, v in values.items() if k != "seasonality_z"}
    loaded = load_inputs(WATER_YIELD, sources, {"seasonality_z": 5})
    assert np.isnan(loaded.values["et0"].values[0, 0])
    assert np.count_nonzero(np.isnan(loaded.values["et0"].values)) == 1


def _bounded_model() -> Any:
    """A model whose spec declares exclusive bounds (0 < value < 10) on a raster and a table
    column, and whose run() fails outright on a value <= 0 (as a kernel taking a logarithm
    might)."""
    from ecociv.spec import Column, Model, ModelSpec, RasterInput, RasterOutput, TableInput

    spec = ModelSpec(
        id="bounded", title="bounded", version="1", citation="none", about="test model",
        inputs=(RasterInput(id="depth", about="depth", units="m", gt=0, lt=10),
                TableInput(id="factors", about="factors", columns=(
                    Column(id="factor", about="a factor", units="", gt=0, lt=10),),
                    required=False)),
        outputs=(RasterOutput(id="log_depth", about="log", units="", long_name="log depth"),))

    def run(inputs: Any) -> dict[str, Any]:
        depth = inputs["depth"]
        if float(depth.min()) <= 0:
            raise ValueError("math domain error")
        return {"log_depth": np.log(depth)}

    return Model(spec=spec, run=run, example=lambda: {})


def test_exclusive_bounds_of_rasters_and_columns(tmp_path: Path) -> None:
    model = _bounded_model()
    values = example()
    depth = (values["et0"] / 100.0).assign_attrs(units="m")  # 10 m everywhere: not < 10
    assert message_of(lambda: run_in_memory(model, {"depth": depth}, tmp_path / "a")) == (
        "input 'depth' (in memory): cell (row 0, col 0): value 10 m not allowed; values must be "
        "less than 10 m")
    run_in_memory(model, {"depth": depth - 5.0}, tmp_path / "b")
    factors = pd.DataFrame({"factor": [1.0, 0.0]})
    assert message_of(lambda: run_in_memory(model, {"depth": depth - 5.0, "factors": factors},
                                            tmp_path / "c")) == (
        "table 'factors' (in memory): row 1, column 'factor': value 0 out of range; expected > 0")


def test_a_model_failing_on_a_bad_file_reports_the_input(tmp_path: Path,
                                                         make_raster: RasterMaker) -> None:
    # read lazily from a file, the range check would be computed with the outputs; the model
    # fails first, so the check is computed then and names the input instead of the failure
    depth = np.full((3, 3), 2.0)
    depth[2, 1] = -1.0
    path = make_raster(depth, "depth", res=100)
    message = message_of(lambda: run_model(_bounded_model(), {"depth": path}, None, tmp_path / "o"))
    assert message == (f"input 'depth' ({path}): cell (row 2, col 1): value -1 m not allowed; "
                       "values must be greater than 0 m")
