"""``ecociv registry``: the trading registry of emission rights, carbon allowances and water rights.

Thin callers of :mod:`ecociv.ledger`. The database comes first: ``ecociv registry --db FILE_OR_URL
COMMAND``; ``--as ACCOUNT`` names the acting account (default: the only regulator for regulator
commands, the sending or holding account for holder commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

registry_app = typer.Typer(help="Trading registry (排污权、碳排放权、水权交易登记): accounts, "
                           "allocations, transfers, retirements, surrender and audit.",
                           no_args_is_help=True)
account_app = typer.Typer(help="Open and list accounts.", no_args_is_help=True)
registry_app.add_typer(account_app, name="account")

_INSTRUMENT = typer.Option(..., "--instrument", "-i", help="Instrument, e.g. SO2, COD, CO2, water.")
_VINTAGE = typer.Option(None, "--vintage", help="Vintage year of the units (optional).")
_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")


@registry_app.callback()
def _registry(
    ctx: typer.Context,
    db: str = typer.Option(..., "--db", help="Registry database: a SQLite file (created by init) "
                           "or a postgresql://user@host/dbname URL."),
    actor: str | None = typer.Option(None, "--as", help="Acting account (see the command's help)."),
) -> None:
    """Trading registry: an append-only, hash-chained, double-entry journal."""
    ctx.obj = {"db": db, "actor": actor}


def _open(ctx: typer.Context) -> Any:
    from ecociv.ledger import Ledger

    return Ledger(ctx.obj["db"])


def _print_entry(entry: Any, as_json: bool = False) -> None:
    if as_json:
        typer.echo(json.dumps(entry.as_dict(), ensure_ascii=False))
        return
    state = "already recorded (same key), nothing changed" if entry.replayed else "recorded"
    typer.echo(f"{entry.command} {state}: journal entry {entry.seq}, hash {entry.hash[:16]}…")


@registry_app.command("init", help="Create the registry's tables (no-op on an existing registry).")
def init(ctx: typer.Context) -> None:
    from ecociv.ledger import Ledger

    with Ledger.init(ctx.obj["db"]) as ledger:
        typer.echo(f"registry {'created' if ledger.created else 'already exists'}: {ctx.obj['db']}")


@account_app.command("create", help="Open an account. The first must be a regulator; later ones "
                     "are opened by a regulator (--as, default the only regulator).")
def account_create(ctx: typer.Context, account: str = typer.Argument(..., help="Account id."),
                   role: str = typer.Option(..., "--role", help="holder, regulator or auditor.")) -> None:
    with _open(ctx) as ledger:
        _print_entry(ledger.create_account(account, role, actor=ctx.obj["actor"]))


@account_app.command("list", help="List the accounts and their roles.")
def account_list(ctx: typer.Context, as_json: bool = _JSON) -> None:
    with _open(ctx) as ledger:
        rows = [{"account": a, "role": r} for a, r in
                ledger.db.all("SELECT id, role FROM accounts ORDER BY id")]
    _print_rows(rows, as_json)


@registry_app.command("allocate", help="Issue units to an account (regulator).")
def allocate(ctx: typer.Context, account: str = typer.Argument(...),
             amount: str = typer.Argument(..., help="Units, up to 6 decimals."),
             instrument: str = _INSTRUMENT, vintage: int | None = _VINTAGE,
             key: str | None = typer.Option(None, "--key", help="Idempotency key: repeating the "
                                            "command with it records nothing new.")) -> None:
    with _open(ctx) as ledger:
        _print_entry(ledger.allocate(account, amount, instrument=instrument, vintage=vintage,
                                     key=key, actor=ctx.obj["actor"]))


@registry_app.command("transfer", help="Move units from one account to another (the sender).")
def transfer(ctx: typer.Context, source: str = typer.Argument(..., metavar="FROM"),
             target: str = typer.Argument(..., metavar="TO"), amount: str = typer.Argument(...),
             instrument: str = _INSTRUMENT, vintage: int | None = _VINTAGE,
             key: str = typer.Option(..., "--key", help="Idempotency key (required).")) -> None:
    with _open(ctx) as ledger:
        _print_entry(ledger.transfer(source, target, amount, instrument=instrument, key=key,
                                     vintage=vintage, actor=ctx.obj["actor"]))


@registry_app.command("retire", help="Cancel units for good (the holder).")
def retire(ctx: typer.Context, account: str = typer.Argument(...), amount: str = typer.Argument(...),
           instrument: str = _INSTRUMENT, vintage: int | None = _VINTAGE,
           key: str = typer.Option(..., "--key", help="Idempotency key (required).")) -> None:
    with _open(ctx) as ledger:
        _print_entry(ledger.retire(account, amount, instrument=instrument, key=key,
                                   vintage=vintage, actor=ctx.obj["actor"]))


@registry_app.command("settle", help="Settle a market clearing: the net purchases of a "
                      "rights_market trades table (participant ids = accounts) as one entry (regulator).")
def settle(ctx: typer.Context, trades: Path = typer.Argument(..., help="trades.csv of rights_market."),
           instrument: str = _INSTRUMENT, vintage: int | None = _VINTAGE,
           market: str | None = typer.Option(None, "--market", help="Only this market's rows."),
           zone_group: str | None = typer.Option(None, "--zone-group", help="Only this zone group."),
           key: str = typer.Option(..., "--key", help="Idempotency key (required).")) -> None:
    from ecociv.io.tables import read_table
    from ecociv.spec import Column, TableInput

    frame = read_table(trades, TableInput(id="trades", about="rights_market trades", columns=(
        Column(id="participant", about="account id", dtype="str"),
        Column(id="net_purchase", about="units bought (> 0) or sold (< 0)", units="permit"),
        Column(id="market", about="market", dtype="str", required=False),
        Column(id="zone_group", about="zone group", dtype="str", required=False))))
    if market is not None and "market" in frame.columns:
        frame = frame[frame["market"].astype(str) == market]
    if zone_group is not None and "zone_group" in frame.columns:
        frame = frame[frame["zone_group"].astype(str) == zone_group]
    legs = dict(zip(frame["participant"].astype(str), frame["net_purchase"], strict=True))
    with _open(ctx) as ledger:
        _print_entry(ledger.settle(legs, instrument=instrument, key=key, vintage=vintage,
                                   reference=f"{trades.name} {market or ''} {zone_group or ''}".strip(),
                                   actor=ctx.obj["actor"]))


@registry_app.command("report-use", help="Record verified emissions or metered use for a period "
                      "(regulator).")
def report_use(ctx: typer.Context, account: str = typer.Argument(...), amount: str = typer.Argument(...),
               instrument: str = _INSTRUMENT,
               period: str = typer.Option(..., "--period", help="Year (2025) or month (2025-06)."),
               key: str = typer.Option(..., "--key", help="Idempotency key (required).")) -> None:
    with _open(ctx) as ledger:
        _print_entry(ledger.report_use(account, amount, instrument=instrument, period=period,
                                       key=key, actor=ctx.obj["actor"]))


@registry_app.command("surrender", help="Hand in units against a period's verified use (the holder).")
def surrender(ctx: typer.Context, account: str = typer.Argument(...), amount: str = typer.Argument(...),
              instrument: str = _INSTRUMENT,
              period: str = typer.Option(..., "--period", help="Year (2025) or month (2025-06)."),
              vintage: int | None = _VINTAGE,
              key: str = typer.Option(..., "--key", help="Idempotency key (required).")) -> None:
    with _open(ctx) as ledger:
        _print_entry(ledger.surrender(account, amount, instrument=instrument, period=period, key=key,
                                      vintage=vintage, actor=ctx.obj["actor"]))


@registry_app.command("balances", help="Balances derived from the postings.")
def balances(ctx: typer.Context, as_json: bool = _JSON,
             include_system: bool = typer.Option(False, "--all", help="Also @issuance, @retired "
                                                 "and @surrendered.")) -> None:
    with _open(ctx) as ledger:
        _print_rows(ledger.balances(include_system=include_system), as_json)


@registry_app.command("history", help="Journal entries, all or of one account.")
def history(ctx: typer.Context, account: str | None = typer.Argument(None),
            as_json: bool = _JSON) -> None:
    with _open(ctx) as ledger:
        entries = ledger.history(account)
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=1))
        return
    rows = [{"seq": e.seq, "command": e.command, "actor": e.actor, "key": e.key,
             "details": json.dumps(e.payload, ensure_ascii=False), "created_at": e.created_at}
            for e in entries]
    _print_rows(rows, False)


@registry_app.command("compliance", help="Verified use against surrendered units per period.")
def compliance(ctx: typer.Context, as_json: bool = _JSON) -> None:
    with _open(ctx) as ledger:
        _print_rows(ledger.compliance(), as_json)


@registry_app.command("verify", help="Check the journal, hash chain, postings and balances end to "
                      "end; exit 0 only when all is intact (1 otherwise).")
def verify(ctx: typer.Context, as_json: bool = _JSON,
           expect_head: str | None = typer.Option(None, "--expect-head", help="Hash of the last "
                                                  "entry kept elsewhere: also detects entries "
                                                  "removed from the end.")) -> None:
    from ecociv.ledger import verify as run_verify

    with _open(ctx) as ledger:
        result = run_verify(ledger)
    if expect_head is not None and expect_head not in (result.head_hash, result.head_hash[:16]):
        result.add(f"the last entry's hash is {result.head_hash}, not the expected {expect_head}")
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        for problem in result.problems:
            typer.echo(f"problem: {problem}")
        typer.echo(f"{'intact' if result.ok else 'NOT intact'}: {result.entries} journal entries, "
                   f"{result.postings} postings, head {result.head_seq} {result.head_hash}")
    raise typer.Exit(0 if result.ok else 1)


@registry_app.command("export", help="Write journal, postings, balances and compliance as CSV and "
                      "JSON into a folder (the --out rule applies).")
def export(ctx: typer.Context, out: Path = typer.Option(..., "--out", help="Output folder.")) -> None:
    from ecociv.ledger import export as run_export

    with _open(ctx) as ledger:
        for path in run_export(ledger, out):
            typer.echo(str(path))


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        typer.echo("(none)")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    Console(width=160).print(table)
