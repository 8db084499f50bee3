"""``ecociv uncertainty``: Monte Carlo ranges and Sobol indices of a scenario's indicators."""

from __future__ import annotations

from pathlib import Path

import typer


def uncertainty(
    scenario: Path = typer.Argument(..., help="Scenario YAML file (with an `uncertainty:` section, "
                                    "or give --distributions)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for ranges.csv, sobol.csv, "
                             "samples.csv, the charts and summary.json."),
    samples: int | None = typer.Option(None, "--samples", "-n", help="Monte Carlo samples (mc), "
                                       "or base size N of the Saltelli design (sobol, a power of "
                                       "two: N*(D+2) runs for D uncertain targets)."),
    method: str | None = typer.Option(None, "--method", help="mc (Latin hypercube, ranges) or "
                                      "sobol (Saltelli design: ranges and Sobol indices)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of a running "
                                         "dask.distributed scheduler (tcp://host:8786); default "
                                         "a local cluster of --workers processes."),
    workers: int = typer.Option(2, "--workers", "-k", help="Worker processes of the local cluster."),
    distributions: Path | None = typer.Option(None, "--distributions", help="Side YAML file "
                                              "with the distributions (keys of the `uncertainty:` "
                                              "section)."),
    seed: int | None = typer.Option(None, "--seed", help="Overrides the section's seed."),
) -> None:
    """Sample the distributions declared for parameters, levers and inputs, run the scenario once
    per sample on a dask cluster, and write the 5/50/95 % range of every indicator (ranges.csv),
    Sobol first- and total-order indices (sobol.csv, --method sobol), the samples (samples.csv)
    and charts (docs/uncertainty.md)."""
    from ecociv.uncertainty.study import run_study

    if method is not None and method not in ("mc", "sobol"):
        from ecociv.errors import InputError

        raise InputError(f"--method must be 'mc' or 'sobol', got {method!r}", source="--method")
    result = run_study(scenario, out, samples=samples, method=method, scheduler=scheduler,
                       workers=workers, side_file=distributions, seed=seed,
                       progress=lambda message: typer.echo(message, err=True))
    summary = result.summary
    typer.echo(f"{summary['runs']} runs ({summary['failed']} failed) on {summary['workers']} "
               f"worker(s): {summary['samples_per_second']} samples/s; "
               f"{summary['indicators']} indicators")
    for name, path in result.files.items():
        typer.echo(f"  {name}: {path}")
