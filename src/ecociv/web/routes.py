"""Routes: sign-in, users, models, datasets, uploads and scenarios."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Request, Response, UploadFile
from pydantic import BaseModel, Field

from ecociv.errors import InputError
from ecociv.web import scenarios, uploads
from ecociv.web.auth import CSRF_COOKIE, ROLES, SESSION_COOKIE, User
from ecociv.web.db import now
from ecociv.web.deps import State, current_user, role, state
from ecociv.web.paths import inside, safe_id

router = APIRouter()


# sign-in -----------------------------------------------------------------------------------
class Login(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)


@router.get("/health", tags=["server"])
def health() -> dict[str, str]:
    from ecociv import __version__

    return {"status": "ok", "version": __version__}


@router.post("/auth/login", tags=["auth"])
def login(body: Login, request: Request, response: Response,
          st: State = Depends(state)) -> dict[str, str]:
    """Open a session: a cookie (send the returned ``csrf`` in ``X-CSRF-Token`` with unsafe
    methods) and the same session as a bearer ``token``."""
    client = f"ip:{request.client.host if request.client else '?'}"
    keys = (f"user:{body.username}", client)
    if st.limiter.blocked(*keys):
        raise HTTPException(429, "too many failed sign-ins; wait a minute and try again")
    session = st.accounts.login(body.username, body.password)
    if session is None:
        st.limiter.failed(*keys)
        raise HTTPException(401, "wrong user name or password")
    st.limiter.reset(f"user:{body.username}")
    token, csrf = session
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure,
                        max_age=int(st.accounts.session_seconds), path="/")
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, samesite="strict", secure=secure,
                        max_age=int(st.accounts.session_seconds), path="/")
    return {"user": body.username, "csrf": csrf, "token": token}


@router.post("/auth/logout", tags=["auth"])
def logout(request: Request, response: Response, user: User = Depends(current_user),
           st: State = Depends(state)) -> dict[str, str]:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else \
        request.cookies.get(SESSION_COOKIE, "")
    st.accounts.logout(token)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return {"user": user.name, "status": "signed out"}


@router.get("/auth/me", tags=["auth"])
def me(user: User = Depends(current_user)) -> dict[str, Any]:
    return {"user": user.name, "role": user.role, "registry_account": user.registry_account}


# users (admin) ----------------------------------------------------------------------------
class NewUser(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: str = "viewer"
    registry_account: str | None = Field(default=None, max_length=64)


class UserChange(BaseModel):
    role: str | None = None
    registry_account: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, max_length=1024)


@router.get("/users", tags=["users"])
def list_users(_: User = Depends(role("admin")),
               st: State = Depends(state)) -> list[dict[str, Any]]:
    return st.accounts.users()


@router.post("/users", tags=["users"], status_code=201)
def create_user(body: NewUser, _: User = Depends(role("admin")),
                st: State = Depends(state)) -> dict[str, Any]:
    st.accounts.create_user(body.username, body.password, body.role, body.registry_account)
    return {"user": body.username, "role": body.role}


@router.patch("/users/{name}", tags=["users"])
def change_user(name: str, body: UserChange, _: User = Depends(role("admin")),
                st: State = Depends(state)) -> dict[str, Any]:
    try:
        st.accounts.update_user(name, role=body.role, registry_account=body.registry_account,
                                password=body.password)
    except KeyError:
        raise HTTPException(404, f"no user {name!r}") from None
    return {"user": name}


@router.delete("/users/{name}", tags=["users"])
def delete_user(name: str, admin: User = Depends(role("admin")),
                st: State = Depends(state)) -> dict[str, str]:
    if name == admin.name:
        raise HTTPException(400, "an administrator cannot delete their own account")
    if not st.accounts.delete_user(name):
        raise HTTPException(404, f"no user {name!r}")
    return {"user": name, "status": "deleted"}


@router.get("/roles", tags=["users"])
def roles(_: User = Depends(current_user)) -> dict[str, list[str]]:
    from ecociv.ledger.ledger import ROLES as REGISTRY_ROLES

    return {"web": list(ROLES), "registry": list(REGISTRY_ROLES)}


# models and datasets -----------------------------------------------------------------------
@router.get("/models", tags=["models"])
def models(_: User = Depends(current_user), st: State = Depends(state)) -> list[dict[str, Any]]:
    """Every registered model's spec (inputs, outputs, parameters with units, citations)."""
    if "models" not in st.cache:
        from ecociv.registry import all_specs

        st.cache["models"] = [spec.describe() for _, spec in sorted(all_specs().items())]
    return st.cache["models"]


