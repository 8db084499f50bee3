"""``ecociv calibrate [--dataset DIR] [--gauges TABLE.csv] [--out DIR]``: fit water_yield's
precipitation correction (per elevation band) and seasonality factor Z (per gauged basin) to
published gauged runoff, and write the calibrated layers into the dataset folder."""

from __future__ import annotations

from pathlib import Path

import typer


def _default_gauges() -> Path:
    from ecociv.region.dataset import packaged_dataset_path

    return packaged_dataset_path().parent / "calibration" / "belt_gauges.csv"


def calibrate(
    dataset: Path | None = typer.Option(
        None, "--dataset", "-d", metavar="DIR",
        help="Dataset folder (default: the embedded Belt dataset). Its raw layers "
             "precipitation_annual, et0_annual, land_use, root_restricting_depth, "
             "plant_available_water, dem, biophysical_table and units are read."),
    gauges: Path | None = typer.Option(
        None, "--gauges", "-g", metavar="TABLE.csv",
        help="Gauge table (id, lon, lat, basin, runoff in 1e8 m**3/yr, catchment_area_km2, "
             "citation, citation_status, ...; default: the Belt's gauge table)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", metavar="DIR",
        help="Dataset folder to write the calibrated layers into (default: --dataset); a new or "
             "empty folder receives a calibrated copy of the dataset."),
    bands: str = typer.Option(
        "1500,2500,3500", "--bands", metavar="M,M,...",
        help="Elevation band edges (m) of the precipitation correction."),
    z_prior: float = typer.Option(5.0, "--z-prior", help="Prior (and ungauged) seasonality factor Z."),
    snap_radius: int = typer.Option(5, "--snap-radius", help="Snapping radius of the gauges, cells."),
    max_evaluations: int = typer.Option(
        200, "--max-evaluations", help="Objective evaluations before giving up (not converged)."),
    match: str = typer.Option(
        "volume", "--match", metavar="volume|depth",
        help="Fit the published runoff volume over the delineated catchment (what `ecociv check` "
             "and the water network compare) or the published runoff depth (runoff / published "
             "catchment area; needs catchment_area_km2, else volume)."),
    holdout: bool = typer.Option(True, "--holdout/--no-holdout",
                                 help="Also calibrate on half the gauges and check the other half."),
) -> None:
    """Calibrate water_yield against gauged runoff (率定)."""
    from ecociv.calibrate.run import Settings
    from ecociv.calibrate.run import calibrate as run_calibration
    from ecociv.calibrate.write import CalibrationFailedError
    from ecociv.errors import InputError

    try:
        edges = sorted(float(v) for v in bands.split(",") if v.strip())
    except ValueError:
        raise InputError(f"{bands!r} is not a comma-separated list of elevations (m)",
                         source="--bands") from None
    from ecociv.calibrate.run import MATCHES

    if match not in MATCHES:
        raise InputError(f"{match!r} is not one of {', '.join(MATCHES)}", source="--match")
    if snap_radius < 0 or max_evaluations < 1 or z_prior <= 0:
        raise InputError("--snap-radius must be >= 0, --max-evaluations >= 1 and --z-prior > 0",
                         source="calibrate options")
    settings = Settings(band_edges=edges, z_prior=z_prior, snap_radius=snap_radius,
                        max_nfev=max_evaluations, holdout=holdout, match=match)
    table = gauges or _default_gauges()
    try:
        outcome = run_calibration(dataset, table, settings, out or dataset)
    except CalibrationFailedError as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        raise typer.Exit(1) from None
    res = outcome.result
    typer.echo(f"calibration converged ({res.evaluations} evaluations): objective "
               f"{res.objective_before:.3f} -> {res.objective_after:.3f}")
    for name, value in res.values.items():
        typer.echo(f"  {name} = {value:.3f}")
    published = {g.id: g.runoff for g in outcome.gauges}
    for gid, obs in outcome.problem.observed.items():
        before, after = res.simulated_before[gid], res.simulated_after[gid]
        target = f"published {published[gid]:g}" + (
            f", target {obs:.3g} (depth over the delineated area)" if obs != published[gid] else "")
        typer.echo(f"  {gid}: {target}, before {before:.2f} ({100 * (before - obs) / obs:+.0f} %),"
                   f" after {after:.2f} ({100 * (after - obs) / obs:+.0f} %) 1e8 m3/yr")
    for gid, verdict in outcome.screening.items():
        if verdict != "calibrate":
            typer.echo(f"  {gid}: {verdict}")
    for calibration, _, scores in outcome.holdout_folds:
        for gid, score in scores.items():
            typer.echo(f"  held out {gid}: PBIAS {score:+.0f} % (calibrated on "
                       f"{', '.join(calibration)})")
    if outcome.written:
        typer.echo(f"wrote {', '.join(str(p) for p in outcome.written)}")
