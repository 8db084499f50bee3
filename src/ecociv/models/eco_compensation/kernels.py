"""Kernels of ``eco_compensation`` and ``asset_accounts``: pure numpy on arrays and tables.

Per-zone totals are one ``numpy.bincount`` over a combined (zone, class) index: no loop over
cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.eco_compensation.spec import NO_SERVICE_TYPE, SERVICES


def parse_services(text: str | None) -> tuple[str, ...]:
    """The services named in a comma-separated list (all 11 when empty).

    Raises
    ------
    InputError
        Naming an unknown service and the known ones.
    """
    if text is None or not str(text).strip():
        return SERVICES
    names = tuple(part.strip() for part in str(text).split(",") if part.strip())
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise InputError(f"unknown service {unknown[0]!r}; expected some of {list(SERVICES)}",
                         source="parameter 'services'")
    return names


def service_values(mapping: pd.DataFrame, equivalents: pd.DataFrame, services: Sequence[str],
                   equivalent_value: float, correction: float = 1.0) -> dict[int, np.ndarray]:
    r"""Value of each service per ha of each land-use code.

    Parameters
    ----------
    mapping : DataFrame
        ``lucode``, ``ecosystem_type`` (a row of ``equivalents`` or ``"none"``) and optional
        ``share`` (default 1; the shares of a code sum to 1).
    equivalents : DataFrame
        ``ecosystem_type`` and one column of equivalents per ha for each service.
    services : sequence of str
        Services to value (columns of ``equivalents``).
    equivalent_value : float
        Value of one standard equivalent, yuan/ha/yr (≥ 0).
    correction : float
        Regional multiplier of the equivalents (> 0, dimensionless).

    Returns
    -------
    dict of int to ndarray
        For each code, the value of each service in ``services`` order, yuan/ha/yr.

    Notes
    -----
    :math:`v_{c,s} = E \, k \sum_t w_{c,t}\, e_{t,s}`, with :math:`e_{t,s}` the equivalents of
    type :math:`t` for service :math:`s` (Xie et al. 2015, Table 3), :math:`w_{c,t}` the share of
    code :math:`c` of type :math:`t`, :math:`E` the value of one equivalent and :math:`k` the
    regional correction.
    """
    if not np.isfinite(equivalent_value) or equivalent_value < 0:
        raise InputError(f"the value of one equivalent must be a number >= 0 yuan/ha, got "
                         f"{equivalent_value}", source="parameter 'equivalent_value'")
    if not np.isfinite(correction) or correction <= 0:
        raise InputError(f"the regional correction must be > 0, got {correction}",
                         source="parameter 'regional_correction'")
    missing = [s for s in services if s not in equivalents.columns]
    if missing:
        raise InputError(f"column {missing[0]!r} is missing (service asked for)",
                         source="equivalents")
    types = equivalents["ecosystem_type"].astype(str).str.strip()
    if types.duplicated().any():
        raise InputError(f"ecosystem type {types[types.duplicated()].iloc[0]!r} appears twice",
                         source="equivalents")
    table = equivalents[list(services)].to_numpy(dtype=np.float64)
    if np.isnan(table).any():
        row, col = np.argwhere(np.isnan(table))[0]
        raise InputError("empty equivalent", source="equivalents",
                         where=f"type {types.iloc[row]!r}, column {services[col]!r}")
    by_type = dict(zip(types, table, strict=True))
    shares = (mapping["share"].fillna(1.0).to_numpy(dtype=np.float64) if "share" in mapping
              else np.ones(len(mapping)))
    values: dict[int, np.ndarray] = {}
    totals: dict[int, float] = {}
    for code, kind, share in zip(mapping["lucode"].astype(int), mapping["ecosystem_type"].astype(str),
                                 shares, strict=True):
        kind = kind.strip()
        if kind == NO_SERVICE_TYPE:
            row = np.zeros(len(services))
        elif kind in by_type:
            row = by_type[kind]
        else:
            raise InputError(f"ecosystem type {kind!r} is not in the equivalents table (types: "
                             f"{sorted(by_type)}, or '{NO_SERVICE_TYPE}')", source="class_mapping",
                             where=f"lucode {code}")
        values[code] = values.get(code, np.zeros(len(services))) + share * row
        totals[code] = totals.get(code, 0.0) + share
    for code, total in totals.items():
        if abs(total - 1.0) > 1e-6:
            raise InputError(f"the shares of lucode {code} sum to {total:g}, expected 1",
                             source="class_mapping")
    factor = equivalent_value * correction
    return {code: row * factor for code, row in values.items()}


def class_index(codes: np.ndarray, known: np.ndarray, label: str) -> np.ndarray:
    """Position of each cell's code in ``known`` (sorted codes); -1 for nodata (NaN).

    Raises
    ------
    InputError
        When a cell holds a code not in ``known``, naming the code and a cell.
    """
    flat = np.asarray(codes, dtype=np.float64)
    valid = ~np.isnan(flat)
    position = np.searchsorted(known, np.where(valid, flat, known[0]))
    position = np.clip(position, 0, known.size - 1)
    bad = valid & (known[position] != flat)
    if bad.any():
        row, col = np.argwhere(bad)[0] if bad.ndim == 2 else (0, int(np.argmax(bad)))
        raise InputError(f"code {flat[bad][0]:g} is not in the class mapping (codes: "
                         f"{[int(k) for k in known]})", source=label,
                         where=f"cell (row {row}, col {col})")
    return np.where(valid, position, -1).astype(np.int64)


def area_by_zone_and_class(zone: np.ndarray, klass: np.ndarray, weight: np.ndarray,
                           n_zones: int, n_classes: int) -> np.ndarray:
    """Sum of ``weight`` per (zone, class): shape (n_zones + 1, n_classes); zone 0 = outside.

    Cells with class -1 (nodata) or a NaN weight are skipped.
    """
    keep = (klass >= 0) & ~np.isnan(weight)
    index = zone[keep].astype(np.int64) * n_classes + klass[keep]
    sums = np.bincount(index, weights=weight[keep], minlength=(n_zones + 1) * n_classes)
    return sums.reshape(n_zones + 1, n_classes)


def transitions_by_zone(zone: np.ndarray, before: np.ndarray, after: np.ndarray,
                        weight: np.ndarray, n_zones: int, n_classes: int) -> np.ndarray:
    """Area moving from each class to each class per zone: shape (n_zones + 1, K, K) with
    ``[z, i, j]`` the weight of cells of zone ``z`` in class ``i`` before and ``j`` after.
    Cells that are nodata in either map are skipped."""
    keep = (before >= 0) & (after >= 0) & ~np.isnan(weight)
    index = (zone[keep].astype(np.int64) * n_classes + before[keep]) * n_classes + after[keep]
    sums = np.bincount(index, weights=weight[keep], minlength=(n_zones + 1) * n_classes ** 2)
    return sums.reshape(n_zones + 1, n_classes, n_classes)


def spillover(esv: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Reference value and surplus (spill-over) of each unit.

    Parameters
    ----------
    esv : ndarray
        ESV of each unit, yuan/yr.
    basis : ndarray
        Area (km²) or population of each unit (> 0 in total).

    Returns
    -------
    reference, surplus : ndarray
        :math:`R_i = b_i \sum_j V_j / \sum_j b_j` and :math:`S_i = V_i - R_i` (yuan/yr);
        :math:`\sum_i S_i = 0`. A unit with :math:`S_i > 0` supplies services beyond its share
        (source), one with :math:`S_i < 0` uses more than it supplies (receiver): the
        surplus/deficit approach of the ecological footprint (Wackernagel & Rees 1996) applied to
        ESV (Huang, Li & Xu 2021).
    """
    total = float(np.sum(basis))
    if total <= 0:
        raise InputError("the units' total area or population is 0: no reference value",
                         source="zones")
    reference = basis * (float(np.sum(esv)) / total)
    return reference, esv - reference


