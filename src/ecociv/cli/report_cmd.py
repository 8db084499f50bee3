"""``ecociv report RUN... --out report.html [--pdf] [--lang zh|en]``."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    runs: list[Path] = typer.Argument(..., help="Run folders, <store>/runs/<run-id> (as `ecociv runs` "
                                      "lists); the first is the reference of the changes."),
    out: Path = typer.Option(..., "--out", "-o", metavar="REPORT.html",
                             help="The HTML file to write; REPORT.xlsx (tables) and, with --pdf, "
                             "REPORT.pdf are written beside it. A file ecociv did not write is never "
                             "replaced."),
    pdf: bool = typer.Option(False, "--pdf", help="Also write REPORT.pdf (WeasyPrint)."),
    lang: str = typer.Option("zh", "--lang", help="Language of the report's text: zh or en."),
    uncertainty: list[Path] = typer.Option(
        [], "--uncertainty", help="An `ecociv uncertainty` output folder (or its ranges.csv) whose "
        "ranges to show; a run's own uncertainty/ranges.csv is used without it."),
    maps: list[str] = typer.Option(
        [], "--maps", metavar="PATTERN",
        help="Show only the maps whose name STEP:MAP (or step, or map) matches this shell-style "
        "pattern, e.g. 'redline:*' or '*_change'; repeat for several. Default: every map of every "
        "run (a strategy set has hundreds; a PDF for print usually wants a few)."),
) -> None:
    """A report a planner can hand on (报告): title page, executive summary, one section per run
    with maps, charts, tables per prefecture, the check against published figures and uncertainty
    ranges, and an appendix of levers, parameters, assumptions, data sources and statuses."""
    from ecociv.report.html import build_report

    files = build_report(list(runs), out, lang=lang, pdf=pdf, uncertainty=list(uncertainty), maps=list(maps))
    typer.echo(f"report: {files.html}")
    typer.echo(f"tables: {files.xlsx}")
    if files.pdf is not None:
        typer.echo(f"pdf: {files.pdf}")
    typer.echo(f"written in {files.seconds:.1f} s")
