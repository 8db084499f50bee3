"""The results store under damage: a corrupt or truncated catalog, a store path that is a file,
unsafe scenario names, and unfinished ``.partial-*`` folders left by killed runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ecociv
from ecociv.errors import OutputError
from ecociv.io import partial
from ecociv.io.atomic import atomic_folder
from ecociv.scenario.runner import run_scenario
from ecociv.scenario.schema import load_scenario
from ecociv.scenario.store import ResultsStore, run_slug
from tests.cli_helper import run_ecociv
from tests.test_scenario_cache import scenario as scenario

SRC = Path(ecociv.__file__).resolve().parent.parent


def _two_runs(path: Path, store: ResultsStore) -> list[str]:
    return [run_scenario(load_scenario(path), base_dir=path.parent, store=store).run_id
            for _ in range(2)]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_catalog_is_moved_aside_and_rebuilt(scenario: Path, tmp_path: Path,
                                                      damage: str) -> None:
    store = ResultsStore(tmp_path / "store")
    run_ids = _two_runs(scenario, store)
    data = store.catalog_path.read_bytes()
    bad = b"not a database " * 100 if damage == "garbage" else data[: len(data) // 2]
    store.catalog_path.write_bytes(bad)
    fresh = ResultsStore(tmp_path / "store")
    with pytest.warns(UserWarning, match=r"catalog.sqlite is damaged .*moved it to .*corrupt-"):
        listed = [row.run_id for row in fresh.list_runs()]
    assert sorted(listed) == sorted(run_ids)
    aside = list(store.root.glob("catalog.sqlite.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == bad, "the damaged file is kept as it was"
    # the rebuilt catalog serves the cache again
    step = json.loads((store.runs_dir / run_ids[0] / "manifest.json").read_text())["steps"][0]
    assert fresh.cached_step(step["cache_key"]) is not None


def test_a_damaged_catalog_before_a_run_still_lets_the_cache_work(scenario: Path,
                                                                  tmp_path: Path) -> None:
    from tests import test_scenario_cache

    store = ResultsStore(tmp_path / "store")
    run_scenario(load_scenario(scenario), base_dir=tmp_path, store=store)
    store.catalog_path.write_bytes(b"\0" * 4096)
    with pytest.warns(UserWarning, match="damaged"):
        again = run_scenario(load_scenario(scenario), base_dir=tmp_path,
                             store=ResultsStore(tmp_path / "store"))
    assert again.manifest["steps"][0]["cached"]
    assert test_scenario_cache.CALLS == ["total"]


def test_a_missing_catalog_is_rebuilt_for_the_cache(scenario: Path, tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "store")
    first = run_scenario(load_scenario(scenario), base_dir=tmp_path, store=store)
    store.catalog_path.unlink()
    key = first.manifest["steps"][0]["cache_key"]
    assert ResultsStore(tmp_path / "store").cached_step(key) == first.folder / "sums"


def test_store_that_is_a_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    with pytest.raises(OutputError, match=r"notes.txt is a file, not a folder"):
        ResultsStore(file).list_runs()
    code, out, err = run_ecociv(capsys, monkeypatch, "runs", "--store", str(file))
    assert code == 2 and "notes.txt is a file" in err and "Traceback" not in err + out
    assert file.read_text() == "mine"


@pytest.mark.parametrize("name", ["north/south", "../../escape", "a b:c*?", "天山 北坡", "///"])
def test_run_ids_are_safe_folder_names(tmp_path: Path, name: str) -> None:
    store = ResultsStore(tmp_path / "store")
    with store.new_run(name) as (run_id, folder):
        assert "/" not in run_id and ".." not in run_id and " " not in run_id
        assert folder.parent == store.runs_dir
        (folder / "manifest.json").write_text(json.dumps({
            "run_id": run_id, "scenario": {"name": name}, "started": "2026-01-01T00:00:00",
            "finished": "2026-01-01T00:00:01", "seconds": 1.0, "status": "completed",
            "ecociv_version": ecociv.__version__, "steps": []}))
    assert (store.runs_dir / run_id).is_dir()
    assert [row.scenario for row in store.list_runs()] == [name]
    assert run_slug("天山 北坡") == "天山-北坡"


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def _partial_of(pid: int, folder: Path) -> None:
    folder.mkdir(parents=True)
    partial.mark(folder)
    marker = json.loads((folder / partial.MARKER).read_text())
    marker["pid"] = pid
    (folder / partial.MARKER).write_text(json.dumps(marker))
    (folder / "big.tif").write_bytes(b"\0" * 5000)


def test_a_killed_run_leaves_a_folder_that_the_next_listing_removes(tmp_path: Path) -> None:
    store_root = tmp_path / "store"
    code = textwrap.dedent(f"""
        import os, signal
        from ecociv.scenario.store import ResultsStore
        with ResultsStore({str(store_root)!r}).new_run("killed") as (run_id, folder):
            (folder / "half.tif").write_bytes(b"0" * 1000)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    done = subprocess.run([sys.executable, "-c", code], env=env, check=False)
    assert done.returncode == -9
    store = ResultsStore(store_root)
    left = list(store.runs_dir.glob(".partial-*"))
    assert len(left) == 1 and (left[0] / "half.tif").is_file()
    removed, still = store.unfinished()
    assert [f.path for f in removed] == left and still == []
    assert not left[0].exists()


