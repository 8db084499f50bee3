"""``ecological_sensitivity``: grading at the limits, geometric means and classes by hand,
relief and texture classes, the model on hand-made cells, other class schemes, bad inputs.

Formulas: 生态保护红线划定指南 (2017), appendix — SS = (R·K·LS·C)^(1/4), D = (I·W·K·C)^(1/4),
S = (I·M·D·K)^(1/4), factors graded 1/3/5, index classes 1.0–2.0 / 2.1–4.0 / > 4.0."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_sensitivity import kernels
from ecociv.models.ecological_sensitivity.model import MODEL, SPEC, TEXTURE_SCORES, run

NAN = np.nan
GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (1, 3))


def test_grading_at_the_limits() -> None:
    # increasing (dryness 1.5 / 16): a value on a limit takes the less sensitive class
    np.testing.assert_array_equal(
        kernels.grade([0.0, 1.5, 1.5001, 16.0, 16.001, NAN], [1.5, 16.0]),
        [1, 1, 3, 3, 5, NAN])
    # decreasing (cover 0.2 / 0.6): >= 0.6 -> 1, 0.2 < c < 0.6 -> 3, c <= 0.2 ... 0.2 itself -> 3
    np.testing.assert_array_equal(
        kernels.grade([1.0, 0.6, 0.5999, 0.2, 0.1999, 0.0], [0.2, 0.6], increasing=False),
        [1, 1, 3, 3, 5, 5])
    # five classes (1/3/5/7/9): dryness 1.0/1.5/4.0/16.0
    np.testing.assert_array_equal(kernels.grade([0.5, 1.2, 3.0, 10.0, 30.0], [1.0, 1.5, 4.0, 16.0]),
                                  [1, 3, 5, 7, 9])


def test_geometric_mean_by_hand() -> None:
    # (1 x 3 x 5 x 5)^(1/4) = 75^0.25 = 2.942831; (3 x 1 x 1 x 1)^(1/4) = 1.316074;
    # (5 x 5 x 3 x 5)^(1/4) = 375^0.25 = 4.400559; (3 x 3 x 3 x 5)^(1/4) = 135^0.25 = 3.408658
    np.testing.assert_allclose(
        kernels.geometric_mean([1, 3, 5, 3], [3, 1, 5, 3], [5, 1, 3, 3], [5, 1, 5, 5]),
        [2.942831, 1.316074, 4.400559, 3.408658], rtol=1e-6)
    assert np.isnan(kernels.geometric_mean(1.0, NAN, 3.0, 3.0))


def test_index_classes_at_the_limits() -> None:
    # 1.0-2.0 -> 1, 2.1-4.0 -> 2, > 4.0 -> 3; 2.05 (in the table's gap) -> 2
    np.testing.assert_array_equal(
        kernels.classify_index([1.0, 2.0, 2.05, 2.942831, 4.0, 4.0001, 5.0, NAN], [2.0, 4.0]),
        [1, 1, 2, 2, 2, 3, 3, NAN])


def test_highest_class() -> None:
    np.testing.assert_array_equal(kernels.highest_class([1, NAN, NAN], [3, 2, NAN], [2, NAN, NAN]),
                                  [3, 2, NAN])


def test_relief_by_hand() -> None:
    dem = np.array([[100.0, 120.0, 90.0],
                    [110.0, NAN, 300.0],
                    [105.0, 95.0, 100.0]])
    # 3 x 3 window: centre (1,1) is nodata -> nodata; (0,0): max(100,120,110) - min = 20
    # (0,1): {100,120,90,110,300} -> 300 - 90 = 210; (2,0): {110,105,95} -> 15
    relief = kernels.relief(dem, 3)
    assert np.isnan(relief[1, 1])
    assert relief[0, 0] == 20.0 and relief[0, 1] == 210.0 and relief[2, 0] == 15.0
    assert relief[2, 2] == 300.0 - 95.0


@pytest.mark.parametrize(("sand", "silt", "clay", "expected"), [
    (92, 5, 3, "sand"), (82, 12, 6, "loamy sand"), (65, 25, 10, "sandy loam"), (40, 40, 20, "loam"),
    (20, 65, 15, "silt loam"), (5, 88, 7, "silt"), (60, 13, 27, "sandy clay loam"),
    (33, 34, 33, "clay loam"), (10, 56, 34, "silty clay loam"), (52, 6, 42, "sandy clay"),
    (6, 47, 47, "silty clay"), (20, 20, 60, "clay"),
    # on the lines: silt + 1.5 clay = 15 is loamy sand; clay 40 with silt 40 is silty clay
    (85, 9, 6, "loamy sand"), (20, 40, 40, "silty clay"),
    # fractions that do not sum to 100 are rescaled: (46, 36, 18)/1 ~ (50%, ...) -> loam
    (46, 36, 18, "loam"),
])
def test_usda_texture_classes(sand: float, silt: float, clay: float, expected: str) -> None:
    code = int(kernels.usda_texture_class(sand, silt, clay))
    assert kernels.TEXTURE_CLASSES[code] == expected


def test_texture_triangle_has_no_gaps() -> None:
    fractions = np.random.default_rng(3).dirichlet([1.0, 1.0, 1.0], 50_000) * 100
    codes = kernels.usda_texture_class(*fractions.T)
    assert not np.isnan(codes).any() and set(np.unique(codes)) == set(range(1, 13))


def _r(values: Any, name: str, units: str = "") -> Any:
    return from_array(np.asarray([values], dtype=np.float64), GRID, name=name, units=units)


def _hand_inputs(**overrides: Any) -> dict[str, Any]:
    # cells: A every factor at its most sensitive grade; B every factor on its lower limit (so
    # graded 1) with loam; C every factor in the middle class with sandy loam
    values: dict[str, Any] = {
        "rainfall_erosivity": _r([700, 100, 300], "rainfall_erosivity", "MJ*mm/(ha*h*yr)"),
        "soil_texture": _r([6, 4, 3], "soil_texture"),        # silt, loam, sandy loam
        "terrain_relief": _r([350, 50, 100], "terrain_relief", "m"),
        "vegetation_cover": _r([0.1, 0.6, 0.3], "vegetation_cover"),
        "dryness_index": _r([20, 1.5, 4], "dryness_index"),
        "windy_days": _r([35, 10, 20], "windy_days", "d"),
        "evaporation_ratio": _r([20, 3, 10], "evaporation_ratio"),
        "groundwater_mineralization": _r([30, 5, 10], "groundwater_mineralization", "g/L"),
        "groundwater_depth": _r([0.5, 5, 2], "groundwater_depth", "m"),
    }
    values.update(overrides)
    return values


def test_hand_worked_cells() -> None:
    out = run(_hand_inputs())
    # A: erosion (5 5 5 5) -> 5; desertification silt texture 3: (5 5 3 5)^(1/4) = 4.400559;
    #    salinization silt 5: 5. Classes 3, 3, 3.
    # B: texture loam = 3 for all indices, other factors 1: 3^(1/4) = 1.316074 -> class 1
    # C: erosion/desertification all 3 (sandy loam 3): 3 -> class 2; salinization sandy loam 5:
    #    (3 3 3 5)^(1/4) = 3.408658 -> class 2
    np.testing.assert_allclose(out["erosion_sensitivity"].values, [[5.0, 1.316074, 3.0]], rtol=1e-6)
    np.testing.assert_allclose(out["desertification_sensitivity"].values,
                               [[4.400559, 1.316074, 3.0]], rtol=1e-6)
    np.testing.assert_allclose(out["salinization_sensitivity"].values,
                               [[5.0, 1.316074, 3.408658]], rtol=1e-6)
    for name in ("erosion", "desertification", "salinization"):
        assert out[f"{name}_sensitivity_class"].values.tolist() == [[3, 1, 2]]
    assert out["sensitivity_class"].values.tolist() == [[3, 1, 2]]
    table = out["sensitivity_area"].compute()
    # 1 km cells on an equal-area grid: 1 km2 per class, a third each
    erosion = table[table["index"] == "erosion"].set_index("class")
    assert erosion["area_km2"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert erosion["share_pct"].tolist() == pytest.approx([100 / 3] * 3)
    assert erosion.loc[3, "class_name"].startswith("极敏感")


def test_winter_cover_scalar_defaults_and_ratios() -> None:
    values = _hand_inputs(vegetation_cover_winter_spring=_r([0.1, 0.1, 0.1], "winter"))
    for name in ("windy_days", "groundwater_mineralization", "groundwater_depth",
                 "dryness_index", "evaporation_ratio"):
        del values[name]
    # annual et0/precipitation: 1000/50 = 20 (-> 5), 300/200 = 1.5 (-> 1), 800/200 = 4 (-> 3)
    values["et0"] = _r([1000, 300, 800], "et0", "mm/yr")
    values["precipitation"] = _r([50, 200, 200], "precipitation", "mm/yr")
    out = run(values)
    # defaults: 20 windy days -> 3, 1 g/L -> 1, 10 m -> 1; winter cover 0.1 -> 5
    # desertification A: (5 3 3 5)^(1/4) = 225^0.25 = 3.872983; B: (1 3 3 5) = 45^0.25 = 2.590020
    np.testing.assert_allclose(out["desertification_sensitivity"].values,
                               [[3.872983, 2.590020, (3 * 3 * 3 * 5) ** 0.25]], rtol=1e-6)
    # salinization A: ratio 20 -> 5, 1 (fresh), 1 (deep), silt 5: (5 1 1 5)^(1/4) = 5^0.5
    np.testing.assert_allclose(out["salinization_sensitivity"].values[0, 0], 5 ** 0.5)


def test_relief_from_elevation_and_texture_from_fractions() -> None:
    values = _hand_inputs()
    del values["terrain_relief"], values["soil_texture"]
    values["elevation"] = _r([1000, 1400, 1040], "elevation", "m")  # 3 x 3 windows: 400, 400, 400
    values["sand"] = _r([5, 40, 65], "sand", "percent")
    values["silt"] = _r([88, 40, 25], "silt", "percent")
    values["clay"] = _r([7, 20, 10], "clay", "percent")   # silt, loam, sandy loam as before
    out = run(values)
    # relief 400 m -> 5 everywhere: erosion A 5; B (1 3 5 1)^(1/4) = 15^0.25 = 1.967990;
    # C (3 3 5 3)^(1/4) = 3.408658
    np.testing.assert_allclose(out["erosion_sensitivity"].values, [[5.0, 1.967990, 3.408658]],
                               rtol=1e-6)


def test_relief_on_dask_chunks_matches_in_memory() -> None:
    dem = np.array([[100.0, 120.0, 90.0, 80.0], [110.0, NAN, 300.0, 60.0],
                    [105.0, 95.0, 100.0, 70.0], [0.0, 10.0, 20.0, 30.0]])
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (4, 4))
    values = {"elevation": from_array(dem, grid, name="elevation").chunk({"y": 2, "x": 1}),
              "relief_window": 3}
    from ecociv.models.ecological_sensitivity.model import _relief

    relief = _relief(values)
    assert relief.chunks is not None
    np.testing.assert_array_equal(relief.values, kernels.relief(dem, 3))


def test_five_class_scheme_from_parameters() -> None:
    five = {
        "index_class_limits": "2,4,6,8", "erosivity_limits": "25,100,400,600",
        "relief_limits": "20,50,100,300", "cover_limits": "0.2,0.4,0.6,0.8",
        "dryness_limits": "1,1.5,4,16", "windy_days_limits": "5,10,20,30",
        "evaporation_ratio_limits": "1,3,10,15", "mineralization_limits": "1,5,10,25",
        "groundwater_depth_limits": "1,2,3,5",
    }
    scores = TEXTURE_SCORES.copy()
    for index in ("erosion", "desertification", "salinization"):
        scores[index] = 2 * scores[index] - 1  # 1, 3, 5 -> 1, 5, 9
    out = run(_hand_inputs(texture_scores=scores, **five))
    # A: erosion 700 -> 9, silt 9, 350 -> 9, 0.1 -> 9: index 9 -> class 5
    # B: R 100 on a limit -> 25-100 -> 3; loam 5; relief 50 -> 20-50 -> 3; cover 0.6 on a limit
    #    -> the less sensitive 0.6-0.8 -> 3: (3 5 3 3)^(1/4) = 135^0.25 = 3.408658 -> class 2
    assert out["erosion_sensitivity_class"].values[0, 0] == 5
    np.testing.assert_allclose(out["erosion_sensitivity"].values[0, 1], 135 ** 0.25, rtol=1e-6)
    assert out["erosion_sensitivity_class"].values[0, 1] == 2
    table = out["sensitivity_area"].compute()
    assert sorted(table["class"].unique()) == [1, 2, 3, 4, 5]
    assert "高度敏感" in set(table["class_name"].str.split().str[0])


def test_zones() -> None:
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 4_999_000, 1000, 5_000_000),
                                       box(1000, 4_999_000, 3000, 5_000_000)], crs=CHINA_ALBERS)
    table = run(_hand_inputs(zones=zones, zone_field="name"))["sensitivity_area"].compute()
    overall = table[table["index"] == "overall"].set_index(["zone", "class"])["area_km2"]
    assert overall.loc[("west", 3)] == pytest.approx(1.0)
    assert overall.loc[("east", 1)] == pytest.approx(1.0) and overall.loc[("east", 2)] == 1.0


def test_nodata() -> None:
    out = run(_hand_inputs(vegetation_cover=_r([NAN, 0.6, 0.3], "vegetation_cover")))
    assert np.isnan(out["erosion_sensitivity"].values[0, 0])
    assert np.isnan(out["desertification_sensitivity"].values[0, 0])
    assert out["salinization_sensitivity"].values[0, 0] == 5.0
    assert out["sensitivity_class"].values[0, 0] == 3  # the highest of what is known


@pytest.mark.parametrize(("params", "message"), [
    ({"dryness_limits": "16,1.5"}, r"dryness_limits.*strictly ascending"),
    ({"dryness_limits": "1,1.5,4"}, r"dryness_limits.*3 limit\(s\).*need 2"),
    ({"cover_limits": "low,high"}, r"cover_limits.*comma-separated list of numbers"),
    ({"index_class_limits": ""}, r"index_class_limits.*expected finite numbers"),
])
def test_bad_limits(params: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        run(_hand_inputs(**params))


def test_unknown_texture_code_names_the_cell() -> None:
    with pytest.raises(InputError, match=r"soil_texture.*cell \(row 0, col 2\).*code 15"):
        run(_hand_inputs(soil_texture=_r([6, 4, 15], "soil_texture")))


def test_bad_texture_score() -> None:
    scores = TEXTURE_SCORES.copy()
    scores.loc[3, "salinization"] = 4
    with pytest.raises(InputError, match=r"texture_scores.*row 3, column 'salinization'.*\[1, 3, 5\]"):
        run(_hand_inputs(texture_scores=scores))


def test_texture_fractions_over_100() -> None:
    values = _hand_inputs()
    del values["soil_texture"]
    values.update(sand=_r([50, 50, 60], "sand"), silt=_r([30, 30, 40], "silt"),
                  clay=_r([20, 20, 20], "clay"))
    with pytest.raises(InputError, match=r"cell \(row 0, col 2\).*120 % exceeds 100"):
        run(values)


def test_missing_inputs_are_named() -> None:
    values = _hand_inputs()
    del values["dryness_index"]
    with pytest.raises(InputError, match="'dryness_index' is needed, or annual 'precipitation'"):
        run(values)
    values = _hand_inputs()
    del values["terrain_relief"]
    with pytest.raises(InputError, match="'terrain_relief' or 'elevation'"):
        run(values)
    values = _hand_inputs(relief_window=4)
    del values["terrain_relief"]
    values["elevation"] = _r([1, 2, 3], "elevation", "m")
    with pytest.raises(InputError, match=r"relief_window.*odd"):
        run(values)


def test_out_of_range_cover_through_the_runner(tmp_path: Any) -> None:
    with pytest.raises(InputError, match=r"vegetation_cover.*row 0, col 1.*above the allowed maximum 1"):
        run_in_memory(MODEL, _hand_inputs(vegetation_cover=_r([0.1, 1.2, 0.3], "c")), tmp_path / "o")


def test_example_through_the_runner(tmp_path: Any) -> None:
    manifest = run_in_memory(MODEL, MODEL.example(), tmp_path / "out")
    assert set(manifest["outputs"]) == {o.id for o in SPEC.outputs}
    table = pd.read_csv(tmp_path / "out" / "sensitivity_area.csv")
    assert set(table["index"]) == {"erosion", "desertification", "salinization", "overall"}


def test_through_files_with_relief_and_texture_derived(tmp_path: Any, make_raster: Any) -> None:
    from ecociv.execute import run_model

    values = _hand_inputs()
    sources = {}
    for name in ("rainfall_erosivity", "vegetation_cover", "dryness_index", "windy_days",
                 "evaporation_ratio", "groundwater_mineralization", "groundwater_depth"):
        sources[name] = make_raster(values[name].values.astype("float32"), name, res=1000.0)
    sources["elevation"] = make_raster(np.array([[1000.0, 1400.0, 1040.0]], dtype="float32"),
                                       "elevation", res=1000.0)
    sources["soil_texture"] = make_raster(np.array([[6, 4, 255]], dtype="uint8"), "soil_texture",
                                          res=1000.0, nodata=255)
    manifest = run_model(MODEL, sources, {"relief_window": 3}, tmp_path / "out")
    import rasterio

    with rasterio.open(tmp_path / "out" / "erosion_sensitivity.tif") as src:
        erosion = src.read(1, masked=True).filled(np.nan)
    # relief 400 m -> 5: A (5 5 5 5) -> 5; B (1 3 5 1)^(1/4) = 1.967990; C texture nodata
    np.testing.assert_allclose(erosion, [[5.0, 1.967990, NAN]], rtol=1e-6)
    assert manifest["outputs"]["sensitivity_class"]["units"] is None
