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


def driver_stack(inputs: Mapping[str, Any], grid: GridSpec, initial: NDArray[np.int8],
                 oasis: Sequence[int]) -> tuple[NDArray[np.float32], list[str]]:
    """The drivers (d, ny, nx) float32 (NaN = missing) and their names.

    Given rasters first (:data:`RASTER_DRIVERS`), then distances (km) to each given vector layer
    (:data:`DISTANCE_DRIVERS`), then the distance (km) to the artificial oasis (classes
    ``oasis``, indices into the class table) of the start map when it has any.
    """
    layers: list[NDArray[np.float32]] = []
    names: list[str] = []
    for name in RASTER_DRIVERS:
        if inputs.get(name) is not None:
            layers.append(np.asarray(inputs[name].values, dtype=np.float32))
            names.append(name)
    for name in DISTANCE_DRIVERS:
        if inputs.get(name) is not None:
            layers.append(distance_km(burn_features(inputs[name], grid, name), grid))
            names.append(f"distance_to_{name}_km")
    in_oasis = np.isin(initial, np.asarray(list(oasis), np.int8)) if oasis else None
    if in_oasis is not None and in_oasis.any() and not in_oasis[initial >= 0].all():
        layers.append(distance_km(in_oasis, grid))
        names.append("distance_to_oasis_km")
    if not layers:
        raise InputError("no suitability driver: give at least one of "
                         f"{list(RASTER_DRIVERS) + list(DISTANCE_DRIVERS)}", source="drivers")
    return np.stack(layers), names
