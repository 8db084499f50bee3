"""``ecociv run``, ``ecociv validate``, ``ecociv runs`` and ``ecociv demo``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

DEFAULT_STORE = "ecociv-runs"


def _store_root(value: Path | None) -> Path:
    return value if value is not None else Path(os.environ.get("ECOCIV_STORE", DEFAULT_STORE))


def execute_scenario(path: Path, store_root: Path, scheduler: str | None, use_cache: bool,
                     maps: bool = True) -> Any:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ecociv.scenario.runner import plan, run_scenario
    from ecociv.scenario.schema import load_scenario
    from ecociv.scenario.store import ResultsStore

    scenario = load_scenario(path)
    steps = plan(scenario, path.parent)
    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=False, disable=not console.is_terminal) as progress:
        task = progress.add_task(f"scenario '{scenario.name}'", total=len(steps))

        def notify(step: str, status: str) -> None:
            if not console.is_terminal:
                typer.echo(f"  {step}: {status}", err=True)
            progress.update(task, description=f"scenario '{scenario.name}': {step} {status}")
            if status in ("done", "cached"):
                progress.advance(task)

        on_step = None
        if maps:
            from ecociv.report.maps import write_step_maps

            def on_step(folder: Path, manifest: dict[str, Any]) -> None:
                write_step_maps(folder, manifest)

        return run_scenario(scenario, base_dir=path.parent, store=ResultsStore(store_root),
                            scheduler_address=scheduler, use_cache=use_cache, progress=notify,
                            on_step=on_step)


def run(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Results store folder (default: "
                                    f"$ECOCIV_STORE or ./{DEFAULT_STORE})."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="dask.distributed scheduler "
                                         "address; overrides the scenario's."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute every step."),
    no_maps: bool = typer.Option(False, "--no-maps", help="Do not draw a PNG map of each raster output."),
) -> None:
    result = execute_scenario(scenario, _store_root(out), scheduler, not no_cache, maps=not no_maps)
    typer.echo(f"run {result.run_id} completed in {result.manifest['seconds']:.1f} s: {result.folder}")


def validate(scenario: Path = typer.Argument(..., help="Scenario YAML file.")) -> None:
    from ecociv.scenario.runner import plan
    from ecociv.scenario.schema import load_scenario

    loaded = load_scenario(scenario)
    steps = plan(loaded, scenario.parent)
    order = " -> ".join(step.name for step in steps)
    typer.echo(f"{scenario}: valid scenario '{loaded.name}' with {len(steps)} model(s): {order}")


def runs(
    store: Path | None = typer.Option(None, "--store", help="Results store folder (default: "
                                      f"$ECOCIV_STORE or ./{DEFAULT_STORE})."),
) -> None:
    from rich.console import Console
    from rich.table import Table

    from ecociv.scenario.store import ResultsStore

    results = ResultsStore(_store_root(store))
    rows = results.list_runs()
    for line in results.unfinished_report():
        typer.echo(line, err=True)
    if not rows:
        typer.echo(f"no runs in {_store_root(store)}")
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
    from ecociv.demo import run_belt_demo, run_demo

    if example:
        run_demo(_store_root(out))
    else:
        run_belt_demo(_store_root(out))
