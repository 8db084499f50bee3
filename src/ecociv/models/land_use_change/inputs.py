"""The inputs of ``land_use_change`` as arrays: class settings, the conversion matrix, zones
and the restriction bitmask of the automaton (which cells may not become which class)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from ecociv.errors import InputError
from ecociv.grid.spec import GridSpec
from ecociv.models.land_use_change.allocation import ALL_BITS, MAX_CLASSES

if TYPE_CHECKING:
    from ecociv.models.land_use_change.model import _Run

#: width (km) of the oasis–desert ecotone from which ``cropland_reduction`` with
#: ``where: ecotone`` takes cropland: cropland cells within this distance of unused land
#: (illustrative: a planner's choice, no published width was found)
ECOTONE_KM = 5.0


def output_years(value: Any, start: int, end: int) -> list[int]:
    """The years whose map is written: ``value`` (comma- or space-separated years, or a list),
    or by default those of :data:`~.spec.OUTPUT_YEARS` after ``start`` up to ``end``.

    Raises
    ------
    InputError
        A value that is not a year, a year outside ``start``..``end`` or outside
        :data:`~.spec.MAP_YEARS` (the error names the year and the range).
    """
    from ecociv.models.land_use_change.spec import MAP_YEARS, OUTPUT_YEARS

    if value is None or (isinstance(value, str) and not value.strip()):
        return [year for year in OUTPUT_YEARS if start < year <= end]
    parts = (list(value) if isinstance(value, (list, tuple))
             else str(value).strip().strip("[]()").replace(",", " ").split())
    years = []
    for part in parts:
        try:
            year = int(str(part).strip())
        except ValueError:
            raise InputError(f"expected years (e.g. 2030, 2035), got {part!r}",
                             source="output_years") from None
        if not start <= year <= end:
            raise InputError(f"year {year} is outside the simulated years {start}-{end} "
                             "(start_year to end_year)", source="output_years")
        if year not in MAP_YEARS:
            raise InputError(f"year {year}: maps can be written for the years "
                             f"{MAP_YEARS[0]}-{MAP_YEARS[-1]}", source="output_years")
        years.append(year)
    return sorted(set(years))


#: grassland in the Belt's classes: second in the default balancing order of the levers
GRASSLAND_CODE = 3


def balance_codes(inputs: Mapping[str, Any], codes: Sequence[int]) -> list[int]:
    """The classes that give the area levers add, in order (``balance_order``; default unused
    land, then grassland when the class table has code 3)."""
    text = inputs.get("balance_order")
    if text is None or not str(text).strip():
        unused = special_codes(inputs)[2]
        if GRASSLAND_CODE in codes and GRASSLAND_CODE != unused:
            return [unused, GRASSLAND_CODE]
        return [unused]
    return [list(codes)[i] for i in parse_codes(text, codes, "balance_order")]


def special_codes(inputs: Mapping[str, Any]) -> tuple[int, int, int]:
    """Codes of cropland, built-up land and unused land (Belt: 1, 5, 6)."""
    def get(name: str, default: int) -> int:
        value = inputs.get(name)
        return default if value is None else int(value)

    return get("cropland_code", 1), get("built_up_code", 5), get("unused_code", 6)


def class_settings(table: pd.DataFrame, seed_default: float
                   ) -> tuple[list[int], dict[int, str], NDArray[np.float64], NDArray[np.float64]]:
    """Codes (table order), names, neighbourhood weights and seed coefficients per class."""
    codes = [int(c) for c in table["lucode"]]
    if len(codes) > MAX_CLASSES:
        raise InputError(f"at most {MAX_CLASSES} classes are supported, the table has "
                         f"{len(codes)}", source="classes")
    name_column = next((c for c in ("name", "name_en") if c in table.columns), None)
    names = {code: (str(table[name_column].iloc[i]) if name_column is not None
                    and pd.notna(table[name_column].iloc[i]) else str(code))
             for i, code in enumerate(codes)}

    def column(name: str, default: float) -> NDArray[np.float64]:
        if name not in table.columns:
            return np.full(len(codes), default)
        return pd.to_numeric(table[name]).fillna(default).to_numpy(np.float64)

    return codes, names, column("neighbourhood_weight", 1.0), column("seed_coefficient",
                                                                     seed_default)


def parse_codes(text: Any, codes: Sequence[int], source: str) -> list[int]:
    """Class indices of a comma-separated list of codes (``""`` = none)."""
    if text is None or not str(text).strip():
        return []
    out = []
    for part in str(text).split(","):
        try:
            code = int(part.strip())
        except ValueError:
            raise InputError(f"expected comma-separated class codes, got {text!r}",
                             source=source) from None
        if code not in codes:
            raise InputError(f"class {code} is not in the class table (codes {list(codes)})",
                             source=source)
        out.append(list(codes).index(code))
    return out


def conversion_arrays(table: pd.DataFrame | None, codes: Sequence[int]
                      ) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Allowed conversions and costs (k × k, rows = from, columns = to) from the long table;
    pairs not listed are allowed at no cost; a class may always stay as it is."""
    k = len(codes)
    allowed = np.ones((k, k), bool)
    costs = np.zeros((k, k))
    if table is None:
        return allowed, costs
    index = {code: i for i, code in enumerate(codes)}
    for row, record in enumerate(table.to_dict("records"), start=1):
        ends = []
        for key in ("from_lucode", "to_lucode"):
            code = int(record[key])
            if code not in index:
                raise InputError(f"{key} {code} is not in the class table (codes {list(codes)})",
                                 source="conversion", where=f"row {row}")
            ends.append(index[code])
        a, b = ends
        allowed[a, b] = bool(record["allowed"])
        cost = record.get("conversion_cost")
        costs[a, b] = 0.0 if cost is None or pd.isna(cost) else float(cost)
    np.fill_diagonal(allowed, True)
    np.fill_diagonal(costs, 0.0)
    return allowed, costs


