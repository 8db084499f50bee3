"""The run cache: copies (never links) earlier results, verifies their recorded BLAKE2b digests
before reusing them, and keys on the ecociv version and the model package's source code."""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.io import hashing
from ecociv.registry import get_model as real_get_model
from ecociv.scenario import runner as runner_module
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from ecociv.spec import Column, Model, ModelSpec, RasterInput, RasterOutput, TableOutput

CALLS: list[str] = []

TOTAL_SPEC = ModelSpec(
    id="total", title="Double and total a raster", version="1", citation="test",
    about="values × 2 and their sum",
    inputs=(RasterInput(id="values", about="values", units=""),),
    outputs=(RasterOutput(id="doubled", about="values × 2", units="", long_name="doubled"),
             TableOutput(id="total", about="sum of the values",
                         columns=(Column(id="total", about="sum", units=""),))),
)


def _total_run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    CALLS.append("total")
    values = inputs["values"]
    return {"doubled": values * 2,
            "total": pd.DataFrame({"total": [float(values.sum().values)]})}


TOTAL = Model(spec=TOTAL_SPEC, run=_total_run, example=lambda: {})

SCENARIO = """
    name: totals
    grid: {reference: base.tif}
    models:
      - id: total
        name: sums
        inputs: {values: base.tif}
"""


@pytest.fixture
def scenario(tmp_path: Path, make_raster: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    def fake_get_model(model_id: str) -> Model:
        return TOTAL if model_id == "total" else real_get_model(model_id)

    monkeypatch.setattr(runner_module, "get_model", fake_get_model)
    CALLS.clear()
    make_raster(np.array([[1.0, 2.0], [3.0, 4.0]], dtype="float32")).rename(tmp_path / "base.tif")
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(SCENARIO))
    return path


def _run(path: Path, store: ResultsStore) -> Any:
    return run_scenario(load_scenario(path), base_dir=path.parent, store=store)


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def test_manifest_records_a_digest_of_every_output_file(scenario: Path, tmp_path: Path) -> None:
    result = _run(scenario, ResultsStore(tmp_path / "store"))
    step = result.folder / "sums"
    outputs = json.loads((step / "manifest.json").read_text())["outputs"]
    assert set(outputs["doubled"]["blake2b"]) == {"doubled.tif"}
    assert outputs["total"]["blake2b"]["total.csv"] == hashing.file_digest(step / "total.csv")
    assert hashing.digest_problems(step, outputs) == []


