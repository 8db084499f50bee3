"""``ecociv land-use validate``: compare a simulated land-use map with an observed (reference) map
of the same date, given the map the simulation started from: Kappa and its location / histogram
parts, Kappa-simulation, the Figure of Merit with hits, misses, wrong hits and false alarms,
quantity and allocation disagreement, per-class accuracies, at several resolutions.

The maps are any categorical GeoTIFFs on one grid (CLCD, GlobeLand30, CNLUCC, ESA WorldCover,
MODIS MCD12Q1, an ecociv run's ``land_use_final.tif`` ...); ``--classes`` names their codes or
reclassifies them to a common legend."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ecociv.errors import InputError

if TYPE_CHECKING:  # numpy is imported where the maps are read: `ecociv --help` stays light
    import numpy as np

land_use_app = typer.Typer(help="Land-use maps (土地利用): validation of simulated maps.",
                           no_args_is_help=True)

#: more distinct values than this in a map without a class table: not a class map
MAX_CLASSES = 255

CLASSES_HELP = (
    "CSV class table: column `code` (or `lucode` / `value`) listing every code of the maps, optional "
    "`name` (or `name_en`), and optional `to` (the code each code is counted as: a reclassification, "
    "e.g. CNLUCC sub-classes 11, 12 → 1) with optional `to_name`. Default: the codes found in the "
    "maps.")


@dataclass(frozen=True)
class ClassTable:
    """Codes of the maps, the legend they are compared in, and its names."""

    source_codes: np.ndarray  # codes allowed in the maps
    target_codes: np.ndarray  # the legend (code each source code counts as), same order
    codes: list[int]  # the legend's codes, in table order
    names: dict[int, str]


def _read_class_table(path: Path) -> ClassTable:
    """Read and check a ``--classes`` CSV (errors name the file, row and column)."""
    import numpy as np
    import pandas as pd

    label = f"class table {path}"
    if not path.is_file():
        raise InputError("file does not exist", source=label)
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", skipinitialspace=True)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"not a readable CSV table: {err}", source=label) from err
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    code_column = next((c for c in ("code", "lucode", "value") if c in frame.columns), None)
    if code_column is None:
        raise InputError(f"no `code` column (columns: {list(frame.columns)}); expected `code` "
                         "(or `lucode` / `value`), optional `name`, `to`, `to_name`", source=label)
    if frame.empty:
        raise InputError("the table has no row", source=label)

    def whole(column: str) -> np.ndarray:
        values = []
        for row, cell in enumerate(frame[column].tolist(), start=2):
            text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell).strip()
            try:
                number = float(text)
            except ValueError:
                number = float("nan")
            if not np.isfinite(number) or number != round(number):
                raise InputError(f"{text!r} is not a whole-number class code", source=label,
                                 where=f"line {row}, column '{column}'")
            values.append(int(number))
        return np.array(values, dtype=np.int64)

    source = whole(code_column)
    unique, counts = np.unique(source, return_counts=True)
    if (counts > 1).any():
        raise InputError(f"code(s) {unique[counts > 1].tolist()} listed more than once",
                         source=label, where=f"column '{code_column}'")
    name_column = next((c for c in ("name", "name_en") if c in frame.columns), None)
    row_names = (frame[name_column].fillna("").astype(str).str.strip().tolist() if name_column
                 else [""] * len(frame))
    if "to" in frame.columns:
        target = whole("to")
        to_names = (frame["to_name"].fillna("").astype(str).str.strip().tolist()
                    if "to_name" in frame.columns else [""] * len(frame))
        by_code = dict(zip(source.tolist(), row_names, strict=True))
        codes: list[int] = []
        names: dict[int, str] = {}
        for code, to_name in zip(target.tolist(), to_names, strict=True):
            if code not in names:
                codes.append(code)
                names[code] = to_name or by_code.get(code) or str(code)
            elif to_name and names[code] == str(code):
                names[code] = to_name
    else:
        target = source.copy()
        codes = source.tolist()
        names = {code: name or str(code) for code, name in zip(codes, row_names, strict=True)}
    return ClassTable(source, target, codes, names)


def _parse_resolutions(text: str) -> tuple[int, ...]:
    factors = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise InputError(f"--resolutions {text!r}: expected whole numbers ≥ 1 (block sizes in "
                             "cells) separated by commas, e.g. 1,2,4,8,16")
        factors.append(int(part))
    return tuple(dict.fromkeys(factors))


def _read_maps(paths: dict[str, Path], mask: Path | None, nodata: float | None
               ) -> tuple[dict[str, np.ndarray], Any, np.ndarray | None]:
    """The three maps (and the mask) as float arrays with NaN = nodata, after checking that they
    are on one grid (the reference map's)."""
    import numpy as np

    from ecociv.grid.io import grid_of, open_raster

    grids = {name: grid_of(path, name=name) for name, path in paths.items()}
    if mask is not None:
        grids["mask"] = grid_of(mask, name="mask")
    grid = grids["reference"]
    for name, other in grids.items():
        found = other.differences(grid)
        if found:
            raise InputError(
                f"{name} map {paths.get(name, mask)} and reference map {paths['reference']} are not "
                f"on one grid ({'; '.join(found)}, {name} first); resample one onto the other "
                "(nearest neighbour or mode for class codes, e.g. `gdalwarp -r mode`)")
    arrays = {}
    for name, path in paths.items():
        data = open_raster(path, grid, name=name, categorical=True, nodata=nodata)
        arrays[name] = np.asarray(data.values)
    region = None
    if mask is not None:
        values = np.asarray(open_raster(mask, grid, name="mask").values)
        region = ~np.isnan(values) & (values != 0)
    return arrays, grid, region


def _found_codes(arrays: dict[str, np.ndarray], paths: dict[str, Path]) -> list[int]:
    """The codes in the maps (no class table given); a map of fractions or of very many values
    is not a class map."""
    import numpy as np

    found: set[int] = set()
    for name, values in arrays.items():
        data = values[~np.isnan(values)]
        fractional = data[data != np.round(data)]
        if fractional.size:
            shown = ", ".join(f"{v:g}" for v in np.unique(fractional)[:5])
            raise InputError(f"non-integer values ({shown}): not a categorical land-use map "
                             "(is it a continuous raster, or resampled by interpolation?)",
                             source=f"input '{name}' ({paths[name]})")
        if not data.size:
            continue
        low, high = int(data.min()), int(data.max())
        if high - low < 1 << 20:  # a histogram, not a sort of every cell
            counts = np.bincount((data - low).astype(np.int64), minlength=high - low + 1)
            codes = np.flatnonzero(counts) + low
        else:
            codes = np.unique(data.astype(np.int64))
        if codes.size > MAX_CLASSES:
            raise InputError(f"{codes.size} distinct values; a land-use map has at most "
                             f"{MAX_CLASSES} classes (is it a continuous raster?)",
                             source=f"input '{name}' ({paths[name]})")
        found.update(codes.tolist())
    return sorted(found)


def _reclassified(values: np.ndarray, table: ClassTable, label: str) -> np.ndarray:
    """Codes of ``values`` mapped to the legend (NaN stays NaN); unknown codes are an error."""
    import numpy as np

    from ecociv.models.land_use_change.metrics import class_index

    index = class_index(values, table.source_codes.tolist(), label=label,
                        listed_in="the class table")
    out = np.full(values.shape, np.nan, dtype=np.float64)
    inside = index >= 0
    out[inside] = table.target_codes[index[inside]]
    return out


def compare(simulated: Path, reference: Path, initial: Path, *, resolutions: tuple[int, ...] = (1,),
            classes: Path | None = None, mask: Path | None = None,
            nodata: float | None = None) -> dict[str, Any]:
    """Read the three maps and compute :func:`ecociv.models.land_use_change.metrics.validate`;
    adds ``files``, ``class_names`` and the grid's ``cell_size`` to the result."""
    from ecociv.models.land_use_change.metrics import validate

    paths = {"initial": initial, "simulated": simulated, "reference": reference}
    arrays, grid, region = _read_maps(paths, mask, nodata)
    labels = {name: f"input '{name}' ({path})" for name, path in paths.items()}
    if classes is not None:
        table = _read_class_table(classes)
        arrays = {name: _reclassified(values, table, f"{labels[name]}, class table {classes}")
                  for name, values in arrays.items()}
        codes, names = table.codes, table.names
    else:
        codes = _found_codes(arrays, paths)
        names = {code: str(code) for code in codes}
    if not codes:
        raise InputError("no cell has data in the maps: " + ", ".join(str(p) for p in paths.values()))
    result = validate(arrays["initial"], arrays["simulated"], arrays["reference"], codes,
                      resolutions, valid=region, names=names, labels=labels)
    result["files"] = {name: str(path) for name, path in paths.items()}
    result["cell_size"] = list(grid.resolution)
    result["crs"] = grid.crs_label()
    return result


@land_use_app.command("validate", help="Compare a simulated land-use map with the observed map of "
                      "the same date, given the initial map: Kappa, Kappa-location, Kappa-histo, "
                      "Kappa-simulation, Figure of Merit (hits, misses, wrong hits, false alarms), "
                      "quantity and allocation disagreement, per-class accuracy, at several "
                      "resolutions. Exit code 2 for bad input.")
def validate_cmd(
    simulated: Path = typer.Option(..., "--simulated", help="Simulated map (GeoTIFF of class codes)."),
    reference: Path = typer.Option(..., "--reference", help="Observed map of the simulated year."),
    initial: Path = typer.Option(..., "--initial", help="Observed map the simulation started from."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
    resolutions: str = typer.Option("1", "--resolutions", help="Block sizes in cells for the "
                                    "multi-resolution comparison, e.g. 1,2,4,8,16."),
    classes: Path | None = typer.Option(None, "--classes", help=CLASSES_HELP),
    mask: Path | None = typer.Option(None, "--mask", help="Raster on the same grid: only cells "
                                     "with a non-zero value are compared (e.g. the region)."),
    nodata: float | None = typer.Option(None, "--nodata", help="Nodata code of the maps when "
                                        "their files do not declare it (e.g. 0 or 255)."),
) -> None:
    factors = _parse_resolutions(resolutions)
    result = compare(simulated, reference, initial, resolutions=factors, classes=classes,
                     mask=mask, nodata=nodata)
    if as_json:
        from ecociv.models.land_use_change.metrics import jsonable

        typer.echo(json.dumps(jsonable(result), indent=2, ensure_ascii=False))
        return
    _print_tables(result)


def _print_tables(result: dict[str, Any]) -> None:
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 160)

    def number(value: float | None, percent: bool = False) -> str:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return "n/a"
        return f"{100 * value:.2f} %" if percent else f"{value:.4f}"

    files = result["files"]
    size = result["cell_size"]
    console.print(f"simulated {files['simulated']} vs reference {files['reference']}, initial "
                  f"{files['initial']}: {result['cells']:,} cells compared ({size[0]:g} × "
                  f"{size[1]:g} cell, {result['crs']})")
    table = Table("metric", "value", "meaning", title="agreement")
    rows = [
        ("kappa", result["kappa"], "Cohen's Kappa (inflated by persistence)"),
        ("kappa_location", result["kappa_location"], "Kappa given the class quantities"),
        ("kappa_histo", result["kappa_histo"], "Kappa allowed by the class quantities"),
        ("kappa_simulation", result["kappa_simulation"], "Kappa of the transitions from the "
         "initial map (0 = no better than the transitions' chance)"),
        ("kappa_transition", result["kappa_transition"], "part set by transition quantities"),
        ("kappa_translocation", result["kappa_translocation"], "part set by their location"),
        ("figure_of_merit", result["figure_of_merit"], "hits / (misses + hits + wrong hits + "
         "false alarms)"),
    ]
    for name, value, meaning in rows:
        table.add_row(name, number(value), meaning)
    for name, meaning in (("overall_agreement", "cells of the same class"),
                          ("quantity_disagreement", "from class amounts"),
                          ("allocation_disagreement", "from class locations"),
                          ("hits", "observed change simulated right"),
                          ("misses", "observed change simulated as persistence"),
                          ("wrong_hits", "observed change simulated to another class"),
                          ("false_alarms", "observed persistence simulated as change"),
                          ("correct_rejections", "observed persistence simulated as persistence")):
        table.add_row(name, number(result[name], percent=True), meaning + " (share of cells)")
    console.print(table)
    per_class = Table("code", "name", "reference", "simulated", "producer's", "user's",
                      "quantity dis.", "allocation dis.", "gain FoM",
                      title="per class (shares of cells; gain FoM: Figure of Merit of the class's "
                      "gains)")
    for row in result["per_class"]:
        per_class.add_row(str(row["lucode"]), row["name"],
                          *(number(row[key], percent=True) for key in (
                              "reference_share", "simulated_share", "producer_accuracy",
                              "user_accuracy", "quantity_disagreement", "allocation_disagreement")),
                          number(row["gain_figure_of_merit"]))
    console.print(per_class)
    if len(result["resolutions"]) > 1 or result["resolutions"][0]["resolution"] != 1:
        by_res = Table("block (cells)", "block size", "agreement", "quantity dis.",
                       "allocation dis.", "figure_of_merit", "hits", "misses", "wrong hits",
                       "false alarms", title="multiple resolutions (fuzzy shares in blocks)")
        for row in result["resolutions"]:
            by_res.add_row(str(row["resolution"]),
                           f"{row['resolution'] * size[0]:g} × {row['resolution'] * size[1]:g}",
                           number(row["agreement"], True), number(row["quantity_disagreement"], True),
                           number(row["allocation_disagreement"], True),
                           number(row["figure_of_merit"]),
                           *(number(row[key], True) for key in ("hits", "misses", "wrong_hits",
                                                                "false_alarms")))
        console.print(by_res)
