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


def _fake_summaries_and_check(monkeypatch: pytest.MonkeyPatch, check_error: BaseException | None = None,
                              summaries_error: BaseException | None = None) -> list[str]:
    """write_summaries and check_run replaced: the summaries wait (up to 10 s) for the check to
    have started, each records when it ends; returns the record."""
    from ecociv.check import report
    from ecociv.region import summary

    events: list[str] = []
    check_started = threading.Event()

    def check_run(folder: object, *, dataset: object, run_id: str) -> str:
        check_started.set()
        events.append("check done")
        if check_error is not None:
            raise check_error
        return f"checked {run_id}"

    def write_summaries(folder: object, dataset: object) -> dict[str, str]:
        events.append("summaries started" if check_started.wait(10) else "summaries alone")
        if summaries_error is not None:
            raise summaries_error
        return {"units": "units.csv"}

    monkeypatch.setattr(report, "check_run", check_run)
    monkeypatch.setattr(summary, "write_summaries", write_summaries)
    return events


def test_the_check_runs_beside_the_summaries(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    events = _fake_summaries_and_check(monkeypatch)
    paths, check = demo.summaries_and_check(tmp_path, "dataset", "run-1")
    assert paths == {"units": "units.csv"} and check == "checked run-1"
    assert "summaries started" in events  # the check had started while the summaries ran


def test_a_bad_reference_table_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from ecociv.errors import InputError

    bad = InputError("no column 'value'", source="reference/carbon.csv")
    _fake_summaries_and_check(monkeypatch, check_error=bad)
    paths, check = demo.summaries_and_check(tmp_path, "dataset", "run-1")
    assert paths == {"units": "units.csv"} and check is bad


@pytest.mark.parametrize("where", ["check", "summaries"])
def test_other_errors_fail_the_run_once_both_are_done(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                                      where: str) -> None:
    error = OSError("disk full")
    events = _fake_summaries_and_check(monkeypatch, **{f"{where}_error": error})
    with pytest.raises(OSError, match="disk full"):
        demo.summaries_and_check(tmp_path, "dataset", "run-1")
    assert "check done" in events  # the check's thread ended before the error was raised