def test_unfinished_folders_are_reported_and_only_stale_ecociv_ones_removed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultsStore(tmp_path / "store")
    runs = store.runs_dir
    _partial_of(_dead_pid(), runs / ".partial-20260101-000000-killed-aaaaaa")
    _partial_of(os.getpid(), runs / ".partial-20260101-000000-going-bbbbbb")  # this process
    foreign = runs / ".partial-someone-elses"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not ecociv's")
    code, _, err = run_ecociv(capsys, monkeypatch, "runs", "--store", str(store.root))
    assert code == 0
    assert "removed 1 unfinished run folder" in err and "(5.1 kB)" in err  # 5000 bytes + marker
    assert "1 run(s) still being written" in err
    assert "1 unfinished run folder(s)" in err and "rm -r" in err and ".partial-someone-elses" in err
    assert not (runs / ".partial-20260101-000000-killed-aaaaaa").exists()
    assert (runs / ".partial-20260101-000000-going-bbbbbb").is_dir()
    assert (foreign / "keep.txt").read_text() == "not ecociv's"


def test_a_reused_pid_is_not_taken_for_the_writer(tmp_path: Path) -> None:
    folder = tmp_path / ".out.partial-1"
    _partial_of(os.getpid(), folder)
    marker = json.loads((folder / partial.MARKER).read_text())
    if marker["process_start"] is None:
        pytest.skip("process start times are read from /proc (Linux)")
    marker["process_start"] -= 1  # same pid, but a process started at another time
    (folder / partial.MARKER).write_text(json.dumps(marker))
    assert [f.path for f in partial.remove_stale(tmp_path, ".out.partial-")] == [folder]


def test_model_output_partials_of_killed_runs_are_removed_on_the_next_write(tmp_path: Path) -> None:
    stale = tmp_path / ".out.partial-0badc0de"
    _partial_of(_dead_pid(), stale)
    unmarked = tmp_path / ".out.partial-12345678"
    unmarked.mkdir()
    (unmarked / "x.tif").write_bytes(b"\0" * 2000)
    with pytest.warns(UserWarning, match=r"1 unfinished folder\(s\) .*\.out\.partial-\* \(2.0 kB\) "
                      r"carry no record .*`rm -r "), atomic_folder(tmp_path / "out") as tmp:
        assert (tmp / partial.MARKER).is_file()
        (tmp / "result.csv").write_text("a\n1\n")
    assert not stale.exists() and unmarked.is_dir()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [".ecociv-output.json",
                                                                   "result.csv"]


def test_a_finished_run_folder_carries_no_partial_marker(scenario: Path,
                                                         tmp_path: Path) -> None:
    result = run_scenario(load_scenario(scenario), base_dir=tmp_path,
                          store=ResultsStore(tmp_path / "store"))
    assert not list(result.folder.rglob(partial.MARKER))


def test_the_cache_works_from_another_folder_and_after_moving_the_store(
        scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests import test_scenario_cache

    monkeypatch.chdir(tmp_path)
    run_scenario(load_scenario(scenario), base_dir=tmp_path, store=ResultsStore("store"))
    (tmp_path / "store").rename(tmp_path / "moved")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    again = run_scenario(load_scenario(scenario), base_dir=tmp_path,
                         store=ResultsStore(tmp_path / "moved"))
    assert again.manifest["steps"][0]["cached"] and test_scenario_cache.CALLS == ["total"]


@pytest.mark.parametrize("text", ["[1, 2]", '{"run_id": 3, "scenario": "x"}', "\udcff", ""])
def test_a_folder_with_a_foreign_manifest_is_not_listed(tmp_path: Path, text: str) -> None:
    store = ResultsStore(tmp_path / "store")
    folder = store.runs_dir / "not-a-run"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(text, errors="surrogateescape")
    assert store.list_runs() == []
    assert (folder / "manifest.json").is_file()


def test_writing_the_same_output_from_two_processes_is_reported(tmp_path: Path) -> None:
    _partial_of(os.getpid(), tmp_path / ".out.partial-0fe0fe0f")  # as if another run were going
    with pytest.warns(UserWarning, match="being written by another ecociv process"), \
            atomic_folder(tmp_path / "out") as tmp:
        (tmp / "a.csv").write_text("a\n")
    assert (tmp_path / ".out.partial-0fe0fe0f").is_dir()


def test_the_cli_says_in_one_line_that_a_damaged_catalog_was_rebuilt(
        scenario: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultsStore(tmp_path / "store")
    run_scenario(load_scenario(scenario), base_dir=tmp_path, store=store)
    store.catalog_path.write_bytes(b"garbage")
    code, out, err = run_ecociv(capsys, monkeypatch, "runs", "--out", str(store.root))
    assert code == 0 and "totals" in out
    assert err.startswith("warning: results catalog ") and "is damaged" in err
    assert "UserWarning" not in err and "Traceback" not in err
