"""Scenario schema, runner (dependency order, cache, atomic run folders) and results store."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio

from ecociv.errors import InputError, ScenarioError
from ecociv.registry import get_model as real_get_model
from ecociv.scenario import runner as runner_module
from ecociv.scenario.runner import plan, run_scenario
from ecociv.scenario.schema import load_scenario, parse_scenario
from ecociv.scenario.store import ResultsStore
from ecociv.spec import Model, ModelSpec, ParamInput, RasterInput, RasterOutput

# --- a tiny test model so the runner can be tested on chains of steps -----------------------

CALLS: list[str] = []

SCALE_SPEC = ModelSpec(
    id="scale", title="Scale a raster", version="1", citation="test", about="values × factor",
    inputs=(RasterInput(id="values", about="values", units=""),
            ParamInput(id="factor", about="factor", units="", ge=0, default=1.0)),
    outputs=(RasterOutput(id="scaled", about="values × factor", units="", long_name="scaled"),),
)


def _scale_run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    CALLS.append(str(inputs["values"].attrs.get("source", "")))
    return {"scaled": inputs["values"] * inputs["factor"]}


SCALE = Model(spec=SCALE_SPEC, run=_scale_run, example=lambda: {})


@pytest.fixture
def with_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_get_model(model_id: str) -> Model:
        return SCALE if model_id == "scale" else real_get_model(model_id)

    monkeypatch.setattr(runner_module, "get_model", fake_get_model)
    CALLS.clear()


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).filled(np.nan)


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
"""


def test_steps_run_in_dependency_order_and_chain_values(tmp_path, make_raster, with_scale) -> None:
    base = make_raster(np.array([[1.0, 2.0], [3.0, -9999.0]], dtype="float32"), nodata=-9999)
    base.rename(tmp_path / "base.tif")
    path = _scenario(tmp_path, CHAIN)
    steps = plan(load_scenario(path), tmp_path)
    assert [s.name for s in steps] == ["first", "second"]
    result = run_scenario(load_scenario(path), base_dir=tmp_path, store=ResultsStore(tmp_path / "store"))
    second = _read(result.folder / "second" / "scaled.tif")
    # 1×2×3 = 6, 2×2×3 = 12, 3×2×3 = 18, nodata stays nodata
    np.testing.assert_allclose(second, [[6, 12], [18, np.nan]])
    manifest = json.loads((result.folder / "manifest.json").read_text())
    assert [s["name"] for s in manifest["steps"]] == ["first", "second"]
    assert manifest["status"] == "completed"


def test_cache_reuses_identical_steps_and_recomputes_changed_ones(tmp_path, make_raster, with_scale) -> None:
    base = make_raster(np.array([[1.0, 2.0]], dtype="float32"))
    base.rename(tmp_path / "base.tif")
    path = _scenario(tmp_path, CHAIN)
    store = ResultsStore(tmp_path / "store")
    run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert len(CALLS) == 2
    again = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert len(CALLS) == 2, "identical inputs must come from the cache"
    assert all(step["cached"] for step in again.manifest["steps"])
    np.testing.assert_allclose(_read(again.folder / "second" / "scaled.tif"), [[6, 12]])
    path.write_text(path.read_text().replace("factor: 3", "factor: 4"))
    changed = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert [s["cached"] for s in changed.manifest["steps"]] == [True, False]
    np.testing.assert_allclose(_read(changed.folder / "second" / "scaled.tif"), [[8, 16]])
    # a changed input file invalidates the step that reads it and every step after it
    make_raster(np.array([[5.0, 5.0]], dtype="float32")).rename(tmp_path / "base.tif")
    rerun = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert [s["cached"] for s in rerun.manifest["steps"]] == [False, False]


def test_dependency_cycle_is_named(tmp_path, with_scale) -> None:
    path = _scenario(tmp_path, """
        name: cycle
        models:
          - {id: scale, name: a, inputs: {values: "@b.scaled"}}
          - {id: scale, name: b, inputs: {values: "@a.scaled"}}
    """)
    with pytest.raises(ScenarioError, match=r"cycle: a -> b -> a"):
        plan(load_scenario(path), tmp_path)


