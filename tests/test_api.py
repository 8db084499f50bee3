"""The Python API (``ecociv.run_model``, ``load_scenario``, ``run_scenario``): inputs of every
kind, the same checks and files as ``ecociv model run``, outputs in memory. The carbon model's
3×3 example (100 m cells, codes 1 = 66.5 t/ha and 2 = 45 t/ha, see tests/test_execute_run.py)
gives the expected values."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray
from affine import Affine
from shapely.geometry import box

import ecociv
from ecociv.errors import InputError
from ecociv.execute import run_model as run_files
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.models.carbon.model import MODEL as CARBON

from .conftest import RasterMaker

TRANSFORM = Affine(100.0, 0, 0, 0, -100.0, 5_000_000.0)
CODES = np.array([[1, 1, 2], [2, 2, 2], [1, 2, 255]], dtype=np.uint8)
POOLS = pd.DataFrame({"lucode": [1, 2], "c_above": [5.0, 2.0], "c_below": [1.0, 3.0],
                      "c_soil": [60.0, 40.0], "c_dead": [0.5, 0.0]})
#: 3 cells of 66.5 t/ha and 5 of 45 t/ha, 1 ha each
TOTAL_T = 3 * 66.5 + 5 * 45.0


def test_import_ecociv_does_not_import_the_api() -> None:
    code = "import sys, ecociv; print('ecociv.api' in sys.modules, 'xarray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
    assert ecociv.run_model is ecociv.api.run_model
    with pytest.raises(AttributeError, match="no attribute 'run_modle'"):
        ecociv.run_modle  # noqa: B018


def test_numpy_arrays_with_crs_and_transform() -> None:
    result = ecociv.run_model("carbon", crs=CHINA_ALBERS, transform=TRANSFORM,
                              nodata={"land_use": 255}, land_use=CODES, carbon_pools=POOLS)
    density = result["carbon_density"]
    expected = np.where(CODES == 1, 66.5, np.where(CODES == 2, 45.0, np.nan))
    np.testing.assert_allclose(density.values, expected)
    assert density.rio.crs is not None and density.rio.transform() == TRANSFORM
    assert float(result["carbon_totals"]["carbon_baseline_t"].sum()) == pytest.approx(TOTAL_T)
    assert set(result) == {"carbon_density", "carbon_totals"}
    manifest = result.manifest
    assert manifest["outputs"]["carbon_density"]["units"] == "t/ha"
    assert manifest["grid"]["shape"] == [3, 3]


def test_numpy_array_needs_crs_and_transform() -> None:
    with pytest.raises(InputError, match=r"input 'land_use': a numpy array needs crs= and "
                       r"transform="):
        ecociv.run_model("carbon", land_use=CODES, carbon_pools=POOLS)


def test_save_writes_what_the_command_line_writes(tmp_path: Path, make_raster: RasterMaker
                                                   ) -> None:
    land_use = make_raster(CODES, "land_use", res=100, nodata=255)
    pools = tmp_path / "pools.csv"
    POOLS.to_csv(pools, index=False)
    result = ecociv.run_model("carbon", land_use=land_use, carbon_pools=pools)
    saved = result.save(tmp_path / "api")
    cli = run_files(CARBON, {"land_use": land_use, "carbon_pools": pools}, None, tmp_path / "cli")
    assert sorted(p.name for p in (tmp_path / "api").iterdir()) == sorted(
        p.name for p in (tmp_path / "cli").iterdir())
    assert saved["outputs"] == cli["outputs"]
    assert saved["inputs"] == cli["inputs"]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "api" / "carbon_totals.csv"),
                                  pd.read_csv(tmp_path / "cli" / "carbon_totals.csv"))
    on_disk = json.loads((tmp_path / "api" / "manifest.json").read_text())
    assert on_disk["model"]["id"] == "carbon"


def test_rioxarray_raster_and_geodataframe_zones(tmp_path: Path, make_raster: RasterMaker) -> None:
    path = make_raster(CODES, "land_use", res=100, nodata=255)
    land_use = rioxarray.open_rasterio(path)  # dims (band, y, x), nodata 255 declared
    # two zones: the left column (3 cells: 1, 2, 1) and the rest, in EPSG:4326 to be reprojected
    zones = gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[box(0, 4_999_700, 100, 5_000_000), box(100, 4_999_700, 300, 5_000_000)],
        crs=CHINA_ALBERS).to_crs("EPSG:4326")
    result = ecociv.run_model("carbon", land_use=land_use, carbon_pools=POOLS, zones=zones,
                              zone_field="name")
    totals = result["carbon_totals"].set_index("zone")["carbon_baseline_t"]
    assert totals["west"] == pytest.approx(2 * 66.5 + 45.0, rel=1e-6)
    assert totals["east"] == pytest.approx(66.5 + 4 * 45.0, rel=1e-6)
    assert any("reprojected" in note for note in result.notes)


def test_bad_inputs_are_refused_as_by_the_command_line() -> None:
    pools = POOLS.copy()
    pools.loc[0, "c_soil"] = -1.0
    with pytest.raises(InputError, match=r"table 'carbon_pools' \(in memory\): row 0, column "
                       r"'c_soil': value -1 t/ha out of range"):
        ecociv.run_model("carbon", crs=CHINA_ALBERS, transform=TRANSFORM,
                         nodata={"land_use": 255}, land_use=CODES, carbon_pools=pools)
    with pytest.raises(InputError, match=r"code\(s\) \[7\] not found in carbon_pools.lucode"):
        ecociv.run_model("carbon", crs=CHINA_ALBERS, transform=TRANSFORM,
                         nodata={"land_use": 255}, land_use=np.where(CODES == 2, 7, CODES),
                         carbon_pools=POOLS)
    with pytest.raises(InputError, match=r"has no input 'land_uses' \(did you mean 'land_use'\?\)"):
        ecociv.run_model("carbon", land_uses=CODES, carbon_pools=POOLS)
    with pytest.raises(InputError, match=r"not a coordinate reference system"):
        ecociv.run_model("carbon", crs="EPSG:nope", transform=TRANSFORM, land_use=CODES,
                         carbon_pools=POOLS)


def test_unknown_model_and_unknown_output() -> None:
    with pytest.raises(Exception, match=r"no model with id 'carbn'.*did you mean 'carbon'"):
        ecociv.run_model("carbn")
    result = ecociv.run_model("carbon", crs=CHINA_ALBERS, transform=TRANSFORM,
                              nodata={"land_use": 255}, land_use=CODES, carbon_pools=POOLS)
    with pytest.raises(KeyError, match="no output 'density'"):
        result["density"]


def test_parameters_with_units(tmp_path: Path) -> None:
    from ecociv.models.water_yield.model import MODEL as WATER_YIELD
    from ecociv.units import ureg

    values = dict(WATER_YIELD.example())
    values["seasonality_z"] = 5 * ureg.dimensionless
    result = ecociv.run_model("water_yield", **values)
    assert result.manifest["params"]["seasonality_z"] == 5.0
    values["seasonality_z"] = 5 * ureg.mm
    with pytest.raises(InputError, match="parameter 'seasonality_z'"):
        ecociv.run_model("water_yield", **values)


@pytest.mark.parametrize("model_id", sorted(__import__("ecociv.registry").registry.all_models()))
def test_every_model_runs_from_python_on_its_example(model_id: str) -> None:
    from ecociv.registry import get_model

    model = get_model(model_id)
    result = ecociv.run_model(model_id, **model.example())
    required = {o.id for o in model.spec.outputs if not o.optional}
    assert required <= set(result)
    for output in model.spec.outputs:
        if output.id in result and output.type == "raster":
            assert result[output.id].rio.crs is not None


def test_multiband_outputs_are_named_and_saved(tmp_path: Path) -> None:
    from ecociv.registry import get_model

    model = get_model("habitat_quality")
    result = ecociv.run_model("habitat_quality", **model.example())
    by_threat = result["degradation_by_threat"]
    threats = [str(t).lower() for t in model.example()["threat_table"]["threat"]]
    assert list(by_threat["band_name"].values) == threats
    assert by_threat.attrs["units"] == model.spec.output("degradation_by_threat").units
    result.save(tmp_path / "out")
    import rasterio

    with rasterio.open(tmp_path / "out" / "degradation_by_threat.tif") as src:
        np.testing.assert_allclose(src.read(masked=True).filled(np.nan), by_threat.values,
                                   rtol=1e-6)


def test_a_data_array_without_coordinates_is_placed_by_crs_and_transform() -> None:
    import xarray as xr

    land_use = xr.DataArray(CODES, dims=("y", "x"))
    result = ecociv.run_model("carbon", crs=CHINA_ALBERS, transform=TRANSFORM,
                              nodata={"land_use": 255}, land_use=land_use, carbon_pools=POOLS)
    assert result.grid is not None and result.grid.transform == TRANSFORM
    assert float(result["carbon_totals"]["carbon_baseline_t"].sum()) == pytest.approx(TOTAL_T)
