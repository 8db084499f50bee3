r"""Compiled cell loops (numba) of one month of :func:`kernels.soil_loss_by_month`.

The arithmetic between the transcendental functions of a month (wind lookup, air density, soil
wetness, snow, the erosive product X, the scaling of the critical length and the loss with its
annual sums) is done here in one pass each, with the floating-point operations of the NumPy
formulation in the same order (numba neither contracts nor reassociates them without
``fastmath``); ``np.power`` and ``np.exp`` stay with NumPy, whose vectorised (SIMD) functions
are about ten times faster than the scalar ``libm`` calls of a numba loop. The field-mean loss
(the default) is within a few units in the last place of the NumPy formulation (``expm1`` from
``exp``, :func:`_one_minus_exp`) given the same X^b and e^a, which the kernel takes in single
precision (float32 arrays, read here as doubles); the other steps are the same bit for bit.
All arrays are 1-D (cells of a slab), float64 unless said otherwise.

Imported when the kernel first runs (numba takes 0.2-0.5 s to import); compiled code is cached
on disk (``cache=True``). Loops release the GIL (``nogil``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ecociv.compiled import jit

F64 = NDArray[np.float64]
#: float32 or float64 (the single-precision stage of the field-mean loss)
FLT = NDArray[np.floating]
_jit = jit(nogil=True, error_model="numpy")


@_jit
def wind_lookup(wind: NDArray[np.floating], to_2m: np.floating, step: float, values: F64,
                steps: F64, limit: float, mean: F64, out: F64) -> int:
    """``mean`` = the wind times ``to_2m`` (in the wind's own precision), and ``out`` = the
    linear interpolation of ``values`` at ``mean / step`` (clipped to the table; NaN where the
    mean is NaN). Returns how many means exceed ``limit`` (their ``out`` is to be replaced)."""
    last = values.size - 1
    beyond = 0
    for i in range(wind.size):
        m = float(wind[i] * to_2m)
        mean[i] = m
        if np.isnan(m):
            out[i] = np.nan
            continue
        position = m / step
        if position < 0.0:
            position = 0.0
        elif position > last:
            position = float(last)
        index = int(position)
        if index > last - 1:
            index = last - 1
        out[i] = values[index] + (position - index) * steps[index]
        if m > limit:
            beyond += 1
    return beyond


@_jit
def _cell_product(w: float, temperature: float, density_top: float, et: float, water: float,
                  irrigation: float, use_irrigation: bool, wet: float, use_wet: bool,
                  snow: float, use_snow: bool, day_count: float, soil: float, roughness: float,
                  use_roughness: bool, gravity: float) -> float:
    """X = Wf ρ / g · SW · SD · EF·SCF · K' of one cell and month (``w`` = N_d Wf), with the
    operations of :func:`kernels.soil_loss_by_month` in their order."""
    rho = density_top / (temperature + 273.15)
    if use_irrigation:
        water += irrigation
    if use_wet:
        water *= wet
    sw = (et - water) / et
    if not et > 0:
        sw = 0.0
    if water <= 0:
        sw = 1.0
    if sw < 0.0:
        sw = 0.0
    elif sw > 1.0:
        sw = 1.0
    if np.isnan(et) or np.isnan(water):
        sw = np.nan
    product = w * rho
    product /= gravity
    product *= sw
    if use_snow:
        cover = 1.0 - snow / day_count
        if cover < 0.0:
            cover = 0.0
        elif cover > 1.0:
            cover = 1.0
        product *= cover
    product *= soil
    if use_roughness:
        product *= roughness
    return product


@_jit
def erosive_product(wf: F64, day_count: float, temperature: NDArray[np.floating],
                    density_top: F64, et0: NDArray[np.floating],
                    precipitation: NDArray[np.floating], irrigation: F64, use_irrigation: bool,
                    wet: F64, use_wet: bool, snow: F64, use_snow: bool, soil: F64,
                    roughness: F64, use_roughness: bool, cog: F64, gravity: float, tiny: float,
                    x: F64, x_cover: F64, floored: F64, floored_cover: F64) -> None:
    """X = Wf ρ / g · SW · SD · EF·SCF · K' and X · COG of a month (``wf`` the wind term
    before the day count), and both floored at ``tiny`` (the base of ``np.power`` in the loss),
    with the operations of :func:`kernels.soil_loss_by_month`."""
    for i in range(wf.size):
        product = _cell_product(day_count * wf[i], float(temperature[i]), density_top[i],
                                float(et0[i]), float(precipitation[i]), irrigation[i],
                                use_irrigation, wet[i], use_wet, snow[i], use_snow, day_count,
                                soil[i], roughness[i], use_roughness, gravity)
        with_cover = product * cog[i]
        x[i] = product
        x_cover[i] = with_cover
        floored[i] = tiny if product < tiny else product
        floored_cover[i] = tiny if with_cover < tiny else with_cover


@_jit
def erosive_x(wf: F64, day_count: float, temperature: NDArray[np.floating], density_top: F64,
                et0: NDArray[np.floating], precipitation: NDArray[np.floating], irrigation: F64,
                use_irrigation: bool, wet: F64, use_wet: bool, snow: F64, use_snow: bool,
                soil: F64, roughness: F64, use_roughness: bool, gravity: float, tiny: float,
                x: F64, floored: FLT) -> None:
    """:func:`erosive_product` without X · COG: X and X floored at ``tiny`` only (the same
    numbers; X · COG is taken where it is used, two arrays less to write). ``floored`` may
    be float32 (then rounded to it, ``tiny`` its smallest normal number)."""
    for i in range(wf.size):
        product = _cell_product(day_count * wf[i], float(temperature[i]), density_top[i],
                                float(et0[i]), float(precipitation[i]), irrigation[i],
                                use_irrigation, wet[i], use_wet, snow[i], use_snow, day_count,
                                soil[i], roughness[i], use_roughness, gravity)
        x[i] = product
        floored[i] = tiny if product < tiny else product


#: Below this magnitude of its argument a ≤ 0, −expm1(a) is taken from its Taylor series
#: (:func:`_one_minus_exp`); above it as 1 − e^a, whose rounding error is then at most
#: ε e^a / (1 − e^a) < 17 ε relative.
SERIES_LIMIT = 0.0625


@_jit
def _one_minus_exp(a: float, e: float) -> float:
    """−expm1(a) = 1 − e^a for a ≤ 0, given ``e`` = e^a: 1 − e where |a| > 1/16, else the
    Taylor series −(a + a²/2! + … + a¹¹/11!) by Horner's rule (truncation < 1e-17 relative);
    NaN stays NaN. NumPy's vectorised ``exp`` plus this costs a fifth of its ``expm1``."""
    if not a > -SERIES_LIMIT:  # NaN too
        return 1.0 - e
    s = 1.0 / 39916800.0
    s = s * a + 1.0 / 3628800.0
    s = s * a + 1.0 / 362880.0
    s = s * a + 1.0 / 40320.0
    s = s * a + 1.0 / 5040.0
    s = s * a + 1.0 / 720.0
    s = s * a + 1.0 / 120.0
    s = s * a + 1.0 / 24.0
    s = s * a + 1.0 / 6.0
    s = s * a + 0.5
    s = s * a + 1.0
    return -(s * a)


