"""Running the ``ecociv`` entry point in-process, as a user would from a shell."""

from __future__ import annotations

import sys

import pytest

from ecociv.cli.main import main


def run_ecociv(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
               *args: str) -> tuple[int, str, str]:
    """``ecociv ARGS...``: returns (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["ecociv", *args])
    code = 0
    try:
        main()
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err
