"""``park_risk`` — HJ 169-2018 style environmental risk screening of industrial parks.

Tables of the standard in :mod:`.hj169`, geometry in :mod:`.kernels`; this module checks what the
spec cannot (known parks and categories, sources given, parks inside the grid), classifies each
park and builds the tables. The map is drawn by :mod:`.report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.park_risk import hj169
from ecociv.models.park_risk import kernels as k
from ecociv.models.park_risk.report import risk_map
from ecociv.models.park_risk.spec import PROCESS_CATEGORIES, SPEC
from ecociv.spec import Model

OUTER_RADIUS_M = 5000.0  # Table D.1
INNER_RADIUS_M = 500.0   # Table D.1
_CLASSES = {"surface_f": ("F1", "F2", "F3"), "surface_s": ("S1", "S2", "S3"),
            "groundwater_g": ("G1", "G2", "G3"), "vadose_d": ("D1", "D2", "D3")}


def _frame(table: pd.DataFrame, key: str) -> pd.DataFrame:
    return table.reset_index() if key not in table.columns else table.reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return str(value).strip()


def _grid(inputs: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, Any]:
    """Cell-centre x, y and the CRS of the first raster given."""
    for name in ("population", "redline", "land_use"):
        if name in inputs:
            raster = inputs[name]
            return (np.asarray(raster["x"].values, dtype=float), np.asarray(raster["y"].values, dtype=float),
                    raster.rio.crs)
    raise InputError("give a raster on the run grid: population, redline or land_use (parks are placed "
                     "and screened on its grid)", source="inputs")


def _check_sources(frame: pd.DataFrame, source: str) -> None:
    for line, value in enumerate(frame["source"], start=2):
        if not _text(value):
            raise InputError("no source: give the document the value comes from, or 'illustrative'",
                             source=source, where=f"line {line}, column 'source'")


def place_parks(parks: pd.DataFrame, x: np.ndarray, y: np.ndarray, crs: Any) -> pd.DataFrame:
    """Parks with x, y in the grid CRS; InputError for a park outside the grid."""
    from pyproj import Transformer

    frame = _frame(parks, "park_id").copy()
    _check_sources(frame, "parks")
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    px, py = to_grid.transform(frame["lon"].to_numpy(dtype=float), frame["lat"].to_numpy(dtype=float))
    dx = abs(x[1] - x[0]) if x.size > 1 else 0.0
    dy = abs(y[1] - y[0]) if y.size > 1 else dx
    x0, x1 = x.min() - dx / 2, x.max() + dx / 2
    y0, y1 = y.min() - dy / 2, y.max() + dy / 2
    for line, (pid, xi, yi) in enumerate(zip(frame["park_id"], px, py, strict=True), start=2):
        if not (x0 <= xi <= x1 and y0 <= yi <= y1):
            raise InputError(f"park '{pid}' lies outside the run grid (x {xi:.0f}, y {yi:.0f} m; grid x "
                             f"{x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f}); check lon/lat or the grid",
                             source="parks", where=f"line {line}")
    frame["x"], frame["y"] = px, py
    return frame


def quantity_ratios(substances: pd.DataFrame, park_ids: list[str]) -> pd.DataFrame:
    """q/Q per substance row (checked: known park, source given)."""
    frame = _frame(substances, "park_id").copy()
    _check_sources(frame, "park_substances")
    for line, pid in enumerate(frame["park_id"], start=2):
        if str(pid) not in park_ids:
            raise InputError(f"park '{pid}' is not in the parks table {park_ids}", source="park_substances",
                             where=f"line {line}, column 'park_id'")
    frame["ratio"] = frame["max_quantity_t"].astype(float) / frame["critical_quantity_t"].astype(float)
    if "status" not in frame.columns:
        frame["status"] = ""
    return frame


def process_scores(processes: pd.DataFrame, park_ids: list[str]) -> pd.DataFrame:
    """Score per process row (Table C.1 category × unit count), checked."""
    frame = _frame(processes, "park_id").copy()
    _check_sources(frame, "park_processes")
    for line, row in enumerate(frame.itertuples(index=False), start=2):
        if str(row.park_id) not in park_ids:
            raise InputError(f"park '{row.park_id}' is not in the parks table {park_ids}",
                             source="park_processes", where=f"line {line}, column 'park_id'")
        if str(row.category) not in hj169.M_SCORES:
            raise InputError(f"unknown category '{row.category}'; expected one of {list(PROCESS_CATEGORIES)} "
                             "(HJ 169 Table C.1)", source="park_processes", where=f"line {line}, column 'category'")
    frame["score"] = frame["category"].map(hj169.M_SCORES) * frame["unit_count"].astype(float)
    if "status" not in frame.columns:
        frame["status"] = ""
    return frame


def _class_of(park: Mapping[str, Any], field: str, default: str, line: int) -> tuple[str, bool]:
    value = _text(park.get(field)).upper()
    if not value:
        return default, True
    if value not in _CLASSES[field]:
        raise InputError(f"{field} must be one of {list(_CLASSES[field])}, got '{value}'", source="parks",
                         where=f"line {line}, column '{field}'")
    return value, False


def _inventory_status(statuses: list[str]) -> str:
    found = {s.strip().lower() for s in statuses if s and s.strip()}
    if not found:
        return "unknown"
    return found.pop() if len(found) == 1 else "mixed"


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Screen every park; tables ``park_risk`` and ``park_substances_q``."""
    x, y, crs = _grid(inputs)
    parks = place_parks(inputs["parks"], x, y, crs)
    ids = [str(p) for p in parks["park_id"]]
    substances = quantity_ratios(inputs["park_substances"], ids)
    processes = process_scores(inputs["park_processes"], ids)
    population = inputs.get("population")
    pop_values = None if population is None else np.asarray(population.values, dtype=float)
    settlements = inputs.get("settlements")
    redline = inputs.get("redline")
    red_mask = None if redline is None else np.asarray(redline.values) == 1
    rivers = inputs.get("rivers")
    sources = inputs.get("drinking_water_sources")
    river_distance = float(inputs.get("river_distance", 10000.0))
    sensitive_distance = float(inputs.get("sensitive_distance", 10000.0))
    defaults = {"surface_f": str(inputs.get("surface_f_default", "F2")),
                "groundwater_g": str(inputs.get("groundwater_g_default", "G3")),
                "vadose_d": str(inputs.get("vadose_d_default", "D1"))}
    rows = []
    for line, park in enumerate(parks.to_dict("records"), start=2):
        pid, px, py = str(park["park_id"]), float(park["x"]), float(park["y"])
        mine = substances[substances["park_id"].astype(str) == pid]
        procs = processes[processes["park_id"].astype(str) == pid]
        q = float(mine["ratio"].sum())
        m = float(procs["score"].sum())
        q_cls, m_cls = hj169.q_class(q), hj169.m_class(m)
        p_cls = hj169.p_class(q_cls, m_cls)
        if pop_values is not None:
            p5 = k.raster_population_within(pop_values, x, y, px, py, OUTER_RADIUS_M)
            p05 = k.raster_population_within(pop_values, x, y, px, py, INNER_RADIUS_M)
            pop_source = "raster"
        elif settlements is not None:
            sx = settlements.geometry.x.to_numpy()
            sy = settlements.geometry.y.to_numpy()
            values = settlements["population"].to_numpy(dtype=float)
            p5 = k.points_population_within(sx, sy, values, px, py, OUTER_RADIUS_M)
            p05 = k.points_population_within(sx, sy, values, px, py, INNER_RADIUS_M)
            pop_source = "settlements"
        else:
            p5, p05, pop_source = 0.0, 0.0, "none"
        e_air = hj169.air_sensitivity(p5, p05)
        from shapely.geometry import Point

        here = Point(px, py)
        river_m = float(rivers.geometry.distance(here).min()) if rivers is not None else float("inf")
        red_m = (k.nearest_cell_distance(red_mask, x, y, px, py) if red_mask is not None else float("inf"))
        source_m = (float(sources.geometry.distance(here).min()) if sources is not None else float("inf"))
        used: list[str] = []
        if river_m <= river_distance:
            f_cls, f_default = _class_of(park, "surface_f", defaults["surface_f"], line)
            if f_default:
                used.append(f"surface_f={f_cls}")
            given_s = _text(park.get("surface_s"))
            if given_s:
                s_cls, _ = _class_of(park, "surface_s", "S3", line)
            else:
                s_cls = "S1" if min(red_m, source_m) <= sensitive_distance else "S3"
        else:  # no receiving river nearby: lowest function and target classes
            f_cls, s_cls = "F3", "S3"
            used.append("no river within river_distance: F3/S3")
        e_surface = hj169.surface_sensitivity(f_cls, s_cls)
        g_cls, g_default = _class_of(park, "groundwater_g", defaults["groundwater_g"], line)
        d_cls, d_default = _class_of(park, "vadose_d", defaults["vadose_d"], line)
        used += [f"groundwater_g={g_cls}"] if g_default else []
        used += [f"vadose_d={d_cls}"] if d_default else []
        e_ground = hj169.groundwater_sensitivity(g_cls, d_cls)
        potentials = [hj169.risk_potential(q_cls, p_cls, e) for e in (e_air, e_surface, e_ground)]
        top = hj169.highest(potentials)
        rows.append({
            "park_id": pid, "name": str(park["name"]), "x": px, "y": py, "q_ratio": q, "q_class": q_cls,
            "m_score": m, "m_class": m_cls, "p_class": p_cls or "", "population_5km": p5,
            "population_500m": p05, "population_source": pop_source, "e_air": e_air,
            "river_distance_m": river_m, "surface_f": f_cls, "surface_s": s_cls, "e_surface": e_surface,
            "groundwater_g": g_cls, "vadose_d": d_cls, "e_groundwater": e_ground,
            "redline_distance_m": red_m, "potential_air": potentials[0], "potential_surface": potentials[1],
            "potential_groundwater": potentials[2], "risk_potential": top,
            "assessment_level": hj169.LEVELS[top],
            "inventory_status": _inventory_status([*map(str, mine["status"]), *map(str, procs["status"])]),
            "coord_status": _text(park.get("coord_status")) or "unknown",
            "defaults_used": "; ".join(used)})
    table = pd.DataFrame(rows)
    q_table = substances[["park_id", "substance", "max_quantity_t", "critical_quantity_t", "ratio",
                          "status"]].copy()
    q_table["status"] = q_table["status"].map(_text)
    return {"park_risk": table, "park_substances_q": q_table}


