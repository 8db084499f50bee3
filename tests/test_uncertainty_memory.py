"""Samples run in memory give the indicators a run folder gives (same names, order, units and
values), reuse the steps no sampled value reaches, and runs on study workers keep to their
thread budget."""

from __future__ import annotations

import math
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from ecociv.demo import example_scenario
from ecociv.errors import InputError
from ecociv.execute import scheduling
from ecociv.uncertainty import memory_run
from ecociv.uncertainty.evaluate import Batch, run_sample
from ecociv.uncertainty.study import prepare

SIDE = {"seed": 3, "parameters": [
    {"target": "water_yield.seasonality_z", "distribution": "uniform", "low": 3, "high": 7},
    {"target": "water_yield.inputs.precipitation", "distribution": "truncnorm", "mean": 1,
     "sd": 0.1, "low": 0.7, "high": 1.3},
]}


def _same(files: dict[str, float], memory: dict[str, float]) -> list[str]:
    """Indicators that differ beyond the last digits a CSV round trip may change."""
    assert list(files) == list(memory), "same indicators in the same order"
    return [k for k in files
            if not (math.isnan(files[k]) and math.isnan(memory[k]))
            and not math.isclose(files[k], memory[k], rel_tol=1e-12, abs_tol=1e-12)]


def _batch(path: Path, side: Path | None, tmp_path: Path) -> Batch:
    data, spec, inputs = prepare(path, side)
    return Batch(scenario=data, base_dir=str(path.parent), targets=spec.targets, rows=[],
                 workdir=str(tmp_path / "work"), input_files=inputs)


def test_memory_run_gives_the_indicators_of_the_run_folder(tmp_path: Path) -> None:
    """The example scenario (water_yield, carbon, ET0: rasters, tables and vectors)."""
    side = tmp_path / "dist.yaml"
    side.write_text(yaml.safe_dump(SIDE))
    batch = _batch(Path(example_scenario()), side, tmp_path)
    memory_run.clear()
    runs = []
    for index, values in enumerate([[5.0, 1.0], [3.5, 1.2]]):
        files, file_units = run_sample(replace(batch, in_memory=False), index, values,
                                       tmp_path / "store")
        memory, memory_units = run_sample(batch, index, values, tmp_path / "store")
        assert len(files) > 100
        assert _same(files, memory) == []
        assert file_units == memory_units
        runs.append(memory)
    # wetter and a lower Z: more water yield (Zhang et al. 2004), so the second sample's values
    # are its own, while carbon, which no target reaches, is the same
    name = "water_yield.water_yield[mean]"
    assert runs[1][name] > runs[0][name]
    carbon = [k for k in runs[0] if k.startswith("carbon.")]
    assert carbon and all(runs[0][k] == runs[1][k] or math.isnan(runs[0][k]) for k in carbon)
    assert not any(p.suffix == ".tif" for p in (tmp_path / "work").rglob("*")), \
        "a sample in memory writes no raster"


CHAIN = """
    name: chain
    grid: {reference: base.tif}
    models:
      - id: scale
        name: second
        inputs: {values: "@first.scaled"}
        params: {factor: 3}
      - id: scale
        name: first
        inputs: {values: base.tif}
        params: {factor: 2}
      - id: scale
        name: apart
        inputs: {values: base.tif}
        params: {factor: 5}
    uncertainty:
      parameters:
        - {target: second.factor, distribution: uniform, low: 1, high: 4}
"""


def test_chained_steps_in_memory_and_reuse_of_steps_no_sample_reaches(
        tmp_path: Path, make_raster, with_scale) -> None:  # type: ignore[no-untyped-def]
    from tests.test_scenario_runner import CALLS

    base = make_raster(np.array([[1.0, 2.0], [3.0, -9999.0]], dtype="float32"), nodata=-9999)
    base.rename(tmp_path / "base.tif")
    path = tmp_path / "chain.yaml"
    path.write_text(textwrap.dedent(CHAIN))
    batch = _batch(path, None, tmp_path)
    memory_run.clear()
    files, _ = run_sample(replace(batch, in_memory=False), 0, [2.0], tmp_path / "store")
    CALLS.clear()
    first, _ = run_sample(batch, 0, [2.0], tmp_path / "store")
    assert _same(files, first) == []
    # (1 + 2 + 3) × 2 × 2 / 3 valid cells = 8; the nodata cell stays out of the mean
    assert first["second.scaled[mean]"] == pytest.approx(8.0)
    assert len(CALLS) == 3
    later, _ = run_sample(batch, 1, [3.0], tmp_path / "store")
    assert len(CALLS) == 4, "only the sampled step runs again; 'first' and 'apart' are reused"
    assert later["second.scaled[mean]"] == pytest.approx(12.0)
    assert later["apart.scaled[mean]"] == first["apart.scaled[mean]"] == pytest.approx(10.0)


@pytest.fixture
def with_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    from ecociv.registry import get_model as real_get_model
    from ecociv.scenario import runner as runner_module
    from ecociv.uncertainty import targets as targets_module
    from tests.test_scenario_runner import CALLS, SCALE

    def fake_get_model(model_id: str):  # type: ignore[no-untyped-def]
        return SCALE if model_id == "scale" else real_get_model(model_id)

    def fake_get_spec(model_id: str):  # type: ignore[no-untyped-def]
        return fake_get_model(model_id).spec

    monkeypatch.setattr(runner_module, "get_model", fake_get_model)
    monkeypatch.setattr("ecociv.registry.get_spec", fake_get_spec)
    assert targets_module is not None
    CALLS.clear()


def test_thread_count_follows_the_limit_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduling, "_limit", None)
    monkeypatch.setenv("ECOCIV_THREADS", "3")
    assert scheduling.thread_count() == 3
    with scheduling.scheduler(None):
        import dask

        assert dask.config.get("num_workers") == 3
    monkeypatch.setenv("ECOCIV_THREADS", "zero")
    with pytest.raises(InputError, match="ECOCIV_THREADS"):
        scheduling.thread_count()
    monkeypatch.delenv("ECOCIV_THREADS")
    monkeypatch.setattr(scheduling, "_limit", 1)
    assert scheduling.thread_count() == 1


def test_local_cluster_workers_get_a_share_of_the_cpus() -> None:
    import os

    from ecociv.uncertainty.cluster import client, run_threads

    def budget() -> tuple[str, str, bool]:
        import dask

        return (os.environ.get("ECOCIV_THREADS", ""), os.environ.get("NUMBA_NUM_THREADS", ""),
                bool(dask.config.get("distributed.worker.profile.enabled")))

    cpus = os.cpu_count() or 1
    assert run_threads(2 * cpus) == 1 and run_threads(1) == cpus and run_threads(None) == 1
    with client(None, 2) as connected:
        seen = set(connected.run(budget).values())
    # each worker: its share of the CPUs, and dask's sampling profiler off
    assert seen == {(str(max(1, cpus // 2)), str(max(1, cpus // 2)), False)}
