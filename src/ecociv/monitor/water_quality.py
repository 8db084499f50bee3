"""Surface-water class after GB 3838-2002: each item's class is the best class whose Table 1
limit the value meets (``≤`` the limit, ``≥`` for dissolved oxygen); a value beyond class V is
劣V (class 6). The class of a sample or a station is that of its worst item (single-factor
evaluation: the worst item decides). Station-years are classed on the annual mean of each item.
Total phosphorus uses the lake/reservoir limits at lake stations; total nitrogen is classed only
at lake stations (Table 1 defines it for lakes and reservoirs)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ecociv.monitor import standards

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "worse than V"}


@lru_cache(maxsize=1)
def _limits() -> dict[tuple[str, str], tuple[str, list[float]]]:
    table = standards.gb3838().sort_values("water_class")
    out: dict[tuple[str, str], tuple[str, list[float]]] = {}
    for (ind, body), group in table.groupby(["indicator", "water_body"]):
        out[(str(ind), str(body))] = (str(group["direction"].iloc[0]), [float(v) for v in group["limit"]])
    return out


def limits_for(indicator: str, water_body: str) -> tuple[str, list[float]] | None:
    """(direction, limits of classes I-V) of an item at a river or lake station, or None when the
    item is not classed there."""
    table = _limits()
    return table.get((indicator, water_body)) or table.get((indicator, "all"))


def item_class(indicator: str, value: Any, water_body: str = "river") -> Any:
    """GB 3838-2002 class (1-5, 6 = worse than V) of values of one item (array-like, mg/L).

    Examples
    --------
    >>> int(item_class("NH3-N", 0.5))   # Table 1: class II limit 0.5 mg/L, inclusive
    2
    """
    import numpy as np

    found = limits_for(indicator, water_body)
    values = np.asarray(value, dtype=float)
    if found is None:
        return np.full(values.shape, np.nan)
    direction, limits = found
    lim = np.asarray(limits)
    if direction == "min":
        return 1 + (lim[None, :] > values.reshape(-1, 1)).sum(axis=1).reshape(values.shape)
    return 1 + (lim[None, :] < values.reshape(-1, 1)).sum(axis=1).reshape(values.shape)


def ratio_to_class(indicator: str, value: Any, target: int, water_body: str = "river") -> Any:
    """Value over the limit of ``target`` class (limit over value for dissolved oxygen): above 1
    means the item is worse than the target class."""
    import numpy as np

    found = limits_for(indicator, water_body)
    values = np.asarray(value, dtype=float)
    if found is None:
        return np.full(values.shape, np.nan)
    direction, limits = found
    limit = limits[target - 1]
    with np.errstate(divide="ignore"):
        return limit / values if direction == "min" else values / limit


def classify(obs: Any, stations: Any) -> tuple[Any, Any]:
    """Class of each sample and of each station-year.

    Parameters
    ----------
    obs : DataFrame
        Surface-water observations (station, indicator, time, year, value in mg/L).
    stations : DataFrame
        Indexed by station with ``water_body`` and ``water_class`` (0 = not given: class III,
        the benchmark of national water-quality bulletins, is used).

    Returns
    -------
    (samples, station_years) : tuple of DataFrame
    """
    import numpy as np
    import pandas as pd

    if obs.empty:
        cols = ["station", "time", "water_class", "class_name", "deciding_items"]
        return pd.DataFrame(columns=cols), pd.DataFrame(columns=[
            "station", "year", "water_class", "class_name", "deciding_item", "target_class", "meets_target",
            "ratio", "ratio_item", "n_samples"])
    body = obs["station"].map(stations["water_body"]).fillna("river") if len(stations) else \
        pd.Series("river", index=obs.index)
    target = obs["station"].map(stations["water_class"]).fillna(0).astype(int) if len(stations) else \
        pd.Series(0, index=obs.index)
    target = target.where(target > 0, 3)
    cls = np.full(len(obs), np.nan)
    for (ind, wb), idx in obs.groupby([obs["indicator"], body]).groups.items():
        pos = obs.index.get_indexer(idx)
        cls[pos] = item_class(str(ind), obs["value"].to_numpy()[pos], str(wb))
    frame = obs.assign(item_class=cls, body=body.to_numpy(), target=target.to_numpy())
    frame = frame[frame["item_class"].notna()]
    samples = _worst(frame, ["station", "time"], "item_class")
    annual = frame.groupby(["station", "year", "indicator", "body", "target"], as_index=False).agg(
        value=("value", "mean"), n=("value", "size"))
    annual["item_class"] = np.nan
    annual["ratio"] = np.nan
    for (ind, wb, tg), idx in annual.groupby(["indicator", "body", "target"]).groups.items():
        pos = annual.index.get_indexer(idx)
        vals = annual["value"].to_numpy()[pos]
        annual.loc[idx, "item_class"] = item_class(str(ind), vals, str(wb))
        annual.loc[idx, "ratio"] = ratio_to_class(str(ind), vals, int(tg), str(wb))
    years = _worst(annual, ["station", "year"], "item_class")
    worst_ratio = annual.sort_values("ratio", ascending=False).drop_duplicates(["station", "year"])
    worst_ratio = worst_ratio.set_index(["station", "year"])
    key = pd.MultiIndex.from_frame(years[["station", "year"]])
    years["deciding_item"] = years.pop("deciding_items")
    years["target_class"] = worst_ratio["target"].reindex(key).to_numpy().astype(int)
    years["meets_target"] = years["water_class"] <= years["target_class"]
    years["ratio"] = worst_ratio["ratio"].reindex(key).to_numpy()
    years["ratio_item"] = worst_ratio["indicator"].reindex(key).to_numpy()
    years["ratio_value"] = worst_ratio["value"].reindex(key).to_numpy()
    years["ratio_limit"] = [
        (limits_for(str(i), str(b)) or ("max", [np.nan] * 5))[1][int(t) - 1]
        for i, b, t in zip(worst_ratio["indicator"].reindex(key), worst_ratio["body"].reindex(key),
                           years["target_class"], strict=True)]
    years["n_samples"] = annual.groupby(["station", "year"])["n"].max().reindex(key).to_numpy()
    return samples, years


def _worst(frame: Any, keys: list[str], column: str) -> Any:
    worst = frame.groupby(keys)[column].transform("max")
    deciding = frame[frame[column] == worst].groupby(keys)["indicator"].agg(lambda s: "+".join(sorted(set(s))))
    out = frame.groupby(keys)[column].max().astype(int).rename("water_class").to_frame()
    out["class_name"] = out["water_class"].map(ROMAN)
    out["deciding_items"] = deciding
    return out.reset_index()
