"""Writing a calibration into a dataset folder: rasters, tables, report and manifest rows."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import rasterio
import yaml
from numpy.typing import NDArray

from ecociv.region.dataset import Dataset

if TYPE_CHECKING:
    from ecociv.calibrate.inputs import GridInputs
    from ecociv.calibrate.run import Outcome

NODATA = -9999.0
STATUS_TEXT = ("fitted here to published observations by `ecociv calibrate` (parameters, "
               "objective and before/after values in calibration/)")
CITATION = ("ecociv calibrate: water_yield (Sharp et al. 2020, InVEST Annual Water Yield) "
            "fitted to the gauged runoff of calibration/gauges.csv with scipy.optimize.least_squares")

#: layers the calibration adds to the dataset manifest
LAYERS = (
    {"id": "precipitation_annual_calibrated", "path": "precipitation_annual_calibrated.tif",
     "kind": "raster", "units": "mm/yr", "status": "calibrated",
     "long_name": "annual precipitation, ERA5 normal 2000-2025 x calibrated correction by elevation band",
     "resampling": "none (derived on the grid)"},
    {"id": "seasonality_z", "path": "seasonality_z.tif", "kind": "raster", "units": "1",
     "status": "calibrated", "long_name": "seasonality factor Z of water_yield, calibrated per gauged basin",
     "resampling": "none (derived on the grid)"},
)


MATCH_TEXT = {"volume": "the published runoff volume, summed over the delineated catchment",
              "depth": "the published runoff depth (runoff / published area) over the delineated "
                       "catchment"}


#: (file, units, processing) of every file a calibration writes into the dataset folder; the
#: sources.csv rows it adds (source 'ecociv calibrate') are how a later run knows them as its own
WRITTEN: list[tuple[str, str, str]] = [
        ("precipitation_annual_calibrated.tif", "mm/yr",
         "precipitation_annual.tif x the calibrated factor of the cell's elevation band "
         "(calibration/parameters.csv)"),
        ("seasonality_z.tif", "1", "Z per cell: calibrated value of the cell's basin (gauged "
         "basins; cells of a gauge's catchment belong to its basin), the prior elsewhere"),
        ("calibration/parameters.csv", "", "calibrated parameters with priors and bounds"),
        ("calibration/gauges.csv", "1e8 m**3/yr", "published vs simulated runoff per gauge before/after, PBIAS"),
        ("calibration/held_out.csv", "percent", "split-half test both ways: PBIAS of the held-out "
         "gauges of each fold"),
        ("calibration/catchments.tif", "", "catchment of each gauge (band = gauge id), D8 on the dataset DEM"),
        ("calibration/summary.json", "", "objective, convergence, settings"),
        ("reference/gauges.csv", "1e8 m**3/yr", "gauge rows of the reference table (runoff "
         "figures of the gauge table, with citations)"),
        ("calibration/report.md", "", "calibration report"), ("calibration/report.png", "", "calibration chart"),
]


class CalibrationFailedError(RuntimeError):
    """The optimiser did not converge; earlier calibrated files are kept."""


def _write_raster(path: Path, data: NDArray[Any], grid: GridInputs,
                  descriptions: list[str] | None = None, dtype: str = "float32",
                  nodata: float | None = NODATA, layer_id: str | None = None) -> None:
    bands = data if data.ndim == 3 else data[None]
    tmp = path.with_suffix(".tmp.tif")
    profile = {"driver": "GTiff", "height": grid.shape[0], "width": grid.shape[1],
               "count": bands.shape[0], "dtype": dtype, "crs": grid.crs,
               "transform": grid.transform, "compress": "deflate", "predictor": 2 if dtype != "float32" else 3,
               "tiled": True, "blockxsize": 256, "blockysize": 256}
    if nodata is not None:
        profile["nodata"] = nodata
    out = np.where(np.isfinite(bands), bands, NODATA if nodata is not None else 0).astype(dtype)
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(out)
        for index, text in enumerate(descriptions or [], start=1):
            dst.set_band_description(index, text)
        layer = next((item for item in LAYERS if item["id"] == layer_id), None)
        if layer is not None:
            dst.update_tags(layer_id=layer["id"], long_name=layer["long_name"],
                            resampling=layer["resampling"], source="ecociv calibrate",
                            status=layer["status"], units=layer["units"])
    os.replace(tmp, path)


def _report_png(path: Path, rows: list[dict[str, Any]], outcome: Outcome) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5.0), dpi=110)
    obs = [r for r in rows if math.isfinite(r["observed_1e8m3"])
           and math.isfinite(r["simulated_before_1e8m3"])]
    if obs:
        xs = np.array([r["observed_1e8m3"] for r in obs])
        ax.scatter(xs, [r["simulated_before_1e8m3"] for r in obs], marker="o", facecolors="none",
                   edgecolors="grey", label="before", zorder=3)
        ax.scatter(xs, [r["simulated_after_1e8m3"] for r in obs], marker="o", color="tab:blue",
                   label="calibrated (all gauges)", zorder=3)
        held = [r for r in obs if math.isfinite(r["holdout_pbias"])]
        if held:
            ax.scatter([r["observed_1e8m3"] for r in held],
                       [r["observed_1e8m3"] * (1 + r["holdout_pbias"] / 100) for r in held],
                       marker="x", color="tab:red", label="held out (calibrated on the other half)",
                       zorder=4)
        for r in obs:
            ax.annotate(r["river"] or r["id"], (r["observed_1e8m3"], r["simulated_after_1e8m3"]),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")
        values = [v for r in obs for v in (r["observed_1e8m3"], r["simulated_before_1e8m3"],
                                           r["simulated_after_1e8m3"]) if v > 0]
        lo, hi = min(values) / 1.5, max(values) * 1.5
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8, zorder=1)
        ax.fill_between([lo, hi], [lo / 1.3, hi / 1.3], [lo * 1.3, hi * 1.3], color="0.9",
                        label="±30 %", zorder=0)
        from matplotlib.ticker import FormatStrFormatter

        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):  # plain labels (mathtext is slow and not needed)
            axis.set_major_formatter(FormatStrFormatter("%g"))
            axis.set_minor_formatter(FormatStrFormatter(""))
    ax.set_xlabel("published mean annual runoff (10⁸ m³/yr)")
    ax.set_ylabel("water yield summed over the catchment (10⁸ m³/yr)")
    status = "converged" if outcome.result.converged else "NOT converged"
    ax.set_title(f"water_yield calibration ({status})", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _fmt(value: float, spec: str = ".2f") -> str:
    return "–" if not math.isfinite(value) else format(value, spec)


def report_markdown(outcome: Outcome, rows: list[dict[str, Any]]) -> str:
    """The short report of a calibration."""
    res = outcome.result
    lines = ["# water_yield calibration", "",
             f"- converged: **{'yes' if res.converged else 'no'}** ({res.message}; "
             f"{res.evaluations} evaluations)",
             f"- objective J (weighted log-ratio squares + prior): {res.objective_before:.3f} "
             f"before, {res.objective_after:.3f} after",
             f"- calibrated on: {', '.join(res.calibrated_on)}",
             f"- fitted to: {MATCH_TEXT[outcome.settings.match]} (--match {outcome.settings.match})",
             f"- elevation bands (m): {', '.join(f'{e:g}' for e in outcome.settings.band_edges)}; "
             f"prior Z {outcome.settings.z_prior:g}; snapping radius {outcome.settings.snap_radius} cells",
             "", "## Parameters", "", "| parameter | prior | value | bounds |", "|---|---|---|---|"]
    for param in outcome.problem.parameters:
        lines.append(f"| {param.name} | {param.prior:g} | {res.values[param.name]:.3f} | "
                     f"[{param.lower:g}, {param.upper:g}] |")
    lines += ["", "## Gauges", "",
              "| gauge | use | published | before | after | PBIAS before % | PBIAS after % | "
              "held-out PBIAS % | area delineated / published km² | network inflow |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['id']} | {r['use']} | {_fmt(r['observed_1e8m3'], '.3g')} | "
            f"{_fmt(r['simulated_before_1e8m3'])} | {_fmt(r['simulated_after_1e8m3'])} | "
            f"{_fmt(r['pbias_before'], '.0f')} | {_fmt(r['pbias_after'], '.0f')} | "
            f"{_fmt(r['holdout_pbias'], '.0f')} | {_fmt(r['delineated_area_km2'], '.0f')} / "
            f"{_fmt(r['published_area_km2'], '.0f')} | {_fmt(r['network_inflow_1e8m3'], '.3g')} |")
    if outcome.holdout_folds:
        lines += ["", "## Held-out test (split in halves, both ways)", ""]
        for number, (cal, val, scores) in enumerate(outcome.holdout_folds, start=1):
            lines += [f"Fold {number}: calibrated on {', '.join(cal)}; checked on {', '.join(val)}:", ""]
            lines += [f"- {g}: PBIAS {scores[g]:+.0f} %" for g in val]
            lines.append("")
    lines += ["", "Runoff in 10⁸ m³/yr. PBIAS = 100 (simulated − published) / published. "
              "Published figures, their citations and the approximate gauge coordinates are in "
              "the gauge table; catchments are delineated from the dataset's 1 km DEM "
              "(resampled from 1/12°), so their areas differ from the published ones.", ""]
    return "\n".join(lines)


def _update_manifest(root: Path, files: list[tuple[str, str, str]]) -> None:
    """Add the calibration's layers and sources rows (replacing rows of earlier calibrations)."""
    manifest_path = root / "dataset.yaml"
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8")) or {}
    manifest.setdefault("statuses", {}).setdefault("calibrated", STATUS_TEXT)
    ids = {layer["id"] for layer in LAYERS}
    manifest["layers"] = [layer for layer in manifest.get("layers") or [] if layer.get("id") not in ids]
    manifest["layers"] += [dict(layer) for layer in LAYERS]
    tmp = manifest_path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100),
                   encoding="utf-8")
    os.replace(tmp, manifest_path)
    sources_path = root / "sources.csv"
    frame = pd.read_csv(sources_path, dtype=str, keep_default_na=False)
    names = {name for name, _, _ in files}
    frame = frame[~frame["file"].isin(names)]
    new = []
    for name, units, processing in files:
        row = dict.fromkeys(frame.columns, "")
        row.update({"file": name, "item": "band 1" if name.endswith(".tif") and "/" not in name else "",
                    "status": "calibrated", "units": units,
                    "source": "ecociv calibrate", "file_in_source": "",
                    "license": "CC-BY-4.0 (this dataset)", "citation": CITATION,
                    "processing": processing, "resampling": "none"})
        new.append(row)
    frame = pd.concat([frame, pd.DataFrame(new, columns=frame.columns)], ignore_index=True)
    tmp_csv = sources_path.with_suffix(".csv.tmp")
    frame.to_csv(tmp_csv, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    os.replace(tmp_csv, sources_path)


def _is_dataset_target(root: Path, out: Path) -> bool:
    """True if ``out`` is the dataset itself or another dataset folder; else ``out`` must be
    new or empty (OutputError), and receives a copy of the dataset."""
    from ecociv.errors import OutputError

    if out.resolve() == root.resolve() or (out / "dataset.yaml").is_file():
        return True
    leftovers = [p.name for p in out.iterdir() if p.name != "calibration"] if out.exists() else []
    if leftovers:
        raise OutputError(f"{out} is neither a dataset folder (no dataset.yaml) nor empty; give a "
                          "dataset folder or a new folder to receive a calibrated copy")
    return False


def _prepare_target(root: Path, out: Path) -> None:
    """``out`` must be the dataset itself, another dataset folder, or a new/empty folder (then
    the dataset is copied there first, so the calibrated dataset is complete)."""
    import shutil

    if not _is_dataset_target(root, out):
        shutil.copytree(root, out, dirs_exist_ok=True)


def _refuse_foreign_files(out: Path) -> None:
    """Raise OutputError if a file exists where the calibration writes one and no earlier
    calibration wrote it (no sources.csv row of ``out`` with source 'ecociv calibrate')."""
    from ecociv.errors import OutputError

    targets = [name for name, _, _ in WRITTEN] + ["calibration/last_attempt.md"]
    present = [name for name in targets if (out / name).exists()]
    if not present:
        return
    ours: set[str] = set()
    if (out / "sources.csv").is_file():
        frame = pd.read_csv(out / "sources.csv", dtype=str, keep_default_na=False)
        if {"file", "source"} <= set(frame.columns):
            ours = set(frame.loc[frame["source"] == "ecociv calibrate", "file"])
    if ours:  # the failure report of an earlier calibration of this folder
        ours.add("calibration/last_attempt.md")
    foreign = [name for name in present if name not in ours]
    if foreign:
        raise OutputError(f"{out}: {', '.join(foreign)} would be overwritten but were not written "
                          "by an earlier `ecociv calibrate` (no 'ecociv calibrate' row in "
                          "sources.csv); move them away or give another --out")


def write_outcome(dataset: Dataset, grid: GridInputs, outcome: Outcome,
                  factor: NDArray[np.float64], z: NDArray[np.float64], out: Path) -> None:
    """Write the calibration (or, if it did not converge, only ``last_attempt.md``).

    Nothing is written when ``out`` holds a file at one of the calibration's paths that an
    earlier calibration did not write (``OutputError``)."""
    from ecociv.calibrate.run import gauge_rows

    _is_dataset_target(dataset.root, out)  # refuses a non-empty foreign folder first
    _refuse_foreign_files(out)
    folder = out / "calibration"
    folder.mkdir(parents=True, exist_ok=True)
    rows = gauge_rows(outcome)
    text = report_markdown(outcome, rows)
    if not outcome.result.converged:
        (folder / "last_attempt.md").write_text(text, encoding="utf-8")
        raise CalibrationFailedError(
            f"calibration did not converge ({outcome.result.message}); the previous calibrated "
            f"parameters are kept; see {folder / 'last_attempt.md'}")
    _prepare_target(dataset.root, out)
    precipitation = grid.arrays["precipitation"] * factor
    _write_raster(out / "precipitation_annual_calibrated.tif", precipitation, grid,
                  layer_id="precipitation_annual_calibrated")
    _write_raster(out / "seasonality_z.tif", np.where(np.isfinite(grid.arrays["dem"]), z, np.nan),
                  grid, layer_id="seasonality_z")
    masks = np.stack([c.mask for c in outcome.catchments]).astype(np.uint8)
    _write_raster(folder / "catchments.tif", masks, grid, [c.id for c in outcome.catchments],
                  dtype="uint8", nodata=None)
    res = outcome.result
    params = pd.DataFrame([{"name": p.name, "kind": p.kind, "zone": p.zone,
                            "value": res.values[p.name], "prior": p.prior,
                            "prior_log_sd": p.prior_log_sd, "lower": p.lower, "upper": p.upper,
                            "status": "calibrated"} for p in outcome.problem.parameters])
    params.to_csv(folder / "parameters.csv", index=False, lineterminator="\n")
    pd.DataFrame(rows).to_csv(folder / "gauges.csv", index=False, lineterminator="\n",
                              float_format="%.6g")
    held: list[dict[str, Any]] = []
    for number, (cal, val, scores) in enumerate(outcome.holdout_folds, start=1):
        held += [{"fold": number, "gauge": g, "set": "calibration"} for g in cal]
        held += [{"fold": number, "gauge": g, "set": "held out", "pbias": scores[g]} for g in val]
    pd.DataFrame(held, columns=["fold", "gauge", "set", "pbias"]).to_csv(
        folder / "held_out.csv", index=False, lineterminator="\n", float_format="%.6g")
    summary: dict[str, Any] = {"converged": res.converged, "message": res.message,
               "objective_before": res.objective_before, "objective_after": res.objective_after,
               "evaluations": res.evaluations, "calibrated_on": list(res.calibrated_on),
               "band_edges_m": list(outcome.settings.band_edges),
               "z_prior": outcome.settings.z_prior, "match": outcome.settings.match,
               "parameters": res.values,
               "holdout": [{"calibration": cal, "validation_pbias": scores}
                           for cal, _, scores in outcome.holdout_folds]}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    (folder / "report.md").write_text(text, encoding="utf-8")
    _report_png(folder / "report.png", rows, outcome)
    from ecociv.calibrate.gauges import reference_rows

    reference = out / "reference"
    reference.mkdir(exist_ok=True)
    reference_rows(outcome.gauges).to_csv(reference / "gauges.csv", index=False,
                                          lineterminator="\n")
    stale = folder / "last_attempt.md"
    if stale.exists():
        stale.unlink()
    _update_manifest(out, WRITTEN)
    outcome.written = [out / "precipitation_annual_calibrated.tif", out / "seasonality_z.tif", folder]
