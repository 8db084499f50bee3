"""Running a set of strategy scenarios into one results store, the baseline first.

Each scenario is an ordinary scenario file run by :func:`ecociv.scenario.run_file.run_scenario_file`,
so steps shared between scenarios (the same model, code, inputs, parameters and grid) are reused
from the store's cache. A scenario that fails does not stop the others: it is recorded, with its
error, in the set's ``strategy_set.json`` (``STORE/strategy-sets/<set id>/``), which
``ecociv compare`` reads to list it beside the runs that completed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecociv.errors import EcocivError

#: file name of a set's record inside its folder
SET_FILE = "strategy_set.json"


@dataclass
class SetEntry:
    """One scenario of a set: completed (with its run folder) or failed (with the error)."""

    id: str
    scenario_file: str
    status: str
    run_id: str | None = None
    folder: str | None = None
    seconds: float = 0.0
    error: str | None = None
    cached_steps: int = 0
    steps: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class SetResult:
    """The record of a strategy set run."""

    set_id: str
    folder: Path
    entries: list[SetEntry]

    @property
    def failed(self) -> list[SetEntry]:
        return [e for e in self.entries if e.status != "completed"]


def with_years(loaded: Any, years: Sequence[int] | None) -> Any:
    """The loaded scenario file with ``years`` replaced, every ``land_use_change`` step simulated
    to the last of them (steps reading ``land_use_final`` then see that year's map) and every
    ``eco_compensation`` step valuing that year; the file as it is when ``years`` is None."""
    from ecociv.scenario.run_file import ScenarioFile
    from ecociv.scenario.runner import plan

    if not years:
        return loaded
    scenario = loaded.scenario
    last = {"land_use_change": "end_year", "eco_compensation": "scenario_year"}
    models = [step.model_copy(update={"params": {**step.params, last[step.id]: max(years)}})
              if step.id in last else step for step in scenario.models]
    changed = scenario.model_copy(update={"years": list(years), "models": models})
    return ScenarioFile(path=loaded.path, scenario=changed, steps=plan(changed, loaded.base_dir))


def _write_summaries(loaded: Any, folder: Path) -> str | None:
    """Per-unit, prefecture and basin summaries of a run on a dataset (``summary/``); a note
    when the scenario has no dataset or the summary fails."""
    from ecociv.region.summary import write_summaries
    from ecociv.scenario.runner import scenario_dataset

    if loaded.scenario.dataset is None:
        return "no dataset: no per-unit summary tables"
    try:
        write_summaries(folder, scenario_dataset(loaded.scenario, loaded.base_dir))
    except EcocivError as err:
        return f"summary tables not written: {err}"
    return None


def run_strategy_set(
    scenarios: Sequence[tuple[str, str | Path]],
    store_root: str | Path,
    *,
    years: Sequence[int] | None = None,
    use_cache: bool = True,
    maps: bool = False,
    progress: Callable[[str, str], None] | None = None,
    on_scenario: Callable[[SetEntry], None] | None = None,
) -> SetResult:
    """Run ``scenarios`` (``(id, scenario file)`` pairs, the baseline first) into one store.

    Parameters
    ----------
    scenarios : sequence of (str, path)
        Strategy id and scenario file, in run order.
    store_root : path
        The results store (``ecociv run --out``).
    years : sequence of int, optional
        Years of every scenario; ``land_use_change`` steps are simulated to the last of them.
    use_cache : bool
        Reuse identical steps of earlier runs (of this set or of the store).
    maps : bool
        Draw a PNG map of every raster output.
    progress : callable, optional
        ``progress(step, status)`` of the scenario runner, the step prefixed by the strategy id.
    on_scenario : callable, optional
        Called with each scenario's entry when it has completed or failed.

    Returns
    -------
    SetResult
        The set id, its folder (holding ``strategy_set.json``) and one entry per scenario.
    """
    from ecociv.scenario.run_file import load_scenario_file, run_scenario_file

    root = Path(store_root)
    set_id = time.strftime("%Y%m%d-%H%M%S") + f"-{len(scenarios)}"
    folder = root / "strategy-sets" / set_id
    entries: list[SetEntry] = []
    for sid, path in scenarios:
        entry = SetEntry(id=sid, scenario_file=str(path), status="failed")
        started = time.perf_counter()

        def step_progress(step: str, status: str, sid: str = sid) -> None:
            if progress is not None:
                progress(f"{sid} {step}", status)

        try:
            loaded = with_years(load_scenario_file(path), years)
            result = run_scenario_file(loaded, root, use_cache=use_cache, maps=maps,
                                       progress=step_progress)
            entry.status = "completed"
            entry.run_id = result.run_id
            entry.folder = str(result.folder)
            entry.steps = len(result.manifest["steps"])
            entry.cached_steps = sum(bool(s.get("cached")) for s in result.manifest["steps"])
            note = _write_summaries(loaded, result.folder)
            if note:
                entry.notes.append(note)
        except KeyboardInterrupt:
            raise
        except Exception as err:  # a failed scenario must not stop the set
            entry.error = f"{type(err).__name__}: {err}" if not isinstance(err, EcocivError) else str(err)
        entry.seconds = round(time.perf_counter() - started, 3)
        entries.append(entry)
        if on_scenario is not None:
            on_scenario(entry)
    folder.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"set_id": set_id, "store": str(root.resolve()),
                              "years": list(years) if years else None,
                              "entries": [vars(e) for e in entries]}
    (folder / SET_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    return SetResult(set_id=set_id, folder=folder, entries=entries)


def read_set(folder: str | Path) -> list[SetEntry]:
    """The entries of a set folder's ``strategy_set.json``."""
    data = json.loads((Path(folder) / SET_FILE).read_text(encoding="utf-8"))
    return [SetEntry(**e) for e in data["entries"]]
