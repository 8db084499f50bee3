"""`carbon` with soil organic carbon per cell, IPCC Tier 1 style: SOC = SOC_REF x F_LU x F_MG x F_I
(IPCC 2019 Refinement to the 2006 Guidelines, Vol. 4, Ch. 2, Eq. 2.25; reference stocks in
Ch. 2 Table 2.3, cropland factors in Ch. 5 Table 5.5), worked by hand on tiny rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.models.carbon.kernels import soil_density
from ecociv.registry import get_model

# cropland (1): SOC factor 0.77 = F_LU of long-term cultivated annual cropland, cool temperate dry
# (IPCC 2019 Vol. 4 Table 5.5) x F_MG full tillage 1.0 x F_I medium input 1.0;
# grassland (2): nominally managed, factor 1.0. The c_soil column is the fallback.
POOLS = ("lucode,c_above,c_below,c_soil,c_dead,soc_factor\n"
         "1,5,1,30,0.5,0.77\n"
         "2,0.5,2.5,40,0,1.0\n")


def _read(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).filled(np.nan)


def test_ipcc_tier1_worked_example() -> None:
    # cool temperate dry, HAC soil: SOC_REF 50 t C/ha (IPCC 2019 Vol. 4 Table 2.3); long-term
    # cultivated: 50 x 0.77 x 1.0 x 1.0 = 38.5 t C/ha; unknown reference -> the class's c_soil
    result = soil_density(np.array([50.0, np.nan, 38.0]), np.array([0.77, 0.77, 1.0]),
                          np.array([30.0, 30.0, 40.0]))
    np.testing.assert_allclose(result, [38.5, 30.0, 38.0])


def test_soil_from_reference_raster_and_land_use_change(tmp_path, make_raster, write_csv) -> None:
    # 100 m cells (1 ha); soc_reference: 50 in the left column, 38 in the right, nodata (-1) in
    # the bottom-right cell
    land_use = np.array([[1, 2], [1, 1]], dtype="uint8")
    scenario = np.array([[2, 2], [1, 2]], dtype="uint8")
    reference = np.array([[50.0, 38.0], [50.0, -1.0]], dtype="float32")
    sources = {
        "land_use": make_raster(land_use, "lu", res=100.0, nodata=255),
        "land_use_scenario": make_raster(scenario, "lu2", res=100.0, nodata=255),
        "soc_reference": make_raster(reference, "soc", res=100.0, nodata=-1.0),
        "carbon_pools": write_csv("pools.csv", POOLS),
    }
    out = tmp_path / "out"
    run_model(get_model("carbon"), sources, {}, out)
    soil = _read(out / "soil_carbon_density.tif")
    # cropland 50 x 0.77 = 38.5; grassland 38 x 1.0 = 38; nodata reference -> c_soil 30
    np.testing.assert_allclose(soil, [[38.5, 38.0], [38.5, 30.0]], rtol=1e-6)
    density = _read(out / "carbon_density.tif")
    # + other pools: cropland 5 + 1 + 0.5 = 6.5; grassland 0.5 + 2.5 + 0 = 3
    np.testing.assert_allclose(density, [[45.0, 41.0], [45.0, 36.5]], rtol=1e-6)
    change = _read(out / "carbon_change.tif")
    # top-left cropland -> grassland: (50 + 3) - 45 = +8; bottom-right cropland -> grassland
    # without a reference: (40 + 3) - (30 + 6.5) = +6.5
    np.testing.assert_allclose(change, [[8.0, 0.0], [0.0, 6.5]], rtol=1e-6)
    totals = pd.read_csv(out / "carbon_totals.csv")
    assert totals.loc[0, "carbon_baseline_t"] == pytest.approx(45 + 41 + 45 + 36.5, rel=1e-6)
    assert totals.loc[0, "carbon_change_t"] == pytest.approx(14.5, rel=1e-6)


def test_without_reference_soil_is_the_table_column(tmp_path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1, 2]], dtype="uint8"), "lu", res=100.0)
    out = tmp_path / "out"
    run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": write_csv("p.csv", POOLS)}, {},
              out)
    np.testing.assert_allclose(_read(out / "carbon_density.tif"), [[36.5, 43.0]])
    assert not (out / "soil_carbon_density.tif").exists()  # InVEST semantics, outputs as before


def test_reference_without_factor_column_is_named(tmp_path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1]], dtype="uint8"), "lu")
    soc = make_raster(np.array([[50.0]], dtype="float32"), "soc")
    table = write_csv("p.csv", "lucode,c_above,c_below,c_soil,c_dead\n1,5,1,60,0.5\n")
    with pytest.raises(InputError, match=r"carbon_pools: column 'soc_factor' is missing"):
        run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": table,
                                        "soc_reference": soc}, {}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_negative_reference_stock_is_rejected(tmp_path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1, 1]], dtype="uint8"), "lu")
    soc = make_raster(np.array([[50.0, -3.0]], dtype="float32"), "soc")
    with pytest.raises(InputError, match=r"soc_reference.*cell \(row 0, col 1\).*minimum 0"):
        run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": write_csv("p.csv", POOLS),
                                        "soc_reference": soc}, {}, tmp_path / "out")


def test_negative_factor_is_rejected(tmp_path, make_raster, write_csv) -> None:
    lu = make_raster(np.array([[1]], dtype="uint8"), "lu")
    bad = write_csv("p.csv", "lucode,c_above,c_below,c_soil,c_dead,soc_factor\n1,5,1,60,0.5,-0.2\n")
    with pytest.raises(InputError, match=r"column 'soc_factor'.*expected >= 0"):
        run_model(get_model("carbon"), {"land_use": lu, "carbon_pools": bad}, {}, tmp_path / "out")
