"""The scenario runner: orders models by their data dependencies, reuses cached results by
input hashes, runs the rest through :mod:`ecociv.execute` and writes one run folder atomically."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from affine import Affine

from ecociv import __version__
from ecociv.errors import EcocivError, InputError, ScenarioError, relabelled
from ecociv.execute import load_inputs, run_loaded
from ecociv.grid.io import grid_of
from ecociv.grid.size import check_disk_room, written_rasters
from ecociv.grid.spec import GridSpec
from ecociv.io.clone import clone_folder
from ecociv.io.hashing import code_digest, digest_problems, file_digest
from ecociv.io.vectors import split_layer
from ecociv.region.dataset import DEFAULT_DATASET, Dataset, load_dataset
from ecociv.registry import get_model
from ecociv.scenario.concurrent import GraphRun, step_workers
from ecociv.scenario.progress import task_progress
from ecociv.scenario.schema import DATASET_REFERENCE, STEP_REFERENCE, Scenario, StepConfig
from ecociv.scenario.step_costs import step_costs
from ecociv.scenario.store import ResultsStore
from ecociv.scenario.timeline import span
from ecociv.spec import Model, ParamInput
from ecociv.units import parse_unit, to_magnitude

ProgressCallback = Callable[[str, str], None]


@dataclass
class PlannedStep:
    """A step with its model resolved and its inputs split into files and upstream outputs."""

    name: str
    model: Model
    files: dict[str, Path] = field(default_factory=dict)
    upstream: dict[str, tuple[str, str]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    #: input id -> nodata value declared for a user file replacing a dataset layer
    nodata: dict[str, float] = field(default_factory=dict)
    #: inputs that come from user files replacing dataset layers (aligned to the run grid)
    replaced: dict[str, str] = field(default_factory=dict)
    #: input id -> resampling method recorded for the dataset layer it replaces
    resampling: dict[str, str] = field(default_factory=dict)


@dataclass
class RunResult:
    run_id: str
    folder: Path
    manifest: dict[str, Any]


def _resolve_path(value: str, base_dir: Path) -> Path:
    path = Path(os.path.expandvars(os.path.expanduser(value)))
    return path if path.is_absolute() else base_dir / path



def plan(scenario: Scenario, base_dir: str | Path) -> list[PlannedStep]:
    """Check a scenario without computing and order its steps so each runs after the steps whose
    outputs it uses.

    The checks are those of ``ecociv validate`` (:mod:`ecociv.scenario.validate`): the steps
    against their models' specs, then the files, parameters, levers, wiring and grid.

    Raises
    ------
    InvalidScenarioError
        Listing every problem found, each naming the key at fault (e.g.
        ``models[wy].inputs.precipitation``).
    """
    from ecociv.scenario.validate import InvalidScenarioError, check_steps

    base_dir = Path(base_dir)
    problems: list[str] = []
    dataset_problem = _dataset_problem(scenario, base_dir)
    if dataset_problem:  # reported once, not for every input, layer and grid that uses it
        problems.append(dataset_problem)
        reference = scenario.grid.reference
        grid = (scenario.grid.model_copy(update={"reference": None})
                if reference and DATASET_REFERENCE.match(reference.strip()) else scenario.grid)
        scenario = scenario.model_copy(update={"dataset": None, "layers": {}, "grid": grid})
    planned = _plan_steps(scenario, base_dir, problems, skip_dataset=bool(dataset_problem))
    problems += _layer_override_problems(scenario, base_dir)
    order: list[PlannedStep] = []
    try:
        order = _topological(planned)
    except ScenarioError as err:
        problems.append(str(err))
    problems += check_steps(scenario, base_dir, planned)
    unique = list(dict.fromkeys(problems))
    if unique:
        raise InvalidScenarioError(unique)
    return order


def _dataset_problem(scenario: Scenario, base_dir: Path) -> str | None:
    """Why the dataset the scenario uses cannot be loaded (None when it can, or none is used)."""
    references = [value for step in scenario.models for value in step.inputs.values()
                  if DATASET_REFERENCE.match(value.strip())]
    if scenario.grid.reference and DATASET_REFERENCE.match(scenario.grid.reference.strip()):
        references.append(scenario.grid.reference)
    if scenario.dataset is None and not references and not scenario.layers:
        return None
    try:
        scenario_dataset(scenario, base_dir)
    except EcocivError as err:
        used = f" (used by {', '.join(sorted(set(references)))})" if references else ""
        return f"dataset: {err}{used}"
    return None


def _plan_steps(scenario: Scenario, base_dir: Path, problems: list[str], *,
                skip_dataset: bool = False) -> dict[str, PlannedStep]:
    """Resolve each step's model, inputs and parameters; what cannot be resolved is appended to
    ``problems`` and left out of the step (``skip_dataset``: leave out `dataset:` inputs, the
    dataset being reported already)."""
    configs: dict[str, StepConfig] = {c.step_name: c for c in scenario.models}
    planned: dict[str, PlannedStep] = {}
    for name, config in configs.items():
        try:
            model = get_model(config.id)
        except Exception as err:  # an unknown id, or a plugin that fails to load
            problems.append(f"models[{name}]: {err}")
            continue
        spec = model.spec
        known = {i.id: i for i in spec.inputs}
        step = PlannedStep(name=name, model=model)
        for input_id, value in config.inputs.items():
            key = f"models[{name}].inputs.{input_id}"
            if input_id not in known or isinstance(known[input_id], ParamInput):
                candidates = [i for i, s in known.items() if not isinstance(s, ParamInput)]
                close = difflib.get_close_matches(input_id, candidates, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                extra = ("; it is a parameter: give it under params"
                         if isinstance(known.get(input_id), ParamInput) else "")
                problems.append(f"models[{name}].inputs: model '{spec.id}' has no input "
                                f"'{input_id}'{hint} (inputs: {candidates}){extra}")
                continue
            match = STEP_REFERENCE.match(value.strip())
            from_dataset = DATASET_REFERENCE.match(value.strip())
            if from_dataset and skip_dataset:
                continue
            if from_dataset:
                try:
                    resolved = _dataset_input(scenario, base_dir, name, input_id,
                                              from_dataset["layer"], known[input_id])
                except EcocivError as err:
                    text = str(err)
                    problems.append(text if text.startswith(key) else f"{key}: {text}")
                    continue
                step.files[input_id] = resolved.path
                if resolved.replaced:
                    step.replaced[input_id] = str(resolved.path)
                    if resolved.resampling:
                        step.resampling[input_id] = resolved.resampling
                    if resolved.nodata is not None:
                        step.nodata[input_id] = resolved.nodata
            elif match:
                source, output = match["step"], match["output"]
                if source not in configs:
                    problems.append(f"{key}: no step named '{source}' (steps: {list(configs)})")
                    continue
                try:
                    source_model = get_model(configs[source].id)
                except EcocivError:
                    continue  # reported for that step
                outputs = [o.id for o in source_model.spec.outputs]
                if output not in outputs:
                    close = difflib.get_close_matches(output, outputs, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    problems.append(f"{key}: step '{source}' ({source_model.spec.id}) has no "
                                    f"output '{output}'{hint} (outputs: {outputs})")
                    continue
                step.upstream[input_id] = (source, output)
            else:
                step.files[input_id] = _resolve_path(value, base_dir)
        params = {k: v for k, v in scenario.parameters.items()
                  if k in known and isinstance(known[k], ParamInput)}
        for item in spec.inputs:  # levers of the strategy group this model reads (e.g. levers.water)
            if isinstance(item, ParamInput) and item.lever_group and item.lever_group in scenario.levers:
                params[item.id] = scenario.levers[item.lever_group]
        parameter_ids = [i for i, s in known.items() if isinstance(s, ParamInput)]
        for param_id, value in config.params.items():
            if param_id not in known or not isinstance(known[param_id], ParamInput):
                close = difflib.get_close_matches(param_id, parameter_ids, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                problems.append(f"models[{name}].params: model '{spec.id}' has no parameter "
                                f"'{param_id}'{hint} (parameters: {parameter_ids})")
                continue
            params[param_id] = value
        step.params = params
        planned[name] = step
    return planned


@dataclass
class _ResolvedLayer:
    path: Path
    replaced: bool
    nodata: float | None
    resampling: str | None = None


_METHODS = ("nearest", "bilinear", "average", "mode", "cubic")


def _recorded_method(text: str) -> str | None:
    """The resampling method a dataset records for a layer (``"bilinear (monthly...)"`` ->
    ``bilinear``); None when it records none of the methods an input can be aligned by."""
    first = text.strip().split(" ")[0].lower() if text.strip() else ""
    return first if first in _METHODS else None


_datasets: dict[tuple[str | None, str], Dataset] = {}


def scenario_dataset(scenario: Scenario, base_dir: Path) -> Dataset:
    """The dataset a scenario names (``belt`` or a folder relative to the scenario file)."""
    if scenario.dataset is None:
        raise ScenarioError("inputs written 'dataset:<layer>' need a dataset: add `dataset: belt` "
                            "(the embedded default) or `dataset: <folder>` to the scenario")
    location = scenario.dataset
    if location != DEFAULT_DATASET:
        location = str(_resolve_path(location, base_dir))
    key = (location, str(base_dir))
    if key not in _datasets:
        _datasets[key] = load_dataset(location)
    return _datasets[key]


def _dataset_input(scenario: Scenario, base_dir: Path, step: str, input_id: str, layer_id: str,
                   spec: Any) -> _ResolvedLayer:
    dataset = scenario_dataset(scenario, base_dir)
    try:
        layer = dataset.layer(layer_id)
    except InputError as err:
        raise ScenarioError(f"models[{step}].inputs.{input_id}: {err.detail}") from err
    expected = getattr(spec, "units", None)
    if expected is not None and layer.kind == "raster" and layer.units not in ("", "class code"):
        try:
            same = parse_unit(layer.units) == parse_unit(expected)
        except ValueError:
            same = False
        if not same:
            raise ScenarioError(
                f"models[{step}].inputs.{input_id}: layer '{layer_id}' is in {layer.units!r} but "
                f"the input expects {expected!r}")
    override = scenario.layers.get(layer_id)
    if override is None:
        return _ResolvedLayer(path=Path(layer.source), replaced=False, nodata=None)
    method = _recorded_method(layer.resampling)
    if isinstance(override, str):
        return _ResolvedLayer(path=_resolve_path(override, base_dir), replaced=True, nodata=None,
                              resampling=method)
    return _ResolvedLayer(path=_resolve_path(override.path, base_dir), replaced=True,
                          nodata=override.nodata, resampling=method)


def _layer_override_problems(scenario: Scenario, base_dir: Path) -> list[str]:
    if not scenario.layers:
        return []
    try:
        dataset = scenario_dataset(scenario, base_dir)
    except ScenarioError as err:
        return [f"layers: {err}"]
    except EcocivError as err:
        return [f"dataset: {err}"]
    read = {match["layer"] for step in scenario.models for value in step.inputs.values()
            if (match := DATASET_REFERENCE.match(value.strip()))}
    problems = []
    for layer_id in scenario.layers:
        if layer_id not in dataset.layers:
            close = difflib.get_close_matches(layer_id, list(dataset.layers), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"layers.{layer_id}: dataset '{dataset.name}' has no such layer{hint}")
            continue
        if layer_id not in read:
            problems.append(f"layers.{layer_id}: no input of the scenario reads dataset layer "
                            f"'{layer_id}', so this file would not be used (an input reads it when "
                            f"written `dataset:{layer_id}`)")
    return problems


def _topological(steps: dict[str, PlannedStep]) -> list[PlannedStep]:
    order: list[PlannedStep] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = " -> ".join([*chain[chain.index(name):], name])
            raise ScenarioError(f"models form a dependency cycle: {cycle}")
        state[name] = "active"
        for source, _ in steps[name].upstream.values():
            visit(source, [*chain, name])
        state[name] = "done"
        order.append(steps[name])

    for name in steps:
        visit(name, [])
    return order


def _grid(scenario: Scenario, base_dir: Path, outputs: Mapping[str, Path]) -> GridSpec | None:
    reference = scenario.grid.reference
    if reference is None:
        if scenario.dataset is None:
            return None
        grid = scenario_dataset(scenario, base_dir).grid
        return _resampled(grid, scenario)
    match = STEP_REFERENCE.match(reference)
    layer = DATASET_REFERENCE.match(reference)
    if layer:
        path: Path | None = Path(scenario_dataset(scenario, base_dir).layer(layer["layer"]).source)
    else:
        path = outputs.get(reference) if match else _resolve_path(reference, base_dir)
    if path is None:
        raise ScenarioError(f"grid.reference {reference!r} must be a file or an output of an "
                            "earlier step")
    return _resampled(grid_of(path, name="grid.reference"), scenario)


def _resampled(grid: GridSpec, scenario: Scenario) -> GridSpec:
    """``grid`` at the scenario's ``grid.resolution`` over the same extent (or as it is)."""
    if scenario.grid.resolution is None:
        return grid
    units = "m" if not grid.crs.is_geographic else "degree"
    size = to_magnitude(scenario.grid.resolution, units, name="grid.resolution")
    if size <= 0:
        raise ScenarioError(f"grid.resolution must be positive, got {scenario.grid.resolution!r}")
    left, bottom, right, top = grid.bounds
    cols = max(1, round((right - left) / size))
    rows = max(1, round((top - bottom) / size))
    return GridSpec.from_crs(grid.crs, Affine(size, 0, left, 0, -size, top), (rows, cols))


