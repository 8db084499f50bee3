"""`habitat_quality`: InVEST Habitat Quality semantics (InVEST 3.20.2 ``habitat_quality.py``;
Sharp et al. 2020, InVEST User's Guide, eqs. hq.1-hq.4), worked by hand on tiny grids, and the
kernels against brute-force double loops.

Equations used in the comments:
  linear decay       i = 1 - d / d_max          (0 for d > d_max)   eq. hq.1
  exponential decay  i = exp(-2.99 d / d_max)   (0 for d > d_max)   eq. hq.2
  degradation        D = Σ_r i_r (w_r / Σw) S_jr β                  eq. hq.3
  quality            Q = H (1 - D^2.5 / (D^2.5 + k^2.5))            eq. hq.4
With k = 0.5, k^2.5 = 0.1767767.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dask.array as da
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.habitat_quality import kernels
from ecociv.models.habitat_quality.model import MODEL
from ecociv.models.habitat_quality.tables import Threat
from ecociv.models.habitat_quality.threats import threat_impact

ORIGIN_Y = 5_000_000.0


def grid(rows: int, cols: int, res: float = 100.0) -> GridSpec:
    return GridSpec.from_crs(CHINA_ALBERS, Affine(res, 0, 0, 0, -res, ORIGIN_Y), (rows, cols))


def raster(values: np.ndarray, g: GridSpec, name: str) -> xr.DataArray:
    """A (y, x) raster, or (band, y, x) for a 3-D array."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        return from_array(values, g, name=name, units="")
    out = xr.DataArray(values, dims=("band", "y", "x"), name=name,
                       coords={"band": np.arange(1, values.shape[0] + 1), "y": g.y_coords(),
                               "x": g.x_coords()})
    return out.rio.write_crs(g.crs.to_wkt()).rio.write_transform(g.transform)


def read(path: Path) -> np.ndarray:
    import rasterio

    with rasterio.open(path) as src:
        return src.read(1, masked=True).astype(np.float64).filled(np.nan)


def run(tmp_path: Path, inputs: dict[str, Any]) -> Path:
    out = tmp_path / "out"
    run_in_memory(MODEL, inputs, out)
    return out


def one_threat_inputs(decay: str, codes: np.ndarray | None = None) -> dict[str, Any]:
    """7×7 cells of 100 m, one threat cell at the centre (row 3, col 3), max_dist 300 m."""
    g = grid(7, 7)
    threat = np.zeros((7, 7))
    threat[3, 3] = 1.0
    lulc = np.ones((7, 7)) if codes is None else codes
    return {
        "land_use": from_array(lulc, g, name="land_use", units=None),
        "threats": raster(threat, g, "threats"),
        "threat_table": pd.DataFrame({"threat": ["t"], "max_dist": [300.0], "weight": [1.0],
                                      "decay": [decay]}),
        "sensitivity_table": pd.DataFrame({"lucode": [1, 2], "name": ["forest", "built"],
                                           "habitat": [1.0, 0.0], "t": [1.0, 0.5]}),
        "half_saturation_constant": 0.5,
    }


# -- worked by hand -----------------------------------------------------------------------------


