"""The size check before a run: a small file whose header declares a huge grid is refused at
once, naming the grid, the space its outputs need and the free space."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.grid import size
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore
from ecociv.spec import Model, ModelSpec, ParamInput, RasterInput, RasterOutput
from tests.test_scenario_runner import SCALE
from tests.test_scenario_runner import with_scale as with_scale  # fixture

SIDE = 200_000


@pytest.fixture
def huge_raster(tmp_path: Path) -> Path:
    """A 200 000 × 200 000 float32 GeoTIFF of a few hundred kB: tiled, DEFLATE, no tile written."""
    path = tmp_path / "huge.tif"
    profile = {"driver": "GTiff", "width": SIDE, "height": SIDE, "count": 1, "dtype": "float32",
               "crs": CHINA_ALBERS, "transform": Affine(30, 0, 0, 0, -30, 6_000_000),
               "tiled": True, "blockxsize": 1024, "blockysize": 1024, "compress": "deflate",
               "sparse_ok": True, "nodata": -9999}
    with rasterio.open(path, "w", **profile):
        pass
    assert path.stat().st_size < 1_000_000
    return path


@pytest.fixture
def free_100_gb(monkeypatch: pytest.MonkeyPatch) -> None:
    """The free space of the test machine varies: pretend 100 GB are free."""
    monkeypatch.setattr(size, "_free_bytes", lambda _folder: 100 * 10**9)


def test_output_bytes_counts_cells_bytes_and_bands() -> None:
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, -30, 0), (10, 20))
    # 200 cells × 4 bytes × 1 band + 200 cells × 1 byte × 12 bands = 800 + 2400
    assert size.output_bytes(grid, [("float32", 1), ("uint8", 12)]) == 3200


def test_a_huge_declared_grid_is_refused_before_running(huge_raster: Path, tmp_path: Path,
                                                        free_100_gb: None) -> None:
    out = tmp_path / "out"
    with pytest.raises(InputError) as err:
        run_model(SCALE, {"values": huge_raster}, {}, out)
    message = str(err.value)
    # 200 000² cells × 4 bytes (float32) = 1.6e11 bytes
    assert "200000 × 200000 = 4e+10 cells" in message
    assert "160.0 GB uncompressed" in message and "100.0 GB free" in message
    assert "huge.tif" in message
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))


def test_a_grid_that_fits_runs(tmp_path: Path, make_raster: object, free_100_gb: None) -> None:
    path = make_raster(np.ones((3, 4), dtype="float32"))  # type: ignore[operator]
    manifest = run_model(SCALE, {"values": path}, {"factor": 2.0}, tmp_path / "out")
    assert "scaled" in manifest["outputs"]


def test_a_scenario_on_a_huge_grid_leaves_no_unfinished_run(huge_raster: Path, tmp_path: Path,
                                                           with_scale: None,
                                                           free_100_gb: None) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent("""
        name: huge
        models:
          - {id: scale, name: a, inputs: {values: huge.tif}}
    """))
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(InputError, match=r"160.0 GB uncompressed"):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert list(store.runs_dir.iterdir()) == []


def test_a_scenario_whose_outputs_together_do_not_fit_is_refused_before_its_first_step(
        tmp_path: Path, make_raster: object, with_scale: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_scenario_runner import CALLS

    make_raster(np.ones((100, 100), dtype="float32")).rename(tmp_path / "base.tif")  # type: ignore[operator]
    # each step writes 100 × 100 float32 = 40 kB; both steps 80 kB, more than the 60 kB free
    monkeypatch.setattr(size, "_free_bytes", lambda _folder: 60_000)
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent("""
        name: two
        grid: {reference: base.tif}
        models:
          - {id: scale, name: a, inputs: {values: base.tif}}
          - {id: scale, name: b, inputs: {values: "@a.scaled"}}
    """))
    store = ResultsStore(tmp_path / "store")
    with pytest.raises(InputError, match=r"grid \(base.tif\): .* 100 × 100 .* 2 raster output\(s\) "
                                         r"need up to 80.0 kB .* 60.0 kB free"):
        run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
    assert CALLS == [] and list(store.runs_dir.iterdir()) == []


# --- optional outputs switched off by a bool parameter are not counted ----------------------------

SWITCHED_SPEC = ModelSpec(
    id="switched", title="A raster and an optional 12-band one", version="1", citation="test",
    about="values, and values by month when 'monthly' is true",
    inputs=(RasterInput(id="values", about="values", units=""),
            ParamInput(id="monthly", about="write the monthly raster", units=None, dtype="bool",
                       default=True)),
    outputs=(RasterOutput(id="annual", about="values", units="", long_name="annual"),
             RasterOutput(id="by_month", about="values by month", units="", long_name="by month",
                          bands=12, optional=True, written_if="monthly")),
)
# monthly=true is always refused below before the model runs, so only the annual raster is made
SWITCHED = Model(spec=SWITCHED_SPEC, run=lambda inputs: {"annual": inputs["values"] * 1.0},
                 example=lambda: {})
# 100 × 100 float32 cells: 40 kB annual + 12 × 40 kB monthly = 520 kB; 100 kB are free
FREE = 100_000


@pytest.fixture
def with_switched(monkeypatch: pytest.MonkeyPatch) -> None:
    import ecociv.scenario.runner as runner_module

    real_get_model = runner_module.get_model
    monkeypatch.setattr(runner_module, "get_model",
                        lambda model_id: SWITCHED if model_id == "switched" else real_get_model(model_id))
    monkeypatch.setattr(size, "_free_bytes", lambda _folder: FREE)


@pytest.mark.parametrize("off", [False, "false", "0"])
def test_model_run_does_not_count_an_output_switched_off(tmp_path: Path, make_raster: object,
                                                         with_switched: None, off: object) -> None:
    path = make_raster(np.ones((100, 100), dtype="float32"))  # type: ignore[operator]
    manifest = run_model(SWITCHED, {"values": path}, {"monthly": off}, tmp_path / "out")
    assert "annual" in manifest["outputs"] and "by_month" not in manifest["outputs"]


@pytest.mark.parametrize("params", [{"monthly": True}, {"monthly": "true"}, {}])
def test_model_run_counts_an_output_switched_on_or_by_default(
        tmp_path: Path, make_raster: object, with_switched: None, params: dict[str, object]) -> None:
    path = make_raster(np.ones((100, 100), dtype="float32"))  # type: ignore[operator]
    with pytest.raises(InputError, match=r"its 2 raster output\(s\) need up to 520.0 kB .* "
                                         r"100.0 kB free"):
        run_model(SWITCHED, {"values": path}, params, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("monthly", "fits"), [("false", True), ("true", False)])
def test_scenario_counts_an_optional_output_only_when_its_parameter_is_true(
        tmp_path: Path, make_raster: object, with_switched: None, monthly: str, fits: bool) -> None:
    make_raster(np.ones((100, 100), dtype="float32")).rename(tmp_path / "base.tif")  # type: ignore[operator]
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(f"""
        name: switched
        grid: {{reference: base.tif}}
        models:
          - {{id: switched, name: a, inputs: {{values: base.tif}}, params: {{monthly: {monthly}}}}}
    """))
    store = ResultsStore(tmp_path / "store")
    if fits:
        result = run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
        assert (result.folder / "a" / "annual.tif").is_file()
        assert not (result.folder / "a" / "by_month.tif").exists()
    else:
        with pytest.raises(InputError, match=r"its 2 raster output\(s\) need up to 520.0 kB"):
            run_scenario(load_scenario(path), base_dir=tmp_path, store=store)
        assert list(store.runs_dir.iterdir()) == []


@pytest.mark.parametrize(("model_id", "switch", "switched_off"), [
    ("sand_fixation", "monthly_outputs",
     {"soil_loss_potential_monthly", "soil_loss_actual_monthly", "sand_fixation_monthly"}),
    ("soil_conservation", "factor_outputs", {"rainfall_erosivity", "soil_erodibility", "ls_factor"}),
])
def test_builtin_switches_leave_out_exactly_their_outputs(model_id: str, switch: str,
                                                          switched_off: set[str]) -> None:
    from ecociv.registry import get_model

    spec = get_model(model_id).spec
    every = {o.id for o in spec.outputs if isinstance(o, RasterOutput)}
    assert {o.id for o in size.written_rasters(spec, {})} == every  # default true
    assert {o.id for o in size.written_rasters(spec, {switch: True})} == every
    assert {o.id for o in size.written_rasters(spec, {switch: False})} == every - switched_off
    # a value the loading will refuse is counted (conservative)
    assert {o.id for o in size.written_rasters(spec, {switch: "maybe"})} == every


def test_sand_fixation_at_16000_squared_without_monthly_rasters_needs_a_twelfth() -> None:
    """The case that was refused: 16000² cells, float32 except uint8 saturated_months."""
    from ecociv.registry import get_model

    spec = get_model("sand_fixation").spec
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30, 0, 0, 0, -30, 0), (16_000, 16_000))

    def need(params: dict[str, object]) -> int:
        return size.output_bytes(grid, [(o.dtype, o.bands or 1)
                                        for o in size.written_rasters(spec, params)])

    cells = 16_000 ** 2
    assert need({"monthly_outputs": False}) == cells * (3 * 4 + 1)  # ≈ 3.3 GB
    assert need({}) == cells * (3 * 4 + 1 + 3 * 12 * 4)  # ≈ 40.2 GB, as in the refusal


@pytest.mark.parametrize(("monthly", "code"), [("false", 0), ("true", 2)])
def test_cli_model_run_counts_the_monthly_raster_only_when_switched_on(
        tmp_path: Path, make_raster: object, with_switched: None, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, monthly: str, code: int) -> None:
    import ecociv.registry
    from tests.cli_helper import run_ecociv

    real_get_model = ecociv.registry.get_model
    monkeypatch.setattr(ecociv.registry, "get_model",
                        lambda model_id: SWITCHED if model_id == "switched" else real_get_model(model_id))
    path = make_raster(np.ones((100, 100), dtype="float32"))  # type: ignore[operator]
    out = tmp_path / "out"
    exit_code, stdout, stderr = run_ecociv(capsys, monkeypatch, "model", "run", "switched",
                                           "--input", f"values={path}", "--param",
                                           f"monthly={monthly}", "--out", str(out))
    assert exit_code == code, stderr
    if code == 0:
        assert "wrote 1 output(s)" in stdout and (out / "annual.tif").is_file()
    else:
        assert stderr.startswith("error: ") and len(stderr.strip().splitlines()) == 1
        assert "its 2 raster output(s) need up to 520.0 kB" in stderr and not out.exists()
