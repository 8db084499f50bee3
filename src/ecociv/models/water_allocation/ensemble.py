"""Ensembles of inflow scenarios: the same network run many times with perturbed inflows, in parallel
processes, summarised per member and basin (e.g. the probability that a basin's agriculture is short).

Member ``m`` multiplies every local inflow (headwaters and junctions with inflow) by a lognormal
factor per node and calendar year with mean 1 and log-standard deviation ``sigma``
(``numpy.random.default_rng([seed, m])``), so a member is reproducible on its own and members are
independent of how they are split among workers. ``sigma`` is a user choice (e.g. fitted to a
river's observed inter-annual variability), not a property of the Belt.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.water_allocation.network import Network, load_network
from ecociv.models.water_allocation.program import Program, volume_scale
from ecociv.models.water_allocation.results import basin_summary
from ecociv.models.water_allocation.solver import allocate

_NET: Network | None = None
_BASE: dict[str, np.ndarray] = {}
_PROGRAMS: dict[float, Program] = {}  # the worker's linear program of _NET, per volume scale


def perturbed_inflows(base: Mapping[str, np.ndarray], years: np.ndarray, member: int, *, seed: int,
                      sigma: float) -> dict[str, np.ndarray]:
    """Inflows of ``member``: each series (m³ per step) × a lognormal factor per node and year (mean 1)."""
    if sigma < 0:
        raise InputError(f"sigma must not be negative, got {sigma}", source="ensemble")
    rng = np.random.default_rng([seed, member])
    index = np.searchsorted(np.unique(years), years)
    factors = rng.lognormal(-sigma**2 / 2, sigma, size=(len(base), int(index.max()) + 1))
    return {node: series * factors[k, index] for k, (node, series) in enumerate(base.items())}


def _load(path: str, levers: Mapping[str, Any] | None) -> None:
    global _NET, _BASE
    _NET = load_network(path, overrides=levers)
    _PROGRAMS.clear()
    _BASE = {node_id: node.inflow.copy() for node_id, node in _NET.nodes.items() if np.any(node.inflow > 0)}
    # the modules and the network live as long as the worker: keep them out of the collector's
    # passes, which a member's many short-lived objects would otherwise trigger over and over
    gc.collect()
    gc.freeze()


def run_member(member: int, seed: int, sigma: float, summarize: bool = True) -> dict[str, Any]:
    """Allocate one member in this process (after :func:`_load`); returns its summary rows and timings."""
    assert _NET is not None, "call _load first"
    cpu = time.process_time()
    for node_id, series in perturbed_inflows(_BASE, _NET.calendar.years, member, seed=seed, sigma=sigma).items():
        _NET.nodes[node_id].inflow = series
    # a member makes many short-lived objects and no reference cycles: the collector's passes over
    # them are time lost (it runs once after the member)
    gc.disable()
    # the linear program is built once per worker (and volume scale) and each member starts from
    # the last member's final basis
    scale = volume_scale(_NET)
    if scale not in _PROGRAMS:
        _PROGRAMS[scale] = Program(_NET)
    try:
        result = allocate(_NET, program=_PROGRAMS[scale])
    except InputError as err:
        del _PROGRAMS[scale]  # its diagnosis changed it
        return {"member": member, "error": str(err), "cpu_s": time.process_time() - cpu, "rows": []}
    finally:
        gc.enable()
    rows: list[dict[str, Any]] = []
    if summarize:
        summary = basin_summary(_NET, result)
        summary.insert(0, "member", member)
        rows = summary.to_dict("records")
    return {"member": member, "error": None, "cpu_s": time.process_time() - cpu, "rows": rows,
            "delivered_m3": float(result.site_delivered.sum())}


def _run_chunk(args: tuple[list[int], int, float, bool]) -> list[dict[str, Any]]:
    members, seed, sigma, summarize = args
    return [run_member(m, seed, sigma, summarize) for m in members]


def run_ensemble(network: str | Path, members: int, *, sigma: float = 0.25, seed: int = 0, workers: int = 2,
                 levers: Mapping[str, Any] | None = None, summarize: bool = True) -> dict[str, Any]:
    """Run ``members`` inflow scenarios of ``network`` on ``workers`` processes.

    Returns
    -------
    dict
        ``members``: DataFrame of the basin summary of every member (10⁸ m³/yr, columns of
        :func:`.results.basin_summary` plus ``member``; empty when ``summarize`` is false);
        ``failures``: members whose allocation had no feasible solution, with the message;
        ``wall_s``, ``cpu_s_per_member`` (median), ``delivered_m3`` per member.
    """
    if members < 1 or workers < 1:
        raise InputError(f"members and workers must be ≥ 1, got {members} and {workers}", source="ensemble")
    started = time.perf_counter()
    # members dealt round-robin into 64 chunks per worker (≈ 8 members each for 1,000 on 2 workers,
    # ≈ 1 s): each worker process loads the network and builds the program once whatever the
    # chunks, and small last chunks keep every worker busy to the end
    if workers == 1 or members == 1:
        _load(str(network), levers)
        done = [run_member(m, seed, sigma, summarize) for m in range(members)]
    else:
        # member 0 here first: it loads (or, the first time, compiles) the compiled loops once, and
        # worker processes forked from this one start with them
        _load(str(network), levers)
        done = [run_member(0, seed, sigma, summarize)]
        chunks = [list(range(m, members, workers * 64)) for m in range(1, min(members, workers * 64 + 1))]
        with cf.ProcessPoolExecutor(workers, initializer=_load, initargs=(str(network), levers)) as pool:
            done += [row for chunk in pool.map(_run_chunk, [(c, seed, sigma, summarize) for c in chunks])
                     for row in chunk]
    done.sort(key=lambda r: r["member"])
    rows = [row for r in done for row in r["rows"]]
    return {"members": pd.DataFrame(rows), "failures": [(r["member"], r["error"]) for r in done if r["error"]],
            "wall_s": time.perf_counter() - started,
            "cpu_s_per_member": float(np.median([r["cpu_s"] for r in done])),
            "delivered_m3": np.array([r.get("delivered_m3", np.nan) for r in done])}


def shortage_probability(members: pd.DataFrame, sector: str = "agriculture", threshold: float = 0.0) -> pd.Series:
    """Per basin, the share of members whose mean annual shortage of ``sector`` exceeds ``threshold``
    (10⁸ m³/yr)."""
    rows = members[members["sector"] == sector]
    return rows.groupby("basin")["shortage_1e8m3_per_yr"].apply(lambda s: float((s > threshold).mean()))
