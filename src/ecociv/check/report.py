"""``check/`` of a run: ``check.csv`` (every reference row with the model's value, the published
value or range, the ratio and the verdict) and ``check.png`` (model against published, log-log),
written all-or-nothing into the run folder; the one-line summary and a rich table."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.check.evaluate import (
    INSIDE,
    NOT_COMPARABLE,
    OUTSIDE,
    RunData,
    Verdict,
    evaluate_rows,
    read_json,
    run_grid,
)
from ecociv.check.places import Places
from ecociv.check.reference import default_reference, load_reference
from ecociv.errors import InputError

CHECK_FOLDER = "check"
COLOURS = {INSIDE: "#1a9850", OUTSIDE: "#d73027", NOT_COMPARABLE: "#999999"}


@dataclass(frozen=True)
class CheckResult:
    """The verdicts of a check, where they were written and how long the check took (s)."""

    verdicts: list[Verdict]
    table: pd.DataFrame
    csv: Path
    png: Path
    seconds: float

    @property
    def counts(self) -> Counter[str]:
        return Counter(v.verdict for v in self.verdicts)

    def summary(self) -> str:
        """``n of m reference figures inside their range`` (m = rows the run could answer)."""
        counts = self.counts
        compared = counts[INSIDE] + counts[OUTSIDE]
        return (f"{counts[INSIDE]} of {compared} reference figures inside their range "
                f"({counts[OUTSIDE]} outside, {counts[NOT_COMPARABLE]} not comparable)")


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """One row per reference row: what, where, published value and range, model value, ratio,
    verdict and reason, the citation."""
    records = []
    for item in verdicts:
        row = item.row
        records.append({
            "id": row.id, "quantity": row.quantity, "place_kind": row.place_kind, "place": row.place,
            "period": row.period, "unit": row.unit, "value": row.value, "low": row.low,
            "high": row.high, "model_value": item.model_value, "ratio": item.ratio,
            "verdict": item.verdict, "reason": item.reason,
            "model_output": str(row.output) if row.output else "",
            "citation_status": row.citation_status, "citation": row.citation,
            "source_url": row.source_url, "note": row.note, "reference_file": f"{row.where}",
        })
    return pd.DataFrame.from_records(records)


def plot_check(table: pd.DataFrame, png: Path, *, title: str) -> Path:
    """Model against published values on log-log axes: one point per row with a model value, the
    published range as a horizontal error bar, the 1:1 line, colours by verdict."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # not pyplot: its import costs 0.4 s of a demo

    shown = table[(table["model_value"].astype(float) > 0) & (table["value"] > 0)]
    figure = Figure(figsize=(7, 7), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    for verdict in (INSIDE, OUTSIDE):
        part = shown[shown["verdict"] == verdict]
        if part.empty:
            continue
        low = (part["value"] - part["low"].clip(lower=part["value"] * 1e-3)).clip(lower=0)
        high = (part["high"] - part["value"]).clip(lower=0)
        axes.errorbar(part["value"], part["model_value"].astype(float), xerr=[low, high], fmt="o",
                      color=COLOURS[verdict], ecolor=COLOURS[verdict], alpha=0.85, capsize=2,
                      markersize=5, label=f"{verdict} ({len(part)})")
    if not shown.empty:
        values = pd.concat([shown["value"], shown["model_value"].astype(float),
                            shown["low"].where(shown["low"] > 0), shown["high"]]).dropna()
        lo, hi = float(values.min()) / 2, float(values.max()) * 2
        axes.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, label="1:1")
        axes.set_xlim(lo, hi)
        axes.set_ylim(lo, hi)
        axes.set_xscale("log")
        axes.set_yscale("log")
        from matplotlib.ticker import FuncFormatter

        plain = FuncFormatter(lambda value, _: f"{value:g}")  # not mathtext: its parser costs 0.5 s
        for axis in (axes.xaxis, axes.yaxis):
            axis.set_major_formatter(plain)
            axis.set_minor_formatter(FuncFormatter(lambda value, _: ""))
    else:
        axes.text(0.5, 0.5, "no row the run could answer", ha="center", transform=axes.transAxes)
    axes.set_xlabel("published value (each row in its own unit; bar = published range)")
    axes.set_ylabel("model value (same unit)")
    axes.set_title(title, fontsize=10)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.1, top=0.93)
    figure.savefig(png)
    return png


#: datasets of recent runs, by run folder and manifest time (evaluators ask once per row)
_RUN_DATASETS: dict[tuple[str, int], Any] = {}


def _dataset_key(folder: Path) -> tuple[str, int] | None:
    try:
        return str(folder.resolve()), (folder / "manifest.json").stat().st_mtime_ns
    except OSError:
        return None


