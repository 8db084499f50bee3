"""``record_output_digests``: every file an output names gets its own BLAKE2b-128 digest, the
files hashed side by side; ``write_rasters`` reports each COG once it is complete, so a run
hashes it while the others are written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from ecociv.grid import write
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.io.hashing import record_output_digests


def test_each_output_gets_the_digest_of_its_own_files(tmp_path: Path) -> None:
    contents = {"a.tif": b"a" * 300_000, "b.tif": b"b" * 10, "t.csv": b"x,y\n1,2\n",
                "t.parquet": b"PAR1" * 99}
    for name, data in contents.items():
        (tmp_path / name).write_bytes(data)
    outputs = {"a": {"path": "a.tif"}, "b": {"path": "b.tif", "units": "mm"},
               "t": {"path": "t.csv", "parquet": "t.parquet"}}
    record_output_digests(tmp_path, outputs)
    expected = {name: hashlib.blake2b(data, digest_size=16).hexdigest()
                for name, data in contents.items()}
    assert outputs["a"]["blake2b"] == {"a.tif": expected["a.tif"]}
    assert outputs["b"]["blake2b"] == {"b.tif": expected["b.tif"]}
    assert outputs["t"]["blake2b"] == {"t.csv": expected["t.csv"],
                                       "t.parquet": expected["t.parquet"]}


@pytest.mark.parametrize("memory_mb", ["0", "64"])  # through a tiled file; from memory
def test_written_is_called_once_per_finished_cog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 memory_mb: str) -> None:
    monkeypatch.setenv(write.MEMORY_ENV, memory_mb)
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, 0, 0, -30.0, 5_000_000), (40, 50))
    values = np.arange(2000, dtype=np.float64).reshape(40, 50)
    items = [(from_array(values * k, grid, name=f"r{k}"), tmp_path / f"r{k}.tif",
              write.RasterMeta(units="mm", long_name=f"r{k}", model_id="m", output_id=f"r{k}"))
             for k in (1, 2, 3)]
    seen: dict[str, str] = {}
    write.write_rasters(items, grid, written=lambda path: seen.setdefault(
        path.name, hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()))
    assert seen == {path.name: hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
                    for _, path, _ in items}
