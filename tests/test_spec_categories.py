"""Categories of categorical raster outputs in the spec (code, name, colour)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ecociv.spec import Category, RasterOutput


def _output(**fields: object) -> RasterOutput:
    base: dict[str, object] = {"id": "c", "about": "classes", "units": None, "long_name": "classes",
                               "dtype": "uint8", "kind": "categorical"}
    return RasterOutput(**(base | fields))  # type: ignore[arg-type]


def test_categories_given_as_tuples() -> None:
    output = _output(categories=((1, "low 低", "#FFFFB2"), (2, "high 高", "#bd0026")))
    assert output.categories == (Category(code=1, name="low 低", colour="#ffffb2"),
                                 Category(code=2, name="high 高", colour="#bd0026"))


@pytest.mark.parametrize(("fields", "message"), [
    ({"categories": ((1, "a", "red"),)}, "must be '#rrggbb'"),
    ({"categories": ((1, "a", "#000000"), (1, "b", "#ffffff"))}, "must be unique"),
    ({"categories": ((300, "a", "#000000"),)}, "do not fit uint8"),
    ({"dtype": "float32"}, "needs an integer dtype"),
    ({"units": "m"}, "units must be None"),
    ({"kind": "continuous", "categories": ((1, "a", "#000000"),)}, "kind is not 'categorical'"),
])
def test_bad_categories_are_rejected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _output(**fields)
