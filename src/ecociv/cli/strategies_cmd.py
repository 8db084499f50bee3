"""``ecociv strategies run``: the shipped strategy scenarios (baseline first) into one store."""

from __future__ import annotations

from pathlib import Path

import typer

from ecociv.cli.run_cmd import DEFAULT_STORE, _store_root, step_progress

strategies_app = typer.Typer(help="The six strategies of the seed study as scenarios (六大战略情景).",
                             no_args_is_help=True)


@strategies_app.command("list")
def list_strategies() -> None:
    """List the shipped strategy scenarios and their files."""
    from ecociv.strategies.catalog import STRATEGIES

    for strategy in STRATEGIES:
        typer.echo(f"{strategy.id:9} {strategy.title} ({strategy.title_zh}): {strategy.path}")


@strategies_app.command("run")
def run(
    only: str | None = typer.Option(None, "--only", help="Comma-separated strategy ids, e.g. S1,S4 "
                                    "(the baseline BAU always runs first)."),
    years: str | None = typer.Option(None, "--years", help="Years, e.g. 2025,2030,2035; land use is "
                                     "simulated to the last."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Results store folder (default: "
                                    f"$ECOCIV_STORE or ./{DEFAULT_STORE})."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Recompute every step."),
    maps: bool = typer.Option(False, "--maps", help="Draw a PNG map of every raster output."),
) -> None:
    """Run the strategy scenarios; a scenario that fails is listed and the others still run."""
    from ecociv.strategies.catalog import parse_years, select
    from ecociv.strategies.run_set import SetEntry, run_strategy_set

    chosen = select(only)
    year_list = parse_years(years)

    def report(entry: SetEntry) -> None:
        if entry.status == "completed":
            typer.echo(f"{entry.id}: run {entry.run_id} completed in {entry.seconds:.1f} s "
                       f"({entry.cached_steps} of {entry.steps} steps from the cache)")
        else:
            typer.echo(f"{entry.id}: FAILED after {entry.seconds:.1f} s: {entry.error}", err=True)

    with step_progress("strategies", None) as progress:
        result = run_strategy_set([(s.id, s.path) for s in chosen], _store_root(out),
                                  years=year_list, use_cache=not no_cache, maps=maps,
                                  progress=progress, on_scenario=report)
    typer.echo(f"strategy set {result.set_id}: {len(result.entries) - len(result.failed)} completed, "
               f"{len(result.failed)} failed; compare with `ecociv compare {result.folder}`")
    if result.failed:
        typer.echo("failed: " + ", ".join(e.id for e in result.failed), err=True)
