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


def test_parameters_with_a_default_are_not_listed_as_required() -> None:
    from ecociv.spec import ParamInput

    specs = [m.spec for m in all_models().values()]
    with_default = [(s, i) for s in specs for i in s.inputs
                    if isinstance(i, ParamInput) and i.default is not None]
    without = [(s, i) for s in specs for i in s.inputs
               if isinstance(i, ParamInput) and i.default is None and i.required]
    assert with_default and without
    for spec, item in with_default:
        row = next(r for r in model_reference(spec).splitlines() if r.startswith(f"| `{item.id}` |"))
        assert "| no (has a default) |" in row, row
    for spec, item in without:
        row = next(r for r in model_reference(spec).splitlines() if r.startswith(f"| `{item.id}` |"))
        assert "| yes |" in row, row


def test_open_interval_ends_are_written_with_round_brackets() -> None:
    from ecociv.docs import _range

    assert _range(0, None) == "[0, ∞)"
    assert _range(None, None, gt=0) == "(0, ∞)"
    assert _range(None, 1) == "(−∞, 1]"
    assert _range(0, 1, None, None) == "[0, 1]"
