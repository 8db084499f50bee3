"""``ecociv.lazy``: opening a raster does not import pint, and xarray still recognises pint
quantities once pint is imported; dask.array without SciPy and, in the ``ecociv`` script,
without the docstrings it copies from NumPy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import xarray as xr
    from ecociv.lazy import xarray_checks_pint_lazily
    replaced = xarray_checks_pint_lazily()
    # coordinates become a pandas index: xarray asks whether they are pint quantities
    xr.DataArray(np.zeros((2, 3)), coords={"y": [0.5, 1.5], "x": [0.5, 1.5, 2.5]}, dims=("y", "x"))
    before = "pint" in sys.modules
    import pint
    from xarray.namedarray.pycompat import array_type
    quantity = pint.UnitRegistry().Quantity(np.arange(3.0), "m")
    wrapped = xr.DataArray(quantity, dims="x")
    print(json.dumps({"replaced": replaced, "pint_before": before,
                      "types": array_type("pint") == (pint.Quantity,),
                      "kept": isinstance(wrapped.data, pint.Quantity),
                      "again": xarray_checks_pint_lazily()}))
""")


def test_pint_is_not_imported_until_used_and_then_recognised() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"replaced": True, "pint_before": False, "types": True, "kept": True,
                     "again": False}


SCIPY_PROBE = textwrap.dedent("""
    import json, sys, threading
    import ecociv  # installs the import hook
    import dask.array as da
    without = "scipy" not in sys.modules
    import scipy.sparse
    from dask.array import chunk_types, fft
    x = da.from_array(scipy.sparse.random(6, 6, density=0.5, format="csr", random_state=1),
                      chunks=3, asarray=False)
    blocks = x.blocks[0, 0].compute()
    print(json.dumps({
        "without": without,
        "spmatrix": scipy.sparse.spmatrix in chunk_types._HANDLED_CHUNK_TYPES,
        "sparray": scipy.sparse.sparray in chunk_types._HANDLED_CHUNK_TYPES,
        "fft": fft.scipy is sys.modules["scipy"],
        "block": scipy.sparse.issparse(blocks) and blocks.shape == (3, 3),
    }))
""")


def test_dask_array_is_imported_without_scipy_and_completed_when_scipy_comes() -> None:
    """dask.array with the hook: no SciPy at its import; once scipy.sparse is imported, its
    matrices are dask chunk types and dask's FFT module holds SciPy, as without the hook."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", SCIPY_PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"without": True, "spmatrix": True, "sparray": True, "fft": True,
                     "block": True}


def test_dask_array_keeps_scipy_when_scipy_came_first() -> None:
    probe = ("import json, sys, scipy.sparse, ecociv, dask.array\n"
             "from dask.array import chunk_types, fft\n"
             "print(json.dumps([scipy.sparse.spmatrix in chunk_types._HANDLED_CHUNK_TYPES,"
             " fft.scipy is sys.modules['scipy']]))")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                          check=True, timeout=300)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True]


DOCS_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    from ecociv.cli import main as cli

    def probe():
        import dask.array as da
        x = da.arange(10, chunks=3)
        jinja_then = "jinja2" in sys.modules
        import jinja2  # imports as usual afterwards
        print(json.dumps({"sum": int(da.sum(x).compute()), "sin": float(da.sin(x)[1].compute()),
                          "doc": da.sum.__doc__, "own": bool(da.from_array.__doc__),
                          "jinja2": jinja_then, "later": jinja2.Template("{{ 1 + 1 }}").render()}))

    cli.main = probe
    sys.argv = ["ecociv", "probe"]
    cli.entry()
""")


def test_the_script_imports_dask_array_without_copied_docstrings() -> None:
    """``ecociv.cli.main.entry`` (the ``ecociv`` script) has dask.array imported without the
    docstrings ``derived_from`` copies from NumPy and dask without jinja2; dask works the same,
    its own docstrings stay, and jinja2 imports later. A process that is not the script keeps
    the copies."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", DOCS_PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"sum": 45, "sin": float(np.sin(1.0)), "doc": None, "own": True,
                     "jinja2": False, "later": "2"}
    plain = subprocess.run([sys.executable, "-c", "import ecociv, dask.array as da; "
                            "print('sum of array elements' in da.sum.__doc__.lower())"],
                           env=env, capture_output=True, text=True, check=True, timeout=300)
    assert plain.stdout.strip() == "True"


def test_derived_from_without_docs_keeps_dask_stub_for_missing_originals() -> None:
    """The doc-less ``derived_from``: a method whose original exists comes back unchanged; one
    whose original is missing goes to dask's decorator (a stub raising NotImplementedError)."""
    import pytest
    from dask.utils import derived_from

    from ecociv.lazy import _derived_from_no_docs

    class Original:
        def exists(self, a: int) -> int:
            """Original text."""
            return a

    def exists(a: int) -> int:
        """Own text."""
        return a + 1

    def missing(a: int) -> int:
        return a

    decorate = _derived_from_no_docs(derived_from)(Original)
    assert decorate(exists) is exists and exists.__doc__ == "Own text."
    stub = decorate(missing)
    with pytest.raises(NotImplementedError):
        stub(1)


