"""Derive the climate normals of the default Belt water network from the Belt dataset (issue 5).

Writes ``src/ecociv/data/water/belt_network/climate.csv`` (columns ``climate, month, et0_mm,
precipitation_mm``: the format of docs/water_network.md) and prints the 12-value open-water
evaporation lists of the reservoirs of ``network.yaml`` (tests/models/test_belt_network_data.py checks
the YAML against climate.csv). The terminal lakes take their evaporation and precipitation from
``src/ecociv/data/water/lake_climate.csv`` (lake module), not from here.

Method
------
* Irrigation climates (``*_oasis``): zonal mean of the monthly layers ``et0_monthly.tif`` (Hargreaves
  ET0, mm/month) and ``precipitation_monthly.tif`` (ERA5 normal 2000-2025, mm/month) over the cells of
  the oasis class (``oasis_desert.tif`` = 1: cropland and built-up) inside the counties of each group
  (``units.gpkg`` layer ``counties``); a group without oasis cells would fall back to all its cells.
* Open-water evaporation of reservoirs: ``E = Kc · ET0`` of the basin oasis climate with ``Kc = 1.05``
  (FAO-56, Allen et al. 1998, Table 12, open water < 2 m deep), rounded to whole mm.
* Open-water evaporation of the terminal lakes (``--part lakes``): the annual pan normal of the lake
  area × the pan coefficient of ``src/ecociv/data/water/lake_pan_evaporation.csv`` (E601 / Φ20 cm,
  sources in ``lakes_sources.csv``), spread over the months in proportion to the lake cell's ET0
  (column ``et0_mm`` of ``lake_climate.csv``), rounded to 0.1 mm; written to ``lake_climate.csv`` and
  copied into the lake nodes of ``network.yaml``.
* Crop table (``--part crops``): Kc, stage lengths, maximum height, root depths and depletion fraction
  read from the FAO-56 tables shipped in pyfao56 (``belt_water_crops.py``).

Deterministic; re-run after the dataset changes:

    .venv/bin/python scripts/build_belt_network.py [--part climate|lakes|crops|all]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
from rasterio import features

ROOT = Path(__file__).resolve().parents[1]
BELT = ROOT / "src" / "ecociv" / "data" / "belt"
WATER = ROOT / "src" / "ecociv" / "data" / "water"
OUT = WATER / "belt_network"
#: lake id in lake_climate.csv -> lake node id in network.yaml
LAKE_NODES = {"ebinur": "ebinur_lake", "manas": "manas_lake"}

#: climate name -> adcodes of the counties whose oasis cells are averaged (units.csv)
OASIS_GROUPS: dict[str, tuple[int, ...]] = {
    "ebinur_oasis": (652701, 652702, 652722, 652723, 659007),
    "kuitun_oasis": (650202, 654003, 654202, 659010),
    "manas_oasis": (652324, 654203, 659001),
    "urumqi_changji_oasis": (650102, 650103, 650104, 650105, 650106, 650109, 650121, 652301, 652302,
                             652323, 659004),
    "karamay_oasis": (650203, 650204, 650205),
    "turpan_oasis": (650402, 650421, 650422),
    "hami_oasis": (650502, 659011),
}
#: FAO-56 Table 12: Kc of open water < 2 m deep
KC_OPEN_WATER = 1.05
#: reservoir id -> climate whose ET0 gives its evaporation
RESERVOIR_CLIMATE: dict[str, str] = {
    "kenswat_reservoir": "manas_oasis",
    "jiahezi_reservoir": "manas_oasis",
    "daquangou_reservoir": "manas_oasis",
    "moguhu_reservoir": "manas_oasis",
    "wulapo_reservoir": "urumqi_changji_oasis",
    "reservoir_500": "urumqi_changji_oasis",
}


def _read_monthly(name: str) -> tuple[np.ndarray, rasterio.Affine, tuple[int, int]]:
    """Read a 12-band monthly layer as float64 mm/month with NaN for nodata."""
    with rasterio.open(BELT / f"{name}.tif") as src:
        raw = src.read()
        scale = np.asarray(src.scales, dtype=np.float64)[:, None, None]
        offset = np.asarray(src.offsets, dtype=np.float64)[:, None, None]
        values = np.where(raw == src.nodata, np.nan, raw * scale + offset)
        return values, src.transform, (src.height, src.width)


def _zone_means(mask: np.ndarray, et0: np.ndarray, precipitation: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Monthly means of ET0 and precipitation over the cells of ``mask`` valid in both layers."""
    valid = mask & np.all(np.isfinite(et0), axis=0) & np.all(np.isfinite(precipitation), axis=0)
    n_cells = int(valid.sum())
    if n_cells == 0:
        raise ValueError("zone has no valid cells")
    return et0[:, valid].mean(axis=1), precipitation[:, valid].mean(axis=1), n_cells