def test_linear_decay_from_one_threat_cell(tmp_path: Path) -> None:
    codes = np.ones((7, 7))
    codes[3, 4] = 2  # non-habitat (H = 0) with sensitivity 0.5
    out = run(tmp_path, one_threat_inputs("linear", codes))
    degradation, quality = read(out / "degradation.tif"), read(out / "quality.tif")
    # w = 1 / 1, S = 1, β = 1: D = i = 1 - d / 300 m
    # (3,3) d = 0 -> 1;              Q = k^z / (1 + k^z) = 0.1767767 / 1.1767767 = 0.150221
    # (4,4) d = 141.42 -> 0.528595;  Q = 0.465296
    # (3,5) d = 200 -> 1/3;          Q = 0.733736
    # (4,5) d = 223.61 -> 0.254644;  Q = 0.843810
    # (5,5) d = 282.84 -> 0.057191;  Q = 0.995595
    # (3,6) d = 300 = d_max -> 0;    Q = 1
    # (4,6) d = 316.23 > d_max -> 0; Q = 1
    # (3,4) built-up: d = 100, i = 2/3, D = 2/3 × S 0.5 = 1/3; Q = H × ... = 0
    expected_d = {(3, 3): 1.0, (4, 4): 0.528595, (3, 5): 1 / 3, (4, 5): 0.254644,
                  (5, 5): 0.057191, (3, 6): 0.0, (4, 6): 0.0, (3, 4): 1 / 3, (0, 0): 0.0}
    expected_q = {(3, 3): 0.150221, (4, 4): 0.465296, (3, 5): 0.733736, (4, 5): 0.843810,
                  (5, 5): 0.995595, (3, 6): 1.0, (4, 6): 1.0, (3, 4): 0.0, (0, 0): 1.0}
    for cell, value in expected_d.items():
        assert degradation[cell] == pytest.approx(value, abs=1e-6), cell
    for cell, value in expected_q.items():
        assert quality[cell] == pytest.approx(value, abs=1e-6), cell
    # symmetric about the threat cell (but for the built-up cell)
    degradation[3, 4] = degradation[4, 3]
    np.testing.assert_allclose(degradation, degradation.T, atol=1e-7)


def test_exponential_decay_keeps_the_cell_at_max_distance(tmp_path: Path) -> None:
    out = run(tmp_path, one_threat_inputs("exponential"))
    degradation, quality = read(out / "degradation.tif"), read(out / "quality.tif")
    # i = exp(-2.99 d / 300)
    # d = 0 -> 1 (Q 0.150221); d = 100 -> exp(-0.99667) = 0.369108 (Q 0.681093)
    # d = 141.42 -> 0.244266 (Q 0.857035); d = 300 -> exp(-2.99) = 0.050287 (Q 0.996802), kept
    # because InVEST zeroes only d > d_max; d = 316.23 -> 0 (Q 1)
    expected = {(3, 3): (1.0, 0.150221), (3, 4): (0.369108, 0.681093),
                (4, 4): (0.244266, 0.857035), (3, 6): (0.050287, 0.996802), (4, 6): (0.0, 1.0)}
    for cell, (d, q) in expected.items():
        assert degradation[cell] == pytest.approx(d, abs=1e-6), cell
        assert quality[cell] == pytest.approx(q, abs=1e-6), cell


def _two_threats_in_a_row(aggregation: str) -> dict[str, Any]:
    # one row of 7 cells of 100 m; threat cells at col 1 (intensity 1) and col 4 (0.5)
    g = grid(1, 7)
    threat = np.array([[0, 1.0, 0, 0, 0.5, 0, 0]])
    return {
        "land_use": from_array(np.ones((1, 7)), g, name="land_use", units=None),
        "threats": raster(threat, g, "threats"),
        "threat_table": pd.DataFrame({"threat": ["t"], "max_dist": [300.0], "weight": [0.4],
                                      "decay": ["linear"]}),
        "sensitivity_table": pd.DataFrame({"lucode": [1], "habitat": [1.0], "t": [1.0]}),
        "half_saturation_constant": 0.5,
        "threat_aggregation": aggregation,
    }


def test_nearest_threat_cell_counts_and_intensity_is_presence(tmp_path: Path) -> None:
    out = run(tmp_path, _two_threats_in_a_row("nearest"))
    # InVEST >= 3.13: the distance to the nearest cell with a value other than 0 decays;
    # col 2: nearest col 1, d = 100 -> 2/3; col 6: nearest col 4 (intensity 0.5 counts as
    # presence), d = 200 -> 1/3; cols 1 and 4: d = 0 -> 1; col 0: d = 100 -> 2/3
    np.testing.assert_allclose(read(out / "degradation.tif")[0],
                               [2 / 3, 1, 2 / 3, 2 / 3, 1, 2 / 3, 1 / 3], atol=1e-6)


