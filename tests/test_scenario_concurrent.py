"""Steps of a scenario running at once (``ecociv.scenario.concurrent``): order, failures,
cancelling, the cache, and results equal to a run of one step after another."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute.scheduling import local_get, scheduler
from ecociv.scenario import progress
from ecociv.scenario.concurrent import GraphRun, RunCancelledError, step_workers
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from tests.test_scenario_runner import CALLS, with_scale  # noqa: F401  (fixture)

# --- the scheduler alone -------------------------------------------------------------------


class Log:
    """What the steps did, in the order they did it (thread-safe)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def add(self, name: str, what: str) -> None:
        with self.lock:
            self.events.append((name, what))

    def index(self, name: str, what: str) -> int:
        return self.events.index((name, what))


def test_a_step_starts_only_after_the_steps_it_needs() -> None:
    log = Log()

    def work(name: str) -> str:
        log.add(name, "start")
        time.sleep(0.02)
        log.add(name, "end")
        return name.upper()

    results: dict[str, str] = {}
    needs = {"c": {"a", "b"}, "d": {"c"}}
    GraphRun(["a", "b", "c", "d"], needs, work, results.__setitem__, workers=2).run()
    assert results == {"a": "A", "b": "B", "c": "C", "d": "D"}
    assert log.index("c", "start") > max(log.index("a", "end"), log.index("b", "end"))
    assert log.index("d", "start") > log.index("c", "end")


def test_independent_steps_run_at_the_same_time() -> None:
    both = threading.Barrier(2, timeout=10)  # passes only when two steps wait on it at once
    GraphRun(["a", "b"], {}, lambda name: both.wait(), lambda *_: None, workers=2).run()
    with pytest.raises(threading.BrokenBarrierError):  # one worker: the second never comes
        lonely = threading.Barrier(2, timeout=0.2)
        GraphRun(["a", "b"], {}, lambda name: lonely.wait(), lambda *_: None, workers=1).run()


def test_one_worker_runs_in_plan_order() -> None:
    log = Log()
    order = ["e", "d", "c", "b", "a"]
    GraphRun(order, {"a": {"e"}}, lambda n: log.add(n, "start"), lambda *_: None,
             workers=1).run()
    assert [name for name, _ in log.events] == order


def test_the_longest_chain_starts_first() -> None:
    log = Log()
    # plan order puts the lone step first; the chain x -> y -> z is longer and starts first
    GraphRun(["lone", "x", "y", "z"], {"y": {"x"}, "z": {"y"}},
             lambda n: log.add(n, "start"), lambda *_: None, workers=2).run()
    assert log.events[0] == ("x", "start")


def test_the_earliest_failure_in_plan_order_is_raised() -> None:
    later_failed = threading.Event()

    def work(name: str) -> None:
        if name == "b":
            later_failed.set()
            raise ValueError("b failed")
        assert later_failed.wait(10)  # 'a' fails after 'b', yet is reported: it comes first
        raise KeyError("a failed")

    with pytest.raises(KeyError, match="a failed"):
        GraphRun(["a", "b"], {}, work, lambda *_: None, workers=2).run()


def test_no_later_step_starts_after_a_failure_but_earlier_ones_still_run() -> None:
    log = Log()
    release = threading.Event()

    def work(name: str) -> None:
        log.add(name, "start")
        if name == "b":
            raise ValueError("b failed")
        if name == "a":
            assert release.wait(10)

    def done(name: str, _: Any) -> None:
        log.add(name, "done")

    # 'a' blocks until 'b' has failed; 'c' needs 'a' and comes before 'b' in plan order, so a
    # one-at-a-time run would have run it: it still runs; 'd' comes after 'b': never started
    threading.Timer(0.3, release.set).start()
    with pytest.raises(ValueError, match="b failed"):
        GraphRun(["a", "c", "b", "d"], {"c": {"a"}}, work, done, workers=2).run()
    names = {name for name, what in log.events if what == "start"}
    assert names == {"a", "b", "c"}
    assert ("c", "done") in log.events


def test_an_error_of_on_done_fails_the_run_like_the_step() -> None:
    def done(name: str, _: Any) -> None:
        if name == "a":
            raise RuntimeError("map of a failed")

    started: list[str] = []
    with pytest.raises(RuntimeError, match="map of a failed"):
        GraphRun(["a", "b"], {"b": {"a"}}, started.append, done, workers=2).run()
    assert started == ["a"]  # 'b' needs 'a', which did not finish


