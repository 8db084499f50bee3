"""How long each step of a scenario is expected to take, for the order in which steps that may
start are started (:class:`ecociv.scenario.concurrent.GraphRun`: the costliest chain first).

A built-in model's cost is the process CPU time its step took in a traced ``ecociv demo`` of the
Belt baseline (``benchmarks/demo_timeline.py`` with ``ECOCIV_STEP_WORKERS=1``, two runs on
2026-12-04 06:48-06:53 UTC, 2 cores, load 5-7; median of the two), scaled by the run grid's cells
over the Belt grid's (732 × 1294) for a model that reads rasters. Other models (plugins) cost
their input files' size at the rate of the built-ins (seconds per megabyte of dataset input).
Only the order of the steps depends on these numbers, never their results.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ecociv.io.vectors import split_layer

if TYPE_CHECKING:
    from ecociv.grid.spec import GridSpec

#: cells of the Belt grid on which :data:`BELT_CPU_S` were measured
BELT_CELLS = 732 * 1294

#: process CPU seconds of each built-in model's step in the Belt baseline (see the module notes);
#: water_allocation: its step thread's CPU (0.57-0.58 s), its process CPU (1.1-1.2 s) also
#: counted the summaries' preparation, which starts beside the last step
BELT_CPU_S: Mapping[str, float] = {
    "water_yield": 0.49, "carbon": 0.25, "water_conservation": 0.28, "soil_conservation": 0.88,
    "sand_fixation": 2.86, "habitat_quality": 0.38, "ecological_sensitivity": 2.10,
    "ecological_redline": 1.45, "ecological_security_pattern": 1.46, "double_evaluation": 0.97,
    "water_allocation": 0.6,
}

#: models of :data:`BELT_CPU_S` whose work does not grow with the grid (tables, networks)
GRID_FREE = frozenset({"water_allocation"})


def input_megabytes(files: Mapping[str, Path]) -> float:
    """Size of a step's input files (MB; a folder's files summed; a missing file counts 0)."""
    size = 0
    for path in files.values():
        file = split_layer(path)[0]
        try:
            size += file.stat().st_size if file.is_file() else sum(
                f.stat().st_size for f in file.rglob("*") if f.is_file())
        except OSError:
            continue
    return size / 1e6


def step_costs(steps: Sequence[Any], grid: GridSpec | None) -> dict[str, float]:
    """Step name -> expected seconds (positive) for ``steps`` (:class:`PlannedStep`) on
    ``grid`` (None: the Belt's size is assumed).

    Examples
    --------
    A built-in step on a grid four times the Belt's costs four times its Belt figure; a plugin
    step costs its input megabytes at the built-ins' median seconds per megabyte.
    """
    scale = 1.0 if grid is None else grid.rows * grid.cols / BELT_CELLS
    known = [s for s in steps if s.model.spec.id in BELT_CPU_S]
    megabytes = {s.name: input_megabytes(s.files) for s in steps}
    rates = [BELT_CPU_S[s.model.spec.id] / megabytes[s.name] for s in known
             if megabytes[s.name] > 0 and s.model.spec.id not in GRID_FREE]
    rate = statistics.median(rates) if rates else 1.0
    costs = {}
    for step in steps:
        model_id = step.model.spec.id
        if model_id in BELT_CPU_S:
            cost = BELT_CPU_S[model_id] * (1.0 if model_id in GRID_FREE else scale)
        else:
            cost = rate * (1.0 + megabytes[step.name])
        costs[step.name] = max(cost, 1e-3)
    return costs
