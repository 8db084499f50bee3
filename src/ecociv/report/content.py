"""What a report says about its runs, read from the run folders: manifests, summary tables, the
check against published figures, uncertainty ranges and the dataset's sources and statuses.
Nothing here draws or formats; :mod:`ecociv.report.html` does."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.errors import InputError

#: the headline numbers of the executive summary (Belt totals), in this order when present
HEADLINE = ("water_yield_1e8m3", "water_conservation_1e8m3", "carbon_mt", "soil_conservation_mt",
            "sand_fixation_mt", "habitat_quality_mean", "redline_km2", "redline_percent",
            "corridor_length_km", "precipitation_1e8m3", "population")


@dataclass
class RunContent:
    """Everything the report shows about one run."""

    folder: Path
    manifest: dict[str, Any]
    prefectures: pd.DataFrame | None = None
    columns: dict[str, str] = field(default_factory=dict)
    summary_note: str | None = None
    check: pd.DataFrame | None = None
    check_note: str | None = None
    ranges: pd.DataFrame | None = None
    maps: list[tuple[str, Path]] = field(default_factory=list)
    charts: list[tuple[str, Path]] = field(default_factory=list)
    illustrative: dict[str, list[str]] = field(default_factory=dict)  # column -> illustrative files
    sources: pd.DataFrame | None = None
    #: Belt-level indicators of the run (``ecociv compare``'s: indicator, units, value)
    indicators: pd.DataFrame | None = None
    #: which maps to show (:func:`map_wanted` patterns); empty = every map the run drew
    map_patterns: tuple[str, ...] = ()

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.folder.name)

    @property
    def scenario(self) -> dict[str, Any]:
        return dict(self.manifest.get("scenario") or {})

    @property
    def total(self) -> pd.Series | None:
        if self.prefectures is None:
            return None
        rows = self.prefectures[self.prefectures["prefecture_adcode"].astype(str) == "total"]
        return rows.iloc[0] if len(rows) else None


def read_run(folder: str | Path) -> dict[str, Any]:
    """The manifest of a completed run whose every output file is there.

    Raises
    ------
    InputError
        The folder is missing or no run folder, the run did not complete, or an output the
        manifest lists is missing (each names the folder or file).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such run folder (give <store>/runs/<run-id>, as `ecociv runs` lists)",
                         source=str(folder))
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError("not a run folder: manifest.json is missing (give <store>/runs/<run-id>)",
                         source=str(folder)) from err
    except (OSError, ValueError) as err:
        raise InputError(f"cannot read the run manifest: {err}", source=str(path)) from err
    if not isinstance(manifest, dict) or "steps" not in manifest:
        raise InputError("not a run manifest (no 'steps'); give <store>/runs/<run-id>", source=str(path))
    status = manifest.get("status")
    if status != "completed":
        failed = [s.get("name") for s in manifest.get("steps", []) if s.get("error")]
        detail = f"; failed step(s): {', '.join(map(str, failed))}" if failed else ""
        raise InputError(f"the run did not complete (status {status!r}{detail}): nothing to report; "
                         "run it again", source=str(folder))
    for step in manifest["steps"]:
        for output, relative in (step.get("outputs") or {}).items():
            if not (folder / str(relative)).exists():
                raise InputError(f"output {output!r} of step {step.get('name')!r} is missing "
                                 f"({relative}): the run folder is incomplete; run it again",
                                 source=str(folder))
    return manifest


def _summaries(run: RunContent) -> None:
    table = run.folder / "summary" / "prefectures.csv"
    if not table.is_file():
        try:
            from ecociv.check.report import run_dataset
            from ecociv.region.summary import write_summaries

            write_summaries(run.folder, run_dataset(run.folder))
        except (InputError, OSError, KeyError, ValueError) as err:
            run.summary_note = str(err)
            return
    run.prefectures = pd.read_csv(table, dtype={"prefecture_adcode": str}, encoding="utf-8-sig")
    described = run.folder / "summary" / "columns.json"
    if described.is_file():
        run.columns = json.loads(described.read_text(encoding="utf-8"))