def _cache_key(step: PlannedStep, keys: Mapping[str, str], grid: GridSpec | None,
               align: bool) -> str:
    """Digest of everything a step's results depend on: the ecociv version and the source code
    of the model's package and of the modules it imports (a model's ``spec.version`` is not
    bumped for every kernel change), its input files, upstream keys, parameters and grid."""
    digest = hashlib.blake2b(digest_size=16)
    payload = {
        "model": step.model.spec.id,
        "version": step.model.spec.version,
        "ecociv": __version__,
        "code": code_digest(step.model.run),
        "files": {k: file_digest(v) for k, v in sorted(step.files.items())},
        "upstream": {k: [keys[s], o] for k, (s, o) in sorted(step.upstream.items())},
        "params": {k: str(v) for k, v in sorted(step.params.items())},
        "grid": grid.describe() if grid is not None else None,
        "align": align or bool(step.replaced),
        "nodata": step.nodata,
        "resampling": step.resampling,
    }
    digest.update(json.dumps(payload, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _copy_cached(candidates: list[Path], target: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """Copy the first earlier step folder whose outputs still match the digests recorded when
    they were written into ``target``; returns its manifest (None when no candidate is sound)
    and a note for each candidate passed over."""
    notes = []
    for source in candidates:
        try:
            manifest = json.loads((source / "manifest.json").read_text())
            clone_folder(source, target)
        except (OSError, ValueError) as err:
            shutil.rmtree(target, ignore_errors=True)
            notes.append(f"cached result {source} not reused: {err}")
            continue
        problems = digest_problems(target, manifest.get("outputs", {}))
        if not problems:
            return manifest, notes
        shutil.rmtree(target)  # the copy made just above, inside the unfinished run folder
        problems = [p.replace(str(target), str(source)) for p in problems]
        notes.append(f"cached result not reused, recomputed: {'; '.join(problems)}")
    return None, notes


def _raster_layers(steps: list[PlannedStep]) -> list[tuple[str, int]]:
    """(dtype, bands) of every raster output the run writes or may write (one band where bands
    follow a table; an output switched off by its step's parameters is not counted)."""
    return [(o.dtype, o.bands or 1) for step in steps
            for o in written_rasters(step.model.spec, step.params)]


def _percent(notify: ProgressCallback, step: str) -> Callable[[float], None]:
    """``notify(step, "running 40 %")`` for a fraction of tasks done."""
    return lambda done: notify(step, f"running {round(100 * done)} %")


@dataclass
class _StepResult:
    """What running (or reusing) one step gave: its manifest, whether it came from the cache,
    notes on cached results passed over, its cache key and when it started (perf_counter)."""

    manifest: dict[str, Any]
    cached: bool
    cache_notes: list[str]
    key: str
    started: float


def _serialised(notify: ProgressCallback) -> ProgressCallback:
    """``notify`` called by one thread at a time (steps running at once report from threads)."""
    lock = threading.Lock()

    def call(step: str, status: str) -> None:
        with lock:
            notify(step, status)

    return call


@contextmanager
def _local_scheduler(address: str | None, workers: int) -> Iterator[None]:
    """Local dask threads set once around steps running at once. Each step sets them again and
    restores what it found on exit (``dask.config.set`` is process-wide): with the same values
    set here first, a step that ends cannot take them from one still running."""
    if address or workers == 1:
        yield
        return
    from ecociv.execute.scheduling import scheduler

    with scheduler(None):
        yield


def run_scenario(
    scenario: Scenario,
    *,
    base_dir: str | Path,
    store: ResultsStore,
    scheduler_address: str | None = None,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
    on_step: Callable[[Path, dict[str, Any]], None] | None = None,
    steps: list[PlannedStep] | None = None,
    on_finish: Callable[[], None] | None = None,
    before_commit: Callable[[Path], None] | None = None,
) -> RunResult:
    """Run every step of ``scenario`` into a new run folder of ``store``.

    A failed step removes the whole unfinished run folder; earlier runs and the catalog are left
    as they were. ``on_step(step_folder, step_manifest)`` is called after each step, inside the
    unfinished run folder (e.g. to draw maps), so what it writes lands atomically with the run.
    ``progress(step, status)`` receives ``"running"``, then ``"running 40 %"`` (the share of the
    dask tasks of the step's current computation done; at most about once a second, local
    schedulers only), then ``"done"``; or only ``"cached"`` for a step reused from the cache.
    ``steps``: the scenario's steps as :func:`plan` returned them for the same ``base_dir``
    (a caller that has just validated the scenario passes them, so it is not planned twice).
    ``on_finish()`` is called after the last step, before the run folder is committed (e.g. to
    wait for maps drawn in the background); an error it raises fails the run like a step's.
    ``before_commit(run_folder)`` is called after that, with the run manifest written into the
    unfinished run folder (e.g. to write summaries beside the steps); what it writes lands with
    the run, an error it raises fails the run; the manifest's ``finished`` and ``seconds`` then
    include it.

    Steps whose inputs are ready run at once in threads, up to :func:`step_workers`
    (``ECOCIV_STEP_WORKERS``; one at a time with a ``dask.distributed`` scheduler), see
    :mod:`ecociv.scenario.concurrent`: results, the manifest (steps in plan order) and the error a
    failing step raises are those of a run of one step after another. ``on_step`` and the
    ``"done"`` reports come in the order the steps finish, in the calling thread; ``progress`` may
    be called from the threads that run the steps (one call at a time).
    """
    base_dir = Path(base_dir)
    if steps is None:
        steps = plan(scenario, base_dir)
    for step in steps:
        for input_id, path in step.files.items():
            if not split_layer(path)[0].exists():
                raise InputError("file does not exist",
                                 source=f"models[{step.name}].inputs.{input_id} ({path})")
    notify = progress or (lambda _step, _status: None)
    started = time.time()
    address = scheduler_address or scenario.scheduler
    align = scenario.grid.align or scenario.grid.resolution is not None
    workers = 1 if address else step_workers()  # a cluster's client is set process-wide
    with store.new_run(scenario.name) as (run_id, folder), \
            _local_scheduler(address, workers):
        outputs: dict[str, Path] = {}
        keys: dict[str, str] = {}
        records: dict[str, dict[str, Any]] = {}
        grid = None
        if steps:
            grid = _grid(scenario, base_dir, outputs)
            check_disk_room(grid, folder, _raster_layers(steps), source=(
                f"grid ({scenario.grid.reference or f'dataset {scenario.dataset}'})"))
        by_name = {step.name: step for step in steps}
        report = _serialised(notify) if workers > 1 else notify
        graph: GraphRun[_StepResult] | None = None

        def work(name: str) -> _StepResult:
            with span("step", name):
                return _work(name)

        def _work(name: str) -> _StepResult:
            step = by_name[name]
            t0 = time.perf_counter()
            key = _cache_key(step, keys, grid, align)
            step_folder = folder / step.name
            cached, cache_notes = _copy_cached(store.cached_steps(key) if use_cache else [],
                                               step_folder)
            if cached is not None:
                return _StepResult(cached, True, cache_notes, key, t0)
            report(step.name, "running")
            sources: dict[str, str | Path] = dict(step.files)
            for input_id, (source, output) in step.upstream.items():
                produced = outputs.get(f"@{source}.{output}")
                if produced is None:
                    raise ScenarioError(f"models[{step.name}].inputs.{input_id}: step "
                                        f"'{source}' did not produce output '{output}'")
                sources[input_id] = produced
            # the unfinished run folder is removed on error: name upstream outputs by step
            labels = {str(sources[i]): f"@{s}.{o} (output of step '{s}')"
                      for i, (s, o) in step.upstream.items()}
            try:
                with span("load", name):
                    loaded = load_inputs(step.model, sources, step.params, grid=grid,
                                         align=align or bool(step.replaced), nodata=step.nodata,
                                         resampling=step.resampling)
                for input_id, replacement in step.replaced.items():
                    loaded.notes.add(f"input '{input_id}': dataset layer replaced by {replacement}")
                for note in cache_notes:
                    loaded.notes.add(note)
                with task_progress(_percent(report, step.name),
                                   cancel=graph.cancel if graph is not None else None):
                    manifest = run_loaded(step.model, loaded, step_folder,
                                          scheduler_address=address,
                                          extra_manifest={"step": step.name, "cache_key": key})
            except InputError as err:
                raise relabelled(err, labels) from err
            return _StepResult(manifest, False, cache_notes, key, t0)

        def done(name: str, result: _StepResult) -> None:
            step, manifest = by_name[name], result.manifest
            keys[name] = result.key  # before the steps that read this one start
            for output_id, meta in manifest["outputs"].items():
                outputs[f"@{name}.{output_id}"] = folder / name / meta["path"]
            if on_step is not None and not result.cached:
                with span("on_step", name):
                    on_step(folder / name, manifest)
            records[name] = {
                "name": name, "model": step.model.spec.id, "version": step.model.spec.version,
                "cache_key": result.key, "cached": result.cached,
                "seconds": round(time.perf_counter() - result.started, 3),
                "outputs": {k: f"{name}/{v['path']}" for k, v in manifest["outputs"].items()},
                "notes": [*manifest.get("notes", []),
                          *(result.cache_notes if result.cached else [])]}
            report(name, "cached" if result.cached else "done")

        graph = GraphRun([step.name for step in steps],
                         {step.name: {s for s, _ in step.upstream.values()} for step in steps},
                         work, done, workers=workers, cost=step_costs(steps, grid))
        graph.run()
        if on_finish is not None:
            on_finish()
        finished = time.time()
        run_manifest = {
            "run_id": run_id,
            "status": "completed",
            "scenario": scenario.model_dump(mode="json"),
            "base_dir": str(base_dir.resolve()),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(finished)),
            "seconds": round(finished - started, 3),
            "grid": grid.describe() if grid is not None else None,
            "scheduler": address or "threads",
            "steps": [records[step.name] for step in steps],  # plan order, however they ran
            "ecociv_version": __version__,
        }
        (folder / "manifest.json").write_text(json.dumps(run_manifest, indent=2))
        if before_commit is not None:
            with span("before_commit"):
                before_commit(folder)
            finished = time.time()
            run_manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(finished))
            run_manifest["seconds"] = round(finished - started, 3)
            (folder / "manifest.json").write_text(json.dumps(run_manifest, indent=2))
    return RunResult(run_id=run_id, folder=store.runs_dir / run_id, manifest=run_manifest)
