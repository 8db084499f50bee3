"""``water_allocation`` — monthly priority allocation of water over a network (水资源配置).

The network (docs/water_network.md) holds catchment inflows, river reaches with losses, reservoirs,
aquifers, inter-basin transfers, demand sites by sector and terminal lakes; each month is a HiGHS
linear program solved priority level by level (:mod:`.solver`). Irrigation demand comes from crop
areas and FAO-56 crop coefficients (:mod:`.demand`), lakes follow a volume–area–level curve
(:mod:`.lake`), strategy levers edit the network before the run (:mod:`.levers`), and crop
virtual-water contents come from the same crop water use (:mod:`.virtual_water`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecociv import reuse
from ecociv.errors import InputError
from ecociv.models.water_allocation import results as tables
from ecociv.models.water_allocation.network import Network, load_network
from ecociv.models.water_allocation.report import network_diagram
from ecociv.models.water_allocation.solver import allocate
from ecociv.models.water_allocation.spec import SPEC
from ecociv.spec import Model

M3_PER_1E8M3 = 1e8
MASS_BALANCE_TOLERANCE = 1e-6  # relative, per node and step


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Run the allocation; every table of :data:`SPEC` (virtual_water_trade only with crop_trade)."""
    path = Path(inputs["network"])
    levers = inputs.get("levers") or {}
    start = inputs.get("start")
    months = inputs.get("months")
    zones = inputs.get("water_yield_zones")
    zone_volumes = None
    if zones is not None:
        frame = zones.reset_index() if "ws_id" not in zones.columns else zones
        zone_volumes = {str(k): float(v) for k, v in zip(frame["ws_id"], frame["wyield_vol"], strict=True)
                        if np.isfinite(v)}
    coupling = None
    if inputs.get("cropland_change") is not None:
        from ecociv.models.water_allocation.cropland_coupling import plan
        from ecociv.models.water_allocation.network import read_document

        coupling = plan(read_document(path)[0], inputs["cropland_change"], year=inputs.get("cropland_year"),
                        rule=inputs.get("cropland_change_rule"), source=str(path))
    net = load_network(path, overrides=levers, start=start, months=months, zone_volumes=zone_volumes,
                       crop_scale=coupling.factors if coupling else None)
    result = allocate(net)
    balance = tables.mass_balance(net, result)
    worst = balance.loc[balance["relative_residual"].abs().idxmax()] if len(balance) else None
    if worst is not None and abs(worst["relative_residual"]) > MASS_BALANCE_TOLERANCE:
        raise RuntimeError(f"mass balance does not close at node '{worst['node']}' in {worst['month']}: "
                           f"residual {worst['residual_m3']:.6g} m³ (a bug: please report it with the network)")
    out: dict[str, Any] = {
        "deliveries": tables.deliveries_table(net, result),
        "flows": tables.flows_table(net, result),
        "storage": tables.storage_table(net, result),
        "lakes": tables.lakes_table(net, result),
        "groundwater": tables.groundwater_table(net, result),
        "groundwater_units": tables.groundwater_units_table(net, result),
        "requirements": tables.requirements_table(net, result),
        "mass_balance": balance,
    }
    plain = (reuse.kept("water_allocation.network_without_levers", lambda: load_network(  # no lever read
        path, start=start, months=months, zone_volumes=zone_volumes), copy_result=False)
        if levers or coupling else net)
    out["lever_effects"] = lever_effects(path, net, levers, start, months, zone_volumes, plain=plain)
    if coupling is not None:
        years = plain.calendar.months / 12.0
        out["cropland_coupling"] = coupling.table({k: float(d.demand.sum()) / years for k, d in plain.demands.items()})
    out["basin_summary"] = tables.basin_summary(net, result, out)
    crops = crop_water_table(net)
    out["virtual_water"] = crops
    trade = inputs.get("crop_trade")
    if trade is not None:
        out["virtual_water_trade"] = trade_table(crops, trade)
    return out


def lever_effects(path: Path, net: Network, levers: Mapping[str, Any], start: Any, months: Any,
                  zone_volumes: Mapping[str, float] | None = None, *, plain: Network | None = None) -> pd.DataFrame:
    """Mean annual demand per site without and with the levers (and the simulated cropland
    change, when given); ``plain``: the network as given, if already loaded."""
    years = net.calendar.months / 12.0
    if plain is None:
        plain = load_network(path, start=start, months=months, zone_volumes=zone_volumes) if levers else net
    rows = []
    for site_id, site in net.demands.items():
        before = float(plain.demands[site_id].demand.sum()) / years if site_id in plain.demands else np.nan
        after = float(site.demand.sum()) / years
        rows.append((site_id, site.sector, before, after, after - before))
    return pd.DataFrame(rows, columns=["site", "sector", "demand_without_levers_m3_per_yr",
                                       "demand_with_levers_m3_per_yr", "change_m3_per_yr"])


