"""``ecological_sensitivity`` — soil-erosion, land-desertification and soil-salinization
sensitivity as in the national red-line guideline (生态保护红线划定指南, 2017).

Each factor is graded by thresholds into scores 1 / 3 / 5, each index is the geometric mean of
its four scores, graded into classes 1 = 一般敏感 (generally sensitive), 2 = 敏感 (sensitive),
3 = 极敏感 (extremely sensitive); ``sensitivity_class`` is the highest of the three. Every limit
is a parameter (comma-separated, ascending), so the five-class scheme (scores 1/3/5/7/9, index
limits 2,4,6,8) of the 2002/2003 生态功能区划暂行规程 or local limits can be used unchanged.

Sourcing of the defaults — read this before relying on them:

* The guideline's appendix table itself could not be opened while this was written (only a
  copy of its table of contents), so its table numbers are not cited and every limit is a
  parameter. What each default rests on:

  - desertification, **form and factors — confirmed**: D = (I·W·K·C)^(1/4), the fourth root of
    the product of the graded dryness index, winter-spring windy days, soil texture and
    vegetation cover, stated by Wei W., Guo Z. et al. (2021, Spatiotemporal changes of land
    desertification sensitivity in northwest China from 2000 to 2017, Journal of Geographical
    Sciences, table of sensitivity formulas) and 胡云锋等 (2018, 2000—2015年中国荒漠化土地识别
    和监测, ChinaXiv:201811.00060, eq. 1), and computed so by a public 2019 implementation of
    the 3-class grading (GitHub CUGGISRS/spj, script/LandDesertification.py);
  - **dryness index — definition confirmed**: both papers define 干燥度 by the modified
    Selyaninov formula I = 0.16 × accumulated temperature ≥ 10 °C / precipitation of that
    period (Wei et al. 2021, same table; 胡云锋等 2018, §1.2 "修正的谢良尼诺夫公式"), as does
    the 2019 implementation; with 'temperature_monthly' and 'precipitation_monthly' the model
    computes it (monthly form, see ``kernels.selyaninov_dryness``); annual ET0 / P is only
    the fallback (on the Belt's grid it puts 36 % of the Belt at ≥ 16 against 27 % for the
    Selyaninov form, the two agreeing on the grade of 84 % of the cells);
  - **windy days — definition confirmed**: days with wind > 6 m/s in winter and spring,
    December and January–May (胡云锋等 2018, §1.2);
  - desertification limits dryness 1.5/16, windy days 10/30, cover 0.2/0.6 and texture groups
    (基岩、粘质 1 | 砾质、壤质 3 | 沙质 5): the default limits of the 2019 implementation above,
    and equal to merging the five classes (不敏感+轻度, 中度+高度, 极敏感) of the
    生态功能区划暂行规程 table reproduced by 胡云锋等 (2018, table 1: dryness 1.0/1.5/4.0/16.0,
    ≥ 6 m/s windy days 5/10/20/30, cover 80/60/40/20 %) — two routes that agree, the
    guideline's own table not seen;
  - index classes 1.0–2.0 / 2.1–4.0 / > 4.0 (limits 2,4): recalled from the guideline, **not
    confirmed**; the 2019 implementation grades its index at 2.33/3.66 instead (which would
    make more cells extremely sensitive, not fewer);
  - erosion (R 100/600 MJ·mm/(ha·h·yr), relief 50/300 m, cover 0.2/0.6, texture groups):
    recalled from the guideline; **not cross-checked** in any source read here;
  - salinization evaporation/precipitation 3/15, mineralization 5/25 g/L, depth 1/5 m and
    texture groups (砂土、粘土 | 粘壤土、壤土 | 砂壤土): as in a public 2019 implementation of the
    3-class grading (an ArcPy script, "盐渍化", 赵晓旭 2019); mineralization 5/25 is also the
    merge of the 5-class 1/5/10/25 g/L used by 韩鹏冉等 (2018, 克拉玛依市中部城区外围生态敏感性
    评价, ChinaXiv:201809.00030, table 1).
* Bare sand desert and Gobi: no source read here exempts them from the sensitivity assessment
  or treats them as other protected land instead; the red-line rules read overlay the
  extremely important and the extremely sensitive/vulnerable areas (a draft of the
  生态保护红线管理办法, art. 11, as reproduced online — uncertain), so no such rule is
  implemented. 胡云锋等 (2018, §3.1) stress that sensitive land is a potential, not degraded
  land: it remains cropland, grassland, sandy land or desert. The guideline grades gravel
  (砾质, Gobi pavement) 3 and sand (沙质) 5; a texture map from fine-earth fractions alone
  (sand/silt/clay) cannot tell Gobi gravel from sand, so a Gobi map or coarse-fragment layer
  given as 'soil_texture' code 13 is what would grade Gobi as the guideline does.
* The guideline grades soil texture by Chinese texture names; the default table matches USDA
  classes to them (``TEXTURE_SCORES``, column ``basis``) and is illustrative where it says so.
* Windy days, groundwater mineralization and groundwater depth have illustrative scalar
  defaults for regions without those maps.
* The salinization ratio falls back to annual ET0 / precipitation; pan evaporation / rain runs
  higher than ET0 / P in arid regions, so those grades are conservative (lower).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import cell_area, zonal_table
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_sensitivity import kernels
from ecociv.models.ecological_sensitivity.spec import LIMITS, SPEC
from ecociv.spec import (
    Model,
    ParamInput,
)

#: km² per m²
KM2_PER_M2 = 1e-6

INDICES = ("erosion", "desertification", "salinization")

#: Default scores (3-class scheme) of the USDA texture classes for each index. Texture groups
#: (erosion and desertification as recalled from the guideline, salinization as in the 2019
#: ArcPy implementation, see the module notes): erosion 1 = 石砾、沙、粗砂土、细砂土、粘土,
#: 3 = 面砂土、壤土、砂壤土、粉粘土、壤粘土, 5 = 砂粉土、粉土; desertification 1 = 基岩、粘质,
#: 3 = 砾质、壤质, 5 = 沙质; salinization 1 = 砂土、粘土, 3 = 粘壤土、壤土, 5 = 砂壤土. ``basis``
#: says which rows are a direct name match and which are our assignment (illustrative); the
#: matching of Chinese texture names to USDA classes is ours throughout.
TEXTURE_SCORES = pd.DataFrame.from_records([
    (1, "sand", 1, 5, 1, "match: 沙/粗砂土; 沙质; 砂土"),
    (2, "loamy sand", 1, 5, 1, "match: 细砂土; 沙质; 砂土 (紧砂土)"),
    (3, "sandy loam", 3, 3, 5, "match: 砂壤土; 壤质; 砂壤土"),
    (4, "loam", 3, 3, 3, "match: 壤土; 壤质; 壤土"),
    (5, "silt loam", 5, 3, 5, "erosion 砂粉土 match; desertification 壤质; salinization assigned "
     "(silty soils: highest capillary rise)"),
    (6, "silt", 5, 3, 5, "erosion 粉土 match; desertification 壤质; salinization assigned"),
    (7, "sandy clay loam", 3, 3, 3, "erosion 壤粘土 assigned; 壤质; 粘壤土"),
    (8, "clay loam", 3, 3, 3, "match: 壤粘土; 壤质 (重壤土); 粘壤土"),
    (9, "silty clay loam", 3, 3, 3, "erosion 粉粘土 assigned; 壤质; 粘壤土"),
    (10, "sandy clay", 1, 1, 1, "match: 粘土; 粘质; 粘土"),
    (11, "silty clay", 3, 1, 1, "match: 粉粘土; 粘质; 粘土"),
    (12, "clay", 1, 1, 1, "match: 粘土; 粘质; 粘土"),
    (13, "gravel", 1, 3, 1, "erosion 石砾, desertification 砾质 match; salinization assigned"),
    (14, "bedrock", 1, 1, 1, "desertification 基岩 match; erosion and salinization assigned "
     "(no soil)"),
], columns=["code", "texture", "erosion", "desertification", "salinization", "basis"])

CLASS_NAMES = {
    3: ("一般敏感 generally sensitive", "敏感 sensitive", "极敏感 extremely sensitive"),
    5: ("不敏感 not sensitive", "轻度敏感 slightly sensitive", "中度敏感 moderately sensitive",
        "高度敏感 highly sensitive", "极敏感 extremely sensitive"),
}
#: class colours of the class rasters (ColorBrewer YlOrRd), by number of classes
CLASS_COLOURS = {3: ("#ffffb2", "#fd8d3c", "#bd0026"),
                 5: ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")}


def _limits(inputs: Mapping[str, Any], pid: str, default: str, count: int | None) -> tuple[float, ...]:
    text = str(inputs.get(pid, default))
    source = f"parameter '{pid}'"
    try:
        values = tuple(float(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError as err:
        raise InputError(f"{text!r} is not a comma-separated list of numbers", source=source) from err
    if not values or any(not np.isfinite(v) for v in values):
        raise InputError(f"{text!r}: expected finite numbers, e.g. {default!r}", source=source)
    if any(b <= a for a, b in pairwise(values)):
        raise InputError(f"{text!r}: limits must be strictly ascending", source=source)
    if count is not None and len(values) != count:
        raise InputError(f"{text!r} has {len(values)} limit(s); the index classes "
                         f"('index_class_limits') need {count} per factor", source=source)
    return values


def _texture_table(inputs: Mapping[str, Any], classes: int) -> pd.DataFrame:
    table = inputs.get("texture_scores")
    frame = TEXTURE_SCORES if table is None else table
    allowed = {2.0 * k + 1 for k in range(classes)}
    for index in INDICES:
        bad = frame.loc[~frame[index].astype(float).isin(allowed)]
        if len(bad):
            row = bad.index[0]
            raise InputError(
                f"score {bad[index].iloc[0]!r} of code {int(bad['code'].iloc[0])} is not one of "
                f"{sorted(int(a) for a in allowed)} (scores 1, 3, ..., 2n - 1 for n classes)",
                source="table 'texture_scores'" if table is not None else "built-in texture scores",
                where=f"row {row}, column '{index}'")
    return frame


def _first_cell(mask: np.ndarray) -> str:
    row, col = (int(i) for i in np.argwhere(mask)[0][-2:])
    return f"cell (row {row}, col {col})"


def _texture_codes(inputs: Mapping[str, Any], table: pd.DataFrame) -> xr.DataArray:
    if "soil_texture" in inputs:
        codes = inputs["soil_texture"]
        known = np.asarray(table["code"], dtype=np.float64)
        unknown = codes.notnull() & ~codes.isin(known)
        (flag,) = dask.compute(unknown.any())
        if bool(flag):
            mask = np.asarray(unknown.values)
            value = float(np.asarray(codes.values)[tuple(np.argwhere(mask)[0])])
            raise InputError(f"texture code {value:g} is not in the texture scores (codes "
                             f"{[int(c) for c in known]})", source="input 'soil_texture'",
                             where=_first_cell(mask))
        return codes
    missing = [name for name in ("sand", "silt", "clay") if name not in inputs]
    if missing:
        raise InputError(f"soil texture needs 'soil_texture' or all of 'sand', 'silt', 'clay' "
                         f"(missing {missing})")
    total = inputs["sand"] + inputs["silt"] + inputs["clay"]
    over = total > 101.0
    (flag,) = dask.compute(over.any())
    if bool(flag):
        mask = np.asarray(over.values)
        value = float(np.asarray(total.values)[tuple(np.argwhere(mask)[0])])
        raise InputError(f"sand + silt + clay = {value:g} % exceeds 100 %",
                         source="inputs sand, silt, clay", where=_first_cell(mask))
    return xr.apply_ufunc(kernels.usda_texture_class, inputs["sand"], inputs["silt"],
                          inputs["clay"], dask="parallelized", output_dtypes=[np.float64])


def _relief(inputs: Mapping[str, Any]) -> xr.DataArray:
    if "terrain_relief" in inputs:
        return inputs["terrain_relief"]
    if "elevation" not in inputs:
        raise InputError("soil erosion sensitivity needs 'terrain_relief' or 'elevation'")
    window = int(inputs.get("relief_window", 3))
    if window % 2 == 0:
        raise InputError(f"{window} is even; the neighbourhood needs an odd side (3, 5, ...)",
                         source="parameter 'relief_window'")
    elevation: xr.DataArray = inputs["elevation"]
    data = elevation.data
    if isinstance(data, da.Array):
        out = da.map_overlap(kernels.relief, data, depth=window // 2, boundary="none",
                             window=window, dtype=np.float64)
    else:
        out = kernels.relief(data, window)
    return elevation.copy(data=out)


def _ratio(inputs: Mapping[str, Any], name: str) -> xr.DataArray:
    if name in inputs:
        return inputs[name]
    if "precipitation" not in inputs or "et0" not in inputs:
        raise InputError(f"'{name}' is needed, or annual 'precipitation' and 'et0' to take it as "
                         f"et0 / precipitation")
    return xr.apply_ufunc(_safe_ratio, inputs["et0"], inputs["precipitation"],
                          dask="parallelized", output_dtypes=[np.float64])


def _dryness(inputs: Mapping[str, Any]) -> xr.DataArray:
    """The dryness index: given, or by the modified Selyaninov formula from monthly temperature
    and precipitation, or (neither) annual et0 / precipitation."""
    if "dryness_index" in inputs:
        return inputs["dryness_index"]
    monthly = [name for name in ("temperature_monthly", "precipitation_monthly") if name in inputs]
    if len(monthly) == 1:
        other = ({"temperature_monthly", "precipitation_monthly"} - set(monthly)).pop()
        raise InputError(f"'{monthly[0]}' was given without '{other}': the dryness index by the "
                         f"Selyaninov formula needs both (12 bands each)")
    if not monthly:
        return _ratio(inputs, "dryness_index")
    stacks = [_like_single_band(inputs[name], inputs["vegetation_cover"])
              for name in ("temperature_monthly", "precipitation_monthly")]
    return xr.apply_ufunc(kernels.selyaninov_dryness, *stacks,
                          input_core_dims=[["band"], ["band"]],
                          dask="parallelized", output_dtypes=[np.float64],
                          dask_gufunc_kwargs={"allow_rechunk": True})


def _like_single_band(stack: xr.DataArray, reference: xr.DataArray) -> xr.DataArray:
    """A 12-band stack in the row and column chunks of a single-band input, all bands in one
    chunk. A stack is read in smaller pieces (all its bands within one chunk's memory), and the
    dryness computed on them would carry those pieces into every map it meets: seven times the
    tasks of the rest of the model, whose scheduling took most of its time."""
    if stack.chunks is None or reference.chunks is None:
        return stack
    sizes = reference.chunksizes
    return stack.chunk({"band": -1, **{dim: sizes[dim] for dim in ("y", "x") if dim in sizes}})


def _safe_ratio(et0: np.ndarray, precipitation: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(et0, dtype=np.float64) / precipitation
    return np.where((precipitation == 0) & (et0 == 0), 0.0, ratio)


def _grade(values: Any, limits: tuple[float, ...], increasing: bool) -> Any:
    if not isinstance(values, xr.DataArray):
        return float(kernels.grade(float(values), limits, increasing=increasing))
    return xr.apply_ufunc(kernels.grade, values, kwargs={"thresholds": limits,
                                                         "increasing": increasing},
                          dask="parallelized", output_dtypes=[np.float64])


def _factor(inputs: Mapping[str, Any], name: str) -> Any:
    return inputs[name] if name in inputs else float(inputs.get(f"{name}_default",
                                                                 _param_default(f"{name}_default")))


def _param_default(pid: str) -> Any:
    item = SPEC.input(pid)
    assert isinstance(item, ParamInput)
    return item.default


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Sensitivity indices, classes and class areas per zone (lazy, except input checks)."""
    index_limits = _limits(inputs, "index_class_limits", "2,4", None)
    classes = len(index_limits) + 1
    limits = {key: (_limits(inputs, pid, default, classes - 1), increasing)
              for key, (pid, default, _, increasing) in LIMITS.items()}
    table = _texture_table(inputs, classes)
    codes = _texture_codes(inputs, table)
    texture = {index: xr.apply_ufunc(kernels.lookup, codes, kwargs={"table": dict(zip(
        table["code"].astype(int), table[index].astype(float), strict=True))},
        dask="parallelized", output_dtypes=[np.float64]) for index in INDICES}
    cover = inputs["vegetation_cover"]
    winter_cover = inputs.get("vegetation_cover_winter_spring", cover)
    scores = {
        "erosivity": _grade(inputs["rainfall_erosivity"], *limits["erosivity"]),
        "relief": _grade(_relief(inputs), *limits["relief"]),
        "cover": _grade(cover, *limits["cover"]),
        "winter_cover": _grade(winter_cover, *limits["cover"]),
        "dryness": _grade(_dryness(inputs), *limits["dryness"]),
        "windy_days": _grade(_factor(inputs, "windy_days"), *limits["windy_days"]),
        "evaporation_ratio": _grade(_ratio(inputs, "evaporation_ratio"),
                                    *limits["evaporation_ratio"]),
        "mineralization": _grade(_factor(inputs, "groundwater_mineralization"),
                                 *limits["mineralization"]),
        "groundwater_depth": _grade(_factor(inputs, "groundwater_depth"),
                                    *limits["groundwater_depth"]),
    }
    index = {
        "erosion": _gmean(scores["erosivity"], texture["erosion"], scores["relief"],
                          scores["cover"]),
        "desertification": _gmean(scores["dryness"], scores["windy_days"],
                                  texture["desertification"], scores["winter_cover"]),
        "salinization": _gmean(scores["evaporation_ratio"], scores["mineralization"],
                               scores["groundwater_depth"], texture["salinization"]),
    }
    outputs: dict[str, Any] = {}
    class_maps: dict[str, xr.DataArray] = {}
    for name, value in index.items():
        outputs[f"{name}_sensitivity"] = value.rename(f"{name}_sensitivity")
        class_maps[name] = xr.apply_ufunc(kernels.classify_index, value,
                                          kwargs={"thresholds": index_limits},
                                          dask="parallelized", output_dtypes=[np.float64])
        outputs[f"{name}_sensitivity_class"] = class_maps[name].rename(f"{name}_sensitivity_class")
    class_maps["overall"] = xr.apply_ufunc(kernels.highest_class, *class_maps.values(),
                                           dask="parallelized", output_dtypes=[np.float64])
    outputs["sensitivity_class"] = class_maps["overall"].rename("sensitivity_class")
    if classes in CLASS_NAMES and classes in CLASS_COLOURS:  # names and colours of the files
        categories = tuple(zip(range(1, classes + 1), CLASS_NAMES[classes], CLASS_COLOURS[classes],
                               strict=True))
        for key in ("erosion_sensitivity_class", "desertification_sensitivity_class",
                    "salinization_sensitivity_class", "sensitivity_class"):
            outputs[key] = outputs[key].assign_attrs(categories=categories)
    reference = inputs["vegetation_cover"]
    grid = grid_of_array(reference)
    area_km2 = cell_area(grid, reference) * KM2_PER_M2
    sums = {f"{name}|{k}": xr.where(value == k, 1.0, 0.0) * area_km2
            for name, value in class_maps.items() for k in range(1, classes + 1)}
    totals = zonal_table(sums, inputs.get("zones"), grid, zone_field=inputs.get("zone_field"))
    outputs["sensitivity_area"] = totals.then(lambda frame: _long_table(frame, classes))
    return outputs


def _gmean(*scores: Any) -> xr.DataArray:
    return xr.apply_ufunc(kernels.geometric_mean, *scores, dask="parallelized",
                          output_dtypes=[np.float64])


def _long_table(frame: pd.DataFrame, classes: int) -> pd.DataFrame:
    names = CLASS_NAMES.get(classes, tuple(f"class {k}" for k in range(1, classes + 1)))
    records = []
    for _, row in frame.iterrows():
        for name in (*INDICES, "overall"):
            areas = [float(row[f"{name}|{k}"]) for k in range(1, classes + 1)]
            total = sum(areas)
            for k, area in enumerate(areas, start=1):
                records.append({"zone": str(row["zone"]), "index": name, "class": k,
                                "class_name": names[k - 1], "area_km2": area,
                                "share_pct": 100.0 * area / total if total > 0 else np.nan})
    return pd.DataFrame.from_records(records, columns=["zone", "index", "class", "class_name",
                                                       "area_km2", "share_pct"])


def example() -> dict[str, Any]:
    """3×3 cells of 1 km on China Albers: mountains (north row), oasis (middle), desert (south)."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (3, 3))

    def raster(values: Any, name: str, units: str = "") -> Any:
        return from_array(np.asarray(values, dtype=np.float64), grid, name=name, units=units)

    return {
        "rainfall_erosivity": raster([[700, 450, 300], [150, 120, 90], [40, 30, 20]],
                                     "rainfall_erosivity", "MJ*mm/(ha*h*yr)"),
        "vegetation_cover": raster([[0.7, 0.5, 0.4], [0.6, 0.3, 0.25], [0.05, 0.1, np.nan]],
                                   "vegetation_cover"),
        "elevation": raster([[3200, 2600, 1900], [700, 650, 600], [450, 420, 400]], "elevation", "m"),
        "soil_texture": raster([[13, 4, 5], [5, 3, 8], [1, 2, 1]], "soil_texture"),
        "precipitation": raster([[500, 400, 300], [200, 180, 160], [120, 100, 90]],
                                "precipitation", "mm/yr"),
        "et0": raster([[600, 700, 800], [1000, 1050, 1100], [1200, 1250, 1300]], "et0", "mm/yr"),
        "windy_days": raster([[10, 12, 15], [20, 25, 30], [35, 40, 45]], "windy_days", "d"),
        "groundwater_depth": raster([[50, 40, 30], [3, 1.5, 0.8], [8, 6, 4]], "groundwater_depth",
                                    "m"),
        "groundwater_mineralization": raster([[0.5, 0.5, 0.8], [2, 6, 30], [3, 4, 5]],
                                             "groundwater_mineralization", "g/L"),
    }


MODEL = Model(spec=SPEC, run=run, example=example)
