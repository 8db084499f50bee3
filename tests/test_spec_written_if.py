"""A raster output declared as written only when a parameter is true (``written_if``) must name a
bool parameter of its model and be optional; otherwise the spec is refused, naming the model,
the output and the parameter."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ecociv.registry import all_models
from ecociv.spec import ModelSpec, ParamInput, RasterInput, RasterOutput


def _spec(switch: str, *, dtype: str = "bool", optional: bool = True) -> ModelSpec:
    return ModelSpec(
        id="switched", title="t", version="1", citation="test", about="t",
        inputs=(RasterInput(id="values", about="values", units=""),
                ParamInput(id="monthly", about="switch", units=None, dtype=dtype)),  # type: ignore[arg-type]
        outputs=(RasterOutput(id="by_month", about="by month", units="", long_name="by month",
                              bands=12, optional=optional, written_if=switch),))


def test_a_bool_parameter_is_accepted() -> None:
    assert _spec("monthly").outputs[0].written_if == "monthly"  # type: ignore[union-attr]


def test_a_missing_parameter_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"model 'switched', output 'by_month': "
                                              r"written_if='montly' names no parameter .*'monthly'"):
        _spec("montly")


def test_an_input_that_is_not_a_parameter_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"written_if='values' names no parameter"):
        _spec("values")


@pytest.mark.parametrize("dtype", ["float", "int", "str"])
def test_a_parameter_that_is_not_bool_is_refused(dtype: str) -> None:
    with pytest.raises(ValidationError, match=rf"output 'by_month': written_if='monthly' names a "
                                              rf"parameter of dtype '{dtype}'; it must be 'bool'"):
        _spec("monthly", dtype=dtype)


def test_a_switched_output_must_be_optional() -> None:
    with pytest.raises(ValidationError, match=r"output 'by_month'.*must be optional=True"):
        _spec("monthly", optional=False)


def test_builtin_switches_name_bool_parameters_defaulting_to_true() -> None:
    """Each built-in switch is a bool parameter whose default (true) writes the output, so the
    free-space check counts it unless a run turns it off."""
    switches = [(spec, o) for spec in (m.spec for m in all_models().values())
                for o in spec.outputs if isinstance(o, RasterOutput) and o.written_if]
    assert {(spec.id, o.written_if) for spec, o in switches} >= {
        ("sand_fixation", "monthly_outputs"), ("soil_conservation", "factor_outputs")}
    for spec, output in switches:
        param = spec.input(output.written_if or "")
        assert isinstance(param, ParamInput) and param.default is True, (spec.id, output.id)
