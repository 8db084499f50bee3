"""Adding a raster model needs no copied spec boilerplate: tests/tiny_raster_model.py declares a
land-use input checked against its table, zones with a zone field and a per-zone table in a
15-line spec (written out field by field, as the models did before, it takes 25), and gets from the framework
every check the built-in models get."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory, run_model
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.registry import all_models
from ecociv.spec import (
    Column,
    ModelSpec,
    ParamInput,
    RasterInput,
    RasterOutput,
    TableInput,
    TableOutput,
    VectorInput,
)
from tests import tiny_raster_model
from tests.tiny_raster_model import MODEL


def _spec_lines() -> int:
    """Lines of the plugin's ``SPEC = ModelSpec(`` ... ``)`` statement."""
    text = Path(tiny_raster_model.__file__).read_text()
    return text.split("SPEC = ModelSpec(")[1].split("\n)\n")[0].count("\n") + 2


def _written_out() -> ModelSpec:
    """The same spec without the blocks, field by field, as each model wrote it before."""
    return ModelSpec(
        id="natural_share", title="Share of natural land", version="0.1.0", citation="test plugin",
        about="Natural land (a 0/1 flag per land-use code) per cell and its area per zone.",
        inputs=(
            RasterInput(id="land_use", about="Land-use/land-cover codes", units=None,
                        kind="categorical", codes_in="classes.lucode"),
            TableInput(id="classes", about="Natural flag per land-use code", index="lucode", columns=(
                Column(id="lucode", about="land-use code", units=None, dtype="int"),
                Column(id="natural", about="1 for natural land", units=None, dtype="bool"))),
            VectorInput(id="zones", about="Polygons to total natural land in", geometry="polygon",
                        required=False),
            ParamInput(id="zone_field", about="Attribute naming each zone (default: feature number)",
                       units=None, dtype="str", required=False, field_of="zones"),
        ),
        outputs=(
            RasterOutput(id="natural", about="1 where natural", units="", long_name="natural land"),
            TableOutput(id="natural_by_zone", about="Natural land per zone", columns=(
                Column(id="zone", about='zone name or number ("all" without zones)', units=None,
                       dtype="str"),
                Column(id="natural_ha", about="natural area", units="ha"),
                Column(id="cells", about="cells whose centre is in the zone", units=None,
                       dtype="int"),
                Column(id="valid_cells", about="cells with a result", units=None, dtype="int"))),
        ),
    )


def test_the_spec_is_short_and_equals_the_written_out_one() -> None:
    assert _written_out() == MODEL.spec
    written_lines = inspect.getsource(_written_out).split("return ")[1].count("\n")
    assert (_spec_lines(), written_lines) == (15, 25)


def test_shares_the_ids_of_the_built_in_models() -> None:
    # the blocks give the same land_use, zones and zone_field as every built-in model
    carbon = all_models()["carbon"].spec
    for input_id in ("land_use", "zones", "zone_field"):
        ours, theirs = MODEL.spec.input(input_id), carbon.input(input_id)
        assert (ours.type, getattr(ours, "kind", None), getattr(ours, "units", None)) == (
            theirs.type, getattr(theirs, "kind", None), getattr(theirs, "units", None))
    zone = {c.id: c for c in MODEL.spec.output("natural_by_zone").columns}["zone"]
    assert zone == {c.id: c for c in carbon.output("carbon_totals").columns}["zone"]


def test_example_by_hand(tmp_path: Path) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    assert set(manifest["outputs"]) == {"natural", "natural_by_zone"}
    table = pd.read_csv(tmp_path / "out" / "natural_by_zone.csv")
    # three natural cells of 1 ha
    assert table.loc[0, "zone"] == "all" and table.loc[0, "natural_ha"] == pytest.approx(3.0)


def test_framework_checks_come_with_the_blocks(tmp_path: Path, make_raster, write_csv) -> None:
    land_use = make_raster(np.array([[1, 2], [1, 3]], dtype="uint8"), "lu", res=100.0)
    classes = write_csv("classes.csv", "lucode,natural\n1,1\n2,0\n")
    zones = tmp_path / "zones.gpkg"
    gpd.GeoDataFrame({"Name": ["west", "east"]}, geometry=[box(0, 4_999_800, 100, 5_000_000),
                     box(100, 4_999_800, 200, 5_000_000)], crs=CHINA_ALBERS).to_file(zones)
    sources = {"land_use": land_use, "classes": classes, "zones": zones}
    with pytest.raises(InputError, match=r"code\(s\) \[3\] not found in classes.lucode"):
        run_model(MODEL, sources, {"zone_field": "name"}, tmp_path / "a")
    write_csv("classes.csv", "lucode,natural\n1,1\n2,0\n3,0\n")
    with pytest.raises(InputError, match=r"no field 'nme' \(parameter 'zone_field'\) \(did you mean 'name'\?\)"):
        run_model(MODEL, sources, {"zone_field": "nme"}, tmp_path / "b")
    run_model(MODEL, sources, {"zone_field": "NAME"}, tmp_path / "c")
    table = pd.read_csv(tmp_path / "c" / "natural_by_zone.csv").set_index("zone")
    assert table.loc["west", "natural_ha"] == pytest.approx(2.0)  # codes 1, 1
    assert table.loc["east", "natural_ha"] == pytest.approx(0.0)  # codes 2, 3
    json.loads((tmp_path / "c" / "manifest.json").read_text())
