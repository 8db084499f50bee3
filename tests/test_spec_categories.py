"""Categories of categorical raster outputs in the spec (code, name, colour)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import rasterio
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


def test_declared_categories_reach_the_written_raster(tmp_path: Path) -> None:
    # the red-line model's importance classes: colour table in the COG, names in .tif.aux.xml
    from ecociv.execute import run_in_memory
    from ecociv.models.ecological_redline.model import MODEL as REDLINE
    from ecociv.models.ecological_redline.spec import IMPORTANCE_CLASSES

    out = tmp_path / "redline"
    manifest = run_in_memory(REDLINE, REDLINE.example(), out)
    # the sidecar is listed with the raster, so the run cache checks its digest too
    entry = manifest["outputs"]["importance_class"]
    assert entry["categories"] == "importance_class.tif.aux.xml"
    assert set(entry["blake2b"]) == {"importance_class.tif", "importance_class.tif.aux.xml"}
    with rasterio.open(out / "importance_class.tif") as src:
        colours = src.colormap(1)
    for code, _, colour in IMPORTANCE_CLASSES:
        assert colours[code][:3] == tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    pam = ET.parse(out / "importance_class.tif.aux.xml").getroot()
    names = [c.text or "" for c in pam.iterfind("PAMRasterBand/CategoryNames/Category")]
    assert names == ["", *(name for _, name, _ in IMPORTANCE_CLASSES)]


@pytest.mark.parametrize(("limits", "names"), [
    ("2,4", ["一般敏感 generally sensitive", "敏感 sensitive", "极敏感 extremely sensitive"]),
    ("2,4,6,8", ["不敏感 not sensitive", "轻度敏感 slightly sensitive",
                 "中度敏感 moderately sensitive", "高度敏感 highly sensitive",
                 "极敏感 extremely sensitive"]),
])
def test_classes_that_depend_on_a_parameter(tmp_path: Path, limits: str, names: list[str]) -> None:
    # ecological_sensitivity grades into 3 or 5 classes by its index_class_limits: the written
    # class raster names the classes of the scheme used
    from ecociv.execute import run_in_memory
    from ecociv.models.ecological_sensitivity.model import LIMITS
    from ecociv.models.ecological_sensitivity.model import MODEL as SENSITIVITY

    values = dict(SENSITIVITY.example())
    values["index_class_limits"] = limits
    if len(names) == 5:  # every factor graded into five classes too (any ascending limits)
        for parameter, default, *_ in LIMITS.values():
            low, high = (float(v) for v in default.split(","))
            values[parameter] = f"{low / 2:g},{low:g},{high:g},{high * 2:g}"
    manifest = run_in_memory(SENSITIVITY, values, tmp_path / "s")
    assert manifest["outputs"]["sensitivity_class"]["categories"] == "sensitivity_class.tif.aux.xml"
    pam = ET.parse(tmp_path / "s" / "sensitivity_class.tif.aux.xml").getroot()
    written = [c.text or "" for c in pam.iterfind("PAMRasterBand/CategoryNames/Category")]
    assert written == ["", *names]
    with rasterio.open(tmp_path / "s" / "erosion_sensitivity_class.tif") as src:
        assert len({src.colormap(1)[code] for code in range(1, len(names) + 1)}) == len(names)
