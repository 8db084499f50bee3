r"""The calibration problem of ``water_yield``: named parameters, and the gauged runoff they give.

Parameters (all named, each with bounds and a prior):

* ``precipitation_factor[<band>]`` — a multiplicative correction of the precipitation input for
  every cell whose elevation lies in the band (reanalysis precipitation over high mountains is
  the largest single error of the Belt's water balance);
* ``seasonality_z[<basin>]`` — Zhang's seasonality factor Z of ``water_yield`` for the cells of a
  basin that has at least one gauge; other basins keep the scenario's Z.

The forward model is exactly the ``water_yield`` kernel (InVEST's Budyko–Fu ``fractp``) applied
to the corrected precipitation; a gauge's simulated runoff is the water yield summed over its
delineated catchment (mm × km² = 10³ m³).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from ecociv.models.water_yield import kernels

#: mm over km² in 10⁸ m³: 1 mm × 1 km² = 10³ m³
MM_KM2_TO_1E8M3 = 1e3 / 1e8


@dataclass(frozen=True)
class Parameter:
    """A named parameter: its value is ``exp(x)`` of the optimiser's variable ``x``.

    Attributes
    ----------
    name : str
        e.g. ``precipitation_factor[1500-2500 m]`` or ``seasonality_z[Manas River]``.
    kind : str
        ``precipitation_factor`` or ``seasonality_z``.
    zone : str
        The elevation band or basin.
    prior : float
        Prior (and starting) value.
    prior_log_sd : float
        Standard deviation of the prior of ln(value).
    lower, upper : float
        Bounds of the value.
    """

    name: str
    kind: str
    zone: str
    prior: float
    prior_log_sd: float
    lower: float
    upper: float


@dataclass
class CellInputs:
    """The ``water_yield`` inputs of the cells, as flat float arrays (NaN = nodata).

    ``precipitation`` and ``et0`` are mm/yr, ``kc`` dimensionless, ``vegetated`` 0/1,
    ``root_depth`` and ``root_restricting_depth`` mm, ``plant_available_water`` a fraction,
    ``elevation`` m, ``area_km2`` km², ``basin`` the basin name of every cell ("" = none).
    """

    precipitation: NDArray[np.float64]
    et0: NDArray[np.float64]
    kc: NDArray[np.float64]
    vegetated: NDArray[np.float64]
    root_depth: NDArray[np.float64]
    root_restricting_depth: NDArray[np.float64]
    plant_available_water: NDArray[np.float64]
    elevation: NDArray[np.float64]
    area_km2: NDArray[np.float64]
    basin: NDArray[np.str_]

    def subset(self, index: NDArray[np.intp]) -> CellInputs:
        """The same inputs restricted to ``index``."""
        return CellInputs(**{name: getattr(self, name)[index]
                             for name in self.__dataclass_fields__})


@dataclass
class Problem:
    """Cells of every catchment, the gauges' published runoff and the parameters.

    Attributes
    ----------
    cells : CellInputs
        Inputs of the union of the catchments' cells.
    members : dict of str to ndarray
        For each gauge id, indices into ``cells`` of its catchment.
    observed : dict of str to float
        Published mean annual runoff, 10⁸ m³/yr (gauges with a figure only).
    parameters : list of Parameter
    band_edges : list of float
        Elevation band edges, m (ascending).
    z_default : float
        Z of cells whose basin has no Z parameter.
    """

    cells: CellInputs
    members: dict[str, NDArray[np.intp]]
    observed: dict[str, float]
    parameters: list[Parameter]
    band_edges: list[float]
    z_default: float
    band_labels: list[str] = field(default_factory=list)

    def prior_vector(self) -> NDArray[np.float64]:
        """ln of the parameters' prior values."""
        return np.log([p.prior for p in self.parameters])

    def fields(self, x: NDArray[np.float64], cells: CellInputs | None = None
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Precipitation factor and Z of every cell for the optimiser variables ``x``."""
        cells = self.cells if cells is None else cells
        return cell_fields(self.parameters, np.exp(x), self.band_edges, self.band_labels,
                           self.z_default, cells.elevation, cells.basin)

    def simulate(self, x: NDArray[np.float64], gauge_ids: Sequence[str] | None = None
                 ) -> dict[str, float]:
        """Simulated mean annual runoff (10⁸ m³/yr) of each gauge's catchment."""
        factor, z = self.fields(x)
        volume = water_yield_volume(self.cells, factor, z)
        ids = list(self.members) if gauge_ids is None else list(gauge_ids)
        return {gid: float(np.nansum(volume[self.members[gid]])) for gid in ids}


def band_labels(edges: Sequence[float]) -> list[str]:
    """Readable names of the elevation bands cut at ``edges`` (m)."""
    bounds = [None, *edges, None]
    labels = []
    for low, high in pairwise(bounds):
        if low is None:
            labels.append(f"<{high:g} m")
        elif high is None:
            labels.append(f">={low:g} m")
        else:
            labels.append(f"{low:g}-{high:g} m")
    return labels


def cell_fields(parameters: Sequence[Parameter], values: NDArray[np.float64],
                edges: Sequence[float], labels: Sequence[str], z_default: float,
                elevation: NDArray[np.float64], basin: NDArray[np.str_]
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-cell precipitation factor and Z from parameter values.

    Cells without elevation keep factor 1; cells whose basin has no Z parameter get
    ``z_default``.
    """
    band = np.digitize(np.nan_to_num(elevation, nan=-1e9), edges)
    factor = np.ones(elevation.shape, dtype=np.float64)
    z = np.full(elevation.shape, float(z_default), dtype=np.float64)
    for param, value in zip(parameters, values, strict=True):
        if param.kind == "precipitation_factor":
            factor[band == labels.index(param.zone)] = value
        elif param.kind == "seasonality_z":
            z[basin == param.zone] = value
    factor[~np.isfinite(elevation)] = 1.0
    return factor, z


def water_yield_mm(cells: CellInputs, factor: NDArray[np.float64],
                   z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Water yield (mm/yr) of the cells with corrected precipitation and per-cell Z."""
    precipitation = cells.precipitation * factor
    fraction = kernels.aet_fraction(precipitation, cells.et0, cells.kc, cells.vegetated,
                                    cells.root_depth, cells.root_restricting_depth,
                                    cells.plant_available_water, z)
    return np.asarray(kernels.water_yield(fraction, precipitation), dtype=np.float64)


def water_yield_volume(cells: CellInputs, factor: NDArray[np.float64],
                       z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Water yield volume (10⁸ m³/yr) of every cell."""
    return water_yield_mm(cells, factor, z) * cells.area_km2 * MM_KM2_TO_1E8M3


def make_parameters(band_edges: Sequence[float], basins: Sequence[str], *, z_prior: float,
                    factor_bounds: tuple[float, float] = (0.2, 2.0),
                    z_bounds: tuple[float, float] = (1.0, 30.0),
                    factor_log_sd: float = 0.5, z_log_sd: float = 1.0) -> list[Parameter]:
    """Precipitation factors per elevation band (prior 1) and Z per basin (prior ``z_prior``)."""
    params = [Parameter(name=f"precipitation_factor[{label}]", kind="precipitation_factor",
                        zone=label, prior=1.0, prior_log_sd=factor_log_sd,
                        lower=factor_bounds[0], upper=factor_bounds[1])
              for label in band_labels(band_edges)]
    params += [Parameter(name=f"seasonality_z[{name}]", kind="seasonality_z", zone=name,
                         prior=float(np.clip(z_prior, *z_bounds)), prior_log_sd=z_log_sd,
                         lower=z_bounds[0], upper=z_bounds[1])
               for name in sorted(set(basins))]
    return params
