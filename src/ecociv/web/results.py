"""Routes: runs (start, list, progress by server-sent events or WebSocket, logs, cancel) and their results
(files, tables as JSON/CSV, raster maps as PNG, GeoTIFF download, vectors as GeoJSON, reports)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel

from ecociv.web import maps
from ecociv.web.auth import User
from ecociv.web.deps import State, current_user, role, state
from ecociv.web.jobs import TERMINAL, read_events
from ecociv.web.paths import inside, safe_id
from ecociv.web.routes import _scenario_row, scenario_file
from ecociv.web.scenarios import validate

router = APIRouter()
_JOB = "id, owner, scenario_id, status, run_id, error, shared, created, finished"


class StartRun(BaseModel):
    scenario_id: str
    shared: bool = False


def _job(row: Any) -> dict[str, Any]:
    keys = [k.strip() for k in _JOB.split(",")]
    out = dict(zip(keys, row, strict=True))
    out["shared"] = bool(out["shared"])
    return out


def _job_row(st: State, job_id: str, user: User, *, write: bool = False) -> Any:
    row = st.db.one(f"SELECT {_JOB} FROM jobs WHERE id = ?", (safe_id(job_id, "run"),))
    if row is None or not (row[1] == user.name or row[6] or user.role == "admin"):
        raise HTTPException(404, f"no run {job_id!r}")
    if write and row[1] != user.name and user.role != "admin":
        raise HTTPException(403, f"run {job_id!r} belongs to {row[1]!r}")
    return row


@router.post("/runs", tags=["runs"], status_code=202)
def start_run(body: StartRun, user: User = Depends(role("planner")),
              st: State = Depends(state)) -> dict[str, Any]:
    """Validate the scenario (400 with the messages of ``ecociv validate``), then queue it."""
    row = _scenario_row(st, body.scenario_id, user)
    path = scenario_file(st, row[1], row[0])
    problems = validate(path)
    if problems:
        raise HTTPException(400, {"message": "the scenario is not valid", "problems": problems})
    job_id = st.jobs.submit(user.name, row[0], path, body.shared)
    return {"id": job_id, "status": "queued"}


@router.get("/runs", tags=["runs"])
def list_runs(bbox: str | None = None, user: User = Depends(current_user),
              st: State = Depends(state)) -> dict[str, Any]:
    """Runs started here (visible to their owner, when shared, and to admins) and the runs of
    the store's catalog made by the command line; with ``bbox=west,south,east,north`` (degrees)
    only the finished runs whose grid outline intersects that box (PostGIS when the server's
    database has it)."""
    jobs = st.db.all(f"SELECT {_JOB} FROM jobs WHERE owner = ? OR shared = 1 OR ? = 1 "
                     "ORDER BY created DESC", (user.name, int(user.role == "admin")))
    from ecociv.scenario.store import ResultsStore

    web_runs = {r[0] for r in st.db.all("SELECT run_id FROM jobs WHERE run_id IS NOT NULL")}
    catalog = [dict(run_id=r.run_id, scenario=r.scenario, started=r.started, finished=r.finished,
                    seconds=r.seconds, status=r.status)
               for r in ResultsStore(st.store).list_runs() if r.run_id not in web_runs]
    listed = [_job(r) for r in jobs]
    if bbox is not None:
        from ecociv.web.footprints import parse_bbox

        window = parse_bbox(bbox)
        _record_footprints(st, [j["run_id"] for j in listed if j["run_id"]]
                           + [c["run_id"] for c in catalog])
        inside_box = st.db.runs_intersecting(window)
        listed = [j for j in listed if j["run_id"] in inside_box]
        catalog = [c for c in catalog if c["run_id"] in inside_box]
    return {"jobs": listed, "catalog": catalog}


def _record_footprints(st: State, run_ids: list[str]) -> None:
    """Record the outline of every listed run that has none yet (runs made by the CLI, or
    finished before the server kept outlines)."""
    from ecociv.web.footprints import run_outline

    known = {r[0] for r in st.db.all("SELECT run_id FROM footprints")}
    for run_id in run_ids:
        if run_id not in known:
            outline = run_outline(st.store / "runs" / safe_id(run_id, "run"))
            if outline is not None:
                st.db.record_footprint(run_id, outline[0], outline[1])


@router.get("/runs/{job_id}", tags=["runs"])
def get_run(job_id: str, user: User = Depends(current_user),
            st: State = Depends(state)) -> dict[str, Any]:
    return _job(_job_row(st, job_id, user))


@router.get("/runs/{job_id}/logs", tags=["runs"])
def run_logs(job_id: str, user: User = Depends(current_user),
             st: State = Depends(state)) -> list[dict[str, Any]]:
    _job_row(st, job_id, user)
    return read_events(st.jobs.log_path(job_id))[0]


@router.get("/runs/{job_id}/events", tags=["runs"])
async def run_events(job_id: str, user: User = Depends(current_user),
                     st: State = Depends(state)) -> StreamingResponse:
    """Progress as server-sent events (one ``data:`` JSON line per event) until the run ends."""
    _job_row(st, job_id, user)
    path = st.jobs.log_path(job_id)

    async def stream() -> AsyncIterator[str]:
        offset, idle = 0, 0.0
        while True:
            events, offset = read_events(path, offset)
            for event in events:
                yield f"event: {event['event']}\ndata: {json.dumps(event)}\n\n"
            status = st.db.one("SELECT status FROM jobs WHERE id = ?", (job_id,))[0]
            if status in TERMINAL and not events:
                yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            await asyncio.sleep(0.3)
            idle = 0.0 if events else idle + 0.3
            if idle >= 15:
                idle = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _socket_user(socket: WebSocket, st: State) -> User | None:
    """The user of a WebSocket handshake: a bearer token, or the session cookie when the page
    that opens the socket is served by this server (``Origin`` = ``Host``: a cookie must not let
    another site's page read the progress)."""
    from ecociv.web.auth import SESSION_COOKIE

    header = socket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return st.accounts.user_for(header[7:].strip())
    origin = socket.headers.get("origin")
    host = socket.headers.get("host", "")
    if origin is not None and origin.split("://", 1)[-1] != host:
        return None
    token = socket.cookies.get(SESSION_COOKIE)
    return st.accounts.user_for(token) if token else None


@router.websocket("/runs/{job_id}/ws")
async def run_socket(socket: WebSocket, job_id: str) -> None:
    """Progress as WebSocket messages (the server-sent events' JSON, one message per event, then
    ``{"event": "end", "status": ...}``), an alternative to ``/runs/{job_id}/events``. Sign in by
    the session cookie (same origin) or an ``Authorization: Bearer`` header; a refused socket is
    closed with code 1008 (policy violation) and the reason."""
    st: State = socket.app.state.ecociv
    user = _socket_user(socket, st)
    if user is None:
        await socket.close(code=1008, reason="sign in first (or a page of another origin)")
        return
    try:
        _job_row(st, job_id, user)
    except HTTPException as err:
        await socket.close(code=1008, reason=str(err.detail))
        return
    await socket.accept()
    path = st.jobs.log_path(job_id)
    offset = 0
    try:
        while True:
            events, offset = read_events(path, offset)
            for event in events:
                await socket.send_json(event)
            status = st.db.one("SELECT status FROM jobs WHERE id = ?", (job_id,))[0]
            if status in TERMINAL and not events:
                await socket.send_json({"event": "end", "status": status})
                await socket.close()
                return
            await asyncio.sleep(0.3)
    except WebSocketDisconnect:
        return


@router.post("/runs/{job_id}/cancel", tags=["runs"])
def cancel_run(job_id: str, user: User = Depends(role("planner")),
               st: State = Depends(state)) -> dict[str, Any]:
    _job_row(st, job_id, user, write=True)
    if not st.jobs.cancel(job_id):
        raise HTTPException(409, f"run {job_id!r} has already ended")
    return {"id": job_id, "status": "cancelled"}


# results -----------------------------------------------------------------------------------
def run_folder(st: State, run_id: str, user: User) -> Path:
    """The folder of a finished run the user may read (404 otherwise)."""
    safe_id(run_id, "run")
    row = st.db.one("SELECT owner, shared FROM jobs WHERE run_id = ?", (run_id,))
    if row is not None and not (row[0] == user.name or row[1] or user.role == "admin"):
        raise HTTPException(404, f"no results for run {run_id!r}")
    folder = st.store / "runs" / run_id
    if not (folder / "manifest.json").is_file():
        raise HTTPException(404, f"no results for run {run_id!r}")
    return folder


@router.get("/results/{run_id}", tags=["results"])
def result_files(run_id: str, user: User = Depends(current_user),
                 st: State = Depends(state)) -> dict[str, Any]:
    """The run's manifest and its files by kind (tables, rasters, maps, vectors, reports)."""
    folder = run_folder(st, run_id, user)
    kinds = {".csv": "tables", ".tif": "rasters", ".png": "maps", ".gpkg": "vectors",
             ".html": "reports", ".pdf": "reports", ".json": "manifests", ".xlsx": "tables",
             ".svg": "maps"}
    files: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not any(p.startswith(".") for p in rel.parts):
            files.setdefault(kinds.get(path.suffix.lower(), "other"), []).append(rel.as_posix())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {"run_id": run_id, "manifest": manifest, "files": files}


@router.get("/results/{run_id}/files/{path:path}", tags=["results"])
def result_file(run_id: str, path: str, user: User = Depends(current_user),
                st: State = Depends(state)) -> FileResponse:
    """Download one file of the run (a raster output is its GeoTIFF, cloud-optimized when the
    run wrote it so)."""
    target = inside(run_folder(st, run_id, user), path)
    if not target.is_file():
        raise HTTPException(404, f"no file {path!r}")
    return FileResponse(target, filename=target.name)


@router.get("/results/{run_id}/table/{path:path}", tags=["results"])
def result_table(run_id: str, path: str, format: str = "json", limit: int = 10000,
                 user: User = Depends(current_user), st: State = Depends(state)) -> Response:
    """A CSV output as JSON records (``format=json``, at most ``limit`` rows) or as CSV."""
    target = inside(run_folder(st, run_id, user), path)
    if target.suffix.lower() != ".csv" or not target.is_file():
        raise HTTPException(404, f"no table {path!r}")
    if format == "csv":
        return FileResponse(target, media_type="text/csv", filename=target.name)
    if format != "json":
        raise HTTPException(400, f"format must be json or csv, got {format!r}")
    import pandas as pd

    table = pd.read_csv(target)
    total = len(table)
    body = {"columns": list(map(str, table.columns)), "rows": total,
            "records": json.loads(table.head(max(0, limit)).to_json(orient="records"))}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")


@router.get("/results/{run_id}/map/{path:path}", tags=["results"])
def result_map(run_id: str, path: str, plain: bool = False, user: User = Depends(current_user),
               st: State = Depends(state)) -> Response:
    """A raster output as a PNG of the whole map: the run's own map when it drew one, else (or
    with ``plain=true``, to lay it on a map at its WGS 84 corners) a plain rendering (viridis,
    2-98 % stretch, nodata transparent)."""
    target = inside(run_folder(st, run_id, user), path)
    if target.suffix.lower() not in (".tif", ".tiff") or not target.is_file():
        raise HTTPException(404, f"no raster {path!r}")
    drawn = target.with_suffix(".png")
    if drawn.is_file() and not plain:
        return FileResponse(drawn, media_type="image/png")
    return Response(maps.render_png(target), media_type="image/png")


@router.get("/results/{run_id}/raster/{path:path}", tags=["results"])
def result_raster(run_id: str, path: str, user: User = Depends(current_user),
                  st: State = Depends(state)) -> dict[str, Any]:
    """Size, CRS, value range and corners in WGS 84 of a raster output (to place its PNG)."""
    target = inside(run_folder(st, run_id, user), path)
    if target.suffix.lower() not in (".tif", ".tiff") or not target.is_file():
        raise HTTPException(404, f"no raster {path!r}")
    return maps.raster_info(target)


@router.get("/results/{run_id}/geojson/{path:path}", tags=["results"])
def result_geojson(run_id: str, path: str, user: User = Depends(current_user),
                   st: State = Depends(state)) -> Response:
    """A vector output (GeoPackage) as GeoJSON in WGS 84."""
    target = inside(run_folder(st, run_id, user), path)
    if target.suffix.lower() != ".gpkg" or not target.is_file():
        raise HTTPException(404, f"no vector output {path!r}")
    return Response(maps.geojson(target), media_type="application/geo+json")


@router.get("/results/{run_id}/reports", tags=["results"])
def result_reports(run_id: str, user: User = Depends(current_user),
                   st: State = Depends(state)) -> list[str]:
    """The run's reports (HTML / PDF), to download with ``/results/{run_id}/files/...``."""
    folder = run_folder(st, run_id, user)
    return [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*"))
            if p.suffix.lower() in (".html", ".pdf") and p.is_file()]


class ReportRequest(BaseModel):
    lang: str = "en"
    pdf: bool = False


@router.post("/results/{run_id}/reports", tags=["results"])
def make_report(run_id: str, body: ReportRequest, user: User = Depends(role("planner")),
                st: State = Depends(state)) -> list[str]:
    """Write the run's report as ``ecociv report`` does: ``report-<lang>.html`` (+ ``.xlsx``, and
    ``.pdf`` with ``pdf``) in the run folder; an earlier one written by ecociv is replaced. Returns
    the files to download with ``/results/{run_id}/files/...``. A failed or incomplete run is a
    400 with the report's own message."""
    from ecociv.report.html import build_report

    folder = run_folder(st, run_id, user)
    lang = safe_id(body.lang, "language")
    build_report([folder], folder / f"report-{lang}.html", lang=lang, pdf=body.pdf)
    names = [f"report-{lang}.html", f"report-{lang}.xlsx"] + ([f"report-{lang}.pdf"] if body.pdf else [])
    return [n for n in names if (folder / n).is_file()]


@router.get("/results/{run_id}/monitor", tags=["monitor"])
def result_monitor(run_id: str, user: User = Depends(current_user),
                   st: State = Depends(state)) -> dict[str, Any]:
    """Monitoring alerts of a run (as ``ecociv monitor --run``): lake areas, water use and
    pumping against the run's own targets."""
    from ecociv.web.monitoring import alerts

    return alerts(None, run=run_folder(st, run_id, user))


# comparisons -------------------------------------------------------------------------------
class Comparison(BaseModel):
    run_ids: list[str]
    maps: bool = False


def _comparison_dir(st: State, user: User, comparison_id: str) -> Path:
    folder = st.store / "web" / "comparisons" / user.name / safe_id(comparison_id, "comparison")
    if not folder.is_dir():
        raise HTTPException(404, f"no comparison {comparison_id!r}")
    return folder


@router.post("/comparisons", tags=["results"], status_code=201)
def compare(body: Comparison, user: User = Depends(role("planner")),
            st: State = Depends(state)) -> dict[str, Any]:
    """Compare runs as ``ecociv compare`` (the first is the baseline): indicator tables,
    trade-off chart and (``maps``) difference maps, kept for the caller."""
    import uuid

    from ecociv.strategies.compare import compare_runs

    if not 2 <= len(body.run_ids) <= 20:
        raise HTTPException(400, "give 2 to 20 run ids; the first is the baseline")
    folders: list[str | Path] = [run_folder(st, run_id, user) for run_id in body.run_ids]
    comparison_id = uuid.uuid4().hex[:12]
    out = st.store / "web" / "comparisons" / user.name / comparison_id
    out.parent.mkdir(parents=True, exist_ok=True)
    compare_runs(folders, out, maps=body.maps)
    return comparison_files(comparison_id, user, st)


@router.get("/comparisons/{comparison_id}", tags=["results"])
def comparison_files(comparison_id: str, user: User = Depends(current_user),
                     st: State = Depends(state)) -> dict[str, Any]:
    """The files of one of the caller's comparisons (download with ``/files/``)."""
    folder = _comparison_dir(st, user, comparison_id)
    return {"id": comparison_id,
            "files": [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*"))
                      if p.is_file()]}


@router.get("/comparisons/{comparison_id}/files/{path:path}", tags=["results"])
def comparison_file(comparison_id: str, path: str, user: User = Depends(current_user),
                    st: State = Depends(state)) -> FileResponse:
    target = inside(_comparison_dir(st, user, comparison_id), path)
    if not target.is_file():
        raise HTTPException(404, f"no file {path!r}")
    return FileResponse(target, filename=target.name)
