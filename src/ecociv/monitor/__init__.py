"""Monitoring and early warning (监测预警): observation time series of air and surface-water quality,
groundwater levels, lake areas and water use, compared with national standards (GB 3095-2012,
GB 3838-2002), targets and red lines; the resource-environment carrying state of each unit
(超载 / 临界超载 / 不超载) and alerts with levels. Bad observations are flagged, never dropped
silently. Entry point: :func:`ecociv.monitor.run.run_monitor`; the command line is ``ecociv monitor``
(docs/monitor.md)."""

from __future__ import annotations

from typing import Any

__all__ = ["run_monitor"]


def run_monitor(*args: Any, **kwargs: Any) -> Any:
    """Lazy alias of :func:`ecociv.monitor.run.run_monitor` (keeps ``import ecociv.monitor`` light)."""
    from ecociv.monitor.run import run_monitor as _run

    return _run(*args, **kwargs)
