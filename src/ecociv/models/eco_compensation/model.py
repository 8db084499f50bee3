"""``eco_compensation`` — ecosystem-service value (Xie et al. 2015 equivalents) per cell, unit and
service; its change under a scenario map; source/receiver status, compensation ranges and the
accounts of inter-basin water transfers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.ops import reclassify
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.eco_compensation.kernels import (
    area_by_zone_and_class,
    class_index,
    compensation_range,
    parse_services,
    service_values,
    spillover,
)
from ecociv.models.eco_compensation.spec import EQUIVALENT_VALUE, SPEC
from ecociv.models.eco_compensation.zoning import (
    cell_area_ha,
    check_same_grid,
    codes_of,
    zone_numbers,
)
from ecociv.spec import Model, SummaryMeasure

#: km² per ha
KM2_PER_HA = 0.01


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """ESV rasters and the per-unit tables (the tables computed eagerly with ``bincount``)."""
    baseline = inputs["land_use"]
    grid = grid_of_array(baseline)
    scenario = inputs.get("land_use_scenario")
    restricted = inputs.get("restricted")
    for label, other in (("land_use_scenario", scenario), ("restricted", restricted)):
        if other is not None:
            check_same_grid(baseline, other, label, "land_use")
    services = parse_services(inputs.get("services"))
    values = service_values(inputs["class_mapping"], inputs["equivalents"], services,
                            float(inputs.get("equivalent_value", EQUIVALENT_VALUE)),
                            float(inputs.get("regional_correction", 1.0)))
    known = np.array(sorted(values), dtype=np.float64)
    matrix = np.stack([values[int(k)] for k in known])          # (K, S) yuan/ha/yr
    per_ha = {int(k): float(row.sum()) for k, row in zip(known, matrix, strict=True)}

    outputs: dict[str, Any] = {"esv": reclassify(baseline, per_ha)}
    zone, names = zone_numbers(inputs.get("zones"), inputs.get("zone_field"), grid)
    area = cell_area_ha(grid, baseline)
    n = len(names)
    base_area = area_by_zone_and_class(zone, class_index(codes_of(baseline), known, "land_use"),
                                       area, n, known.size)[1:]
    base_esv = base_area @ matrix                                # (n, S) yuan/yr
    maps = {"esv_yuan": base_esv}
    assessed_area, assessed = base_area, codes_of(baseline)
    if scenario is not None:
        outputs["esv_scenario"] = reclassify(scenario, per_ha)
        outputs["esv_change"] = outputs["esv_scenario"] - outputs["esv"]
        assessed = codes_of(scenario)
        assessed_area = area_by_zone_and_class(
            zone, class_index(assessed, known, "land_use_scenario"), area, n, known.size)[1:]
        maps["esv_scenario_yuan"] = assessed_area @ matrix
        maps["esv_change_yuan"] = maps["esv_scenario_yuan"] - base_esv

    outputs["esv_by_unit"] = _by_unit(names, base_area, maps, inputs)
    outputs["esv_by_service"] = _by_service(names, services, maps)
    assessed_esv = maps.get("esv_scenario_yuan", base_esv).sum(axis=1)
    restricted_area = _restricted_area(restricted, zone, assessed, known, area, n)
    outputs["compensation"] = _compensation(names, assessed_area.sum(axis=1) * KM2_PER_HA,
                                            assessed_esv, restricted_area, known, inputs)
    if inputs.get("transfers") is not None:
        outputs["transfer_accounts"] = transfer_accounts(inputs["transfers"],
                                                         dict(zip(names, assessed_esv, strict=True)))
    return outputs


def _by_unit(names: list[str], area: np.ndarray, maps: dict[str, np.ndarray],
             inputs: Mapping[str, Any]) -> pd.DataFrame:
    area_km2 = area.sum(axis=1) * KM2_PER_HA
    frame = pd.DataFrame({"unit": names})
    frame["year"] = pd.array([inputs.get("map_year")] * len(names), dtype="Int64")
    frame["area_km2"] = area_km2
    for column, table in maps.items():
        frame[column] = table.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame.insert(4, "per_km2", np.where(area_km2 > 0, frame["esv_yuan"] / area_km2, np.nan))
    if "esv_scenario_yuan" in maps:
        frame["scenario_year"] = pd.array([inputs.get("scenario_year")] * len(names), dtype="Int64")
    return frame


def _by_service(names: list[str], services: tuple[str, ...], maps: dict[str, np.ndarray]
                ) -> pd.DataFrame:
    frame = pd.DataFrame({"unit": np.repeat(names, len(services)),
                          "service": np.tile(services, len(names))})
    for column, table in maps.items():
        frame[column] = table.ravel()
    return frame


def _restricted_area(restricted: Any, zone: np.ndarray, codes: np.ndarray, known: np.ndarray,
                     area: np.ndarray, n: int) -> np.ndarray:
    """Restricted area (ha) per unit and class of the assessed map: (n, K)."""
    if restricted is None:
        return np.zeros((n, known.size))
    mask = codes_of(restricted)
    weight = np.where(np.nan_to_num(mask) != 0, area, 0.0)
    return area_by_zone_and_class(zone, class_index(codes, known, "land_use"), weight, n,
                                  known.size)[1:]


def _compensation(names: list[str], area_km2: np.ndarray, esv: np.ndarray,
                  restricted: np.ndarray, known: np.ndarray, inputs: Mapping[str, Any]
                  ) -> pd.DataFrame:
    forgone = np.zeros(known.size)
    table = inputs.get("opportunity_cost")
    if table is not None:
        by_code = dict(zip(table["lucode"].astype(int),
                           table["forgone_yuan_per_ha"].astype(float), strict=True))
        if any(v < 0 for v in by_code.values()):
            raise InputError("forgone_yuan_per_ha must be >= 0", source="opportunity_cost")
        forgone = np.array([by_code.get(int(k), 0.0) for k in known])
    opportunity = restricted @ forgone
    basis = area_km2
    if inputs.get("status_basis", "per_area") == "per_capita":
        basis = _population(names, inputs.get("unit_population"))
    reference, surplus = spillover(esv, basis)
    status, low, high = compensation_range(surplus, opportunity)
    return pd.DataFrame({"unit": names, "status": status, "esv_yuan": esv,
                         "reference_yuan": reference, "spillover_yuan": surplus,
                         "restricted_km2": restricted.sum(axis=1) * KM2_PER_HA,
                         "opportunity_cost_yuan": opportunity, "low_yuan": low, "high_yuan": high})


def _population(names: list[str], table: pd.DataFrame | None) -> np.ndarray:
    if table is None:
        raise InputError("status_basis 'per_capita' needs the unit_population table",
                         source="parameter 'status_basis'")
    by_unit = dict(zip(table["unit"].astype(str).str.strip(), table["population"].astype(float),
                       strict=True))
    missing = [n for n in names if n not in by_unit]
    if missing:
        raise InputError(f"no row for unit {missing[0]!r} (units: {names[:5]}...)",
                         source="unit_population")
    return np.array([by_unit[n] for n in names])


def transfer_accounts(transfers: pd.DataFrame, esv_by_unit: Mapping[str, float]) -> pd.DataFrame:
    """Source/receiver account of each water transfer: compensation = volume x value per m³,
    paid by the receiver to the source (yuan/yr), and its share of the receiver's ESV."""
    frame = transfers[["transfer", "source", "receiver", "annual_volume_m3", "value_yuan_per_m3"]].copy()
    for column in ("annual_volume_m3", "value_yuan_per_m3"):
        values = frame[column].astype(float)
        if (values < 0).any() or values.isna().any():
            row = int(np.argmax((values < 0) | values.isna()))
            raise InputError(f"{column} must be a number >= 0", source="transfers",
                             where=f"row {row + 1}")
    frame["receiver"] = frame["receiver"].astype(str).str.strip()
    frame["compensation_yuan"] = frame["annual_volume_m3"].astype(float) * frame["value_yuan_per_m3"]
    esv = frame["receiver"].map(lambda name: receiver_esv(name, esv_by_unit)).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["receiver_esv_share"] = frame["compensation_yuan"] / esv
    return frame