def zone_raster(inputs: Mapping[str, Any], grid: GridSpec, valid: NDArray[np.bool_], *,
                key: str = "zones", field: str = "zone_field"
                ) -> tuple[NDArray[np.int16] | None, list[str]]:
    """Zone index per cell (int16, -1 in no zone) and the zone names, from the ``zones``
    polygons (a cell belongs to the polygon containing its centre); None and ``["all"]``
    without zones. Polygons sharing a name form one zone; zones without a cell are dropped.
    ``key``/``field``: another polygon input and its name field (e.g. ``report_zones``)."""
    from ecociv.grid.burn import rasterize
    from ecociv.spec_blocks import zone_names

    layer = inputs.get(key)
    if layer is None:
        return None, ["all"]
    names = zone_names(layer, inputs.get(field), source=key)
    labels = list(dict.fromkeys(names))
    if "all" in labels:
        raise InputError("a zone may not be named 'all' (reserved for the whole region)",
                         source=key)
    shapes = [(geom, labels.index(name) + 1) for geom, name in zip(layer.geometry, names,
                                                                  strict=True)
              if geom is not None and not geom.is_empty]
    if not shapes:
        raise InputError("the zones layer has no polygons", source=key)
    burnt = rasterize(shapes, out_shape=grid.shape, transform=grid.transform, fill=0,
                      dtype="int32").astype(np.int64) - 1
    burnt[~valid] = -1
    present = np.unique(burnt[burnt >= 0])
    if present.size == 0:
        raise InputError("no zone covers a cell of the land-use map", source=key)
    if len(labels) > np.iinfo(np.int16).max:
        raise InputError(f"at most {np.iinfo(np.int16).max} zones", source=key)
    renumber = np.full(len(labels), -1, np.int64)
    renumber[present] = np.arange(present.size)
    zones = np.where(burnt >= 0, renumber[np.maximum(burnt, 0)], -1).astype(np.int16)
    return zones, [labels[i] for i in present]