@_jit
def transport_exponents(powered: FLT, cover_power: FLT, factor: float, exponent: FLT,
                        exponent_cover: FLT) -> None:
    """``exponent`` = X^b · ``factor`` and ``exponent_cover`` = X^b · COG^b · ``factor``
    (= (X · COG)^b · ``factor`` up to rounding), the arguments a = −z²/s² of the exponential
    in the field-mean loss of bare and covered soil; ``powered`` holds X^b (X floored at the
    smallest normal float of its type), ``cover_power`` COG^b (float32 or float64, the
    products rounded to the type of ``exponent``)."""
    for i in range(powered.size):
        a = powered[i] * factor
        exponent[i] = a
        exponent_cover[i] = a * cover_power[i]


@_jit
def _cell_losses(x: float, x_cover: float, exponent: float, exp_value: float,
                 exponent_cover: float, exp_cover: float, factor: float
                 ) -> tuple[float, float, float]:
    """One cell's month: the potential loss X · ``factor`` · (−expm1(a)), the loss under cover
    (the same with the cover's X and a) and the fixation max(potential − actual, 0)."""
    loss = (x * factor) * _one_minus_exp(exponent, exp_value)
    loss_cover = (x_cover * factor) * _one_minus_exp(exponent_cover, exp_cover)
    service = loss - loss_cover
    if service < 0.0:
        service = 0.0
    return loss, loss_cover, service


