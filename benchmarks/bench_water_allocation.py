"""Benchmark of the monthly water allocation (issue 5, "Performance"), with Pywr as the peer.

(a) One network for 30 years monthly (360 steps): the Belt network
    (src/ecociv/data/water/belt_network) or, when it cannot be loaded or with ``--synthetic``,
    the synthetic ≈50-node network of ``make_water_network.py`` (labelled "synthetic").
    - ours: ``allocate(net)`` in-process after one warm-up, median of ``--repeats`` (5);
    - Pywr 1.31 (GLPK) on the translation of ``tests.models.pywr_peer``, same
      process, after one warm-up run (imports, route search cache): translation, Pywr setup
      (route search, LP build) and run timed separately, median of ``--repeats``;
    - the ratio ours / Pywr; and how far the two allocations agree (total delivered per
      priority, sites that differ) — by design they differ where equal coverage within a
      priority, losses against priorities, or a site's re-use of its own return flow matter;
    - one whole-process ``ecociv model run water_allocation`` (spawn to exit; all output tables).
(b) An ensemble of inflow scenarios: member m multiplies every local inflow series by a
    lognormal factor per node and year (σ = ``--sigma``, mean 1; ``rng =
    np.random.default_rng([seed, m])``), editing the resolved Network's arrays; members run in
    ``concurrent.futures.ProcessPoolExecutor(--workers)`` (each worker loads the network once).
    When the full ensemble would take more than ``--budget`` seconds (estimated from (a)), only
    ``--pilot`` members run and the total is extrapolated linearly (labelled in the JSON).
    Target: 1,000 members ≤ 60 s on 2 cores.
    ``--compare-src DIR`` instead runs only this: the ensemble of this tree and of another source
    tree (e.g. ``git worktree add /tmp/old <commit>``; DIR is its ``src``) in fresh processes,
    alternating old/new ``--pairs`` times, each with its wall time, the CPU seconds of its worker
    processes (``resource.getrusage``), the median CPU per member and the load average, and checks
    that both give the same total delivered water (JSON key ``ensemble_before_after``).
(c) cProfile of one 360-step ``allocate``: time in HiGHS's solves, in HiGHS model edits and
    solution read-out, and in Python, with the top functions.

The machine (nproc, load average before and after) is recorded with the results in
benchmarks/results/water_allocation.json.

Usage::

    .venv/bin/python benchmarks/bench_water_allocation.py [--synthetic] [--repeats 5]
        [--members 1000] [--workers 2] [--budget 300] [--pilot 100] [--sigma 0.25] [--seed 2026]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))  # the Pywr translation lives in tests/models/pywr_peer.py

import make_water_network as gen  # noqa: E402

BELT = ROOT / "src" / "ecociv" / "data" / "water" / "belt_network"
WORK = HERE / "_work"
RESULTS = HERE / "results" / "water_allocation.json"
ECOCIV = ROOT / ".venv" / "bin" / "ecociv"
TARGETS = {"single_run_s": 2.0, "ensemble_1000_s": 60.0}


def machine() -> dict[str, Any]:
    return {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)), "platform": platform.platform(),
            "python": platform.python_version(), "load_average": list(os.getloadavg())}


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for name in ("highspy", "pywr", "numpy", "pandas"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "absent"
    return out


def engine_state() -> dict[str, Any]:
    """Commit of the tree and whether the engine's files have uncommitted edits (it changes often)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "solver_last_commit": git("log", "-1", "--format=%h %s", "--",
                                      "src/ecociv/models/water_allocation/solver.py",
                                      "src/ecociv/models/water_allocation/program.py"),
            "uncommitted_engine_files": git("status", "--short", "src/ecociv/models/water_allocation").splitlines()}


