"""water_yield kernels and run(): hand-worked cells, InVEST's own reference numbers, an
independent numpy transcription of the user's-guide equations, and property tests against a
naive per-cell reference.

Sources: Sharp et al. (2020), InVEST User's Guide, Annual Water Yield; natcap/invest
``src/natcap/invest/annual_water_yield/annual_water_yield.py`` (``fractp_op``, ``wyield_op``)
and ``tests/test_annual_water_yield.py`` (``test_fractp_op``).
"""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from hypothesis import given
from hypothesis import strategies as st

from ecociv.errors import InputError
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.water_yield import kernels
from ecociv.models.water_yield.model import MODEL, run

NAN = np.nan

# Biophysical table of the hand-worked case (InVEST columns; Z = 5 throughout).
#   1 forest   vegetated      kc 0.75  root_depth 500 mm
#   2 cropland vegetated      kc 1.0   root_depth 500 mm
#   3 built-up not vegetated  kc 0.5
#   4 water    not vegetated  kc 1.2
HAND_TABLE = pd.DataFrame({"lucode": [1, 2, 3, 4], "lulc_veg": [1, 1, 0, 0],
                           "root_depth": [500.0, 500.0, 1.0, 0.0], "kc": [0.75, 1.0, 0.5, 1.2]})
HAND_LAND_USE = np.array([[1, 1, 2], [3, 4, 1], [255, 1, 3]])
HAND_PRECIP = np.array([[1000.0, 800.0, 900.0], [800.0, 800.0, 100.0], [500.0, 0.0, 700.0]])
HAND_ET0 = np.array([[1000.0, 800.0, 1200.0], [1000.0, 1000.0, 100.0], [900.0, 900.0, 900.0]])
HAND_DEPTH = np.array([[1000.0, 400.0, 1000.0], [1000.0, 1000.0, 1000.0], [1000.0, 1000.0, 1000.0]])
HAND_PAWC = np.array([[0.3, 0.3, 0.27], [0.3, 0.3, 0.3], [0.3, 0.3, NAN]])
# Expected water yield, Y = (1 - AET/P) P, from the user's guide equations:
#   AWC = min(root restricting depth, root depth) x PAWC, w = min(Z AWC / P + 1.25, 5),
#   vegetated: AET/P = min(PET/P, 1 + PET/P - (1 + (PET/P)^w)^(1/w)),
#   not vegetated: AET = min(Kc ET0, P).
# (0,0) forest: AWC = min(1000, 500) x 0.3 = 150; w = 5 x 150/1000 + 1.25 = 2;
#       PET/P = 750/1000 = 0.75; AET/P = 1.75 - sqrt(1 + 0.5625) = 1.75 - 1.25 = 0.5 -> Y = 500
# (0,1) forest, root restricting depth 400 < root depth 500: AWC = 400 x 0.3 = 120;
#       w = 5 x 120/800 + 1.25 = 2; PET/P = 600/800 = 0.75 -> AET/P = 0.5 -> Y = 400
#       (had root depth been used: AWC = 150, w = 2.1875, Y = 372.53)
# (0,2) cropland: AWC = 500 x 0.27 = 135; w = 5 x 135/900 + 1.25 = 2; PET/P = 1200/900 = 4/3;
#       AET/P = 7/3 - sqrt(1 + 16/9) = 7/3 - 5/3 = 2/3 -> AET = 600, Y = 300
# (1,0) built-up: PET = 0.5 x 1000 = 500 < P = 800 -> AET = 500, Y = 300
# (1,1) water: PET = 1.2 x 1000 = 1200 > P = 800 -> AET = 800, Y = 0
# (1,2) forest, w capped: w = 5 x 150/100 + 1.25 = 8.75 -> 5; PET/P = 75/100 = 0.75;
#       AET/P = 1.75 - (1 + 0.75^5)^(1/5) = 1.75 - 1.2373046875^0.2 = 1.75 - 1.0435069157
#       = 0.7064930843 -> Y = 29.35069157
# (2,0) land-use nodata -> nodata
# (2,1) P = 0 -> nodata (InVEST's valid_mask drops precip == 0)
# (2,2) built-up with PAWC nodata -> nodata (InVEST's valid_mask is shared by all classes)
HAND_YIELD = np.array([[500.0, 400.0, 300.0], [300.0, 0.0, 29.35069157244365], [NAN, NAN, NAN]])
HAND_AET = np.array([[500.0, 400.0, 600.0], [500.0, 800.0, 70.64930842755635], [NAN, NAN, NAN]])


