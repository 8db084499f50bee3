"""The processes that draw a run's maps in the background (:class:`MapWorkers`), in a module
light enough to import first: a caller starts them before it imports the scenario runner (pandas,
xarray, dask: ~0.7 s of CPU), so that their own start-up overlaps that too."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

__all__ = ["MapWorkers"]


class MapWorkers:
    """Processes that draw maps in the background (:func:`ecociv.report.maps.map_workers` of
    them, started with ``spawn``), started ahead of a run so that their start-up (importing
    matplotlib and the map code, ~1.5 s of CPU each) overlaps the caller's own (loading and
    checking the scenario) instead of the first steps. Pass it as ``background_maps`` of
    :func:`ecociv.scenario.run_file.run_scenario_file`, which uses it up (shuts it down at the end of the run); call
    :meth:`shutdown` when no run takes it. ``prime``: dataset layers each worker draws as
    throwaway maps while it waits (:func:`ecociv.report.maps.warm_up`)."""

    def __init__(self, workers: int | None = None, *, prime: tuple[tuple[str, bool], ...] = ()):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from ecociv.report import maps as report_maps

        self.workers = workers or report_maps.map_workers()
        self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=end_without_teardown)
        # each worker imports matplotlib and the map code now (and draws throwaway maps of the
        # ``prime`` dataset layers, see :func:`ecociv.report.maps.warm_up`)
        self.pending: list[Future[Any]] = [self.pool.submit(report_maps.warm_up, prime)
                                           for _ in range(self.workers)]

    def prime_sources(self, raster: Any, steps: Any) -> None:
        """Have the workers wrap and draw ahead the source lines of the maps of the planned
        ``steps`` (:class:`ecociv.scenario.runner.PlannedStep`) of a run on the grid of
        ``raster`` (:func:`ecociv.report.maps.prime_sources`), while they wait for the first
        step."""
        from ecociv.grid.size import written_rasters
        from ecociv.report import maps as report_maps

        sources = list(dict.fromkeys(
            (report_maps.step_source(step.model.spec, step.name), output.bands or 1)
            for step in steps for output in written_rasters(step.model.spec, step.params)))
        self.pending += [self.pool.submit(report_maps.prime_sources, raster, sources)
                         for _ in range(self.workers)]

    def shutdown(self) -> None:
        """Stop the workers (maps not started are cancelled; those being drawn are waited for)."""
        self.pool.shutdown(wait=True, cancel_futures=True)


def end_without_teardown() -> None:
    """In a map worker: end the process without the interpreter's teardown when it exits.

    A worker holds matplotlib, its fonts and held figures; freeing them at exit took 0.30 s of
    wall time (no CPU of the run) after the last map of a Belt demo, which the run waited for
    when it shut the pool down. Every map is written and closed before its task returns, so
    nothing is left to flush but the standard streams; the exit code is 0, as of a clean exit.
    Registered when the worker starts, so it runs after the exit functions registered later."""
    import atexit

    atexit.register(_exit_now)


def _exit_now() -> None:
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a broken pipe: nothing left to write
            pass
    os._exit(0)
