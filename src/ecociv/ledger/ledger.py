"""The trading registry: accounts, allocations by vintage, transfers, retirements and surrender.

Double entry: every command that moves units writes one journal entry and postings that sum to
zero per instrument and vintage — an allocation debits the system account ``@issuance``, a
transfer debits the sender and credits the receiver, a retirement credits ``@retired``, a surrender
credits ``@surrendered``. Balances are derived from the postings (each posting carries the running
balance of its position, checked by :func:`ecociv.ledger.audit.verify`) and are never edited. No
holder's balance may go below zero. Every command carries an idempotency key: repeating a command
with its key does nothing and returns the first result; the same key with another command is an
error. Verified emissions or metered use (``report_use``) are journal entries without postings,
against which surrenders are compared (:meth:`Ledger.compliance`).

Roles: ``regulator`` (create accounts, allocate, settle a market clearing, report verified use), ``holder`` (transfer,
retire and surrender its own units), ``auditor`` (read only; reading needs no account).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecociv.errors import InputError
from ecociv.ledger.amounts import MAX_AMOUNT, SCALE, format_amount, parse_amount
from ecociv.ledger.backend import Database
from ecociv.ledger.chain import canonical, entry_hash

ROLES = ("regulator", "holder", "auditor")
ISSUANCE, RETIRED, SURRENDERED = "@issuance", "@retired", "@surrendered"
SYSTEM_ACCOUNTS = (ISSUANCE, RETIRED, SURRENDERED)
_ID = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][A-Za-z0-9_.:\-\u4e00-\u9fff]{0,63}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,128}$")


class PermissionDeniedError(InputError):
    """The acting account's role does not allow the command."""


@dataclass(frozen=True)
class Entry:
    """One journal entry as stored (``replayed`` when an earlier entry with the key was returned)."""

    seq: int
    key: str
    command: str
    actor: str
    payload: dict[str, Any]
    created_at: str
    hash: str
    postings: tuple[tuple[int, str, str, int, int, int], ...] = ()
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "key": self.key, "command": self.command, "actor": self.actor,
                "payload": self.payload, "created_at": self.created_at, "hash": self.hash,
                "replayed": self.replayed,
                "postings": [{"line": p[0], "account": p[1], "instrument": p[2], "vintage": p[3],
                              "amount": format_amount(p[4]), "balance_after": format_amount(p[5])}
                             for p in self.postings]}


@dataclass
class _Draft:
    command: str
    actor: str
    payload: dict[str, Any]
    legs: list[tuple[str, str, int, int]] = field(default_factory=list)  # account, instr, vint, Δ


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(f"{what} must be 1-64 letters, digits or _ . : - (starting with a letter "
                         f"or digit), got {value!r}")
    return value


def check_key(value: str) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise InputError(f"--key must be 1-128 printable characters without spaces, got {value!r}")
    return value


def check_vintage(value: int | None) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= 2200:
        raise InputError(f"--vintage must be a year between 1900 and 2200, got {value!r}")
    return value


