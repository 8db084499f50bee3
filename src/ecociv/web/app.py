"""The FastAPI application: middleware (security headers), error mapping, routers and the
dashboard's static files at ``/`` when they are installed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ecociv import __version__
from ecociv.errors import EcocivError, OutputError
from ecociv.web.auth import Accounts, LoginLimiter
from ecociv.web.db import WebDB
from ecociv.web.deps import State
from ecociv.web.jobs import JobManager

API = "/api/v1"
STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data: blob:; "
                                "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; "
                                "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"),
}


def create_app(store: str | Path, *, workers: int = 2, registry: str | None = None,
               scheduler: str | None = None, database: str | None = None,
               login_attempts: int = 5, login_window: float = 60.0,
               session_seconds: float = 12 * 3600, processes: int = 1,
               first: bool = True) -> FastAPI:
    """The web application over the results store folder ``store``.

    Parameters
    ----------
    store : str or Path
        Results store folder (as ``ecociv run --out``); the server keeps its own database,
        uploads and job logs under ``STORE/web/``.
    workers : int
        Runs executed at once (each in its own process).
    scheduler : str, optional
        dask.distributed scheduler address for the runs (overrides the scenarios'); default:
        each run as its scenario says (local).
    registry : str, optional
        Trading registry (SQLite path or PostgreSQL URL); default ``STORE/registry.sqlite``.
    database : str, optional
        The server's own database (users, sessions, scenarios, web runs): a SQLite path or a
        ``postgresql://`` URL of an empty database (PostGIS used when installed there);
        default ``STORE/web/web.sqlite``.
    login_attempts, login_window : int, float
        Failed logins allowed per user name and per client address in ``login_window`` s.
    session_seconds : float
        Lifetime of a session, s.
    processes, first : int, bool
        When the server runs as ``processes`` HTTP processes (``ecociv serve --processes``):
        each allows ``login_attempts // processes`` failed sign-ins (at least 1), so that all
        together never allow more than ``login_attempts``; only the ``first`` marks the runs a
        previous server left unfinished as interrupted.
    """
    from ecociv.web import registry_routes, results, routes

    root = Path(store)
    if root.exists() and not root.is_dir():
        raise OutputError(f"results store {root} is a file, not a folder")
    db = WebDB(database or root / "web" / "web.sqlite")
    st = State(store=root, db=db, accounts=Accounts(db, session_seconds=session_seconds),
               limiter=LoginLimiter(max(1, login_attempts // max(1, processes)), login_window),
               jobs=JobManager(db, root, workers=workers, scheduler=scheduler, reset=first),
               registry=registry or str(root / "registry.sqlite"), cache={})

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        st.jobs.shutdown()
        db.close()

    app = FastAPI(title="ecociv", version=__version__, openapi_url=f"{API}/openapi.json",
                  docs_url=f"{API}/docs", redoc_url=None, lifespan=lifespan)
    app.state.ecociv = st

    @app.middleware("http")
    async def headers(request: Request,
                      call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path.startswith(API):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(EcocivError)
    async def input_error(_: Request, err: EcocivError) -> JSONResponse:
        from ecociv.ledger.ledger import PermissionDeniedError

        status = 403 if isinstance(err, PermissionDeniedError) else (
            409 if isinstance(err, OutputError) else 400)
        return JSONResponse({"detail": str(err)}, status_code=status)

    app.include_router(routes.router, prefix=API)
    app.include_router(results.router, prefix=API)
    app.include_router(registry_routes.router, prefix=API)
    from ecociv.web import strategy_routes, tile_routes

    app.include_router(strategy_routes.router, prefix=API)
    app.include_router(tile_routes.router, prefix=API)
    if STATIC.is_dir() and (STATIC / "index.html").exists():
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=STATIC, html=True), name="dashboard")
    return app


#: environment variable through which ``ecociv serve --processes N`` passes the settings of
#: :func:`create_app` (JSON) to uvicorn's worker processes
SETTINGS_ENV = "ECOCIV_SERVE_SETTINGS"


def app_from_environment() -> FastAPI:
    """The application of one HTTP process of ``ecociv serve --processes N`` (uvicorn's factory):
    :func:`create_app` with the JSON settings in ``$ECOCIV_SERVE_SETTINGS``, as a process that
    is not the first."""
    import json
    import os

    settings = json.loads(os.environ[SETTINGS_ENV])
    return create_app(**settings, first=False)
