"""An uncertainty study of a scenario: sample the distributions, run the samples on a dask
cluster, and write ranges.csv, sobol.csv, samples.csv, charts and summary.json."""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecociv.errors import InputError, ScenarioError
from ecociv.uncertainty.targets import UncertaintySpec, apply_values, check_targets, split_scenario

#: default number of samples: Latin-hypercube rows (mc) or base size N of the Saltelli design
DEFAULT_SAMPLES = {"mc": 100, "sobol": 64}
#: quantiles at which the scenario is validated before sampling: the median (unknown levers and
#: parameters), then the tails (values a parameter's range refuses)
CHECKED_QUANTILES = ((0.5, "the median"), (0.001, "the 0.1 % quantile"),
                     (0.999, "the 99.9 % quantile"))


@dataclass(frozen=True)
class StudyResult:
    """Files written and timings of a study."""

    out: Path
    files: dict[str, Path]
    summary: dict[str, Any]


def prepare(path: Path, side_file: Path | None = None) -> tuple[dict[str, Any], UncertaintySpec,
                                                                 dict[str, str]]:
    """Read and check the scenario and its distributions; returns the scenario mapping, the
    distributions and the files the multiplier targets scale.

    Raises
    ------
    InputError, ScenarioError
        The scenario is not valid, or a target is unknown or cannot be applied (one line naming
        the target).
    """
    from ecociv.scenario.runner import plan
    from ecociv.scenario.schema import parse_scenario

    data, spec = split_scenario(path, side_file)
    steps = plan(parse_scenario(data, source=str(path)), path.parent)
    check_targets(data, spec)
    files = {step.name: step.files for step in steps}
    inputs: dict[str, str] = {}
    for target in spec.targets:
        if target.kind == "input":
            step, _, input_id = target.path.split(".")
            key = target.path + (f"[{target.column}]" if target.column else "")
            if input_id not in files.get(step, {}):
                raise InputError(f"input '{input_id}' of step '{step}' is not a file",
                                 source=f"{spec.source}: uncertainty target '{target.path}'")
            inputs[key] = str(files[step][input_id].resolve())
    import numpy as np

    for q, label in CHECKED_QUANTILES:
        values = [float(t.distribution.ppf(np.array([q]))[0]) for t in spec.targets]
        trial = apply_values(data, spec.targets, values, inputs)
        try:
            plan(parse_scenario(trial, source=str(path)), path.parent)
        except ScenarioError as err:
            problems = getattr(err, "problems", None) or [str(err)]
            raise InputError(f"with every target at {label} of its distribution the scenario is "
                             f"refused: {problems[0]}", source=f"{spec.source}: uncertainty") from err
    return data, spec, inputs


