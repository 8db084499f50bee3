"""``eco_assessment`` — differentiated eco-civilisation performance assessment (差异化绩效考核).

Indicator values (a table and/or the outputs of other models, :mod:`.indicators`) form a matrix
unit × indicator; it is normalised and weighted (:mod:`.kernels`), each unit with the weights of
its zone type (:mod:`.zones`), and scored by weighted sum or TOPSIS. Method, equations and limits:
docs/eco_assessment.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.eco_assessment import data, indicators, kernels, zones
from ecociv.models.eco_assessment.spec import SPEC
from ecociv.spec import Model

TOLERANCE = 1e-6


def _line(frame: pd.DataFrame, position: int) -> str:
    lines = frame.attrs.get("lines")
    return f"line {int(lines[position])}" if lines is not None else f"row {position}"


# --- indicator system ---------------------------------------------------------------------------

def _system(given: pd.DataFrame | None) -> pd.DataFrame:
    frame = data.indicator_system() if given is None else given.copy()
    label = "indicator_system" if given is not None else "assessment_indicators.csv"
    known = set(data.categories()["category"])
    frame = frame.reset_index(drop=True)
    frame["indicator"] = frame["indicator"].astype(str).str.strip()
    for i, row in frame.iterrows():
        if row["direction"] not in ("+", "-"):
            raise InputError(f"direction {row['direction']!r}; expected '+' or '-'", source=label,
                             where=f"{_line(frame, int(i))}, column 'direction'")
        if row["category"] not in known:
            raise InputError(f"unknown category {row['category']!r}; expected one of {sorted(known)}",
                             source=label, where=f"{_line(frame, int(i))}, column 'category'")
    duplicated = frame["indicator"][frame["indicator"].duplicated()].tolist()
    if duplicated:
        raise InputError(f"indicator(s) {duplicated} listed twice", source=label)
    if "unit_of_measure" not in frame:
        frame["unit_of_measure"] = ""
    return frame.set_index("indicator")


def gdi_weights(system: pd.DataFrame, used: list[str]) -> np.ndarray:
    """GDI category weight (percent / 100) split equally among the category's indicators in
    ``used``; categories without an indicator drop out and the rest is renormalised to 1."""
    categories = data.categories().set_index("category")["weight_percent"] / 100.0
    cats = system.loc[used, "category"]
    counts = cats.value_counts()
    raw = np.array([categories[c] / counts[c] for c in cats], dtype=float)
    return raw / raw.sum()


# --- values ---------------------------------------------------------------------------------------

def _table_values(table: pd.DataFrame, system: pd.DataFrame) -> pd.DataFrame:
    frame = table.reset_index(drop=True)
    frame = frame.assign(unit=frame["unit"].astype(str).str.strip(),
                         indicator=frame["indicator"].astype(str).str.strip(), pos_=range(len(frame)))
    for row in frame.itertuples():
        if row.indicator not in system.index:
            raise InputError(f"unknown indicator {row.indicator!r}; the indicator system has "
                             f"{sorted(system.index)[:6]}… (see docs/eco_assessment.md)",
                             source="indicator_values", where=f"{_line(table, row.pos_)}, column 'indicator'")
        if "unit_of_measure" in frame and isinstance(row.unit_of_measure, str) and row.unit_of_measure.strip():
            expected = str(system.loc[row.indicator, "unit_of_measure"])
            if expected and row.unit_of_measure.strip() != expected:
                raise InputError(f"unit_of_measure {row.unit_of_measure!r} for {row.indicator}; "
                                 f"expected {expected!r}", source="indicator_values",
                                 where=f"{_line(table, row.pos_)}, column 'unit_of_measure'")
    if "year" not in frame:
        frame["year"] = 0
    frame["year"] = frame["year"].fillna(0)
    key = ["unit", "indicator", "year"]
    dup = frame[frame.duplicated(key, keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise InputError(f"unit {first['unit']} has two values of {first['indicator']} for the same "
                         f"year; give one", source="indicator_values",
                         where=f"{_line(table, int(dup['pos_'].iloc[1]))}")
    latest = frame.sort_values("year").groupby(["unit", "indicator"]).tail(1)
    source = latest["source"].fillna("").astype(str) if "source" in latest else pd.Series("", index=latest.index)
    origin = "table" + np.where(source.str.strip() != "", " (" + source.str.strip() + ")", "")
    return pd.DataFrame({"unit": latest["unit"], "indicator": latest["indicator"],
                         "value": latest["value"].astype(float), "origin": origin})


def _computed(inputs: Mapping[str, Any]) -> tuple[list[pd.DataFrame], dict[str, Any]]:
    frames: list[pd.DataFrame] = []
    context: dict[str, Any] = {"land": None, "overdraft": None, "esv": None}
    if inputs.get("deliveries") is not None:
        frames.append(indicators.from_deliveries(inputs["deliveries"]))
    if inputs.get("groundwater") is not None:
        by_unit = indicators.overdraft_by_unit(inputs["groundwater"], inputs.get("groundwater_units"))
        context["overdraft"] = by_unit
        frames.append(indicators.from_groundwater(by_unit))
    if inputs.get("intensities") is not None:
        frames.append(indicators.from_intensities(inputs["intensities"]))
    if inputs.get("emissions_by_unit") is not None:
        frames.append(indicators.from_emissions(inputs["emissions_by_unit"]))
    if inputs.get("area_by_class") is not None:
        land = indicators.land_use_changes(inputs["area_by_class"], indicators.DEFAULT_LUCODES)
        context["land"] = land
        frames.append(indicators.from_land_use(land))
    if inputs.get("redline_by_zone") is not None:
        frames.append(indicators.from_redline(inputs["redline_by_zone"]))
    if inputs.get("esv_by_unit") is not None:
        esv = indicators.esv_change(inputs["esv_by_unit"])
        context["esv"] = esv
        frames.append(indicators.from_esv(esv))
    return frames, context


def collect_values(inputs: Mapping[str, Any], system: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Long table (unit, indicator, value, origin): run outputs first, table values override."""
    frames, context = _computed(inputs)
    frames = [f for f in frames if len(f)]
    computed = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=indicators.ROW_COLUMNS)
    computed = computed[computed["indicator"].isin(system.index)]
    if inputs.get("indicator_values") is not None:
        table = _table_values(inputs["indicator_values"], system)
        keys = set(zip(table["unit"], table["indicator"], strict=True))
        overridden = [k in keys for k in zip(computed["unit"], computed["indicator"], strict=True)]
        computed = computed[~np.array(overridden, dtype=bool)] if len(computed) else computed
        computed = pd.concat([computed, table], ignore_index=True) if len(computed) else table
    if computed.empty:
        raise InputError("no indicator value: give indicator_values or outputs of other models "
                         "(deliveries, groundwater, intensities, emissions_by_unit, area_by_class, "
                         "redline_by_zone, esv_by_unit)", source="eco_assessment")
    return computed, context


