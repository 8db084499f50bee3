"""``ecociv.cli.process.tune_malloc``: glibc's allocator set (``mallopt``) to reuse memory that
another thread freed instead of faulting in fresh pages, and left alone where it should be.

The check counts minor page faults (``getrusage``, as ``/usr/bin/time -v`` does) in a fresh
process with transparent huge pages off for it (``prctl(PR_SET_THP_DISABLE)``, Linux
``prctl(2)``), so that every page taken from the system is one fault of 4 KiB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ecociv.cli import process

linux_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.confstr("CS_GNU_LIBC_VERSION") is None,
    reason="mallopt is glibc's")

#: a thread fills and frees 64 MiB in arrays of 4 MiB, then another thread does the same; the
#: faults of the second thread are printed
_SCRIPT = textwrap.dedent("""
    import ctypes, json, resource, sys, threading
    import numpy as np
    from ecociv.cli import process

    libc = ctypes.CDLL(None)
    if libc.prctl(41, 1, 0, 0, 0) != 0:  # PR_SET_THP_DISABLE
        print(json.dumps(None)); sys.exit()
    tuned = process.tune_malloc() if sys.argv[1] == "tune" else False

    def fill():
        arrays = [np.empty(2**19) for _ in range(16)]  # 16 x 4 MiB
        for a in arrays:
            a.fill(1.0)
        del arrays

    first = threading.Thread(target=fill)
    first.start(); first.join()
    found = {}

    def second():
        before = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt
        fill()
        found["faults"] = resource.getrusage(resource.RUSAGE_THREAD).ru_minflt - before

    other = threading.Thread(target=second)
    other.start(); other.join()
    print(json.dumps({"tuned": tuned, "faults": found["faults"]}))
""")


def _faults(mode: str, **env: str) -> dict[str, object] | None:
    # dask.distributed puts MALLOC_TRIM_THRESHOLD_ into os.environ when a test starts a cluster
    clean = {k: v for k, v in os.environ.items()
             if k != process.MALLOC_TUNE_ENV and k not in process._GLIBC_MALLOC_ENV}
    done = subprocess.run([sys.executable, "-c", _SCRIPT, mode], env={**clean, **env},
                          capture_output=True, text=True, check=True, timeout=120)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@linux_glibc
def test_freed_memory_of_one_thread_is_reused_by_another() -> None:
    plain = _faults("plain")
    if plain is None:
        pytest.skip("transparent huge pages cannot be turned off here")
    tuned = _faults("tune")
    assert tuned is not None and tuned["tuned"] is True
    # 64 MiB of fresh pages is 16,384 faults: glibc's defaults give the second thread an arena
    # of its own; tuned, it takes the pages the first thread freed
    assert plain["faults"] > 12_000
    assert tuned["faults"] < 2_000


@linux_glibc
@pytest.mark.parametrize("env", [{process.MALLOC_TUNE_ENV: "0"}, {"MALLOC_ARENA_MAX": "4"},
                                 {"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}])
def test_left_alone_when_turned_off_or_set_by_the_user(env: dict[str, str]) -> None:
    found = _faults("tune", **env)
    if found is None:
        pytest.skip("transparent huge pages cannot be turned off here")
    assert found["tuned"] is False


def test_not_tuned_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    assert process.tune_malloc() is False
