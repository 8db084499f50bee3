"""``ecociv.compiled.jit``: compiled once, loaded from numba's cache in later processes without
numba's compiler set-up, and still working where no cache can be written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("numba")

SRC = Path(__file__).resolve().parents[1] / "src"

MODULE = textwrap.dedent("""
    import numpy as np
    from ecociv.compiled import jit

    @jit(nogil=True)
    def scaled_sum(values, factor):
        total = 0.0
        for value in values:
            total += value * factor
        return total
""")

# prints the result, the dispatcher's cache statistics and whether numba's array-maths
# implementations (registered by a full context refresh) were imported
PROBE = textwrap.dedent("""
    import json, sys
    {before}
    import numpy as np
    import cached_probe
    result = cached_probe.scaled_sum(np.arange(5.0), 2.0)
    stats = cached_probe.scaled_sum.stats
    print(json.dumps({{"result": result, "hits": sum(stats.cache_hits.values()),
                      "misses": sum(stats.cache_misses.values()),
                      "arraymath": "numba.np.arraymath" in sys.modules}}))
""")


def _probe(folder: Path, cache: Path, before: str = "", probe: str = PROBE) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(SRC)]),
           "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", probe.format(before=before)], env=env,
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_second_process_loads_the_cache_without_numba_compiler_setup(tmp_path: Path) -> None:
    (tmp_path / "cached_probe.py").write_text(MODULE)
    cache = tmp_path / "cache"
    first = _probe(tmp_path, cache)
    second = _probe(tmp_path, cache)
    # 0·2 + 1·2 + 2·2 + 3·2 + 4·2 = 20
    assert first["result"] == second["result"] == 20.0
    assert (first["hits"], first["misses"]) == (0, 1)  # compiled, then written to the cache
    assert (second["hits"], second["misses"]) == (1, 0)  # loaded from it
    # the lean load does not register numba's implementations (a full refresh imports them)
    assert first["arraymath"] and not second["arraymath"]


def test_no_writable_cache_location_compiles_instead_of_failing(tmp_path: Path) -> None:
    """numba raises "cannot cache function ... no locator available" at definition when no
    cache directory is writable (read-only install, read-only home): compiled per process."""
    (tmp_path / "cached_probe.py").write_text(MODULE)
    no_locator = "import numba.core.caching as c; c.CacheImpl._locator_classes = []"
    found = _probe(tmp_path, tmp_path / "cache", before=no_locator)
    assert found["result"] == 20.0
    assert found["hits"] == 0
    assert not (tmp_path / "cache").exists()


def test_lean_load_is_skipped_when_numba_internals_differ() -> None:
    from ecociv.compiled import _lean_cache_load

    class NoCache:  # a dispatcher without numba's ``_cache``
        pass

    assert _lean_cache_load(NoCache()) is False


# a compiled function calling another one, as the grid Dijkstra's scan calls its heap steps
CALLING = textwrap.dedent("""
    import numpy as np
    from ecociv.compiled import jit

    @jit(nogil=True)
    def weight(value, factor):
        return value * factor

    @jit(nogil=True)
    def scaled_sum(values, factor):
        total = 0.0
        for value in values:
            total += weight(value, factor)
        return total
""")


def test_a_function_calling_another_loads_lean_from_the_cache(tmp_path: Path) -> None:
    """The cached machine code of the caller holds the callee's: the second process runs it
    without numba's compiler set-up and gets the compiled result."""
    (tmp_path / "cached_probe.py").write_text(CALLING)
    cache = tmp_path / "cache"
    first = _probe(tmp_path, cache)
    second = _probe(tmp_path, cache)
    assert first["result"] == second["result"] == 20.0  # 2 · (0 + 1 + 2 + 3 + 4)
    assert (second["hits"], second["misses"]) == (1, 0)
    assert first["arraymath"] and not second["arraymath"]
