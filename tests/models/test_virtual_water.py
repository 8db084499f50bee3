"""Crop water use, virtual-water content and net virtual-water export, worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.models.water_allocation import demand, virtual_water


def test_crop_water_use_green_blue_by_hand() -> None:
    kc = np.zeros(12)
    kc[5], kc[6] = 0.5, 1.0
    et0 = np.full(12, 200.0)
    p = np.full(12, 50.0)  # USDA-SCS: Peff = 50 x 115/125 = 46 mm
    use = virtual_water.crop_water_use_mm(kc, et0, p, "usda_scs")
    # ETc = 0.5 x 200 + 1.0 x 200 = 300 mm; blue = (100 - 46) + (200 - 46) = 208; green = 46 + 46 = 92
    assert use["total"] == pytest.approx(300.0)
    assert use["blue"] == pytest.approx(208.0)
    assert use["green"] == pytest.approx(92.0)


def test_green_is_capped_by_crop_water_use() -> None:
    kc = np.zeros(12)
    kc[6] = 0.1
    use = virtual_water.crop_water_use_mm(kc, np.full(12, 200.0), np.full(12, 50.0))
    # ETc = 20 mm < Peff = 46 mm: all green (min(ETc, Peff)), no blue
    assert use == pytest.approx({"green": 20.0, "blue": 0.0, "total": 20.0})


def test_virtual_water_content_by_hand() -> None:
    # 10 x 600 mm / 6 t/ha = 1000 m³/t (CWU = 10 Σ ET m³/ha, WF = CWU / Y)
    assert float(virtual_water.virtual_water_content_m3_per_t(600.0, 6.0, "spring_wheat")) == pytest.approx(1000.0)


@pytest.mark.parametrize("bad_yield", [0.0, -2.0])
def test_virtual_water_content_rejects_non_positive_yield(bad_yield: float) -> None:
    with pytest.raises(InputError, match=r"crop 'maize'.*yield|yield.*crop 'maize'"):
        virtual_water.virtual_water_content_m3_per_t(500.0, bad_yield, "maize")


def test_crop_virtual_water_table_is_consistent() -> None:
    et0 = np.array([10, 20, 60, 120, 170, 200, 210, 180, 120, 60, 20, 10], dtype=float)
    p = np.array([8, 8, 12, 20, 25, 25, 20, 15, 12, 12, 10, 8], dtype=float)
    table = virtual_water.crop_virtual_water_table(["cotton", "maize"], et0, p)
    nir = demand.net_irrigation_requirements(["cotton"], et0, p)["cotton"]
    row = table.loc["cotton"]
    assert row["blue_mm"] == pytest.approx(nir.sum())
    assert row["green_mm"] + row["blue_mm"] == pytest.approx(row["etc_mm"])
    assert row["vwc_m3_per_t"] == pytest.approx(10 * row["etc_mm"] / row["yield_t_per_ha"])
    assert row["vwc_green_m3_per_t"] + row["vwc_blue_m3_per_t"] == pytest.approx(row["vwc_m3_per_t"])


def test_net_virtual_water_export_by_hand() -> None:
    trade = pd.DataFrame({"crop": ["cotton", "wheat", "cotton"], "export_t": [60.0, 0.0, 40.0],
                          "import_t": [0.0, 1000.0, 20.0]})
    out = virtual_water.net_virtual_water_export(trade, {"cotton": 5000.0, "wheat": 1000.0})
    # cotton: (100 - 20) t x 5000 m³/t = 4e5 m³; wheat: (0 - 1000) t x 1000 m³/t = -1e6 m³; total -6e5 m³
    assert out.loc["cotton", "net_export_t"] == pytest.approx(80.0)
    assert out.loc["cotton", "net_export_m3"] == pytest.approx(4e5)
    assert out.loc["wheat", "net_export_m3"] == pytest.approx(-1e6)
    assert out.loc["total", "net_export_m3"] == pytest.approx(-6e5)
    assert out.loc["total", "export_m3"] == pytest.approx(5e5)
    assert out.loc["total", "net_export_hundred_million_m3"] == pytest.approx(-0.006)
    assert np.isnan(out.loc["total", "vwc_m3_per_t"])
    assert list(out.index) == ["cotton", "wheat", "total"]


def test_net_virtual_water_export_bad_input() -> None:
    trade = pd.DataFrame({"crop": ["cotton", "melon", "grape"], "export_t": [1.0, 2.0, 3.0],
                          "import_t": [0.0, 0.0, 0.0]})
    with pytest.raises(InputError, match="grape, melon"):
        virtual_water.net_virtual_water_export(trade, {"cotton": 5000.0})
    negative = pd.DataFrame({"crop": ["cotton"], "export_t": [-1.0], "import_t": [0.0]})
    with pytest.raises(InputError, match=r"crop 'cotton', column 'export_t'"):
        virtual_water.net_virtual_water_export(negative, {"cotton": 5000.0})
    with pytest.raises(InputError, match="import_t"):
        virtual_water.net_virtual_water_export(pd.DataFrame({"crop": ["cotton"], "export_t": [1.0]}),
                                               {"cotton": 1.0})