def test_sum_over_threat_cells_weights_by_intensity(tmp_path: Path) -> None:
    out = run(tmp_path, _two_threats_in_a_row("sum"))
    # user's guide eq. hq.3: D = Σ_y r_y i(d_xy) (one threat: w/Σw = 1)
    # col 0: 1 × (1 - 100/300) + 0.5 × 0 (d = 400)            = 2/3
    # col 2: 1 × 2/3 + 0.5 × (1 - 200/300)                    = 2/3 + 1/6 = 5/6
    # col 3: 1 × 1/3 + 0.5 × 2/3                              = 2/3
    # col 4: 1 × 0 (d = 300 = d_max: linear gives 0) + 0.5 × 1 = 0.5
    # col 5: 1 × 0 (d = 400) + 0.5 × 2/3                      = 1/3
    # col 6: 0.5 × 1/3                                        = 1/6
    np.testing.assert_allclose(read(out / "degradation.tif")[0],
                               [2 / 3, 1, 5 / 6, 2 / 3, 0.5, 1 / 3, 1 / 6], atol=1e-6)


def test_two_threats_weights_sensitivity_access_and_summaries(tmp_path: Path) -> None:
    # 3 × 4 cells of 100 m (1 ha each); threats: 'roads' (linear, 200 m, weight 1) at (0, 0),
    # 'urban' (exponential, 300 m, weight 0.5) at (2, 3); normalised weights 2/3 and 1/3.
    g = grid(3, 4)
    roads, urban = np.zeros((3, 4)), np.zeros((3, 4))
    roads[0, 0], urban[2, 3] = 1.0, 1.0
    codes = np.array([[3, 1, 1, 2], [1, 1, 2, 2], [1, 2, 2, 3]], dtype=float)
    codes[1, 0] = np.nan  # nodata
    # headers and names are case-insensitive as in InVEST (but the key columns: the framework
    # checks codes against "lucode" and names bands from "threat" of in-memory tables; files
    # are lower-cased when read)
    sensitivity = pd.DataFrame({"lucode": [1, 2, 3], "NAME": ["forest", "grass", "town"],
                                "HABITAT": [1.0, 0.5, 0.0], "ROADS": [0.8, 0.4, 0.0],
                                "URBAN": [1.0, 0.6, 0.0]})
    threat_table = pd.DataFrame({"threat": ["Roads", "URBAN"], "MAX_DIST": [200.0, 300.0],
                                 "WEIGHT": [1.0, 0.5], "DECAY": ["Linear", "exponential"]})
    # access polygons: the left half (cols 0-1) is protected, β = 0.5; the rest 1
    access = gpd.GeoDataFrame({"access": [0.5]}, geometry=[box(0, ORIGIN_Y - 300, 200, ORIGIN_Y)],
                              crs=CHINA_ALBERS)
    # zones: west = cols 0-1, east = cols 2-3
    zones = gpd.GeoDataFrame({"name": ["west", "east"]}, crs=CHINA_ALBERS,
                             geometry=[box(0, ORIGIN_Y - 300, 200, ORIGIN_Y),
                                       box(200, ORIGIN_Y - 300, 400, ORIGIN_Y)])
    out = run(tmp_path, {
        "land_use": from_array(codes, g, name="land_use", units=None),
        "threats": raster(np.stack([roads, urban]), g, "threats"),
        "threat_table": threat_table, "sensitivity_table": sensitivity,
        "access_polygons": access, "zones": zones, "zone_field": "name",
        "half_saturation_constant": 0.5,
    })
    d = read(out / "degradation.tif")
    q = read(out / "quality.tif")
    # cell (0, 1), forest, β = 0.5: roads d = 100 -> 1 - 100/200 = 0.5; urban d = √(200²+200²)
    # = 282.84 -> exp(-2.99 × 282.84/300) = 0.059666.
    # D = 0.5 × 2/3 × 0.8 × 0.5 + 0.059666 × 1/3 × 1.0 × 0.5 = 0.133333 + 0.009944 = 0.143278
    # Q = 1 - 0.143278^2.5 / (0.143278^2.5 + 0.1767767) = 1 - 0.007770 / 0.184547 = 0.957895
    assert d[0, 1] == pytest.approx(0.143278, abs=1e-6)
    assert q[0, 1] == pytest.approx(0.957895, abs=1e-6)
    # the two parts are the bands of degradation_by_threat, named as in the table
    import rasterio

    with rasterio.open(out / "degradation_by_threat.tif") as src:
        assert src.descriptions == ("habitat degradation by threat: Roads",
                                    "habitat degradation by threat: URBAN")
        by_threat = src.read(masked=True).astype(np.float64).filled(np.nan)
    assert by_threat[0, 0, 1] == pytest.approx(0.133333, abs=1e-6)
    assert by_threat[1, 0, 1] == pytest.approx(0.009944, abs=1e-6)
    np.testing.assert_allclose(by_threat.sum(axis=0), d, atol=1e-6)
    # cell (2, 2), grass, β = 1: roads d = √(200² + 200²) > 200 -> 0; urban d = 100 ->
    # exp(-0.996667) = 0.369108; D = 0.369108 × 1/3 × 0.6 = 0.073822
    # Q = 0.5 × (1 - 0.073822^2.5 / (0.073822^2.5 + 0.1767767)) = 0.5 × 0.991694 = 0.495847
    assert d[2, 2] == pytest.approx(0.073822, abs=1e-6)
    assert q[2, 2] == pytest.approx(0.495847, abs=1e-6)
    # town cells (S = 0, H = 0): D = 0, Q = 0; nodata stays nodata
    assert d[0, 0] == 0 and q[0, 0] == 0 and d[2, 3] == 0 and q[2, 3] == 0
    assert np.isnan(d[1, 0]) and np.isnan(q[1, 0])

    zone = pd.read_csv(out / "zone_summary.csv").set_index("zone")
    # west (cols 0-1): cells (0,0) town, (0,1) forest, (1,0) nodata, (1,1) forest, (2,0) forest,
    # (2,1) grass -> 5 valid cells = 5 ha, habitat 4 ha (the town cell has H = 0)
    assert zone.loc["west", "cells"] == 6 and zone.loc["west", "valid_cells"] == 5
    assert zone.loc["west", "area_ha"] == pytest.approx(5.0)
    assert zone.loc["west", "habitat_area_ha"] == pytest.approx(4.0)
    west = [(0, 0), (0, 1), (1, 1), (2, 0), (2, 1)]
    assert zone.loc["west", "quality_mean"] == pytest.approx(np.mean([q[c] for c in west]))
    assert zone.loc["west", "degradation_mean_habitat"] == pytest.approx(
        np.mean([d[c] for c in west[1:]]))
    threats = pd.read_csv(out / "threat_summary.csv")
    assert list(threats["threat"].unique()) == ["roads", "urban"]
    assert threats.set_index(["zone", "threat"]).loc[("east", "urban"), "weight_normalized"] == \
        pytest.approx(1 / 3)
    shares = threats.groupby("zone")["degradation_share"].sum()
    np.testing.assert_allclose(shares.to_numpy(), 1.0)
    classes = pd.read_csv(out / "class_summary.csv").set_index("lucode")
    # forest cells: (0,1), (0,2), (1,1), (2,0) -> 4 ha
    assert classes.loc[1, "cells"] == 4 and classes.loc[1, "area_ha"] == pytest.approx(4.0)
    forest = [(0, 1), (0, 2), (1, 1), (2, 0)]
    assert classes.loc[1, "quality_mean"] == pytest.approx(np.mean([q[c] for c in forest]))
    assert classes.loc[3, "quality_mean"] == 0 and classes.loc[3, "name"] == "town"


