"""Generic layers never name a model: models bring their own report and summary hooks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecociv.registry import all_models

SRC = Path(__file__).resolve().parents[1] / "src" / "ecociv"


@pytest.mark.parametrize("layer", ["grid", "region", "report"])
def test_generic_layer_names_no_model_id(layer: str) -> None:
    ids = "|".join(re.escape(model_id) for model_id in all_models())
    quoted = re.compile(rf"[\"'/]({ids})[\"'/]")
    found = [f"{path.relative_to(SRC)}:{text[:match.start()].count(chr(10)) + 1}: {match.group(1)}"
             for path in sorted((SRC / layer).rglob("*.py"))
             for text in [path.read_text(encoding="utf-8")]
             for match in quoted.finditer(text)]
    assert found == []
