"""Comparing runs: indicator tables (absolute and change against the baseline run) per unit,
prefecture, basin and the Belt; which strategy moves which indicator most; a trade-off chart;
difference maps of the raster outputs present in both runs (diverging scale centred on zero).
Tables are written as CSV (UTF-8 with a byte-order mark) and as the sheets of one XLSX file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.io.table_files import write_table, write_workbook
from ecociv.strategies.indicators import read_manifest, run_indicators
from ecociv.strategies.run_set import SET_FILE, read_set

#: Belt indicators of the trade-off chart (those the runs have are drawn)
TRADE_OFF = ("value_added", "water_delivered", "redline_km2", "ebinur_lake_area_mean",
             "co2_emission", "water_shortage", "groundwater_overdraft", "carbon_mt", "esv")


@dataclass(frozen=True)
class RunRef:
    """A run to compare: its label (strategy id or scenario name) and folder; ``error`` for a
    scenario of a set that failed (no folder)."""

    label: str
    folder: Path | None
    error: str | None = None


def resolve_runs(paths: list[str | Path]) -> list[RunRef]:
    """Run folders and strategy-set folders as the runs they name, in order (a set adds its
    entries, failed ones with their error).

    Raises
    ------
    InputError
        A folder that does not exist, is not a run or set folder, or a run that did not complete.
    """
    refs: list[RunRef] = []
    for item in paths:
        folder = Path(item)
        if (folder / SET_FILE).is_file():
            for entry in read_set(folder):
                if entry.status == "completed" and entry.folder:
                    refs.append(RunRef(entry.id, Path(entry.folder)))
                else:
                    refs.append(RunRef(entry.id, None, entry.error or entry.status))
            continue
        manifest = read_manifest(folder)
        name = str(manifest.get("scenario", {}).get("name") or folder.name)
        refs.append(RunRef(name, folder))
    labels = [r.label for r in refs]
    refs = [RunRef(f"{r.label}#{labels[:i].count(r.label) + 1}" if labels.count(r.label) > 1 else r.label,
                   r.folder, r.error) for i, r in enumerate(refs)]
    if not [r for r in refs if r.folder is not None]:
        raise InputError("no completed run to compare")
    return refs


def _grid_key(manifest: dict[str, Any]) -> tuple[Any, ...]:
    grid = manifest.get("grid") or {}
    return (grid.get("crs"), tuple(grid.get("transform") or ()), tuple(grid.get("shape") or ()))


def _dataset(manifest: dict[str, Any]) -> str | None:
    scenario = manifest.get("scenario") or {}
    dataset = scenario.get("dataset")
    if dataset is None or dataset == "belt":
        return dataset
    return str((Path(str(manifest.get("base_dir", "."))) / str(dataset)).resolve())


def check_comparable(refs: list[RunRef]) -> None:
    """Refuse runs on different grids or datasets (the message names the two runs)."""
    done = [r for r in refs if r.folder is not None]
    first = done[0]
    base = read_manifest(first.folder)  # type: ignore[arg-type]
    for ref in done[1:]:
        manifest = read_manifest(ref.folder)  # type: ignore[arg-type]
        if _dataset(manifest) != _dataset(base):
            raise InputError(f"runs {first.label} and {ref.label} use different datasets "
                             f"({_dataset(base)!r} and {_dataset(manifest)!r}); compare runs of one dataset")
        if base.get("grid") and manifest.get("grid") and _grid_key(manifest) != _grid_key(base):
            raise InputError(f"runs {first.label} and {ref.label} are on different grids "
                             f"(shape {base['grid'].get('shape')} vs {manifest['grid'].get('shape')}, "
                             "or another transform or CRS); compare runs on one grid")


def indicator_table(refs: list[RunRef]) -> pd.DataFrame:
    """All runs' indicators with the baseline (the first completed run) beside each value:
    ``value``, ``baseline``, ``change`` (value − baseline) and ``change_percent``."""
    frames = []
    for ref in refs:
        if ref.folder is None:
            continue
        frame = run_indicators(ref.folder)
        frame.insert(0, "run", ref.label)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    baseline_label = next(r.label for r in refs if r.folder is not None)
    keys = ["level", "area", "indicator"]
    base = table[table["run"] == baseline_label][[*keys, "value"]].rename(columns={"value": "baseline"})
    table = table.merge(base, on=keys, how="left")
    table["change"] = table["value"] - table["baseline"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * table["change"] / table["baseline"].abs()
    table["change_percent"] = pct.where(table["baseline"] != 0)
    return table


def moves_most(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """For each Belt indicator, the run (other than the baseline) that changes it most, by the
    absolute change; ties keep the first run."""
    belt = table[(table["level"] == "belt") & (table["run"] != baseline) & table["change"].notna()]
    rows = []
    for indicator, group in belt.groupby("indicator", sort=True):
        if not (group["change"].abs() > 0).any():
            rows.append({"indicator": indicator, "units": group["units"].iloc[0], "run": "",
                         "change": 0.0, "change_percent": 0.0, "baseline": group["baseline"].iloc[0]})
            continue
        top = group.loc[group["change"].abs().idxmax()]
        rows.append({"indicator": indicator, "units": top["units"], "run": top["run"],
                     "change": top["change"], "change_percent": top["change_percent"],
                     "baseline": top["baseline"]})
    return pd.DataFrame(rows, columns=["indicator", "units", "run", "baseline", "change", "change_percent"])


def _wide(table: pd.DataFrame, level: str) -> pd.DataFrame:
    part = table[table["level"] == level]
    if part.empty:
        return pd.DataFrame()
    return part.pivot_table(index=["area", "area_name", "indicator", "units"], columns="run",
                            values="value", aggfunc="first", sort=False).reset_index()


def trade_off_chart(table: pd.DataFrame, baseline: str, path: Path) -> Path | None:
    """Bars of the change against the baseline (%) of the trade-off indicators, one group per
    indicator and one bar per run; and value added against water delivered, the marker size the
    red-line area and its colour Ebinur Lake's mean area. None when no such indicator is present."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    belt = table[table["level"] == "belt"]
    present = [i for i in TRADE_OFF if i in set(belt["indicator"])]
    if not present:
        return None
    runs = list(dict.fromkeys(belt["run"]))
    values = belt.pivot_table(index="run", columns="indicator", values="value", aggfunc="first")
    change = belt.pivot_table(index="run", columns="indicator", values="change_percent", aggfunc="first")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    width = 0.8 / max(1, len(runs) - 1)
    others = [r for r in runs if r != baseline]
    for k, run in enumerate(others):
        heights = [change.get(i, pd.Series(dtype=float)).get(run, np.nan) for i in present]
        ax1.bar(np.arange(len(present)) + k * width, np.nan_to_num(heights), width, label=run)
    ax1.axhline(0, color="black", linewidth=0.8)
    ax1.set_xticks(np.arange(len(present)) + width * (len(others) - 1) / 2)
    ax1.set_xticklabels(present, rotation=30, ha="right", fontsize=8)
    ax1.set_ylabel(f"change against {baseline} (%)")
    ax1.set_title("Belt indicators: change against the baseline")
    if others:
        ax1.legend(fontsize=8)
    if {"value_added", "water_delivered"} <= set(values.columns):
        size = values["redline_km2"] if "redline_km2" in values else pd.Series(1.0, index=values.index)
        size = 40 + 400 * size / size.max() if size.max() > 0 else pd.Series(80.0, index=values.index)
        colour = values["ebinur_lake_area_mean"] if "ebinur_lake_area_mean" in values else None
        points = ax2.scatter(values["water_delivered"], values["value_added"], s=size,
                             c=colour if colour is not None else "tab:blue", cmap="viridis",
                             edgecolors="black")
        for run in values.index:
            ax2.annotate(str(run), (values.loc[run, "water_delivered"], values.loc[run, "value_added"]),
                         fontsize=8, xytext=(4, 4), textcoords="offset points")
        if colour is not None:
            fig.colorbar(points, ax=ax2, label="Ebinur Lake mean area (km²)")
        ax2.set_xlabel("water delivered (10⁸ m³/yr)")
        ax2.set_ylabel("value added (10⁸ yuan)")
        ax2.set_title("value added vs water use (marker size: red-line area)")
    else:
        ax2.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _float_rasters(folder: Path) -> dict[str, Path]:
    manifest = read_manifest(folder)
    found: dict[str, Path] = {}
    for step in manifest.get("steps", []):
        step_manifest = folder / str(step["name"]) / "manifest.json"
        if not step_manifest.is_file():
            continue
        outputs = json.loads(step_manifest.read_text(encoding="utf-8")).get("outputs", {})
        for output_id, entry in outputs.items():
            path = folder / str(step["name"]) / str(entry.get("path", ""))
            if path.suffix == ".tif" and path.is_file():
                found[f"{step['name']}/{output_id}"] = path
    return found


