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
    out = np.asarray(ndimage.distance_transform_edt(~features, sampling=(res_y, res_x)))
    out /= 1000.0   # in place: no second float64 grid
    return out.astype(np.float32)


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


class Drivers:
    """The drivers of the suitability models, (d, ny, nx), read by rows or at sampled cells.

    A layer is a raster input (an ``xarray.DataArray``, read lazily: only the rows asked for,
    as float32) or a computed float32 array (the distances). The whole stack is never held in
    memory: :meth:`rows` builds the layers of a band of rows, :meth:`take` the values at a set
    of cells, one band at a time.
    """

    def __init__(self, names: Sequence[str], layers: Sequence[Any],
                 shape: tuple[int, int]) -> None:
        self.names = list(names)
        self.layers = list(layers)
        self.shape = (len(self.layers), *shape)
        self.ndim = 3

    def select(self, keep: Sequence[int]) -> Drivers:
        """The drivers ``keep`` (positions) only."""
        return Drivers([self.names[i] for i in keep], [self.layers[i] for i in keep],
                       self.shape[1:])

    def band_rows(self) -> int:
        """Rows per band when reading: the row chunks of the first lazy layer (one decode of
        each tile), else about one million cells."""
        for layer in self.layers:
            chunks = getattr(getattr(layer, "data", None), "chunks", None)
            if chunks:
                return max(1, int(chunks[0][0]))
        return max(1, 1_000_000 // max(self.shape[2], 1))

    def rows(self, r0: int, r1: int) -> NDArray[np.float32]:
        """The drivers of rows ``r0:r1`` as float32 (d, r1 - r0, nx); NaN = missing."""
        out = np.empty((self.shape[0], r1 - r0, self.shape[2]), dtype=np.float32)
        for i, layer in enumerate(self.layers):
            out[i] = np.asarray(layer[r0:r1] if isinstance(layer, np.ndarray)
                                else layer[r0:r1].values)
        return out

    def take(self, flat: NDArray[np.intp]) -> NDArray[np.float32]:
        """The drivers at the flat cell indices ``flat`` as float32 (d, n), reading only the
        bands of rows holding one of them."""
        nx = self.shape[2]
        flat = np.asarray(flat, dtype=np.intp)
        out = np.empty((self.shape[0], flat.size), dtype=np.float32)
        if not flat.size:
            return out
        order = np.argsort(flat, kind="stable")
        row = flat[order] // nx
        step = self.band_rows()
        band = row // step
        edges = np.flatnonzero(np.diff(band)) + 1
        for part in np.split(np.arange(order.size), edges):
            r0 = int(band[part[0]]) * step
            r1 = min(self.shape[1], r0 + step)
            block = self.rows(r0, r1).reshape(self.shape[0], -1)
            out[:, order[part]] = block[:, flat[order[part]] - r0 * nx]
        return out


def drivers_for(inputs: Mapping[str, Any], grid: GridSpec, initial: NDArray[np.int8],
                oasis: Sequence[int], *, previous: NDArray[np.int8] | None = None
                ) -> tuple[Drivers, NDArray[np.float32] | None]:
    """The drivers for training and the last layer for prediction when it differs (else None).

    Given rasters first (:data:`RASTER_DRIVERS`, read lazily), then distances (km) to each
    given vector layer (:data:`DISTANCE_DRIVERS`), then, with an earlier map, the distance (km)
    to the artificial oasis (classes ``oasis``, indices into the class table): from the earlier
    map for training (where the oasis was when the change happened) and from ``initial`` for
    prediction (put it in place of the last layer after the fit). Without an earlier map it is
    left out: trained on the current pattern it would only restate where the oasis is
    (distance 0 on every cropland cell).
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
    layers: list[Any] = [inputs[name] for name in rasters]
    layers += [distance_km(burn_features(inputs[name], grid, name), grid) for name in vectors]
    if now is not None and before is not None:
        layers.append(before)
    return Drivers(names, layers, grid.shape), now