def test_editing_a_cached_copy_leaves_the_earlier_run_unchanged(scenario: Path,
                                                                tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    old = _run(scenario, store)
    new = _run(scenario, store)
    assert CALLS == ["total"], "the second run must come from the cache"
    assert new.manifest["steps"][0]["cached"]
    old_table, new_table = old.folder / "sums" / "total.csv", new.folder / "sums" / "total.csv"
    before = old_table.read_text()
    assert new_table.read_text() == before  # 1 + 2 + 3 + 4 = 10
    assert float(pd.read_csv(new_table)["total"].iloc[0]) == 10.0
    new_table.write_text("total\n99\n")  # opens the same inode for writing, as an editor may
    assert old_table.read_text() == before
    old_raster = (old.folder / "sums" / "doubled.tif").read_bytes()
    with open(new.folder / "sums" / "doubled.tif", "r+b") as handle:  # edit in place
        handle.write(b"\0" * 64)
    assert (old.folder / "sums" / "doubled.tif").read_bytes() == old_raster
    assert os.stat(old_table).st_nlink == 1


def test_a_truncated_earlier_output_is_recomputed_not_reused(scenario: Path,
                                                            tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    old = _run(scenario, store)
    raster = old.folder / "sums" / "doubled.tif"
    with open(raster, "r+b") as handle:
        handle.truncate(raster.stat().st_size // 2)
    new = _run(scenario, store)
    assert CALLS == ["total", "total"], "a truncated cached output must be recomputed"
    step = new.manifest["steps"][0]
    assert not step["cached"]
    assert any("not reused" in note and "doubled.tif" in note for note in step["notes"])
    np.testing.assert_array_equal(_read(new.folder / "sums" / "doubled.tif"), [[2, 4], [6, 8]])
    assert store.cached_step(step["cache_key"]) == new.folder / "sums"


def test_an_edited_earlier_table_is_recomputed(scenario: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    old = _run(scenario, store)
    (old.folder / "sums" / "total.csv").write_text("total\n11\n")
    new = _run(scenario, store)
    assert len(CALLS) == 2
    assert float(pd.read_csv(new.folder / "sums" / "total.csv")["total"].iloc[0]) == 10.0


def test_cache_key_changes_with_the_model_code(scenario: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultsStore(tmp_path / "store")
    first = _run(scenario, store)
    monkeypatch.setattr(runner_module, "code_digest", lambda _function: "code after an upgrade")
    second = _run(scenario, store)
    assert first.manifest["steps"][0]["cache_key"] != second.manifest["steps"][0]["cache_key"]
    assert CALLS == ["total", "total"], "a step of changed model code must not come from the cache"


def test_cache_key_changes_with_the_ecociv_version(scenario: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultsStore(tmp_path / "store")
    first = _run(scenario, store)
    monkeypatch.setattr(runner_module, "__version__", "99.0")
    second = _run(scenario, store)
    assert first.manifest["steps"][0]["cache_key"] != second.manifest["steps"][0]["cache_key"]


def _write_plugin(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


PLUGIN = {
    "plugin_pkg_for_digest/__init__.py": "",
    "plugin_pkg_for_digest/shared.py": "def scale():\n    return 2\n",
    "plugin_pkg_for_digest/helpers.py": "def offset():\n    return 1\n",
    "plugin_pkg_for_digest/unrelated.py": "X = 1\n",
    "plugin_pkg_for_digest/model_a/__init__.py": "",
    "plugin_pkg_for_digest/model_a/kernels.py": "def k():\n    return 1\n",
    "plugin_pkg_for_digest/model_a/model.py": """
        from plugin_pkg_for_digest.shared import scale
        from .kernels import k


        def run(inputs):
            from ..helpers import offset  # a lazy, relative import

            return k() * scale() + offset()
    """,
}


@pytest.mark.parametrize(("changed", "counts"), [
    ("plugin_pkg_for_digest/model_a/kernels.py", True),  # the model's own package
    ("plugin_pkg_for_digest/shared.py", True),  # imported by absolute name
    ("plugin_pkg_for_digest/helpers.py", True),  # imported lazily and relatively
    ("plugin_pkg_for_digest/unrelated.py", False),  # not imported by the model
])
def test_code_digest_covers_the_code_the_model_imports(tmp_path: Path, changed: str, counts: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _write_plugin(tmp_path, PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("plugin_pkg_for_digest")]:
        sys.modules.pop(name)
    monkeypatch.setattr(hashing, "_code_memo", {})
    from plugin_pkg_for_digest.model_a import model  # type: ignore[import-not-found]

    assert model.run({}) == 3
    before = hashing.code_digest(model.run)
    assert hashing.code_digest(model.run) == before
    (tmp_path / changed).write_text((tmp_path / changed).read_text() + "\n# changed\n")
    monkeypatch.setattr(hashing, "_code_memo", {})
    monkeypatch.setattr(hashing, "_imports_memo", {})
    assert (hashing.code_digest(model.run) != before) is counts
    for name in [m for m in sys.modules if m.startswith("plugin_pkg_for_digest")]:
        sys.modules.pop(name)


def test_a_function_without_source_never_shares_a_digest_across_processes() -> None:
    namespace: dict[str, Any] = {"__name__": "typed_in_a_console"}
    exec("def run(inputs):\n    return {}\n", namespace)  # no file behind it
    digest = hashing.code_digest(namespace["run"])
    assert digest == hashing.code_digest(namespace["run"])  # stable within the process
    assert len(digest) == 32


def test_model_packages_have_distinct_code_digests() -> None:
    carbon, water_yield = real_get_model("carbon"), real_get_model("water_yield")
    assert hashing.code_digest(carbon.run) != hashing.code_digest(water_yield.run)