def _matrix(values: pd.DataFrame, units: list[str], policy: str) -> tuple[pd.DataFrame, list[str]]:
    """Wide matrix unit × indicator after the missing-value policy, and notes on what it did."""
    wide = values.pivot_table(index="unit", columns="indicator", values="value", aggfunc="first")
    wide = wide.reindex(index=units)
    wide = wide.dropna(axis=1, how="all")
    notes: list[str] = []
    holes = wide.isna()
    if holes.to_numpy().any():
        pairs = [(u, i) for u in wide.index for i in wide.columns if holes.loc[u, i]]
        text = ", ".join(f"{u}/{i}" for u, i in pairs[:5]) + ("…" if len(pairs) > 5 else "")
        if policy == "error":
            raise InputError(f"{len(pairs)} missing value(s) (unit/indicator): {text}; give them, or "
                             "set missing to drop_indicator, drop_unit or worst",
                             source="eco_assessment", where="indicator values")
        if policy == "drop_indicator":
            dropped = [c for c in wide.columns if holes[c].any()]
            wide = wide.drop(columns=dropped)
            notes.append(f"dropped indicators {dropped}")
        elif policy == "drop_unit":
            dropped = [u for u in wide.index if holes.loc[u].any()]
            wide = wide.drop(index=dropped)
            notes.append(f"dropped units {dropped}")
    if wide.shape[0] < 2 or wide.shape[1] < 1:
        raise InputError(f"{wide.shape[0]} unit(s) and {wide.shape[1]} indicator(s) with complete "
                         "values; the assessment compares at least 2 units on at least 1 indicator",
                         source="eco_assessment", where=f"missing = {policy}")
    return wide, notes


def _fill_worst(wide: pd.DataFrame, benefit: np.ndarray) -> pd.DataFrame:
    worst = np.where(benefit, wide.min(axis=0).to_numpy(), wide.max(axis=0).to_numpy())
    return wide.fillna(pd.Series(worst, index=wide.columns))


# --- weights --------------------------------------------------------------------------------------

