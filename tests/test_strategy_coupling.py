"""The shipped strategy files couple the land simulation both ways: the red line that restricts it
is computed without it (on the baseline map), and the water allocation reads its cropland."""

from __future__ import annotations

import pytest
import yaml

from ecociv.strategies.catalog import STRATEGIES


def _steps(path: str) -> dict[str, dict]:
    doc = yaml.safe_load(open(path, encoding="utf-8"))
    return {str(m.get("name") or m["id"]): m for m in doc["models"]}


def _upstream(steps: dict[str, dict], name: str) -> set[str]:
    """Every step ``name`` depends on through ``@step.output`` inputs."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for value in (steps[todo.pop()].get("inputs") or {}).values():
            if isinstance(value, str) and value.startswith("@"):
                source = value[1:].split(".", 1)[0]
                if source not in seen:
                    seen.add(source)
                    todo.append(source)
    return seen


@pytest.mark.parametrize("strategy", STRATEGIES, ids=[s.id for s in STRATEGIES])
def test_redline_before_the_land_simulation_and_cropland_to_water(strategy) -> None:
    steps = _steps(str(strategy.path))
    land = steps["land_use_change"]
    redline = land["inputs"]["redline"]
    source = redline[1:].split(".", 1)[0]
    assert steps[source]["id"] == "ecological_redline"
    assert "land_use_change" not in _upstream(steps, source) | {source}
    assert steps[source]["inputs"]["land_use"] == "dataset:land_use"
    assert land["inputs"]["report_zones"] == "dataset:units" and land["params"]["report_zone_field"] == "adcode"
    assert steps["water_allocation"]["inputs"]["cropland_change"] == "@land_use_change.cropland_area"
    # the simulated map's own red line is still computed (double evaluation, planning, assessment read it)
    assert steps["ecological_redline"]["inputs"]["land_use"] == "@land_use_change.land_use_final"