def compensation_range(surplus: np.ndarray, opportunity_cost: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status and compensation range of each unit.

    Sources (surplus > 0) receive between their opportunity cost (low) and their spill-over
    (high; the opportunity cost when it is larger). Receivers pay the sources' totals of low and
    high in proportion to their deficits, so payments equal receipts at both ends.

    Returns
    -------
    status : ndarray of str
        ``"source"`` or ``"receiver"``.
    low, high : ndarray
        yuan/yr, 0 <= low <= high.
    """
    source = surplus > 0
    low = np.where(source, opportunity_cost, 0.0)
    high = np.where(source, np.maximum(surplus, opportunity_cost), 0.0)
    deficit = np.where(source, 0.0, -surplus)
    total_deficit = float(deficit.sum())
    if total_deficit > 0:
        share = deficit / total_deficit
        low = np.where(source, low, share * float(low[source].sum()))
        high = np.where(source, high, share * float(high[source].sum()))
    status = np.where(source, "source", "receiver")
    return status, low, high


def parse_mapping(text: str | Mapping[str, object], source: str) -> dict[str, list[int]]:
    """``"cultivated_land:1,forest:2 3"`` (or a mapping) -> {"cultivated_land": [1], "forest": [2, 3]}."""
    if isinstance(text, Mapping):
        items = [(str(k), str(v)) for k, v in text.items()]
    else:
        items = []
        for part in str(text).split(","):
            if not part.strip():
                continue
            name, sep, codes = part.partition(":")
            if not sep:
                raise InputError(f"{part.strip()!r} is not 'asset:code code ...'", source=source)
            items.append((name, codes))
    out: dict[str, list[int]] = {}
    for name, codes in items:
        try:
            out[name.strip()] = [int(c) for c in codes.replace(";", " ").split()]
        except ValueError:
            raise InputError(f"codes of {name.strip()!r} are not integers: {codes!r}",
                             source=source) from None
    return out
