"""The shared spec building blocks (ecociv/spec_blocks.py): the one field lookup, with its one
casing rule and its "did you mean" hint."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.spec_blocks import did_you_mean, find_field, zone_names


def _zones(**fields: list) -> gpd.GeoDataFrame:
    n = len(next(iter(fields.values())))
    return gpd.GeoDataFrame(fields, geometry=[box(i, 0, i + 1, 1) for i in range(n)])


def test_exact_then_case_insensitive_then_error() -> None:
    zones = _zones(Name=["a", "b"], name=["x", "y"], county=["c", "d"])
    assert find_field(zones, "Name") == "Name"  # exact wins over a case variant
    assert find_field(zones, " COUNTY ") == "county"  # spaces and case ignored
    with pytest.raises(InputError) as caught:
        find_field(zones, "NAME")  # two columns differ only by case: ambiguous
    assert "fields: ['Name', 'name', 'county']" in str(caught.value)


def test_error_names_file_parameter_fields_and_closest() -> None:
    zones = _zones(county_name=["a"], area=[1.0])
    zones.attrs["source"] = "vector 'zones' (counties.gpkg)"
    with pytest.raises(InputError) as caught:
        find_field(zones, "countyname", param="zone_field")
    assert str(caught.value) == (
        "vector 'zones' (counties.gpkg): no field 'countyname' (parameter 'zone_field') "
        "(did you mean 'county_name'?); fields: ['county_name', 'area']")


def test_geometry_is_not_a_field() -> None:
    with pytest.raises(InputError, match=r"no field 'geometry'"):
        find_field(_zones(name=["a"]), "geometry")


def test_zone_names_by_field_or_position() -> None:
    zones = _zones(code=[11, 12])
    assert zone_names(zones, "CODE") == ["11", "12"]
    assert zone_names(zones, None) == ["1", "2"]
    assert zone_names(zones, "  ") == ["1", "2"]


def test_did_you_mean() -> None:
    assert did_you_mean("Lucod", ["lucode", "kc"]) == " (did you mean 'lucode'?)"
    assert did_you_mean("zzz", ["lucode", "kc"]) == ""
    assert find_field(pd.DataFrame({"KC": [1]}), "kc") == "KC"  # plain tables too


def test_zone_inputs_link_the_field_parameter_to_its_layer() -> None:
    from ecociv.spec import ModelSpec, ParamInput, RasterOutput
    from ecociv.spec_blocks import zone_inputs

    zones, field = zone_inputs("Polygons", id="basins", field_id="basin_field")
    assert (zones.id, field.id, field.field_of) == ("basins", "basin_field", "basins")
    with pytest.raises(ValueError, match=r"p.field_of names unknown vector input 'zones'"):
        ModelSpec(id="m", title="m", version="1", citation="c", about="a",
                  inputs=(ParamInput(id="p", about="p", units=None, dtype="str", field_of="zones"),),
                  outputs=(RasterOutput(id="o", about="o", units="", long_name="o"),))
