"""Expected step costs, by which a scenario's ready steps are ordered (ecociv.scenario.step_costs)."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from affine import Affine

from ecociv.grid.spec import GridSpec
from ecociv.scenario.concurrent import GraphRun
from ecociv.scenario.step_costs import BELT_CELLS, BELT_CPU_S, GRID_FREE, step_costs


def _step(name: str, model_id: str, files: dict[str, Path] | None = None) -> Any:
    return SimpleNamespace(name=name, model=SimpleNamespace(spec=SimpleNamespace(id=model_id)),
                           files=files or {})


def _grid(rows: int, cols: int) -> GridSpec:
    return GridSpec.from_crs("EPSG:3857", Affine(30.0, 0, 0, 0, -30.0, 0), (rows, cols))


def test_a_built_in_step_costs_its_belt_figure_scaled_by_the_grid() -> None:
    steps = [_step("wy", "water_yield"), _step("alloc", "water_allocation")]
    belt = step_costs(steps, None)
    assert belt["wy"] == BELT_CPU_S["water_yield"]
    four = step_costs(steps, _grid(2 * 732, 2 * 1294))  # four times the Belt's cells
    assert four["wy"] == pytest.approx(4 * BELT_CPU_S["water_yield"])
    assert "water_allocation" in GRID_FREE  # a network: the same on any grid
    assert four["alloc"] == belt["alloc"] == BELT_CPU_S["water_allocation"]
    assert step_costs(steps, _grid(732, 1294))["wy"] == pytest.approx(BELT_CPU_S["water_yield"])
    assert BELT_CELLS == 732 * 1294


def test_a_plugin_step_costs_its_inputs_at_the_built_ins_rate(tmp_path: Path) -> None:
    small, large = tmp_path / "small.bin", tmp_path / "large.bin"
    small.write_bytes(b"x" * 1_000_000)
    large.write_bytes(b"x" * 9_000_000)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.bin").write_bytes(b"x" * 2_000_000)
    steps = [_step("wy", "water_yield", {"a": small}), _step("sand", "sand_fixation", {"a": large}),
             _step("p1", "my_plugin", {"a": small}), _step("p2", "my_plugin", {"a": folder}),
             _step("p3", "my_plugin", {"a": tmp_path / "missing.tif"})]
    costs = step_costs(steps, None)
    # rates of the built-ins: 0.49 s / 1 MB and 2.86 s / 9 MB; their median is the mean of two
    rate = (BELT_CPU_S["water_yield"] / 1.0 + BELT_CPU_S["sand_fixation"] / 9.0) / 2
    assert costs["p1"] == pytest.approx(rate * (1 + 1.0))
    assert costs["p2"] == pytest.approx(rate * (1 + 2.0))  # a folder: its files summed
    assert costs["p3"] == pytest.approx(rate * 1.0)  # a missing file counts nothing
    assert all(cost > 0 for cost in costs.values())


def test_after_the_red_line_the_security_pattern_starts_before_the_double_evaluation() -> None:
    """The Belt baseline's last steps: with the red line done and one worker free, the step
    measured costlier (the security pattern, 1.46 CPU-s against 0.97) starts first; by input
    size alone the double evaluation (4.1 MB of inputs against 2.2) started first and the
    security pattern ended the run ~4 s later in a traced demo at load 5."""
    # the double evaluation first in plan order: only the costs can start the pattern first
    ids = {"redline": "ecological_redline", "double": "double_evaluation",
           "pattern": "ecological_security_pattern", "alloc": "water_allocation"}
    needs = {"pattern": {"redline"}, "double": {"redline"}}
    costs = step_costs([_step(name, model_id) for name, model_id in ids.items()], None)
    started: list[str] = []
    either = threading.Event()

    def work(name: str) -> None:  # the allocation holds one worker until one of the two starts
        started.append(name)
        if name in ("pattern", "double"):
            either.set()
        if name == "alloc":
            assert either.wait(10)

    GraphRun(list(ids), needs, work, lambda name, _: None, workers=1 + 1, cost=costs).run()
    assert started.index("pattern") < started.index("double")
    assert costs["pattern"] > costs["double"]
