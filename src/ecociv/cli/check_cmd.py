"""``ecociv check``: compare a finished run with the reference table of published figures."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer


def check(
    run: Path = typer.Argument(..., help="A run folder, <store>/runs/<run-id> (e.g. the folder "
                               "`ecociv demo` or `ecociv run` printed)."),
    reference: Path | None = typer.Option(
        None, "--reference", "-r", help="A reference CSV or a folder of them (default: the "
        "reference/ folder of the run's dataset)."),
) -> None:
    """Every reference row the run can answer: model value, published value or range, ratio and
    verdict (inside / outside / not comparable), written to <run>/check/check.csv and check.png.
    Exit code 0 also when rows are outside (it is a report); 2 for a bad table or run folder."""
    from rich.console import Console

    from ecociv.check.report import check_run, rich_table

    result = check_run(run, reference)
    console = Console(width=max(160, shutil.get_terminal_size((160, 40)).columns))
    console.print(rich_table(result))
    console.print(result.summary())
    console.print(f"table: {result.csv}")
    console.print(f"chart: {result.png}")