def derive_climate() -> tuple[pd.DataFrame, dict[str, int]]:
    """Monthly ET0 and precipitation normals (mm/month) per climate name, and cell counts."""
    et0, transform, shape = _read_monthly("et0_monthly")
    precipitation, _, _ = _read_monthly("precipitation_monthly")
    with rasterio.open(BELT / "oasis_desert.tif") as src:
        oasis = src.read(1) == 1
    counties = gpd.read_file(BELT / "units.gpkg", layer="counties")
    zones = features.rasterize(
        ((geom, int(code)) for geom, code in zip(counties.geometry, counties["adcode"], strict=True)),
        out_shape=shape, transform=transform, fill=0, dtype="int32")

    rows: list[dict[str, object]] = []
    cells: dict[str, int] = {}

    def add(name: str, mask: np.ndarray) -> None:
        et0_mean, p_mean, n = _zone_means(mask, et0, precipitation)
        cells[name] = n
        for month in range(12):
            rows.append({"climate": name, "month": month + 1, "et0_mm": round(float(et0_mean[month]), 1),
                         "precipitation_mm": round(float(p_mean[month]), 1)})

    for name, codes in OASIS_GROUPS.items():
        in_group = np.isin(zones, codes)
        add(name, in_group & oasis if np.any(in_group & oasis) else in_group)
    return pd.DataFrame(rows), cells


def open_water_evaporation(climate: pd.DataFrame, name: str) -> list[int]:
    """Open-water evaporation (mm/month, Jan..Dec) = 1.05 × ET0 of climate ``name``, whole mm."""
    et0 = climate.loc[climate["climate"] == name].sort_values("month")["et0_mm"].to_numpy()
    return [round(float(KC_OPEN_WATER * value)) for value in et0]


def lake_open_water_evaporation(lake_climate: pd.DataFrame, pans: pd.DataFrame) -> pd.DataFrame:
    """Monthly open-water evaporation of each lake (mm) from its annual pan normal × pan coefficient.

    ``E_m = P_pan · k · ET0_m / Σ ET0`` with ``ET0_m`` the lake cell's monthly ET0 (its seasonal shape
    only); rounded to 0.1 mm. Lakes without a pan row keep their values. Returns a copy of
    ``lake_climate`` with ``evaporation_mm``, ``evaporation_status`` and ``source`` updated.
    """
    out = lake_climate.copy()
    for row in pans.itertuples(index=False):
        mask = out["lake"] == row.lake
        if not mask.any():
            raise ValueError(f"lake_pan_evaporation.csv: lake {row.lake!r} has no rows in lake_climate.csv")
        et0 = out.loc[mask, "et0_mm"].to_numpy(dtype=float)
        annual = float(row.pan_evaporation_mm_per_yr) * float(row.pan_coefficient)
        out.loc[mask, "evaporation_mm"] = np.round(annual * et0 / et0.sum(), 1)
        out.loc[mask, "evaporation_status"] = "derived"
        out.loc[mask, "source"] = (f"lakes_sources.csv: {row.lake}_precipitation_era5; {row.pan_source}; "
                                   f"{row.coefficient_source}")
    return out


def _yaml_list(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def copy_lake_lists(text: str, lake_climate: pd.DataFrame) -> str:
    """``network.yaml`` text with each lake node's ``evaporation_mm``/``precipitation_mm`` lists
    replaced by the rows of ``lake_climate`` (comments and layout elsewhere kept)."""
    for lake, node in LAKE_NODES.items():
        rows = lake_climate[lake_climate["lake"] == lake].sort_values("month")
        start = text.index(f"- id: {node}\n")
        end = text.find("\n  - id: ", start + 1)
        end = len(text) if end < 0 else end
        block = text[start:end]
        for key in ("evaporation_mm", "precipitation_mm"):
            listed = _yaml_list(rows[key].tolist())
            block, n = re.subn(rf"(\n\s+{key}: )\[[^\]]*\]", lambda m, new=listed: m.group(1) + new, block)
            if n != 1:
                raise ValueError(f"network.yaml: node {node} has {n} '{key}' lists")
        text = text[:start] + block + text[end:]
    return text


def build_lakes() -> None:
    """Lake evaporation from pan normals (lake_climate.csv) and its copy in network.yaml."""
    lake_climate = pd.read_csv(WATER / "lake_climate.csv")
    pans = pd.read_csv(WATER / "lake_pan_evaporation.csv")
    lake_climate = lake_open_water_evaporation(lake_climate, pans)
    lake_climate.to_csv(WATER / "lake_climate.csv", index=False)
    network = OUT / "network.yaml"
    network.write_text(copy_lake_lists(network.read_text(encoding="utf-8"), lake_climate), encoding="utf-8")
    for lake, rows in lake_climate.groupby("lake"):
        print(f"{lake}: open-water evaporation {rows['evaporation_mm'].sum():.1f} mm/yr, "
              f"precipitation {rows['precipitation_mm'].sum():.1f} mm/yr")


def build_climate() -> None:
    """Write climate.csv and print the reservoir evaporation lists for network.yaml."""
    climate, cells = derive_climate()
    OUT.mkdir(parents=True, exist_ok=True)
    climate.to_csv(OUT / "climate.csv", index=False)
    for name, n in cells.items():
        sub = climate[climate["climate"] == name]
        print(f"{name}: {n} cells; ET0 {sub['et0_mm'].sum():.0f} mm/yr, P {sub['precipitation_mm'].sum():.0f} mm/yr")
    for reservoir, name in RESERVOIR_CLIMATE.items():
        print(f"{reservoir}: evaporation_mm: {open_water_evaporation(climate, name)}")


def main() -> None:
    """Build the parts named by ``--part`` (default: all)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("climate", "lakes", "crops", "all"), default="all")
    part = parser.parse_args().part
    if part in ("climate", "all"):
        build_climate()
    if part in ("lakes", "all"):
        build_lakes()
    if part in ("crops", "all"):
        from belt_water_crops import build_crops

        build_crops(WATER)


if __name__ == "__main__":
    main()
