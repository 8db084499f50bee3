"""``record_output_digests``: every file an output names gets its own BLAKE2b-128 digest, the
files hashed side by side."""

from __future__ import annotations

import hashlib
from pathlib import Path

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
