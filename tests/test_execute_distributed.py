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
