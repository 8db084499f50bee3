"""Durability of the trading registry against the real databases: concurrent writers in several
processes lose or duplicate nothing, a process killed in the middle of its transfers leaves a
consistent ledger, and replayed commands do nothing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal

from ecociv.ledger import Ledger, verify
from ecociv.ledger.amounts import parse_amount

HOLDERS = [f"h{i}" for i in range(6)]


def _setup(target: str) -> None:
    with Ledger.init(target) as ledger:
        ledger.create_account("mee", "regulator")
        for h in HOLDERS:
            ledger.create_account(h, "holder")
            ledger.allocate(h, "1000", instrument="SO2", key=f"alloc-{h}")


def _worker(target: str, worker: int, count: int) -> None:
    with Ledger(target) as ledger:
        for n in range(count):
            source = HOLDERS[(worker + n) % len(HOLDERS)]
            dest = HOLDERS[(worker + n + 1 + n % 3) % len(HOLDERS)]
            if dest == source:
                dest = HOLDERS[(worker + n + 1) % len(HOLDERS)]
            ledger.transfer(source, dest, f"{1 + n % 7}.5", instrument="SO2", key=f"w{worker}-{n}")
        for n in range(5):  # replays of the first commands: nothing new
            source = HOLDERS[(worker + n) % len(HOLDERS)]
            dest = HOLDERS[(worker + n + 1 + n % 3) % len(HOLDERS)]
            if dest == source:
                dest = HOLDERS[(worker + n + 1) % len(HOLDERS)]
            assert ledger.transfer(source, dest, f"{1 + n % 7}.5", instrument="SO2",
                                   key=f"w{worker}-{n}").replayed


def test_concurrent_transfers_from_several_processes(registry_db):
    _setup(registry_db)
    workers, count = 4, 60
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(registry_db, w, count)) for w in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(300)
        assert p.exitcode == 0
    with Ledger(registry_db) as ledger:
        entries = ledger.history()
        transfers = [e for e in entries if e.command == "transfer"]
        assert len(transfers) == workers * count  # none lost, none duplicated
        assert len({e.key for e in transfers}) == workers * count
        # balances are the allocations plus the transfers' postings, summed independently
        expected = {h: parse_amount("1000") for h in HOLDERS}
        for e in transfers:
            micro = parse_amount(e.payload["amount"])
            expected[e.payload["from"]] -= micro
            expected[e.payload["to"]] += micro
        got = {b["account"]: int(Decimal(b["balance"]) * 10**6) for b in ledger.balances()}
        assert got == expected
        assert sum(got.values()) == parse_amount("6000")
        result = verify(ledger)
        assert result.ok, result.problems


_LOOP = """
import sys
from ecociv.ledger import Ledger
ledger = Ledger(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    a, b = ("h0", "h1") if n % 2 == 0 else ("h1", "h0")
    ledger.transfer(a, b, "1", instrument="SO2", key=f"loop-{sys.argv[2]}-{n}")
    n += 1
"""


def test_process_killed_mid_transfer_leaves_the_ledger_consistent(registry_db):
    _setup(registry_db)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    for attempt, delay in enumerate((0.3, 0.7, 1.1)):
        proc = subprocess.Popen([sys.executable, "-c", _LOOP, registry_db, str(attempt)],
                                stdout=subprocess.PIPE, env=env)
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)  # no clean-up, possibly inside a transaction
        proc.wait(30)
        with Ledger(registry_db) as ledger:
            result = verify(ledger)
            assert result.ok, result.problems
            loops = [e for e in ledger.history() if e.key.startswith(f"loop-{attempt}-")]
            assert loops, "the killed process recorded nothing; the test proves nothing"
            # the keys form an unbroken run 0..n-1: a transfer is all there or not there
            assert sorted(int(e.key.rsplit("-", 1)[1]) for e in loops) == list(range(len(loops)))
            balances = {b["account"]: b["balance"] for b in ledger.balances()}
            assert parse_amount(balances["h0"]) + parse_amount(balances["h1"]) == parse_amount("2000")
            # still writable after the kill (no lock left behind)
            ledger.transfer("h2", "h3", "1", instrument="SO2", key=f"after-{attempt}")