def test_an_interrupt_cancels_and_waits_for_running_steps() -> None:
    log = Log()
    running = threading.Event()

    def work(name: str) -> None:
        log.add(name, "start")
        if name == "slow":
            running.set()
            time.sleep(0.3)
            log.add(name, "end")

    def done(name: str, _: Any) -> None:
        if name == "fast":
            assert running.wait(10)
            raise KeyboardInterrupt

    graph = GraphRun(["slow", "fast", "after"], {"after": {"fast"}}, work, done, workers=2)
    with pytest.raises(KeyboardInterrupt):
        graph.run()
    assert graph.cancel.is_set()
    assert ("slow", "end") in log.events, "a running step is waited for before run() returns"
    assert ("after", "start") not in log.events


def test_a_cancelled_dask_computation_stops_between_tasks() -> None:
    cancel = threading.Event()
    cancel.set()
    array = da.ones(100, chunks=10)
    with progress.task_progress(lambda _: None, cancel=cancel), \
            pytest.raises(RunCancelledError):
        array.sum().compute(scheduler=local_get)


def test_progress_follows_only_its_own_threads_computations() -> None:
    reports: list[float] = []
    array = da.ones(200, chunks=10)
    with progress.task_progress(reports.append, min_seconds=0, min_change=0):
        other = threading.Thread(target=lambda: array.sum().compute(scheduler=local_get))
        other.start()
        other.join()
        assert reports == [], "another thread's computation is not this step's progress"
        array.sum().compute(scheduler=local_get)
    assert reports


class _HeldComputation:
    """A dask computation started in another thread and held in its only task until
    :meth:`finish` (as another step's computation running meanwhile)."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.results: list[int] = []
        self.thread = threading.Thread(target=self._compute)

    def _hold(self, value: int) -> int:
        self.started.set()
        assert self.release.wait(10)
        return value

    def _compute(self) -> None:
        self.results.append(dask.delayed(self._hold)(1).compute())

    def start(self) -> None:
        self.thread.start()
        assert self.started.wait(10)

    def finish(self) -> None:
        self.release.set()
        self.thread.join(10)
        assert self.results == [1]


def test_a_cancelled_step_stops_no_later_computation_of_its_thread() -> None:
    """The CI failure of 31bae33 (RunCancelledError in the carbon step of runs nobody cancelled):
    dask's local scheduler takes the process-wide callbacks away while it computes and puts back
    what it took when it ends, so a step's callback removed meanwhile came back, with its run's
    cancel event set, and stopped the computations of a later thread with the same ident (here
    the same thread, which the callback cannot tell from a new one)."""
    cancel = threading.Event()
    other = _HeldComputation()
    with scheduler(None):
        with progress.task_progress(lambda _: None, cancel=cancel):
            other.start()
            cancel.set()  # the run is cancelled and its step ends while the other computes
        other.finish()
        assert da.ones(10, chunks=5).sum().compute() == 10  # a later run's step


def test_a_step_is_followed_while_another_thread_computes() -> None:
    """Progress and cancelling of a step's computation do not depend on whether another step
    is computing at the same time (the local scheduler's swap of the process-wide callbacks
    left the second computation of two at once without any)."""
    reports: list[float] = []
    cancel = threading.Event()
    array = da.ones(200, chunks=10)
    other = _HeldComputation()
    with scheduler(None), progress.task_progress(reports.append, min_seconds=0, min_change=0,
                                                 cancel=cancel):
        other.start()
        try:
            array.sum().compute()
            assert reports, "the step's progress is reported"
            cancel.set()
            with pytest.raises(RunCancelledError):
                array.sum().compute()
        finally:
            other.finish()


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_step_worker_counts_are_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ECOCIV_STEP_WORKERS", value)
    with pytest.raises(InputError, match="ECOCIV_STEP_WORKERS"):
        step_workers()


def test_step_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOCIV_STEP_WORKERS", "3")
    assert step_workers() == 3
    monkeypatch.delenv("ECOCIV_STEP_WORKERS")
    assert 1 <= step_workers() <= 4   # one per core, at most 4


# --- the runner ----------------------------------------------------------------------------

DIAMOND = """
    name: diamond
    grid: {reference: base.tif}
    models:
      - {id: scale, name: left, inputs: {values: "@top.scaled"}, params: {factor: 3}}
      - {id: scale, name: right, inputs: {values: "@top.scaled"}, params: {factor: 5}}
      - {id: scale, name: top, inputs: {values: base.tif}, params: {factor: 2}}
      - {id: scale, name: alone, inputs: {values: base.tif}, params: {factor: 7}}
