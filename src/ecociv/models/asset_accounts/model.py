"""``asset_accounts`` — SEEA-style physical asset accounts of land (between two maps) and of
water rights (from a table), per unit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.grid.io import from_array, grid_of_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.asset_accounts.spec import (
    DEFAULT_ASSETS,
    NO_DATA,
    OTHER_ASSET,
    SPEC,
    WATER_DELIVERED,
    WATER_RIGHTS,
)
from ecociv.models.eco_compensation.kernels import parse_mapping, transitions_by_zone
from ecociv.models.eco_compensation.zoning import (
    cell_area_ha,
    check_same_grid,
    codes_of,
    zone_numbers,
)
from ecociv.spec import Model

KM2_PER_HA = 0.01


def asset_index(codes: np.ndarray, assets: Mapping[str, list[int]]) -> tuple[np.ndarray, list[str]]:
    """Asset number of every cell and the asset names: the assets in order, then
    ``other_land`` (codes in no asset) and ``no_data`` (NaN cells)."""
    names = [*assets, OTHER_ASSET, NO_DATA]
    lookup_codes: list[int] = []
    lookup_assets: list[int] = []
    for position, codes_of_asset in enumerate(assets.values()):
        for code in codes_of_asset:
            if code in lookup_codes:
                raise InputError(f"code {code} is in two assets", source="parameter 'assets'")
            lookup_codes.append(code)
            lookup_assets.append(position)
    order = np.argsort(lookup_codes)
    keys = np.array(lookup_codes, dtype=np.float64)[order]
    targets = np.array(lookup_assets, dtype=np.int64)[order]
    valid = ~np.isnan(codes)
    out = np.full(codes.shape, len(assets), dtype=np.int64)      # other_land
    if keys.size:
        where = np.clip(np.searchsorted(keys, np.where(valid, codes, keys[0])), 0, keys.size - 1)
        hit = valid & (keys[where] == codes)
        out[hit] = targets[where[hit]]
    out[~valid] = len(assets) + 1                                  # no_data
    return out, names


def land_accounts(matrix: np.ndarray, units: list[str], assets: list[str]
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accounts and transitions from the per-unit transition matrices (km²), shape (n, A, A)
    with ``[z, i, j]`` the area of unit z in asset i at opening and j at closing."""
    n, size, _ = matrix.shape
    diagonal = np.einsum("zii->zi", matrix)
    opening = matrix.sum(axis=2)
    closing = matrix.sum(axis=1)
    accounts = pd.DataFrame({
        "unit": np.repeat(units, size), "asset": np.tile(assets, n),
        "opening": opening.ravel(), "additions": (closing - diagonal).ravel(),
        "reductions": (opening - diagonal).ravel(), "closing": closing.ravel(), "units": "km2"})
    z, i, j = np.nonzero(matrix + np.transpose(matrix, (0, 2, 1)))
    off = i != j
    z, i, j = z[off], i[off], j[off]
    transitions = pd.DataFrame({
        "unit": np.asarray(units)[z], "asset": np.asarray(assets)[i],
        "counterpart": np.asarray(assets)[j],
        "additions_from_km2": matrix[z, j, i], "reductions_to_km2": matrix[z, i, j]})
    return accounts, transitions


def yearly_deliveries(deliveries: pd.DataFrame) -> pd.DataFrame:
    """water_allocation's monthly deliveries summed per unit and year (m³/yr)."""
    month = deliveries["month"].astype(str).str.strip()
    bad = ~month.str.fullmatch(r"\d{4}-\d{2}")
    if bad.any():
        row = int(np.argmax(bad.to_numpy()))
        raise InputError(f"month {month.iloc[row]!r} is not YYYY-MM", source="deliveries",
                         where=f"row {row + 1}")
    frame = pd.DataFrame({"unit": deliveries["unit"].astype(str).str.strip(),
                          "year": month.str[:4].astype(int),
                          "annual_volume_m3": deliveries["delivered_m3"].astype(float)})
    return frame.groupby(["unit", "year"], as_index=False)["annual_volume_m3"].sum()


