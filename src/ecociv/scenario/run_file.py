"""Running a scenario file: load and check it, plan its steps, run them into a results store
and draw a map beside every raster output. Used by ``ecociv run``, ``ecociv demo`` and the
Python API; progress is reported through callbacks, so any front end can show it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecociv.scenario.map_workers import MapWorkers
from ecociv.scenario.runner import PlannedStep, ProgressCallback, RunResult, plan, run_scenario
from ecociv.scenario.schema import Scenario, load_scenario
from ecociv.scenario.store import ResultsStore


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file, read and checked, with its steps in run order."""

    path: Path
    scenario: Scenario
    steps: list[PlannedStep]

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the file are resolved against."""
        return self.path.parent


def load_scenario_file(path: str | Path) -> ScenarioFile:
    """Read, validate and plan the scenario file ``path``.

    Raises
    ------
    ScenarioError, InputError
        The file is not a valid scenario (the message names the key or step at fault).
    """
    path = Path(path)
    scenario = load_scenario(path)
    return ScenarioFile(path=path, scenario=scenario, steps=plan(scenario, path.parent))


def run_scenario_file(
    source: str | Path | ScenarioFile,
    store_root: str | Path,
    *,
    scheduler: str | None = None,
    use_cache: bool = True,
    maps: bool = True,
    progress: ProgressCallback | None = None,
    on_step: Callable[[Path, dict[str, Any]], None] | None = None,
    background_maps: bool | MapWorkers = False,
    before_commit: Callable[[Path], None] | None = None,
) -> RunResult:
    """Run a scenario file into the results store at ``store_root``.

    Parameters
    ----------
    source : path or ScenarioFile
        The scenario YAML file (or one already loaded with :func:`load_scenario_file`).
    store_root : path
        Results store folder; the run is written to a new folder under ``store_root/runs``.
    scheduler : str, optional
        dask.distributed scheduler address; overrides the scenario's.
    use_cache : bool
        Reuse the outputs of identical earlier steps of the store.
    maps : bool
        Draw a PNG map beside every raster output of every computed step.
    progress : callable, optional
        ``progress(step_name, status)`` with status ``running`` (``running 40 %`` inside long
        steps), ``done`` or ``cached``.
    on_step : callable, optional
        ``on_step(step_folder, step_manifest)`` after each computed step (after the maps).
    background_maps : bool or MapWorkers
        Draw the maps in a separate worker process while the next steps compute (the same PNG
        files; the run waits for them before it is committed). Ignored when ``on_step`` is given
        (it is promised the maps). The worker is started with ``spawn``, which imports the
        caller's ``__main__`` module again: only for programs whose main module is guarded by
        ``if __name__ == "__main__"`` (the ``ecociv`` command is). A :class:`MapWorkers` started
        earlier by the caller is used (and shut down at the end of the run) instead of starting
        new ones.
    before_commit : callable, optional
        ``before_commit(run_folder)`` once every step has run, with the run manifest written,
        before the run is committed (with ``background_maps``, while the last maps are drawn):
        what it writes into the (unfinished) run folder lands with the run; an error it raises
        fails the run.

    Returns
    -------
    RunResult
        Run id, run folder and run manifest.
    """
    started = background_maps if isinstance(background_maps, MapWorkers) else None
    try:
        loaded = source if isinstance(source, ScenarioFile) else load_scenario_file(source)
    except BaseException:
        if started is not None:
            started.shutdown()
        raise
    if maps and background_maps and on_step is None:
        return _run_with_background_maps(loaded, store_root, scheduler=scheduler,
                                         use_cache=use_cache, progress=progress,
                                         before_commit=before_commit, workers=started)
    if started is not None:  # maps drawn in line (or none): the workers are not needed
        started.shutdown()
    if maps:
        from ecociv.report.maps import write_step_maps

    def after_step(folder: Path, manifest: dict[str, Any]) -> None:
        if maps:
            write_step_maps(folder, manifest)
        if on_step is not None:
            on_step(folder, manifest)

    return run_scenario(loaded.scenario, base_dir=loaded.base_dir, store=ResultsStore(store_root),
                        scheduler_address=scheduler, use_cache=use_cache, progress=progress,
                        on_step=after_step if maps or on_step is not None else None,
                        before_commit=before_commit, steps=loaded.steps)


#: maps no worker has started yet when the steps are done from which this process draws some
#: itself, from the last one back, while the workers go on from the first (fewer: the workers
#: finish them sooner than this process can start drawing, ~1.5 s of CPU for its first map)
HELP_FROM = 8


class _MapTask:
    """A map job handed to the workers, or drawn by this process when it took it back."""

    def __init__(self, job: Any, future: Future[list[Path]]):
        self.job = job
        self.future = future
        self.drawn: list[Path] | None = None
        self.error: BaseException | None = None

    def result(self) -> list[Path]:
        """The written paths (the map's error, wherever it was drawn)."""
        if self.error is not None:
            raise self.error
        return self.drawn if self.drawn is not None else self.future.result()


def _draw_backlog(tasks: list[_MapTask], at_least: int | None = None) -> int:
    """Draw in this process, from the last one back, the maps of ``tasks`` that no worker has
    started (their futures are cancelled first, so each map is drawn once), when at least
    ``at_least`` (default :data:`HELP_FROM`) are waiting: at the end of a run the map workers,
    which shared the cores with the steps, may be far behind. Returns how many were drawn here."""
    from ecociv.report import maps as report_maps

    waiting = [task for task in tasks if not task.future.running() and not task.future.done()]
    if len(waiting) < (HELP_FROM if at_least is None else at_least):
        return 0
    drawn = 0
    for task in reversed(waiting):
        if not task.future.cancel():  # a worker has it (or had it) already
            continue
        try:
            task.drawn = report_maps.draw_map_job(task.job)
        except Exception as err:  # reported in plan order, as a worker's failure would be
            task.error = err
        drawn += 1
    return drawn


def _run_with_background_maps(loaded: ScenarioFile, store_root: str | Path, *,
                              scheduler: str | None, use_cache: bool,
                              progress: ProgressCallback | None,
                              before_commit: Callable[[Path], None] | None = None,
                              workers: MapWorkers | None = None) -> RunResult:
    """:func:`run_scenario_file` with the maps drawn by worker processes (:func:`map_workers`,
    or ``workers`` started by the caller), one map per task, while the following steps compute;
    the run is committed only after every map is written (a map that fails fails the run, as
    when drawn in line)."""
    from ecociv.report import maps as report_maps

    # the workers import matplotlib and the map code while the first step computes
    workers = workers if workers is not None else MapWorkers()
    pool, pending = workers.pool, workers.pending
    steps: dict[str, tuple[Path, list[_MapTask]]] = {}
    run_folders: set[Path] = set()

    def after_step(folder: Path, manifest: dict[str, Any]) -> None:
        run_folders.add(folder.parent)
        jobs = report_maps.step_map_jobs(folder, manifest)
        steps[folder.name] = (folder, [_MapTask(job, pool.submit(report_maps.draw_map_job, job))
                                       for job in jobs])

    def finish(folder: Path) -> None:
        from ecociv.scenario.timeline import span

        if before_commit is not None:  # e.g. summaries, written while the maps are drawn
            before_commit(folder)
        for future in pending:
            future.result()
        with span("draw_backlog"):
            _draw_backlog([task for step in loaded.steps if step.name in steps
                           for task in steps[step.name][1]])
        # in plan order (steps may finish in another order): the first failed map is the same
        with span("wait_maps"):
            for step in loaded.steps:
                if step.name in steps:
                    step_folder, tasks = steps[step.name]
                    report_maps.write_maps_index(step_folder,
                                                 [p for t in tasks for p in t.result()])
        # every map is drawn: the workers exit while the run is committed (joined after it)
        pool.shutdown(wait=False)

    try:
        return run_scenario(loaded.scenario, base_dir=loaded.base_dir,
                            store=ResultsStore(store_root), scheduler_address=scheduler,
                            use_cache=use_cache, progress=progress, on_step=after_step,
                            before_commit=finish, steps=loaded.steps)
    except BaseException:
        # the store removed the unfinished run folder; a map being drawn may have written into it
        pool.shutdown(wait=True, cancel_futures=True)
        for folder in run_folders:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
