r"""Water conservation (水源涵养量) kernels: pure functions on NumPy arrays, NaN = nodata.

Two methods:

* **water balance** of the national ecological red-line guideline (生态保护红线划定指南,
  Ministry of Environmental Protection and National Development and Reform Commission 2017,
  环办生态〔2017〕48号, water-conservation assessment by the water-balance equation):
  :math:`TQ = \sum_i (P_i - R_i - ET_i) A_i \times 10^3`, :math:`R_i = P_i\,\alpha_i`, with P
  precipitation (mm), R surface (storm) runoff (mm), ET evapotranspiration (mm), A area (km²),
  :math:`\alpha` the mean surface runoff coefficient of the ecosystem type (the guideline's
  table), TQ in m³;
* **corrected water yield** used by many Chinese InVEST studies:
  :math:`WR = \min(1, 249/V) \min(1, 0.9\,TI/3) \min(1, K_{sat}/300)\, Y`, with Y the InVEST
  annual water yield, V a flow-velocity coefficient of the land-use class, TI a topographic
  index and :math:`K_{sat}` the saturated hydraulic conductivity of the soil.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecociv.models.water_conservation.spec import KSAT_REFERENCE, VELOCITY_REFERENCE

FloatArray = NDArray[np.float64]

#: m³ of water per mm of depth over 1 km² (1 mm × 10⁶ m² = 10³ m³): the guideline's × 10³.
M3_PER_MM_KM2 = 1e3
#: Topographic-index weight and reference of the corrected-yield method: min(1, 0.9 TI / 3).
TI_WEIGHT = 0.9
TI_REFERENCE = 3.0


def _f64(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def surface_runoff(precipitation: ArrayLike, runoff_coefficient: ArrayLike) -> FloatArray:
    r"""Surface (storm) runoff, mm/yr.

    Parameters
    ----------
    precipitation : array_like
        Annual precipitation, mm/yr.
    runoff_coefficient : array_like
        Mean surface runoff coefficient α of the cell's ecosystem type, dimensionless, 0-1.

    Notes
    -----
    :math:`R = P\,\alpha` (MEP & NDRC 2017, water-balance method).
    """
    return _f64(precipitation) * _f64(runoff_coefficient)


def water_balance(precipitation: ArrayLike, runoff_coefficient: ArrayLike,
                  evapotranspiration: ArrayLike) -> FloatArray:
    r"""Water retained by the ecosystem by the guideline's water balance, mm/yr (may be < 0).

    Parameters
    ----------
    precipitation : array_like
        Annual precipitation P, mm/yr.
    runoff_coefficient : array_like
        Surface runoff coefficient α, dimensionless.
    evapotranspiration : array_like
        Annual actual evapotranspiration ET, mm/yr.

    Returns
    -------
    ndarray
        :math:`P - R - ET` with :math:`R = P\alpha`, mm/yr; negative where evapotranspiration
        exceeds the precipitation left after runoff.

    Notes
    -----
    The per-cell depth of :math:`TQ = \sum (P_i - R_i - ET_i) A_i \times 10^3`
    (MEP & NDRC 2017); see :func:`volume_m3` for the volume.
    """
    precip = _f64(precipitation)
    return precip - surface_runoff(precip, runoff_coefficient) - _f64(evapotranspiration)


def topographic_index(upslope_cells: ArrayLike, soil_depth: ArrayLike,
                      slope_percent: ArrayLike) -> FloatArray:
    r"""Topographic index of the corrected-yield method (dimensionless).

    Parameters
    ----------
    upslope_cells : array_like
        Number of cells draining through the cell, itself included.
    soil_depth : array_like
        Soil depth, mm.
    slope_percent : array_like
        Slope, %.

    Returns
    -------
    ndarray
        :math:`TI = \log_{10}(\text{drainage area} / (\text{soil depth} \times
        \text{percent slope}))`; +inf where depth × slope is 0 (the TI factor is then 1).

    Notes
    -----
    The form used with the corrected-yield method in Chinese InVEST studies (drainage area
    as a number of cells, depth in mm, slope in %); it depends on the cell size.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(_f64(upslope_cells) / (_f64(soil_depth) * _f64(slope_percent)))


def yield_correction(velocity: ArrayLike, topographic: ArrayLike, saturated_conductivity: ArrayLike,
                     *, velocity_reference: float = VELOCITY_REFERENCE,
                     ksat_reference: float = KSAT_REFERENCE) -> FloatArray:
    r"""Fraction of the water yield counted as water conservation, 0-1.

    Parameters
    ----------
    velocity : array_like
        Flow-velocity coefficient V of the land-use class, dimensionless (> 0).
    topographic : array_like
        Topographic index TI, dimensionless.
    saturated_conductivity : array_like
        Saturated hydraulic conductivity of the soil, cm/d.
    velocity_reference, ksat_reference : float
        The 249 and 300 cm/d of the method.

    Notes
    -----
    :math:`\min(1, 249/V)\,\min(1, 0.9\,TI/3)\,\min(1, K_{sat}/300)`; the TI factor is also
    floored at 0 (TI < 0, a small drainage area on a deep, steep soil, would otherwise make
    the retained water negative).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        velocity_factor = np.minimum(1.0, velocity_reference / _f64(velocity))
    terrain_factor = np.clip(TI_WEIGHT * _f64(topographic) / TI_REFERENCE, 0.0, 1.0)
    soil_factor = np.minimum(1.0, _f64(saturated_conductivity) / ksat_reference)
    return velocity_factor * terrain_factor * soil_factor


def clip_negative(depth: ArrayLike) -> FloatArray:
    r"""Water conservation depth floored at 0, mm/yr (NaN kept).

    Notes
    -----
    A negative balance means the cell evaporates more than the precipitation it keeps (e.g.
    irrigated oases, lakes fed by rivers): it conserves no water, and the guideline's
    importance grading (cumulative contribution of sorted cell values) assumes non-negative
    values.
    """
    values = _f64(depth)
    return np.where(values < 0, 0.0, values)


def volume_m3(depth_mm: ArrayLike, area_m2: ArrayLike) -> FloatArray:
    r"""Volume of a depth of water over an area, m³.

    Notes
    -----
    :math:`V = d \times 10^{-3}\,\mathrm{m/mm} \times A`; 1 mm over 1 km² is 10³ m³ (the
    guideline's :math:`\times 10^3` with A in km²), i.e. 10⁻⁵ × 10⁸ m³.
    """
    return _f64(depth_mm) * 1e-3 * _f64(area_m2)
