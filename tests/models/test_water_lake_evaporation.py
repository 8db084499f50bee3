"""Terminal lakes with open-water evaporation from pan normals: the build step, the closed-form balance of
a constant-area lake, and the simulated Ebinur Lake area of the shipped Belt network against the area
observed in 2000-2020."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from ecociv.models.water_allocation import results
from ecociv.models.water_allocation.lake import StorageCurve, open_water_evaporation_mm, simulate_lake
from ecociv.models.water_allocation.network import load_network
from ecociv.models.water_allocation.solver import allocate

ROOT = Path(__file__).resolve().parents[2]
WATER = ROOT / "src" / "ecociv" / "data" / "water"
KM2 = 1e6


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_belt_network", ROOT / "scripts" / "build_belt_network.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pan_evaporation_spread_by_et0_months() -> None:
    # pan 1000 mm/yr × 0.6 = 600 mm/yr, spread in proportion to ET0 = 1..12 (sum 78): month m gets 600 m / 78
    build = _build_module()
    climate = pd.DataFrame({"lake": "x", "month": range(1, 13), "precipitation_mm": 1.0, "evaporation_mm": 0.0,
                            "et0_mm": np.arange(1.0, 13.0), "precipitation_status": "real",
                            "evaporation_status": "derived", "source": ""})
    pans = pd.DataFrame({"lake": ["x"], "pan_evaporation_mm_per_yr": [1000.0], "pan_coefficient": [0.6],
                         "pan_source": ["p"], "coefficient_source": ["k"]})
    out = build.lake_open_water_evaporation(climate, pans)
    np.testing.assert_allclose(out["evaporation_mm"], np.round(600 * np.arange(1, 13) / 78, 1))
    assert out["source"].iloc[0] == "lakes_sources.csv: x_precipitation_era5; p; k"


def test_pan_row_for_an_unknown_lake_is_refused() -> None:
    build = _build_module()
    climate = pd.DataFrame({"lake": "x", "month": range(1, 13), "et0_mm": 1.0, "evaporation_mm": 0.0})
    pans = pd.DataFrame({"lake": ["y"], "pan_evaporation_mm_per_yr": [1.0], "pan_coefficient": [0.6],
                         "pan_source": ["p"], "coefficient_source": ["k"]})
    with pytest.raises(ValueError, match="lake 'y' has no rows"):
        build.lake_open_water_evaporation(climate, pans)


def test_lake_lists_copied_into_the_network_text() -> None:
    build = _build_module()
    text = ("nodes:\n  - id: ebinur_lake\n    type: lake\n    evaporation_mm: [1, 2]\n    precipitation_mm: [3]\n"
            "  - id: manas_lake\n    evaporation_mm: [0]\n    precipitation_mm: [0]\n  - id: other\n"
            "    evaporation_mm: [9]\n")
    climate = pd.DataFrame({"lake": ["ebinur"] * 2 + ["manas"] * 2, "month": [1, 2, 1, 2],
                            "evaporation_mm": [5.5, 6.0, 7.0, 8.25], "precipitation_mm": [1.0, 2.0, 3.0, 4.0]})
    out = build.copy_lake_lists(text, climate)
    assert "  - id: ebinur_lake\n    type: lake\n    evaporation_mm: [5.5, 6]\n    precipitation_mm: [1, 2]\n" in out
    assert "  - id: manas_lake\n    evaporation_mm: [7, 8.25]\n    precipitation_mm: [3, 4]\n" in out
    assert out.endswith("  - id: other\n    evaporation_mm: [9]\n")  # other nodes untouched


def test_constant_area_lake_balance_with_open_water_evaporation() -> None:
    # A cylinder (area 542.9 km², Ebinur's reference area) fed 5.6e8 m³/yr evenly: with pan-based evaporation
    # E = 1662 mm × 0.61 and precipitation P (both spread evenly), the closed-form volume after n months is
    # V_n = V_0 + n Q/12 + n (P - E)/12 · A, linear in time because the area does not change.
    area = 542.9 * KM2
    levels = np.linspace(0.0, 50.0, 11)
    curve = StorageCurve(levels, np.full(levels.size, area), area * levels, source="cylinder")
    evaporation = float(open_water_evaporation_mm(1662.0, 0.61))
    precipitation = 90.9
    months = 24
    frame = simulate_lake(area * 10.0, np.full(months, 5.6e8 / 12), precipitation / 12, evaporation / 12, curve)
    n = np.arange(1, months + 1)
    expected = area * 10.0 + n * 5.6e8 / 12 + n * (precipitation - evaporation) / 12 / 1000 * area
    np.testing.assert_allclose(frame["volume_m3"], expected, rtol=1e-12)
    # net evaporation 923.5 mm/yr: the lake loses 501.4e6 m³/yr to the air and gains 560e6 from the rivers
    assert frame["evaporation_m3"].sum() / 2 == pytest.approx(1013.82e-3 * area, rel=1e-9)


@pytest.fixture(scope="module")
def ebinur_years() -> pd.Series:
    net = load_network(WATER / "belt_network")
    lakes = results.lakes_table(net, allocate(net))
    ebinur = lakes[lakes["lake"] == "ebinur_lake"]
    return ebinur.groupby(ebinur["month"].str[:4])["area_km2"].mean()


def test_ebinur_area_over_the_run_inside_the_2000_2020_observed_range(ebinur_years: pd.Series) -> None:
    # Observed annual areas 2000-2020: about 500 km² (2007, China.org.cn via en.wikipedia; 520 km² in 2011,
    # de.wikipedia) to 903 km² (2003, SPOT-VGT, "Change in area of Ebinur Lake during the 1998-2005 period");
    # Landsat mean 1992-2023 568.74 ± 152.43 km² (Liu Y. et al. 2024, Remote Sensing 16:3876).
    assert len(ebinur_years) == 30
    assert ebinur_years.min() >= 500.0
    assert ebinur_years.max() <= 903.0
    assert 568.74 - 152.43 <= ebinur_years.mean() <= 568.74 + 152.43