def test_access_raster_nodata_means_open(tmp_path: Path) -> None:
    inputs = one_threat_inputs("linear")
    g = grid(7, 7)
    access = np.full((7, 7), np.nan)
    access[3, 4] = 0.25
    inputs["access"] = raster(access, g, "access")
    out = run(tmp_path, inputs)
    d = read(out / "degradation.tif")
    # (3, 4): i = 2/3 × β 0.25 = 1/6; (4, 3): i = 2/3, β = 1 (nodata)
    assert d[3, 4] == pytest.approx(1 / 6, abs=1e-6)
    assert d[4, 3] == pytest.approx(2 / 3, abs=1e-6)


def test_in_memory_band_count_and_key_column(tmp_path: Path) -> None:
    from ecociv.errors import InputError

    inputs = MODEL.example()  # threats 'crops' and 'roads', a 2-band raster
    inputs["threats"] = inputs["threats"].isel(band=[0])
    with pytest.raises(InputError, match=r"input 'threats' \(in memory\): expected 2 bands "
                       r"\(one per row of table 'threat_table'\), found 1"):
        run(tmp_path, inputs)
    # column names are matched case-insensitively in memory as in files
    inputs = MODEL.example()
    inputs["threat_table"] = inputs["threat_table"].rename(columns={"threat": "THREAT"})
    run(tmp_path / "upper", inputs)
    inputs["threat_table"] = inputs["threat_table"].drop(columns="THREAT")
    with pytest.raises(InputError, match=r"table 'threat_table' \(in memory\): missing required "
                       r"column\(s\) \['threat'\]"):
        run(tmp_path / "missing", inputs)


