"""End-to-end check of a registry (``ecociv registry verify``) and its export to CSV/JSON.

:func:`verify` replays the whole journal: sequence numbers without gaps, each entry's stored hash
equal to the hash recomputed from its columns and postings, each ``prev_hash`` equal to the hash
before it, the head recorded in table ``head`` equal to the last entry, postings summing to zero per
instrument and vintage in every entry, every running balance equal to the sum of the postings
before it, no holder ever below zero, and the accounts table equal to the accounts the journal
opened. Any row changed, removed, added or reordered outside ecociv fails at least one of these."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecociv.io.atomic import atomic_folder
from ecociv.ledger.amounts import format_amount
from ecociv.ledger.backend import GENESIS
from ecociv.ledger.chain import entry_hash
from ecociv.ledger.ledger import SYSTEM_ACCOUNTS, Ledger

MAX_PROBLEMS = 50


@dataclass
class Verification:
    """The result of :func:`verify`: ``ok`` only when no problem was found."""

    entries: int = 0
    postings: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "postings": self.postings,
                "head_seq": self.head_seq, "head_hash": self.head_hash, "problems": self.problems}


def verify(ledger: Ledger, *, batch: int = 5000) -> Verification:
    """Check the journal, its hash chain, the postings and the derived accounts (see module doc)."""
    result = Verification()
    db = ledger.db
    with db.read():
        head = db.one("SELECT seq, hash FROM head WHERE id = 1")
        running: dict[tuple[str, str, int], int] = defaultdict(int)
        opened: dict[str, tuple[str, int]] = {}
        prev_hash, expected_seq, last = GENESIS, 1, 0
        while True:
            rows = db.all("SELECT seq, idem_key, command, actor, payload, created_at, prev_hash, hash "
                          "FROM journal WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch))
            if not rows:
                break
            postings: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
            for p in db.all("SELECT seq, line, account, instrument, vintage, amount, balance_after "
                            "FROM postings WHERE seq > ? AND seq <= ? ORDER BY seq, line",
                            (last, rows[-1][0])):
                postings[int(p[0])].append(tuple(p[1:]))
            for seq, key, command, actor, payload, created, prev, stored in rows:
                seq = int(seq)
                _check_entry(result, seq, expected_seq, prev, prev_hash)
                lines = postings.pop(seq, [])
                recomputed = entry_hash(seq=seq, key=key, command=command, actor=actor,
                                        payload=payload, created_at=created, prev_hash=prev,
                                        postings=lines)
                if recomputed != stored:
                    result.add(f"journal entry {seq}: its stored hash does not match its contents "
                               "(the entry or its postings were changed)")
                _check_postings(result, seq, lines, running)
                if command == "create_account":
                    try:
                        data = json.loads(payload)
                        opened[data["account"]] = (data["role"], seq)
                    except (ValueError, KeyError, TypeError):
                        result.add(f"journal entry {seq}: unreadable create_account payload")
                result.entries += 1
                result.postings += len(lines)
                prev_hash, expected_seq, last = stored, seq + 1, seq
            for seq in postings:
                result.add(f"postings of journal entry {seq} have no journal entry")
        orphans = db.one("SELECT COUNT(*) FROM postings WHERE seq NOT IN (SELECT seq FROM journal)")
        if orphans and int(orphans[0]):
            result.add(f"{int(orphans[0])} postings belong to no journal entry")
        result.head_seq, result.head_hash = last, prev_hash
        if head is None or int(head[0]) != last or head[1] != prev_hash:
            recorded = ("none", "none") if head is None else (head[0], head[1])
            result.add(f"the recorded head (entry {recorded[0]}, {recorded[1]}) "
                       f"is not the last journal entry (entry {last}, {prev_hash}): entries were "
                       "removed or added outside ecociv")
        accounts = {r[0]: (r[1], int(r[2])) for r in db.all("SELECT id, role, seq FROM accounts")}
        if accounts != opened:
            changed = sorted(set(accounts.items()) ^ set(opened.items()))
            result.add("the accounts table differs from the accounts the journal opened: "
                       + ", ".join(f"{a} ({r}, entry {s})" for a, (r, s) in changed[:5]))
    return result


def _check_entry(result: Verification, seq: int, expected: int, prev: str, prev_hash: str) -> None:
    if seq != expected:
        result.add(f"journal entry {expected} is missing (next is {seq})")
    if prev != prev_hash:
        result.add(f"journal entry {seq}: prev_hash does not match the hash of the entry before it "
                   "(the chain is broken there)")


def _check_postings(result: Verification, seq: int, lines: list[tuple[Any, ...]],
                    running: dict[tuple[str, str, int], int]) -> None:
    sums: dict[tuple[str, int], int] = defaultdict(int)
    for expected_line, (line, account, instrument, vintage, amount, balance_after) in enumerate(
            lines, start=1):
        if int(line) != expected_line:
            result.add(f"journal entry {seq}: posting line {expected_line} is missing")
        position = (account, instrument, int(vintage))
        running[position] += int(amount)
        sums[(instrument, int(vintage))] += int(amount)
        if running[position] != int(balance_after):
            result.add(f"journal entry {seq}, line {line}: balance of {account} {instrument} is "
                       f"{format_amount(running[position])} by the postings, "
                       f"{format_amount(int(balance_after))} as recorded")
        if running[position] < 0 and account not in SYSTEM_ACCOUNTS:
            result.add(f"journal entry {seq}: {account} {instrument} goes below zero "
                       f"({format_amount(running[position])})")
    for (instrument, vintage), total in sums.items():
        if total:
            result.add(f"journal entry {seq}: postings of {instrument} (vintage {vintage}) sum to "
                       f"{format_amount(total)}, not 0")


def export(ledger: Ledger, out: Path) -> list[Path]:
    """Write journal.csv, postings.csv, balances.csv, compliance.csv and journal.json into ``out``
    (an ecociv output folder: see the README's "--out rule")."""
    entries = ledger.history()
    with atomic_folder(out) as tmp:
        with open(tmp / "journal.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["seq", "key", "command", "actor", "payload", "created_at", "hash"])
            for e in entries:
                writer.writerow([e.seq, e.key, e.command, e.actor, json.dumps(e.payload, ensure_ascii=False),
                                 e.created_at, e.hash])
        with open(tmp / "postings.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["seq", "line", "account", "instrument", "vintage", "amount", "balance_after"])
            for e in entries:
                for line, account, instrument, vintage, amount, after in e.postings:
                    writer.writerow([e.seq, line, account, instrument, vintage or "",
                                     format_amount(amount), format_amount(after)])
        _write_rows(tmp / "balances.csv", ledger.balances(include_system=True))
        _write_rows(tmp / "compliance.csv", ledger.compliance(),
                    ["account", "instrument", "period", "verified_use", "surrendered", "shortfall",
                     "status"])
        (tmp / "journal.json").write_text(json.dumps([e.as_dict() for e in entries],
                                                     ensure_ascii=False, indent=1), encoding="utf-8")
    return [out / n for n in ("journal.csv", "postings.csv", "balances.csv", "compliance.csv",
                              "journal.json")]


def _write_rows(path: Path, rows: list[dict[str, Any]], header: list[str] | None = None) -> None:
    names = header or (list(rows[0]) if rows else ["account", "instrument", "vintage", "balance"])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