def pick_network(synthetic: bool) -> tuple[Path, str, str]:
    """(path, label, why)."""
    from ecociv.errors import InputError
    from ecociv.models.water_allocation.network import load_network

    if not synthetic:
        try:
            load_network(BELT)
            return BELT / "network.yaml", "belt", "src/ecociv/data/water/belt_network"
        except (InputError, OSError) as err:
            why = f"Belt network did not load ({err}); synthetic network used"
    else:
        why = "--synthetic"
    path = gen.make_network(WORK / "water_network_synthetic")
    return path, "synthetic", why


def time_ours(path: Path, repeats: int) -> tuple[dict[str, Any], Any, Any]:
    from ecociv.models.water_allocation.network import load_network
    from ecociv.models.water_allocation.solver import allocate

    started = time.perf_counter()
    net = load_network(path)
    load_s = time.perf_counter() - started
    result = allocate(net)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = allocate(net)
        times.append(time.perf_counter() - started)
    return ({"load_network_s": load_s, "allocate_s": times, "allocate_median_s": statistics.median(times),
             "solves": int(result.solves), "steps": net.calendar.months, "nodes": len(net.nodes),
             "links": len(net.links), "node_types": _count(n.type for n in net.nodes.values())}, net, result)


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def time_pywr(net: Any, repeats: int) -> tuple[dict[str, Any], Any]:
    from tests.models.pywr_peer import allocate_pywr

    started = time.perf_counter()
    peer = allocate_pywr(net)  # warm-up: imports pywr (timed as the first call)
    first = time.perf_counter() - started
    rows = []
    for _ in range(repeats):
        started = time.perf_counter()
        peer = allocate_pywr(net)
        total = time.perf_counter() - started
        rows.append({**peer.timings, "total_s": total})
    from pywr._core import BaseInput, BaseLink, BaseOutput
    from tests.models.pywr_peer import to_pywr

    model = to_pywr(net).model
    routes = len(model.find_all_routes(BaseInput, BaseOutput, valid=(BaseLink, BaseInput, BaseOutput)))
    return ({"first_call_with_import_s": first, "runs": rows,
             "total_median_s": statistics.median(r["total_s"] for r in rows),
             "setup_plus_run_median_s": statistics.median(r["setup_s"] + r["run_s"] for r in rows),
             "run_median_s": statistics.median(r["run_s"] for r in rows),
             "build_median_s": statistics.median(r["build_s"] for r in rows),
             "routes": routes, "pywr_nodes": len(model.graph.nodes)}, peer)


def agreement(net: Any, ours: Any, theirs: Any) -> dict[str, Any]:
    from ecociv.models.water_allocation.results import delivered

    given = delivered(net, ours)
    years = net.calendar.months / 12
    by_priority: dict[int, dict[str, float]] = {}
    differ = []
    for i, site_id in enumerate(theirs.site_ids):
        site = net.demands[site_id]
        a, b = float(given[site_id].sum()), float(theirs.delivered[i].sum())
        row = by_priority.setdefault(site.priority, {"demand": 0.0, "ours": 0.0, "pywr": 0.0})
        row["demand"] += float(site.demand.sum())
        row["ours"] += a
        row["pywr"] += b
        gap = float(np.abs(given[site_id] - theirs.delivered[i]).max())
        if gap > 1e-6 * max(float(site.demand.max()), 1.0):
            differ.append({"site": site_id, "priority": site.priority, "return_fraction": site.return_fraction,
                           "ours_1e8m3_per_yr": a / years / 1e8, "pywr_1e8m3_per_yr": b / years / 1e8,
                           "demand_1e8m3_per_yr": float(site.demand.sum()) / years / 1e8})
    return {"delivered_by_priority_1e8m3_per_yr": {str(p): {k: v / years / 1e8 for k, v in row.items()}
                                                   for p, row in sorted(by_priority.items())},
            "sites": len(theirs.site_ids), "sites_equal_to_1e-6": len(theirs.site_ids) - len(differ),
            "sites_that_differ": differ,
            "reservoir_storage_max_abs_diff_m3": float(np.abs(theirs.reservoir_storage - ours.reservoir_storage).max(
                initial=0.0))}