def test_no_threat_anywhere_gives_quality_equal_to_habitat(tmp_path: Path) -> None:
    inputs = one_threat_inputs("exponential")
    inputs["threats"] = raster(np.zeros((7, 7)), grid(7, 7), "threats")
    out = run(tmp_path, inputs)
    assert np.all(read(out / "degradation.tif") == 0)
    assert np.all(read(out / "quality.tif") == 1)


def test_threats_larger_than_chunks_match_the_whole_grid() -> None:
    # chunks of 5 × 4 cells, reach 4 cells: blocks are widened and overlapped
    rng = np.random.default_rng(3)
    values = (rng.random((23, 17)) < 0.05).astype(float)
    values[rng.random((23, 17)) < 0.05] = np.nan
    cell = (100.0, 100.0)
    for aggregation, func in (("nearest", kernels.nearest_threat_impact),
                              ("sum", kernels.summed_threat_impact)):
        item = Threat("t", 450.0, 1.0, "exponential", 2)
        lazy = threat_impact(da.from_array(values, chunks=(5, 4)), item, cell, aggregation)
        assert lazy.chunks == ((5, 5, 5, 5, 3), (4, 4, 4, 4, 1))
        np.testing.assert_allclose(lazy.compute(), func(values, 450.0, cell, "exponential"),
                                   atol=1e-12)


def test_habitat_zero_means_quality_zero() -> None:
    degradation = np.array([0.0, 0.01, 0.3, 1.0, 7.5])
    assert np.all(kernels.habitat_quality(np.zeros(5), degradation, 0.05) == 0)
    # and no threat leaves habitat suitability unchanged
    np.testing.assert_allclose(kernels.habitat_quality(np.array([0.3, 1.0]), np.zeros(2), 0.05),
                               [0.3, 1.0])


def test_constants_are_invests() -> None:
    assert kernels.EXPONENTIAL_DECAY_CONSTANT == 2.99  # 5 % impact left at d_max
    assert np.exp(-2.99) == pytest.approx(0.05, abs=5e-4)
    assert kernels.SCALING_PARAMETER == 2.5
    assert MODEL.spec.input("half_saturation_constant").default == 0.05  # type: ignore[union-attr]
    # k is where quality is halved: D = k -> Q = H / 2
    assert kernels.habitat_quality(1.0, 0.05, 0.05) == pytest.approx(0.5)


