"""``ecociv data info`` and ``ecociv data export``: what is in a region dataset, and the same
layers as files QGIS opens as they are."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ecociv.cli.options import OUT_FOLDER_HELP

data_app = typer.Typer(help="The region dataset (default: the embedded Belt dataset, 天山北坡经济带).",
                       no_args_is_help=True)

DATASET_OPTION = typer.Option(None, "--dataset", help="Dataset folder (default: the embedded "
                              "Belt dataset).")


@data_app.command("info", help="List every layer with extent, resolution, units, source, licence "
                  "and status (real / derived / calibrated / literature default / illustrative / "
                  "reported / synthetic), then how many layers and items (sources.csv rows: "
                  "columns, bands, fields) carry each status and the illustrative share.")
def info(
    dataset: Path | None = DATASET_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the listing as JSON."),
    counts_only: bool = typer.Option(False, "--status-counts", help="Print only the counts by "
                                     "status (with --json: as a JSON object)."),
) -> None:
    import json

    from rich.console import Console
    from rich.table import Table

    from ecociv.region.catalog import describe_layers, status_counts
    from ecociv.region.dataset import load_dataset

    loaded = load_dataset(dataset)
    counts = status_counts(loaded)
    if counts_only and as_json:
        typer.echo(json.dumps(counts, indent=2, ensure_ascii=False))
        return
    console = Console(width=None if sys.stdout.isatty() else 240)
    if counts_only:
        _print_counts(console, counts)
        return
    rows = describe_layers(loaded)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]{loaded.title or loaded.name}[/] ({loaded.root})")
    grid = loaded.grid
    console.print(f"grid: {grid.rows} rows × {grid.cols} columns of {grid.resolution[0]:g} m cells, "
                  f"{'equal-area' if grid.is_equal_area else 'not equal-area'} CRS "
                  f"({grid.crs_label() if hasattr(grid, 'crs_label') else grid.crs.name})")
    table = Table("layer", "kind", "status", "units", "extent / size", "resolution", "source",
                  "licence", show_lines=False)
    for row in rows:
        table.add_row(row["id"], row["kind"], row["status"], row["units"], row["extent"],
                      row["resolution"], row["source"], row["license"])
    console.print(table)
    _print_counts(console, counts)


def _print_counts(console: object, counts: dict) -> None:
    """The status table: layers and items per status, and the illustrative shares."""
    from rich.table import Table

    table = Table("status", "layers", "items (columns, bands, fields)", title="by status")
    for status, layers in counts["layers"].items():
        table.add_row(status, str(layers), str(counts["items"][status]))
    table.add_row("total", str(sum(counts["layers"].values())), str(sum(counts["items"].values())))
    console.print(table)  # type: ignore[attr-defined]

    def share(value: float | None) -> str:
        return "n/a" if value is None else f"{value:g} %"

    console.print(  # type: ignore[attr-defined]
        f"illustrative share (metadata excluded): {share(counts['layers_illustrative_share_pct'])} "
        f"of layers, {share(counts['items_illustrative_share_pct'])} of items")


@data_app.command("export", help="Write the dataset as files QGIS opens directly: --format tif "
                  "(every raster as a Cloud-Optimized GeoTIFF) or gpkg (every vector layer and "
                  "table in one GeoPackage).")
def export(
    out: Path = typer.Option(..., "--out", "-o", help=OUT_FOLDER_HELP),
    export_format: str = typer.Option("gpkg", "--format", help="gpkg or tif."),
    dataset: Path | None = DATASET_OPTION,
) -> None:
    from ecociv.errors import InputError
    from ecociv.region.catalog import export_dataset
    from ecociv.region.dataset import load_dataset

    if export_format not in ("gpkg", "tif"):
        raise InputError(f"--format {export_format!r}: expected 'gpkg' or 'tif'")
    written = export_dataset(load_dataset(dataset), out, export_format)
    typer.echo(f"wrote {len(written)} file(s) to {out}")
    for path in written:
        typer.echo(f"  {path.name}")
