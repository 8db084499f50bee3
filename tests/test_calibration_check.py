"""The ``gauge`` evaluator of ``ecociv check`` (ecociv/check/gauges.py): an output summed over
the gauge's catchment, delineated from the dataset DEM or read from the calibration's
catchments.tif."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio

from ecociv.check import evaluate
from ecociv.check.gauges import evaluate_gauge
from ecociv.check.outputs import parse_output
from ecociv.check.places import Places
from ecociv.check.reference import ReferenceRow
from ecociv.grid.spec import GridSpec
from tests.test_catchments import ALBERS, TRANSFORM, _lonlat, _two_valleys


class _Run:
    """The parts of a run folder the gauge evaluator reads: a water_yield output of 1 mm/yr."""

    def __init__(self, folder: Path, grid: GridSpec):
        self.folder = folder
        self.grid = grid
        self.places = Places(units=None, lakes=None, grid=grid)  # type: ignore[arg-type]

    def output(self, ref):
        return evaluate.Output(step="water_yield", id=ref.output, type="raster",
                               path=self.folder / "wy.tif", units="mm/yr")

    def array(self, out):
        return np.ones(self.grid.shape)


def _row(statistic: str = "sum", lon_lat=None) -> ReferenceRow:
    lon, lat = lon_lat or _lonlat(0, 4)
    return ReferenceRow(id="gauge-west", quantity="mean annual runoff", place_kind="gauge",
                        place="west valley", value=0.002, low=0.001, high=0.003,
                        unit="1e8 m**3/yr", period="", output=parse_output(f"water_yield.water_yield:{statistic}"),
                        citation="synthetic", citation_status="verified", source="test.csv", line=2,
                        lon=lon, lat=lat)


@pytest.fixture
def run(tmp_path, monkeypatch):
    dem = _two_valleys().astype(np.float32)
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", height=dem.shape[0], width=dem.shape[1], count=1,
                       dtype="float32", crs=ALBERS, transform=TRANSFORM, nodata=-9999) as dst:
        dst.write(dem, 1)
    dataset = SimpleNamespace(root=tmp_path, layer=lambda name: SimpleNamespace(path=path))
    import ecociv.check.report as report

    monkeypatch.setattr(report, "run_dataset", lambda folder: dataset)
    return _Run(tmp_path, GridSpec.from_crs(ALBERS, TRANSFORM, dem.shape))


def test_gauge_row_sums_the_output_over_the_delineated_catchment(run):
    # west valley: 10 columns x 20 rows of 1 km² plus part of the ridge; 1 mm/yr over 1 km² is
    # 1000 m³/yr = 1e-5 x 1e8 m³/yr
    answer = evaluate_gauge(_row(), run)
    value = answer.value.to("m**3/yr").magnitude / 1e8
    assert 200e-5 <= value <= 220e-5
    mean = evaluate_gauge(_row("mean"), run).value.to("mm/yr").magnitude
    assert mean == pytest.approx(1.0)


def test_gauge_row_uses_the_calibration_catchments_when_present(run):
    mask = np.zeros(run.grid.shape, dtype=np.uint8)
    mask[5:10, 2:6] = 1  # 20 cells
    folder = run.folder / "calibration"
    folder.mkdir()
    with rasterio.open(folder / "catchments.tif", "w", driver="GTiff", height=mask.shape[0],
                       width=mask.shape[1], count=1, dtype="uint8", crs=ALBERS,
                       transform=TRANSFORM) as dst:
        dst.write(mask, 1)
        dst.set_band_description(1, "gauge-west")
    value = evaluate_gauge(_row(), run).value.to("m**3/yr").magnitude / 1e8
    assert value == pytest.approx(20e-5)


def test_gauge_outside_the_grid_is_not_comparable(run):
    answer = evaluate_gauge(_row(lon_lat=(10.0, 10.0)), run)
    assert answer.value is None and "outside" in answer.reason


def test_gauge_evaluator_is_registered():
    assert evaluate.evaluators()["gauge"] is evaluate_gauge
