"""Carbon storage kernels (pure functions on arrays)."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

from ecociv.models.carbon.spec import POOLS

ArrayT = TypeVar("ArrayT")


#: hectares per square metre
HA_PER_M2 = 1e-4


def total_density(pools: dict[str, np.ndarray | float]) -> np.ndarray:
    r"""Total carbon density as the sum of the four pools.

    Parameters
    ----------
    pools : dict
        ``c_above``, ``c_below``, ``c_soil``, ``c_dead`` densities, t C/ha.

    Returns
    -------
    ndarray
        Total density, t C/ha.

    Notes
    -----
    :math:`C = C_{above} + C_{below} + C_{soil} + C_{dead}` (InVEST Carbon Storage and
    Sequestration; Sharp et al. 2020, *InVEST User's Guide*).
    """
    return np.asarray(sum(np.asarray(pools[name], dtype=np.float64) for name in POOLS))


def stock_tonnes(density_t_ha: ArrayT, cell_area_m2: Any) -> ArrayT:
    """Carbon stock of each cell, t C, from density (t C/ha) and cell area (m²).

    Works on numpy arrays and on (dask-backed) xarray objects alike; ``cell_area_m2`` broadcasts
    (a scalar, a (rows, 1) array or a DataArray along ``y``).
    """
    return density_t_ha * cell_area_m2 * HA_PER_M2


def soil_density(reference: Any, factor: Any, fallback: Any) -> Any:
    r"""Soil organic carbon density per cell by IPCC Tier 1, t C/ha.

    Parameters
    ----------
    reference : array-like
        Reference stock under native vegetation (SOC\ :sub:`REF`), t C/ha, 0–30 cm; NaN where
        unknown.
    factor : array-like
        Stock-change factor of the cell's land-use class, :math:`F_{LU} F_{MG} F_I`
        (dimensionless).
    fallback : array-like
        Density used where ``reference`` is NaN (the class's ``c_soil``), t C/ha.

    Returns
    -------
    array-like
        :math:`SOC = SOC_{REF} \cdot F_{LU} \cdot F_{MG} \cdot F_I` where the reference is
        known, else ``fallback``; NaN where the class is unknown (nodata land use).

    Notes
    -----
    IPCC (2019) Refinement to the 2006 Guidelines, Vol. 4, Ch. 2, Eq. 2.25 (Tier 1 stock of
    a land-use stratum). Works on numpy arrays and (dask-backed) xarray objects alike.
    """
    import numpy as np

    known = ~np.isnan(reference)
    stock = reference * factor
    if hasattr(stock, "where"):  # xarray: keep coordinates and laziness
        return stock.where(known, fallback)
    return np.where(known, stock, fallback)
