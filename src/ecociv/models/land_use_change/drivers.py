"""Driver rasters of the suitability models: the given rasters as they are, and Euclidean
distances (km) to the features of vector layers and to the artificial oasis of the start map."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec

#: raster inputs used as drivers, in this order, when given
RASTER_DRIVERS = ("dem", "slope", "precipitation", "et0", "groundwater_overdraft")
#: vector inputs whose distance is a driver, in this order, when given
DISTANCE_DRIVERS = ("rivers", "roads", "cities", "county_seats")


def distance_km(features: NDArray[np.bool_], grid: GridSpec) -> NDArray[np.float32]:
    """Euclidean distance (km) from each cell centre to the nearest cell holding a feature
    (exact Euclidean distance transform, Maurer et al. 2003, as scipy.ndimage implements it).

    Raises
    ------
    InputError
        When no cell holds a feature.
    """
    from scipy import ndimage

    if not features.any():
        raise InputError("no feature falls on the grid: its distance cannot be a driver")
    res_x, res_y = abs(grid.transform.a), abs(grid.transform.e)
    out = ndimage.distance_transform_edt(~features, sampling=(res_y, res_x))
    return (np.asarray(out) / 1000.0).astype(np.float32)


def burn_features(layer: Any, grid: GridSpec, name: str) -> NDArray[np.bool_]:
    """Cells touched by the lines/points/polygons of ``layer`` (a GeoDataFrame on the grid's
    CRS)."""
    from ecociv.grid.burn import rasterize

    shapes = [(geom, 1) for geom in layer.geometry if geom is not None and not geom.is_empty]
    if not shapes:
        raise InputError("the layer has no features", source=name)
    burnt = rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0,
                      dtype="uint8", all_touched=True)
    if not burnt.any():
        raise InputError("no feature falls on the grid", source=name)
    return burnt.astype(bool)


def oasis_distance(cls: NDArray[np.int8], oasis: Sequence[int], grid: GridSpec
                   ) -> NDArray[np.float32] | None:
    """Distance (km) to the artificial oasis (class indices ``oasis``) of a map, or None when
    the map has no oasis cell or nothing else."""
    inside = np.isin(cls, np.asarray(list(oasis), np.int8)) if oasis else None
    if inside is None or not inside.any() or inside[cls >= 0].all():
        return None
    return distance_km(inside, grid)


def driver_stack(inputs: Mapping[str, Any], grid: GridSpec, initial: NDArray[np.int8],
                 oasis: Sequence[int], *, previous: NDArray[np.int8] | None = None
                 ) -> tuple[NDArray[np.float32], NDArray[np.float32] | None, list[str]]:
    """The drivers for training (d, ny, nx) float32 (NaN = missing), the last layer for
    prediction when it differs (else None), and the drivers' names.

    Given rasters first (:data:`RASTER_DRIVERS`), then distances (km) to each given vector layer
    (:data:`DISTANCE_DRIVERS`), then, with an earlier map, the distance (km) to the artificial
    oasis (classes ``oasis``, indices into the class table): from the earlier map for training
    (where the oasis was when the change happened) and from ``initial`` for prediction (put it
    in place of the last layer after the fit). Without an earlier map it is left out: trained on
    the current pattern it would only restate where the oasis is (distance 0 on every cropland
    cell). One array is filled layer by layer (no stacked copies).
    """
    rasters = [name for name in RASTER_DRIVERS if inputs.get(name) is not None]
    vectors = [name for name in DISTANCE_DRIVERS if inputs.get(name) is not None]
    before = now = None
    if previous is not None:
        before = oasis_distance(previous, oasis, grid)
        now = oasis_distance(initial, oasis, grid) if before is not None else None
    names = rasters + [f"distance_to_{name}_km" for name in vectors]
    if now is not None:
        names.append("distance_to_oasis_km")
    if not names:
        raise InputError("no suitability driver: give at least one of "
                         f"{list(RASTER_DRIVERS) + list(DISTANCE_DRIVERS)}", source="drivers")
    stack = np.empty((len(names), *grid.shape), dtype=np.float32)
    for i, name in enumerate(rasters):
        stack[i] = np.asarray(inputs[name].values)
    for i, name in enumerate(vectors, start=len(rasters)):
        stack[i] = distance_km(burn_features(inputs[name], grid, name), grid)
    if now is not None and before is not None:
        stack[-1] = before
    return stack, now, names
