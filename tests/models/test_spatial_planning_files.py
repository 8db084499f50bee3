"""`spatial_planning` on files (GeoTIFF, CSV, GeoPackage) through the generic path: outputs
written with their categories and polygons, and the line numbers of a CSV in messages."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.models.spatial_planning.model import MODEL

TOP = 5_000_000.0


@pytest.fixture
def files(make_raster, tmp_path: Path) -> dict[str, Path]:
    land = np.full((6, 8), 3, dtype=np.uint8)
    land[1:4, 1:4] = 5
    land[4:, :] = 1
    redline = np.zeros((6, 8), dtype=np.uint8)
    redline[:, 7] = 1
    zones = gpd.GeoDataFrame({"county": ["a", "b"]}, crs=CHINA_ALBERS,
                             geometry=[box(0, TOP - 6000, 4000, TOP), box(4000, TOP - 6000, 8000, TOP)])
    zones.to_file(tmp_path / "units.gpkg")
    (tmp_path / "caps.csv").write_text("zone,cap_km2\na,5\nb,1\n", encoding="utf-8")
    (tmp_path / "classes.csv").write_text("lucode,role\n1,cropland\n3,other\n5,built-up\n",
                                          encoding="utf-8")
    return {"land_use": make_raster(land, "land", res=1000.0, nodata=255),
            "redline": make_raster(redline, "redline", res=1000.0),
            "zones": tmp_path / "units.gpkg", "caps": tmp_path / "caps.csv",
            "classes": tmp_path / "classes.csv"}


def test_files_in_outputs_out(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_model(MODEL, {"land_use": files["land_use"], "redline": files["redline"],
                      "zones": files["zones"], "construction_land_caps": files["caps"]},
              {"zone_field": "county", "built_up_codes": "5", "cropland_codes": "1",
               "buffer_distance": 0, "closing_distance": 0, "expansion_factor": 0}, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"urban_boundary", "plan_conflict", "three_zones", "urban_boundary_polygons"} <= set(
        manifest["outputs"])
    with rasterio.open(out / "control_lines.tif") as src:
        assert src.colormap(1)[3][:3] == (0x75, 0x6B, 0xB1)  # urban boundary colour
        lines = src.read(1)
    assert (lines == 3).sum() == 9 and (lines[:, 7] == 1).all()
    caps = pd.read_csv(out / "construction_land.csv", dtype={"zone": str}).set_index("zone")
    # 9 km² of built-up land in unit a against a cap of 5 -> 4 over; unit b has none
    assert caps.loc["a", "over_cap_km2"] == pytest.approx(4.0) and caps.loc["a", "over_cap"] == 1
    assert caps.loc["b", "over_cap_km2"] == pytest.approx(-1.0)
    polygons = gpd.read_file(out / "urban_boundary_polygons.gpkg")
    assert polygons[["area_km2", "zone"]].values.tolist() == [[9.0, "a"]]


def test_a_role_typo_in_a_class_file_names_its_line(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"table 'planning_classes' \(\S*classes\.csv\): line 4, "
                       r"column 'role': role 'built-up' \(did you mean 'built_up'\?\)"):
        run_model(MODEL, {"land_use": files["land_use"], "planning_classes": files["classes"]},
                  {}, tmp_path / "out")