def crop_water_table(net: Network) -> pd.DataFrame:
    """Virtual-water content and crop water use per irrigation site and crop."""
    from ecociv.models.water_allocation.demand_sites import crop_table_of
    from ecociv.models.water_allocation.virtual_water import crop_virtual_water_table

    table = crop_table_of(net.crop_table_file)
    frames = []
    for site in net.demands.values():
        if not site.crops_ha or site.climate is None:
            continue
        climate = net.climate[site.climate]
        crops = crop_virtual_water_table(list(site.crops_ha), climate["et0"], climate["precipitation"], table=table)
        crops = crops.reset_index()
        crops.insert(0, "site", site.id)
        crops["area_ha"] = crops["crop"].map(site.crops_ha)
        crops["production_t"] = crops["area_ha"] * crops["yield_t_per_ha"]
        crops["crop_water_use_m3"] = crops["etc_mm"] * crops["area_ha"] * 10.0
        frames.append(crops[["site", "crop", "area_ha", "yield_t_per_ha", "production_t", "etc_mm", "green_mm",
                             "blue_mm", "vwc_m3_per_t", "crop_water_use_m3"]])
    columns = ["site", "crop", "area_ha", "yield_t_per_ha", "production_t", "etc_mm", "green_mm", "blue_mm",
               "vwc_m3_per_t", "crop_water_use_m3"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def trade_table(crops: pd.DataFrame, trade: pd.DataFrame) -> pd.DataFrame:
    """Net virtual-water export: tonnes (or share of production) × production-weighted VWC per crop."""
    from ecociv.models.water_allocation.virtual_water import net_virtual_water_export

    trade = trade.reset_index() if "crop" not in trade.columns else trade
    totals = crops.groupby("crop").agg(production_t=("production_t", "sum"),
                                       water_m3=("crop_water_use_m3", "sum"))
    vwc = (totals["water_m3"] / totals["production_t"]).to_dict()
    rows = []
    for line, row in enumerate(trade.itertuples(index=False), start=2):
        crop = str(row.crop)
        export = getattr(row, "export_t", np.nan)
        if export is None or not np.isfinite(export):
            share = getattr(row, "export_share", np.nan)
            if share is None or not np.isfinite(share):
                raise InputError(f"crop '{crop}' needs export_t or export_share", source="crop_trade",
                                 where=f"line {line}")
            if crop not in totals.index:
                raise InputError(f"export_share given for crop '{crop}', which no irrigation site grows",
                                 source="crop_trade", where=f"line {line}")
            export = float(share) * float(totals.loc[crop, "production_t"])
        imported = getattr(row, "import_t", np.nan)
        rows.append({"crop": crop, "export_t": float(export),
                     "import_t": float(imported) if imported is not None and np.isfinite(imported) else 0.0})
    return net_virtual_water_export(pd.DataFrame(rows), vwc).reset_index()


def example() -> dict[str, Any]:
    """The synthetic two-basin example network (illustrative figures)."""
    from importlib.resources import files

    return {"network": Path(str(files("ecociv") / "data" / "example" / "water_network_synthetic" / "network.yaml"))}


class _AnyZone(Mapping[str, float]):
    """Water-yield zone volumes not known before the run (an upstream step's table): every zone
    holds 1 m³/yr, so the network can be resolved and checked; the zone ids are checked in the run."""

    def __getitem__(self, zone: str) -> float:
        return 1.0

    def __contains__(self, zone: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def check(given: Mapping[str, Any]) -> None:
    """The network file with the levers applied, resolved and checked before anything runs (keys,
    units, side files, references, graph); when water-yield zones are given, with 1 m³/yr per zone
    (their volumes are known only in the run)."""
    if given.get("network") is None:
        return
    load_network(given["network"], overrides=given.get("levers") or {}, start=given.get("start"),
                 months=given.get("months"), zone_volumes=_AnyZone() if "water_yield_zones" in given else None)


MODEL = Model(spec=SPEC, run=run, example=example, report=network_diagram, check=check)
