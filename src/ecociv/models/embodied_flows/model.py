"""``embodied_flows`` — water and CO2 embodied in the region's exports and imports (Leontief).

The kernels are in :mod:`.kernels`; this module turns the tables into arrays, checks what the
spec cannot (known and unique sectors, the row balance), and builds the output tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.embodied_flows import kernels as k
from ecociv.models.embodied_flows.spec import SPEC
from ecociv.spec import Model

#: 10^8 m³ per 10^8 yuan = m³/yuan → m³ per 10^4 yuan
WATER_INTENSITY_FACTOR = 1e4
#: Mt per 10^8 yuan = 10^6 t / 10^8 yuan → t per 10^4 yuan
CO2_INTENSITY_FACTOR = 1e6 / 1e4
M3_PER_1E8M3 = 1e8


def known_sectors() -> list[str]:
    """The fixed sector ids of ``src/ecociv/data/industry/sectors.csv`` (empty if not shipped)."""
    path = files("ecociv") / "data" / "industry" / "sectors.csv"
    if not path.is_file():
        return []
    return [str(s) for s in pd.read_csv(str(path), dtype=str)["sector"]]


def _frame(table: pd.DataFrame, key: str) -> pd.DataFrame:
    return table.reset_index() if key not in table.columns else table.reset_index(drop=True)


def read_table(io_sectors: pd.DataFrame, io_flows: pd.DataFrame, *, tolerance: float = 0.01,
               sectors: list[str] | None = None) -> tuple[list[str], np.ndarray, pd.DataFrame]:
    """Sector names, the flow matrix Z and the sector table, checked.

    Raises
    ------
    InputError
        A sector id not in ``sectors`` (default: the fixed list), a flow naming a sector missing
        from ``io_sectors``, or a row balance residual above ``tolerance``.
    """
    table = _frame(io_sectors, "sector")
    names = [str(s) for s in table["sector"]]
    allowed = known_sectors() if sectors is None else sectors
    for line, name in enumerate(names, start=2):
        if allowed and name not in allowed:
            raise InputError(f"unknown sector '{name}'; expected one of the fixed sector ids "
                             f"{allowed}", source="io_sectors", where=f"line {line}, column 'sector'")
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise InputError(f"sector '{dup}' appears twice", source="io_sectors", where="column 'sector'")
    index = {n: i for i, n in enumerate(names)}
    flows = _frame(io_flows, "from_sector")
    z = np.zeros((len(names), len(names)))
    for line, row in enumerate(flows.itertuples(index=False), start=2):
        for column in ("from_sector", "to_sector"):
            name = str(getattr(row, column))
            if name not in index:
                raise InputError(f"sector '{name}' is not a row of io_sectors {names}",
                                 source="io_flows", where=f"line {line}, column '{column}'")
        value = float(row.flow)
        if not np.isfinite(value) or value < 0:
            raise InputError(f"flow must be a finite number >= 0, got {value}", source="io_flows",
                             where=f"line {line}, column 'flow'")
        z[index[str(row.from_sector)], index[str(row.to_sector)]] += value
    x = table["total_output"].to_numpy(dtype=float)
    y = (table["local_final_demand"] + table["exports"] - table["imports"]).to_numpy(dtype=float)
    residual = x - z.sum(axis=1) - y
    scale = np.maximum(x, 1e-12)
    worst = int(np.argmax(np.abs(residual) / scale))
    if abs(residual[worst]) / scale[worst] > tolerance:
        raise InputError(
            f"sector '{names[worst]}': total output {x[worst]:g} differs from intermediate sales "
            f"{z[worst].sum():g} + local final demand + exports − imports ({y[worst]:g}) by "
            f"{residual[worst]:g} ({abs(residual[worst]) / scale[worst]:.2%} > balance_tolerance "
            f"{tolerance:.2%})", source="io_sectors", where=f"line {worst + 2}")
    return names, z, table


def crop_water(virtual_water: pd.DataFrame, component: str) -> float:
    """Crop water use in 10^8 m³/yr: blue (blue_mm × area_ha × 10 m³) or total (crop_water_use_m3)."""
    frame = _frame(virtual_water, "crop")
    if component == "blue":
        missing = [c for c in ("blue_mm", "area_ha") if c not in frame.columns or frame[c].isna().any()]
        if missing:
            raise InputError(f"crop_water_component 'blue' needs columns {missing} (or use 'total')",
                             source="virtual_water")
        m3 = float((frame["blue_mm"] * frame["area_ha"] * 10.0).sum())
    else:
        m3 = float(frame["crop_water_use_m3"].sum())
    return m3 / M3_PER_1E8M3


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Multipliers, embodied trade and the balance (and the crop-water check when given)."""
    names, z, table = read_table(inputs["io_sectors"], inputs["io_flows"],
                                 tolerance=float(inputs.get("balance_tolerance", 0.01)))
    x = table["total_output"].to_numpy(dtype=float)
    water = table["water_use"].to_numpy(dtype=float).copy()
    out: dict[str, Any] = {}
    if "virtual_water" in inputs:
        sector = str(inputs.get("agriculture_sector", "agriculture"))
        if sector not in names:
            raise InputError(f"agriculture_sector '{sector}' is not a sector of io_sectors {names}",
                             source="agriculture_sector")
        component = str(inputs.get("crop_water_component", "blue"))
        crops = crop_water(inputs["virtual_water"], component)
        i = names.index(sector)
        used = str(inputs.get("agriculture_water", "table"))
        out["crop_water_check"] = pd.DataFrame([{
            "sector": sector, "component": component, "table_water": water[i], "crop_water": crops,
            "ratio": water[i] / crops if crops > 0 else np.nan, "used": used}])
        if used == "crop_water":
            water[i] = crops
    a = k.technical_coefficients(z, x, names=names)
    leontief = k.leontief_inverse(a, names=names)
    extensions = np.vstack([water, table["co2"].to_numpy(dtype=float)])
    direct = k.intensities(extensions, x)
    total = k.multipliers(direct, leontief)
    local = table["local_final_demand"].to_numpy(dtype=float)
    exports = table["exports"].to_numpy(dtype=float)
    imports = table["imports"].to_numpy(dtype=float)
    out["multipliers"] = pd.DataFrame({
        "sector": names, "output_multiplier": leontief.sum(axis=0),
        "water_direct": direct[0] * WATER_INTENSITY_FACTOR, "water_total": total[0] * WATER_INTENSITY_FACTOR,
        "co2_direct": direct[1] * CO2_INTENSITY_FACTOR, "co2_total": total[1] * CO2_INTENSITY_FACTOR})
    in_exports = k.embodied_by_product(total, exports)
    in_imports = k.embodied_by_product(total, imports)
    origin = k.embodied_by_origin(direct, leontief, exports)
    out["embodied_trade"] = pd.DataFrame({
        "sector": names, "exports": exports, "imports": imports,
        "water_in_exports": in_exports[0], "water_in_imports": in_imports[0],
        "water_net_export": in_exports[0] - in_imports[0], "water_exported_from_sector": origin[0],
        "co2_in_exports": in_exports[1], "co2_in_imports": in_imports[1],
        "co2_net_export": in_exports[1] - in_imports[1], "co2_exported_from_sector": origin[1]})
    rows = []
    for j, (name, units) in enumerate((("water", "hundred_million * m**3/yr"), ("co2", "Mt/yr"))):
        direct_total = float(extensions[j].sum())
        in_local = float(total[j] @ local)
        exp_, imp_ = float(in_exports[j].sum()), float(in_imports[j].sum())
        rows.append({"extension": name, "units": units, "direct_total": direct_total,
                     "in_local_final_demand": in_local, "in_exports": exp_, "in_imports": imp_,
                     "net_export": exp_ - imp_, "consumption_based": direct_total - (exp_ - imp_),
                     "closure": direct_total - (in_local + exp_ - imp_)})
    out["embodied_balance"] = pd.DataFrame(rows)
    return out


def fixture() -> dict[str, pd.DataFrame]:
    """The shipped synthetic 9-sector Belt table (src/ecociv/data/industry/io_*.csv)."""
    folder = files("ecociv") / "data" / "industry"
    return {"io_sectors": pd.read_csv(str(folder / "io_sectors.csv")),
            "io_flows": pd.read_csv(str(folder / "io_flows.csv"))}


def example() -> dict[str, Any]:
    """The synthetic 9-sector Belt table (illustrative, not an observed input-output table)."""
    tables = fixture()
    keep = ["sector", "total_output", "local_final_demand", "exports", "imports", "water_use", "co2"]
    return {"io_sectors": tables["io_sectors"][keep], "io_flows": tables["io_flows"]}


MODEL = Model(spec=SPEC, run=run, example=example)
