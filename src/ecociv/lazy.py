"""Keeping libraries from importing what a run does not use.

xarray asks, whenever it turns coordinates into a pandas index, whether the values are a pint
``Quantity``, and imports pint to find out (``xarray.namedarray.pycompat.array_type("pint")``):
0.06-0.15 s of CPU in every run that opens a raster, though no value can be a pint quantity
while pint has not been imported. :func:`xarray_checks_pint_lazily` answers that question
from ``sys.modules`` instead: no pint types while pint is not imported, pint's ``Quantity`` as
soon as it is.
"""

from __future__ import annotations

import sys
from typing import Any


def xarray_checks_pint_lazily() -> bool:
    """Make xarray's duck-array check for pint import nothing (see the module docstring).

    Returns whether the check was replaced (False when xarray's internals differ or xarray has
    already looked pint up)."""
    try:
        from xarray.namedarray import pycompat
    except ImportError:
        return False
    modules = getattr(pycompat, "_cached_duck_array_modules", None)
    base = getattr(pycompat, "DuckArrayModule", None)
    if not isinstance(modules, dict) or base is None or "pint" in modules:
        return False

    class _PintWhenImported(base):  # type: ignore[misc, valid-type]
        """xarray's record of the pint module, looked up in ``sys.modules`` on every use."""

        def __init__(self) -> None:  # nothing imported here
            pass

        @property
        def module(self) -> Any:
            return sys.modules.get("pint")

        @property
        def available(self) -> bool:
            return self.module is not None

        @property
        def type(self) -> tuple[type, ...]:
            quantity = getattr(self.module, "Quantity", None)
            return (quantity,) if isinstance(quantity, type) else ()

        @property
        def version(self) -> Any:
            from packaging.version import Version

            return Version(getattr(self.module, "__version__", "0.0.0"))

    modules["pint"] = _PintWhenImported()
    return True
