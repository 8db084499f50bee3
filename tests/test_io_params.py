"""Scalar parameters against a ParamInput (io/params.py): units converted, ranges and types
checked, messages name the parameter and what was expected."""

from __future__ import annotations

import re

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


# A parameter given as "5 6" or as a YAML list [5, 6] ran with Z = 30: pint reads "5 6" as 5 × 6
# (and "5,6" as 56). Several values where one is expected are errors that name the parameter.
@pytest.mark.parametrize("value", ["5 6", "5, 6", "5,6", "5;6", "[5, 6]", "5 6 mm", "5 -6"])
def test_several_numbers_in_a_string_are_refused(value: str) -> None:
    with pytest.raises(InputError, match=r"^parameter 'z': expected one number in dimensionless, got "
                       r"several: .* \(give one value; the decimal separator is '\.'\)$"):
        parse_param(Z, value)


@pytest.mark.parametrize("value", [[5, 6], (5, 6), [5], {"z": 5}, {5, 6}])
def test_a_list_or_mapping_for_a_scalar_parameter_is_refused(value: object) -> None:
    with pytest.raises(InputError, match=r"^parameter 'z': expected one float value, got"):
        parse_param(Z, value)
    with pytest.raises(InputError, match=r"^parameter 'method': expected one str value"):
        parse_param(METHOD, value)


def test_an_array_for_a_scalar_parameter_is_refused() -> None:
    import numpy as np

    with pytest.raises(InputError, match="several values"):
        parse_param(Z, np.array([5.0, 6.0]))
    assert parse_param(Z, np.float64(5.0)) == 5.0  # a numpy scalar is one value


POSITIVE = ParamInput(id="seasonality_z", about="Z", units="", gt=0)
FRACTION = ParamInput(id="share", about="share", units="", ge=0, lt=1)


@pytest.mark.parametrize(("spec", "value", "message"), [
    (POSITIVE, 0, "0 (from 0) is not allowed; it must be greater than 0"),
    (POSITIVE, "-1", "-1 (from '-1') is not allowed; it must be greater than 0"),
    (FRACTION, 1, "1 (from 1) is not allowed; it must be less than 1"),
])
def test_exclusive_bounds(spec: ParamInput, value: object, message: str) -> None:
    with pytest.raises(InputError, match=f"^parameter '{spec.id}': {re.escape(message)}"):
        parse_param(spec, value)


def test_exclusive_bounds_let_values_inside_through() -> None:
    assert parse_param(POSITIVE, "1e-9") == pytest.approx(1e-9)
    assert parse_param(FRACTION, 0) == 0.0 and parse_param(FRACTION, "0.999") == pytest.approx(0.999)


@pytest.mark.parametrize(("value", "expected"), [("1e3 mm", 1.0), (".5 m", 0.5), ("  2 m ", 2.0),
                                                 ("2.5e-1 m", 0.25)])
def test_one_number_with_a_unit_still_works(value: str, expected: float) -> None:
    assert parse_param(DEPTH, value) == pytest.approx(expected)


def test_plain_numbers_do_not_build_the_unit_registry() -> None:
    """A number without a unit is taken as it is, without pint (building ecociv's registry is
    0.2-1 s of every run); a number with a unit still goes through it, and a bool is refused."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ecociv.io.params import parse_param\n"
        "from ecociv.spec import ParamInput\n"
        "z = ParamInput(id='z', about='z', units='', gt=0)\n"
        "d = ParamInput(id='d', about='d', units='m', ge=0)\n"
        "assert parse_param(z, '5') == 5.0 and parse_param(z, 2.5) == 2.5\n"
        "assert parse_param(d, ' 0.25 ') == 0.25\n"
        "assert 'ecociv.units' not in sys.modules, 'pint registry built for plain numbers'\n"
        "assert parse_param(d, '300 mm') == 0.3\n"
        "assert 'ecociv.units' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    with pytest.raises(InputError):
        parse_param(Z, True)