def run_study(path: str | Path, out: str | Path, *, samples: int | None = None,
              method: str | None = None, scheduler: str | None = None, workers: int = 2,
              side_file: str | Path | None = None, seed: int | None = None,
              progress: Callable[[str], None] | None = None,
              in_memory: bool = True) -> StudyResult:
    """Run an uncertainty study of the scenario file ``path`` into the folder ``out``.

    Parameters
    ----------
    samples : int, optional
        Latin-hypercube samples (``mc``), or the base size N of the Saltelli design (``sobol``,
        a power of two; N·(D + 2) runs for D targets). Default: the section's, else
        :data:`DEFAULT_SAMPLES`.
    method : {'mc', 'sobol'}, optional
        Default: the section's, else ``mc``.
    scheduler : str, optional
        Address of an existing dask.distributed scheduler; default a LocalCluster of ``workers``.
    seed : int, optional
        Overrides the section's seed: the same seed gives the same samples.
    in_memory : bool
        Run each sample in memory (default; :mod:`ecociv.uncertainty.memory_run`), else into a
        run folder of a worker store whose files are read back (same indicators, slower).
    """
    import numpy as np
    import pandas as pd

    from ecociv.uncertainty import analysis, plot
    from ecociv.uncertainty.cluster import client, map_batches, run_threads
    from ecociv.uncertainty.evaluate import Batch, Outcome, run_batch
    from ecociv.uncertainty.sampling import to_values, unit_design

    say = progress or (lambda _message: None)
    path, out = Path(path), Path(out)
    if (out.exists() and {p.name for p in out.iterdir()} - {"work"}
            and not (out / "summary.json").is_file()):
        raise InputError("folder exists, is not empty and is not an earlier uncertainty study; "
                         "choose a new --out folder", source=str(out))
    data, spec, inputs = prepare(path, Path(side_file) if side_file else None)
    method = method or spec.method or "mc"
    n = samples or spec.samples or DEFAULT_SAMPLES.get(method, 100)
    seed = spec.seed if seed is None else seed
    labels = [t.label for t in spec.targets]
    unit = unit_design(method, n, len(spec.targets), seed)
    values = to_values(unit, [t.distribution for t in spec.targets])
    out.mkdir(parents=True, exist_ok=True)
    workdir = out / "work"
    shutil.rmtree(workdir, ignore_errors=True)
    started = time.perf_counter()
    with client(scheduler, workers) as connected:
        n_workers = len(connected.scheduler_info().get("workers", {})) or workers
        say(f"{len(values)} runs of '{data.get('name')}' on {n_workers} dask worker(s)")
        common = dict(scenario=data, base_dir=str(path.parent.resolve()),
                      input_files=inputs, workdir=str(workdir.resolve()),
                      threads=run_threads(None if scheduler else n_workers), in_memory=in_memory)
        nominal_batch = Batch(targets=(), rows=[(-1, [])], **common)  # type: ignore[arg-type]
        nominal: Outcome = map_batches(connected, run_batch, [nominal_batch])[0][0]
        if nominal.error:
            raise InputError(f"the scenario as written fails: {nominal.error}", source=str(path))
        size = max(1, min(8, math.ceil(len(values) / (4 * n_workers))))
        rows = [(i, [float(v) for v in row]) for i, row in enumerate(values)]
        batches = [Batch(targets=spec.targets, rows=rows[k:k + size], **common)  # type: ignore[arg-type]
                   for k in range(0, len(rows), size)]
        t0 = time.perf_counter()
        results = map_batches(connected, run_batch, batches,
                              on_done=lambda done: say(f"  {done}/{len(rows)} samples"))
        sample_seconds = time.perf_counter() - t0
    shutil.rmtree(workdir, ignore_errors=True)
    outcomes = sorted((o for batch in results for o in batch), key=lambda o: o.index)
    table = pd.DataFrame(values, columns=labels)
    table.insert(0, "sample", range(len(values)))
    table["status"] = ["failed" if o.error else "ok" for o in outcomes]
    table["error"] = [o.error or "" for o in outcomes]
    table["seconds"] = [round(o.seconds, 3) for o in outcomes]
    table["cpu_seconds"] = [round(o.cpu_seconds, 3) for o in outcomes]
    indicators = pd.DataFrame([o.indicators for o in outcomes])
    units = {**nominal.units}
    for outcome in outcomes:
        units.update(outcome.units)
    ok = table["status"] == "ok"
    files = {"samples": out / "samples.csv", "ranges": out / "ranges.csv"}
    pd.concat([table, indicators], axis=1).to_csv(files["samples"], index=False)
    ranges = analysis.ranges(indicators[ok.to_numpy()], nominal.indicators, units)
    ranges.to_csv(files["ranges"], index=False)
    files["ranges_png"] = plot.plot_ranges(ranges, out / "ranges.png")
    key_indicator = None
    sobol_converged = None
    if method == "sobol":
        files["sobol"] = out / "sobol.csv"
        if ok.all():
            sobol = analysis.sobol_indices(unit, indicators, labels, seed=seed)
        else:
            sobol = pd.DataFrame(columns=analysis.SOBOL_COLUMNS)
            say(f"{int((~ok).sum())} sample(s) failed: Sobol indices need every run; see samples.csv")
        sobol.to_csv(files["sobol"], index=False)
        converged = sobol["converged"].dropna().astype(bool)
        sobol_converged = f"{int(converged.sum())} of {len(converged)}"
        if len(sobol):
            spread = ranges.assign(rel=(ranges["p95"] - ranges["p05"]) / ranges["p50"].abs())
            spread = spread[spread["indicator"].isin(set(sobol["indicator"]))]
            key_indicator = str(spread.sort_values("rel", ascending=False)["indicator"].iloc[0])
            files["sobol_png"] = plot.plot_indices(sobol, key_indicator, out / "sobol.png")
    summary = {
        "scenario": str(path), "method": method, "samples": n, "runs": len(values),
        "failed": int((~ok).sum()), "seed": seed, "workers": n_workers,
        "scheduler": scheduler or "LocalCluster",
        "targets": [{"target": t.path, "label": t.label, "distribution": t.distribution.kind,
                     **t.distribution.params, **({"units": t.units} if t.units else {}),
                     **({"column": t.column} if t.column else {})} for t in spec.targets],
        "indicators": int(indicators.shape[1]),
        "sample_seconds": round(sample_seconds, 3),
        "samples_per_second": round(len(values) / sample_seconds, 4) if sample_seconds else None,
        "total_seconds": round(time.perf_counter() - started, 3),
        "plotted_indicator": key_indicator,
        "sobol_converged": sobol_converged,
        "nominal_seconds": round(nominal.seconds, 3),
        "mean_run_seconds": float(np.mean([o.seconds for o in outcomes])) if outcomes else None,
        "median_run_cpu_seconds": (float(np.median([o.cpu_seconds for o in outcomes]))
                                   if outcomes else None),
    }
    files["summary"] = out / "summary.json"
    files["summary"].write_text(json.dumps(summary, indent=2))
    return StudyResult(out=out, files=files, summary=summary)
