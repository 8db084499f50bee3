"""The trading registry (ecociv.ledger) on SQLite and PostgreSQL: double entry, no negative
balances, idempotency keys, roles, and the hash chain that `verify` checks end to end."""

from __future__ import annotations

import sqlite3

import pytest

from ecociv.errors import InputError
from ecociv.ledger import Ledger, PermissionDeniedError, verify
from ecociv.ledger.amounts import format_amount, parse_amount


def _ledger(target: str) -> Ledger:
    ledger = Ledger.init(target)
    ledger.create_account("mee", "regulator")
    for holder in ("plant-a", "plant-b", "district-1"):
        ledger.create_account(holder, "holder")
    ledger.create_account("audit", "auditor")
    return ledger


def test_amounts_are_exact_micro_units():
    assert parse_amount("12.5") == 12_500_000
    assert parse_amount("0.000001") == 1
    assert format_amount(12_500_000) == "12.5" and format_amount(-3) == "-0.000003"
    for bad in ("0", "-1", "abc", "1.0000001", "nan", "1e20"):
        with pytest.raises(InputError, match="AMOUNT"):
            parse_amount(bad)


def test_double_entry_balances_and_verify(registry_db):
    with _ledger(registry_db) as ledger:
        ledger.allocate("plant-a", "100", instrument="SO2", vintage=2025, key="a1")
        ledger.allocate("plant-b", "40.25", instrument="SO2", vintage=2025, key="a2")
        ledger.transfer("plant-a", "plant-b", "30", instrument="SO2", vintage=2025, key="t1")
        ledger.retire("plant-b", "0.25", instrument="SO2", vintage=2025, key="r1")
        balances = {(b["account"], b["instrument"]): b["balance"]
                    for b in ledger.balances(include_system=True)}
        assert balances == {("plant-a", "SO2"): "70", ("plant-b", "SO2"): "70",
                            ("@issuance", "SO2"): "-140.25", ("@retired", "SO2"): "0.25"}
        # every entry's postings sum to zero: the system accounts balance the holders exactly
        assert sum(parse_amount(v) if not v.startswith("-") else -parse_amount(v[1:])
                   for v in balances.values()) == 0
        result = verify(ledger)
        assert result.ok, result.problems
        assert result.entries == 5 + 4 and result.postings == 8


def test_no_negative_balance_and_nothing_recorded(registry_db):
    with _ledger(registry_db) as ledger:
        ledger.allocate("plant-a", "10", instrument="COD", key="a1")
        before = ledger.head()
        with pytest.raises(InputError, match=r"holds 10 COD, less than the 10\.5 asked for"):
            ledger.transfer("plant-a", "plant-b", "10.5", instrument="COD", key="t1")
        with pytest.raises(InputError, match="holds 0 COD"):
            ledger.retire("plant-b", "1", instrument="COD", key="r1")
        assert ledger.head() == before
        # vintages are separate positions
        with pytest.raises(InputError, match="of vintage 2026"):
            ledger.transfer("plant-a", "plant-b", "1", instrument="COD", vintage=2026, key="t2")


def test_idempotency_keys(registry_db):
    with _ledger(registry_db) as ledger:
        first = ledger.allocate("plant-a", "5", instrument="CO2", key="k-1")
        again = ledger.allocate("plant-a", "5", instrument="CO2", key="k-1")
        assert again.replayed and again.seq == first.seq and again.hash == first.hash
        assert ledger.balances()[0]["balance"] == "5"
        with pytest.raises(InputError, match="already used for another command"):
            ledger.allocate("plant-a", "6", instrument="CO2", key="k-1")
        with pytest.raises(InputError, match="already used for another command"):
            ledger.transfer("plant-a", "plant-b", "5", instrument="CO2", key="k-1")
        t = ledger.transfer("plant-a", "plant-b", "2", instrument="CO2", key="k-2")
        assert ledger.transfer("plant-a", "plant-b", "2", instrument="CO2", key="k-2").seq == t.seq
        assert {b["account"]: b["balance"] for b in ledger.balances()} == {"plant-a": "3",
                                                                          "plant-b": "2"}