def _check(run: RunContent) -> None:
    table = run.folder / "check" / "check.csv"
    if not table.is_file():
        try:
            from ecociv.check.report import check_run

            check_run(run.folder)
        except (InputError, OSError) as err:
            run.check_note = str(err)
            return
    run.check = pd.read_csv(table, encoding="utf-8-sig")


def _ranges(run: RunContent, extra: list[Path]) -> None:
    for candidate in [run.folder / "uncertainty" / "ranges.csv", *extra]:
        path = candidate / "ranges.csv" if candidate.is_dir() else candidate
        if path.is_file():
            run.ranges = pd.read_csv(path, encoding="utf-8-sig")
            run.charts += [(png.stem, png) for png in (path.with_name("ranges.png"), path.with_name("sobol.png"))
                           if png.is_file()]
            return


def map_name(step: str, png: str) -> str:
    """The name a map is chosen by: ``STEP:MAP`` (e.g. ``redline:redline``), MAP being the file
    name of the run's map without ``.png``."""
    return f"{step}:{Path(png).stem}"


def map_wanted(patterns: Sequence[str], step: str, png: str) -> bool:
    """Whether the map ``png`` of ``step`` is shown: no patterns, or a shell-style pattern
    (``fnmatch``, case-sensitive) matching ``STEP:MAP``, the step or the map name alone."""
    if not patterns:
        return True
    from fnmatch import fnmatchcase

    stem = Path(png).stem
    return any(fnmatchcase(name, pattern) for pattern in patterns
               for name in (map_name(step, png), step, stem))


def run_map_names(run: RunContent) -> list[str]:
    """Every map the run drew, as ``STEP:MAP`` names (whether shown or not)."""
    names = []
    for step in run.manifest.get("steps", []):
        listing = run.folder / str(step.get("name")) / "maps.json"
        if listing.is_file():
            names += [map_name(str(step.get("name")), name)
                      for name in json.loads(listing.read_text(encoding="utf-8"))]
    return names


def check_map_patterns(runs: Sequence[RunContent], patterns: Sequence[str]) -> None:
    """Refuse a ``--maps`` pattern that matches no map of any run (a typo would silently drop
    every map), naming the pattern and some of the maps there are.

    Raises
    ------
    InputError
        A pattern that matches nothing.
    """
    names = [name for run in runs for name in run_map_names(run)]
    for pattern in patterns:
        if not any(map_wanted([pattern], *name.split(":", 1)) for name in names):
            listed = ", ".join(sorted(set(names))[:12]) or "none"
            raise InputError(f"--maps {pattern!r}: matches no map of the runs; maps are named "
                             f"STEP:MAP ({len(set(names))} here: {listed}"
                             f"{', …' if len(set(names)) > 12 else ''})")


def _maps(run: RunContent) -> None:
    for step in run.manifest.get("steps", []):
        listing = run.folder / str(step.get("name")) / "maps.json"
        if listing.is_file():
            for name in json.loads(listing.read_text(encoding="utf-8")):
                png = listing.parent / name
                if png.is_file() and map_wanted(run.map_patterns, str(step.get("name")), name):
                    run.maps.append((f"{step.get('name')}: {Path(name).stem}", png))


def localise_maps(run: RunContent, lang: str, folder: Path) -> None:
    """Draw the run's raster maps again in ``lang`` into ``folder`` and show those instead.

    Only Chinese differs from the maps a run draws (English): titles from the models' Chinese
    names, Chinese legends, place names and source line. Maps that are not of a raster output
    (e.g. a network diagram) stay as the run drew them; without a CJK font nothing changes."""
    if lang != "zh" or not run.maps:
        return
    from ecociv.report.charts import cjk_font

    if cjk_font() is None:
        return
    from ecociv.report import maps as report_maps

    shown: list[tuple[Any, Any]] = []  # (caption, png) or (job, the run's own (caption, png))
    for step in run.manifest.get("steps", []):
        step_folder = run.folder / str(step.get("name"))
        listing, manifest_path = step_folder / "maps.json", step_folder / "manifest.json"
        if not (listing.is_file() and manifest_path.is_file()):
            continue
        step_manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        planned = {Path(job.render["png"]).name: job for job in report_maps.step_map_jobs(
            step_folder, step_manifest, lang="zh", png_folder=folder / step_folder.name)
            if job.render is not None}
        for name in json.loads(listing.read_text(encoding="utf-8")):
            if not map_wanted(run.map_patterns, str(step.get("name")), name):
                continue
            original = (f"{step.get('name')}: {Path(name).stem}", step_folder / name)
            if name in planned:
                (folder / step_folder.name).mkdir(parents=True, exist_ok=True)
                shown.append((planned[name], original))
            elif (step_folder / name).is_file():
                shown.append(original)
    jobs = [item[0] for item in shown if isinstance(item[0], report_maps.MapJob)]
    drawn = dict(zip((id(job) for job in jobs), _draw(jobs), strict=True))
    maps: list[tuple[str, Path]] = []
    for first, second in shown:
        if not isinstance(first, report_maps.MapJob):
            maps.append((first, second))
            continue
        png = drawn[id(first)]
        if png is None:  # its raster cannot be read again: the run's own map
            if second[1].is_file():
                maps.append(second)
            continue
        maps.append((f"{first.render['title']}（{first.folder.name}）", png))  # type: ignore[index]
    run.maps = maps