def receiver_esv(receiver: str, esv_by_unit: Mapping[str, float]) -> float:
    """ESV of a transfer's receiver: the unit of that name, or, for a prefecture-level
    administrative code (six digits ending in "00", GB/T 2260), the sum over the units whose
    code shares its first four digits; NaN when none matches."""
    if receiver in esv_by_unit:
        return float(esv_by_unit[receiver])
    if len(receiver) == 6 and receiver.isdigit() and receiver.endswith("00"):
        inside = [v for unit, v in esv_by_unit.items() if unit[:4] == receiver[:4] and unit != receiver]
        if inside:
            return float(np.sum(inside))
    return float("nan")


def example() -> dict[str, Any]:
    """4×4 cells of 100 m (1 ha) on China Albers in two units of 8 cells: the west half
    cropland (1) and forest (2), the east half grassland (3) and water (4) on the baseline;
    the scenario turns two grassland cells to built-up (5)."""
    import geopandas as gpd
    from affine import Affine
    from shapely.geometry import box

    from ecociv.models.eco_compensation.example_tables import equivalents, mapping

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 400.0), (4, 4))
    codes = np.array([[1, 1, 3, 3], [1, 2, 3, 4], [1, 2, 3, 4], [2, 2, 3, 3]])
    scenario = codes.copy()
    scenario[0, 2:] = 5
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 0, 200, 400), box(200, 0, 400, 400)],
                             crs=CHINA_ALBERS)
    return {
        "land_use": from_array(codes, grid, name="land_use", units=None),
        "land_use_scenario": from_array(scenario, grid, name="land_use_scenario", units=None),
        "restricted": from_array((codes == 2).astype(int), grid, name="restricted", units=None),
        "equivalents": equivalents(),
        "class_mapping": mapping(),
        "opportunity_cost": pd.DataFrame({"lucode": [1, 2, 3, 4, 5],
                                          "forgone_yuan_per_ha": [6000.0, 225.0, 90.0, 0.0, 0.0]}),
        "transfers": pd.DataFrame({"transfer": ["t1"], "source": ["upstream"], "receiver": ["east"],
                                   "annual_volume_m3": [1e5], "value_yuan_per_m3": [1.14]}),
        "zones": zones, "zone_field": "name", "map_year": 2019, "scenario_year": 2035,
    }


#: per-unit summary of a region run: yuan/ha/yr × m² × 10⁻⁴ ha/m² / 10⁸ = 10⁸ yuan/yr
SUMMARY = (SummaryMeasure("esv_1e8yuan", "output:esv", "yuan/ha/yr", "total", 1e-4 / 1e8,
                          "ecosystem-service value, Xie et al. 2015 equivalents (10^8 yuan/yr)"),)

MODEL = Model(spec=SPEC, run=run, example=example, summary=SUMMARY)
