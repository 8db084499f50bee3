"""Runs on a ``dask.distributed`` cluster given by address: same outputs as the threaded run
(this pickles the write target and uses the cluster-wide lock of grid/write.py); a bad address
is a clear InputError, quickly."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ecociv.errors import InputError
from ecociv.execute import run_model
from ecociv.grid.spec import GridSpec
from ecociv.models.carbon.model import MODEL as CARBON

from .conftest import RasterMaker
from .test_execute_run import POOLS, assert_same_outputs, big_land_use, outputs_of

distributed = pytest.importorskip("distributed")


def test_local_cluster_run_equals_threaded_run(make_raster: RasterMaker,
                                               write_csv: Callable[[str, str], Path],
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline, scenario = big_land_use()
    sources = {"land_use": make_raster(baseline, "lu", res=100, nodata=255),
               "land_use_scenario": make_raster(scenario, "lus", res=100, nodata=255),
               "carbon_pools": write_csv("p.csv", POOLS)}
    # several chunks, so several workers write windows of the same file
    original = GridSpec.default_chunks
    monkeypatch.setattr(GridSpec, "default_chunks", lambda self, target_cells=0: original(self, 300))
    run_model(CARBON, sources, None, tmp_path / "threads")
    import ecociv.execute.run

    locks: list[bool] = []
    write = ecociv.execute.run.write_rasters

    def spy(*args: Any, **kwargs: Any) -> Any:
        locks.append(kwargs["distributed_lock"])
        return write(*args, **kwargs)

    monkeypatch.setattr(ecociv.execute.run, "write_rasters", spy)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        manifest = run_model(CARBON, sources, None, tmp_path / "cluster", scheduler_address=address)
    assert manifest["scheduler"] == address
    assert locks == [True]  # pickled window targets, cluster-wide lock
    assert_same_outputs(outputs_of(tmp_path / "threads"), outputs_of(tmp_path / "cluster"))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("address", "expected"),
    [("tcp://127.0.0.1:{port}", "cannot connect to the dask scheduler"),
     ("nonsense", "missing host or port; expected an address like tcp://host:8786"),
     ("http://127.0.0.1:8786", "unknown protocol 'http'"),
     ("tcp://127.0.0.1:99999", "bad port")],
)
def test_bad_scheduler_address_fails_fast_and_clearly(tmp_path: Path, make_raster: RasterMaker,
                                                      write_csv: Callable[[str, str], Path],
                                                      address: str, expected: str) -> None:
    import numpy as np

    sources = {"land_use": make_raster(np.ones((2, 2), dtype=np.uint8), "lu"),
               "carbon_pools": write_csv("p.csv", POOLS)}
    address = address.format(port=_closed_port())
    started = time.perf_counter()
    with pytest.raises(InputError) as err:
        run_model(CARBON, sources, None, tmp_path / "out", scheduler_address=address)
    assert time.perf_counter() - started < 5
    assert str(err.value).startswith(f"{address}: ") and expected in str(err.value)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.partial-*"))


def test_scenario_on_a_local_cluster_equals_the_threaded_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``ecociv run SCENARIO --scheduler ADDRESS`` (every raster step of the shipped example:
    water_yield, carbon) on a LocalCluster of 2 worker processes writes the rasters of the
    threaded run cell for cell and the same tables (sums over chunks to 1e-12)."""
    import numpy as np
    import pandas as pd
    import rasterio

    from ecociv.demo import example_scenario

    from .cli_helper import run_ecociv

    monkeypatch.setenv("ECOCIV_DIGEST_CACHE", "off")
    original = GridSpec.default_chunks  # several chunks, so both workers get some
    monkeypatch.setattr(GridSpec, "default_chunks", lambda self, target_cells=0: original(self, 500))
    scenario = str(example_scenario())
    code, _, err = run_ecociv(capsys, monkeypatch, "run", scenario, "--out", str(tmp_path / "threads"),
                              "--no-cache", "--no-maps")
    assert code == 0, err
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        code, _, err = run_ecociv(capsys, monkeypatch, "run", scenario, "--out",
                                  str(tmp_path / "cluster"), "--no-cache", "--no-maps",
                                  "--scheduler", cluster.scheduler_address)
    assert code == 0, err
    threads = next((tmp_path / "threads" / "runs").iterdir())
    cluster_run = next((tmp_path / "cluster" / "runs").iterdir())
    rasters = sorted(p.relative_to(threads) for p in threads.glob("*/*.tif"))
    assert {p.parts[0] for p in rasters} >= {"water_yield", "carbon"}
    assert rasters == sorted(p.relative_to(cluster_run) for p in cluster_run.glob("*/*.tif"))
    for relative in rasters:
        with rasterio.open(threads / relative) as a, rasterio.open(cluster_run / relative) as b:
            assert a.nodata == b.nodata and a.transform == b.transform, relative
            np.testing.assert_array_equal(a.read(), b.read(), err_msg=str(relative))
    tables = sorted(p.relative_to(threads) for p in threads.glob("*/*.csv"))
    assert tables
    for relative in tables:
        pd.testing.assert_frame_equal(pd.read_csv(threads / relative),
                                      pd.read_csv(cluster_run / relative), rtol=1e-12)
    manifest = (cluster_run / "water_yield" / "manifest.json").read_text()
    assert cluster.scheduler_address in manifest
