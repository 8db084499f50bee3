"""``ecociv monitor``: observations of air and water quality, groundwater, lake area and water
use against GB 3095-2012, GB 3838-2002, targets and red lines; carrying state per unit, alerts,
flagged observations and a summary (docs/monitor.md). Heavy libraries are imported inside the
command so that ``ecociv --help`` stays light."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def monitor(
    observations: Path | None = typer.Option(None, "--observations", help="Observation CSV (long format: "
                                             "station, indicator, time, value, units)."),
    run: Path | None = typer.Option(None, "--run", help="A finished run folder: also monitor its "
                                    "water_allocation lake areas, water use and groundwater pumping."),
    stations: Path | None = typer.Option(None, "--stations", help="Station CSV: station, unit, basin, "
                                         "water_class (I-V target), water_body (river/lake), air_class (1/2)."),
    targets: Path | None = typer.Option(None, "--targets", help="Targets and red lines CSV: place, indicator, "
                                        "kind (cap/floor), value, units[, period, source, status]."),
    belt_targets: bool = typer.Option(False, "--belt-targets", help="Without --targets, use the example Belt "
                                      "targets shipped with ecociv (Ebinur Lake area, Xinjiang water-use cap)."),
    out: Path = typer.Option(..., "--out", help="Output folder (new, empty or an earlier ecociv output)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    no_chart: bool = typer.Option(False, "--no-chart", help="Do not draw chart.png."),
) -> None:
    """Monitoring and early warning (监测预警)."""
    from ecociv.io.atomic import atomic_folder
    from ecociv.monitor.run import run_monitor, write

    result = run_monitor(observations, stations, targets, default_targets=belt_targets, run=run)
    with atomic_folder(out) as tmp:
        write(result, tmp, chart=not no_chart)
    summary = result.summary
    if as_json:
        typer.echo(json.dumps({**summary, "out": str(out)}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{summary['observations_used']} observations used, {summary['flagged']} flagged "
               f"(see {out / 'flagged.csv'})")
    levels = ", ".join(f"{k} {v}" for k, v in summary["alerts_by_level"].items()) or "none"
    typer.echo(f"alerts: {levels}")
    states = ", ".join(f"{k} {v}" for k, v in summary["carrying_state_counts"].items()) or "none"
    typer.echo(f"carrying state (unit-years): {states}")
    typer.echo(f"written to {out}")