class Ledger:
    """A trading registry in a SQLite file or a PostgreSQL database.

    Parameters
    ----------
    target : str
        SQLite path or ``postgresql://`` URL.
    timeout : float
        Seconds to wait for another writer, s.

    Examples
    --------
    >>> ledger = Ledger.init("registry.sqlite")                      # doctest: +SKIP
    >>> ledger.create_account("mee", "regulator")                      # doctest: +SKIP
    >>> ledger.create_account("plant-a", "holder")                     # doctest: +SKIP
    >>> ledger.allocate("plant-a", "100", instrument="SO2", key="a1")  # doctest: +SKIP
    """

    def __init__(self, target: str, *, timeout: float = 60.0, _check: bool = True):
        self.db = Database(target, timeout=timeout)
        if _check:
            self.db.check_format()
        self._roles: dict[str, str] = {}

    @classmethod
    def init(cls, target: str, *, timeout: float = 60.0) -> Ledger:
        """Create the registry's tables (nothing happens when it already is a registry)."""
        ledger = cls(target, timeout=timeout, _check=False)
        ledger.created = ledger.db.create_schema(_now())
        return ledger

    created = False

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Commit every command of the block together, or none of them (e.g. the trades of one
        market clearing). Inside, a command that fails undoes only itself; the block's commit
        is one durable write, so settling many transfers at once is much faster."""
        try:
            with self.db.write():
                yield
        except BaseException:
            self._roles.clear()  # accounts opened in the block may be gone
            raise

    # accounts ------------------------------------------------------------------------------
    def role(self, account: str) -> str | None:
        """The role of ``account`` (None when it does not exist). Roles never change."""
        if account in self._roles:
            return self._roles[account]
        row = self.db.one("SELECT role FROM accounts WHERE id = ?", (account,))
        if row is None:
            return None
        self._roles[account] = row[0]
        return str(row[0])

    def _need(self, account: str, what: str) -> str:
        role = self.role(account)
        if role is None:
            raise InputError(f"{what} {account!r} does not exist; create it with `ecociv registry "
                             f"account create {account} --role holder`")
        return role

    def regulators(self) -> list[str]:
        return [r[0] for r in self.db.all("SELECT id FROM accounts WHERE role = 'regulator' ORDER BY id")]

    def default_regulator(self) -> str:
        regulators = self.regulators()
        if len(regulators) != 1:
            raise PermissionDeniedError("name the acting regulator with --as ACCOUNT"
                                   + ("" if regulators else " (there is no regulator account yet)"))
        return regulators[0]

    def _require(self, actor: str, roles: tuple[str, ...], command: str) -> None:
        role = self._need(actor, "acting account")
        if role not in roles:
            raise PermissionDeniedError(f"account {actor!r} has role {role}; {command} needs role "
                                   f"{' or '.join(roles)}")

    def create_account(self, account: str, role: str, *, actor: str | None = None) -> Entry:
        """Open an account. The first regulator may open itself; later accounts need a regulator."""
        check_id(account, "account id")
        if role not in ROLES:
            raise InputError(f"--role must be one of {', '.join(ROLES)}, got {role!r}")
        with self.db.write():
            existing = self.role(account)
            if existing is not None:
                if existing != role:
                    raise InputError(f"account {account!r} exists with role {existing}, not {role}")
                return self._replay(f"account:{account}")
            if self.regulators():
                actor = actor or self.default_regulator()
                self._require(actor, ("regulator",), "account create")
            else:
                if role != "regulator":
                    raise PermissionDeniedError("the first account of a registry must be a regulator")
                actor = actor or account
                if actor != account:
                    raise PermissionDeniedError("there is no regulator yet: the first regulator opens its "
                                           "own account")
            draft = _Draft("create_account", actor, {"account": account, "role": role})
            entry = self._commit(f"account:{account}", draft)
            self.db.execute("INSERT INTO accounts (id, role, seq) VALUES (?, ?, ?)",
                            (account, role, entry.seq))
        self._roles[account] = role
        return entry

    # unit movements ------------------------------------------------------------------------
    def allocate(self, account: str, amount: str | int, *, instrument: str, vintage: int | None = None,
                 key: str | None = None, actor: str | None = None) -> Entry:
        """Issue ``amount`` units of ``instrument`` (and vintage) to ``account`` (regulator only)."""
        micro, vint = parse_amount(amount), check_vintage(vintage)
        check_id(instrument, "--instrument")
        key = check_key(key) if key is not None else f"auto:{uuid.uuid4().hex}"
        with self._command(key) as replay:
            if replay:
                return self._check_replay(replay, "allocate", account, micro, instrument, vint)
            actor = actor or self.default_regulator()
            self._require(actor, ("regulator",), "allocate")
            if self._need(account, "account") == "auditor":
                raise InputError(f"account {account!r} is an auditor's and cannot hold units")
            draft = _Draft("allocate", actor, {"account": account, "amount": format_amount(micro),
                                               "instrument": instrument, "vintage": vint},
                           [(ISSUANCE, instrument, vint, -micro), (account, instrument, vint, micro)])
            return self._commit(key, draft)

    def transfer(self, source: str, target: str, amount: str | int, *, instrument: str, key: str,
                 vintage: int | None = None, actor: str | None = None) -> Entry:
        """Move units from ``source`` to ``target``; only ``source`` itself may do it."""
        micro, vint = parse_amount(amount), check_vintage(vintage)
        check_id(instrument, "--instrument")
        check_key(key)
        with self._command(key) as replay:
            if replay:
                return self._check_replay(replay, "transfer", source, micro, instrument, vint, target)
            actor = actor or source
            self._require(actor, ("holder", "regulator"), "transfer")
            if actor != source:
                raise PermissionDeniedError(f"account {actor!r} may not transfer units of {source!r}")
            if source == target:
                raise InputError(f"transfer from {source!r} to itself")
            if self._need(target, "receiving account") == "auditor":
                raise InputError(f"account {target!r} is an auditor's and cannot hold units")
            draft = _Draft("transfer", actor, {"from": source, "to": target,
                                               "amount": format_amount(micro),
                                               "instrument": instrument, "vintage": vint},
                           [(source, instrument, vint, -micro), (target, instrument, vint, micro)])
            return self._commit(key, draft)

    def retire(self, account: str, amount: str | int, *, instrument: str, key: str,
               vintage: int | None = None, actor: str | None = None) -> Entry:
        """Cancel units for good (they go to ``@retired``); only the holder itself."""
        return self._to_sink("retire", RETIRED, account, amount, instrument, key, vintage, actor, {})

    def surrender(self, account: str, amount: str | int, *, instrument: str, period: str, key: str,
                  vintage: int | None = None, actor: str | None = None) -> Entry:
        """Hand in units against the verified use of ``period`` (they go to ``@surrendered``)."""
        return self._to_sink("surrender", SURRENDERED, account, amount, instrument, key, vintage,
                             actor, {"period": _period(period)})

    def _to_sink(self, command: str, sink: str, account: str, amount: str | int, instrument: str,
                 key: str, vintage: int | None, actor: str | None, extra: dict[str, Any]) -> Entry:
        micro, vint = parse_amount(amount), check_vintage(vintage)
        check_id(instrument, "--instrument")
        check_key(key)
        with self._command(key) as replay:
            if replay:
                return self._check_replay(replay, command, account, micro, instrument, vint,
                                          period=extra.get("period"))
            actor = actor or account
            self._require(actor, ("holder", "regulator"), command)
            if actor != account:
                raise PermissionDeniedError(f"account {actor!r} may not {command} units of {account!r}")
            draft = _Draft(command, actor, {"account": account, "amount": format_amount(micro),
                                            "instrument": instrument, "vintage": vint, **extra},
                           [(account, instrument, vint, -micro), (sink, instrument, vint, micro)])
            return self._commit(key, draft)

    def settle(self, legs: Mapping[str, str | int | float], *, instrument: str, key: str,
               vintage: int | None = None, reference: str = "", actor: str | None = None) -> Entry:
        """Settle the trades of one market clearing as one journal entry (regulator only).

        Parameters
        ----------
        legs : mapping of account to net purchase
            Units each account receives (> 0) or delivers (< 0), e.g. rights_market's
            ``net_purchase``; they must sum to zero (a rounding residual of up to one millionth
            of a unit per leg goes to the largest buyer).
        reference : str
            What is settled, e.g. the run and market, kept in the payload.
        """
        micro = {}
        for account, amount in legs.items():
            value = float(amount)
            if value != value or abs(value) > MAX_AMOUNT:
                raise InputError(f"settlement leg of {account!r} is not a number of units: {amount!r}")
            if round(value * SCALE):
                micro[check_id(str(account), "account")] = round(value * SCALE)
        residual = -sum(micro.values())
        if abs(residual) > len(micro):
            raise InputError(f"the settlement legs sum to {format_amount(-residual)} {instrument}, "
                             "not 0: a cleared market's purchases and sales balance")
        if residual and micro:  # to the largest buyer: a seller never delivers more than it holds
            buyer = max(micro, key=lambda a: micro[a])
            micro[buyer] += residual
        vint = check_vintage(vintage)
        check_id(instrument, "--instrument")
        check_key(key)
        legs_text = {a: format_amount(v) for a, v in sorted(micro.items())}
        with self._command(key) as replay:
            if replay:
                if replay.command != "settle" or replay.payload.get("legs") != legs_text:
                    raise InputError(f"--key {key!r} was already used for another command "
                                     f"(journal entry {replay.seq}); give a new key")
                return replay
            actor = actor or self.default_regulator()
            self._require(actor, ("regulator",), "settle")
            for account in micro:
                if self._need(account, "account") == "auditor":
                    raise InputError(f"account {account!r} is an auditor's and cannot hold units")
            draft = _Draft("settle", actor, {"instrument": instrument, "vintage": vint,
                                             "reference": reference, "legs": legs_text},
                           [(a, instrument, vint, v) for a, v in sorted(micro.items(),
                                                                         key=lambda kv: kv[1])])
            return self._commit(key, draft)

    def report_use(self, account: str, amount: str | int, *, instrument: str, period: str,
                   key: str, actor: str | None = None) -> Entry:
        """Record verified emissions or metered use of ``account`` for ``period`` (regulator only)."""
        micro = parse_amount(amount)
        check_id(instrument, "--instrument")
        check_key(key)
        with self._command(key) as replay:
            if replay:
                return self._check_replay(replay, "report_use", account, micro, instrument, 0,
                                          period=_period(period))
            actor = actor or self.default_regulator()
            self._require(actor, ("regulator",), "report-use")
            self._need(account, "account")
            draft = _Draft("report_use", actor, {"account": account, "amount": format_amount(micro),
                                                 "instrument": instrument, "period": _period(period)})
            return self._commit(key, draft)

    # the commit path -----------------------------------------------------------------------
    @contextmanager
    def _command(self, key: str) -> Iterator[Entry | None]:
        with self.db.write():
            yield self._existing(key)

    def _existing(self, key: str) -> Entry | None:
        row = self.db.one("SELECT seq FROM journal WHERE idem_key = ?", (key,))
        return None if row is None else self.entry(int(row[0]), replayed=True)

    def _replay(self, key: str) -> Entry:
        entry = self._existing(key)
        assert entry is not None
        return entry

    @staticmethod
    def _check_replay(entry: Entry, command: str, account: str, micro: int, instrument: str,
                      vintage: int, target: str | None = None, period: str | None = None) -> Entry:
        p = entry.payload
        same = (entry.command == command and p.get("instrument") == instrument
                and p.get("period") == period
                and p.get("amount") == format_amount(micro) and p.get("vintage", 0) == vintage
                and (p.get("from") if command == "transfer" else p.get("account")) == account
                and (target is None or p.get("to") == target))
        if not same:
            raise InputError(f"--key {entry.key!r} was already used for another command "
                             f"(journal entry {entry.seq}: {entry.command} {canonical(p)}); "
                             "give a new key")
        return entry

    def _commit(self, key: str, draft: _Draft) -> Entry:
        """Write one journal entry and its postings (inside the caller's write transaction)."""
        head_seq, head_hash = self.db.one("SELECT seq, hash FROM head WHERE id = 1")
        seq = int(head_seq) + 1
        postings = []
        for line, (account, instrument, vintage, delta) in enumerate(draft.legs, start=1):
            balance = self.balance(account, instrument, vintage) + delta
            if balance < 0 and account not in SYSTEM_ACCOUNTS:
                raise InputError(f"account {account!r} holds {format_amount(balance - delta)} "
                                 f"{instrument}{_vintage_text(vintage)}, less than the "
                                 f"{format_amount(-delta)} asked for; nothing was recorded")
            postings.append((line, account, instrument, vintage, delta, balance))
        payload = canonical(draft.payload)
        created = _now()
        digest = entry_hash(seq=seq, key=key, command=draft.command, actor=draft.actor,
                            payload=payload, created_at=created, prev_hash=head_hash,
                            postings=postings)
        self.db.execute("INSERT INTO journal (seq, idem_key, command, actor, payload, created_at, "
                        "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (seq, key, draft.command, draft.actor, payload, created, head_hash, digest))
        if postings:
            self.db.executemany("INSERT INTO postings (seq, line, account, instrument, vintage, "
                                "amount, balance_after) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                [(seq, *p) for p in postings])
        self.db.execute("UPDATE head SET seq = ?, hash = ? WHERE id = 1", (seq, digest))
        return Entry(seq, key, draft.command, draft.actor, draft.payload, created, digest,
                     tuple(postings))

    # reading -------------------------------------------------------------------------------
    def balance(self, account: str, instrument: str, vintage: int = 0) -> int:
        """Current balance of one position in micro-units (0 when it never moved)."""
        row = self.db.one("SELECT balance_after FROM postings WHERE account = ? AND instrument = ? "
                          "AND vintage = ? ORDER BY seq DESC, line DESC LIMIT 1",
                          (account, instrument, vintage))
        return 0 if row is None else int(row[0])

    def balances(self, *, include_system: bool = False) -> list[dict[str, Any]]:
        """Balance of every position, summed from the postings."""
        with self.db.read():
            rows = self.db.all("SELECT account, instrument, vintage, SUM(amount) FROM postings "
                               "GROUP BY account, instrument, vintage ORDER BY account, instrument, "
                               "vintage")
        return [{"account": a, "instrument": i, "vintage": int(v) or None,
                 "balance": format_amount(int(s))}
                for a, i, v, s in rows if include_system or a not in SYSTEM_ACCOUNTS]

    def entry(self, seq: int, *, replayed: bool = False) -> Entry:
        row = self.db.one("SELECT seq, idem_key, command, actor, payload, created_at, hash "
                          "FROM journal WHERE seq = ?", (seq,))
        postings = self.db.all("SELECT line, account, instrument, vintage, amount, balance_after "
                               "FROM postings WHERE seq = ? ORDER BY line", (seq,))
        return Entry(int(row[0]), row[1], row[2], row[3], json.loads(row[4]), row[5], row[6],
                     tuple((int(p[0]), p[1], p[2], int(p[3]), int(p[4]), int(p[5])) for p in postings),
                     replayed)

    def history(self, account: str | None = None) -> list[Entry]:
        """Journal entries in order; with ``account``, those that post to it or name it."""
        with self.db.read():
            if account is None:
                seqs = [r[0] for r in self.db.all("SELECT seq FROM journal ORDER BY seq")]
            else:
                self._need(account, "account")
                seqs = [r[0] for r in self.db.all(
                    "SELECT seq FROM journal WHERE seq IN (SELECT seq FROM postings WHERE account = ?) "
                    "OR (command IN ('create_account', 'report_use') AND payload LIKE ?) ORDER BY seq",
                    (account, f'%"account":"{account}"%'))]
            return [self.entry(int(s)) for s in seqs]

    def compliance(self) -> list[dict[str, Any]]:
        """Verified use against units surrendered, per account, instrument and period."""
        totals: dict[tuple[str, str, str], list[int]] = {}
        for entry in self.history():
            if entry.command in ("report_use", "surrender"):
                p = entry.payload
                slot = totals.setdefault((p["account"], p["instrument"], p["period"]), [0, 0])
                slot[0 if entry.command == "report_use" else 1] += parse_amount(p["amount"])
        return [{"account": a, "instrument": i, "period": per, "verified_use": format_amount(u),
                 "surrendered": format_amount(s), "shortfall": format_amount(max(u - s, 0)),
                 "status": "compliant" if s >= u else "short"}
                for (a, i, per), (u, s) in sorted(totals.items())]

    def head(self) -> tuple[int, str]:
        """Sequence number and hash of the last journal entry (anchor it elsewhere to detect
        truncation of the tail)."""
        seq, digest = self.db.one("SELECT seq, hash FROM head WHERE id = 1")
        return int(seq), str(digest)


def _period(value: str) -> str:
    if not isinstance(value, str) or not re.match(r"^\d{4}(-\d{2})?$", value):
        raise InputError(f"--period must be a year (2025) or a month (2025-06), got {value!r}")
    return value


def _vintage_text(vintage: int) -> str:
    return f" of vintage {vintage}" if vintage else ""