def _grid(shape: tuple[int, int], res: float = 100.0) -> GridSpec:
    return GridSpec.from_crs(CHINA_ALBERS, Affine(res, 0, 0, 0, -res, 5_000_000.0), shape)


def _inputs(land_use: np.ndarray, precip: np.ndarray, et0: np.ndarray, depth: np.ndarray,
            pawc: np.ndarray, table: pd.DataFrame, z: float, **extra: Any) -> dict[str, Any]:
    grid = _grid(land_use.shape)
    return {
        "land_use": from_array(land_use, grid, name="land_use", units=None, nodata=255),
        "precipitation": from_array(precip, grid, name="precipitation", units="mm/yr"),
        "et0": from_array(et0, grid, name="et0", units="mm/yr"),
        "root_restricting_depth": from_array(depth, grid, name="root_restricting_depth", units="mm"),
        "plant_available_water": from_array(pawc, grid, name="plant_available_water", units=""),
        "biophysical_table": table,
        "seasonality_z": z,
        **extra,
    }


def _hand_inputs(**extra: Any) -> dict[str, Any]:
    return _inputs(HAND_LAND_USE, HAND_PRECIP, HAND_ET0, HAND_DEPTH, HAND_PAWC, HAND_TABLE, 5.0,
                   **extra)


def test_hand_worked_cells() -> None:
    out = run(_hand_inputs())
    np.testing.assert_allclose(out["water_yield"].values, HAND_YIELD, rtol=1e-12)
    np.testing.assert_allclose(out["aet"].values, HAND_AET, rtol=1e-12)
    np.testing.assert_allclose(out["aet_fraction"].values, HAND_AET / HAND_PRECIP, rtol=1e-12)


def test_hand_worked_table_for_the_whole_grid() -> None:
    table = run(_hand_inputs())["watershed_results"].compute()
    assert len(table) == 1
    row = table.iloc[0]
    assert row["ws_id"] == "all"
    # precip_mn: mean over cells with precipitation (all 9, the 0 included, as InVEST's
    # zonal statistics of the precipitation raster): 5600 / 9
    assert row["precip_mn"] == pytest.approx(5600 / 9)
    # PET_mn: Kc x ET0 wherever land use and ET0 exist (8 cells):
    # 750 + 600 + 1200 + 500 + 1200 + 75 + 0.75 x 900 + 0.5 x 900 = 5450
    assert row["PET_mn"] == pytest.approx(5450 / 8)
    valid = ~np.isnan(HAND_YIELD)
    assert row["wyield_mn"] == pytest.approx(HAND_YIELD[valid].mean())
    assert row["AET_mn"] == pytest.approx(HAND_AET[valid].mean())
    # 100 m cells on an equal-area projection: 10 000 m² each; mm -> m is 1e-3
    assert row["wyield_vol"] == pytest.approx(HAND_YIELD[valid].sum() * 1e-3 * 10_000)
    assert (row["num_pixels"], row["valid_pixels"]) == (9, 6)
    assert row["area_m2"] == pytest.approx(90_000)


