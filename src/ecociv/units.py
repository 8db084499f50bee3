"""The one pint unit registry of ecociv and helpers to parse and convert quantities."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint

from ecociv.errors import InputError

ureg: pint.UnitRegistry = pint.UnitRegistry()
ureg.define("fraction = [] = frac")
ureg.define("yuan = [currency]")
# one unit of a tradable right: 1 t of an emission right or 1 m³ of a water right (rights_market
# states which in its quantity_unit parameter)
ureg.define("permit = [permit]")
# Chinese statistical units: 亿 (10⁸, e.g. 10⁸ m³ of water, 10⁸ yuan), 万 (10⁴, e.g. 10⁴ persons)
# and the mu (亩, 1/15 ha; pint would otherwise read "mu" as a milli atomic mass unit)
ureg.define("hundred_million = 1e8")
ureg.define("ten_thousand = 1e4")
ureg.define("chinese_mu = 10000 / 15 * m**2")
# tonne of standard coal equivalent (吨标准煤): 1 kgce = 29 307.6 kJ (GB/T 2589-2020)
ureg.define("tce = 29.3076 * GJ = t_coal_equivalent")
Q_ = ureg.Quantity

#: one number, then an optional unit expression (pint alone reads "5 6" as 5 × 6 and "5,6" as 56)
_ONE_NUMBER = re.compile(r"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)", re.DOTALL)
#: two numbers separated by spaces, a comma or a semicolon: a list where one value is expected
_SEVERAL = re.compile(r"\d\s*[\s,;]\s*[-+]?\.?\d")

DIMENSIONLESS = ""


@lru_cache(maxsize=512)
def parse_unit(text: str) -> pint.Unit:
    """Parse a unit string such as ``"mm/yr"`` or ``"t/ha"``; ``""`` is dimensionless.

    Raises
    ------
    ValueError
        If pint does not know the unit.
    """
    if text in ("", "1", "dimensionless"):
        return ureg.dimensionless
    try:
        return ureg.Unit(text)
    except (pint.errors.UndefinedUnitError, ValueError, AttributeError, TypeError) as err:
        raise ValueError(f"unknown unit {text!r}: {err}") from err


def to_magnitude(value: str | float | int, units: str, *, name: str) -> float:
    """Convert a user value (a number in ``units`` or a string with its own unit) to ``units``.

    Parameters
    ----------
    value : str or float
        ``5``, ``"5"``, ``"300 mm"`` or ``"0.3 m"``.
    units : str
        The unit the model expects.
    name : str
        Name of the parameter, used in error messages.

    Returns
    -------
    float
        The magnitude in ``units``.
    """
    if isinstance(value, bool):
        raise InputError(f"expected a number in {units or 'dimensionless'}, got {value!r}", source=name)
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    match = _ONE_NUMBER.match(text)
    try:
        if match is None:
            raise ValueError("not a number")
        quantity: Any = Q_(float(match.group(1)), ureg.parse_units(match.group(2)))
    except Exception as err:  # pint raises several unrelated types for garbage
        expected = units or "dimensionless"
        if _SEVERAL.search(text) is not None or text.startswith(("[", "(")):
            raise InputError(f"expected one number in {expected}, got several: {text!r} (give one "
                             "value; the decimal separator is '.')", source=name) from err
        raise InputError(f"expected a number in {expected} (optionally with a unit), got {text!r}",
                         source=name) from err
    try:
        return float(quantity.to(parse_unit(units)).magnitude)
    except pint.errors.DimensionalityError as err:
        raise InputError(
            f"{text!r} cannot be converted to {units or 'dimensionless'}", source=name
        ) from err
