"""Turpan irrigation demand of the default Belt water network: sources and a hand computation.

The demand site ``turpan_irrigation`` (src/ecociv/data/water/belt_network/network.yaml) is
sum over crops of area x FAO-56 net irrigation requirement / irrigation efficiency. The
expected values below are computed here from the crop table and the basin climate with the
FAO-56 stage curve written out afresh (Allen et al. 1998, FAO Irrigation and Drainage Paper 56,
eq. 66 and Fig. 25; USDA-SCS effective rain as in CROPWAT), not with the model's kernels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "src" / "ecociv" / "data" / "water" / "belt_network"
CROPS = ROOT / "src" / "ecociv" / "data" / "water" / "crops.csv"
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
M2_PER_MU = 10000.0 / 15.0
#: Turpan grapes under flood irrigation before the 2023 micro-spray programme: 910 m³ per mu and
#: year (CCTV report on Turpan water saving, 2025, reprinted at http://cct.kthtea.cn/news/14200.html)
GRAPE_FLOOD_M3_PER_MU = 910.0


@pytest.fixture(scope="module")
def site() -> dict[str, Any]:
    with (FOLDER / "network.yaml").open(encoding="utf-8") as handle:
        doc = yaml.safe_load(handle)
    return next(node for node in doc["nodes"] if node["id"] == "turpan_irrigation")


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "sources.csv", dtype=str, keep_default_na=False)


def _hand_nir_mm(crop: str, climate: str) -> np.ndarray:
    """FAO-56 net irrigation requirement (mm/month) of ``crop`` in ``climate``, written out by hand."""
    row = pd.read_csv(CROPS).set_index("crop").loc[crop]
    stages = [int(row["l_ini"]), int(row["l_dev"]), int(row["l_mid"]), int(row["l_late"])]
    kc_ini, kc_mid, kc_end = float(row["kc_ini"]), float(row["kc_mid"]), float(row["kc_end"])
    season = []
    for day in range(1, sum(stages) + 1):
        if day <= stages[0]:
            season.append(kc_ini)
        elif day <= stages[0] + stages[1]:
            season.append(kc_ini + (day - stages[0]) / stages[1] * (kc_mid - kc_ini))
        elif day <= stages[0] + stages[1] + stages[2]:
            season.append(kc_mid)
        else:
            season.append(kc_mid + (day - sum(stages[:3])) / stages[3] * (kc_end - kc_mid))
    year = [0.0] * 365
    start = sum(MONTH_DAYS[: int(row["planting_month"]) - 1]) + int(row["planting_day"]) - 1
    for offset, kc in enumerate(season):
        year[(start + offset) % 365] = kc
    table = pd.read_csv(FOLDER / "climate.csv")
    table = table[table["climate"] == climate].sort_values("month")
    nir = []
    first = 0
    for month, days in enumerate(MONTH_DAYS):
        kc_month = sum(year[first:first + days]) / days
        first += days
        et0 = float(table["et0_mm"].iloc[month])
        rain = float(table["precipitation_mm"].iloc[month])
        peff = rain * (125.0 - 0.2 * rain) / 125.0 if rain <= 250.0 else 125.0 + 0.1 * rain
        nir.append(max(kc_month * et0 - peff, 0.0) if kc_month > 0 else 0.0)
    return np.array(nir)


def test_turpan_irrigation_figures_have_sources(site: dict[str, Any], sources: pd.DataFrame) -> None:
    rows = sources[sources["item"] == "turpan_irrigation"].set_index("key")
    keys = [f"irrigation.crops.{crop}" for crop in site["irrigation"]["crops"]] + ["irrigation.efficiency"]
    for key in keys:
        assert key in rows.index, f"no sources.csv row for turpan_irrigation {key}"
        row = rows.loc[key]
        if row["status"] == "illustrative":
            assert row["note"], f"illustrative {key} must say why (note)"
        else:
            assert row["source"] and row["url"], f"{key}: a reported figure names its source and address"
    # the two figures that carry most of the demand are sourced, not illustrative
    assert rows.loc["irrigation.crops.grape", "status"] != "illustrative"
    assert rows.loc["irrigation.efficiency", "status"] != "illustrative"
    assert float(rows.loc["irrigation.efficiency", "value"]) == pytest.approx(float(site["irrigation"]["efficiency"]))


def test_grape_demand_by_hand_matches_the_engine(site: dict[str, Any]) -> None:
    from ecociv.models.water_allocation.network import load_network

    net = load_network(FOLDER, months=12)  # the file starts in January: one calendar year
    demand = net.demands["turpan_irrigation"]
    climate = site["irrigation"]["climate"]
    efficiency = float(site["irrigation"]["efficiency"])
    expected = np.zeros(12)
    for crop, area in site["irrigation"]["crops"].items():
        hectares = float(str(area).split()[0])
        expected += hectares * _hand_nir_mm(str(crop), climate) * 10.0 / efficiency  # 1 mm on 1 ha = 10 m³
    assert np.asarray(demand.demand, dtype=float) == pytest.approx(expected, rel=1e-9)
    grape_ha = float(str(site["irrigation"]["crops"]["grape"]).split()[0])
    grape_m3 = grape_ha * _hand_nir_mm("grape", climate).sum() * 10.0 / efficiency
    assert grape_m3 == pytest.approx(5.43e8, rel=0.01)  # 42,000 ha x 600 mm / 0.4641


def test_grape_gross_irrigation_is_near_the_reported_flood_dose(site: dict[str, Any]) -> None:
    # gross grape irrigation per mu implied by the site's efficiency against the 910 m³/mu reported
    # for Turpan grapes under flood irrigation (CCTV 2025); the former illustrative efficiency 0.55
    # gave 727 m³/mu (-20 %) and fails this check
    climate = site["irrigation"]["climate"]
    gross_mm = _hand_nir_mm("grape", climate).sum() / float(site["irrigation"]["efficiency"])
    per_mu = gross_mm / 1000.0 * M2_PER_MU
    assert per_mu == pytest.approx(GRAPE_FLOOD_M3_PER_MU, rel=0.10)