"""


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def _diamond(tmp_path: Path, make_raster: Any) -> Path:
    make_raster(np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")).rename(tmp_path / "base.tif")
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(DIAMOND))
    return path


def test_concurrent_and_one_at_a_time_runs_agree(tmp_path: Path, make_raster: Any,
                                                 with_scale: None,  # noqa: F811
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = _diamond(tmp_path, make_raster)
    runs = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("ECOCIV_STEP_WORKERS", workers)
        runs[workers] = run_scenario(load_scenario(path), base_dir=tmp_path,
                                     store=ResultsStore(tmp_path / f"store{workers}"))
    one, two = runs["1"], runs["2"]
    # 1×2×3, 1×2×5, 1×7 ... the same values either way
    np.testing.assert_array_equal(_read(two.folder / "left" / "scaled.tif"), [[6, 12], [18, 24]])
    for step in ("top", "left", "right", "alone"):
        np.testing.assert_array_equal(_read(one.folder / step / "scaled.tif"),
                                      _read(two.folder / step / "scaled.tif"))
    names = [s["name"] for s in two.manifest["steps"]]
    assert names == [s["name"] for s in one.manifest["steps"]] == ["top", "left", "right", "alone"]
    assert [s["cache_key"] for s in two.manifest["steps"]] == \
        [s["cache_key"] for s in one.manifest["steps"]]
    written = json.loads((two.folder / "manifest.json").read_text())
    assert [s["name"] for s in written["steps"]] == names


def test_concurrent_runs_reuse_the_cache(tmp_path: Path, make_raster: Any,
                                         with_scale: None,  # noqa: F811
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOCIV_STEP_WORKERS", "2")
    path = _diamond(tmp_path, make_raster)
    store = ResultsStore(tmp_path / "store")
    run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert len(CALLS) == 4
    path.write_text(path.read_text().replace("factor: 5", "factor: 6"))
    again = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert len(CALLS) == 5, "only the changed step is computed again"
    assert {s["name"]: s["cached"] for s in again.manifest["steps"]} == {
        "top": True, "left": True, "right": False, "alone": True}
    np.testing.assert_array_equal(_read(again.folder / "right" / "scaled.tif"), [[12, 24], [36, 48]])


def test_a_failing_step_fails_the_concurrent_run_and_leaves_no_folder(
        tmp_path: Path, make_raster: Any, with_scale: None,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOCIV_STEP_WORKERS", "2")
    path = _diamond(tmp_path, make_raster)
    path.write_text(path.read_text().replace("factor: 5", "factor: -1"))
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(InputError, match=r"parameter 'factor'.*below the allowed minimum 0"):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert not store.runs_dir.exists() or list(store.runs_dir.iterdir()) == []


def test_an_interrupt_leaves_no_run_folder(tmp_path: Path, make_raster: Any,
                                           with_scale: None,  # noqa: F811
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOCIV_STEP_WORKERS", "2")
    path = _diamond(tmp_path, make_raster)
    store = ResultsStore(tmp_path / "store")

    def interrupt(folder: Path, _manifest: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=store, on_step=interrupt)
    assert not store.runs_dir.exists() or list(store.runs_dir.iterdir()) == []
    assert len(CALLS) < 4, "no step starts after the interrupt"


def test_a_costly_step_starts_before_a_longer_chain_of_cheap_ones() -> None:
    log = Log()
    GraphRun(["x", "y", "big"], {"y": {"x"}}, lambda n: log.add(n, "start"), lambda *_: None,
             workers=1 + 1, cost={"x": 1, "y": 1, "big": 5}).run()
    assert log.events[0] == ("big", "start")


def test_a_run_limited_to_one_thread_runs_one_step_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecociv.execute import scheduling

    monkeypatch.delenv("ECOCIV_STEP_WORKERS", raising=False)
    monkeypatch.setattr(scheduling, "_limit", 1)  # as limit_threads(1) in a study's worker
    assert step_workers() == 1
