"""``ecociv run``, ``ecociv validate``, ``ecociv runs`` and ``ecociv demo``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from ecociv.errors import InputError

#: ``progress(step, status)``, as ecociv.scenario.runner.ProgressCallback (not imported here: the
#: runner pulls in dask and rasterio, which `ecociv --version` does not need)
ProgressCallback = Callable[[str, str], None]

DEFAULT_STORE = "ecociv-runs"


def _store_root(value: Path | None) -> Path:
    return value if value is not None else Path(os.environ.get("ECOCIV_STORE", DEFAULT_STORE))


@contextmanager
def step_progress(label: str, total: int | None) -> Iterator[ProgressCallback]:
    """A ``progress(step, status)`` callback that shows a scenario's steps on stderr: a spinner
    with the running step and one line per finished step in a terminal, one line per status
    change otherwise (logs, pipes)."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda step, status: typer.echo(f"  {step}: {status}", err=True)
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def notify(step: str, status: str) -> None:
            if status.startswith("running"):  # also "running 40 %" inside long steps
                bar.update(task, description=f"{label}: {step} running")
            else:  # done or cached: a line that stays, once per step
                bar.console.print(f"  {step}: {status}")
                bar.advance(task)

        yield notify


def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Results store folder (default: "
                                    f"$ECOCIV_STORE or ./{DEFAULT_STORE})."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="dask.distributed scheduler "
                                         "address; overrides the scenario's."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute every step."),
    no_maps: bool = typer.Option(False, "--no-maps", help="Do not draw a PNG map of each raster output."),
) -> None:
    from ecociv.scenario.run_file import load_scenario_file, run_scenario_file

    loaded = load_scenario_file(scenario)
    with step_progress(f"scenario '{loaded.scenario.name}'", len(loaded.steps)) as progress:
        result = run_scenario_file(loaded, _store_root(out), scheduler=scheduler,
                                   use_cache=not no_cache, maps=not no_maps, progress=progress,
                                   background_maps=True)
    typer.echo(f"run {result.run_id} completed in {result.manifest['seconds']:.1f} s: {result.folder}")


def validate(scenario: Path = typer.Argument(..., help="Scenario YAML file.")) -> None:
    from ecociv.scenario.run_file import load_scenario_file
    from ecociv.scenario.validate import InvalidScenarioError

    try:
        loaded = load_scenario_file(scenario)  # the checks `ecociv run` makes before running
    except InvalidScenarioError as err:  # every problem, one line each
        for problem in err.problems:
            typer.echo(f"error: {scenario}: {problem}", err=True)
        raise typer.Exit(2) from err
    order = " -> ".join(step.name for step in loaded.steps)
    typer.echo(f"{scenario}: valid scenario '{loaded.scenario.name}' with {len(loaded.steps)} "
               f"model(s): {order}")


def runs(
    out: Path | None = typer.Option(None, "--out", "-o", help="Results store folder, as given to "
                                    f"`ecociv run --out` (default: $ECOCIV_STORE or ./{DEFAULT_STORE})."),
    store: Path | None = typer.Option(None, "--store", hidden=True,
                                      help="Former name of --out (still accepted)."),
) -> None:
    if store is not None:
        if out is not None:
            raise InputError("give the results store once, with --out (--store is its former name)")
        typer.secho("note: --store is now called --out (as in `ecociv run --out`); --store still "
                    "works", fg="yellow", err=True)
        out = store
    from rich.console import Console
    from rich.table import Table

    from ecociv.scenario.store import ResultsStore

    results = ResultsStore(_store_root(out))
    rows = results.list_runs()
    for line in results.unfinished_report():
        typer.echo(line, err=True)
    if not rows:
        typer.echo(f"no runs in {_store_root(out)}")
        return
    table = Table("run id", "scenario", "started", "seconds", "status", "folder")
    for row in rows:
        table.add_row(row.run_id, row.scenario, row.started, f"{row.seconds:.1f}", row.status, row.path)
    # never cut ids or paths when the output goes to a file or another program
    Console(width=None if sys.stdout.isatty() else 400).print(table)


def demo(
    out: Path | None = typer.Option(None, "--out", "-o", help="Results store folder (default: "
                                    f"$ECOCIV_STORE or ./{DEFAULT_STORE})."),
    example: bool = typer.Option(False, "--example", help="Run the small synthetic example "
                                 "instead of the Belt baseline."),
) -> None:
    from ecociv.cli.process import allow_fast_exit
    from ecociv.demo import run_belt_demo, run_demo

    with step_progress("demo", None) as progress:
        if example:
            run_demo(_store_root(out), progress=progress, background_maps=True)
        else:
            run_belt_demo(_store_root(out), progress=progress, background_maps=True)
    # the run is committed and its files closed (map processes stopped, summaries written): the
    # script may end without the interpreter's teardown (measured: RESULTS.md, the demo section)
    allow_fast_exit()