def water_accounts(table: pd.DataFrame, units: list[str], opening_year: int | None,
                   closing_year: int | None, asset: str = WATER_RIGHTS,
                   source: str = "water_rights") -> pd.DataFrame:
    """Water-rights account per unit (m³/yr) between the opening and the closing year (default:
    the table's first and last years)."""
    years = table["year"].astype(int)
    first = int(years.min()) if opening_year is None else int(opening_year)
    last = int(years.max()) if closing_year is None else int(closing_year)
    for label, year in (("opening_year", first), ("closing_year", last)):
        if not (years == year).any():
            raise InputError(f"no row for the {label.replace('_', ' ')} {year} (years: "
                             f"{sorted(set(years))})", source=source)
    volume = table["annual_volume_m3"].astype(float)
    if (volume < 0).any() or volume.isna().any():
        row = int(np.argmax((volume < 0) | volume.isna()))
        raise InputError("annual_volume_m3 must be a number >= 0", source=source,
                         where=f"row {row + 1}")
    unit = table["unit"].astype(str).str.strip()
    sums = volume.groupby([unit, years]).sum()
    names = [u for u in units if u in set(unit)] + sorted(set(unit) - set(units))
    opening = np.array([sums.get((u, first), 0.0) for u in names])
    closing = np.array([sums.get((u, last), 0.0) for u in names])
    change = closing - opening
    return pd.DataFrame({"unit": names, "asset": asset, "opening": opening,
                         "additions": np.maximum(change, 0.0),
                         "reductions": np.maximum(-change, 0.0), "closing": closing,
                         "units": "m3/yr", "opening_year": first, "closing_year": last})


def run(inputs: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The asset accounts and land transitions per unit."""
    opening_map, closing_map = inputs["land_use"], inputs["land_use_closing"]
    check_same_grid(opening_map, closing_map, "land_use_closing", "land_use")
    grid = grid_of_array(opening_map)
    assets = parse_mapping(inputs.get("assets") or DEFAULT_ASSETS, "parameter 'assets'")
    before, names = asset_index(codes_of(opening_map), assets)
    after, _ = asset_index(codes_of(closing_map), assets)
    zone, units = zone_numbers(inputs.get("zones"), inputs.get("zone_field"), grid)
    area = cell_area_ha(grid, opening_map)
    matrix = transitions_by_zone(zone, before, after, area, len(units), len(names))[1:] * KM2_PER_HA
    accounts, transitions = land_accounts(matrix, units, names)
    opening_year, closing_year = inputs.get("opening_year"), inputs.get("closing_year")
    accounts["opening_year"] = pd.array([opening_year] * len(accounts), dtype="Int64")
    accounts["closing_year"] = pd.array([closing_year] * len(accounts), dtype="Int64")
    tables = []
    if inputs.get("water_rights") is not None:
        tables.append(water_accounts(inputs["water_rights"], units, opening_year, closing_year))
    if inputs.get("deliveries") is not None:
        tables.append(water_accounts(yearly_deliveries(inputs["deliveries"]), units, opening_year,
                                     closing_year, WATER_DELIVERED, "deliveries"))
    for water in tables:
        accounts = pd.concat([accounts, water.astype({"opening_year": "Int64",
                                                      "closing_year": "Int64"})],
                             ignore_index=True)
    return {"asset_accounts": accounts, "asset_transitions": transitions}


def example() -> dict[str, Any]:
    """3×3 cells of 100 m (1 ha): two cropland cells become built-up, one grassland cell
    becomes cropland; water rights of one unit fall from 100 to 80 m³/yr."""
    from affine import Affine

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(100.0, 0, 0, 0, -100.0, 300.0), (3, 3))
    opening = np.array([[1, 1, 3], [1, 3, 3], [4, 2, 6]])
    closing = np.array([[5, 5, 3], [1, 1, 3], [4, 2, 6]])
    return {
        "land_use": from_array(opening, grid, name="land_use", units=None),
        "land_use_closing": from_array(closing, grid, name="land_use_closing", units=None),
        "opening_year": 2019, "closing_year": 2035,
        "water_rights": pd.DataFrame({"unit": ["all", "all"], "year": [2019, 2035],
                                      "annual_volume_m3": [100.0, 80.0]}),
    }


MODEL = Model(spec=SPEC, run=run, example=example)
