"""Throughput of the trading registry (``ecociv.ledger``): transfers per second with durability on.

SQLite in WAL mode with ``synchronous=FULL`` (every commit is fsynced before it returns) and, when
a PostgreSQL server can be started from the installed binaries (or ECOCIV_TEST_POSTGRES_URL is
set), PostgreSQL with ``fsync=on`` and ``synchronous_commit=on``. Each transfer is one command with
its own transaction, idempotency key, balance check, postings and hash-chain link — as
``ecociv registry transfer`` does it, without the process start-up. One writer, then two writer
processes at once (the machine has 2 cores), then one writer settling 100 transfers per
commit (``Ledger.atomic``, as a market clearing would). The peer in the same run is a bare SQLite insert of
one row per committed transaction (same pragmas): the floor any durable per-transfer commit pays.

Usage::

    .venv/bin/python benchmarks/bench_registry.py [--transfers 3000] [--repeats 3]

Results: ``benchmarks/results/registry.json`` (every run, medians, load averages).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ecociv.ledger import Ledger, verify

HOLDERS = [f"h{i}" for i in range(20)]


def _setup(target: str) -> None:
    with Ledger.init(target) as ledger:
        ledger.create_account("mee", "regulator")
        for h in HOLDERS:
            ledger.create_account(h, "holder")
            ledger.allocate(h, "1000000", instrument="SO2", key=f"a-{h}")


def _transfers(target: str, worker: int, count: int) -> float:
    with Ledger(target) as ledger:
        start = time.perf_counter()
        for n in range(count):
            a = HOLDERS[(n * 7 + worker) % len(HOLDERS)]
            b = HOLDERS[(n * 7 + worker + 1 + n % 5) % len(HOLDERS)]
            ledger.transfer(a, b, "1.5", instrument="SO2", key=f"w{worker}-{n}")
        return time.perf_counter() - start


def _batched(target: str, count: int, batch: int) -> float:
    """``count`` transfers settled ``batch`` at a time (``Ledger.atomic``), e.g. one market clearing."""
    with Ledger(target) as ledger:
        start = time.perf_counter()
        for first in range(0, count, batch):
            with ledger.atomic():
                for n in range(first, min(first + batch, count)):
                    a = HOLDERS[(n * 7) % len(HOLDERS)]
                    b = HOLDERS[(n * 7 + 1 + n % 5) % len(HOLDERS)]
                    ledger.transfer(a, b, "1.5", instrument="SO2", key=f"b-{n}")
        return time.perf_counter() - start


def _peer(path: str, count: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    start = time.perf_counter()
    for n in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (f"k{n}", n))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def _parallel(target: str, count: int, workers: int) -> float:
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        start = time.perf_counter()
        pool.starmap(_transfers, [(target, w, count // workers) for w in range(workers)])
        return time.perf_counter() - start


def _round(make_target, count: int) -> dict[str, float]:
    one = make_target()
    _setup(one)
    single = count / _transfers(one, 0, count)
    two = make_target()
    _setup(two)
    double = count / _parallel(two, count, 2)
    three = make_target()
    _setup(three)
    batched = count / _batched(three, count, 100)
    with Ledger(two) as ledger:
        t0 = time.perf_counter()
        result = verify(ledger)
        verify_s = time.perf_counter() - t0
        assert result.ok, result.problems
    return {"one_writer_per_s": single, "two_writers_per_s": double,
            "batches_of_100_per_s": batched, "verify_s": verify_s,
            "verify_entries": result.entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    counter = iter(range(10**6))
    runs: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": [], "peer": []}
    server = None
    try:
        from tests.ledger_helpers import PostgresServer

        server = PostgresServer()
    except Exception as err:  # the benchmark still measures SQLite
        print(f"PostgreSQL not measured: {err}")
    loads = [os.getloadavg()]
    for _ in range(args.repeats):
        runs["peer"].append({"commits_per_s": args.transfers / _peer(
            str(folder / f"peer{next(counter)}.sqlite"), args.transfers)})
        runs["sqlite"].append(_round(lambda: str(folder / f"r{next(counter)}.sqlite"),
                                     args.transfers))
        if server is not None and server.url:
            runs["postgresql"].append(_round(server.new_database, args.transfers))
        loads.append(os.getloadavg())
    if server is not None:
        if not server.url:
            print(f"PostgreSQL not measured: {server.reason}")
        server.stop()
    medians = {db: {k: statistics.median(r[k] for r in rows) for k in rows[0]}
               for db, rows in runs.items() if rows}
    for db, values in medians.items():
        print(db, {k: round(v, 3) for k, v in values.items()})
    out = Path(__file__).parent / "results" / "registry.json"
    out.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
        "cpus": os.cpu_count(), "transfers": args.transfers, "repeats": args.repeats,
        "load_averages": loads, "runs": runs, "medians": medians}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
