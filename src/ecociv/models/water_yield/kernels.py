r"""Annual water yield kernels (pure functions on arrays): the Budyko curve in Fu's form with
Zhang's parameter, as InVEST's Annual Water Yield model evaluates it.

Every function takes NumPy arrays (or scalars) and returns float64 arrays (``actual_et`` and
``water_yield`` also take xarray objects and return the same type); NaN marks nodata and
propagates. The semantics follow ``fractp_op`` and ``wyield_op`` in
``src/natcap/invest/annual_water_yield/annual_water_yield.py`` (natcap/invest):

* PET = Kc × ET0 for every class;
* vegetated classes (``lulc_veg`` = 1): AWC = min(root restricting depth, root depth) × PAWC,
  ω = Z × AWC / P + 1.25 capped at 5, AET/P = min(PET/P, Fu(PET/P, ω));
* other classes (``lulc_veg`` = 0): AET/P = min(Kc × ET0, P) / P;
* AET = AET/P × P and water yield = (1 − AET/P) × P;
* a cell with P = 0, or nodata in any input, has no result (InVEST's ``valid_mask``).
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
ArrayT = TypeVar("ArrayT")

#: ω of a soil with no plant-available water (Donohue et al. 2012; InVEST ``fractp_op``).
OMEGA_MIN = 1.25

#: Upper limit InVEST puts on ω ("Capping to 5 to set to upper limit if exceeded").
OMEGA_MAX = 5.0


def _f64(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def potential_et(kc: ArrayLike, et0: ArrayLike) -> FloatArray:
    r"""Potential evapotranspiration of a land-use class.

    Parameters
    ----------
    kc : array_like
        Crop (plant evapotranspiration) coefficient, dimensionless.
    et0 : array_like
        Reference evapotranspiration, mm/yr.

    Returns
    -------
    ndarray
        PET, mm/yr.

    Notes
    -----
    :math:`PET = K_c \, ET_0` (Sharp et al. 2020, *InVEST User's Guide*, Annual Water Yield;
    InVEST ``calculate_pet`` task).
    """
    return _f64(kc) * _f64(et0)


def available_water_content(
    root_restricting_depth: ArrayLike, root_depth: ArrayLike, plant_available_water: ArrayLike
) -> FloatArray:
    r"""Plant-available water content of the root zone.

    Parameters
    ----------
    root_restricting_depth : array_like
        Soil depth at which root penetration is inhibited, mm.
    root_depth : array_like
        Maximum root depth of the land-use class, mm.
    plant_available_water : array_like
        Plant-available water content (PAWC), fraction 0–1.

    Returns
    -------
    ndarray
        AWC, mm.

    Notes
    -----
    :math:`AWC = \min(\text{root restricting depth}, \text{root depth}) \times PAWC`
    (Sharp et al. 2020; InVEST ``fractp_op``: ``numpy.where(root < soil, root, soil) * pawc``).
    """
    return np.minimum(_f64(root_restricting_depth), _f64(root_depth)) * _f64(plant_available_water)


def budyko_omega(awc: ArrayLike, precipitation: ArrayLike, z: ArrayLike) -> FloatArray:
    r"""Fu's curve parameter ω from plant-available water, precipitation and Zhang's Z.

    Parameters
    ----------
    awc : array_like
        Plant-available water content, mm.
    precipitation : array_like
        Annual precipitation, mm/yr (> 0).
    z : float or array_like
        Seasonality factor Z, dimensionless (> 0), one value or one per cell.

    Returns
    -------
    ndarray
        ω, dimensionless, in [1.25, 5].

    Notes
    -----
    :math:`\omega = Z \, AWC / P + 1.25`, capped at 5 (Donohue et al. 2012, with Z as in
    Zhang et al. 2004; InVEST ``fractp_op``: ``climate_w[climate_w > 5] = 5``). AWC and P are
    both taken as annual depths, so their ratio is dimensionless.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        omega = _f64(z) * _f64(awc) / _f64(precipitation) + OMEGA_MIN
    return np.where(omega > OMEGA_MAX, OMEGA_MAX, omega)


def fu_aet_ratio(pet_over_p: ArrayLike, omega: ArrayLike) -> FloatArray:
    r"""Actual evapotranspiration over precipitation by the Fu–Budyko curve (dimensionless).

    Parameters
    ----------
    pet_over_p : array_like
        Aridity index PET/P, dimensionless, ≥ 0.
    omega : array_like
        Curve parameter ω, dimensionless, ≥ 1.

    Returns
    -------
    ndarray
        AET/P, dimensionless, in [0, min(1, PET/P)].

    Notes
    -----
    :math:`AET/P = 1 + PET/P - \left(1 + (PET/P)^\omega\right)^{1/\omega}` (Fu 1981;
    Zhang et al. 2004; Sharp et al. 2020, eq. for vegetated land use).

    It is evaluated in two algebraically identical forms that neither overflow nor cancel:
    :math:`\varphi - \operatorname{expm1}(\operatorname{log1p}(\varphi^\omega)/\omega)` for
    :math:`\varphi = PET/P \le 1` and
    :math:`1 - \varphi \operatorname{expm1}(\operatorname{log1p}(\varphi^{-\omega})/\omega)`
    above, so very dry cells (tiny P) give AET/P → 1 instead of ``inf - inf``.
    """
    phi = _f64(pet_over_p)
    w = _f64(omega)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        wet = phi - np.expm1(np.log1p(phi**w) / w)
        dry = 1.0 - phi * np.expm1(np.log1p(phi ** (-w)) / w)
        ratio = np.where(phi <= 1.0, wet, dry)
    return np.where(np.isposinf(phi), 1.0, ratio)


