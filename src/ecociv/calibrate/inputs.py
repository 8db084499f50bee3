"""Reading a dataset folder into the arrays of the calibration (``water_yield`` inputs, DEM,
basins) and building the problem for a gauge table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import rasterio
from affine import Affine
from numpy.typing import NDArray

from ecociv.calibrate.catchments import Catchment, FlowGrid, GaugePoint
from ecociv.calibrate.gauges import Gauge
from ecociv.calibrate.problem import CellInputs, Problem, band_labels, make_parameters
from ecociv.errors import InputError
from ecociv.region.dataset import Dataset

#: dataset layers read by the calibration (the raw inputs of the baseline's water_yield step)
LAYERS = {"precipitation": "precipitation_annual", "et0": "et0_annual", "land_use": "land_use",
          "root_restricting_depth": "root_restricting_depth",
          "plant_available_water": "plant_available_water", "dem": "dem",
          "biophysical_table": "biophysical_table", "units": "units"}


@dataclass
class GridInputs:
    """Full-grid arrays of a dataset (flattened views come from :meth:`cells`)."""

    transform: Affine
    crs: str
    shape: tuple[int, int]
    arrays: dict[str, NDArray[np.float64]]
    basin: NDArray[np.str_]
    table: pd.DataFrame

    def cells(self) -> CellInputs:
        """Every cell of the grid as :class:`CellInputs`."""
        codes = self.arrays["land_use"]
        table = self.table.set_index(self.table["lucode"].astype(int))

        def lookup(column: str) -> NDArray[np.float64]:
            out = np.full(codes.shape, np.nan)
            for code, value in table[column].items():
                out[codes == code] = float(value)
            return out.ravel()

        area = np.full(codes.size, abs(self.transform.a * self.transform.e) / 1e6)
        return CellInputs(
            precipitation=self.arrays["precipitation"].ravel(), et0=self.arrays["et0"].ravel(),
            kc=lookup("kc"), vegetated=lookup("lulc_veg"), root_depth=lookup("root_depth"),
            root_restricting_depth=self.arrays["root_restricting_depth"].ravel(),
            plant_available_water=self.arrays["plant_available_water"].ravel(),
            elevation=self.arrays["dem"].ravel(), area_km2=area, basin=self.basin.ravel())


def _read(path: Path) -> tuple[NDArray[np.float64], Affine, str]:
    with rasterio.open(path) as src:
        data = src.read(1, masked=True).astype(np.float64)
        return data.filled(np.nan), src.transform, src.crs.to_wkt()


def read_grid_inputs(dataset: Dataset, overrides: dict[str, Path] | None = None) -> GridInputs:
    """The calibration's inputs from a dataset (``overrides`` replaces layer files by id)."""
    overrides = overrides or {}
    arrays: dict[str, NDArray[np.float64]] = {}
    transform: Affine | None = None
    crs = ""
    for key in ("precipitation", "et0", "land_use", "root_restricting_depth",
                "plant_available_water", "dem"):
        path = overrides.get(key, dataset.layer(LAYERS[key]).path)
        arrays[key], this_transform, crs = _read(Path(path))
        if transform is None:
            transform = this_transform
        elif this_transform != transform or arrays[key].shape != arrays["precipitation"].shape:
            raise InputError(f"raster '{key}' is not on the grid of the precipitation raster",
                             source=str(path))
    assert transform is not None
    table = pd.read_csv(dataset.layer(LAYERS["biophysical_table"]).path)
    basin = _basin_grid(dataset, arrays["dem"].shape, transform)
    return GridInputs(transform=transform, crs=crs, shape=arrays["dem"].shape, arrays=arrays,
                      basin=basin, table=table)


def _basin_grid(dataset: Dataset, shape: tuple[int, int], transform: Affine) -> NDArray[np.str_]:
    """The ``basin`` of the unit each cell centre falls in ("" outside every unit)."""
    import geopandas as gpd

    from ecociv.grid.burn import rasterize

    layer = dataset.layer(LAYERS["units"])
    units = gpd.read_file(layer.path, layer=layer.layer)
    table = pd.read_csv(dataset.root / "units.csv", dtype=str)
    basin_of = dict(zip(table["adcode"], table["basin"], strict=True))
    names = sorted({basin_of.get(str(code), "") for code in units["adcode"]} - {""})
    shapes = [(geom, names.index(basin_of[str(code)]) + 1)
              for geom, code in zip(units.geometry, units["adcode"], strict=True)
              if basin_of.get(str(code), "")]
    labels = rasterize(shapes, out_shape=shape, transform=transform, fill=0, dtype="int32")
    lookup = np.array(["", *names])
    return lookup[labels]


def basin_names(dataset: Dataset) -> set[str]:
    """Basin names of the dataset's units."""
    table = pd.read_csv(dataset.root / "units.csv", dtype=str, keep_default_na=False)
    return {b for b in table["basin"] if b}


def delineate(grid: GridInputs, gauges: Sequence[Gauge], radius: int) -> tuple[FlowGrid,
                                                                                list[Catchment]]:
    """Flow directions of the dataset's DEM and the catchment of every gauge."""
    flow = FlowGrid(grid.arrays["dem"], grid.transform, grid.crs)
    points = [GaugePoint(g.id, g.lon, g.lat) for g in gauges]
    return flow, flow.delineate(points, radius)


def build_problem(grid: GridInputs, gauges: Sequence[Gauge], catchments: Sequence[Catchment],
                  *, band_edges: Sequence[float], z_prior: float) -> tuple[Problem, CellInputs]:
    """The problem over the catchments of the gauges with runoff, and the full-grid cells.

    Cells of a gauge's catchment belong to the gauge's basin (a catchment may reach beyond the
    units of its basin, e.g. up to the range's divide); other cells keep their unit's basin.
    """
    cells = grid.cells()
    basin = cells.basin.copy()
    for gauge, catchment in zip(gauges, catchments, strict=True):
        if gauge.has_runoff:
            basin[catchment.mask.ravel()] = gauge.basin
    cells.basin = basin
    used = [(g, c) for g, c in zip(gauges, catchments, strict=True) if g.has_runoff]
    union = np.zeros(cells.elevation.size, dtype=bool)
    for _, catchment in used:
        union |= catchment.mask.ravel()
    index = np.flatnonzero(union)
    position = np.full(union.size, -1, dtype=np.intp)
    position[index] = np.arange(index.size)
    members = {g.id: position[np.flatnonzero(c.mask.ravel())] for g, c in used}
    parameters = make_parameters(band_edges, [g.basin for g, _ in used], z_prior=z_prior)
    problem = Problem(cells=cells.subset(index), members=members,
                      observed={g.id: g.runoff for g, _ in used}, parameters=parameters,
                      band_edges=list(band_edges), z_default=z_prior,
                      band_labels=band_labels(band_edges))
    return problem, cells
