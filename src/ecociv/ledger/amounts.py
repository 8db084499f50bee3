"""Amounts of tradable units, kept as integers of a millionth of a unit.

Quantities of emission rights (t), carbon allowances (t CO2) or water rights (m³) are entered as
decimal text and stored exactly as integer micro-units, so sums in the ledger never round."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ecociv.errors import InputError

SCALE = 10**6
"""Micro-units per unit: amounts have at most six decimal places."""

MAX_AMOUNT = 9 * 10**12
"""Largest amount of one command, in units (fits a signed 64-bit integer of micro-units)."""


def parse_amount(text: str | int | float | Decimal, *, field: str = "AMOUNT") -> int:
    """Micro-units of a positive decimal amount.

    Parameters
    ----------
    text : str, int, float or Decimal
        The amount in units, e.g. ``"12.5"``.
    field : str
        Name of the argument, used in the error message.

    Returns
    -------
    int
        ``amount × 10⁶``.

    Raises
    ------
    InputError
        Not a number, not positive, more than six decimal places or larger than ``MAX_AMOUNT``.
    """
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise InputError(f"{field} must be a positive number such as 12.5, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"{field} must be a positive number such as 12.5, got {text!r}")
    if value > MAX_AMOUNT:
        raise InputError(f"{field} must be at most {MAX_AMOUNT:,} units, got {text!r}")
    micro = value * SCALE
    if micro != micro.to_integral_value():
        raise InputError(f"{field} has more than six decimal places: {text!r}")
    return int(micro)


def format_amount(micro: int) -> str:
    """Decimal text of an amount in micro-units, without trailing zeros (``12500000`` → ``12.5``)."""
    sign = "-" if micro < 0 else ""
    whole, frac = divmod(abs(micro), SCALE)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")
