"""`ecociv registry` from the command line: the commands named in the issue, exit codes, JSON."""

from __future__ import annotations

import json
import sqlite3
from types import SimpleNamespace

import pytest

from tests.cli_helper import run_ecociv


@pytest.fixture
def run_cli(capsys, monkeypatch):
    def run(args):
        code, out, err = run_ecociv(capsys, monkeypatch, *args)
        return SimpleNamespace(exit_code=code, stdout=out, stderr=err)
    return run


def test_registry_commands(tmp_path, run_cli):
    db = str(tmp_path / "r.sqlite")
    base = ["registry", "--db", db]
    assert run_cli([*base, "init"]).exit_code == 0
    for account, role in (("mee", "regulator"), ("a", "holder"), ("b", "holder"), ("aud", "auditor")):
        assert run_cli([*base, "account", "create", account, "--role", role]).exit_code == 0
    assert run_cli([*base, "allocate", "a", "50", "--instrument", "NOx", "--key", "k0"]).exit_code == 0
    out = run_cli([*base, "transfer", "a", "b", "20", "--instrument", "NOx", "--key", "k1"])
    assert out.exit_code == 0 and "recorded" in out.stdout
    again = run_cli([*base, "transfer", "a", "b", "20", "--instrument", "NOx", "--key", "k1"])
    assert again.exit_code == 0 and "nothing changed" in again.stdout
    bad = run_cli([*base, "transfer", "a", "b", "99", "--instrument", "NOx", "--key", "k2"])
    assert bad.exit_code == 2 and "holds 30 NOx" in bad.stderr
    denied = run_cli([*base, "--as", "aud", "allocate", "a", "5", "--instrument", "NOx"])
    assert denied.exit_code == 2 and "needs role regulator" in denied.stderr
    assert run_cli([*base, "retire", "b", "2", "--instrument", "NOx", "--key", "k3"]).exit_code == 0
    balances = json.loads(run_cli([*base, "balances", "--json"]).stdout)
    assert {b["account"]: b["balance"] for b in balances} == {"a": "30", "b": "18"}
    history = json.loads(run_cli([*base, "history", "b", "--json"]).stdout)
    assert [e["command"] for e in history] == ["create_account", "transfer", "retire"]
    verified = run_cli([*base, "verify", "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    head = json.loads(verified.stdout)["head_hash"]
    assert run_cli([*base, "verify", "--expect-head", head]).exit_code == 0
    out_dir = tmp_path / "export"
    assert run_cli([*base, "export", "--out", str(out_dir)]).exit_code == 0
    assert (out_dir / "postings.csv").read_text().count("\n") == 1 + 6
    conn = sqlite3.connect(db)
    conn.execute("UPDATE journal SET actor = 'b' WHERE seq = 5")
    conn.commit()
    conn.close()
    broken = run_cli([*base, "verify"])
    assert broken.exit_code == 1 and "NOT intact" in broken.stdout and "entry 5" in broken.stdout


def test_registry_bad_input(tmp_path, run_cli):
    db = str(tmp_path / "r.sqlite")
    missing = run_cli(["registry", "--db", db, "balances"])
    assert missing.exit_code == 2 and "not an initialised registry" in missing.stderr
    run_cli(["registry", "--db", db, "init"])
    run_cli(["registry", "--db", db, "account", "create", "mee", "--role", "regulator"])
    for args, message in (
        (["account", "create", "x y", "--role", "holder"], "account id"),
        (["account", "create", "x", "--role", "owner"], "--role must be one of"),
        (["allocate", "mee", "0", "--instrument", "SO2"], "AMOUNT must be a positive number"),
        (["allocate", "mee", "1.5t", "--instrument", "SO2"], "AMOUNT must be a positive number"),
        (["allocate", "ghost", "5", "--instrument", "SO2"], "'ghost' does not exist"),
        (["allocate", "mee", "5", "--instrument", "SO2", "--vintage", "25"], "--vintage"),
        (["transfer", "mee", "mee", "1", "--instrument", "SO2", "--key", "k"], "to itself"),
    ):
        result = run_cli(["registry", "--db", db, *args])
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)
    no_key = run_cli(["registry", "--db", db, "transfer", "mee", "x", "1", "--instrument", "SO2"])
    assert no_key.exit_code == 2 and "--key" in no_key.stderr


def test_registry_settles_rights_market_trades(tmp_path, run_cli):
    """rights_market's trades table settled in the registry from the command line."""
    from ecociv.models.rights_market.model import example, run

    trades = run(example())["trades"]
    trades.to_csv(tmp_path / "trades.csv", index=False)
    db = str(tmp_path / "r.sqlite")
    base = ["registry", "--db", db]
    run_cli([*base, "init"])
    run_cli([*base, "account", "create", "mee", "--role", "regulator"])
    for row in trades.itertuples():
        run_cli([*base, "account", "create", row.participant, "--role", "holder"])
        run_cli([*base, "allocate", row.participant, str(row.allocation), "--instrument", "SO2",
                 "--key", f"alloc-{row.participant}"])
    out = run_cli([*base, "settle", str(tmp_path / "trades.csv"), "--instrument", "SO2",
                   "--key", "clearing-1"])
    assert out.exit_code == 0, out.stderr
    balances = {b["account"]: float(b["balance"])
                for b in json.loads(run_cli([*base, "balances", "--json"]).stdout)}
    expected = dict(zip(trades["participant"], trades["holding_after"], strict=True))
    assert balances == pytest.approx(expected, abs=2e-6)
    assert run_cli([*base, "verify"]).exit_code == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("participant,amount\na,1\n")
    result = run_cli([*base, "settle", str(bad), "--instrument", "SO2", "--key", "x"])
    assert result.exit_code == 2 and "net_purchase" in result.stderr