# -- kernels against brute force ---------------------------------------------------------------


def brute_force(threat: np.ndarray, max_distance: float, cell: tuple[float, float], decay: str,
                aggregation: str) -> np.ndarray:
    """InVEST's impact by a double loop over cells x and threat cells y."""
    rows, cols = threat.shape
    out = np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            nearest, total = np.inf, 0.0
            for ry in range(rows):
                for cy in range(cols):
                    value = threat[ry, cy]
                    if np.isnan(value) or value == 0:
                        continue
                    d = float(np.hypot((ry - r) * cell[0], (cy - c) * cell[1]))
                    nearest = min(nearest, d)
                    if d <= max_distance:
                        i = (1 - d / max_distance if decay == "linear"
                             else np.exp(-2.99 * d / max_distance))
                        total += value * i
            if aggregation == "sum":
                out[r, c] = total
            elif nearest <= max_distance:
                out[r, c] = (1 - nearest / max_distance if decay == "linear"
                             else np.exp(-2.99 * nearest / max_distance))
    return out


@settings(max_examples=25, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    seed=st.integers(0, 2**32 - 1),
    cell=st.tuples(st.sampled_from([10.0, 30.0, 100.0]), st.sampled_from([10.0, 30.0, 100.0])),
    reach=st.floats(1.0, 6.0),
    decay=st.sampled_from(kernels.DECAY_TYPES),
    aggregation=st.sampled_from(["nearest", "sum"]),
)
def test_kernels_match_brute_force(shape: tuple[int, int], seed: int, cell: tuple[float, float],
                                   reach: float, decay: str, aggregation: str) -> None:
    rng = np.random.default_rng(seed)
    threat = rng.choice([0.0, 0.0, 0.0, 0.25, 1.0, np.nan], size=shape)
    max_distance = reach * max(cell)
    func = kernels.nearest_threat_impact if aggregation == "nearest" else kernels.summed_threat_impact
    np.testing.assert_allclose(func(threat, max_distance, cell, decay),
                               brute_force(threat, max_distance, cell, decay, aggregation),
                               atol=1e-9)


def test_fused_block_matches_the_separate_equations() -> None:
    rng = np.random.default_rng(11)
    codes = rng.choice([1.0, 4.0, 9.0, np.nan, 5.0], size=(6, 5))  # 5 is not in the table
    impacts = [rng.random((6, 5)), rng.random((6, 5))]
    table_codes = np.array([1.0, 4.0, 9.0])
    habitat = np.array([1.0, 0.4, 0.0])
    sensitivity = np.array([[0.9, 0.5, 0.1], [0.3, 1.0, 0.0]])
    weights = np.array([0.75, 0.25])
    access = rng.random((6, 5))
    out = kernels.degradation_and_quality(codes, impacts, codes=table_codes, habitat=habitat,
                                          sensitivity=sensitivity, weights=weights,
                                          half_saturation=0.1, access=access)
    for (r, c), code in np.ndenumerate(codes):
        if code not in table_codes:
            assert np.isnan(out[:4, r, c]).all() and out[4, r, c] == 0
            continue
        j = int(np.flatnonzero(table_codes == code)[0])
        parts = [impacts[t][r, c] * weights[t] * sensitivity[t, j] * access[r, c] for t in range(2)]
        total = sum(parts)
        assert out[0, r, c] == pytest.approx(parts[0]) and out[1, r, c] == pytest.approx(parts[1])
        assert out[2, r, c] == pytest.approx(total)
        assert out[3, r, c] == pytest.approx(habitat[j] * (1 - total**2.5 / (total**2.5 + 0.1**2.5)))
        assert out[4, r, c] == j + 1
