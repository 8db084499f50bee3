"""``rights_market`` — clearing of emission-rights, carbon and water-rights markets (交易市场出清).

Participants, caps and cost curves are read and checked here; the clearing itself is
:func:`ecociv.models.rights_market.kernels.clear`. One market per ``market`` and zone group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ecociv.errors import InputError
from ecociv.models.rights_market import kernels, water
from ecociv.models.rights_market.spec import RULES, SPEC
from ecociv.models.rights_market.tables import text as _text
from ecociv.models.rights_market.tables import where as _where
from ecociv.models.total_load_allocation.kernels import gini
from ecociv.spec import Model
from ecociv.units import ureg

MARKETS = ("SO2", "NOx", "PM", "VOCs", "CO2", "COD", "NH3-N", "water")
ALL = "all"


def _columns(output: str) -> list[str]:
    return [c.id for c in SPEC.output(output).columns]  # type: ignore[union-attr]


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def _participants(frame: pd.DataFrame, zones: pd.DataFrame | None) -> pd.DataFrame:
    out = pd.DataFrame({c: _text(frame, c) for c in ("participant", "market", "unit", "sector",
                                                     "zone_group")})
    for column in ("baseline", "allocation", "output", "mac_intercept", "mac_slope", "max_abatement"):
        out[column] = _number(frame, column)
    out.attrs = frame.attrs
    bad = ~out["market"].isin(MARKETS)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"unknown market {out['market'].iloc[position]!r}; expected one of "
                         f"{', '.join(MARKETS)}", source="participants", where=_where(out, position))
    twice = out.duplicated(["participant", "market"])
    if twice.any():
        position = int(np.flatnonzero(twice.to_numpy())[0])
        raise InputError(f"participant {out['participant'].iloc[position]!r} appears twice in market "
                         f"{out['market'].iloc[position]}", source="participants",
                         where=_where(out, position))
    if zones is not None:
        by_unit = dict(zip(_text(zones, "unit"), _text(zones, "zone_group"), strict=True))
        empty = out["zone_group"] == ""
        out.loc[empty, "zone_group"] = out.loc[empty, "unit"].map(by_unit).fillna("")
    out.loc[out["zone_group"] == "", "zone_group"] = ALL
    return out


def participants_from_emissions(emissions: pd.DataFrame, year: int | None,
                                curve: pd.DataFrame | None) -> pd.DataFrame:
    """One participant per unit, sector and pollutant emitting in ``year`` (default: the
    inventory's latest), baseline = its emission, t/yr. A unit and sector with no step of its
    pollutant in ``curve`` gets no abatement potential (``max_abatement`` 0): it can only buy."""
    years = pd.to_numeric(emissions["year"], errors="coerce")
    chosen = int(years.max()) if year is None else int(year)
    rows = emissions[years == chosen]
    if rows.empty:
        have = ", ".join(str(int(y)) for y in sorted(years.dropna().unique()))
        raise InputError(f"emissions has no row for year {chosen} (its years: {have})",
                         source="emissions_year")
    totals = (rows.assign(unit=_text(rows, "unit"), sector=_text(rows, "sector"),
                          pollutant=_text(rows, "pollutant"))
              .groupby(["pollutant", "unit", "sector"], sort=True)["emission_t"].sum())
    totals = totals[totals > 0]
    out = pd.DataFrame({"participant": [f"{u}/{s}" for _, u, s in totals.index],
                        "market": [p for p, _, _ in totals.index],
                        "unit": [u for _, u, _ in totals.index],
                        "sector": [s for _, _, s in totals.index],
                        "baseline": totals.to_numpy(dtype=float)})
    stepped: set[tuple[str, str, str]] = set()
    if curve is not None:
        shown = curve
        if "year" in curve.columns and curve["year"].notna().any():
            shown = curve[pd.to_numeric(curve["year"], errors="coerce") == chosen]
            if shown.empty:
                shown = curve[curve["year"] == curve["year"].max()]
        stepped = set(zip(_text(shown, "pollutant"), _text(shown, "unit"), _text(shown, "sector"),
                          strict=True))
    no_steps = [(m, u, s) not in stepped for m, u, s in zip(out["market"], out["unit"],
                                                             out["sector"], strict=True)]
    out["mac_intercept"] = np.where(no_steps, 0.0, np.nan)
    out["mac_slope"] = np.where(no_steps, 1.0, np.nan)
    out["max_abatement"] = np.where(no_steps, 0.0, np.nan)
    return out


def _steps(group: pd.DataFrame, curve: pd.DataFrame | None, year: int | None) -> tuple[np.ndarray, ...]:
    """Step owners, costs and widths of the stepwise participants of one market."""
    owners: list[np.ndarray] = []
    costs: list[np.ndarray] = []
    widths: list[np.ndarray] = []
    stepwise = np.flatnonzero(np.isnan(group["mac_slope"].to_numpy()))
    if len(stepwise) == 0:
        return np.zeros(0, int), np.zeros(0), np.zeros(0)
    if curve is None:
        position = int(stepwise[0])
        raise InputError(f"participant {group['participant'].iloc[position]!r} has no mac_slope and "
                         "no mac_curve table was given: give mac_intercept and mac_slope (quadratic "
                         "cost) or the stepwise curve (e.g. @pollution_control.mac_curve)",
                         source="participants", where=_where(group, position))
    curve = curve.copy()
    if "year" in curve.columns and curve["year"].notna().any():
        chosen = int(curve["year"].max()) if year is None else int(year)
        curve = curve[curve["year"] == chosen]
    for position in (int(k) for k in stepwise):
        row = group.iloc[position]
        match = (_text(curve, "pollutant") == row["market"]) & (_text(curve, "unit") == row["unit"])
        if row["sector"] and "sector" in curve.columns:
            match &= _text(curve, "sector") == row["sector"]
        steps = curve[match].sort_values("unit_cost")
        if steps.empty:
            raise InputError(f"participant {row['participant']!r} ({row['market']}, unit "
                             f"{row['unit'] or '-'}, sector {row['sector'] or '-'}) has no "
                             "mac_slope and no step in mac_curve", source="participants",
                             where=_where(group, position))
        owners.append(np.full(len(steps), position))
        costs.append(steps["unit_cost"].to_numpy(dtype=float))
        widths.append(steps["abatement_t"].to_numpy(dtype=float))
    return np.concatenate(owners), np.concatenate(costs), np.concatenate(widths)


def _curves(group: pd.DataFrame, curve: pd.DataFrame | None, year: int | None) -> kernels.Curves:
    baseline = group["baseline"].to_numpy()
    slope = group["mac_slope"].to_numpy()
    owner, cost, width = _steps(group, curve, year)
    potential = np.where(np.isnan(slope), np.bincount(owner, weights=width, minlength=len(group)),
                         baseline)
    given = group["max_abatement"].to_numpy()
    upper = np.minimum(np.where(np.isnan(given), potential, np.minimum(given, potential)), baseline)
    return kernels.Curves(alpha=np.nan_to_num(group["mac_intercept"].to_numpy()),
                          beta=np.nan_to_num(slope), upper=upper, step_owner=owner.astype(int),
                          step_cost=cost, step_width=width)


def _cap(caps: pd.DataFrame | None, market: str, zone: str, zones_of_market: list[str]) -> float:
    if caps is None:
        raise InputError(f"market {market}: allocation rules other than 'given' need the caps "
                         "table (rights issued per market and zone group)", source="caps")
    rows = caps[(_text(caps, "market") == market)
                & (_text(caps, "zone_group").replace("", ALL) == zone)]
    if rows.empty and len(zones_of_market) == 1:
        rows = caps[(_text(caps, "market") == market) & (_text(caps, "zone_group").isin(["", ALL]))]
    if len(rows) != 1:
        what = "no row" if rows.empty else f"{len(rows)} rows"
        raise InputError(f"market {market}, zone group {zone}: caps has {what}; give one cap per "
                         f"market and zone group (the market's groups: {', '.join(zones_of_market)})",
                         source="caps")
    return float(rows["rights_issued"].iloc[0])


def allocate(rule: str, group: pd.DataFrame, cap: float | None, benchmark_share: float) -> np.ndarray:
    """Rights of each participant before trading under ``rule`` (auction: none)."""
    baseline = group["baseline"].to_numpy()
    if rule == "given":
        given = group["allocation"].to_numpy()
        if np.isnan(given).any():
            position = int(np.flatnonzero(np.isnan(given))[0])
            raise InputError(f"participant {group['participant'].iloc[position]!r} has no allocation "
                             "(allocation_rule 'given' needs one for every participant)",
                             source="participants", where=_where(group, position))
        return given
    assert cap is not None
    if rule == "auction":
        return np.zeros(len(group))
    if rule == "grandfathering":
        total = baseline.sum()
        return cap * baseline / total if total > 0 else np.zeros(len(group))
    output = group["output"].to_numpy()
    if np.isnan(output).any() or (group["sector"] == "").any():
        bad = np.isnan(output) | (group["sector"] == "").to_numpy()
        position = int(np.flatnonzero(bad)[0])
        raise InputError(f"participant {group['participant'].iloc[position]!r} needs sector and "
                         "output for allocation_rule 'benchmarking'", source="participants",
                         where=_where(group, position))
    benchmark = np.zeros(len(group))
    for _, rows in group.groupby("sector", sort=False):
        positions = group.index.get_indexer(rows.index)
        intensity = np.where(output[positions] > 0, baseline[positions] / np.maximum(output[positions], 1e-300),
                             np.inf)
        order = np.argsort(intensity, kind="stable")
        best = order[:max(1, int(np.floor(benchmark_share * len(order))))]
        made = output[positions][best].sum()
        benchmark[positions] = baseline[positions][best].sum() / made if made > 0 else 0.0
    free = benchmark * output
    return cap * free / free.sum() if free.sum() > 0 else np.zeros(len(group))


def _clear(curves: kernels.Curves, group: pd.DataFrame, rights: np.ndarray, rule: str, cap: float,
           cost: float, reserve: float, where: str) -> tuple[kernels.Clearing, float]:
    """Clear one market; the auction adds the seller of the cap. Returns clearing and units the
    auction sold."""
    baseline = group["baseline"].to_numpy()
    if rule != "auction":
        return kernels.clear(curves, baseline, rights, transaction_cost=cost, where=where), 0.0
    seller = kernels.Curves(alpha=np.r_[curves.alpha, 0.0], beta=np.r_[curves.beta, 1.0],
                            upper=np.r_[curves.upper, 0.0], step_owner=curves.step_owner,
                            step_cost=curves.step_cost, step_width=curves.step_width)
    result = kernels.clear(seller, np.r_[baseline, 0.0], np.r_[rights, cap], transaction_cost=cost,
                           floor=reserve, where=where)
    return (kernels.Clearing(result.price, result.abatement[:-1], result.net_purchase[:-1]),
            float(-result.net_purchase[-1]))


def run(inputs: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of :data:`SPEC` from checked inputs."""
    rule = str(inputs.get("allocation_rule") or "given")
    cost = float(inputs.get("transaction_cost") or 0.0)
    reserve = float(inputs.get("reserve_price") or 0.0)
    share = float(inputs.get("benchmark_share") or 0.1)
    caps, curve, year = inputs.get("caps"), inputs.get("mac_curve"), inputs.get("mac_year")
    given, emissions = inputs.get("participants"), inputs.get("emissions")
    deliveries = inputs.get("water_deliveries")
    unit = _quantity_unit(inputs.get("quantity_unit") or ("m**3" if deliveries is not None else "t"))
    sources = [name for name, table in (("participants", given), ("emissions", emissions),
                                        ("water_deliveries", deliveries)) if table is not None]
    if len(sources) != 1:
        raise InputError("give one of the participants table, an emission inventory (emissions) "
                         "or water_allocation's deliveries (water_deliveries), "
                         + (f"not both {sources[0]} and {sources[1]}" if sources
                            else "none was given"),
                         source="participants")
    if deliveries is not None:
        given = _water_participants(deliveries, inputs.get("water_values"), unit)
    elif given is None:
        emissions_year = inputs.get("emissions_year")
        given = participants_from_emissions(emissions, None if emissions_year is None
                                            else int(emissions_year), curve)
        if (year is None and emissions_year is not None and curve is not None
                and "year" in curve.columns
                and (pd.to_numeric(curve["year"], errors="coerce") == int(emissions_year)).any()):
            year = int(emissions_year)  # the cost curve of the year that trades
    participants = _participants(given, inputs.get("trading_zones"))
    clearing, trades, equity = [], [], []
    for market, in_market in participants.groupby("market", sort=True):
        zones_of_market = sorted(in_market["zone_group"].unique())
        for zone, group in in_market.groupby("zone_group", sort=True):
            group = group.reset_index(drop=True)
            group.attrs = participants.attrs
            where = f"market {market}, zone group {zone}"
            curves = _curves(group, curve, year)
            cap = None if rule == "given" else _cap(caps, str(market), str(zone), zones_of_market)
            rights = allocate(rule, group, cap, share)
            cap = float(rights.sum()) if cap is None else cap
            result, sold = _clear(curves, group, rights, rule, cap, cost, reserve, where)
            rows, totals = _market_rows(str(market), str(zone), group, curves, rights, result, cost)
            trades += rows
            baseline = float(group["baseline"].sum())
            clearing.append([market, zone, rule, unit, result.price, cap, baseline,
                             max(baseline - cap, 0.0), float(result.abatement.sum()),
                             totals["bought"], totals["with"], totals["without"],
                             totals["without"] - totals["with"], totals["transaction"],
                             result.price * sold if rule == "auction" else 0.0])
            equity += _equity(str(market), str(zone), group, curves, cap, rule, cost, reserve,
                              share, where)
    return {"clearing": pd.DataFrame(clearing, columns=_columns("clearing")),
            "trades": pd.DataFrame(trades, columns=_columns("trades")),
            "allocation_equity": pd.DataFrame(equity, columns=_columns("allocation_equity"))}


def _market_rows(market: str, zone: str, group: pd.DataFrame, curves: kernels.Curves,
                 rights: np.ndarray, result: kernels.Clearing, cost: float
                 ) -> tuple[list[list[Any]], dict[str, float]]:
    baseline = group["baseline"].to_numpy()
    net = result.net_purchase
    bought = np.maximum(net, 0.0)
    abatement_cost = curves.cost(result.abatement)
    payment = result.price * net + cost * bought
    # command and control: each abates down to its own rights (never more than it can)
    without = curves.cost(np.clip(baseline - rights, 0.0, curves.upper))
    marginal = curves.marginal(result.abatement)
    rows = [[market, zone, p.participant, p.unit, p.sector, baseline[k], rights[k],
             result.abatement[k], net[k], rights[k] + net[k], baseline[k] - result.abatement[k],
             marginal[k], abatement_cost[k], payment[k], abatement_cost[k] + payment[k], without[k]]
            for k, p in enumerate(group.itertuples(index=False))]
    totals = {"bought": float(bought.sum()), "transaction": float(cost * bought.sum()),
              "with": float(abatement_cost.sum() + cost * bought.sum()), "without": float(without.sum())}
    return rows, totals


def _equity(market: str, zone: str, group: pd.DataFrame, curves: kernels.Curves, cap: float,
            chosen: str, cost: float, reserve: float, share: float, where: str) -> list[list[Any]]:
    """Gini and price of every rule the inputs allow (the chosen one included)."""
    baseline = group["baseline"].to_numpy()
    output = group["output"].to_numpy()
    has_output = not np.isnan(output).any() and bool((group["sector"] != "").all())
    rules = [r for r in RULES if (r != "given" or not group["allocation"].isna().any())
             and (r != "benchmarking" or has_output)]
    if chosen not in rules:
        rules.append(chosen)
    rows = []
    for rule in rules:
        rights = allocate(rule, group, cap, share)
        result, _ = _clear(curves, group, rights, rule, cap, cost, reserve, where)
        per_output = (gini(np.divide(rights, output, out=np.zeros_like(rights), where=output > 0),
                           output) if has_output and rule != "auction" else np.nan)
        per_baseline = (gini(np.divide(rights, baseline, out=np.zeros_like(rights), where=baseline > 0),
                             baseline) if rule != "auction" else np.nan)
        rows.append([market, zone, rule, per_baseline, per_output, result.price,
                     float(result.net_purchase.max(initial=0.0))])
    return rows


def _water_participants(deliveries: pd.DataFrame, values: pd.DataFrame | None,
                        unit: str) -> pd.DataFrame:
    """Participants of market ``water`` from ``water_allocation``'s deliveries (see
    :mod:`ecociv.models.rights_market.water`), amounts in ``unit``."""
    if values is None:
        raise InputError("water_deliveries needs the water_values table (marginal value of water "
                         "in yuan/m³ and price elasticity per sector)", source="water_values")
    if ureg(unit).dimensionality != ureg("m**3").dimensionality:
        raise InputError(f"water_deliveries are volumes: quantity_unit must be a volume (e.g. "
                         f"'m**3'), got {unit!r}", source="quantity_unit")
    return water.participants_from_deliveries(deliveries, values,
                                              float(ureg(unit).to("m**3").magnitude))


def _quantity_unit(value: Any) -> str:
    text = str(value or "t")
    try:
        quantity = ureg(text)
        dimension = quantity.dimensionality
    except Exception:
        raise InputError(f"quantity_unit must be a mass (t) or a volume (m**3), got {text!r}",
                         source="quantity_unit") from None
    if dimension not in (ureg("t").dimensionality, ureg("m**3").dimensionality):
        raise InputError(f"quantity_unit must be a mass (t) or a volume (m**3), got {text!r}",
                         source="quantity_unit")
    return text


def example() -> dict[str, Any]:
    """Three SO2 emitters of the Urumqi–Changji zone (illustrative baselines and costs)."""
    participants = pd.DataFrame({
        "participant": ["power-a", "coal-chem-b", "cement-c"], "market": "SO2",
        "unit": ["650100", "652300", "652300"],
        "sector": ["power_heat", "coal_chemicals", "non_metallic_minerals"],
        "baseline": [10000.0, 6000.0, 3000.0], "allocation": [7000.0, 5000.0, 2000.0],
        "output": [12.0, 3.0, 2.5], "mac_intercept": [2000.0, 4000.0, 1000.0],
        "mac_slope": [1.0, 2.0, 3.0]})
    return {"participants": participants, "allocation_rule": "given", "transaction_cost": 50.0}


MODEL = Model(spec=SPEC, run=run, example=example)
