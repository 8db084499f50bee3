"""Running a scenario file from the library (scenario/run_file.py), and the layering rule that
the library never imports the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ecociv
import ecociv.report.maps
from ecociv.demo import example_scenario
from ecociv.scenario.run_file import load_scenario_file, run_scenario_file
from tests.cli_helper import run_ecociv as ecociv_cli

SRC = Path(ecociv.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_library_never_imports_the_cli() -> None:
    offenders = [str(path.relative_to(SRC)) for path in SRC.rglob("*.py")
                 if "cli" not in path.relative_to(SRC).parts[:1]
                 and any(name == "ecociv.cli" or name.startswith("ecociv.cli.") for name in _imports(path))]
    assert offenders == []


@pytest.mark.parametrize("workers", ["1", "2"])
def test_run_scenario_file_reports_each_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             workers: str) -> None:
    monkeypatch.setenv("ECOCIV_STEP_WORKERS", workers)
    loaded = load_scenario_file(example_scenario())
    assert [step.name for step in loaded.steps] == ["water_yield", "carbon", "et0_station"]
    seen: list[tuple[str, str]] = []
    result = run_scenario_file(loaded, tmp_path / "store", maps=False,
                               progress=lambda step, status: seen.append((step, status)))
    ends = [(step, status) for step, status in seen if status in ("running", "done")]
    for name in ("water_yield", "carbon", "et0_station"):  # each step: running, then done
        assert [status for step, status in ends if step == name] == ["running", "done"]
    if workers == "1":  # one step after another, in plan order
        assert ends == [(name, status) for name in ("water_yield", "carbon", "et0_station")
                        for status in ("running", "done")]
    assert [s["name"] for s in result.manifest["steps"]] == ["water_yield", "carbon",
                                                               "et0_station"]
    assert (result.folder / "water_yield" / "water_yield.tif").is_file()
    assert not (result.folder / "water_yield" / "water_yield.png").exists()  # maps=False
    seen.clear()
    drawn: list[str] = []
    again = run_scenario_file(example_scenario(), tmp_path / "store", maps=True,
                              progress=lambda step, status: seen.append((step, status)),
                              on_step=lambda folder, _manifest: drawn.append(folder.name))
    cached = [(name, "cached") for name in ("water_yield", "carbon", "et0_station")]
    assert seen == cached if workers == "1" else sorted(seen) == sorted(cached)
    assert drawn == [] and again.folder != result.folder  # cached steps are not redrawn


def test_cached_steps_are_reported_once(capsys, monkeypatch, tmp_path: Path) -> None:
    store = tmp_path / "store"
    for _ in range(2):
        code, _, err = ecociv_cli(capsys, monkeypatch, "run", str(example_scenario()), "--out", str(store),
                                  "--no-maps")
        assert code == 0, err
    assert err.count("cached") == 3
    assert err.count("water_yield: cached") == 1


def _map_that_fails(job: ecociv.report.maps.MapJob) -> list[Path]:
    """Stands in for ``draw_map_job`` in a map worker process: fails after writing a file."""
    (job.folder / "half_drawn.png").write_bytes(b"")
    raise RuntimeError(f"map of {job.folder.name} failed")


def test_background_maps_are_the_same_files(tmp_path: Path) -> None:
    """Maps drawn in the worker process while later steps compute are byte-identical to maps
    drawn in line, and are all in the run folder when the run is committed."""
    inline = run_scenario_file(example_scenario(), tmp_path / "a", use_cache=False)
    background = run_scenario_file(example_scenario(), tmp_path / "b", use_cache=False,
                                   background_maps=True)
    drawn = sorted(p.relative_to(inline.folder) for p in inline.folder.rglob("*.png"))
    assert drawn, "the example scenario has raster outputs, so maps"
    assert sorted(p.relative_to(background.folder) for p in background.folder.rglob("*.png")) == drawn
    for name in [*drawn, *(p.relative_to(inline.folder) for p in inline.folder.rglob("maps.json"))]:
        assert (background.folder / name).read_bytes() == (inline.folder / name).read_bytes(), name


def test_a_background_map_that_fails_fails_the_run(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ecociv.report.maps, "draw_map_job", _map_that_fails)
    store = tmp_path / "store"
    with pytest.raises(RuntimeError, match="map of water_yield failed"):
        run_scenario_file(example_scenario(), store, use_cache=False, background_maps=True)
    assert not any((store / "runs").iterdir())  # no run, not even an unfinished folder


def test_on_step_gets_the_maps_also_with_background_maps(tmp_path: Path) -> None:
    """``on_step`` is promised the step's maps: with it, maps are drawn in line."""
    seen: list[bool] = []
    run_scenario_file(example_scenario(), tmp_path / "store", use_cache=False, background_maps=True,
                      on_step=lambda folder, _m: seen.append((folder / "maps.json").is_file()))
    assert seen and all(seen)