def test_invest_fractp_reference_values() -> None:
    """natcap/invest tests/test_annual_water_yield.py::test_fractp_op (numbers InVEST's own
    regression test expects from ``fractp_op``, float32)."""
    kc = np.array([[1, 0.1, 0.1], [0.6, 0.6, 0.1]])
    eto = np.array([[1000, 900, 900], [1100, 1005, 1000]])
    precip = np.array([[100, 1000, 10], [500, 800, 1100]])
    root = np.array([[99, 300, 400], [5, 500, 800]])
    soil = np.array([[600, 700, 700], [800, 900, 600]])
    pawc = np.array([[0.11, 0.11, 0.12], [0.55, 0.55, 0.19]])
    veg = np.array([[1, 1, 0], [0, 1, 0]])
    expected = np.array([[0.9345682, 0.06896508, 1.0], [1.0, 0.6487423, 0.09090909]],
                        dtype=np.float32)
    fraction = kernels.aet_fraction(precip, eto, kc, veg, root, soil, pawc, 6)
    np.testing.assert_allclose(fraction.astype(np.float32), expected, rtol=1e-6)


def _users_guide_numpy(precip: np.ndarray, et0: np.ndarray, kc: np.ndarray, veg: np.ndarray,
                       root: np.ndarray, depth: np.ndarray, pawc: np.ndarray,
                       z: float) -> np.ndarray:
    """Water yield (mm/yr) written directly from the user's-guide equations (Sharp et al. 2020,
    Annual Water Yield, "How it works"), independently of ecociv's kernels."""
    pet = kc * et0
    awc = np.minimum(depth, root) * pawc
    omega = np.minimum(z * awc / precip + 1.25, 5.0)
    dryness = pet / precip
    budyko = 1 + dryness - (1 + dryness**omega) ** (1 / omega)
    aet = np.where(veg == 1, np.minimum(dryness, budyko) * precip, np.minimum(pet, precip))
    return precip - aet


def test_run_matches_independent_users_guide_transcription() -> None:
    rng = np.random.default_rng(20200601)
    shape = (10, 10)
    table = pd.DataFrame({"lucode": [1, 2, 3, 4], "lulc_veg": [1, 1, 0, 1],
                          "root_depth": [3000.0, 700.0, 100.0, 1500.0],
                          "kc": [1.0, 0.65, 0.2, 0.9]})
    land_use = rng.integers(1, 5, shape)
    precip = rng.uniform(50, 2500, shape)
    et0 = rng.uniform(300, 1800, shape)
    depth = rng.uniform(0, 4000, shape)
    pawc = rng.uniform(0, 0.4, shape)
    z = 9.3
    out = run(_inputs(land_use, precip, et0, depth, pawc, table, z))
    lookup = table.set_index("lucode")
    expected = _users_guide_numpy(
        precip, et0, lookup["kc"].to_numpy()[land_use - 1],
        lookup["lulc_veg"].to_numpy()[land_use - 1], lookup["root_depth"].to_numpy()[land_use - 1],
        depth, pawc, z)
    np.testing.assert_allclose(out["water_yield"].values, expected, rtol=1e-10, atol=1e-9)


def _reference_cell(cell: tuple[Any, ...], z: float) -> float:
    """AET/P of one cell, naive pure Python from the user's guide / InVEST ``fractp_op``."""
    p, et0, kc, veg, root, depth, pawc = cell
    if p == 0 or any(math.isnan(v) for v in (p, et0, kc, root, depth, pawc)):
        return math.nan
    pet = kc * et0
    if not veg:
        return min(pet, p) / p
    awc = min(depth, root) * pawc
    w = min(z * awc / p + 1.25, 5.0)
    phi = pet / p
    return min(phi, 1 + phi - (1 + phi**w) ** (1 / w))


_CELL = st.tuples(
    st.floats(0.01, 20000),   # precipitation, mm/yr
    st.floats(0, 5000),       # ET0, mm/yr
    st.floats(0, 3),          # Kc
    st.booleans(),            # lulc_veg
    st.floats(0, 10000),      # root depth, mm
    st.floats(0, 10000),      # root restricting depth, mm
    st.floats(0, 1),          # PAWC
)


