"""Progress inside a step: the share of dask tasks done reaches the runner's callback."""

from __future__ import annotations

import functools
import re
import textwrap
from pathlib import Path

import dask.array as da
import numpy as np

from ecociv.execute.scheduling import local_get
from ecociv.scenario import progress
from ecociv.scenario import runner as runner_module
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from tests.test_scenario_runner import with_scale as with_scale  # fixture


def test_fractions_increase_to_below_one_and_are_throttled() -> None:
    seen: list[float] = []
    array = da.ones((64, 64), chunks=(8, 8)) + 1  # 64 chunks, two tasks each and a sum
    with progress.task_progress(seen.append, min_seconds=0, min_change=0):
        assert float(array.sum().compute(scheduler=local_get)) == 2 * 64 * 64
    assert len(seen) > 10
    assert seen == sorted(seen) and 0 < seen[0] and seen[-1] < 1
    throttled: list[float] = []
    with progress.task_progress(throttled.append, min_seconds=0, min_change=0.25):
        array.sum().compute(scheduler=local_get)
    assert 1 <= len(throttled) <= 4  # at least 25 points apart, never 100 %
    quiet: list[float] = []
    with progress.task_progress(quiet.append, min_seconds=3600, min_change=0):
        array.sum().compute(scheduler=local_get)
    assert quiet == []


def test_runner_passes_step_progress_to_its_callback(tmp_path: Path, make_raster: object,
                                                     with_scale: None, monkeypatch: object) -> None:
    make_raster(np.ones((64, 64), dtype="float32")).rename(tmp_path / "base.tif")  # type: ignore[operator]
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent("""
        name: progress
        models:
          - {id: scale, name: a, inputs: {values: base.tif}, params: {factor: 2}}
    """))
    unthrottled = functools.partial(progress.task_progress, min_seconds=0, min_change=0)
    monkeypatch.setattr(runner_module, "task_progress", unthrottled)  # type: ignore[attr-defined]
    statuses: list[tuple[str, str]] = []
    run_scenario(load_scenario(path), base_dir=tmp_path, store=ResultsStore(tmp_path / "s"),
                 progress=lambda step, status: statuses.append((step, status)))
    texts = [status for step, status in statuses if step == "a"]
    assert texts[0] == "running" and texts[-1] == "done"
    percents = [int(m[1]) for t in texts if (m := re.fullmatch(r"running (\d+) %", t))]
    assert percents and percents == sorted(percents) and all(0 <= p < 100 for p in percents)