def _given_weights(table: pd.DataFrame | None, used: list[str]) -> np.ndarray:
    if table is None:
        raise InputError("weighting 'given' needs the indicator_weights_given table",
                         source="indicator_weights_given")
    given = dict(zip(table["indicator"].astype(str).str.strip(), table["weight"].astype(float), strict=True))
    unknown = sorted(set(given) - set(used))
    if unknown:
        raise InputError(f"weights for indicator(s) {unknown} that are not assessed; assessed: {used}",
                         source="indicator_weights_given", where="column 'indicator'")
    missing = [i for i in used if i not in given]
    if missing:
        raise InputError(f"no weight for assessed indicator(s) {missing}", source="indicator_weights_given",
                         where="column 'indicator'")
    weights = np.array([given[i] for i in used], dtype=float)
    if (weights < 0).any() or abs(weights.sum() - 1.0) > TOLERANCE:
        raise InputError(f"weights sum to {weights.sum():.6g}; expected non-negative weights summing "
                         f"to 1 (±{TOLERANCE:g})", source="indicator_weights_given", where="column 'weight'")
    return weights


def _emphasis(table: pd.DataFrame, system: pd.DataFrame) -> dict[str, dict[str, float]]:
    table = table.reset_index(drop=True)
    out: dict[str, dict[str, float]] = {zones.GENERAL: {}}
    for pos, row in table.iterrows():
        zone = str(row["zone_type"]).strip()
        indicator = str(row.get("indicator", "") or "").strip()
        if indicator in ("", "nan"):
            out.setdefault(zone, {})
            continue
        if indicator not in system.index:
            raise InputError(f"unknown indicator {indicator!r}", source="zone_weights",
                             where=f"{_line(table, int(pos))}, column 'indicator'")
        out.setdefault(zone, {})[indicator] = float(row["emphasis"])
    return out


# --- run ------------------------------------------------------------------------------------------

def _assessed_units(param: Any, values: pd.DataFrame, context: Mapping[str, Any]) -> list[str]:
    if param:
        return [u.strip() for u in str(param).split(",") if u.strip()]
    units = set(values["unit"])
    return sorted(u for u in units if u and u != indicators.ALL)


def _zone_table(units: list[str], inputs: Mapping[str, Any], context: Mapping[str, Any],
                known: set[str]) -> pd.DataFrame:
    overrides = None
    given = inputs.get("zone_type_overrides")
    if given is not None:
        given = given.reset_index(drop=True)
        overrides = {}
        for pos, row in given.iterrows():
            zone = str(row["zone_type"]).strip()
            if zone not in known:
                raise InputError(f"unknown zone type {zone!r}; expected one of {sorted(known)}",
                                 source="zone_type_overrides",
                                 where=f"{_line(given, int(pos))}, column 'zone_type'")
            overrides[str(row["unit"]).strip()] = zone
    precedence = [p.strip() for p in str(inputs.get("zone_precedence") or
                                          ",".join(zones.DEFAULT_PRECEDENCE)).split(",") if p.strip()]
    bad = [p for p in precedence if p not in zones.TYPES]
    if bad:
        raise InputError(f"unknown zone type(s) {bad}; expected {list(zones.TYPES)}",
                         source="zone_precedence")
    thresholds = {k: float(inputs.get(k, v) if inputs.get(k) is not None else v)
                  for k, v in zones.DEFAULTS.items()}
    return zones.classify(units, land=context["land"], overdraft=context["overdraft"], esv=context["esv"],
                          thresholds=thresholds, precedence=precedence, overrides=overrides)