def test_map_workers_from_the_environment(monkeypatch) -> None:
    from ecociv.errors import InputError
    from ecociv.report.maps import map_workers

    monkeypatch.setenv("ECOCIV_MAP_WORKERS", "1")
    assert map_workers() == 1
    monkeypatch.setenv("ECOCIV_MAP_WORKERS", "3")
    assert map_workers() == 3
    monkeypatch.delenv("ECOCIV_MAP_WORKERS")
    assert 1 <= map_workers() <= 4
    monkeypatch.setenv("ECOCIV_MAP_WORKERS", "two")
    with pytest.raises(InputError, match=r"ECOCIV_MAP_WORKERS.*whole number"):
        map_workers()


def test_map_workers_started_ahead_draw_the_maps_and_are_shut_down(tmp_path: Path) -> None:
    """Map workers the caller started before loading the scenario (``ecociv demo`` does) draw the
    same maps, and the run shuts them down; with maps drawn in line, or a scenario that fails to
    load, they are shut down unused."""
    from ecociv.errors import EcocivError
    from ecociv.scenario.run_file import MapWorkers

    workers = MapWorkers(1)
    result = run_scenario_file(example_scenario(), tmp_path / "a", use_cache=False,
                               background_maps=workers)
    assert sorted(result.folder.rglob("*.png"))
    with pytest.raises(RuntimeError, match="shutdown"):
        workers.pool.submit(print)
    inline_workers = MapWorkers(1)
    run_scenario_file(example_scenario(), tmp_path / "b", use_cache=False, maps=False,
                      background_maps=inline_workers)
    with pytest.raises(RuntimeError, match="shutdown"):
        inline_workers.pool.submit(print)
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    failing_workers = MapWorkers(1)
    with pytest.raises(EcocivError):
        run_scenario_file(broken, tmp_path / "c", background_maps=failing_workers)
    with pytest.raises(RuntimeError, match="shutdown"):
        failing_workers.pool.submit(print)


def test_map_workers_end_without_the_interpreters_teardown(tmp_path) -> None:
    """A map worker ends without freeing its objects (matplotlib, held figures: 0.30 s of a Belt
    demo's wall time spent waiting at the end), with exit code 0; a control process without the
    initializer frees the same object at exit (so the probe would tell if teardown ran)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from ecociv.scenario.map_workers import MapWorkers
    from tests.map_worker_probe import hold_until_teardown

    workers = MapWorkers(1)
    fast = tmp_path / "fast.txt"
    workers.pool.submit(hold_until_teardown, str(fast)).result(timeout=120)
    processes = list(workers.pool._processes.values())  # the workers, for their exit codes
    workers.shutdown()
    assert [p.exitcode for p in processes] == [0]
    assert not fast.exists()
    control = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    slow = tmp_path / "slow.txt"
    control.submit(hold_until_teardown, str(slow)).result(timeout=120)
    control.shutdown(wait=True)
    assert slow.read_text(encoding="utf-8") == "freed at teardown"


def test_maps_no_worker_has_started_are_drawn_here_from_the_last_back(monkeypatch) -> None:
    """At the end of a run, maps still waiting for a worker are drawn by the run's own process
    (their futures cancelled first, so each is drawn once), from the last one back; a map a
    worker has started is left to it; a short backlog is left to the workers."""
    from concurrent.futures import Future

    from ecociv.scenario import run_file

    drawn: list[str] = []

    def draw(job: str) -> list[Path]:
        if job == "bad":
            raise ValueError("map of bad failed")
        drawn.append(job)
        return [Path(f"{job}.png")]

    monkeypatch.setattr(ecociv.report.maps, "draw_map_job", draw)
    running: Future[list[Path]] = Future()
    assert running.set_running_or_notify_cancel()
    tasks = [run_file._MapTask("first", running), *(run_file._MapTask(name, Future())
                                                    for name in ("a", "bad", "c"))]
    assert run_file._draw_backlog(tasks, at_least=4) == 0 and drawn == []  # 3 waiting: left
    assert run_file._draw_backlog(tasks, at_least=3) == 3
    assert drawn == ["c", "a"]  # from the last back; the started one left to its worker
    assert all(t.future.cancelled() for t in tasks[1:]) and not running.cancelled()
    assert tasks[1].result() == [Path("a.png")]
    with pytest.raises(ValueError, match="map of bad failed"):
        tasks[2].result()
    running.set_result([Path("first.png")])
    assert tasks[0].result() == [Path("first.png")]


def test_maps_drawn_here_at_the_end_are_the_same_files(tmp_path: Path, monkeypatch) -> None:
    from ecociv.scenario import run_file

    monkeypatch.setattr(run_file, "HELP_FROM", 1)  # take back whatever waits
    inline = run_scenario_file(example_scenario(), tmp_path / "a", use_cache=False)
    helped = run_scenario_file(example_scenario(), tmp_path / "b", use_cache=False,
                               background_maps=run_file.MapWorkers(1))
    drawn = sorted(p.relative_to(inline.folder) for p in inline.folder.rglob("*.png"))
    assert sorted(p.relative_to(helped.folder) for p in helped.folder.rglob("*.png")) == drawn
    for name in [*drawn, *(p.relative_to(inline.folder) for p in inline.folder.rglob("maps.json"))]:
        assert (helped.folder / name).read_bytes() == (inline.folder / name).read_bytes(), name