def test_roles(registry_db):
    with _ledger(registry_db) as ledger:
        with pytest.raises(PermissionDeniedError, match="allocate needs role regulator"):
            ledger.allocate("plant-a", "5", instrument="SO2", actor="plant-b")
        ledger.allocate("plant-a", "5", instrument="SO2", key="a")
        with pytest.raises(PermissionDeniedError, match="may not transfer units of 'plant-a'"):
            ledger.transfer("plant-a", "plant-b", "1", instrument="SO2", key="t", actor="plant-b")
        with pytest.raises(PermissionDeniedError, match="may not transfer units of 'plant-a'"):
            ledger.transfer("plant-a", "plant-b", "1", instrument="SO2", key="t", actor="mee")
        with pytest.raises(PermissionDeniedError, match="role auditor"):
            ledger.retire("audit", "1", instrument="SO2", key="r")
        with pytest.raises(InputError, match="auditor's and cannot hold units"):
            ledger.transfer("plant-a", "audit", "1", instrument="SO2", key="t2")
        with pytest.raises(PermissionDeniedError, match="account create needs role regulator"):
            ledger.create_account("plant-c", "holder", actor="plant-a")
        with pytest.raises(InputError, match="does not exist"):
            ledger.transfer("plant-a", "nobody", "1", instrument="SO2", key="t3")
        with pytest.raises(InputError, match="exists with role holder"):
            ledger.create_account("plant-a", "regulator")


def test_first_account_must_be_a_regulator(registry_db):
    with Ledger.init(registry_db) as ledger:
        with pytest.raises(PermissionDeniedError, match="first account"):
            ledger.create_account("plant-a", "holder")
        ledger.create_account("mee", "regulator")
        assert ledger.create_account("mee", "regulator").replayed


def test_compliance_against_verified_use(registry_db):
    with _ledger(registry_db) as ledger:
        ledger.allocate("district-1", "1000", instrument="water", vintage=2025, key="a")
        ledger.report_use("district-1", "800", instrument="water", period="2025", key="u")
        ledger.surrender("district-1", "600", instrument="water", vintage=2025, period="2025",
                         key="s1")
        (row,) = ledger.compliance()
        assert (row["verified_use"], row["surrendered"], row["shortfall"], row["status"]) == \
            ("800", "600", "200", "short")
        ledger.surrender("district-1", "200", instrument="water", vintage=2025, period="2025",
                         key="s2")
        assert ledger.compliance()[0]["status"] == "compliant"
        with pytest.raises(InputError, match="--period"):
            ledger.report_use("district-1", "1", instrument="water", period="25", key="u2")


def _tamper(target: str, statement: str) -> None:
    if target.startswith("postgresql"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            conn.execute(statement)
    else:
        conn = sqlite3.connect(target)
        conn.execute(statement)
        conn.commit()
        conn.close()


@pytest.mark.parametrize("statement, message", [
    ("UPDATE postings SET amount = amount + 1 WHERE seq = 7 AND line = 1", "stored hash"),
    ("UPDATE postings SET amount = 30000000, balance_after = 70000000 WHERE seq = 7 AND line = 1",
     "stored hash"),
    ("UPDATE journal SET payload = replace(payload, '30', '3') WHERE seq = 7", "stored hash"),
    ("UPDATE journal SET actor = 'mee' WHERE seq = 7", "stored hash"),
    ("DELETE FROM postings WHERE seq = 7", "stored hash"),
    ("DELETE FROM journal WHERE seq = 6", "missing"),
    ("UPDATE journal SET hash = 'x' WHERE seq = 8", "chain is broken"),
    ("DELETE FROM journal WHERE seq = 9", "recorded head"),
    ("UPDATE accounts SET role = 'regulator' WHERE id = 'plant-a'", "accounts table differs"),
    ("INSERT INTO postings VALUES (9, 3, 'plant-a', 'SO2', 0, 5000000, 75000000)", "stored hash"),
])
def test_verify_detects_tampering(registry_db, statement, message):
    with _ledger(registry_db) as ledger:
        ledger.allocate("plant-a", "100", instrument="SO2", key="a1")
        ledger.transfer("plant-a", "plant-b", "30", instrument="SO2", key="t1")
        ledger.transfer("plant-b", "plant-a", "5", instrument="SO2", key="t2")
        ledger.transfer("plant-a", "district-1", "1", instrument="SO2", key="t3")
        assert verify(ledger).ok
    _tamper(registry_db, statement)
    with Ledger(registry_db) as ledger:
        result = verify(ledger)
    assert not result.ok
    assert any(message in p for p in result.problems), result.problems


def test_refuses_files_it_did_not_write(tmp_path):
    foreign = tmp_path / "notes.sqlite"
    foreign.write_text("my notes")
    with pytest.raises(InputError, match="not a SQLite registry"):
        Ledger.init(str(foreign))
    assert foreign.read_text() == "my notes"
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE mine (x)")
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="not a registry's"):
        Ledger.init(str(other))
    with pytest.raises(InputError, match="not an initialised registry"):
        Ledger(str(tmp_path / "new.sqlite"))
    with pytest.raises(InputError, match="does not exist"):
        Ledger.init(str(tmp_path / "missing" / "r.sqlite"))