def _draw(jobs: list[Any]) -> list[Path | None]:
    """Draw map jobs, in the map worker processes of a run (:func:`ecociv.report.maps.map_workers`)
    when there are several; None for a job whose raster cannot be read."""
    from ecociv.report import maps as report_maps

    workers = min(report_maps.map_workers(), len(jobs))
    if workers <= 1 or len(jobs) <= 3:
        return [_draw_one(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_draw_one, jobs))


def _draw_one(job: Any) -> Path | None:
    import rasterio

    from ecociv.report import maps as report_maps

    try:
        return report_maps.draw_map_job(job)[0]
    except (rasterio.errors.RasterioError, OSError):
        return None


def _sources(run: RunContent) -> None:
    """The dataset's sources.csv and, per summary column, the illustrative files its step read."""
    try:
        from ecociv.check.report import run_dataset

        dataset = run_dataset(run.folder)
    except (InputError, OSError):
        return
    path = Path(dataset.root) / "sources.csv" if hasattr(dataset, "root") else None
    if path is None or not path.is_file():
        return
    run.sources = pd.read_csv(path, encoding="utf-8-sig", dtype=str).fillna("")
    illustrative = set(run.sources.loc[run.sources["status"] == "illustrative", "file"])
    try:
        from ecociv.region.summary import run_measures

        measures = run_measures(run.folder)
    except (InputError, OSError, KeyError):
        return
    for item in measures:
        inputs = item.manifest.get("inputs") or {}
        kind, _, source = str(item.measure.source).partition(":")
        if kind == "input" and source in inputs:  # a measure of one input (precipitation) depends on that file only
            inputs = {source: inputs[source]}
        used = sorted({Path(str(meta.get("path", "")).split("|")[0]).name for meta in inputs.values()
                       if isinstance(meta, dict)} & illustrative)
        if used:
            run.illustrative.setdefault(item.measure.column, used)
            share = getattr(item.measure, "share_column", None)
            if share:
                run.illustrative.setdefault(str(share), used)


def _indicators(run: RunContent) -> None:
    """The run's Belt-level indicators, as ``ecociv compare`` reads them (water delivered,
    groundwater overdraft, lake areas, land use, emissions, value added ...)."""
    from ecociv.strategies.indicators import run_indicators

    try:
        table = run_indicators(run.folder)
    except (InputError, OSError, KeyError, ValueError):
        return
    belt = table[table["level"] == "belt"][["indicator", "units", "value"]]
    run.indicators = belt.reset_index(drop=True) if len(belt) else None


def gather(folder: str | Path, *, uncertainty: list[Path] | None = None,
           maps: Sequence[str] = ()) -> RunContent:
    """Read one run for the report (see :func:`read_run` for what is refused); ``maps``: the
    :func:`map_wanted` patterns of the maps to show (none: every map)."""
    manifest = read_run(folder)
    run = RunContent(folder=Path(folder), manifest=manifest, map_patterns=tuple(maps))
    _summaries(run)
    _check(run)
    _ranges(run, list(uncertainty or []))
    _maps(run)
    _sources(run)
    _indicators(run)
    return run
