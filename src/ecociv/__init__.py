"""ecociv: decision support for the ecological-civilization strategy of the Tianshan Northern
Slope Economic Belt (天山北坡经济带).

The Python API (:mod:`ecociv.api`) is imported on first use, so ``import ecociv`` stays fast:
``ecociv.run_model``, ``ecociv.load_scenario``, ``ecociv.run_scenario``.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("ecociv")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

_API = ("run_model", "load_scenario", "run_scenario", "ModelResult")

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from ecociv import api

        return getattr(api, name)
    raise AttributeError(f"module 'ecociv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
