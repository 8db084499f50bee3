"""Multi-band (e.g. monthly) rasters: read as ("band", "y", "x"), written as N-band COGs,
checked per band and cell."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from affine import Affine

from ecociv.errors import InputError, OutputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.spec import Column, Model, ModelSpec, RasterInput, RasterOutput, TableInput

SPEC = ModelSpec(
    id="monthly_double", title="Double monthly values", version="1", citation="test", about="x 2; annual sum",
    inputs=(RasterInput(id="monthly", about="monthly values", units="mm/month", ge=0, bands=12),),
    outputs=(RasterOutput(id="doubled", about="2 x monthly", units="mm/month", long_name="doubled", bands=12),
             RasterOutput(id="annual", about="sum of months", units="mm/yr", long_name="annual")),
)


def _run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    monthly = inputs["monthly"]
    return {"doubled": monthly * 2, "annual": monthly.sum("band", skipna=False)}


MODEL = Model(spec=SPEC, run=_run, example=lambda: {})
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, 0, 0, -30.0, 5e6), (2, 3))


def _write(path: Path, values: np.ndarray, nodata: float | None = -1.0) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[2], height=values.shape[1],
                       count=values.shape[0], dtype="float32", crs=CHINA_ALBERS, transform=GRID.transform,
                       nodata=nodata) as dst:
        dst.write(values.astype("float32"))
    return path


def test_twelve_bands_in_and_out(tmp_path: Path) -> None:
    values = np.arange(12 * 6, dtype=float).reshape(12, 2, 3)
    values[5, 1, 2] = -1.0  # nodata in June at one cell
    path = _write(tmp_path / "m.tif", values)
    run_model(MODEL, {"monthly": path}, {}, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "doubled.tif") as src:
        assert src.count == 12 and src.tags()["units"] == "mm/month"
        doubled = src.read(masked=True)
        assert src.descriptions[0] == "doubled, band 1"
    expected = np.ma.masked_equal(values, -1.0) * 2
    np.testing.assert_allclose(doubled.filled(np.nan), expected.filled(np.nan))
    with rasterio.open(tmp_path / "out" / "annual.tif") as src:
        annual = src.read(1, masked=True)
    # cell (1, 2) lacks June: its annual sum is nodata, not a sum that reads nodata as zero
    assert annual.mask[1, 2] and not annual.mask[0, 0]
    assert annual[0, 0] == pytest.approx(sum(range(0, 72, 6)))


def test_wrong_band_count_and_bad_value_are_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.tif", np.ones((11, 2, 3)))
    with pytest.raises(InputError, match=r"expected 12 bands .* found 11"):
        run_model(MODEL, {"monthly": path}, {}, tmp_path / "out")
    values = np.ones((12, 2, 3))
    values[2, 0, 1] = -5.0
    path = _write(tmp_path / "n.tif", values, nodata=None)
    with pytest.raises(InputError, match=r"band 3, cell \(row 0, col 1\)"):
        run_model(MODEL, {"monthly": path}, {}, tmp_path / "out2")


def test_in_memory_three_d_arrays_and_output_shape_check(tmp_path: Path) -> None:
    monthly = from_array(np.ones((12, 2, 3)), GRID, name="monthly", units="mm/month")
    assert monthly.dims == ("band", "y", "x")
    manifest = run_in_memory(MODEL, {"monthly": monthly}, tmp_path / "out")
    assert set(manifest["outputs"]) == {"doubled", "annual"}
    broken = Model(spec=SPEC, run=lambda inputs: {"doubled": inputs["monthly"].isel(band=0),
                                                  "annual": inputs["monthly"].isel(band=0)},
                   example=lambda: {})
    with pytest.raises(OutputError, match=r"expected \('band', 'y', 'x'\)"):
        run_in_memory(broken, {"monthly": monthly}, tmp_path / "out2")


PER_ROW = ModelSpec(
    id="per_threat", title="One band per table row", version="1", citation="test", about="bands from a table",
    inputs=(
        TableInput(id="threat_table", about="threats", index="threat",
                   columns=(Column(id="threat", about="name", dtype="str"),
                            Column(id="weight", about="weight", units="", ge=0, le=1))),
        RasterInput(id="threats", about="one band per threat", units="", ge=0, le=1,
                    bands_from="threat_table.threat"),
    ),
    outputs=(RasterOutput(id="weighted", about="threat x weight", units="", long_name="weighted threat",
                          bands_from="threat_table.threat"),),
)


def _per_row_run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    weights = inputs["threat_table"]["weight"].to_numpy()
    return {"weighted": inputs["threats"] * weights[:, None, None]}


PER_ROW_MODEL = Model(spec=PER_ROW, run=_per_row_run, example=lambda: {})


def test_band_count_follows_a_table(tmp_path: Path) -> None:
    stack = _write(tmp_path / "threats.tif", np.stack([np.ones((2, 3)), np.zeros((2, 3)), np.full((2, 3), 0.5)]))
    table = tmp_path / "threats.csv"
    table.write_text("threat,weight\ncrops,0.5\nroads,1\nurban,0.2\n")
    run_model(PER_ROW_MODEL, {"threats": stack, "threat_table": table}, {}, tmp_path / "out")
    with rasterio.open(tmp_path / "out" / "weighted.tif") as src:
        assert src.count == 3
        assert src.descriptions == ("weighted threat: crops", "weighted threat: roads", "weighted threat: urban")
        np.testing.assert_allclose(src.read()[:, 0, 0], [0.5, 0.0, 0.1], rtol=1e-6)
    table.write_text("threat,weight\ncrops,0.5\nroads,1\n")
    with pytest.raises(InputError, match=r"expected 2 bands .* found 3"):
        run_model(PER_ROW_MODEL, {"threats": stack, "threat_table": table}, {}, tmp_path / "out2")


def test_bands_and_bands_from_are_exclusive() -> None:
    with pytest.raises(ValueError, match="bands or bands_from"):
        ModelSpec(id="bad", title="t", version="1", citation="c", about="a",
                  inputs=(TableInput(id="t", about="t", columns=(Column(id="c", about="c", dtype="str"),)),),
                  outputs=(RasterOutput(id="x", about="x", units="", long_name="x", bands=2, bands_from="t.c"),))
