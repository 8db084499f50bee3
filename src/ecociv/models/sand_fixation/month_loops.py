r"""Compiled cell loops (numba) of one month of :func:`kernels.soil_loss_by_month`.

The arithmetic between the transcendental functions of a month (wind lookup, air density, soil
wetness, snow, the erosive product X, the scaling of the critical length and the loss with its
annual sums) is done here in one pass each, with the floating-point operations of the NumPy
formulation in the same order (numba neither contracts nor reassociates them without
``fastmath``), so the results are the same bit for bit; ``np.power`` and ``np.expm1`` stay with
NumPy, whose vectorised functions these loops could not reproduce to the last bit. All arrays
are 1-D (cells of a slab), float64 unless said otherwise.

Imported when the kernel first runs (numba takes 0.2-0.5 s to import); compiled code is cached
on disk (``cache=True``). Loops release the GIL (``nogil``).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


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
        w = day_count * wf[i]
        rho = density_top[i] / (float(temperature[i]) + 273.15)
        et = float(et0[i])
        water = float(precipitation[i])
        if use_irrigation:
            water += irrigation[i]
        if use_wet:
            water *= wet[i]
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
            cover = 1.0 - snow[i] / day_count
            if cover < 0.0:
                cover = 0.0
            elif cover > 1.0:
                cover = 1.0
            product *= cover
        product *= soil[i]
        if use_roughness:
            product *= roughness[i]
        with_cover = product * cog[i]
        x[i] = product
        x_cover[i] = with_cover
        floored[i] = tiny if product < tiny else product
        floored_cover[i] = tiny if with_cover < tiny else with_cover


@_jit
def scale_exponent(powered: F64, powered_cover: F64, divisor: float, factor: float) -> None:
    """In place: X^b / s₀² · (−z²), the argument of ``expm1`` in the field-mean loss."""
    for i in range(powered.size):
        powered[i] = (powered[i] / divisor) * factor
        powered_cover[i] = (powered_cover[i] / divisor) * factor


@_jit
def field_mean_loss(x: F64, x_cover: F64, expm1: F64, expm1_cover: F64, coefficient: float,
                    distance: float, scale: float, potential: F64, actual: F64,
                    fixation: F64, annual_potential: F64, annual_actual: F64,
                    annual_fixation: F64) -> None:
    """The month's losses Q_max · (−expm1(−z²/s²)) / z times ``scale`` into ``potential`` and
    ``actual``, max(potential − actual, 0) into ``fixation``, each added to its annual sum."""
    for i in range(x.size):
        loss = ((x[i] * coefficient) * -expm1[i]) / distance
        loss *= scale
        loss_cover = ((x_cover[i] * coefficient) * -expm1_cover[i]) / distance
        loss_cover *= scale
        annual_potential[i] += loss
        annual_actual[i] += loss_cover
        service = loss - loss_cover
        if service < 0.0:
            service = 0.0
        annual_fixation[i] += service
        potential[i] = loss
        actual[i] = loss_cover
        fixation[i] = service