@router.get("/models/{model_id}", tags=["models"])
def model(model_id: str, user: User = Depends(current_user),
          st: State = Depends(state)) -> dict[str, Any]:
    for spec in models(user, st):
        if spec.get("id") == model_id:
            return spec
    raise HTTPException(404, f"no model {model_id!r}")


def _dataset(name: str) -> Any:
    from ecociv.region.dataset import load_dataset

    if name != "belt":
        raise HTTPException(404, f"no dataset {name!r}; the server offers 'belt'")
    return load_dataset(name)


@router.get("/datasets", tags=["datasets"])
def datasets(_: User = Depends(current_user), st: State = Depends(state)) -> list[dict[str, Any]]:
    if "datasets" not in st.cache:
        loaded = _dataset("belt")
        st.cache["datasets"] = [{"id": "belt", "title": loaded.title or loaded.name,
                                 "layers": len(loaded.layers)}]
    return st.cache["datasets"]


@router.get("/datasets/{name}/layers", tags=["datasets"])
def layers(name: str, _: User = Depends(current_user),
           st: State = Depends(state)) -> list[dict[str, Any]]:
    """Layers with kind, status, units, extent, resolution, source and licence."""
    key = f"layers:{name}"
    if key not in st.cache:
        from ecociv.region.catalog import describe_layers

        rows = describe_layers(_dataset(name))
        st.cache[key] = [{k: v for k, v in row.items() if k != "path"} for row in rows]
    return st.cache[key]


def _layer(name: str, layer_id: str, kind: str) -> Any:
    loaded = _dataset(name)
    layer = loaded.layers.get(layer_id)
    if layer is None or layer.kind != kind:
        raise HTTPException(404, f"no {kind} layer {layer_id!r} in dataset {name!r}")
    return layer


@router.get("/datasets/{name}/layers/{layer_id}/map", tags=["datasets"])
def layer_map(name: str, layer_id: str, band: int = 1, _: User = Depends(current_user),
              st: State = Depends(state)) -> Response:
    """A raster layer (``band``, from 1) as a PNG of the whole map."""
    from ecociv.web.maps import render_png

    layer = _layer(name, layer_id, "raster")
    key = f"png:{name}:{layer_id}:{band}"
    if key not in st.cache:
        import rasterio

        with rasterio.open(layer.path) as src:
            if not 1 <= band <= src.count:
                raise HTTPException(400, f"band must be 1 to {src.count}, got {band}")
        st.cache[key] = render_png(layer.path, band)
    return Response(st.cache[key], media_type="image/png")


@router.get("/datasets/{name}/layers/{layer_id}/info", tags=["datasets"])
def layer_info(name: str, layer_id: str, _: User = Depends(current_user)) -> dict[str, Any]:
    """Size, CRS, value range of band 1 and corners in WGS 84 of a raster layer."""
    from ecociv.web.maps import raster_info

    return raster_info(_layer(name, layer_id, "raster").path)


@router.get("/datasets/{name}/layers/{layer_id}/geojson", tags=["datasets"])
def layer_geojson(name: str, layer_id: str, _: User = Depends(current_user),
                  st: State = Depends(state)) -> Response:
    """A vector layer as GeoJSON in WGS 84."""
    from ecociv.web.maps import geojson

    layer = _layer(name, layer_id, "vector")
    key = f"geojson:{name}:{layer_id}"
    if key not in st.cache:
        st.cache[key] = geojson(layer.path, layer.layer)
    return Response(st.cache[key], media_type="application/geo+json")


# monitoring ------------------------------------------------------------------------------
class MonitorFiles(BaseModel):
    observations: str
    stations: str | None = None
    targets: str | None = None
    default_targets: bool = False


@router.post("/monitor", tags=["monitor"])
def monitor(body: MonitorFiles, user: User = Depends(role("planner")),
            st: State = Depends(state)) -> dict[str, Any]:
    """Alerts of uploaded observations against the standards (GB 3095, GB 3838), targets and
    red lines, as ``ecociv monitor``."""
    from ecociv.web.monitoring import alerts

    folder = st.user_dir(user.name)

    def upload(name: str | None) -> Any:
        if name is None:
            return None
        path = inside(folder, safe_id(name, "upload"), "upload")
        if not path.is_file():
            raise HTTPException(404, f"no upload {name!r}")
        return path

    return alerts(upload(body.observations), stations=upload(body.stations),
                  targets=upload(body.targets), default_targets=body.default_targets)


# uploads -----------------------------------------------------------------------------------
@router.get("/uploads", tags=["uploads"])
def list_uploads(user: User = Depends(role("planner")),
                 st: State = Depends(state)) -> list[dict[str, Any]]:
    folder = st.user_dir(user.name)
    return [{"name": p.name, "bytes": p.stat().st_size} for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith(".scenario.yaml") and not p.name.startswith(".")]