@given(cells=st.lists(_CELL, min_size=1, max_size=30), z=st.floats(0.001, 100))
def test_kernel_matches_naive_reference_and_bounds(cells: list[tuple[Any, ...]], z: float) -> None:
    p, et0, kc, veg, root, depth, pawc = (np.array(c, dtype=np.float64) for c in zip(*cells,
                                                                                 strict=True))
    fraction = kernels.aet_fraction(p, et0, kc, veg, root, depth, pawc, z)
    aet = kernels.actual_et(fraction, p)
    wyield = kernels.water_yield(fraction, p)
    pet = kc * et0
    for i, cell in enumerate(cells):
        expected = _reference_cell(cell, z)
        scale = max(p[i], pet[i])
        assert math.isclose(aet[i], expected * p[i], rel_tol=1e-9, abs_tol=1e-9 * scale)
        assert math.isclose(wyield[i], (1 - expected) * p[i], rel_tol=1e-9, abs_tol=1e-9 * scale)
    assert np.all(aet >= 0)
    assert np.all(aet <= p)
    # AET = (PET/P) x P may exceed PET by a rounding error (relative 1e-16, or subnormal PET)
    assert np.all(aet <= pet * (1 + 1e-12) + 1e-12)
    assert np.all(wyield <= p)
    assert np.all(wyield >= 0)


@given(phi=st.floats(0, 1e12), omega=st.floats(1.25, 5))
def test_fu_curve_stays_between_its_limits(phi: float, omega: float) -> None:
    ratio = float(kernels.fu_aet_ratio(phi, omega))
    assert 0 <= ratio <= min(1.0, phi) * (1 + 1e-12)


def test_extremely_dry_cells_stay_bounded() -> None:
    # PET/P = 1e303: the literal form would be inf - inf; AET/P tends to 1
    fraction = kernels.aet_fraction(np.array([1e-300, 1e-3]), 1000.0, 1.0, 1.0, 500.0, 500.0,
                                    0.2, 5.0)
    assert np.all(np.isfinite(fraction))
    np.testing.assert_allclose(fraction, 1.0, rtol=1e-9)


def test_zero_precipitation_and_nodata_give_nodata() -> None:
    fraction = kernels.aet_fraction(np.array([0.0, NAN, 500, 500, 500]), np.array([900, 900, NAN,
                                    900, 900]), 0.8, np.array([0, 1, 1, NAN, 0]), 300.0,
                                    np.array([400, 400, 400, 400, NAN]), 0.2, 5.0)
    assert np.all(np.isnan(fraction))


def test_omega_is_capped_at_five() -> None:
    omega = kernels.budyko_omega(np.array([0.0, 150.0, 1e6]), np.array([1000.0, 1000.0, 1.0]), 5)
    np.testing.assert_allclose(omega, [1.25, 2.0, 5.0])


def test_run_is_lazy_on_dask_chunks() -> None:
    inputs = _hand_inputs()
    chunked = {k: (v.chunk({"y": 2}) if hasattr(v, "chunk") and k != "biophysical_table" else v)
               for k, v in inputs.items()}
    out = run(chunked)
    for name in ("water_yield", "aet", "aet_fraction"):
        assert isinstance(out[name].data, da.Array), name
        assert out[name].data.chunks[0] == (2, 1)
    np.testing.assert_allclose(out["water_yield"].values, HAND_YIELD, rtol=1e-12)
    table = out["watershed_results"].compute()
    assert table.iloc[0]["valid_pixels"] == 6


def test_seasonality_z_must_be_positive(tmp_path) -> None:
    from ecociv.execute import run_in_memory

    with pytest.raises(InputError, match=r"parameter 'seasonality_z'.*must be greater than 0"):
        run_in_memory(MODEL, _inputs(HAND_LAND_USE, HAND_PRECIP, HAND_ET0, HAND_DEPTH, HAND_PAWC,
                                     HAND_TABLE, 0.0), tmp_path / "out")


def test_example_runs() -> None:
    out = MODEL.run(MODEL.example())
    assert set(out) == {"water_yield", "aet", "aet_fraction", "watershed_results"}
    assert out["watershed_results"].compute()["valid_pixels"].iloc[0] == 8