def test_reference_to_unknown_step_or_output(tmp_path, with_scale) -> None:
    path = _scenario(tmp_path, """
        name: bad
        models:
          - {id: scale, name: a, inputs: {values: "@nothere.scaled"}}
    """)
    with pytest.raises(ScenarioError, match=r"models\[a\].inputs.values: no step named 'nothere'"):
        plan(load_scenario(path), tmp_path)
    path.write_text(textwrap.dedent("""
        name: bad
        models:
          - {id: scale, name: a, inputs: {values: x.tif}}
          - {id: scale, name: b, inputs: {values: "@a.scaledd"}}
    """))
    with pytest.raises(ScenarioError, match=r"has no output 'scaledd'"):
        plan(load_scenario(path), tmp_path)


def test_typo_key_names_the_key_and_suggests(tmp_path) -> None:
    path = _scenario(tmp_path, """
        name: typo
        modles: []
    """)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "unknown key 'modles'" in str(err.value) and "did you mean 'models'" in str(err.value)
    assert str(path) in str(err.value)
    with pytest.raises(ScenarioError, match=r"unknown key 'models\[0\].parms'; did you mean 'params'"):
        parse_scenario({"name": "x", "models": [{"id": "carbon", "parms": {}}]})


def test_unknown_model_and_input_ids(tmp_path) -> None:
    with pytest.raises(ScenarioError, match=r"no model with id 'carbonn'.*did you mean 'carbon'"):
        plan(parse_scenario({"name": "x", "models": [{"id": "carbonn"}]}), tmp_path)
    scenario = parse_scenario({"name": "x", "models": [{"id": "carbon", "inputs": {"landuse": "a.tif"}}]})
    with pytest.raises(ScenarioError, match=r"no input 'landuse'; did you mean 'land_use'"):
        plan(scenario, tmp_path)
    scenario = parse_scenario({"name": "x", "models": [{"id": "carbon", "params": {"zone": "a"}}]})
    with pytest.raises(ScenarioError, match=r"no parameter 'zone'"):
        plan(scenario, tmp_path)


def test_empty_and_non_mapping_scenarios(tmp_path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(empty)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ScenarioError, match="must be a YAML mapping"):
        load_scenario(listing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(broken)


def test_failed_run_leaves_earlier_runs_and_catalog_intact(tmp_path, make_raster, with_scale) -> None:
    make_raster(np.array([[1.0, 2.0]], dtype="float32")).rename(tmp_path / "base.tif")
    path = _scenario(tmp_path, CHAIN)
    store = ResultsStore(tmp_path / "store")
    first = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    before = sorted(p.name for p in store.runs_dir.iterdir())
    snapshot = (first.folder / "second" / "scaled.tif").read_bytes()
    bad = path.read_text().replace("factor: 3", "factor: -1")
    path.write_text(bad)
    with pytest.raises(InputError, match=r"parameter 'factor'.*below the allowed minimum 0"):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=store, use_cache=False)
    assert sorted(p.name for p in store.runs_dir.iterdir()) == before, "no partial folder left"
    assert (first.folder / "second" / "scaled.tif").read_bytes() == snapshot
    assert [r.run_id for r in store.list_runs()] == [first.run_id]


def test_missing_input_file_is_named_before_anything_runs(tmp_path, with_scale) -> None:
    path = _scenario(tmp_path, """
        name: missing
        models:
          - {id: scale, name: a, inputs: {values: nothere.tif}}
    """)
    with pytest.raises(InputError, match=r"models\[a\].inputs.values: .*nothere.tif.*does not exist"):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=ResultsStore(tmp_path / "s"))
    assert CALLS == []


def test_catalog_is_rebuilt_from_run_folders(tmp_path, make_raster, with_scale) -> None:
    make_raster(np.array([[1.0]], dtype="float32")).rename(tmp_path / "base.tif")
    path = _scenario(tmp_path, CHAIN)
    store = ResultsStore(tmp_path / "store")
    a = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    b = run_scenario(load_scenario(path), base_dir=tmp_path, store=store, use_cache=False)
    # a run killed after its folder was renamed but before the catalog insert
    store.catalog_path.unlink()
    # a run killed while writing: a leftover partial folder is never listed
    (store.runs_dir / ".partial-killed").mkdir()
    assert {r.run_id for r in store.list_runs()} == {a.run_id, b.run_id}
    # a run folder deleted by hand disappears from the catalog
    import shutil

    shutil.rmtree(a.folder)
    assert [r.run_id for r in store.list_runs()] == [b.run_id]
    assert store.cached_step(a.manifest["steps"][0]["cache_key"]) == b.folder / "first"