PLAN_PROBE = textwrap.dedent("""
    import json, sys
    from ecociv.demo import belt_scenario
    from ecociv.scenario.run_file import load_scenario_file
    def scipy_modules():
        return {name for name in sys.modules if name.partition(".")[0] == "scipy"}
    before = scipy_modules()  # (SciPy's light top-level package is imported before)
    loaded = load_scenario_file(belt_scenario())
    planned = sorted(step.model.spec.id for step in loaded.steps)
    scipy_in_plan = sorted(scipy_modules() - before)
    from ecociv.models.ecological_security_pattern import kernels_paths
    graph = kernels_paths.cost_graph(__import__("numpy").ones((3, 4)), 1000.0, 1000.0)
    print(json.dumps({"planned": planned, "scipy": scipy_in_plan,
                      "csr": type(graph).__name__, "sparse": "scipy.sparse" in sys.modules}))
""")


def test_planning_the_belt_baseline_imports_no_scipy() -> None:
    # a scenario's plan imports its models; the security pattern, habitat quality, the red line
    # and the patches import SciPy where they use it (~0.2 s of the plan's one-core start), and
    # the lazily named module works once used
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", PLAN_PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert "ecological_security_pattern" in found["planned"] and "habitat_quality" in found["planned"]
    assert found["scipy"] == []
    assert found["csr"] == "csr_matrix" and found["sparse"]


def test_a_lazy_module_imports_on_first_use() -> None:
    from ecociv.lazy import LazyModule

    module = LazyModule("json.decoder")
    assert "json.decoder" in repr(module)
    assert module.JSONDecodeError is __import__("json").decoder.JSONDecodeError


def test_a_module_imported_in_background_is_there_once_the_thread_ends(tmp_path, monkeypatch) -> None:
    import importlib

    from ecociv.lazy import import_in_background

    (tmp_path / "ecociv_background_probe.py").write_text("import time\ntime.sleep(0.2)\nVALUE = 42\n")
    (tmp_path / "ecociv_background_broken.py").write_text("raise ImportError('broken on purpose')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        thread = import_in_background("ecociv_background_probe")
        assert thread is not None and not thread.name.startswith("ecociv-")  # may import SciPy
        # an import meanwhile waits for the background one: the whole module, imported once
        assert importlib.import_module("ecociv_background_probe").VALUE == 42
        thread.join(30)
        assert not thread.is_alive()
        assert import_in_background("ecociv_background_probe") is None  # imported already
        broken = import_in_background("ecociv_background_broken")
        assert broken is not None
        broken.join(30)
        assert "ecociv_background_broken" not in sys.modules
        with pytest.raises(ImportError, match="broken on purpose"):  # the later import reports it
            importlib.import_module("ecociv_background_broken")
    finally:
        for name in ("ecociv_background_probe", "ecociv_background_broken"):
            sys.modules.pop(name, None)


BLAS_PROBE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import ecociv  # installs the import hook
    import numba
    from numba.np import arraymath, linalg
    light = "scipy.linalg" not in sys.modules

    @numba.njit
    def compiled(a, b, v):
        return np.dot(a, b), np.searchsorted(v, 2.5), np.correlate(v, v)

    a, b, v = np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(3, 2), np.arange(5.0)
    product, index, correlation = compiled(a, b, v)
    print(json.dumps({"light": light, "blas": arraymath._HAVE_BLAS,
                      "restored": linalg.ensure_blas.__module__,
                      "dot": product.tolist() == (a @ b).tolist(), "index": int(index),
                      "correlate": bool(np.allclose(correlation, np.correlate(v, v)))}))
""")


def test_numba_array_functions_find_blas_without_importing_scipy_linalg() -> None:
    """``numba.np.arraymath`` under the hook: ``scipy.linalg`` is not imported, numba records a
    BLAS as it does without the hook (numba's own answer, in a process without ecociv, is the
    reference), its ``ensure_blas`` is numba's again, and compiled ``np.dot`` (BLAS, imported by
    numba's C helpers when called), ``np.searchsorted`` and ``np.correlate`` agree with NumPy."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", BLAS_PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    plain = subprocess.run([sys.executable, "-c", "from numba.np import arraymath; "
                            "print(arraymath._HAVE_BLAS)"],
                           env={**os.environ, "PYTHONPATH": ""}, capture_output=True, text=True,
                           check=True, timeout=300)
    assert found == {"light": True, "blas": plain.stdout.strip() == "True",
                     "restored": "numba.np.linalg", "dot": True, "index": 3, "correlate": True}