def run_dataset(folder: Path) -> Any:
    """The dataset a run was made on (its manifest's ``scenario.dataset``, resolved like the
    scenario runner does: ``belt`` or a folder relative to the scenario's folder); kept for the
    next call on the same run."""
    folder = Path(folder)
    key = _dataset_key(folder)
    if key is not None and key in _RUN_DATASETS:
        return _RUN_DATASETS[key]
    dataset = _load_run_dataset(folder)
    _remember(folder, dataset)
    return dataset


def _remember(folder: Path, dataset: Any) -> None:
    key = _dataset_key(folder)
    if key is not None:
        if len(_RUN_DATASETS) >= 8:
            _RUN_DATASETS.clear()
        _RUN_DATASETS[key] = dataset


def _load_run_dataset(folder: Path) -> Any:
    import json

    from ecociv.region.dataset import DEFAULT_DATASET, load_dataset

    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError("not a run folder: manifest.json is missing (give <store>/runs/<run-id>)",
                         source=str(folder)) from err
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the run manifest: {err}", source=str(folder / "manifest.json")) \
            from err
    name = (manifest.get("scenario") or {}).get("dataset")
    if not name:
        raise InputError("the run has no dataset (reference places are a dataset's units)",
                         source=str(folder / "manifest.json"))
    if name == DEFAULT_DATASET:
        return load_dataset(name, check=False)
    location = Path(name)
    if not location.is_absolute():
        location = Path(manifest.get("base_dir") or folder) / location
    return load_dataset(location, check=False)


def check_run(run_folder: str | Path, reference: str | Path | None = None, *,
              dataset: Any = None, run_id: str | None = None) -> CheckResult:
    """Compare a run with a reference table and write ``<run>/check/check.csv`` and
    ``check.png``.

    Parameters
    ----------
    run_folder : path
        A finished run, ``<store>/runs/<run-id>``.
    reference : path, optional
        A reference CSV or a folder of them (default: the ``reference`` folder of the run's
        dataset).
    dataset : Dataset, optional
        The run's dataset, when the caller has it loaded (default: read from the run's manifest).
    run_id : str, optional
        The run's id, shown in the plot's title (default: the folder's name; a run checked
        before it is committed is still in a folder of another name).

    Returns
    -------
    CheckResult

    Raises
    ------
    InputError
        Not a run folder, or a bad reference table (file, line and column named).
    """
    from ecociv.io.atomic import atomic_folder
    from ecociv.io.table_files import write_table
    from ecociv.region.units import read_units_table

    started = time.perf_counter()
    folder = Path(run_folder)
    if not folder.is_dir():
        raise InputError("run folder not found", source=str(folder))
    if dataset is not None:
        _remember(folder, dataset)  # evaluators that ask for the run's dataset get this one
    dataset = dataset if dataset is not None else run_dataset(folder)
    places = Places.from_dataset(dataset, grid=run_grid(read_json(folder / "manifest.json",
                                                                    what="run manifest"), folder))
    rows = load_reference(reference if reference is not None else default_reference(dataset), places)
    units = read_units_table(dataset.layer("units_table").path, dataset.layer("units").source)
    run = RunData(folder, places, units)
    verdicts = evaluate_rows(rows, run)
    table = verdict_table(verdicts)
    with atomic_folder(folder / CHECK_FOLDER) as tmp:
        write_table(table, tmp / "check.csv")
        counts = Counter(v.verdict for v in verdicts)
        plot_check(table, tmp / "check.png",
                   title=f"run {run_id or folder.name}: {counts[INSIDE]} inside, {counts[OUTSIDE]} outside, "
                         f"{counts[NOT_COMPARABLE]} not comparable")
    out = folder / CHECK_FOLDER
    return CheckResult(verdicts, table, out / "check.csv", out / "check.png",
                       time.perf_counter() - started)


def _number(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    return f"{value:.3g}" if abs(value) < 1e5 else f"{value:,.0f}"


def rich_table(result: CheckResult) -> Any:
    """The check as a rich table."""
    from rich.table import Table

    styles = {INSIDE: "green", OUTSIDE: "red", NOT_COMPARABLE: "dim"}
    table = Table(title="Run against published figures (reference table)")
    for header in ("id", "place", "unit", "published", "range", "model", "ratio", "verdict"):
        table.add_column(header, justify="right" if header in ("published", "model", "ratio") else "left")
    for _, row in result.table.iterrows():
        verdict = str(row["verdict"])
        text = verdict if verdict != NOT_COMPARABLE else f"{verdict}: {row['reason']}"
        place = f"{row['place_kind']} {row['place']}"
        if row["place_kind"] == "units":
            place = f"{str(row['place']).count('+') + 1} units ({str(row['place']).split('+')[0]}+…)"
        spread = f"{_number(row['low'])}–{_number(row['high'])}" if row["model_output"] else "–"
        table.add_row(str(row["id"]), place, str(row["unit"]),
                      _number(row["value"]), spread, _number(row["model_value"]), _number(row["ratio"]),
                      text, style=styles.get(verdict))
    return table
