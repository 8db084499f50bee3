"""Exclusive bounds (gt, lt) of a raster input: checked with the outputs, the first offending
cell named; shown as '> 0' by `model describe` and '(0, 10)' in the generated docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from affine import Affine

from ecociv.docs import model_reference
from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.spec import Model, ModelSpec, RasterInput, RasterOutput

SPEC = ModelSpec(
    id="log_depth", title="Log depth", version="0.1.0", citation="test", about="ln of a depth.",
    inputs=(RasterInput(id="depth", about="a depth", units="m", gt=0, lt=10),),
    outputs=(RasterOutput(id="log_depth", about="ln(depth / 1 m)", units="", long_name="log depth"),),
)
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0), (2, 3))


def _run(inputs: Any) -> dict[str, Any]:
    return {"log_depth": np.log(inputs["depth"])}


MODEL = Model(spec=SPEC, run=_run, example=lambda: {})


def _depth(values: list[list[float]]) -> Any:
    return from_array(np.array(values, dtype=np.float32), GRID, name="depth", units="m")


@pytest.mark.parametrize(("values", "message", "cell"), [
    ([[1, 2, 3], [4, 0, 5]], "value 0 m not allowed; values must be greater than 0 m", "cell (row 1, col 1)"),
    ([[1, 2, 10], [4, 5, 6]], "value 10 m not allowed; values must be less than 10 m", "cell (row 0, col 2)"),
])
def test_values_on_an_exclusive_bound_are_refused(tmp_path: Path, values, message, cell) -> None:
    with pytest.raises(InputError, match=message) as err:
        run_in_memory(MODEL, {"depth": _depth(values)}, tmp_path / "out")
    assert cell in str(err.value) and "input 'depth'" in str(err.value)
    assert not (tmp_path / "out").exists()


def test_values_inside_pass(tmp_path: Path) -> None:
    run_in_memory(MODEL, {"depth": _depth([[0.001, 2, 3], [4, 5, 9.99]])}, tmp_path / "out")
    assert (tmp_path / "out" / "log_depth.tif").is_file()


def test_docs_show_the_open_interval() -> None:
    line = next(line for line in model_reference(SPEC).splitlines() if line.startswith("| `depth`"))
    assert "| (0, 10) |" in line
