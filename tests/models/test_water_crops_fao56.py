"""The packaged crop table against FAO-56 (Allen et al. 1998, Tables 11, 12 and 22) and the build step
that reads those tables from pyfao56 (scripts/belt_water_crops.py), run here on a small stand-in."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

from ecociv.models.water_allocation import demand

ROOT = Path(__file__).resolve().parents[2]
WATER = ROOT / "src" / "ecociv" / "data" / "water"

FAKE_TABLES = '''
import io
import pandas as pd

T11 = """Crop,Lini,Ldev,Lmid,Llate,Total,Plant Date,Region
cotton,30,50,55,45,180,apr,texas
cotton,30,50,60,55,195,mar may,egypt pakistan california
alfalfa total season,10,30,,,,,last -4oC in spring until first -4oC in fall
"""
T12 = """Crop,Kcmini,Kcmmid,Kcmend,hmax
cotton,0.35,1.17,0.60,1.35
alfalfa hay averaged cutting effects,0.40,0.95,0.90,0.7
"""
T22 = """Crop,Zrmax1,Zrmax2,pbase
cotton,1.0,1.7,0.65
alfalfa for hay,1.0,2.0,0.55
"""


class FAO56Tables:
    def __init__(self):
        read = lambda text: pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        self.table11, self.table12, self.table22 = read(T11), read(T12), read(T22)
'''


def _crops_module() -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        spec = importlib.util.spec_from_file_location("belt_water_crops", ROOT / "scripts" / "belt_water_crops.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def _folder(tmp_path: Path, crops: str) -> tuple[Path, Path]:
    (tmp_path / "tables.py").write_text(FAKE_TABLES, encoding="utf-8")
    water = tmp_path / "water"
    water.mkdir()
    (water / "crops.csv").write_text(
        "crop,name_zh,kc_ini,kc_mid,kc_end,l_ini,l_dev,l_mid,l_late,planting_month,planting_day,height_m,"
        "yield_t_per_ha,status\n" + crops, encoding="utf-8")
    (water / "crops_sources.csv").write_bytes(
        b"crop,columns,status,document,table,year,unit,note\r\n"
        b"cotton,kc_ini,literature,\"Allen (1998), FAO Irrigation and Drainage Paper 56\",T12,1998,,old row\r\n"
        b"cotton,planting_month;planting_day,illustrative,,,,month;day,kept\r\n"
        b"alfalfa,l_mid;l_late,illustrative,,,,d,kept too\r\n")
    return water, tmp_path / "tables.py"


def test_build_reads_kc_stages_and_roots_from_the_tables(tmp_path: Path) -> None:
    crops = _crops_module()
    water, tables = _folder(tmp_path, "cotton,棉花,0.1,0.1,0.1,1,1,1,1,4,20,0.5,2.1585,mixed\n"
                                      "alfalfa,苜蓿,0.1,0.1,0.1,1,1,143,20,4,1,0.1,12,mixed\n")
    crops.build_crops(water, tables)
    table = pd.read_csv(water / "crops.csv").set_index("crop")
    # cotton: Table 12 0.35/1.17/0.60, h 1.35 m; Table 11 Texas April row 30/50/55/45; Table 22 1.0-1.7 m, p 0.65
    assert table.loc["cotton", ["kc_ini", "kc_mid", "kc_end", "height_m"]].tolist() == [0.35, 1.17, 0.6, 1.35]
    assert table.loc["cotton", ["l_ini", "l_dev", "l_mid", "l_late"]].tolist() == [30, 50, 55, 45]
    assert table.loc["cotton", ["root_depth_min_m", "root_depth_max_m", "p_depletion"]].tolist() == [1.0, 1.7, 0.65]
    # alfalfa: Table 11 has no mid/late lengths for the total season, so 143/20 stay
    assert table.loc["alfalfa", ["l_ini", "l_dev", "l_mid", "l_late"]].tolist() == [10, 30, 143, 20]
    assert table.loc["cotton", "yield_t_per_ha"] == 2.1585  # non-FAO columns untouched
    raw = (water / "crops_sources.csv").read_bytes()
    assert b"\r\n" in raw and b"old row" not in raw and b"kept too" in raw
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    cotton = [row["columns"] for row in rows if row["crop"] == "cotton"]
    assert cotton == ["kc_ini;kc_mid;kc_end;height_m", "l_ini;l_dev;l_mid;l_late",
                      "root_depth_min_m;root_depth_max_m;p_depletion", "planting_month;planting_day"]
    assert [row["columns"] for row in rows if row["crop"] == "alfalfa"][1] == "l_ini;l_dev"


def test_a_crop_without_chosen_rows_is_refused(tmp_path: Path) -> None:
    crops = _crops_module()
    water, tables = _folder(tmp_path, "quinoa,藜麦,0.3,1.0,0.7,20,30,40,20,4,20,1,2,mixed\n")
    with pytest.raises(KeyError, match="no FAO-56 rows chosen for quinoa"):
        crops.build_crops(water, tables)


def test_a_row_missing_from_the_tables_is_named(tmp_path: Path) -> None:
    crops = _crops_module()
    water, tables = _folder(tmp_path, "maize,玉米,0.3,1.2,0.35,30,40,50,50,4,25,2,8,mixed\n")
    with pytest.raises(LookupError, match="maize: Table 12 'maize field grain corn 18% moisture': 0 rows"):
        crops.build_crops(water, tables)


def test_packaged_table_has_fao56_values_and_root_depths() -> None:
    # spot checks against FAO-56: Table 12 maize grain 0.30/1.20/0.35; Table 11 maize Idaho April
    # 30/40/50/50; Table 22 cotton 1.0-1.7 m, p 0.65; grapes (table/raisin) 1.0-2.0 m, p 0.35
    table = demand.load_crop_table()
    assert table.loc["maize", ["kc_ini", "kc_mid", "kc_end"]].tolist() == [0.3, 1.2, 0.35]
    assert table.loc["maize", ["l_ini", "l_dev", "l_mid", "l_late"]].tolist() == [30, 40, 50, 50]
    assert table.loc["cotton", ["root_depth_min_m", "root_depth_max_m", "p_depletion"]].tolist() == [1.0, 1.7, 0.65]
    assert table.loc["grape", ["root_depth_min_m", "root_depth_max_m", "p_depletion"]].tolist() == [1.0, 2.0, 0.35]
    assert (table["root_depth_min_m"] <= table["root_depth_max_m"]).all()
    assert table["p_depletion"].between(0.1, 0.8).all()
    sources = pd.read_csv(WATER / "crops_sources.csv", dtype=str, keep_default_na=False)
    roots = sources[sources["columns"] == "root_depth_min_m;root_depth_max_m;p_depletion"]
    assert set(roots["crop"]) == set(table.index)
    assert roots["table"].str.startswith("Table 22").all()
