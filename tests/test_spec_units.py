"""Units declared in specs: the strings a spec may use without pint (``KNOWN_UNITS``) all parse,
and any other string is still checked by pint when the spec is built."""

from __future__ import annotations

import pydantic
import pytest

from ecociv.registry import all_models
from ecociv.spec import KNOWN_UNITS, Column, RasterInput
from ecociv.units import parse_unit


@pytest.mark.parametrize("units", sorted(KNOWN_UNITS))
def test_every_known_unit_parses_with_pint(units: str) -> None:
    parse_unit(units)  # raises ValueError for a unit pint does not know


def test_unknown_unit_string_is_still_rejected() -> None:
    assert "furlongs_per_fortnight_x" not in KNOWN_UNITS
    with pytest.raises(pydantic.ValidationError, match="unknown unit 'furlongs_per_fortnight_x'"):
        Column(id="x", about="x", units="furlongs_per_fortnight_x")
    with pytest.raises(pydantic.ValidationError, match="unknown unit"):
        RasterInput(id="x", about="x", units="mm/fortnightz")


def test_a_valid_unit_outside_the_list_is_accepted() -> None:
    assert "mile/hour" not in KNOWN_UNITS
    assert Column(id="speed", about="speed", units="mile/hour").units == "mile/hour"


def _declared_units(value: object) -> set[str]:
    if isinstance(value, dict):
        own = {value["units"]} if isinstance(value.get("units"), str) else set()
        return own.union(*(_declared_units(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_declared_units(v) for v in value))
    return set()


def test_built_in_specs_use_only_known_units() -> None:
    # a built-in spec with another unit makes `ecociv models` import pint (~0.5 s): add it to
    # KNOWN_UNITS (test_every_known_unit_parses_with_pint then checks it)
    used = set().union(*(_declared_units(m.spec.describe()) for m in all_models().values()))
    assert used - KNOWN_UNITS == set()