def vegetated_aet_fraction(
    precipitation: ArrayLike, pet: ArrayLike, awc: ArrayLike, z: ArrayLike
) -> FloatArray:
    r"""AET/P of vegetated land-use classes (``lulc_veg`` = 1).

    Parameters
    ----------
    precipitation : array_like
        Annual precipitation, mm/yr (> 0).
    pet : array_like
        Potential evapotranspiration Kc × ET0, mm/yr.
    awc : array_like
        Plant-available water content, mm.
    z : float
        Seasonality factor Z, dimensionless.

    Returns
    -------
    ndarray
        AET/P, dimensionless.

    Notes
    -----
    :math:`AET/P = \min\left(PET/P,\ 1 + PET/P - (1 + (PET/P)^\omega)^{1/\omega}\right)` with
    :math:`\omega = \min(Z\,AWC/P + 1.25, 5)` (Zhang et al. 2004; Donohue et al. 2012;
    Sharp et al. 2020; InVEST ``fractp_op``: ``veg_result = numpy.where(phi < aet_p, phi,
    aet_p)``).
    """
    precip = _f64(precipitation)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = _f64(pet) / precip
    ratio = fu_aet_ratio(phi, budyko_omega(awc, precip, z))
    return np.where(phi < ratio, phi, ratio)


def non_vegetated_aet_fraction(precipitation: ArrayLike, pet: ArrayLike) -> FloatArray:
    r"""AET/P of non-vegetated classes (``lulc_veg`` = 0: wetlands, urban, water...).

    Parameters
    ----------
    precipitation : array_like
        Annual precipitation, mm/yr (> 0).
    pet : array_like
        Potential evapotranspiration Kc × ET0, mm/yr.

    Returns
    -------
    ndarray
        AET/P, dimensionless, ≤ 1.

    Notes
    -----
    :math:`AET = \min(K_c ET_0, P)` (Sharp et al. 2020; InVEST ``fractp_op``: "Take the minimum
    of precip and Kc * ETo to avoid x / p > 1", then ``nonveg_result / precip``).
    """
    precip = _f64(precipitation)
    pet_ = _f64(pet)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(precip < pet_, precip, pet_) / precip


def aet_fraction(
    precipitation: ArrayLike,
    et0: ArrayLike,
    kc: ArrayLike,
    vegetated: ArrayLike,
    root_depth: ArrayLike,
    root_restricting_depth: ArrayLike,
    plant_available_water: ArrayLike,
    z: ArrayLike,
) -> FloatArray:
    r"""AET/P of every cell (InVEST's ``fractp``), NaN where undefined.

    Parameters
    ----------
    precipitation : array_like
        Annual precipitation, mm/yr.
    et0 : array_like
        Reference evapotranspiration, mm/yr.
    kc : array_like
        Crop coefficient of the cell's land-use class, dimensionless.
    vegetated : array_like
        1 for vegetated classes, 0 otherwise (``lulc_veg``).
    root_depth : array_like
        Root depth of the cell's land-use class, mm (used for vegetated cells only).
    root_restricting_depth : array_like
        Depth to the root restricting layer, mm.
    plant_available_water : array_like
        Plant-available water content (PAWC), fraction 0–1.
    z : float or array_like
        Seasonality factor Z, dimensionless (one value or one per cell).

    Returns
    -------
    ndarray
        AET/P, dimensionless, in [0, 1]; NaN where P = 0 or any input is NaN.

    Notes
    -----
    :func:`vegetated_aet_fraction` where ``vegetated == 1``, else
    :func:`non_vegetated_aet_fraction` (InVEST ``fractp_op``:
    ``numpy.where(veg == 1, veg_result, nonveg_result_fract)``). As in InVEST's ``valid_mask``
    a cell without precipitation has no result, and nodata in ET0, Kc, land use, root
    restricting depth or PAWC removes the cell whatever its class (Sharp et al. 2020).
    """
    precip = _f64(precipitation)
    et0_ = _f64(et0)
    kc_ = _f64(kc)
    veg = _f64(vegetated)
    depth = _f64(root_restricting_depth)
    pawc = _f64(plant_available_water)
    pet = potential_et(kc_, et0_)
    awc = available_water_content(depth, root_depth, pawc)
    fraction = np.where(veg == 1, vegetated_aet_fraction(precip, pet, awc, z),
                        non_vegetated_aet_fraction(precip, pet))
    invalid = (precip == 0) | np.isnan(precip) | np.isnan(pet) | np.isnan(veg) | np.isnan(depth)
    invalid |= np.isnan(pawc)
    return np.where(invalid, np.nan, fraction)


def actual_et(fraction: ArrayT, precipitation: Any) -> ArrayT:
    r"""Actual evapotranspiration from AET/P, mm/yr.

    Parameters
    ----------
    fraction : array_like
        AET/P, dimensionless.
    precipitation : array_like
        Annual precipitation, mm/yr.

    Returns
    -------
    ndarray
        AET, mm/yr.

    Notes
    -----
    :math:`AET = (AET/P) \times P` (InVEST ``calculate_aet`` task: ``fractp * precip``). Works on
    numpy arrays and on (dask-backed) xarray objects alike.
    """
    return fraction * precipitation


def water_yield(fraction: Any, precipitation: Any) -> Any:
    r"""Annual water yield from AET/P, mm/yr.

    Parameters
    ----------
    fraction : array_like
        AET/P, dimensionless.
    precipitation : array_like
        Annual precipitation, mm/yr.

    Returns
    -------
    ndarray
        Water yield, mm/yr.

    Notes
    -----
    :math:`Y = (1 - AET/P) \times P` (Sharp et al. 2020; InVEST ``wyield_op``:
    ``(1 - fractp) * precip``). Works on numpy arrays and on (dask-backed) xarray objects alike.
    """
    return (1.0 - fraction) * precipitation