def _random_case(seed: int, shape: tuple[int, int], codes: list[int]) -> dict[str, Any]:
    """Random inputs with every kind of missing value: land-use nodata and a code missing from
    the table, NaN in each raster, P = 0, PET/P on both sides of 1, ω capped and not."""
    rng = np.random.default_rng(seed)
    land_use = rng.choice(np.array([*codes, 255, 77]), size=shape).astype(np.float64)
    precip = rng.uniform(0.5, 1500, shape)
    precip[rng.random(shape) < 0.05] = 0.0
    rasters = {"precipitation": precip, "et0": rng.uniform(0, 2500, shape),
               "root_restricting_depth": rng.uniform(0, 3000, shape),
               "plant_available_water": rng.uniform(0, 0.5, shape)}
    for values in rasters.values():
        values[rng.random(shape) < 0.05] = np.nan
    table = pd.DataFrame({"lucode": codes, "lulc_veg": [1, 0, 1, 0][: len(codes)],
                          "root_depth": [2500.0, 10.0, 300.0, 0.0][: len(codes)],
                          "kc": [0.9, 0.3, 1.1, 1.2][: len(codes)]})
    return {"land_use": land_use, "table": table, **rasters}


def _numpy_reference(case: dict[str, Any], z: Any) -> dict[str, np.ndarray]:
    """AET/P, AET and yield by the NumPy kernels (searchsorted reclassification)."""
    table = case["table"].set_index("lucode")
    codes = case["land_use"]
    rows = [np.where(codes == code, 1.0, np.nan) for code in table.index]
    pick = {column: np.nansum([r * table.loc[code, column] for r, code in zip(rows, table.index,
                                                                              strict=True)], 0)
            for column in ("kc", "lulc_veg", "root_depth")}
    known = np.isin(codes, table.index)
    kc, veg, root = (np.where(known, pick[c], np.nan) for c in ("kc", "lulc_veg", "root_depth"))
    fraction = kernels.aet_fraction(case["precipitation"], case["et0"], kc, veg, root,
                                    case["root_restricting_depth"],
                                    case["plant_available_water"], z)
    return {"aet_fraction": fraction, "aet": kernels.actual_et(fraction, case["precipitation"]),
            "water_yield": kernels.water_yield(fraction, case["precipitation"]), "pet": kc *
            case["et0"]}


@pytest.mark.parametrize("codes", [[1, 2, 3, 4], [3, 70_000, 200_000]])
@pytest.mark.parametrize("with_z_map", [False, True])
def test_compiled_pass_matches_numpy_kernels_on_chunks(codes: list[int], with_z_map: bool) -> None:
    """The compiled per-block loop (``loops.budyko_block``, dense lookup table for codes 1-4, a
    binary search for codes spread over 200 000) against the NumPy kernels cell by cell, on
    uneven dask chunks, and its watershed sums against sums of those arrays."""
    shape = (23, 31)
    case = _random_case(7, shape, codes)
    grid = _grid(shape)
    z_cells = np.random.default_rng(3).uniform(0.5, 30, shape)
    z_cells[::4] = np.nan  # no value: the scalar Z applies
    inputs = {
        "land_use": from_array(case["land_use"], grid, name="land_use", units=None),
        **{name: from_array(case[name], grid, name=name) for name in
           ("precipitation", "et0", "root_restricting_depth", "plant_available_water")},
        "biophysical_table": case["table"], "seasonality_z": 4.0,
    }
    if with_z_map:
        inputs["seasonality_z_map"] = from_array(z_cells, grid, name="seasonality_z_map")
    chunked = {k: (v.chunk({"y": 7, "x": 12}) if hasattr(v, "chunk") and k != "biophysical_table"
                   else v) for k, v in inputs.items()}
    out = run(chunked)
    z = np.where(np.isnan(z_cells), 4.0, z_cells) if with_z_map else 4.0
    expected = _numpy_reference(case, z)
    assert np.isnan(expected["water_yield"]).sum() > 50  # nodata of every kind is exercised
    for name in ("aet_fraction", "aet", "water_yield"):
        ours = out[name].values
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected[name]), err_msg=name)
        np.testing.assert_allclose(ours, expected[name], rtol=1e-12, atol=1e-12, err_msg=name)
    table = out["watershed_results"].compute().iloc[0]
    wy, pet, precip = expected["water_yield"], expected["pet"], case["precipitation"]
    assert table["valid_pixels"] == (~np.isnan(wy)).sum()
    assert table["num_pixels"] == wy.size
    assert table["wyield_mn"] == pytest.approx(np.nanmean(wy), rel=1e-12)
    assert table["AET_mn"] == pytest.approx(np.nanmean(expected["aet"]), rel=1e-12)
    assert table["PET_mn"] == pytest.approx(np.nanmean(pet), rel=1e-12)
    assert table["precip_mn"] == pytest.approx(np.nanmean(precip), rel=1e-12)
    assert table["wyield_vol"] == pytest.approx(np.nansum(wy) * 1e-3 * 100.0**2, rel=1e-12)
    assert table["area_m2"] == pytest.approx(wy.size * 100.0**2, rel=1e-12)


