"""``ecociv serve``: the web dashboard and REST API (FastAPI + uvicorn) over a results store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ecociv.cli.run_cmd import DEFAULT_STORE, _store_root
from ecociv.errors import InputError


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    store: Path | None = typer.Option(None, "--store", "--out", help="Results store folder (default: "
                                      f"$ECOCIV_STORE or ./{DEFAULT_STORE}); the server keeps its "
                                      "users, scenarios, uploads and job logs in STORE/web/."),
    workers: int = typer.Option(2, "--workers", min=1, help="Runs executed at once (processes)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="dask.distributed scheduler "
                                         "address for the runs; overrides the scenarios'."),
    registry: str | None = typer.Option(None, "--registry", help="Trading registry: SQLite path or "
                                        "postgresql:// URL (default STORE/registry.sqlite)."),
    database: str | None = typer.Option(None, "--database", help="The server's own database "
                                        "(users, sessions, scenarios, web runs): SQLite path or "
                                        "postgresql:// URL of an empty database; PostGIS is used "
                                        "when installed there (default STORE/web/web.sqlite)."),
    processes: int = typer.Option(1, "--processes", min=1, help="HTTP server processes (uvicorn "
                                  "workers) sharing the port and the database; each runs up to "
                                  "--workers runs."),
    admin: str | None = typer.Option(None, "--admin", help="Create this administrator if it does "
                                     "not exist; the password is read from $ECOCIV_ADMIN_PASSWORD "
                                     "or asked for (never from the command line)."),
) -> None:
    import uvicorn

    from ecociv.web.app import create_app

    app = create_app(_store_root(store), workers=workers, registry=registry, scheduler=scheduler,
                     database=database)
    accounts = app.state.ecociv.accounts
    if admin is not None and admin not in {u["name"] for u in accounts.users()}:
        password = os.environ.get("ECOCIV_ADMIN_PASSWORD") or typer.prompt(
            f"password for {admin}", hide_input=True, confirmation_prompt=True)
        accounts.create_user(admin, password, "admin")
        typer.echo(f"created administrator {admin!r}", err=True)
    if not accounts.users():
        raise InputError("the server has no users yet: start it once with --admin NAME (password "
                         "from $ECOCIV_ADMIN_PASSWORD or asked for)")
    typer.echo(f"ecociv serving {_store_root(store)} on http://{host}:{port}/ (API: /api/v1/, "
               "OpenAPI: /api/v1/openapi.json)", err=True)
    if processes > 1:  # the processes rebuild the app from these settings (see app.py)
        import json

        from ecociv.web.app import SETTINGS_ENV

        os.environ[SETTINGS_ENV] = json.dumps({
            "store": str(_store_root(store)), "workers": workers, "registry": registry,
            "scheduler": scheduler, "database": database, "processes": processes})
        uvicorn.run("ecociv.web.app:app_from_environment", factory=True, workers=processes,
                    host=host, port=port, log_level="info", access_log=False)
        return
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