@_jit
def field_mean_loss_exp(x: F64, x_cover: F64, exponent: FLT, exp_value: FLT,
                        exponent_cover: FLT, exp_cover: FLT, factor: float, potential: F64,
                        actual: F64, fixation: F64, annual_potential: F64, annual_actual: F64,
                        annual_fixation: F64) -> None:
    """The month's losses X · ``factor`` · (−expm1(a)) into ``potential`` and ``actual``
    (``factor`` = Q_max coefficient · scale / z; −expm1(a) from a and e^a:
    :func:`_one_minus_exp`), max(potential − actual, 0) into ``fixation``, each added to its
    annual sum (the same sums as :func:`field_mean_annual`)."""
    for i in range(x.size):
        loss, loss_cover, service = _cell_losses(x[i], x_cover[i], float(exponent[i]),
                                                 float(exp_value[i]), float(exponent_cover[i]),
                                                 float(exp_cover[i]), factor)
        annual_potential[i] += loss
        annual_actual[i] += loss_cover
        annual_fixation[i] += service
        potential[i] = loss
        actual[i] = loss_cover
        fixation[i] = service


@_jit
def field_mean_annual(x: F64, x_cover: F64, exponent: FLT, exp_value: FLT,
                      exponent_cover: FLT, exp_cover: FLT, factor: float,
                      annual_potential: F64, annual_actual: F64, annual_fixation: F64) -> None:
    """:func:`field_mean_loss_exp` when only the annual sums are wanted: the same sums,
    nothing stored per month (a third less CPU than storing the three monthly values)."""
    for i in range(x.size):
        loss, loss_cover, service = _cell_losses(x[i], x_cover[i], exponent[i], exp_value[i],
                                                 exponent_cover[i], exp_cover[i], factor)
        annual_potential[i] += loss
        annual_actual[i] += loss_cover
        annual_fixation[i] += service


@_jit
def field_mean_annual_cog(x: F64, cog: F64, exponent: FLT, exp_value: FLT,
                          exponent_cover: FLT, exp_cover: FLT, factor: float,
                          annual_potential: F64, annual_actual: F64,
                          annual_fixation: F64) -> None:
    """:func:`field_mean_annual` with X · COG taken here from X and ``cog`` (the product
    :func:`erosive_product` stores: the same numbers, one array less to write and read)."""
    for i in range(x.size):
        loss, loss_cover, service = _cell_losses(x[i], x[i] * cog[i], float(exponent[i]),
                                                 float(exp_value[i]), float(exponent_cover[i]),
                                                 float(exp_cover[i]), factor)
        annual_potential[i] += loss
        annual_actual[i] += loss_cover
        annual_fixation[i] += service


@_jit
def undefined_as_nan(first: F64, second: F64, out: F64) -> None:
    """``out`` = NaN where ``first`` or ``second`` is NaN; other cells unchanged (one pass
    instead of two ``isnan``, an ``or`` and a masked copy)."""
    for i in range(out.size):
        if np.isnan(first[i]) or np.isnan(second[i]):
            out[i] = np.nan


@_jit
def soil_factor(sand: NDArray[np.floating], silt: NDArray[np.floating],
                clay: NDArray[np.floating], organic: NDArray[np.floating],
                caco3: NDArray[np.floating], caco3_per_cell: bool, texture_limit: float,
                ef: F64, scf: F64, out: F64) -> int:
    """EF × SCF of each cell (``kernels.erodible_fraction`` × ``kernels.crust_factor``, the
    same operations in the same order; ``ef`` and ``scf`` the coefficients of
    :data:`kernels.ERODIBLE_FRACTION_COEFFICIENTS` and :data:`kernels.CRUST_FACTOR_COEFFICIENTS`),
    CaCO3 per cell or ``caco3[0]`` everywhere. Returns the flat index of the first cell whose
    sand + silt + clay exceeds ``texture_limit`` (%), else −1."""
    first = -1
    for i in range(sand.size):
        s = np.float64(sand[i])
        si = np.float64(silt[i])
        c = np.float64(clay[i])
        om = np.float64(organic[i])
        carbonate = np.float64(caco3[i] if caco3_per_cell else caco3[0])
        if first < 0 and (s + si) + c > texture_limit:
            first = i
        value = ((((ef[0] + ef[1] * s) + ef[2] * si) + ef[3] * s / c) + ef[4] * om
                 + ef[5] * carbonate) / 100.0
        if value < 0.0:
            value = 0.0
        elif value > 1.0:
            value = 1.0
        out[i] = value * (1.0 / ((1.0 + scf[0] * (c * c)) + scf[1] * (om * om)))
    return first