def _loop_block(case: dict[str, Any], z: float, zones: np.ndarray,
                n_zones: int) -> tuple[np.ndarray, ...]:
    """``loops.budyko_block`` on one in-memory block (cell areas of 1 m²)."""
    from ecociv.models.water_yield import loops
    from ecociv.models.water_yield.fused import SUM_ROWS, Table

    table = Table.from_frame(case["table"])
    shape = case["land_use"].shape
    fraction, aet, wyield = (np.empty(shape) for _ in range(3))
    sums = np.zeros((len(SUM_ROWS), n_zones + 1))
    loops.budyko_block(case["land_use"], case["precipitation"], case["et0"],
                       case["root_restricting_depth"], case["plant_available_water"],
                       case["precipitation"], False, z, table.keys, table.dense, table.first,
                       table.kc, table.veg, table.root, zones, np.ones((shape[0], 1)), 1.0,
                       np.empty((0, 0)), np.empty((0, 0)), fraction, aet, wyield, sums)
    return fraction, aet, wyield, sums


def test_compiled_pass_edge_cells_and_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled loop, whose Fu curve goes to NumPy's vectorised functions for ordinary
    vegetated cells and stays in the loop for the others (φ = 0 or ∞, P < 0, negative water
    content so ω < 1.25), against the NumPy kernels cell by cell; a block done
    one row per round gives the same cells and sums as in one round."""
    from ecociv.models.water_yield import loops

    case = _random_case(5, (6, 40), [1, 2, 3, 4])
    precip, et0, pawc = (case[k] for k in ("precipitation", "et0", "plant_available_water"))
    case["land_use"][:, :12] = 1  # vegetated, root depth 2500 mm
    for column, (p, e, w) in enumerate([(1e-310, 900.0, 0.2), (500.0, 0.0, 0.2),
                                        (-300.0, 800.0, 0.2), (700.0, 900.0, -0.4),
                                        (800.0, 800.0, 0.2), (1e-3, 900.0, 0.2),
                                        (900.0, 1e-9, 0.3), (1.0, 1e9, 0.3),
                                        (400.0, 2000.0, 0.0), (1000.0, 999.0, 0.5),
                                        (1000.0, 1111.2, 0.5), (300.0, 350.0, 1e9)]):
        precip[:, column], et0[:, column], pawc[:, column] = p, e, w
    zones = np.random.default_rng(2).integers(0, 3, case["land_use"].shape).astype(np.int32)
    fraction, aet, wyield, sums = _loop_block(case, 5.0, zones, 2)
    with np.errstate(over="ignore"):  # P = 1e-310: PET/P and Z·AWC/P overflow to ∞
        expected = _numpy_reference(case, 5.0)
    for name, ours in (("aet_fraction", fraction), ("aet", aet), ("water_yield", wyield)):
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected[name]), err_msg=name)
        np.testing.assert_allclose(ours, expected[name], rtol=1e-12, atol=1e-12, err_msg=name)
    assert case["land_use"][0, 0] == 1 and fraction[0, 0] == 1.0  # PET/P = ∞: AET/P = 1
    for zone in range(3):
        in_zone = zones == zone
        wy = wyield[in_zone]
        assert sums[0, zone] == pytest.approx(np.nansum(wy), rel=1e-13)
        assert sums[5, zone] == np.count_nonzero(~np.isnan(wy))
        assert sums[9, zone] == in_zone.sum()
    monkeypatch.setattr(loops, "_ROUND_CELLS", 40)  # one row per round
    for ours, by_rows in zip((fraction, aet, wyield, sums), _loop_block(case, 5.0, zones, 2),
                             strict=True):
        np.testing.assert_array_equal(by_rows, ours)


def test_compiled_pass_sums_per_watershed_with_true_cell_areas() -> None:
    """Two watersheds on a UTM grid (cell areas vary along rows): per-watershed sums equal sums
    of the NumPy kernels' yield over the cells whose centre is in each polygon, the volume with
    the grid's own cell areas."""
    import geopandas as gpd
    from shapely.geometry import box

    shape = (40, 50)
    case = _random_case(11, shape, [1, 2, 3, 4])
    grid = GridSpec.from_crs("EPSG:32645", Affine(1000.0, 0, 300_000.0, 0, -1000.0, 4_900_000.0),
                             shape)
    inputs = {
        "land_use": from_array(case["land_use"], grid, name="land_use", units=None),
        **{name: from_array(case[name], grid, name=name) for name in
           ("precipitation", "et0", "root_restricting_depth", "plant_available_water")},
        "biophysical_table": case["table"], "seasonality_z": 6.0,
        # west half (cols 0-24) and the east part from col 30 on; cols 25-29 in no watershed
        "watersheds": gpd.GeoDataFrame({"ws_id": [5, 9]}, geometry=[
            box(300_000, 4_860_000, 325_000, 4_900_000), box(330_000, 4_860_000, 350_000,
                                                             4_900_000)], crs="EPSG:32645"),
    }
    chunked = {k: (v.chunk({"y": 16, "x": 32}) if hasattr(v, "chunk") and k not in
                   ("biophysical_table", "watersheds") else v) for k, v in inputs.items()}
    table = run(chunked)["watershed_results"].compute().set_index("ws_id")
    table.index = table.index.astype(int)
    wy = _numpy_reference(case, 6.0)["water_yield"]
    area = grid.cell_area_m2()
    assert area.shape == shape and area.std() > 0
    assert grid.cell_area_factors(0, 40, 0, 50) is not None  # the loop forms the areas itself
    for ws_id, cols in ((5, slice(0, 25)), (9, slice(30, 50))):
        part, cells = wy[:, cols], area[:, cols]
        ok = ~np.isnan(part)
        row = table.loc[ws_id]
        assert row["num_pixels"] == part.size and row["valid_pixels"] == ok.sum()
        assert row["wyield_mn"] == pytest.approx(part[ok].mean(), rel=1e-12)
        assert row["wyield_vol"] == pytest.approx((part[ok] * 1e-3 * cells[ok]).sum(), rel=1e-12)
        assert row["area_m2"] == pytest.approx(cells.sum(), rel=1e-12)


def test_each_block_is_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The three rasters and the table come from one evaluation of each block: computing them
    together calls the compiled loop once per chunk (2 × 2 chunks here), not once per output."""
    from ecociv.grid.write import compute_in_order
    from ecociv.models.water_yield import loops

    calls: list[tuple[int, ...]] = []
    original = loops.budyko_block

    def counting(*args: Any) -> None:
        calls.append(args[0].shape)
        original(*args)

    monkeypatch.setattr(loops, "budyko_block", counting)
    inputs = _hand_inputs()
    chunked = {k: (v.chunk({"y": 2, "x": 2}) if hasattr(v, "chunk") and k != "biophysical_table"
                   else v) for k, v in inputs.items()}
    out = run(chunked)
    compute_in_order(out["water_yield"].data, out["aet"].data, out["aet_fraction"].data,
                     *out["watershed_results"].arrays)
    assert sorted(calls) == [(1, 1), (1, 2), (2, 1), (2, 2)]