def test_atomic_block_commits_all_or_nothing(registry_db):
    with _ledger(registry_db) as ledger:
        ledger.allocate("plant-a", "10", instrument="SO2", key="a")
        with pytest.raises(InputError, match="less than"):
            with ledger.atomic():
                ledger.transfer("plant-a", "plant-b", "4", instrument="SO2", key="x1")
                ledger.transfer("plant-a", "district-1", "7", instrument="SO2", key="x2")
        assert {b["account"]: b["balance"] for b in ledger.balances()} == {"plant-a": "10"}
        with ledger.atomic():
            ledger.transfer("plant-a", "plant-b", "4", instrument="SO2", key="x1")
            try:  # a failed command inside the block undoes only itself
                ledger.transfer("plant-a", "district-1", "7", instrument="SO2", key="x2")
            except InputError:
                pass
            ledger.transfer("plant-a", "district-1", "6", instrument="SO2", key="x3")
            assert len(ledger.history("plant-b")) == 2
        assert {b["account"]: b["balance"] for b in ledger.balances()} == {
            "plant-a": "0", "plant-b": "4", "district-1": "6"}
        assert verify(ledger).ok


def test_settle_a_market_clearing(registry_db):
    with _ledger(registry_db) as ledger:
        ledger.allocate("plant-a", "100", instrument="SO2", key="a")
        ledger.allocate("plant-b", "100", instrument="SO2", key="b")
        # net purchases as rights_market writes them (floats that balance to rounding)
        legs = {"plant-a": -77.2727272727, "plant-b": 50.0000000001, "district-1": 27.2727272726}
        entry = ledger.settle(legs, instrument="SO2", key="clear-2025", reference="run x")
        assert len(entry.postings) == 3
        assert sum(p[4] for p in entry.postings) == 0
        assert ledger.settle(legs, instrument="SO2", key="clear-2025").replayed
        balances = {b["account"]: b["balance"] for b in ledger.balances()}
        assert balances == {"plant-a": "22.727273", "plant-b": "150", "district-1": "27.272727"}
        with pytest.raises(InputError, match="sum to -5 SO2"):
            ledger.settle({"plant-a": -5.0}, instrument="SO2", key="bad")
        with pytest.raises(InputError, match=r"holds 22\.727273"):
            ledger.settle({"plant-a": -30.0, "plant-b": 30.0}, instrument="SO2", key="bad2")
        with pytest.raises(PermissionDeniedError, match="settle needs role regulator"):
            ledger.settle({"plant-a": -1.0, "plant-b": 1.0}, instrument="SO2", key="k",
                          actor="plant-b")
        assert verify(ledger).ok


def test_settlement_rounding_never_makes_a_seller_deliver_more_than_it_holds(registry_db):
    with _ledger(registry_db) as ledger:
        ledger.allocate("plant-a", "3", instrument="NOx", key="a")
        # rounded to micro-units the buyers' legs sum to 3.000001: one micro-unit too many
        legs = {"plant-a": -3.0, "plant-b": 1.0000006, "district-1": 1.9999994 + 1e-7}
        ledger.settle(legs, instrument="NOx", key="s")
        balances = {b["account"]: b["balance"] for b in ledger.balances()}
        assert balances["plant-a"] == "0"
        assert parse_amount(balances["plant-b"]) + parse_amount(balances["district-1"]) == 3_000_000
        assert verify(ledger).ok