def run(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Every table of :data:`SPEC` from checked inputs."""
    system = _system(inputs.get("indicator_system"))
    values, context = collect_values(inputs, system)
    units = _assessed_units(inputs.get("assessed_units"), values, context)
    policy = str(inputs.get("missing") or "error")
    wide, _notes = _matrix(values[values["unit"].isin(units)], units, policy)
    used = [str(c) for c in wide.columns]
    benefit = (system.loc[used, "direction"] == "+").to_numpy()
    if policy == "worst":
        wide = _fill_worst(wide, benefit)
    x = wide.to_numpy(float)
    normalisation = str(inputs.get("normalisation") or "minmax")
    norm = kernels.minmax(x, benefit) if normalisation == "minmax" else kernels.zscore(x, benefit)
    entropy, w_entropy = kernels.entropy_weights(kernels.minmax(x, benefit))
    w_gdi = gdi_weights(system, used)
    weighting = str(inputs.get("weighting") or "gdi")
    if weighting == "gdi":
        base = w_gdi
    elif weighting == "entropy":
        base = w_entropy
    elif weighting == "combined":
        product = w_gdi * w_entropy
        base = product / product.sum() if product.sum() > 0 else w_gdi
    else:
        base = _given_weights(inputs.get("indicator_weights_given"), used)
    emphasis_table = inputs.get("zone_weights")
    emphasis = _emphasis(data.zone_weights() if emphasis_table is None else emphasis_table, system)
    zone_frame = _zone_table(list(wide.index), inputs, context, set(emphasis))
    zone_of = dict(zip(zone_frame["unit"], zone_frame["zone_type"], strict=True))
    zone_w: dict[str, np.ndarray] = {}
    factors: dict[str, np.ndarray] = {}
    for zone in emphasis:
        factors[zone] = np.array([emphasis[zone].get(i, 1.0) for i in used])
        raw = base * factors[zone]
        zone_w[zone] = raw / raw.sum() if raw.sum() > 0 else base
    unit_w = np.vstack([zone_w[zone_of[u]] for u in wide.index])
    weighted = (unit_w * norm).sum(axis=1)
    aggregation = str(inputs.get("aggregation") or "weighted_sum")
    score = kernels.topsis(x, benefit, unit_w) if aggregation == "topsis" else weighted
    method = f"{normalisation}/{weighting}/{aggregation}"
    scores = pd.DataFrame({"unit": wide.index, "zone_type": [zone_of[u] for u in wide.index],
                           "score": score, "method": method, "weighted_sum": weighted,
                           "indicators_used": len(used)})
    scores["rank"] = scores["score"].rank(ascending=False, method="min").astype(int)
    scores["rank_in_zone_type"] = scores.groupby("zone_type")["score"].rank(
        ascending=False, method="min").astype(int)
    scores = scores.sort_values(["rank", "unit"])[[c.id for c in SPEC.output("scores").columns]]  # type: ignore[union-attr]
    origin = {(r.unit, r.indicator): r.origin for r in values.itertuples()}
    contributions = pd.DataFrame([
        {"unit": u, "indicator": ind, "category": system.loc[ind, "category"], "value": x[i, j],
         "weight": unit_w[i, j], "normalised": norm[i, j], "contribution": unit_w[i, j] * norm[i, j],
         "origin": origin.get((u, ind), f"missing: filled with the worst observed value ({policy})")}
        for i, u in enumerate(wide.index) for j, ind in enumerate(used)])
    weights = pd.DataFrame([
        {"zone_type": zone, "indicator": ind, "category": system.loc[ind, "category"],
         "direction": system.loc[ind, "direction"], "gdi_weight": w_gdi[j], "entropy": entropy[j],
         "entropy_weight": w_entropy[j], "base_weight": base[j], "emphasis": factors[zone][j],
         "weight": zone_w[zone][j]}
        for zone in emphasis for j, ind in enumerate(used)])
    return {"scores": scores.reset_index(drop=True), "contributions": contributions,
            "zone_types": zone_frame, "indicator_weights": weights}


def example() -> dict[str, Any]:
    """Four hypothetical units (illustrative numbers, not Belt data): a small land-use run
    (unit B's cropland grows 10 %, unit C loses 8 % of its ecological land), groundwater with
    unit A overdrawn (ratio 0.5) and a table of two GDI indicators."""
    area = pd.DataFrame(
        [(year, unit, code, area) for unit, rows in {
            "A": ((100, 100), (50, 50), (300, 300), (10, 10), (20, 20)),
            "B": ((100, 110), (50, 50), (300, 295), (10, 10), (20, 25)),
            "C": ((100, 100), (50, 46), (300, 276), (10, 10), (20, 48)),
            "D": ((100, 101), (50, 51), (300, 300), (10, 10), (20, 20))}.items()
         for code, pair in enumerate(rows, start=1) for year, area in zip((2020, 2035), pair, strict=True)],
        columns=["year", "zone", "lucode", "area_km2"])
    groundwater = pd.DataFrame({"year": [2020] * 4, "aquifer": ["a", "b", "c", "d"],
                                "unit": ["A", "B", "C", "D"], "pumping_m3": [1.5e8, 1.1e8, 0.9e8, 1.0e8],
                                "allowable_abstraction_m3": [1e8] * 4,
                                "overdraft_m3": [0.5e8, 0.1e8, 0.0, 0.0]})
    table = pd.DataFrame({"unit": list("ABCD") * 2,
                          "indicator": ["good_air_days_pct"] * 4 + ["tertiary_share_pct"] * 4,
                          "value": [80.0, 75.0, 90.0, 70.0, 55.0, 40.0, 35.0, 60.0],
                          "source": "illustrative"})
    return {"indicator_values": table, "area_by_class": area, "groundwater": groundwater}


MODEL = Model(spec=SPEC, run=run, example=example)
