"""``ecociv compare``: indicator tables, trade-off chart and difference maps of runs."""

from __future__ import annotations

from pathlib import Path

import typer


def compare(
    runs: list[Path] = typer.Argument(..., help="Run folders (STORE/runs/<id>) or strategy-set "
                                      "folders (STORE/strategy-sets/<id>); the first is the baseline."),
    out: Path = typer.Option(Path("comparison"), "--out", "-o", help="Folder of the comparison."),
    no_maps: bool = typer.Option(False, "--no-maps", help="Do not draw difference maps."),
) -> None:
    from ecociv.strategies.compare import compare_runs

    written = compare_runs(list(runs), out, maps=not no_maps)
    typer.echo(f"comparison written to {out}: " + ", ".join(p.name for p in written.values()))
