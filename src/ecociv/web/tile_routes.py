"""Routes: dataset layers and raster outputs as Web Mercator map tiles (XYZ PNG), their legends
(colour scale or classes, fixed per layer), and dataset rasters as Cloud-Optimized GeoTIFF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response

from ecociv.web import tiles
from ecociv.web.auth import User
from ecociv.web.deps import State, current_user, state
from ecociv.web.paths import inside

router = APIRouter()
#: browsers may keep a tile for an hour, then ask again with its ETag (answered 304 if unchanged)
CACHE_CONTROL = "private, max-age=3600"


def _cache(st: State) -> tiles.TileCache:
    cache = st.cache.get("tiles")
    if cache is None:
        cache = st.cache.setdefault("tiles", tiles.TileCache())
    return cache


def _style(st: State, path: Path, band: int, **options: Any) -> tiles.Style:
    return _cache(st).style(tiles.style_key(path, band),
                            lambda: tiles.make_style(path, band, **options))


def _tile(request: Request, st: State, path: Path, band: int, z: str, x: str, y: str,
          **options: Any) -> Response:
    zi, xi, yi = tiles.parse_tile(z, x, y)
    style = _style(st, path, band, **options)
    tag = tiles.etag(style, zi, xi, yi)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    png = _cache(st).tile(tag, lambda: tiles.render_tile(path, style, zi, xi, yi))
    if png is None:  # outside the raster, or only nodata there
        return Response(status_code=204, headers=headers)
    return Response(png, media_type="image/png", headers=headers)


# dataset layers ------------------------------------------------------------------------------
def _dataset_raster(name: str, layer_id: str) -> tuple[Path, dict[str, Any]]:
    from ecociv.web.routes import _layer

    layer = _layer(name, layer_id, "raster")
    classes = layer.extra.get("classes")
    names = ({int(k): str(v) for k, v in classes.items()} if isinstance(classes, dict) else None)
    categorical = bool(names) or layer.units == "class code"
    return Path(layer.path), dict(categorical=categorical, names=names, title=layer.long_name,
                                  units=None if categorical else layer.units)


@router.get("/datasets/{name}/layers/{layer_id}/tiles/{z}/{x}/{y}.png", tags=["datasets"],
            response_class=Response, responses={200: {"content": {"image/png": {}}},
                                                204: {"description": "no data in this tile"}})
def dataset_tile(name: str, layer_id: str, z: str, x: str, y: str, request: Request,
                 band: int = 1, _: User = Depends(current_user),
                 st: State = Depends(state)) -> Response:
    """Tile ``z/x/y`` (Web Mercator, XYZ) of a raster layer's band ``band`` as a 256 × 256 PNG;
    204 where the layer has no data; 400 for an impossible tile address or band."""
    path, options = _dataset_raster(name, layer_id)
    return _tile(request, st, path, band, z, x, y, **options)


@router.get("/datasets/{name}/layers/{layer_id}/legend", tags=["datasets"])
def dataset_legend(name: str, layer_id: str, band: int = 1, _: User = Depends(current_user),
                   st: State = Depends(state)) -> dict[str, Any]:
    """The colour scale of a raster layer's tiles: ``kind`` continuous (``min``, ``max`` of the
    ramp = 2-98 % of the valid cells, ``ramp`` colours, ``units``) or categorical (``classes``
    with code, name, colour); ``bounds_wgs84`` and ``native_zoom``."""
    path, options = _dataset_raster(name, layer_id)
    legend = _style(st, path, band, **options).legend()
    return {**legend, "title": options["title"], "units": options["units"]}


@router.get("/datasets/{name}/layers/{layer_id}/cog", tags=["datasets"],
            response_class=FileResponse)
def dataset_cog(name: str, layer_id: str, _: User = Depends(current_user),
                st: State = Depends(state)) -> FileResponse:
    """A raster layer as a Cloud-Optimized GeoTIFF (made once, kept under ``STORE/web/cache``)."""
    import rasterio.shutil

    path, _options = _dataset_raster(name, layer_id)
    stat = path.stat()
    folder = st.store / "web" / "cache" / "cog"
    target = folder / f"{name}-{layer_id}-{stat.st_mtime_ns}-{stat.st_size}.tif"
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{id(target)}.tmp")
        try:
            rasterio.shutil.copy(path, tmp, driver="COG", COMPRESS="DEFLATE")
            tmp.replace(target)
        finally:
            tmp.unlink(missing_ok=True)
            tmp.with_name(tmp.name + ".aux.xml").unlink(missing_ok=True)
    return FileResponse(target, media_type="image/tiff", filename=f"{layer_id}.tif")


# run outputs ---------------------------------------------------------------------------------
def _output_raster(st: State, run_id: str, path: str, user: User) -> tuple[Path, dict[str, Any]]:
    from ecociv.web.results import run_folder

    target = inside(run_folder(st, run_id, user), path)
    if target.suffix.lower() not in (".tif", ".tiff") or not target.is_file():
        raise HTTPException(404, f"no raster {path!r}")
    return target, _output_meta(target)


def _output_meta(target: Path) -> dict[str, Any]:
    """Title, units and kind of a raster output, from its step's manifest and its model's spec
    (plain defaults for a raster no manifest describes)."""
    manifest_path = target.parent / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        output_id, meta = next((k, v) for k, v in manifest.get("outputs", {}).items()
                               if v.get("path") == target.name)
    except (OSError, ValueError, StopIteration, AttributeError):
        return dict(categorical=False, names=None, title=target.stem, units=None)
    kind, title = "continuous", output_id
    try:
        from ecociv.registry import get_model

        output = get_model(manifest["model"]["id"]).spec.output(output_id)
        kind = getattr(output, "kind", "continuous")
        title = getattr(output, "long_name", output_id)
    except Exception:  # a plugin model no longer installed: plain defaults
        pass
    return dict(categorical=kind == "categorical", names=None, title=title,
                units=meta.get("units"))


@router.get("/results/{run_id}/tiles/{path:path}/{z}/{x}/{y}.png", tags=["results"],
            response_class=Response, responses={200: {"content": {"image/png": {}}},
                                                204: {"description": "no data in this tile"}})
def result_tile(run_id: str, path: str, z: str, x: str, y: str, request: Request,
                band: int = 1, user: User = Depends(current_user),
                st: State = Depends(state)) -> Response:
    """Tile ``z/x/y`` (Web Mercator, XYZ) of a raster output ``path`` (e.g.
    ``water_yield/water_yield.tif``) as a 256 × 256 PNG; 204 where it has no data."""
    target, options = _output_raster(st, run_id, path, user)
    return _tile(request, st, target, band, z, x, y, **options)


@router.get("/results/{run_id}/legend/{path:path}", tags=["results"])
def result_legend(run_id: str, path: str, band: int = 1, user: User = Depends(current_user),
                  st: State = Depends(state)) -> dict[str, Any]:
    """The colour scale or classes of a raster output's tiles (as the dataset legend)."""
    target, options = _output_raster(st, run_id, path, user)
    legend = _style(st, target, band, **options).legend()
    return {**legend, "title": options["title"], "units": options["units"]}
