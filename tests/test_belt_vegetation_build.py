"""The vegetation pieces of the Belt build (scripts/belt_build/vegetation.py) and what they wrote
into the shipped dataset: the dimidiate pixel model (Gutman & Ignatov 1998) worked by hand, the
cover raster against its own class means, the grassland cover levels of the habitat table and the
RUSLE C of the cover management table (Cai et al. 2000)."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from rasterio.features import rasterize

REPO = Path(__file__).resolve().parents[1]
BELT = REPO / "src" / "ecociv" / "data" / "belt"
sys.path.insert(0, str(REPO / "scripts"))
vegetation = pytest.importorskip("belt_build.vegetation")


def test_dimidiate_pixel_model_by_hand() -> None:
    # NDVI_soil 0.1, NDVI_veg 0.6: FVC = (NDVI - 0.1) / 0.5, clipped to 0-1
    ndvi = np.array([0.05, 0.1, 0.35, 0.6, 0.8, np.nan])
    np.testing.assert_allclose(vegetation.dimidiate_cover(ndvi, 0.1, 0.6),
                               [0.0, 0.0, 0.5, 1.0, 1.0, np.nan])
    with pytest.raises(ValueError, match="must exceed NDVI_soil"):
        vegetation.dimidiate_cover(ndvi, 0.6, 0.6)


def _read(name: str) -> np.ndarray:
    with rasterio.open(BELT / name) as src:
        data = src.read(1).astype(np.float64)
        if src.nodata is not None:
            data[data == src.nodata] = np.nan
        return data


def test_shipped_cover_matches_its_class_means_and_water_is_bare() -> None:
    cover, land_use = _read("vegetation_cover.tif"), _read("land_use.tif")
    manifest = yaml.safe_load((BELT / "dataset.yaml").read_text(encoding="utf-8"))
    layer = next(item for item in manifest["layers"] if item["id"] == "vegetation_cover")
    assert layer["status"] == "derived" and 0 < layer["ndvi_soil"] < layer["ndvi_veg"] < 1
    assert np.nanmin(cover) >= 0 and np.nanmax(cover) <= 1
    assert np.all(cover[land_use == vegetation.WATER] == 0)
    with rasterio.open(BELT / "land_use.tif") as src:
        units = gpd.read_file(BELT / "units.gpkg", layer="counties").to_crs(src.crs)
        inside = rasterize(((g, 1) for g in units.geometry), out_shape=src.shape,
                           transform=src.transform, fill=0, dtype="uint8").astype(bool)
    table = pd.read_csv(BELT / "cover_management_table.csv").set_index("lucode")
    for code, mean in table["vegetation_cover"].items():
        cells = inside & (land_use == code)
        assert np.nanmean(cover[cells]) == pytest.approx(mean, abs=1e-3), code
    # oasis fields and forest green up more than grassland, grassland more than the desert
    assert table.loc[1, "vegetation_cover"] > table.loc[3, "vegetation_cover"] > table.loc[6, "vegetation_cover"]


def test_cover_management_c_from_cover_by_cai_2000() -> None:
    table = pd.read_csv(BELT / "cover_management_table.csv").set_index("lucode")
    for code in (2, 3, 6):  # C per cell from the cover; c_factor = Cai at the class mean
        assert table.loc[code, "c_from_cover"] == 1
        percent = 100 * table.loc[code, "vegetation_cover"]
        expected = 0.0 if percent >= 78.3 else 0.6508 - 0.3436 * np.log10(percent)
        assert table.loc[code, "c_factor"] == pytest.approx(expected, abs=1e-4)
    assert table.loc[[1, 4, 5, 7], "c_from_cover"].eq(0).all()


def test_grassland_cover_levels_in_the_habitat_table() -> None:
    table = pd.read_csv(BELT / "habitat_sensitivity.csv").set_index("lucode")
    for code, (_name, low, habitat, cropland, built) in vegetation.GRASSLAND_LEVELS.items():
        row = table.loc[code]
        assert (row["cover_level_of"], row["cover_min"]) == (3, low)
        assert (row["habitat"], row["cropland"], row["built_up"]) == (habitat, cropland, built)
        assert row["value_status"] == "literature_default"
    # Sci. Rep. 2025 (s41598-025-12055-x) Table 2: suitability falls with cover, 0.9 > 0.8 > 0.7
    assert list(table.loc[[31, 32, 33], "habitat"]) == [0.9, 0.8, 0.7]
