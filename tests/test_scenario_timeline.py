"""The optional run timeline (ecociv.scenario.timeline)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ecociv.scenario import timeline


def test_no_trace_without_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(timeline.VARIABLE, raising=False)
    recorded: list[tuple[object, ...]] = []
    monkeypatch.setattr(timeline, "record", lambda *args, **kwargs: recorded.append(args))
    monkeypatch.chdir(tmp_path)
    with timeline.span("step", "x"):
        pass
    timeline.process_started("main")
    assert not timeline.enabled()
    assert recorded == []  # not even a call that would find no file to write
    assert list(tmp_path.iterdir()) == []


def test_span_appends_one_line_with_times_and_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv(timeline.VARIABLE, str(trace))
    before = time.time()
    with timeline.span("step", "water_yield"):
        sum(i * i for i in range(200_000))  # some CPU time in the span
    with pytest.raises(ValueError), timeline.span("map", "failing"):
        raise ValueError("the span is recorded all the same")
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert [(item["event"], item["name"]) for item in lines] == [("step", "water_yield"), ("map", "failing")]
    first = lines[0]
    assert before - 0.01 <= first["start"] <= first["end"] <= time.time() + 0.01
    assert first["cpu"] > 0 and first["pcpu"] >= first["cpu"] - 0.01
    assert first["thread"] == "MainThread"


def test_process_start_is_before_now(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "trace.jsonl"
    monkeypatch.setenv(timeline.VARIABLE, str(trace))
    timeline.process_started("main")
    (item,) = [json.loads(line) for line in trace.read_text().splitlines()]
    assert item["event"] == "startup"
    # this test process started before the test, at most a day ago
    assert time.time() - 86400 < item["start"] < item["end"] <= time.time() + 0.01
