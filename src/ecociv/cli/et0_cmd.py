"""``ecociv et0 --stations IN.csv --out OUT.csv [--time-step daily|monthly]``."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ecociv.errors import InputError, OutputError

if TYPE_CHECKING:  # pandas and the ET0 package load when the command runs, not for `ecociv --help`
    import pandas as pd


def et0(
    stations: Path = typer.Option(
        ..., "--stations", "-s", metavar="IN.csv",
        help="Station table (CSV, UTF-8): latitude_deg, elevation_m, day_of_year (daily) or "
             "month (monthly), tmax_c, tmin_c; optional humidity (ea_kpa, or rh_max_pct with "
             "rh_min_pct, or rh_mean_pct), wind_speed_m_s with wind_height_m, "
             "solar_radiation_mj_m2_day or sunshine_hours, tmean_prev_month_c.",
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", metavar="OUT.csv",
        help="Output CSV: the input columns, et0_mm_day, method and every FAO-56 intermediate "
             "term (written atomically: a failed run leaves no partial file).",
    ),
    time_step: str | None = typer.Option(
        None, "--time-step", "-t", metavar="daily|monthly",
        help="daily: one row per day (column day_of_year); monthly: monthly means of daily "
             "values (column month), adds et0_mm_month. Default: monthly for a table with a "
             "month column and no day_of_year column, else daily.",
    ),
) -> None:
    """FAO-56 reference evapotranspiration for each row of a weather-station table.

    Penman–Monteith where a row has humidity, wind and radiation; Hargreaves–Samani (FAO-56
    eq. 52) where it has only temperature. The 'method' column says which was used.
    """
    from ecociv.io.tables import read_table
    from ecociv.models.et0.stations import STATIONS_TABLE, TIME_STEPS, compute_et0_table

    _check_out_file(out, stations)
    frame = read_table(stations, STATIONS_TABLE)
    step = _time_step(time_step, set(frame.columns), stations)
    if step not in TIME_STEPS:
        raise InputError(f"{time_step!r} is not one of {list(TIME_STEPS)}", source="--time-step")
    table = compute_et0_table(frame, step, source_label=f"table 'stations' ({stations})",
                              lines=_data_lines(stations, len(frame)))
    _write_csv_atomically(table, out)
    _summary(table, out, step)


def _time_step(given: str | None, columns: set[str], path: Path) -> str:
    """The time step asked for, or the one the table's date column implies; a table whose date
    column does not match the asked time step is an error that names the right option."""
    from ecociv.models.et0.stations import TIME_STEPS

    has_day, has_month = "day_of_year" in columns, "month" in columns
    if given is None:
        if has_month and not has_day:
            typer.secho(f"note: {path} has a 'month' column and no 'day_of_year' column: monthly "
                        "time step (--time-step monthly)", fg="yellow", err=True)
            return "monthly"
        return "daily"
    step = given.strip().lower()
    wanted, other = ("day_of_year", "month") if step == "daily" else ("month", "day_of_year")
    if step in TIME_STEPS and wanted not in columns and other in columns:
        hint = "monthly" if step == "daily" else "daily"
        raise InputError(f"a {step} time step needs a '{wanted}' column; this table has '{other}': "
                         f"give --time-step {hint}", source=f"table 'stations' ({path})")
    return step


def _data_lines(path: Path, rows: int) -> list[int] | None:
    """File line of each row ``read_table`` kept (it skips rows whose cells are all blank)."""
    import pandas as pd

    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                      skip_blank_lines=False)
    blank = raw.apply(lambda column: column.fillna("").str.strip() == "").all(axis=1)
    lines = [position + 2 for position, empty in enumerate(blank) if not empty]
    return lines if len(lines) == rows else None


def _check_out_file(out: Path, stations: Path) -> None:
    """Refuse to overwrite a file ecociv did not write: the station table itself, or an existing
    file that is not an earlier ET0 table (one with the columns et0_mm_day and method)."""
    import pandas as pd

    if not out.exists() or out.is_dir():
        return
    if stations.exists() and out.resolve() == stations.resolve():
        raise OutputError(f"--out {out} is the station table itself; give another file name such as "
                          f"{out.with_name(out.stem + '_et0.csv')}")
    try:
        header = pd.read_csv(out, nrows=0, encoding="utf-8-sig").columns
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError):
        header = pd.Index([])
    if not {"et0_mm_day", "method"} <= set(header):
        raise OutputError(f"--out {out} exists and is not an ET0 table ecociv wrote; ecociv does not "
                          "overwrite it: give a new file name, or move the file away yourself")


def _write_csv_atomically(table: pd.DataFrame, out: Path) -> None:
    """Write ``out`` through a temporary file in the same folder and ``os.replace``."""
    from ecociv.io.table_files import CSV_ENCODING

    folder = out.resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder of {out}: {err.strerror or err}") from err
    if out.is_dir():
        raise OutputError(f"{out} is a folder; give a file name such as {out / 'et0.csv'}")
    tmp = folder / f".{out.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        with open(tmp, "x", encoding=CSV_ENCODING, newline="") as stream:  # mode follows the umask
            table.to_csv(stream, index=False)
        os.replace(tmp, out)
    except BaseException as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
        raise


def _summary(table: pd.DataFrame, out: Path, time_step: str) -> None:
    from rich.console import Console
    from rich.table import Table

    counts = table["method"].value_counts()
    et0 = table["et0_mm_day"]
    summary = Table(title=f"ET0 (FAO-56, {time_step}) → {out}", show_header=False)
    summary.add_row("rows", str(len(table)))
    summary.add_row("Penman–Monteith", str(int(counts.get("penman_monteith", 0))))
    summary.add_row("Hargreaves–Samani", str(int(counts.get("hargreaves_samani", 0))))
    if et0.notna().any():
        summary.add_row("ET0 mm/day (min / mean / max)",
                        f"{et0.min():.2f} / {et0.mean():.2f} / {et0.max():.2f}")
    if "et0_mm_month" in table:
        summary.add_row("ET0 mm (sum of months)", f"{table['et0_mm_month'].sum():.0f}")
    Console().print(summary)
