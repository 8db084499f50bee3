"""`ecociv data info`: how many layers and items carry each status, and the illustrative share,
on a small dataset folder counted by hand and on the embedded Belt dataset."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest

from ecociv.errors import InputError
from ecociv.region.catalog import status_counts
from ecociv.region.dataset import STATUSES, load_dataset, packaged_dataset_path
from tests.cli_helper import run_ecociv

SOURCES_HEADER = "file,item,status,units,source,file_in_source,license,citation,processing,resampling\n"


def _folder(tmp_path: Path, sources_rows: str) -> Path:
    root = tmp_path / "mini"
    root.mkdir()
    for name in ("a", "b", "c"):
        (root / f"{name}.csv").write_text("k,x\n1,2\n")
    (root / "dataset.yaml").write_text(textwrap.dedent("""\
        name: mini
        title: three tables
        grid:
          crs: EPSG:3857
          rows: 2
          cols: 3
          transform: [1000.0, 0.0, 0.0, 0.0, -1000.0, 2000.0]
        layers:
        - {id: a, path: a.csv, kind: table, units: '', status: real, long_name: a}
        - {id: b, path: b.csv, kind: table, units: '', status: illustrative, long_name: b}
        - {id: c, path: c.csv, kind: table, units: '', status: calibrated, long_name: c}
        """))
    (root / "sources.csv").write_text(SOURCES_HEADER + sources_rows)
    return root


GOOD_ROWS = ("a.csv,k,metadata,,s,,l,c,p,\n"
             "a.csv,x,real,,s,,l,c,p,\n"
             "b.csv,k,illustrative,,s,,l,c,p,\n"
             "b.csv,x,illustrative,,s,,l,c,p,\n"
             "c.csv,x,calibrated,,s,,l,c,p,\n")


def test_counts_by_hand(tmp_path) -> None:
    counts = status_counts(load_dataset(_folder(tmp_path, GOOD_ROWS)))
    assert set(counts["layers"]) == set(STATUSES)  # every status listed, zeros included
    assert counts["layers"]["real"] == 1 and counts["layers"]["calibrated"] == 1
    assert counts["layers"]["illustrative"] == 1 and sum(counts["layers"].values()) == 3
    assert counts["items"] == {**dict.fromkeys(STATUSES, 0), "metadata": 1, "real": 1,
                               "illustrative": 2, "calibrated": 1}
    # layers: 1 of 3 illustrative; items: 2 of the 4 non-metadata rows
    assert counts["layers_illustrative_share_pct"] == pytest.approx(33.3)
    assert counts["items_illustrative_share_pct"] == pytest.approx(50.0)


def test_only_metadata_has_no_share(tmp_path) -> None:
    root = _folder(tmp_path, "a.csv,k,metadata,,s,,l,c,p,\nb.csv,k,metadata,,s,,l,c,p,\n"
                             "c.csv,k,metadata,,s,,l,c,p,\n")
    assert status_counts(load_dataset(root))["items_illustrative_share_pct"] is None


def test_cli_prints_the_table_and_json(tmp_path, capsys, monkeypatch) -> None:
    root = _folder(tmp_path, GOOD_ROWS)
    code, out, err = run_ecociv(capsys, monkeypatch, "data", "info", "--dataset", str(root))
    assert code == 0, err
    assert "by status" in out and "calibrated" in out and "extent / size" in out
    assert "33.3 % of layers, 50 % of items" in out
    code, out, err = run_ecociv(capsys, monkeypatch, "data", "info", "--dataset", str(root),
                                "--status-counts", "--json")
    assert code == 0, err
    assert json.loads(out) == status_counts(load_dataset(root))
    code, out, err = run_ecociv(capsys, monkeypatch, "data", "info", "--dataset", str(root),
                                "--status-counts")
    assert code == 0, err
    assert "illustrative share" in out and "extent / size" not in out  # counts only


def test_unknown_status_in_sources_is_named(tmp_path, capsys, monkeypatch) -> None:
    root = _folder(tmp_path, GOOD_ROWS.replace("b.csv,x,illustrative", "b.csv,x,guessed"))
    with pytest.raises(InputError, match=r"line 5, column 'status': 'guessed' is not a status"):
        status_counts(load_dataset(root))
    code, _, err = run_ecociv(capsys, monkeypatch, "data", "info", "--dataset", str(root))
    assert code == 2 and "sources.csv" in err and "'guessed'" in err


def test_belt_counts_match_its_files() -> None:
    belt = load_dataset()
    counts = status_counts(belt)
    with open(packaged_dataset_path() / "sources.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sum(counts["items"].values()) == len(rows)
    assert sum(counts["layers"].values()) == len(belt.layers)
    assert counts["items"]["illustrative"] == sum(r["status"] == "illustrative" for r in rows)
    # the IPCC Tier 1 soil carbon replaced the illustrative carbon pools
    carbon = {r["item"]: r["status"] for r in rows if r["file"] == "carbon_pools.csv"}
    assert carbon["c_soil"] == "derived" and carbon["soc_factor"] == "literature_default"
    assert "illustrative" not in {carbon[c] for c in ("c_above", "c_below", "c_dead")}
