"""The generated model reference pages must match the specs (run `make docs` to refresh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecociv.docs import model_reference
from ecociv.registry import all_models

DOCS = Path(__file__).resolve().parents[1] / "docs" / "models"


@pytest.mark.parametrize("model_id", sorted(all_models()))
def test_model_reference_is_up_to_date(model_id: str) -> None:
    page = DOCS / f"{model_id}.md"
    assert page.is_file(), f"{page} missing: run `make docs`"
    assert page.read_text(encoding="utf-8") == model_reference(all_models()[model_id].spec), (
        f"{page} is out of date: run `make docs`")


@pytest.mark.parametrize("model_id", sorted(all_models()))
def test_reference_lists_every_input_and_output_with_units(model_id: str) -> None:
    spec = all_models()[model_id].spec
    text = model_reference(spec)
    for item in (*spec.inputs, *spec.outputs):
        assert f"`{item.id}`" in text
    assert spec.citation in text