@router.post("/uploads", tags=["uploads"], status_code=201)
async def upload(file: UploadFile, user: User = Depends(role("planner")),
                 st: State = Depends(state)) -> dict[str, Any]:
    """Store a GeoTIFF, GeoPackage, CSV or YAML file in the user's folder after checking its
    name, size, content type and readability; scenarios name it by its file name."""
    name = uploads.check_name(file.filename or "")
    folder = st.user_dir(user.name)
    tmp = folder / f".upload-{uuid.uuid4().hex}{file.filename and name[name.rfind('.'):]}"
    size = 0
    try:
        with tmp.open("wb") as out:
            head = await file.read(4096)
            uploads.sniff(name, head)
            out.write(head)
            size = len(head)
            while chunk := await file.read(1024 * 1024):
                size += len(chunk)
                if size > uploads.MAX_BYTES:
                    raise HTTPException(413, f"upload {name}: larger than "
                                        f"{uploads.MAX_BYTES // 1024**2} MB")
                out.write(chunk)
        if size == 0:
            raise InputError(f"upload {name}: the file is empty")
        try:
            uploads.check_content(tmp, name)
        except InputError as err:  # the reader's message, without the server's paths
            text = str(err).replace(f" ({tmp})", "").replace(str(tmp), name)
            raise InputError(text.replace(tmp.name, name)) from None
        tmp.replace(folder / name)
    finally:
        tmp.unlink(missing_ok=True)
    return {"name": name, "bytes": size}


@router.delete("/uploads/{name}", tags=["uploads"])
def delete_upload(name: str, user: User = Depends(role("planner")),
                  st: State = Depends(state)) -> dict[str, str]:
    path = inside(st.user_dir(user.name), safe_id(name, "upload"), "upload")
    if not path.is_file() or name.endswith(".scenario.yaml"):
        raise HTTPException(404, f"no upload {name!r}")
    path.unlink()
    return {"name": name, "status": "deleted"}


# scenarios ---------------------------------------------------------------------------------
class ScenarioText(BaseModel):
    yaml: str = Field(max_length=1024 * 1024)
    shared: bool = False


class Levers(BaseModel):
    levers: dict[str, Any]


class Sharing(BaseModel):
    shared: bool


def _scenario_row(st: State, scenario_id: str, user: User, *, write: bool = False) -> Any:
    row = st.db.one("SELECT id, owner, name, yaml, shared, updated FROM scenarios WHERE id = ?",
                    (safe_id(scenario_id, "scenario"),))
    visible = row is not None and (row[1] == user.name or row[4] or user.role == "admin")
    if not visible:
        raise HTTPException(404, f"no scenario {scenario_id!r}")
    if write and row[1] != user.name and user.role != "admin":
        raise HTTPException(403, f"scenario {scenario_id!r} belongs to {row[1]!r}; copy it to "
                            "edit your own")
    return row


def _as_dict(row: Any) -> dict[str, Any]:
    return {"id": row[0], "owner": row[1], "name": row[2], "yaml": row[3], "shared": bool(row[4]),
            "updated": row[5]}


def scenario_file(st: State, owner: str, scenario_id: str) -> Any:
    return st.user_dir(owner) / f"{scenario_id}.scenario.yaml"


def _save(st: State, owner: str, scenario_id: str, text: str) -> str:
    """Check and write the scenario file the runner reads: the user's text, or, when it names
    files shipped with ecociv (a strategy file's ``../water/belt_network``), the same scenario
    with those paths made absolute (the text kept in the database stays the user's)."""
    data = scenarios.parse(text)
    resources = scenarios.confine(data, st.user_dir(owner))
    name = str(data.get("name") or scenario_id)
    if resources:
        text = yaml.safe_dump(scenarios.with_resources(data, resources), sort_keys=False,
                              allow_unicode=True)
    scenario_file(st, owner, scenario_id).write_text(text, encoding="utf-8")
    return name


@router.get("/scenarios", tags=["scenarios"])
def list_scenarios(user: User = Depends(current_user),
                   st: State = Depends(state)) -> list[dict[str, Any]]:
    rows = st.db.all("SELECT id, owner, name, yaml, shared, updated FROM scenarios WHERE owner = ? "
                     "OR shared = 1 OR ? = 1 ORDER BY updated DESC",
                     (user.name, int(user.role == "admin")))
    return [{k: v for k, v in _as_dict(r).items() if k != "yaml"} for r in rows]