def difference_maps(refs: list[RunRef], out: Path, *, max_maps: int = 40) -> pd.DataFrame:
    """A GeoTIFF and a map of run − baseline for every continuous raster output present in both
    (same step and output id, first band) that differs, drawn by :func:`ecociv.report.maps.render_map`
    with a diverging colour scale centred on zero (on the Belt: its outline, boundaries and names).
    Returns one row per map with the sums of positive and negative differences."""
    import rasterio

    from ecociv.report.maps import render_map

    done = [r for r in refs if r.folder is not None]
    base_ref = done[0]
    base = _float_rasters(base_ref.folder)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = []
    folder = out / "difference_maps"
    for ref in done[1:]:
        for key, path in _float_rasters(ref.folder).items():  # type: ignore[arg-type]
            if key not in base or len(rows) >= max_maps:
                continue
            with rasterio.open(path) as a, rasterio.open(base[key]) as b:
                if a.shape != b.shape or a.dtypes[0].startswith(("int", "uint")):
                    continue
                units = a.tags().get("units", "")
                profile = {"driver": "GTiff", "width": a.width, "height": a.height, "count": 1,
                           "dtype": "float32", "crs": a.crs, "transform": a.transform,
                           "nodata": float("nan"), "compress": "deflate"}
                left = a.read(1, masked=True).astype("float64")
                right = b.read(1, masked=True).astype("float64")
            diff = left - right
            if diff.count() == 0 or float(np.abs(diff).max()) == 0.0:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            limit = float(np.abs(diff).max())
            name = f"{ref.label}_{key.replace('/', '__')}"
            with rasterio.open(folder / f"{name}.tif", "w", **profile) as dst:
                dst.write(diff.filled(np.nan).astype("float32"), 1)
                dst.update_tags(units=units, long_name=f"{key}: {ref.label} minus {base_ref.label}")
            render_map(folder / f"{name}.tif", folder / f"{name}.png",
                       title=f"{key}: difference {ref.label} − {base_ref.label}", units=units,
                       diverging=True, source=f"ecociv compare of runs {ref.label} and {base_ref.label}")
            rows.append({"run": ref.label, "raster": key, "units": units, "map": f"difference_maps/{name}.png",
                         "sum_positive": float(diff.clip(min=0).sum()),
                         "sum_negative": float(diff.clip(max=0).sum()),
                         "max_abs": limit})
    return pd.DataFrame(rows, columns=["run", "raster", "units", "map", "sum_positive",
                                       "sum_negative", "max_abs"])


