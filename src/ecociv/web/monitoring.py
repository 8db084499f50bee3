"""Monitoring alerts (``ecociv.monitor``) as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records"))


def alerts(observations: Path | None, *, stations: Path | None = None,
           targets: Path | None = None, default_targets: bool = False,
           run: Path | None = None) -> dict[str, Any]:
    """``{summary, alerts, carrying_state}`` of a monitoring evaluation (errors as the CLI's)."""
    from ecociv.monitor import run_monitor

    result = run_monitor(observations, stations, targets, default_targets=default_targets, run=run)
    return {"summary": result.summary, "alerts": _records(result.alerts),
            "carrying_state": _records(result.carrying_state)}
