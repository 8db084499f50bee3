"""``ecociv demo`` prepares its summaries (imports, unit coverages) in a thread once every step
of the run has started: not before (the steps want the cores), always before the summaries are
written, and a failure there costs nothing (the summaries meet it again)."""

from __future__ import annotations

import threading

import pytest

from ecociv import demo


def test_prepared_once_every_step_has_started(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(demo, "prepare_summaries", calls.append)
    ahead = demo._AheadOfTime(3, "dataset", lambda step, status: seen.append((step, status)))
    ahead("a", "running")
    ahead("a", "running 40 %")
    ahead("b", "running")
    ahead("a", "done")
    assert ahead.thread is None  # step c has not started
    ahead("c", "running")
    ahead.wait()
    assert calls == ["dataset"]
    ahead("c", "done")
    ahead.wait()
    assert calls == ["dataset"]  # once
    assert seen[-1] == ("c", "done") and len(seen) == 6  # every report passed on, in order


def test_a_failure_ahead_of_time_is_left_to_the_summaries(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(dataset: object) -> None:
        raise OSError("units table unreadable")

    monkeypatch.setattr(demo, "prepare_summaries", broken)
    errors: list[object] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    ahead = demo._AheadOfTime(1, "dataset", None)
    ahead("only", "running")
    ahead.wait()
    assert errors == []


def test_wait_without_a_start_returns() -> None:
    demo._AheadOfTime(2, "dataset", None).wait()


def test_prepare_summaries_on_the_belt_dataset() -> None:
    from ecociv.grid.zonal import _coverage
    from ecociv.region.dataset import load_dataset

    _coverage.cache_clear()
    demo.prepare_summaries(load_dataset())
    assert _coverage.cache_info().currsize >= 30  # the Belt's member units, on its grid
