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

``dask.array`` also builds, when it is imported, a docstring for each of its ~300 functions and
methods that copy NumPy's (``dask.utils.derived_from``: NumPy's docstring rewritten, and both
signatures read with ``inspect`` to list the arguments dask does not support): 0.06-0.08 of
the 0.09-0.12 CPU-s its import takes after dask's core (min and median of 6 runs, load 7-8).
The ``ecociv`` script
reads no docstring, so :func:`skip_dask_derived_docs` (called by
:func:`ecociv.cli.main.entry`) has ``dask.array`` imported with a ``derived_from`` that keeps
everything but the copied text: each function keeps its own docstring, and a function NumPy
lacks is still replaced by dask's ``NotImplementedError`` stub. Python's ``-OO`` drops
docstrings for the same reason; other processes (tests, the Python API, notebooks) keep them.
In the script ``dask.widgets`` (imported by ``dask`` itself, for the HTML views of dask objects
in notebooks) is imported as if jinja2 were not installed, its own fallback: 0.03 CPU-s less
(``import dask``, medians of 6, load 11); jinja2 itself imports as usual afterwards (ecociv's
HTML report uses it). Likewise ``pyarrow.compute`` (imported by pandas) is built, in the
script, without the parameter sections its ~280 function wrappers copy from the docstrings of
their options classes (parsed with pyarrow's vendored numpydoc ``docscrape``): import 0.024 ->
0.016 CPU-s (3 runs each); the wrappers, their summaries and descriptions are the same.

numba's implementations of NumPy's array functions (``numba.np.arraymath``, loaded with the
first compiled function that uses one of them, from numba's cache too: ``np.searchsorted`` in
the land-use code check) ask at their import whether a BLAS is there by importing
``scipy.linalg.cython_blas``, hence all of ``scipy.linalg`` (and, through SciPy's array-API
layer, ``numpy.f2py`` and ``numpy.testing``): 0.10-0.13 s of CPU on the one core that runs
the checks of every ``water_yield`` run, for an answer used only when a compiled function
calls ``np.dot`` or ``np.correlate``. :func:`import_dask_without_scipy` also has that module
imported with the question answered by finding the file of ``scipy.linalg.cython_blas``
(and checking its integer width, as numba does) without importing it; the answer is the same,
and numba's C helpers import the module themselves when a BLAS function is first called.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.machinery import ExtensionFileLoader, ModuleSpec, PathFinder, SourceFileLoader
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
    optional SciPy features are skipped; they are registered when SciPy is imported later.
    With ``without_scipy=False`` SciPy is imported as usual; with ``without_docs``,
    ``dask.utils.derived_from`` copies no docstrings meanwhile (:func:`_derived_from_no_docs`)."""

    def __init__(self, fullname: str, path: str, *, without_scipy: bool = True,
                 without_docs: bool = False) -> None:
        super().__init__(fullname, path)
        self.without_scipy = without_scipy
        self.without_docs = without_docs

    def exec_module(self, module: ModuleType) -> None:
        utils = _dask_utils() if self.without_docs else None
        original = getattr(utils, "derived_from", None)
        if utils is not None and original is not None:
            setattr(utils, "derived_from", _derived_from_no_docs(original))  # noqa: B010
        try:
            with _absent("scipy", self.without_scipy) as blocked:
                super().exec_module(module)
        finally:
            if utils is not None and original is not None:
                setattr(utils, "derived_from", original)  # noqa: B010
        if blocked:
            _SCIPY_LATER.append(module.__name__)


@contextmanager
def _absent(name: str, wanted: bool = True) -> Iterator[bool]:
    """While the block runs, ``import name`` fails (``sys.modules[name] = None``) when
    ``wanted`` and the module is not imported yet; yields whether it was so blocked. The
    module imports as usual afterwards."""
    blocked = wanted and name not in sys.modules
    if blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield blocked
    finally:
        if blocked and name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def _dask_utils() -> ModuleType | None:
    try:
        import dask.utils
    except ImportError:
        return None
    return dask.utils


def _derived_from_no_docs(derived_from: Any) -> Any:
    """``dask.utils.derived_from`` without the docstring it builds: a method whose original
    exists is returned as it is; one whose original is missing goes to dask's own decorator,
    which replaces it by a ``NotImplementedError`` stub (its ``AttributeError`` branch)."""

    def decorator(original_klass: Any, *args: Any, **kwargs: Any) -> Any:
        def wrapper(method: Any) -> Any:
            try:
                getattr(original_klass, method.__name__)
            except AttributeError:
                return derived_from(original_klass, *args, **kwargs)(method)
            return method

        return wrapper

    return decorator


#: set by :func:`skip_dask_derived_docs`
_SKIP_DOCS = False

#: modules imported, in the ``ecociv`` script, as if jinja2 were not installed: ``dask.widgets``
#: (HTML templates of dask objects for notebooks; it falls back to stubs by itself)
_WITHOUT_JINJA = frozenset({"dask.widgets"})


class _LoaderWithoutJinja(SourceFileLoader):
    """Executes a module while ``import jinja2`` fails; jinja2 imports as usual afterwards."""

    def exec_module(self, module: ModuleType) -> None:
        with _absent("jinja2"):
            super().exec_module(module)


#: the module of pyarrow whose function wrappers copy parameter sections from docstrings
_ARROW_COMPUTE = "pyarrow.compute"


class _NoParameterDocs:
    """Stands for pyarrow's vendored ``docscrape.NumpyDocString``: a docstring without
    sections (``pyarrow.compute`` reads only ``["Parameters"]``)."""

    def __init__(self, docstring: str, *args: Any, **kwargs: Any) -> None:
        pass

    def __getitem__(self, section: str) -> list[Any]:
        return []


class _LoaderWithoutParameterDocs(SourceFileLoader):
    """Executes ``pyarrow.compute`` while pyarrow's ``docscrape.NumpyDocString`` is
    :class:`_NoParameterDocs`; the original is back afterwards."""

    def exec_module(self, module: ModuleType) -> None:
        import importlib

        docscrape = importlib.import_module("pyarrow.vendored.docscrape")
        original = getattr(docscrape, "NumpyDocString", None)
        if original is not None:
            setattr(docscrape, "NumpyDocString", _NoParameterDocs)  # noqa: B010
        try:
            super().exec_module(module)
        finally:
            if original is not None:
                setattr(docscrape, "NumpyDocString", original)  # noqa: B010


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
    ahead, preloading libraries; none of them imports SciPy) is running."""
    current = threading.current_thread()
    return any(t is not current and not t.name.startswith("ecociv-") for t in threading.enumerate())


#: the module of numba that checks for a BLAS at its import (see the module docstring)
_NUMBA_BLAS_CHECK = "numba.np.arraymath"

#: SciPy's Cython BLAS, which numba's C helpers import when a compiled BLAS call first runs
_CYTHON_BLAS = "scipy.linalg.cython_blas"


def _blas_found(linalg: ModuleType) -> Any:
    """``numba.np.linalg.ensure_blas`` without importing ``scipy.linalg``: the same
    ``ImportError`` when SciPy or its Cython BLAS is missing, the same check of the BLAS
    integer width otherwise (``_check_lapack_int_width``, which reads ``scipy.__config__``,
    imported with SciPy)."""

    def ensure_blas() -> None:
        try:
            import scipy
        except ImportError:
            raise ImportError("scipy 0.16+ is required for linear algebra") from None
        folders = [os.path.join(folder, "linalg") for folder in getattr(scipy, "__path__", ())]
        if _CYTHON_BLAS not in sys.modules and PathFinder.find_spec(_CYTHON_BLAS, folders) is None:
            raise ImportError("scipy 0.16+ is required for linear algebra")
        width_check = getattr(linalg, "_check_lapack_int_width", None)
        if callable(width_check):
            width_check()

    return ensure_blas


class _LoaderFindingBlas(SourceFileLoader):
    """Executes ``numba.np.arraymath`` while ``numba.np.linalg.ensure_blas`` looks for SciPy's
    Cython BLAS without importing it (:func:`_blas_found`); the original is back afterwards."""

    def exec_module(self, module: ModuleType) -> None:
        import importlib

        linalg = importlib.import_module("numba.np.linalg")
        original = getattr(linalg, "ensure_blas", None)
        if original is not None:
            setattr(linalg, "ensure_blas", _blas_found(linalg))  # noqa: B010
        try:
            super().exec_module(module)
        finally:
            if original is not None:
                setattr(linalg, "ensure_blas", original)  # noqa: B010


class _ScipyWhenNeeded:
    """``sys.meta_path`` entry: imports ``dask.array`` without SciPy (see ``_WITHOUT_SCIPY``)
    when SciPy is not imported yet and no other thread runs (another thread importing SciPy
    meanwhile would fail; ecociv's own threads do not), and completes ``dask.array`` when
    ``scipy.sparse`` is imported; after :func:`skip_dask_derived_docs`, also without the
    docstrings dask copies from NumPy, ``dask.widgets`` without jinja2 and ``pyarrow.compute``
    without the parameter sections it copies; and
    ``numba.np.arraymath`` without ``scipy.linalg`` (:class:`_LoaderFindingBlas`)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        loader: SourceFileLoader
        if name in _WITHOUT_SCIPY:
            without_scipy = "scipy" not in sys.modules and not _other_threads()
            if not (without_scipy or _SKIP_DOCS):
                return None
            spec = PathFinder.find_spec(name, path, target)
            if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
                return None
            loader = _LoaderWithoutScipy(name, spec.origin, without_scipy=without_scipy,
                                         without_docs=_SKIP_DOCS)
        elif name in _WITHOUT_JINJA and _SKIP_DOCS:
            if "jinja2" in sys.modules or _other_threads():
                return None
            spec = PathFinder.find_spec(name, path, target)
            if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
                return None
            loader = _LoaderWithoutJinja(name, spec.origin)
        elif name == _ARROW_COMPUTE and _SKIP_DOCS:
            if _other_threads():
                return None
            spec = PathFinder.find_spec(name, path, target)
            if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
                return None
            loader = _LoaderWithoutParameterDocs(name, spec.origin)
        elif name == "scipy.sparse" and _SCIPY_LATER:
            spec = PathFinder.find_spec(name, path, target)
            if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
                return None
            loader = _ScipyLoaderThenDask(name, spec.origin)
        elif name == _NUMBA_BLAS_CHECK and _CYTHON_BLAS not in sys.modules:
            spec = PathFinder.find_spec(name, path, target)
            if spec is None or type(spec.loader) is not SourceFileLoader or spec.origin is None:
                return None
            loader = _LoaderFindingBlas(name, spec.origin)
        else:
            return None
        spec.loader = loader
        return spec


def import_dask_without_scipy() -> None:
    """Install :class:`_ScipyWhenNeeded` (once): ``dask.array`` is then imported without
    SciPy, and SciPy's sparse chunk types and FFT module are given to it when SciPy is
    imported; ``numba.np.arraymath`` finds SciPy's BLAS without importing ``scipy.linalg``.
    Nothing changes if SciPy (its BLAS, for numba) is already imported."""
    if not any(isinstance(finder, _ScipyWhenNeeded) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ScipyWhenNeeded())


def skip_dask_derived_docs() -> None:
    """Have ``dask.array``, when it is imported after this call, built without the docstrings it
    copies from NumPy, ``dask.widgets`` without jinja2 and ``pyarrow.compute`` without the
    parameter sections it copies (see the module docstring); for
    processes that read no docstrings and show no notebook views (the ``ecociv`` script).
    Nothing changes for modules already imported."""
    global _SKIP_DOCS
    _SKIP_DOCS = True
    import_dask_without_scipy()


#: the compiled extension modules (and llvmlite's LLVM) an ``ecociv model run`` loads whatever the
#: model, in the order the run first needs them: GDAL for rasterio (imported by the read-ahead
#: thread at once), NumPy, Arrow (pandas imports pyarrow), PROJ (rioxarray), LLVM (numba)
RUN_LIBRARIES = ("rasterio._base", "numpy._core._multiarray_umath", "pyarrow.lib",
                 "pyproj._context", "llvmlite.binding/libllvmlite.so")

#: those a run loads to read vector inputs: GEOS (shapely) and pyogrio's own GDAL
VECTOR_LIBRARIES = ("shapely.lib", "pyogrio._ogr")

#: endings of the vector files a model run reads with pyogrio (through geopandas)
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".zip")


def names_vector_file(paths: Iterable[str]) -> bool:
    """Whether one of ``paths`` (file names, or ``NAME=PATH`` arguments) ends like a vector
    file of :data:`VECTOR_SUFFIXES` (any case)."""
    return any(path.lower().endswith(VECTOR_SUFFIXES) for path in paths)


def _library_file(name: str) -> str | None:
    """The file of the extension module ``name`` (``package.module``), or of the file
    ``package/file`` in an installed package, found without importing anything."""
    package, slash, file_name = name.partition("/")
    parts = package.split(".")
    locations: Any = None
    spec: ModuleSpec | None = None
    for depth in range(1, len(parts) + 1):
        spec = PathFinder.find_spec(".".join(parts[:depth]), locations)
        if spec is None:
            return None
        if depth < len(parts) or slash:
            locations = spec.submodule_search_locations
            if not locations:
                return None
    if slash:
        found = os.path.join(locations[0], *file_name.split("/"))
        return found if os.path.isfile(found) else None
    if spec is None or not isinstance(spec.loader, ExtensionFileLoader):
        return None
    return spec.origin


def _load_libraries(names: tuple[str, ...]) -> None:
    import ctypes

    for name in names:
        found = _library_file(name)
        if found is None:
            continue
        try:  # the flags Python's import uses for extension modules (RTLD_NOW, local symbols)
            ctypes.CDLL(found, mode=sys.getdlopenflags())
        except OSError:  # the import reports it, as it would without this
            pass


def preload_libraries(names: tuple[str, ...]) -> threading.Thread:
    """Map the shared objects of the extension modules ``names`` (with the libraries they
    link) in a background thread, before the imports that load them.

    Python's import holds the GIL while the dynamic loader maps and relocates an extension
    module and the libraries it links, so no other thread runs Python meanwhile: 0.05-0.06 s of
    CPU for the seven of :data:`RUN_LIBRARIES` and :data:`VECTOR_LIBRARIES` (GDAL twice, Arrow,
    LLVM, PROJ, GEOS, NumPy with OpenBLAS; 0.085 s for all 145 shared objects a ``water_yield``
    run loads), on the one core that runs the start. ``ctypes`` releases the GIL while it loads
    a library: loaded here first, on the other core while the main thread imports, they are in
    place when the import asks for them (``dlopen`` of a loaded object only counts a
    reference). Nothing is initialised for Python here (no module is
    executed); a file not found or not loadable is left to the import, which reports it as
    usual. For processes that import these modules anyway (the ``ecociv model run`` script)."""
    global _preload
    thread = threading.Thread(target=_load_libraries, args=(names,), name="ecociv-preload",
                              daemon=True)
    thread.start()
    _preload = thread
    return thread


#: the thread of :func:`preload_libraries`, if one was started
_preload: threading.Thread | None = None


def preload_finished() -> None:
    """Wait until the libraries given to :func:`preload_libraries` are loaded (at once when
    nothing was preloaded): a run then starts with no library being loaded in the background
    (no ``fork`` while the dynamic loader holds its lock)."""
    if _preload is not None:
        _preload.join()


def import_in_background(name: str) -> threading.Thread | None:
    """Import the module ``name`` in a daemon thread, now; the thread, or None when the module
    is imported already.

    For a caller about to run compiled code that releases the GIL (the security pattern's
    searches) and to need a heavy module afterwards (SciPy's sparse LU, whose package imports
    all of ``scipy.linalg``: 0.06 CPU-s alone, but 0.66 s of the step's thread in a sampling
    profile of the Belt demo, GIL waits included, while the other steps' threads ran Python):
    the import then runs beside the compiled code instead of after it, and the later ``import``
    finds the module imported, or waits for this import to finish (Python's per-module import
    lock). An import that fails here is left to that later ``import``, which raises its error
    as usual. The thread's name does not start with ``ecociv-``: it may import SciPy
    (:func:`_other_threads`)."""
    if name in sys.modules:
        return None

    def load() -> None:
        import importlib

        try:
            importlib.import_module(name)
        except Exception:  # reported by the import that needs the module, as usual
            pass

    thread = threading.Thread(target=load, name=f"import-{name}", daemon=True)
    thread.start()
    return thread


class LazyModule:
    """A module imported when one of its attributes is first used, for a module that names a
    heavy library at its top but uses it only when it computes: ``sp = LazyModule("scipy.sparse")``
    then ``sp.csr_matrix`` imports ``scipy.sparse`` (through the import system, so from any thread).
    A scenario's plan imports every model of the scenario, and SciPy's sparse matrices and graph
    routines took ~0.2 s of its one-core start for the security pattern alone (with ``if
    TYPE_CHECKING:`` the real module, for type checkers)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
