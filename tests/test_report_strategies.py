"""``ecociv report`` on strategy runs: the executive summary's table of strategy indicators (the
indicators of ``ecociv compare``), which run moves each most, and per run what it sets and what it
achieves against the first run, in English and Chinese.

The runs are the synthetic run folders of tests/test_report_html.py with a water_allocation step
added whose basin table and lake table hold seeded random numbers; the expected sentences are
computed here from those CSV files (sums over basins, means over months), not typed in."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.report.html import build_report, fmt
from tests.test_report_html import _make_run

BASINS = ("ebinur", "manas", "urumqi")


def _add_water_step(folder: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    step = folder / "water_allocation"
    step.mkdir()
    rows = []
    for basin in BASINS:
        for sector in ("all", "irrigation"):
            rows.append({"basin": basin, "sector": sector,
                         "demand_1e8m3_per_yr": float(rng.uniform(20, 40)),
                         "supply_1e8m3_per_yr": float(rng.uniform(10, 20)),
                         "shortage_1e8m3_per_yr": float(rng.uniform(0, 5)),
                         "groundwater_overdraft_1e8m3_per_yr": float(rng.uniform(0, 3))})
    pd.DataFrame(rows).to_csv(step / "basin_summary.csv", index=False)
    pd.DataFrame({"lake": ["ebinur"] * 12, "month": range(1, 13),
                  "area_km2": rng.uniform(400, 700, 12)}).to_csv(step / "lakes.csv", index=False)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["steps"].append({"name": "water_allocation", "model": "water_allocation",
                              "outputs": {"basin_summary": "water_allocation/basin_summary.csv",
                                          "lakes": "water_allocation/lakes.csv"}})
    manifest["scenario"]["levers"] = ({} if seed == 11 else
                                      {"water": {"basin_caps": {"manas": 0.96}, "pumping": 0.8}})
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture(scope="module")
def strategy_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    store = tmp_path_factory.mktemp("strategy-store")
    runs = [_make_run(store, "bau", 11), _make_run(store, "s2_water_land", 12)]
    for run, seed in zip(runs, (11, 12), strict=True):
        _add_water_step(run, seed)
    return runs


def _belt(run: Path) -> dict[str, float]:
    table = pd.read_csv(run / "water_allocation" / "basin_summary.csv")
    total = table[table["sector"] == "all"]
    lakes = pd.read_csv(run / "water_allocation" / "lakes.csv")
    return {"water_delivered": float(total["supply_1e8m3_per_yr"].sum()),
            "water_demand": float(total["demand_1e8m3_per_yr"].sum()),
            "water_shortage": float(total["shortage_1e8m3_per_yr"].sum()),
            "groundwater_overdraft": float(total["groundwater_overdraft_1e8m3_per_yr"].sum()),
            "ebinur_area_mean": float(lakes["area_km2"].mean())}


def test_each_strategy_says_what_it_sets_and_achieves(tmp_path: Path, strategy_runs: list[Path]) -> None:
    files = build_report(strategy_runs, tmp_path / "report.html", lang="en")
    html = files.html.read_text(encoding="utf-8")
    base, s2 = (_belt(r) for r in strategy_runs)
    # the executive summary's strategy table: both runs' values and the change
    assert "Strategy indicators for the whole Belt" in html
    for name in ("Water delivered", "Groundwater overdraft", "Ebinur mean lake area"):
        assert name in html
    change = 100 * (s2["water_delivered"] - base["water_delivered"]) / abs(base["water_delivered"])
    assert f"<td class=\"num\">{fmt(base['water_delivered'])}</td>" in html
    assert f"<td class=\"num\">{change:+.1f}</td>" in html
    assert f"Water delivered: s2_water_land {change:+.1f} %" in html  # moves it most
    # the S2 section: what it achieves — the 8 largest relative changes of all Belt indicators
    # (the summary's columns too), largest first, each with both values and its units
    totals = [pd.read_csv(r / "summary" / "prefectures.csv", dtype={"prefecture_adcode": str})
              .set_index("prefecture_adcode").loc["total"] for r in strategy_runs]
    all_changes = {c: 100 * (totals[1][c] - totals[0][c]) / abs(totals[0][c])
                   for c in ("water_yield_1e8m3", "precipitation_1e8m3", "carbon_mt", "redline_km2")}
    expected = {}
    for key, label in (("water_delivered", "Water delivered"), ("water_demand", "Water demand"),
                       ("water_shortage", "Water shortage"),
                       ("groundwater_overdraft", "Groundwater overdraft"),
                       ("ebinur_area_mean", "Ebinur mean lake area")):
        pct = 100 * (s2[key] - base[key]) / abs(base[key])
        all_changes[key] = pct
        units = "km2" if key == "ebinur_area_mean" else "10^8 m3/yr"
        expected[key] = f"{label}: {fmt(base[key])} → {fmt(s2[key])} {units} ({pct:+.1f} %)"
    top = sorted(all_changes, key=lambda k: -abs(all_changes[k]))[:8]
    section = html.split("What it achieves compared with bau")[1].split("</ul>")[0]
    assert section.count("<li>") == 8
    listed = [k for k in top if k in expected]
    assert listed, top
    for key in expected:
        assert (expected[key] in section) == (key in listed), key
    positions = [section.index(expected[k]) for k in listed]
    assert positions == sorted(positions)  # largest relative change first
    # what it sets: the levers of the S2 run, none for the baseline
    assert "water.basin_caps.manas = 0.96" in html and "No levers set (baseline)." in html
    # the workbook has each run's Belt indicators
    with zipfile.ZipFile(files.xlsx) as archive:
        assert any("indicators" in name for name in archive.read("xl/workbook.xml").decode().split('"'))
    sheet = pd.read_excel(files.xlsx, sheet_name="2 indicators")
    got = sheet.set_index("indicator")["value"]
    assert got["water_delivered"] == pytest.approx(s2["water_delivered"], rel=1e-12)


def test_the_chinese_report_names_the_strategy_indicators(tmp_path: Path,
                                                          strategy_runs: list[Path]) -> None:
    html = build_report(strategy_runs, tmp_path / "r.html", lang="zh").html.read_text(encoding="utf-8")
    base, s2 = (_belt(r) for r in strategy_runs)
    assert "全经济带战略指标" in html and "与 bau 相比的效果" in html
    pct = 100 * (s2["groundwater_overdraft"] - base["groundwater_overdraft"]) / base["groundwater_overdraft"]
    assert (f"地下水超采量：{fmt(base['groundwater_overdraft'])} → {fmt(s2['groundwater_overdraft'])} "
            f"10^8 m3/yr（{pct:+.1f} %）") in html
    assert "艾比湖平均水面面积" in html


def test_a_single_run_has_no_comparison(tmp_path: Path, strategy_runs: list[Path]) -> None:
    html = build_report(strategy_runs[:1], tmp_path / "one.html").html.read_text(encoding="utf-8")
    assert "What it achieves" not in html
    assert "Strategy indicators for the whole Belt" in html  # the run's own values are shown
    assert fmt(_belt(strategy_runs[0])["water_delivered"]) in html
