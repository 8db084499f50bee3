"""When a scenario runs a model in several steps (e.g. the red line of the baseline map computed
before the land simulation, then the red line of the simulated map), summaries and comparison
indicators read the step named after the model, whatever the run order."""

from __future__ import annotations

import json
from pathlib import Path

from ecociv.region.summary import run_measures
from ecociv.strategies.indicators import step_folders


def _run(folder: Path) -> dict[str, object]:
    steps = [{"name": "redline_baseline", "model": "ecological_redline"},
             {"name": "land_use_change", "model": "land_use_change"},
             {"name": "ecological_redline", "model": "ecological_redline"},
             {"name": "carbon_a", "model": "carbon"}, {"name": "carbon_b", "model": "carbon"}]
    manifest = {"steps": steps}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    for step in steps:
        (folder / step["name"]).mkdir()
        (folder / step["name"] / "manifest.json").write_text(json.dumps({"inputs": {}, "outputs": {}}))
    return manifest


def test_indicators_read_the_step_named_after_the_model(tmp_path: Path) -> None:
    manifest = _run(tmp_path)
    found = step_folders(tmp_path, manifest)
    assert found["ecological_redline"] == tmp_path / "ecological_redline"
    assert found["carbon"] == tmp_path / "carbon_a"   # none named 'carbon': the first


def test_summaries_read_the_step_named_after_the_model(tmp_path: Path) -> None:
    _run(tmp_path)
    steps = {item.measure.source: item.step for item in run_measures(tmp_path)
             if item.step in ("redline_baseline", "ecological_redline")}
    assert steps and set(steps.values()) == {"ecological_redline"}
