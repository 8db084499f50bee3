"""``ecociv`` — the command line. Each subcommand lives in its own module; all are thin callers
of the library. Errors caused by input are printed as one clear message (exit code 2)."""

from __future__ import annotations

import os
import sys
import warnings
from typing import NoReturn

import typer

from ecociv.cli import (
    calibrate_cmd,
    check_cmd,
    compare_cmd,
    data_cmd,
    et0_cmd,
    land_use_cmd,
    models_cmd,
    monitor_cmd,
    registry_cmd,
    report_cmd,
    run_cmd,
    serve_cmd,
    strategies_cmd,
    uncertainty_cmd,
)

HELP = (
    "ecociv — decision support for the ecological-civilization strategy of the Tianshan "
    "Mountains Northern Slope Economic Belt (天山北坡经济带): models with units and citations, "
    "scenarios a planner edits, one run that couples them."
)

app = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False, rich_markup_mode="rich")


def _version(value: bool) -> None:
    if value:
        from ecociv import __version__

        typer.echo(f"ecociv {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """ecociv — 天山北坡经济带生态文明建设决策支持 (Tianshan Northern Slope Economic Belt)."""


app.command("models", help="List registered models (模型列表); --json prints every spec.")(
    models_cmd.list_models)
app.add_typer(models_cmd.model_app, name="model")
app.add_typer(data_cmd.data_app, name="data")
app.command("et0", help="Reference evapotranspiration (参考作物蒸散量, FAO-56) for a station table.")(
    et0_cmd.et0)
app.command("calibrate", help="Calibrate water_yield against gauged runoff (率定).")(
    calibrate_cmd.calibrate)
app.command("run", help="Run a scenario file (情景) into a results store.")(run_cmd.run)
app.command("validate", help="Check a scenario file without running it.")(run_cmd.validate)
app.command("runs", help="List the runs in a results store.")(run_cmd.runs)
app.command("demo", help="Run the Belt baseline (天山北坡经济带) on the embedded real-data "
            "dataset and print results per prefecture.")(run_cmd.demo)
app.command("check", help="Compare a run with published figures (reference table).")(check_cmd.check)
app.add_typer(land_use_cmd.land_use_app, name="land-use")
app.command("report", help="Write a report (报告) of runs: HTML, XLSX and PDF, in Chinese or English.")(
    report_cmd.report)
app.add_typer(registry_cmd.registry_app, name="registry")
app.command("monitor", help="Monitoring and early warning (监测预警): observations against GB 3095 / GB 3838, "
            "targets and red lines; carrying state, alerts, flagged rows.")(monitor_cmd.monitor)
app.add_typer(strategies_cmd.strategies_app, name="strategies")
app.command("compare", help="Compare runs: indicators, trade-offs, difference maps.")(compare_cmd.compare)
app.command("uncertainty", help="Monte Carlo ranges and Sobol indices of a scenario (不确定性).")(
    uncertainty_cmd.uncertainty)
app.command("serve", help="Web dashboard and REST API (/api/v1/) over a results store.")(
    serve_cmd.serve)


def _usage_error(err: Exception) -> NoReturn:
    """Print a command-line usage error as one line (plus a help hint) and exit 2."""
    message = err.format_message() if hasattr(err, "format_message") else str(err)
    print(f"error: {message}", file=sys.stderr)
    ctx = getattr(err, "ctx", None)
    if ctx is not None:
        print(f"Try '{ctx.command_path} --help' for help.", file=sys.stderr)
    sys.exit(2)


def _show_warning(message: Warning | str, category: type[Warning], *args: object,
                  **kwargs: object) -> None:
    """Input warnings as one line (they name the file), others as Python shows them."""
    from ecociv.errors import InputWarning, OutputWarning

    if issubclass(category, (InputWarning, OutputWarning)):
        print(f"warning: {message}", file=sys.stderr)
    else:
        _python_show_warning(message, category, *args, **kwargs)  # type: ignore[arg-type]


_python_show_warning = warnings.showwarning


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``ecociv`` script.

    Exit codes: 0 done, 1 aborted or out of memory, 2 bad input or a usage error (one line on
    stderr, no traceback), 130 interrupted (Ctrl-C; unfinished output folders are removed).
    """
    from typer.exceptions import TyperException

    from ecociv.errors import EcocivError

    warnings.filterwarnings("default", category=UserWarning, module="ecociv")
    from ecociv.grid.burn import ignore_burn_warning

    ignore_burn_warning()
    warnings.showwarning = _show_warning
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else argv
    try:
        # not app(): typer turns Ctrl-C into a silent exit 0 when it does not own the process exit
        with command.make_context("ecociv", list(args)) as ctx:
            command.invoke(ctx)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except EcocivError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    except MemoryError as err:  # no traceback: what ran out, and what to do about it
        print(f"error: out of memory ({err or 'allocation failed'}); rasters are computed in "
              "chunks of about 1 Mi cells, several per core: free memory, raise the process's "
              "memory limit, or run on a dask cluster (--scheduler)", file=sys.stderr)
        sys.exit(1)
    except BrokenPipeError:  # e.g. `ecociv models | head`: quiet, as the shell's own tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except TyperException as err:  # usage errors: unknown option or command, missing argument
        if type(err).__name__ == "NoArgsIsHelpError":  # a bare group prints its help
            print(err.format_message(), file=sys.stderr)
            sys.exit(2)
        _usage_error(err)


def entry() -> None:
    """The ``ecociv`` script and ``python -m ecociv.cli.main``: :func:`main`, then, when the
    command allowed it (``ecociv model run``), the exit without the interpreter's teardown
    (:func:`ecociv.cli.process.exit_now`). :func:`main` itself returns or raises ``SystemExit``
    (tests call it in-process)."""
    import gc

    from ecociv import lazy, read_ahead
    from ecociv.cli import process

    process.mark_script()
    if sys.argv[1:3] == ["model", "run"] or sys.argv[1:2] == ["demo"]:
        # freed memory reused, not faulted in again (set before any other thread starts)
        process.tune_malloc()
    if sys.argv[1:3] == ["model", "run"]:
        # GDAL, Arrow, LLVM ... mapped on another core, not by the imports holding the GIL
        vector = lazy.names_vector_file(sys.argv[3:])
        lazy.preload_libraries(lazy.RUN_LIBRARIES + (lazy.VECTOR_LIBRARIES if vector else ()))
        # no collections while the parser and its commands are imported (the run command sets
        # its own thresholds, see ecociv.cli.models_cmd): 50-60 of them, 5-10 ms
        gc.disable()
    lazy.skip_dask_derived_docs()  # no docstring is read here: 0.06-0.08 CPU-s less
    # a model run's inputs start decoding on another core now, not after the parser's set-up
    started = read_ahead.start_for_command(sys.argv[1:])
    try:
        main()
    finally:
        if started:
            read_ahead.finish()
    if process.fast_exit_allowed():
        process.exit_now(0)


if __name__ == "__main__":
    entry()
