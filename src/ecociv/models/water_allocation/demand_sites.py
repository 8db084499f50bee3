"""Demand of a network's demand site, in m³ per step: given directly, or computed from crop areas
(FAO-56 net irrigation requirement), population × per-capita use, or value added × water intensity."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.water_allocation import timeseries as ts
from ecociv.models.water_allocation.network_file import DEMAND_KEYS
from ecociv.units import Q_


@lru_cache(maxsize=8)
def _crop_table(path: str | None) -> pd.DataFrame:
    from ecociv.models.water_allocation import demand as kernels

    return kernels.load_crop_table(path)


def crop_table(doc: Mapping[str, Any], base: Path) -> pd.DataFrame:
    """The crop table of a network document: its ``crops`` file, or the packaged one."""
    return crop_table_of(str(base / str(doc["crops"])) if doc.get("crops") else None)


def crop_table_of(path: str | None) -> pd.DataFrame:
    """The crop table in ``path`` (None: the packaged one), read once per process."""
    return _crop_table(path)


def monthly_nir_mm(table: pd.DataFrame, crop: str, climate: Mapping[str, np.ndarray], *, method: Any,
                   source: str, where: str) -> np.ndarray:
    """Net irrigation requirement of ``crop`` in each calendar month, mm (12 values)."""
    if crop not in table.index:
        raise InputError(f"unknown crop '{crop}'; crops in the table: {', '.join(table.index)}", source=source,
                         where=where)
    from ecociv.models.water_allocation import demand as kernels

    row = table.loc[crop]
    kc = kernels.monthly_kc(float(row["kc_ini"]), float(row["kc_mid"]), float(row["kc_end"]), int(row["l_ini"]),
                            int(row["l_dev"]), int(row["l_mid"]), int(row["l_late"]), int(row["planting_month"]),
                            int(row["planting_day"]))
    return np.asarray(kernels.net_irrigation_requirement_mm(kc, climate["et0"], climate["precipitation"],
                                                            method=method), dtype=float)


def _quantity_in(value: Any, units: str, *, source: str, where: str) -> float:
    """``value`` in ``units``. "12 m**3/ten_thousand yuan" (pint reads it as (m³/10⁴)·yuan) is taken as
    the intended 12 m³/(10⁴ yuan) when only that reading has the right dimension."""
    try:
        quantity = Q_(str(value)) if not isinstance(value, (int, float)) else Q_(float(value), units)
        return float(quantity.to(units).magnitude)
    except Exception as err:
        text = str(value)
        if "/" in text and "(" not in text:
            head, _, tail = text.partition("/")
            try:
                return float(Q_(f"{head}/({tail})").to(units).magnitude)
            except Exception:
                pass
        raise InputError(f"{value!r} cannot be read as {units}: {err}", source=source, where=where) from None


def site_demand(raw: Mapping[str, Any], where: str, flow: Any, cal: ts.Calendar,
                climate: Mapping[str, Mapping[str, np.ndarray]], doc: Mapping[str, Any], base: Path,
                source: str) -> tuple[np.ndarray, dict[str, float], str | None, float | None]:
    """Resolve a demand site's demand; returns (m³ per step, crop areas ha, climate name, efficiency)."""
    given = [key for key in DEMAND_KEYS if raw.get(key) is not None]  # exactly one (network_file)
    key = given[0]
    spec = raw[key]
    month = cal.month_of_year - 1
    if key == "demand":
        return flow(spec, f"{where}.demand"), {}, None, None
    if key == "irrigation":
        crops_raw = spec["crops"]
        name = str(spec.get("climate", ""))
        if name not in climate:
            raise InputError(f"names climate '{name}', which is not in the network's climate section "
                             f"({', '.join(climate) or 'none'})", source=source, where=f"{where}.irrigation.climate")
        efficiency = float(spec["efficiency"])
        table = crop_table(doc, base)
        areas: dict[str, float] = {}
        nir: dict[str, np.ndarray] = {}
        method = str(spec.get("effective_rain", "usda_scs"))
        for crop, area in crops_raw.items():
            at = f"{where}.irrigation.crops.{crop}"
            hectares = _quantity_in(area, "ha", source=source, where=at)
            if hectares < 0:
                raise InputError(f"negative crop area {hectares} ha", source=source, where=at)
            areas[str(crop)] = hectares
            nir[str(crop)] = monthly_nir_mm(table, str(crop), climate[name], method=method, source=source, where=at)
        from ecociv.models.water_allocation import demand as kernels

        monthly = kernels.irrigation_demand_m3(areas, nir, efficiency)
        return np.asarray(monthly, dtype=float)[month], areas, name, efficiency
    if key == "domestic_use":
        people = _quantity_in(spec.get("population"), "dimensionless", source=source,
                              where=f"{where}.domestic_use.population")
        per_capita = _quantity_in(spec.get("per_capita"), "L/d", source=source,
                                  where=f"{where}.domestic_use.per_capita")
        if people < 0 or per_capita < 0:
            raise InputError("population and per_capita must not be negative", source=source,
                             where=f"{where}.domestic_use")
        from ecociv.models.water_allocation import demand as kernels

        return _on_calendar(kernels.domestic_demand_m3(people, per_capita, _years(cal)), cal), {}, None, None
    value_added = _quantity_in(spec.get("value_added"), "yuan/yr", source=source,
                               where=f"{where}.industry_use.value_added")
    intensity = _quantity_in(spec.get("intensity"), "m**3/yuan", source=source,
                             where=f"{where}.industry_use.intensity")
    if value_added < 0 or intensity < 0:
        raise InputError("value_added and intensity must not be negative", source=source, where=f"{where}.industry_use")
    from ecociv.models.water_allocation import demand as kernels

    return _on_calendar(kernels.industry_demand_m3(value_added, intensity, _years(cal)), cal), {}, None, None


def _years(cal: ts.Calendar) -> list[int]:
    return [int(y) for y in np.unique(cal.years)]


def _on_calendar(monthly: np.ndarray, cal: ts.Calendar) -> np.ndarray:
    """Values for January of the first year onwards (12 per calendar year) picked for the run's months."""
    first = int(cal.years[0])
    return np.asarray(monthly, dtype=float)[(cal.years - first) * 12 + cal.month_of_year - 1]