def example() -> dict[str, Any]:
    """Two synthetic parks on a 30 × 30 km grid of 1 km cells (China Albers) with a town, a river
    and a red-line block (illustrative values)."""
    import geopandas as gpd
    from affine import Affine
    from pyproj import Transformer
    from shapely.geometry import LineString

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import CHINA_ALBERS, GridSpec

    x0, y0 = -1_400_000.0, 4_900_000.0
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, x0, 0, -1000.0, y0), (30, 30))
    people = np.zeros((30, 30))
    people[10:13, 10:13] = 8000.0          # a town of 72,000 persons around cell (11, 11)
    red = np.zeros((30, 30), dtype=np.uint8)
    red[20:25, 20:25] = 1
    to_ll = Transformer.from_crs(CHINA_ALBERS, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform([x0 + 11_500.0, x0 + 25_500.0], [y0 - 11_500.0, y0 - 5_500.0])
    parks = pd.DataFrame({"park_id": ["town_park", "desert_park"], "name": ["Town park", "Desert park"],
                          "lon": lon, "lat": lat, "source": ["illustrative", "illustrative"],
                          "coord_status": ["synthetic", "synthetic"]})
    substances = pd.DataFrame({
        "park_id": ["town_park", "town_park", "desert_park"], "substance": ["氨", "油类物质", "甲醇"],
        "max_quantity_t": [20.0, 5000.0, 50.0], "critical_quantity_t": [5.0, 2500.0, 10.0],
        "status": ["illustrative"] * 3, "source": ["illustrative"] * 3})
    processes = pd.DataFrame({
        "park_id": ["town_park", "town_park", "desert_park"],
        "process": ["合成氨", "罐区", "甲醇储存"],
        "category": ["hazardous_process", "high_temperature_pressure_or_tank_farm", "other_storage_or_use"],
        "unit_count": [1, 2, 1], "status": ["illustrative"] * 3, "source": ["illustrative"] * 3})
    river = gpd.GeoDataFrame({"name": ["river"]}, geometry=[LineString([(x0, y0 - 14_000.0),
                                                                         (x0 + 30_000.0, y0 - 14_000.0)])],
                             crs=CHINA_ALBERS)
    return {"parks": parks, "park_substances": substances, "park_processes": processes,
            "population": from_array(people, grid, name="population", units=""),
            "redline": from_array(red.astype(float), grid, name="redline", units=None),
            "rivers": river}


MODEL = Model(spec=SPEC, run=run, example=example, report=risk_map)
