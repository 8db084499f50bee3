"""The ``gauge`` evaluator of ``ecociv check``: a raster output summed over the gauge's catchment.

A gauge row (``place_kind`` gauge, lon/lat, e.g. ``model_output`` ``water_yield.water_yield:sum``
against a published mean annual runoff) is answered by the output summed over the cells upstream
of the gauge, with true cell areas. The catchment is the one ``ecociv calibrate`` delineated for
the gauge's id (band of ``calibration/catchments.tif`` in the run's dataset) when the run is on
the dataset's grid; otherwise it is delineated from the dataset's DEM with the same method
(:mod:`ecociv.calibrate.catchments`: D8 on the depression-filled DEM, snapped to the nearest
channel). ``mean`` gives the area-weighted mean over the catchment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ecociv.check.evaluate import Answer, RunData, _resolve, register
from ecociv.check.reference import ReferenceRow, output_unit

_FLOW: dict[str, Any] = {}


def _stored_mask(root: Path, gauge_id: str, run: RunData) -> np.ndarray | None:
    """The catchment ``ecociv calibrate`` stored for ``gauge_id``, if it is on the run's grid."""
    import rasterio

    path = root / "calibration" / "catchments.tif"
    if not path.is_file():
        return None
    with rasterio.open(path) as src:
        if (src.height, src.width) != run.grid.shape or tuple(src.transform)[:6] != \
                tuple(run.grid.transform)[:6] or gauge_id not in src.descriptions:
            return None
        return np.asarray(src.read(src.descriptions.index(gauge_id) + 1) > 0)


def _delineated_mask(dataset: Any, row: ReferenceRow, run: RunData) -> np.ndarray | None:
    """The catchment delineated from the dataset's DEM (on the run's grid), None if impossible."""
    import rasterio

    from ecociv.calibrate.catchments import FlowGrid, GaugePoint

    path = dataset.layer("dem").path
    key = f"{path}|{run.grid.shape}|{tuple(run.grid.transform)[:6]}"
    if key not in _FLOW:
        with rasterio.open(path) as src:
            if (src.height, src.width) != run.grid.shape or \
                    tuple(src.transform)[:6] != tuple(run.grid.transform)[:6]:
                return None
            dem = src.read(1, masked=True).astype(np.float64).filled(np.nan)
        _FLOW[key] = FlowGrid(dem, run.grid.transform, run.grid.crs)
    flow = _FLOW[key]
    assert row.lon is not None and row.lat is not None
    (catchment,) = flow.delineate([GaugePoint(row.id, row.lon, row.lat)])
    return catchment.mask


def catchment_mask(row: ReferenceRow, run: RunData) -> np.ndarray | Answer:
    """The gauge's catchment on the run's grid, or the reason there is none."""
    from ecociv.check.report import run_dataset
    from ecociv.errors import InputError

    if row.lon is None or row.lat is None:
        return Answer(reason="a gauge row needs lon/lat")
    if run.places.on_grid(row.lon, row.lat) is None:
        return Answer(reason="the gauge is outside the run's grid")
    dataset = run_dataset(run.folder)
    mask = _stored_mask(dataset.root, row.id, run)
    if mask is None:
        try:
            mask = _delineated_mask(dataset, row, run)
        except InputError as err:
            return Answer(reason=f"no catchment: {err.detail}")
    if mask is None:
        return Answer(reason="the run's grid is not the dataset's grid (no catchment)")
    return mask


@register("gauge")
def evaluate_gauge(row: ReferenceRow, run: RunData) -> Answer:
    """Gauge rows: a raster output summed (or averaged) over the gauge's catchment."""
    found = _resolve(row, run)
    if isinstance(found, Answer):
        return found
    out, ref = found
    if out.type != "raster" or ref.statistic not in ("sum", "mean"):
        return Answer(reason="a gauge row is answered by a raster 'sum' or 'mean' over its catchment")
    mask = catchment_mask(row, run)
    if isinstance(mask, Answer):
        return mask
    values = run.array(out)
    area = np.broadcast_to(run.grid.cell_area_m2(), run.grid.shape)
    valid = mask & np.isfinite(values)
    if not valid.any():
        return Answer(reason=f"{out.step}.{out.id} has no valid cell in the catchment")
    units = out.units if isinstance(out.units, str) or out.units is None else None
    total = float(np.sum(values[valid] * area[valid]))
    if ref.statistic == "sum":
        return Answer(total * output_unit(units, "sum"))
    return Answer(total / float(np.sum(area[valid])) * output_unit(units, "mean"))
