"""Keeping libraries from importing what a run does not use.

xarray asks, whenever it turns coordinates into a pandas index, whether the values are a pint
``Quantity``, and imports pint to find out (``xarray.namedarray.pycompat.array_type("pint")``):
0.06-0.15 s of CPU in every run that opens a raster, though no value can be a pint quantity
while pint has not been imported. :func:`xarray_checks_pint_lazily` answers that question
from ``sys.modules`` instead: no pint types while pint is not imported, pint's ``Quantity`` as
soon as it is.

``dask.array`` imports ``scipy.sparse`` and ``scipy.fftpack`` when it is imported, to register
SciPy's sparse matrices as chunk types and to wrap SciPy's FFTs (0.11-0.14 s of CPU, more than
any other import of a model run, none of it used by ecociv's rasters).
:func:`import_dask_without_scipy` has ``dask.array`` imported as if SciPy were not installed, and
gives it both when SciPy is imported later, so dask behaves the same once SciPy is there.
"""

from __future__ import annotations

import sys
import threading
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from types import ModuleType
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


#: modules whose import pulls in SciPy only to register optional features: ``dask.array``
#: imports ``scipy.sparse`` (its matrices as chunk types) and ``scipy.fftpack`` (FFT wrappers)
#: at module level, 0.11-0.14 s of CPU of every run, though no ecociv raster is a SciPy matrix
_WITHOUT_SCIPY = frozenset({"dask.array"})


class _LoaderWithoutScipy(SourceFileLoader):
    """Executes a module while ``import scipy`` fails (``sys.modules["scipy"] = None``), so its
    optional SciPy features are skipped; they are registered when SciPy is imported later."""

    def exec_module(self, module: ModuleType) -> None:
        blocked = "scipy" not in sys.modules
        if blocked:
            sys.modules["scipy"] = None  # type: ignore[assignment]
        try:
            super().exec_module(module)
        finally:
            if blocked and "scipy" in sys.modules and sys.modules["scipy"] is None:
                del sys.modules["scipy"]
        if blocked:
            _SCIPY_LATER.append(module.__name__)


class _ScipyLoaderThenDask(SourceFileLoader):
    """Loads ``scipy.sparse``, then gives ``dask.array`` what it skipped (:func:`_dask_scipy`)."""

    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        _dask_scipy()


#: names of the modules imported without SciPy, whose SciPy features are still to register
_SCIPY_LATER: list[str] = []


def _dask_scipy() -> None:
    """Register SciPy's sparse matrices as dask chunk types and hand ``dask.array.fft`` the
    SciPy module, as ``dask.array`` does when SciPy is importable at its import."""
    if "dask.array" not in _SCIPY_LATER:
        return
    _SCIPY_LATER.remove("dask.array")
    sparse = sys.modules.get("scipy.sparse")
    chunk_types = sys.modules.get("dask.array.chunk_types")
    if sparse is not None and chunk_types is not None:
        for name in ("spmatrix", "sparray"):
            kind = getattr(sparse, name, None)
            if isinstance(kind, type) and kind not in chunk_types._HANDLED_CHUNK_TYPES:
                chunk_types.register_chunk_type(kind)
    fft = sys.modules.get("dask.array.fft")
    if fft is not None and getattr(fft, "scipy", None) is None:
        setattr(fft, "scipy", sys.modules.get("scipy"))  # noqa: B010


def _other_threads() -> bool:
    """Whether a thread other than this one and ecociv's own (``ecociv-*``: hashing, reading
    ahead; none of them imports SciPy) is running."""
    current = threading.current_thread()
    return any(t is not current and not t.name.startswith("ecociv-") for t in threading.enumerate())


class _ScipyWhenNeeded:
    """``sys.meta_path`` entry: imports ``dask.array`` without SciPy (see ``_WITHOUT_SCIPY``)
    when SciPy is not imported yet and no other thread runs (another thread importing SciPy
    meanwhile would fail; ecociv's own threads do not), and completes ``dask.array`` when
    ``scipy.sparse`` is imported."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name in _WITHOUT_SCIPY:
            if "scipy" in sys.modules or _other_threads():
                return None
            loader_type: type[SourceFileLoader] = _LoaderWithoutScipy
        elif name == "scipy.sparse" and _SCIPY_LATER:
            loader_type = _ScipyLoaderThenDask
        else:
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
            return None
        spec.loader = loader_type(name, spec.origin)
        return spec


def import_dask_without_scipy() -> None:
    """Install :class:`_ScipyWhenNeeded` (once): ``dask.array`` is then imported without
    SciPy, and SciPy's sparse chunk types and FFT module are given to it when SciPy is
    imported. Nothing changes if SciPy is already imported."""
    if not any(isinstance(finder, _ScipyWhenNeeded) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ScipyWhenNeeded())