def compare_runs(paths: list[str | Path], out: str | Path, *, maps: bool = True) -> dict[str, Path]:
    """Compare runs and write the comparison into ``out``.

    Parameters
    ----------
    paths : list of path
        Run folders (``STORE/runs/<run id>``) or strategy-set folders; the first completed run is
        the baseline.
    out : path
        Output folder (created): ``indicators.csv`` (long), ``belt.csv``, ``prefectures.csv``,
        ``basins.csv``, ``units.csv`` (wide: one column per run), ``moves_most.csv``,
        ``failed.csv``, ``comparison.xlsx``, ``trade_off.png``, ``difference_maps/`` and
        ``difference_maps.csv``.
    maps : bool
        Draw the difference maps.

    Returns
    -------
    dict
        Name -> path of what was written.

    Raises
    ------
    InputError
        A missing or unfinished run, runs on different grids or datasets, an ``out`` that is a file.
    """
    refs = resolve_runs(paths)
    check_comparable(refs)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder for the comparison")
    out.mkdir(parents=True, exist_ok=True)
    table = indicator_table(refs)
    baseline = next(r.label for r in refs if r.folder is not None)
    failed = pd.DataFrame([{"run": r.label, "error": r.error} for r in refs if r.folder is None],
                          columns=["run", "error"])
    tables = {"indicators": table, "belt": _wide(table, "belt"), "prefectures": _wide(table, "prefecture"),
              "basins": _wide(table, "basin"), "units": _wide(table, "unit"),
              "moves_most": moves_most(table, baseline), "failed": failed}
    written = {name: write_table(frame, out / f"{name}.csv") for name, frame in tables.items()}
    if maps:
        diffs = difference_maps(refs, out)
        written["difference_maps"] = write_table(diffs, out / "difference_maps.csv")
        tables["difference_maps"] = diffs
    chart = trade_off_chart(table, baseline, out / "trade_off.png")
    if chart is not None:
        written["trade_off"] = chart
    written["workbook"] = write_workbook({k: v for k, v in tables.items() if not v.empty or k == "failed"},
                                         out / "comparison.xlsx")
    return written