def whole_process(path: Path, label: str) -> dict[str, Any]:
    out = WORK / f"water_allocation_run_{label}"
    if out.exists():
        shutil.rmtree(out)
    # the checkout's own venv when it has one; else this Python with this tree's src (a git worktree)
    command = [str(ECOCIV)] if ECOCIV.exists() else [sys.executable, "-m", "ecociv.cli.main"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    done = subprocess.run([*command, "model", "run", "water_allocation", "-i", f"network={path}", "-o", str(out)],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    code = ("import sys; from ecociv.models.water_allocation.network import load_network; "
            "from tests.models.pywr_peer import allocate_pywr; "
            "allocate_pywr(load_network(sys.argv[1]))")
    started = time.perf_counter()
    peer = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT)
    peer_wall = time.perf_counter() - started
    return {"ecociv_model_run_s": wall, "returncode": done.returncode, "stderr_tail": done.stderr[-500:],
            "pywr_process_s": peer_wall, "pywr_returncode": peer.returncode,
            "note": "ecociv: CLI start-up, load, allocate, every output table (flows, mass balance, lakes, ...), "
                    "CSV writing and manifest; Pywr: python start-up, load_network, import pywr, translate, run "
                    "(no tables written)"}


# -- ensemble ------------------------------------------------------------------------------------

def ensemble(path: Path, members: int, workers: int, seed: int, sigma: float) -> dict[str, Any]:
    """The package's ensemble runner (ecociv.models.water_allocation.ensemble), allocation only."""
    import resource

    from ecociv.models.water_allocation.ensemble import run_ensemble

    load = list(os.getloadavg())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    run = run_ensemble(path, members, sigma=sigma, seed=seed, workers=workers, summarize=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_after = resource.getrusage(resource.RUSAGE_SELF)
    # the workers' CPU and this process's during the run (member 0 runs here before the workers start)
    workers_cpu = ((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
                   + (own_after.ru_utime + own_after.ru_stime) - (own.ru_utime + own.ru_stime))
    delivered = run["delivered_m3"][np.isfinite(run["delivered_m3"])]
    return {"members": members, "workers": workers, "sigma": sigma, "seed": seed,
            "wall_s": run["wall_s"], "per_member_wall_s": run["wall_s"] / members,
            "per_member_cpu_s_median": run["cpu_s_per_member"],
            "cpu_s_workers": workers_cpu if workers > 1 else None,
            "load_average_before": load,
            "note": "wall_s includes starting the worker processes and loading the network in each; "
                    "per-member CPU is the allocation of one member (inflows perturbed, 360 months)",
            "failed": [list(f) for f in run["failures"][:5]], "failures": len(run["failures"]),
            "delivered_1e8m3_quantiles": [float(q) / 1e8 for q in np.quantile(delivered, [0.05, 0.5, 0.95])]
            if delivered.size else []}


_ENSEMBLE_CHILD = """
import json, os, resource, sys, time
import numpy as np
from ecociv.models.water_allocation.ensemble import run_ensemble
path, members, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seed, sigma = int(sys.argv[4]), float(sys.argv[5])
load = os.getloadavg()
before = resource.getrusage(resource.RUSAGE_SELF)
run = run_ensemble(path, members, sigma=sigma, seed=seed, workers=workers, summarize=False)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
own = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": run["wall_s"], "cpu_s_per_member_median": run["cpu_s_per_member"],
                  "cpu_s_workers": children.ru_utime + children.ru_stime, "cpu_s_parent": own.ru_utime + own.ru_stime,
                  "cpu_s_parent_in_run": own.ru_utime + own.ru_stime - before.ru_utime - before.ru_stime,
                  "failures": len(run["failures"]), "delivered_total_m3": float(np.nansum(run["delivered_m3"])),
                  "load_average_before": list(load), "load_average_after": list(os.getloadavg())}))
"""


def ensemble_pairs(path: Path, baseline_src: Path, members: int, pairs: int, workers: int, seed: int,
                   sigma: float, new_src: Path | None = None) -> dict[str, Any]:
    """The ensemble of the baseline tree and of this one (or ``new_src``), alternating, each in a fresh
    process."""
    trees = {"old": baseline_src.resolve(), "new": (new_src or ROOT / "src").resolve()}
    runs = []
    for pair in range(pairs):
        for tree in (("old", "new") if pair % 2 == 0 else ("new", "old")):
            env = {**os.environ, "PYTHONPATH": str(trees[tree])}
            done = subprocess.run([sys.executable, "-c", _ENSEMBLE_CHILD, str(path), str(members), str(workers),
                                   str(seed), str(sigma)], capture_output=True, text=True, env=env, check=True)
            row = {"tree": tree, "pair": pair + 1, "members": members, "finished_utc": time.strftime("%H:%M:%S"),
                   **json.loads(done.stdout.strip().splitlines()[-1])}
            # the workers' CPU and the parent's during run_ensemble (the current tree runs member 0
            # in the parent, which loads the compiled loops once before the workers are forked)
            row["cpu_s_per_member_workers"] = (row["cpu_s_workers"] + row["cpu_s_parent_in_run"]) / members
            runs.append(row)
            print(f"  {tree}: {members} members {row['wall_s']:.1f} s wall, {row['cpu_s_per_member_workers']:.3f} "
                  f"s CPU per member (workers), load {row['load_average_before'][0]:.1f}", flush=True)
    summary: dict[str, Any] = {}
    for tree in ("old", "new"):
        rows = [r for r in runs if r["tree"] == tree]
        summary[tree] = {"wall_s_median": statistics.median(r["wall_s"] for r in rows),
                         "cpu_s_per_member_workers_median": statistics.median(r["cpu_s_per_member_workers"]
                                                                              for r in rows)}
    ratios = [n["cpu_s_per_member_workers"] / o["cpu_s_per_member_workers"]
              for o, n in zip([r for r in runs if r["tree"] == "old"], [r for r in runs if r["tree"] == "new"],
                              strict=True)]
    totals = {r["delivered_total_m3"] for r in runs}
    return {"baseline_src": str(trees["old"]), "new_src": str(trees["new"]), "new_commit": engine_state()["commit"],
            "runs": runs,
            "summary": summary, "cpu_ratio_new_over_old_per_pair": ratios,
            "same_total_delivered": max(totals) - min(totals) <= 1e-9 * max(totals),
            "note": "run_ensemble(network, members, sigma, seed, workers, summarize=False) in a fresh process per "
                    "run, old/new alternating; CPU = user+sys of the worker processes and of the parent during "
                    "run_ensemble (getrusage)"}


def profile(net: Any) -> dict[str, Any]:
    from ecociv.models.water_allocation.solver import allocate

    allocate(net)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    allocate(net)
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    total = 0.0
    groups = {"highs_solve": 0.0, "highs_edit_and_readout": 0.0, "python": 0.0}
    calls = {"highs_solve": 0}
    top = []
    for (file, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        total += tottime
        if "highspy" in name or "highspy" in file:
            key = "highs_solve" if name.endswith("run}") or "._core.run" in name else "highs_edit_and_readout"
        else:
            key = "python"
        groups[key] += tottime
        if key == "highs_solve":
            calls["highs_solve"] += ncalls
        top.append((tottime, f"{Path(file).name}:{line}({name})", ncalls, cumtime))
    top.sort(reverse=True)
    return {"wall_s_under_profiler": wall, "profiled_s": total,
            "seconds": groups, "share": {k: v / total for k, v in groups.items()},
            "highs_solves": calls["highs_solve"], "steps": net.calendar.months,
            "solves_per_step": calls["highs_solve"] / net.calendar.months,
            "ms_per_solve": 1000 * groups["highs_solve"] / max(calls["highs_solve"], 1),
            "top_tottime": [{"function": f, "tottime_s": t, "calls": n, "cumtime_s": c} for t, f, n, c in top[:15]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", action="store_true", help="use the synthetic network even if the Belt loads")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=300.0, help="seconds the ensemble may take")
    parser.add_argument("--pilot", type=int, default=100, help="members run when the full ensemble is over budget")
    parser.add_argument("--sigma", type=float, default=0.25, help="σ of ln(annual inflow factor), illustrative")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-ensemble", action="store_true", help="keep the ensemble of the last results file")
    parser.add_argument("--compare-src", type=Path,
                        help="only: ensembles of this tree and of the tree at DIR (its src), alternating")
    parser.add_argument("--pairs", type=int, default=3, help="old/new pairs with --compare-src")
    parser.add_argument("--new-src", type=Path, default=None,
                        help="with --compare-src: the 'new' tree's src (default: this checkout's src)")
    parser.add_argument("--ensemble-only", action="store_true",
                        help="only the ensemble (no Pywr, no single-run timing, no profile); key ensemble_only")
    args = parser.parse_args()
    if args.ensemble_only:
        path, label, why = pick_network(args.synthetic)
        print(f"network: {label}; {args.members} members, {args.workers} workers, sigma {args.sigma}, seed "
              f"{args.seed}; machine {machine()}", flush=True)
        run = ensemble(path, args.members, args.workers, args.seed, args.sigma)
        run["load_average_after"] = list(os.getloadavg())
        run["engine"] = engine_state()
        import ecociv

        run["ecociv_src"] = str(Path(ecociv.__file__).parent)  # the tree run (PYTHONPATH), not always ROOT's
        run["run_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        run["target_met"] = run["wall_s"] <= TARGETS["ensemble_1000_s"] and args.members >= 1000
        saved = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        saved["ensemble_only"] = {"network": label, **run}
        RESULTS.write_text(json.dumps(saved, indent=2, default=float) + "\n", encoding="utf-8")
        cpu = run["cpu_s_workers"]
        print(f"ensemble: {args.members} members in {run['wall_s']:.1f} s wall on {args.workers} workers "
              f"(target <= 60 s for 1,000: {'met' if run['target_met'] else 'NOT met'}); worker CPU "
              f"{cpu if cpu is None else round(cpu, 1)} s (and this process's), median "
              f"{run['per_member_cpu_s_median']:.3f} s per member "
              f"in the workers; {run['failures']} failed; load {run['load_average_before'][0]:.1f} -> "
              f"{run['load_average_after'][0]:.1f}; ecociv from {run['ecociv_src']}; wrote "
              f"{RESULTS.relative_to(ROOT)}", flush=True)
        return
    if args.compare_src is not None:
        path, label, why = pick_network(args.synthetic)
        print(f"network: {label}; {args.members} members, {args.workers} workers, {args.pairs} pairs; old "
              f"{args.compare_src}, new {args.new_src or ROOT / 'src'}; sigma {args.sigma}, seed {args.seed}; machine "
              f"{machine()}", flush=True)
        compared = ensemble_pairs(path, args.compare_src, args.members, args.pairs, args.workers, args.seed,
                                  args.sigma, args.new_src)
        saved = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        saved["ensemble_before_after"] = {"run_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                          "network": label, **compared}
        RESULTS.write_text(json.dumps(saved, indent=2, default=float) + "\n", encoding="utf-8")
        print(f"CPU ratio new/old per pair: {[round(r, 3) for r in compared['cpu_ratio_new_over_old_per_pair']]}; "
              f"same total delivered: {compared['same_total_delivered']}; wrote {RESULTS.relative_to(ROOT)}")
        return

    report: dict[str, Any] = {"run_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "machine_before": machine(), "versions": versions(), "engine": engine_state(),
                              "targets": TARGETS}
    path, label, why = pick_network(args.synthetic)
    report["network"] = {"path": str(path.relative_to(ROOT)), "label": label, "why": why}
    print(f"network: {label} ({why})", flush=True)

    ours, net, result = time_ours(path, args.repeats)
    report["ours"] = ours
    print(f"ours: allocate median {ours['allocate_median_s']:.3f} s over {ours['steps']} steps "
          f"({ours['nodes']} nodes, {ours['links']} links, {ours['solves']} LP solves)", flush=True)
    pywr, peer = time_pywr(net, args.repeats)
    report["pywr"] = pywr
    report["ratio_ours_over_pywr"] = {
        "vs_translate_setup_run": ours["allocate_median_s"] / pywr["total_median_s"],
        "vs_setup_run": ours["allocate_median_s"] / pywr["setup_plus_run_median_s"],
        "vs_run_only": ours["allocate_median_s"] / pywr["run_median_s"]}
    print(f"pywr: translate+setup+run median {pywr['total_median_s']:.3f} s (setup+run "
          f"{pywr['setup_plus_run_median_s']:.3f}, run {pywr['run_median_s']:.3f}); ratio ours/pywr "
          f"{report['ratio_ours_over_pywr']['vs_translate_setup_run']:.2f}", flush=True)
    report["agreement"] = agreement(net, result, peer)
    print(f"agreement: {report['agreement']['sites_equal_to_1e-6']} of {report['agreement']['sites']} sites equal",
          flush=True)
    report["whole_process"] = whole_process(path, label)
    whole = report["whole_process"]
    print(f"whole process: ecociv model run {whole['ecociv_model_run_s']:.2f} s (rc {whole['returncode']}), "
          f"pywr process {whole['pywr_process_s']:.2f} s", flush=True)
    report["target_single_run_met"] = ours["allocate_median_s"] <= TARGETS["single_run_s"]
    # free Pywr's GLPK objects here, in the main thread: collected later in the process pool's manager
    # thread, GLPK (thread-local environment) aborts with "glp_free: memory allocation error"
    del peer
    import gc

    gc.collect()

    if RESULTS.exists() and "ensemble_before_after" in (previous := json.loads(RESULTS.read_text(encoding="utf-8"))):
        report["ensemble_before_after"] = previous["ensemble_before_after"]  # from its own run (--compare-src)
    if args.skip_ensemble and RESULTS.exists():  # keep the last ensemble, with its own date and engine
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        if "ensemble" in previous:
            report["ensemble"] = {**previous["ensemble"], "kept_from_run_at": previous.get("run_at"),
                                  "kept_engine": previous.get("engine")}
    if not args.skip_ensemble:
        estimate = ours["allocate_median_s"] * args.members / args.workers
        members = args.members if estimate <= args.budget else min(args.pilot, args.members)
        run = ensemble(path, members, args.workers, args.seed, args.sigma)
        run["load_average_after"] = list(os.getloadavg())
        run["estimate_before_s"] = estimate
        run["extrapolated"] = members < args.members
        run["full_members"] = args.members
        run["full_wall_s"] = run["wall_s"] * args.members / members
        run["full_wall_label"] = (f"extrapolated linearly from {members} members" if run["extrapolated"]
                                  else "measured")
        run["target_met"] = run["full_wall_s"] <= TARGETS["ensemble_1000_s"]
        run["full_wall_if_cores_free_s"] = args.members * run["per_member_cpu_s_median"] / args.workers
        report["ensemble"] = run
        print(f"ensemble: {members} members in {run['wall_s']:.1f} s on {args.workers} workers; "
              f"{args.members} members: {run['full_wall_s']:.1f} s ({run['full_wall_label']}); "
              f"target ≤ 60 s {'met' if run['target_met'] else 'NOT met'}; CPU per member "
              f"{run['per_member_cpu_s_median']:.2f} s -> {run['full_wall_if_cores_free_s']:.0f} s with 2 free cores",
              flush=True)
    report["profile"] = profile(net)
    share = report["profile"]["share"]
    print(f"profile: HiGHS solve {share['highs_solve']:.0%}, HiGHS edits/read-out "
          f"{share['highs_edit_and_readout']:.0%}, Python {share['python']:.0%}; "
          f"{report['profile']['solves_per_step']:.1f} solves/step, "
          f"{report['profile']['ms_per_solve']:.2f} ms/solve", flush=True)
    report["machine_after"] = machine()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
