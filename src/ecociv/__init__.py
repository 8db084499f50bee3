"""ecociv: decision support for the ecological-civilization strategy of the Tianshan Northern
Slope Economic Belt (天山北坡经济带)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecociv")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
