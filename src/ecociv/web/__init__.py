"""The web server behind ``ecociv serve``: a REST API under ``/api/v1/`` (FastAPI) over a results
store, with accounts and roles, scenario editing, runs in local worker processes, results as
JSON/CSV/PNG/GeoJSON and the trading registry. See docs/web.md."""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args: object, **kwargs: object) -> object:
    """Build the FastAPI application (see :func:`ecociv.web.app.create_app`)."""
    from ecociv.web.app import create_app as build

    return build(*args, **kwargs)  # type: ignore[arg-type]