@router.post("/scenarios", tags=["scenarios"], status_code=201)
def create_scenario(body: ScenarioText, user: User = Depends(role("planner")),
                    st: State = Depends(state)) -> dict[str, Any]:
    scenario_id = uuid.uuid4().hex[:12]
    name = _save(st, user.name, scenario_id, body.yaml)
    st.db.execute("INSERT INTO scenarios (id, owner, name, yaml, shared, updated) VALUES "
                  "(?, ?, ?, ?, ?, ?)", (scenario_id, user.name, name, body.yaml,
                                         int(body.shared), now()))
    return {"id": scenario_id, "name": name}


@router.get("/scenarios/{scenario_id}", tags=["scenarios"])
def get_scenario(scenario_id: str, user: User = Depends(current_user),
                 st: State = Depends(state)) -> dict[str, Any]:
    return _as_dict(_scenario_row(st, scenario_id, user))


@router.put("/scenarios/{scenario_id}", tags=["scenarios"])
def replace_scenario(scenario_id: str, body: ScenarioText, user: User = Depends(role("planner")),
                     st: State = Depends(state)) -> dict[str, Any]:
    row = _scenario_row(st, scenario_id, user, write=True)
    name = _save(st, row[1], scenario_id, body.yaml)
    st.db.execute("UPDATE scenarios SET yaml = ?, name = ?, shared = ?, updated = ? WHERE id = ?",
                  (body.yaml, name, int(body.shared), now(), scenario_id))
    return {"id": scenario_id, "name": name}


@router.patch("/scenarios/{scenario_id}/levers", tags=["scenarios"])
def edit_levers(scenario_id: str, body: Levers, user: User = Depends(role("planner")),
                st: State = Depends(state)) -> dict[str, Any]:
    """Merge ``levers`` into the scenario's ``levers`` key (a null value removes a key)."""
    row = _scenario_row(st, scenario_id, user, write=True)
    data = scenarios.parse(row[3])
    levers = data.get("levers") if isinstance(data.get("levers"), dict) else {}
    data["levers"] = scenarios.merge(levers or {}, body.levers)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    _save(st, row[1], scenario_id, text)
    st.db.execute("UPDATE scenarios SET yaml = ?, updated = ? WHERE id = ?",
                  (text, now(), scenario_id))
    return {"id": scenario_id, "levers": data["levers"]}


@router.patch("/scenarios/{scenario_id}/sharing", tags=["scenarios"])
def share_scenario(scenario_id: str, body: Sharing, user: User = Depends(role("planner")),
                   st: State = Depends(state)) -> dict[str, Any]:
    _scenario_row(st, scenario_id, user, write=True)
    st.db.execute("UPDATE scenarios SET shared = ? WHERE id = ?", (int(body.shared), scenario_id))
    return {"id": scenario_id, "shared": body.shared}


@router.post("/scenarios/{scenario_id}/validate", tags=["scenarios"])
def validate_scenario(scenario_id: str, user: User = Depends(current_user),
                      st: State = Depends(state)) -> dict[str, Any]:
    """The checks of ``ecociv validate``: ``problems`` holds its messages (empty when valid)."""
    row = _scenario_row(st, scenario_id, user)
    problems = scenarios.validate(scenario_file(st, row[1], scenario_id))
    return {"id": scenario_id, "valid": not problems, "problems": problems}


@router.post("/scenarios/{scenario_id}/copy", tags=["scenarios"], status_code=201)
def copy_scenario(scenario_id: str, user: User = Depends(role("planner")),
                  st: State = Depends(state)) -> dict[str, Any]:
    """A copy owned by the caller, with the uploaded files it names."""
    row = _scenario_row(st, scenario_id, user)
    target = st.user_dir(user.name)
    for path in scenarios.referenced_files(scenarios.parse(row[3]), st.user_dir(row[1])):
        if not (target / path.name).exists():
            shutil.copyfile(path, target / path.name)
    new_id = uuid.uuid4().hex[:12]
    name = _save(st, user.name, new_id, row[3])
    st.db.execute("INSERT INTO scenarios (id, owner, name, yaml, shared, updated) VALUES "
                  "(?, ?, ?, ?, 0, ?)", (new_id, user.name, name, row[3], now()))
    return {"id": new_id, "name": name, "copied_from": scenario_id}


@router.delete("/scenarios/{scenario_id}", tags=["scenarios"])
def delete_scenario(scenario_id: str, user: User = Depends(role("planner")),
                    st: State = Depends(state)) -> dict[str, str]:
    row = _scenario_row(st, scenario_id, user, write=True)
    scenario_file(st, row[1], scenario_id).unlink(missing_ok=True)
    st.db.execute("DELETE FROM scenarios WHERE id = ?", (scenario_id,))
    return {"id": scenario_id, "status": "deleted"}
