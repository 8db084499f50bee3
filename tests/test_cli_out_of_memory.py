"""Running out of memory (e.g. under a process memory limit far below the inputs) is reported in
one line with what to do, not a traceback, and leaves no output folder behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecociv.execute.run

from .cli_helper import run_ecociv
from .conftest import RasterMaker
from .test_execute_run import POOLS


def test_memory_error_during_a_run_is_one_line(make_raster: RasterMaker, write_csv, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    land_use = make_raster(np.ones((4, 4), dtype=np.uint8), "lu")
    pools = write_csv("p.csv", POOLS)

    def exhausted(*args: object, **kwargs: object) -> object:
        # what numpy raises when an allocation fails inside a chunk's kernel
        raise MemoryError("Unable to allocate 8.00 MiB for an array with shape (256, 4096)")

    monkeypatch.setattr(ecociv.execute.run, "write_rasters", exhausted)
    out = tmp_path / "out"
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "carbon", "-i",
                              f"land_use={land_use}", "-i", f"carbon_pools={pools}", "-o", str(out))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert lines[0].startswith("error: out of memory (Unable to allocate 8.00 MiB")
    assert "--scheduler" in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))
