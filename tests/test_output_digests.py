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


@pytest.mark.parametrize("memory_mb", ["0", "64"])  # through a tiled file; from memory
def test_cogs_hashed_as_written_have_the_digest_of_their_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, memory_mb: str) -> None:
    # write_rasters hashes the COGs ecociv assembles as it writes them when ``written`` is
    # file_digest, which then finds the digest without reading the file: it must be hashlib's
    # BLAKE2b-128 of the file's bytes, recorded for the file's state after writing
    from ecociv.io import hashing

    monkeypatch.setenv(write.MEMORY_ENV, memory_mb)
    monkeypatch.setenv("ECOCIV_DIGEST_CACHE", "off")
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(30.0, 0, 0, 0, -30.0, 5_000_000), (304, 2112))
    rng = np.random.default_rng(7)
    read_back: list[Path] = []
    original = hashing._hash_file
    monkeypatch.setattr(hashing, "_hash_file",
                        lambda path: read_back.append(path) or original(path))
    for _ in range(2):  # the second time over the first files: digests of their new states
        items = []
        for k in (1, 2):
            values = rng.gamma(2.0, 40.0, grid.shape)
            values[rng.random(grid.shape) < 0.1] = np.nan
            items.append((from_array(values, grid, name=f"r{k}"), tmp_path / f"r{k}.tif",
                          write.RasterMeta(units="mm", long_name=f"r{k}", model_id="m",
                                           output_id=f"r{k}")))
        write.write_rasters(items, grid, written=hashing.file_digest)
        for _, path, _ in items:
            expected = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
            assert hashing.file_digest(path) == expected
        assert read_back == []  # found, not read


def test_a_digest_is_not_remembered_for_a_file_changed_after_writing(tmp_path: Path) -> None:
    from ecociv.io import hashing

    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    state = path.stat()
    path.write_bytes(b"abcd")  # another state: size (and ctime) differ
    assert not hashing.remember_digest(path, state, "0" * 32)
    assert hashing.file_digest(path) == hashlib.blake2b(b"abcd", digest_size=16).hexdigest()
