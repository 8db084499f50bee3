"""One calibration of a dataset: delineate, screen the gauges, fit, held-out check, and write the
calibrated parameters into the dataset folder (status ``calibrated``).

Files written (a calibration that does not converge writes only ``calibration/last_attempt.md``
and keeps every earlier file):

* ``precipitation_annual_calibrated.tif`` — the raw precipitation layer × the calibrated factor of
  each cell's elevation band (layer ``precipitation_annual_calibrated``);
* ``seasonality_z.tif`` — Z of each cell: calibrated per gauged basin, the prior elsewhere
  (layer ``seasonality_z``);
* ``calibration/parameters.csv``, ``calibration/gauges.csv`` (before/after, PBIAS, delineated and
  published areas, the network's inflow for the same river), ``calibration/held_out.csv``,
  ``calibration/catchments.tif`` (one band per gauge), ``calibration/report.md`` and
  ``calibration/report.png``;
* rows in ``dataset.yaml`` and ``sources.csv`` for these files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ecociv.calibrate.catchments import SNAP_RADIUS_CELLS, Catchment
from ecociv.calibrate.fit import FitResult, fit, held_out, pbias, split_half
from ecociv.calibrate.gauges import Gauge, read_gauges
from ecociv.calibrate.inputs import (
    GridInputs,
    basin_names,
    build_problem,
    delineate,
    read_grid_inputs,
)
from ecociv.calibrate.problem import Problem, cell_fields
from ecociv.region.dataset import load_dataset

#: default elevation band edges of the precipitation correction, m
BAND_EDGES = (1500.0, 2500.0, 3500.0)

#: a gauge whose delineated area differs from the published one by more than this factor is
#: left out of the calibration (a 1/12° DEM misplaces divides: the Manas River's delineated
#: catchment is 0.54 of the published one)
AREA_FACTOR = 2.0

#: what a gauge's simulated runoff is fitted to: ``volume`` = the published runoff over the
#: delineated catchment (what ``ecociv check`` and the water network compare), ``depth`` = the
#: published runoff depth (runoff / published area) over the delineated catchment
MATCHES = ("volume", "depth")


@dataclass
class Settings:
    """Options of a calibration."""

    band_edges: Sequence[float] = BAND_EDGES
    z_prior: float = 5.0
    snap_radius: int = SNAP_RADIUS_CELLS
    max_nfev: int = 200
    holdout: bool = True
    match: str = "volume"


@dataclass
class Outcome:
    """Everything a calibration produced (what the files and the report show)."""

    gauges: list[Gauge]
    catchments: list[Catchment]
    screening: dict[str, str]
    problem: Problem
    result: FitResult
    holdout_fit: FitResult | None
    holdout_split: tuple[list[str], list[str]]
    holdout_pbias: dict[str, float]
    network_inflow: dict[str, float]
    settings: Settings
    #: the two folds of the split test: (calibrated on, held out, PBIAS of the held-out gauges)
    holdout_folds: list[tuple[list[str], list[str], dict[str, float]]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def screen(gauges: Sequence[Gauge], catchments: Sequence[Catchment], grid: GridInputs
           ) -> dict[str, str]:
    """Why each gauge is (not) used: ``calibrate``, or the reason it is left out."""
    precipitation = grid.arrays["precipitation"]
    cell_km2 = abs(grid.transform.a * grid.transform.e) / 1e6
    verdict = {}
    for gauge, catchment in zip(gauges, catchments, strict=True):
        area = catchment.area_km2
        published = gauge.catchment_area_km2
        if not gauge.has_runoff:
            verdict[gauge.id] = "no published runoff (delineation check only)"
        elif math.isfinite(published) and abs(math.log(area / published)) > math.log(AREA_FACTOR):
            verdict[gauge.id] = (f"left out: delineated area {area:.0f} km2 vs published "
                                 f"{published:.0f} km2 (more than x{AREA_FACTOR:g} apart)")
        else:
            rain = float(np.nansum(precipitation[catchment.mask])) * cell_km2 * 1e-5
            if gauge.runoff >= rain:
                verdict[gauge.id] = (f"left out: published runoff {gauge.runoff:g} exceeds the "
                                     f"precipitation {rain:.2f} (1e8 m3/yr) over the delineated "
                                     f"{area:.0f} km2 (the point is off the river's channel)")
            else:
                verdict[gauge.id] = "calibrate"
    return verdict


def network_inflows(gauges: Sequence[Gauge]) -> dict[str, float]:
    """The water network's annual inflow (10⁸ m³/yr) at each gauge's ``network_node``."""
    from ecociv.io.yaml_files import load_yaml

    path = Path(__file__).resolve().parents[1] / "data" / "water" / "belt_network" / "network.yaml"
    if not path.is_file():
        return {}
    nodes = {n.get("id"): n for n in (load_yaml(path, what="water network") or {}).get("nodes", [])}
    out = {}
    for gauge in gauges:
        node = nodes.get(gauge.network_node) or {}
        text = str((node.get("inflow") or {}).get("annual", "")).split()
        try:
            out[gauge.id] = float(text[0])
        except (IndexError, ValueError):
            continue
    return out


def calibrate(dataset: str | Path | None, gauge_table: str | Path, settings: Settings,
              out: str | Path | None = None) -> Outcome:
    """Run a calibration and write its files into ``out`` (default: the dataset folder)."""
    from ecociv.calibrate.write import write_outcome

    ds = load_dataset(dataset)
    gauges = read_gauges(gauge_table, basin_names(ds))
    grid = read_grid_inputs(ds)
    _, catchments = delineate(grid, gauges, settings.snap_radius)
    screening = screen(gauges, catchments, grid)
    used = [g for g in gauges if screening[g.id] == "calibrate"]
    catch_used = [c for g, c in zip(gauges, catchments, strict=True) if screening[g.id] == "calibrate"]
    if not used:
        from ecociv.errors import InputError

        raise InputError("no gauge can be calibrated against: "
                         + "; ".join(f"{k}: {v}" for k, v in screening.items()),
                         source=str(gauge_table))
    problem, cells = build_problem(grid, used, catch_used, band_edges=settings.band_edges,
                                   z_prior=settings.z_prior)
    if settings.match == "depth":  # the published depth over the delineated area
        for gauge, catchment in zip(used, catch_used, strict=True):
            if math.isfinite(gauge.catchment_area_km2):
                problem.observed[gauge.id] = (gauge.runoff * catchment.area_km2
                                              / gauge.catchment_area_km2)
    result = fit(problem, max_nfev=settings.max_nfev)
    split: tuple[list[str], list[str]] = ([], [])
    scores: dict[str, float] = {}
    holdout_fit = None
    folds: list[tuple[list[str], list[str], dict[str, float]]] = []
    if settings.holdout and len(problem.observed) >= 2:
        split = split_half(list(problem.observed))
        # both ways: calibrate on one half and check the other, then swap, so every gauge is
        # predicted once by parameters fitted without it
        for calibration, validation in (split, split[::-1]):
            fitted, fold_scores = held_out(problem, calibration, validation,
                                           max_nfev=settings.max_nfev)
            holdout_fit = holdout_fit or fitted
            folds.append((list(calibration), list(validation), fold_scores))
            scores.update(fold_scores)
    outcome = Outcome(gauges=gauges, catchments=catchments, screening=screening, problem=problem,
                      result=result, holdout_fit=holdout_fit, holdout_split=split,
                      holdout_pbias=scores, network_inflow=network_inflows(gauges),
                      settings=settings, holdout_folds=folds)
    factor, z = cell_fields(problem.parameters, np.array(list(result.values.values())),
                            problem.band_edges, problem.band_labels, problem.z_default,
                            cells.elevation, cells.basin)
    write_outcome(ds, grid, outcome, factor.reshape(grid.shape), z.reshape(grid.shape),
                  Path(out) if out else ds.root)
    return outcome


def gauge_rows(outcome: Outcome) -> list[dict[str, object]]:
    """Before/after rows per gauge (the content of ``calibration/gauges.csv``)."""
    rows = []
    res = outcome.result
    for gauge, catchment in zip(outcome.gauges, outcome.catchments, strict=True):
        before = res.simulated_before.get(gauge.id, math.nan)
        after = res.simulated_after.get(gauge.id, math.nan)
        role = outcome.screening[gauge.id]
        for number, (_, validation, _) in enumerate(outcome.holdout_folds, start=1):
            if gauge.id in validation:
                role = f"calibrate (held out in split fold {number})"
        rows.append({
            "id": gauge.id, "river": gauge.river, "station": gauge.station, "basin": gauge.basin,
            "use": role, "observed_1e8m3": gauge.runoff,
            "target_1e8m3": outcome.problem.observed.get(gauge.id, math.nan),
            "simulated_before_1e8m3": before, "simulated_after_1e8m3": after,
            "pbias_before": pbias(before, gauge.runoff) if gauge.has_runoff else math.nan,
            "pbias_after": pbias(after, gauge.runoff) if gauge.has_runoff else math.nan,
            "holdout_pbias": outcome.holdout_pbias.get(gauge.id, math.nan),
            "delineated_area_km2": catchment.area_km2,
            "published_area_km2": gauge.catchment_area_km2,
            "outlet_row": catchment.outlet_row, "outlet_col": catchment.outlet_col,
            "network_node": gauge.network_node,
            "network_inflow_1e8m3": outcome.network_inflow.get(gauge.id, math.nan),
        })
    return rows
