"""Scalar parameters against a ParamInput (io/params.py): units converted, ranges and types
checked, messages name the parameter and what was expected."""

from __future__ import annotations

import pytest

from ecociv.errors import InputError
from ecociv.io.params import parse_param
from ecociv.spec import ParamInput

DEPTH = ParamInput(id="soil_depth", about="soil depth", units="m", ge=0, le=2)
Z = ParamInput(id="z", about="seasonality", units="", ge=1, le=30)
COUNT = ParamInput(id="years", about="years", units=None, dtype="int", ge=1)
FLAG = ParamInput(id="irrigate", about="flag", units=None, dtype="bool")
METHOD = ParamInput(id="method", about="method", units=None, dtype="str", choices=("fao56", "hs"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("300 mm", 0.3), ("0.3 m", 0.3), ("30 cm", 0.3), (0.3, 0.3), ("0.3", 0.3), (1, 1.0)],
)
def test_units_are_converted(value: object, expected: float) -> None:
    # a bare number is already in the parameter's unit (m); "300 mm" is 0.3 m
    assert parse_param(DEPTH, value) == pytest.approx(expected)


def test_incompatible_unit() -> None:
    with pytest.raises(InputError) as err:
        parse_param(DEPTH, "5 kg")
    assert str(err.value) == "parameter 'soil_depth': '5 kg' cannot be converted to m"


@pytest.mark.parametrize("value", ["3 m", "3000 mm", 2.5])
def test_above_range(value: object) -> None:
    with pytest.raises(InputError, match="is above the allowed maximum 2 m") as err:
        parse_param(DEPTH, value)
    assert str(err.value).startswith("parameter 'soil_depth': ")


def test_below_range_names_the_converted_value() -> None:
    with pytest.raises(InputError) as err:
        parse_param(DEPTH, "-10 cm")
    assert str(err.value) == (
        "parameter 'soil_depth': -0.1 m (from '-10 cm') is below the allowed minimum 0 m")


@pytest.mark.parametrize("value", ["abc", "twelve", "", "5 apples"])
def test_not_a_number(value: str) -> None:
    with pytest.raises(InputError, match="expected a number in m") as err:
        parse_param(DEPTH, value)
    assert "parameter 'soil_depth'" in str(err.value)


@pytest.mark.parametrize("value", ["nan", "inf", float("nan"), float("-inf")])
def test_not_finite(value: object) -> None:
    with pytest.raises(InputError, match="expected a finite number in m"):
        parse_param(DEPTH, value)


def test_bool_is_not_a_number() -> None:
    with pytest.raises(InputError, match="expected a number in m, got True"):
        parse_param(DEPTH, True)


def test_dimensionless_parameter() -> None:
    assert parse_param(Z, "3.5") == 3.5
    with pytest.raises(InputError, match="'3 mm' cannot be converted to dimensionless"):
        parse_param(Z, "3 mm")
    with pytest.raises(InputError, match=r"0\.5 .* below the allowed minimum 1"):
        parse_param(Z, 0.5)


def test_integer_parameter() -> None:
    assert parse_param(COUNT, "12") == 12 and isinstance(parse_param(COUNT, "12"), int)
    with pytest.raises(InputError, match=r"parameter 'years': expected an integer, got '2\.5'"):
        parse_param(COUNT, "2.5")


def test_bool_and_choice_parameters() -> None:
    assert parse_param(FLAG, "yes") is True and parse_param(FLAG, 0) is False
    with pytest.raises(InputError, match="parameter 'irrigate': expected true/false, got 'maybe'"):
        parse_param(FLAG, "maybe")
    assert parse_param(METHOD, "hs") == "hs"
    with pytest.raises(InputError, match=r"parameter 'method': 'pm' is not one of \['fao56', 'hs'\]"):
        parse_param(METHOD, "pm")