PRELOAD_PROBE = textwrap.dedent("""
    import json, sys
    from ecociv import lazy
    names = lazy.RUN_LIBRARIES + lazy.VECTOR_LIBRARIES
    files = {name: lazy._library_file(name) for name in names}
    thread = lazy.preload_libraries(("pyproj._context", "shapely.lib", "no_such_package.lib",
                                     "json/no_such_file.so"))
    lazy.preload_finished()
    with open("/proc/self/maps") as maps:
        mapped = maps.read()
    loaded = [files[name] in mapped for name in ("pyproj._context", "shapely.lib")]
    imported = sorted(name for name in ("pyproj", "shapely") if name in sys.modules)
    import pyproj, shapely
    print(json.dumps({"found": all(files.values()), "loaded": loaded, "imported": imported,
                      "thread": [thread.name, thread.daemon, thread.is_alive()],
                      "missing": [lazy._library_file("no_such_package.lib"),
                                  lazy._library_file("json/no_such_file.so"),
                                  lazy._library_file("json.decoder")],
                      "epsg": pyproj.CRS.from_epsg(32645).to_epsg(),
                      "area": shapely.box(0, 0, 2, 3).area}))
""")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc/self/maps")
def test_preloaded_libraries_are_mapped_without_importing_their_modules() -> None:
    """``preload_libraries`` maps the extension modules' shared objects (as listed by the
    kernel in ``/proc/self/maps``) without importing any module; names that find no file
    (a missing package, a missing file, a pure-Python module) are skipped, and the modules
    import and work afterwards (PROJ gives EPSG:32645 back, GEOS the area of a 2 x 3 box)."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", PRELOAD_PROBE], env=env, capture_output=True,
                          text=True, check=True, timeout=300)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"found": True, "loaded": [True, True], "imported": [],
                     "thread": ["ecociv-preload", True, False], "missing": [None, None, None],
                     "epsg": 32645, "area": 6.0}


ARROW_PROBE = textwrap.dedent("""
    import json, sys
    from ecociv.cli import main as cli

    def probe():
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyarrow.vendored import docscrape
        print(json.dumps({"doc": pc.sum.__doc__, "sum": pc.sum(pa.array([1, 2, 3])).as_py(),
                          "mean": pc.mean(pa.array([1.0, 2.0, None]), skip_nulls=False).as_py(),
                          "restored": docscrape.NumpyDocString.__module__}))

    if sys.argv[1] == "script":
        cli.main = probe
        sys.argv = ["ecociv", "probe"]
        cli.entry()
    else:
        probe()
""")


def test_the_script_imports_pyarrow_compute_without_copied_parameter_docs() -> None:
    """In the ``ecociv`` script ``pyarrow.compute``'s wrappers lack the parameter sections
    copied from their options classes and keep their summaries; the functions compute as in a
    process without the script (pyarrow's own docstrings are the reference), and pyarrow's
    docstring parser is its own again afterwards."""
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    found = {}
    for mode in ("script", "plain"):
        done = subprocess.run([sys.executable, "-c", ARROW_PROBE, mode], env=env,
                              capture_output=True, text=True, check=True, timeout=300)
        found[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    script, plain = found["script"], found["plain"]
    assert "skip_nulls : bool" in plain["doc"] and "skip_nulls : bool" not in script["doc"]
    assert script["doc"].splitlines()[0] == plain["doc"].splitlines()[0]
    assert (script["sum"], script["mean"]) == (plain["sum"], plain["mean"]) == (6, None)
    assert script["restored"] == plain["restored"] == "pyarrow.vendored.docscrape"
