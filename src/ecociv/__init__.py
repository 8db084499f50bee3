"""ecociv: decision support for the ecological-civilization strategy of the Tianshan Northern
Slope Economic Belt (天山北坡经济带).

The Python API (:mod:`ecociv.api`) is imported on first use, so ``import ecociv`` stays fast:
``ecociv.run_model``, ``ecociv.load_scenario``, ``ecociv.run_scenario``.
"""

from typing import Any

from ecociv.lazy import import_dask_without_scipy

import_dask_without_scipy()  # dask.array imports SciPy only when SciPy is used (0.11-0.14 s)

#: The installed version, looked up on first use (importing :mod:`importlib.metadata` takes
#: 30-80 ms, which ``ecociv --help`` does not need).
__version__: str

_API = ("run_model", "load_scenario", "run_scenario", "ModelResult")

__all__ = ["__version__", *_API]


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecociv")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()["__version__"] = found = _installed_version()
        return found
    if name in _API:
        from ecociv import api

        return getattr(api, name)
    raise AttributeError(f"module 'ecociv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "__version__", *_API})