def _inside(inputs: Mapping[str, Any], name: str) -> NDArray[np.bool_] | None:
    layer = inputs.get(name)
    if layer is None:
        return None
    return np.asarray(layer.values) == 1


def restriction_mask(inputs: Mapping[str, Any], cls: NDArray[np.int8], codes: Sequence[int],
                     prob: NDArray[np.float32], where_by_zone: Mapping[str, str],
                     run: _Run) -> NDArray[np.uint32] | None:
    """The restriction bitmask (bit k: the cell may not become class k; all bits: no change),
    or None when nothing is restricted.

    ``redline`` = 1: no change. ``basic_farmland`` = 1: cropland stays cropland. ``restricted``
    = 1: no change, or no conversion into ``restricted_to``. ``fixed_codes``: cells of these
    classes never change. ``cropland_reduction`` with ``where`` (per zone): cropland outside that
    area stays cropland (``low_suitability``: below the median cropland suitability of the
    zone's cropland; ``ecotone``: within :data:`ECOTONE_KM` of unused land; ``overdraft``:
    ``groundwater_overdraft`` > 0).
    """
    mask: NDArray[np.uint32] | None = None

    def add(cells: NDArray[np.bool_], bits: np.uint32) -> None:
        nonlocal mask
        if not cells.any():
            return
        if mask is None:
            mask = np.zeros(cls.shape, np.uint32)
        mask[cells] |= bits

    redline = _inside(inputs, "redline")
    if redline is not None:
        add(redline, ALL_BITS)
    cropland_code, _, unused = special_codes(inputs)
    crop = codes.index(cropland_code) if cropland_code in codes else None
    farmland = _inside(inputs, "basic_farmland")
    if farmland is not None and crop is not None:
        add(farmland & (cls == crop), ALL_BITS)
    user = _inside(inputs, "restricted")
    if user is not None:
        targets = parse_codes(inputs.get("restricted_to"), codes, "restricted_to")
        bits = ALL_BITS if not targets else np.uint32(sum(1 << t for t in targets))
        add(user, bits)
    fixed = parse_codes(inputs.get("fixed_codes"), codes, "fixed_codes")
    if fixed:
        add(np.isin(cls, np.asarray(fixed, np.int8)), ALL_BITS)
    if crop is not None:
        for label, where in where_by_zone.items():
            if where == "any":
                continue
            zone = (np.ones(cls.shape, bool) if label == "all" or run.zones is None
                    else run.zones == run.zone_labels.index(label))
            cropland = zone & (cls == crop)
            add(cropland & ~_where_area(inputs, where, cls, codes, prob[crop], cropland, run,
                                           unused),
                ALL_BITS)
    return mask


def _where_area(inputs: Mapping[str, Any], where: str, cls: NDArray[np.int8],
                codes: Sequence[int], suitability: NDArray[np.float32],
                cropland: NDArray[np.bool_], run: _Run, unused: int) -> NDArray[np.bool_]:
    from ecociv.models.land_use_change.drivers import distance_km

    if where == "low_suitability":
        if not cropland.any():
            return cropland
        return suitability < np.median(suitability[cropland])
    if where == "ecotone":
        if unused not in codes or not (cls == codes.index(unused)).any():
            raise InputError(f"cropland_reduction where 'ecotone' needs unused land (class "
                             f"{unused}) on the map", source="levers.cropland_reduction")
        return distance_km(cls == codes.index(unused), run.grid) <= ECOTONE_KM
    overdraft = inputs.get("groundwater_overdraft")
    if overdraft is None:
        raise InputError("cropland_reduction where 'overdraft' needs the groundwater_overdraft "
                         "raster", source="levers.cropland_reduction")
    return np.asarray(overdraft.values) > 0
