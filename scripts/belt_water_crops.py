"""FAO-56 crop parameters of the packaged crop table, read from the tables shipped in pyfao56.

Called by ``scripts/build_belt_network.py --part crops``. For every crop of
``src/ecociv/data/water/crops.csv`` the row chosen below is looked up in pyfao56's transcription of
FAO-56 (Allen et al. 1998):

* Table 11 (lengths of the crop development stages, by planting date and region) -> ``l_ini``,
  ``l_dev``, ``l_mid``, ``l_late``;
* Table 12 (single crop coefficients, maximum crop height) -> ``kc_ini``, ``kc_mid``, ``kc_end``,
  ``height_m``;
* Table 22 (maximum effective rooting depth range, soil water depletion fraction p for ET ≈ 5 mm/d)
  -> ``root_depth_min_m``, ``root_depth_max_m``, ``p_depletion``.

The other columns (Chinese name, planting date, yield, status) are kept as they are, and the rows of
``crops_sources.csv`` that cite FAO-56 are rewritten with the row read. pyfao56 is a build-time
package (installed without its dependencies in the throwaway build environment); only its
``tools/tables.py`` (pandas only) is loaded, from this interpreter if it has pyfao56, else from
``/tmp/belt-build-venv`` or the file named by ``PYFAO56_TABLES``.
"""

from __future__ import annotations

import csv
import glob
import importlib.util
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

FAO56 = ("Allen R.G., Pereira L.S., Raes D., Smith M. (1998), Crop evapotranspiration - Guidelines for computing "
         "crop water requirements, FAO Irrigation and Drainage Paper 56, Rome")
READ_FROM = ("read at build time from pyfao56 {version} (Thorp K.R. et al., pyfao56/tools/tables.py, FAO56Tables), "
             "the package's transcription of the FAO-56 table; not re-checked against the printed page")


@dataclass(frozen=True)
class Choice:
    """Rows of FAO-56 Tables 11, 12 and 22 used for one crop of the table."""

    table11: tuple[str, str, str]  # (Crop, Plant Date, Region); rows without mid/late lengths give l_ini, l_dev
    table12: str
    table22: str
    why: str = ""
    height_from: str | None = None  # Table 12 row giving the height when ``table12`` has none


#: crop id of crops.csv -> the FAO-56 rows (the Belt's oases: ~44 N, spring planting, frosts in October)
CHOICES: dict[str, Choice] = {
    "cotton": Choice(("cotton", "apr", "texas"), "cotton", "cotton",
                     "Texas April row (180 d) rather than Egypt/Pakistan/California (195 d): the season ends with "
                     "the October frosts"),
    "spring_wheat": Choice(("barley oats wheat", "mar apr", "35-45 degrees latitude"), "spring wheat", "spring wheat"),
    "winter_wheat": Choice(("winter wheat", "oct", "idaho usa"), "winter wheat frozen soils", "winter wheat",
                           "frozen-soil Kc ini (winters below 0 C); Idaho October row (335 d incl. dormancy)"),
    "maize": Choice(("maize grain", "apr", "idaho usa"), "maize field grain corn 18% moisture",
                    "maize field grain corn", "Idaho April row (170 d)"),
    "alfalfa": Choice(("alfalfa total season", "", "last -4oC in spring until first -4oC in fall"),
                      "alfalfa hay averaged cutting effects", "alfalfa for hay",
                      "Table 11 gives only the initial and development lengths of the total season, so l_mid and "
                      "l_late (illustrative) are kept"),
    "tomato": Choice(("tomato", "apr may", "california usa"), "tomato", "tomato", "processing tomato"),
    "grape": Choice(("grapes", "may", "high latitudes"), "grapes table raisin", "grapes table raisin",
                    "table/raisin grapes (Turpan raisins); May row of high latitudes"),
    "sugar_beet": Choice(("sugarbeet", "apr", "idaho usa"), "sugar beet", "sugar beet"),
    "melon": Choice(("sweet melons", "may", "mediterranean"), "sweet melons", "sweet melons", "Hami melon"),
    "vegetables": Choice(("crucifers", "apr", "mediterranean"), "small vegetables", "cabbage",
                         "small-vegetable group Kc with the crucifer stage row; one crop (fields with two crops a "
                         "year need about twice the NIR); root depth of cabbage", height_from="broccoli"),
    "orchard": Choice(("deciduous orchard", "mar", "high latitudes"),
                      "apples cherries pears no ground cover killing frost", "apples cherries pears",
                      "apples, no ground cover, killing frost"),
    "rice": Choice(("rice", "dec may", "tropics mediterranean"), "rice", "rice", "a minor crop on the northern slope"),
}


def _tables_path() -> Path:
    explicit = os.environ.get("PYFAO56_TABLES")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("pyfao56")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations))) / "tools" / "tables.py"
    found = sorted(glob.glob("/tmp/belt-build-venv/lib/python*/site-packages/pyfao56/tools/tables.py"))
    if not found:
        raise FileNotFoundError("pyfao56 not found: run scripts/build_default_dataset.py once (it creates "
                                "/tmp/belt-build-venv) or set PYFAO56_TABLES to pyfao56/tools/tables.py")
    return Path(found[-1])


def _version(tables: Path) -> str:
    dist = sorted(tables.parents[2].glob("pyfao56-*.dist-info"))
    return dist[-1].name.removeprefix("pyfao56-").removesuffix(".dist-info") if dist else "(version unknown)"


def load_tables(path: Path | None = None) -> Any:
    """pyfao56's ``FAO56Tables`` instance, loaded from ``tools/tables.py`` alone (needs pandas only)."""
    path = path or _tables_path()
    spec = importlib.util.spec_from_file_location("pyfao56_tables", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FAO56Tables()


def _one(frame: pd.DataFrame, mask: pd.Series, what: str) -> pd.Series:
    rows = frame[mask]
    if len(rows) != 1:
        raise LookupError(f"{what}: {len(rows)} rows match in pyfao56's tables (expected 1)")
    return rows.iloc[0]


def fao56_rows(tables: Any, crop: str, choice: Choice) -> dict[str, float]:
    """The crop-table values of one crop from the FAO-56 rows of ``choice``."""
    t12 = _one(tables.table12, tables.table12["Crop"] == choice.table12, f"{crop}: Table 12 '{choice.table12}'")
    t22 = _one(tables.table22, tables.table22["Crop"] == choice.table22, f"{crop}: Table 22 '{choice.table22}'")
    values = {"kc_ini": float(t12["Kcmini"]), "kc_mid": float(t12["Kcmmid"]), "kc_end": float(t12["Kcmend"]),
              "root_depth_min_m": float(t22["Zrmax1"]), "root_depth_max_m": float(t22["Zrmax2"]),
              "p_depletion": float(t22["pbase"])}
    height = str(t12["hmax"]).strip()
    if not height and choice.height_from:
        other = tables.table12
        height = str(_one(other, other["Crop"] == choice.height_from, f"{crop}: Table 12 height").hmax).strip()
    if height:
        values["height_m"] = float(height)
    name, planted, region = choice.table11
    t11 = tables.table11
    row = _one(t11, (t11["Crop"] == name) & (t11["Plant Date"] == planted) & (t11["Region"] == region),
               f"{crop}: Table 11 '{name}, {planted}, {region}'")
    values.update(l_ini=int(row["Lini"]), l_dev=int(row["Ldev"]))
    if str(row["Lmid"]).strip() and str(row["Llate"]).strip():
        values.update(l_mid=int(row["Lmid"]), l_late=int(row["Llate"]))
    return values


def _source_rows(crop: str, choice: Choice, values: dict[str, float], version: str) -> list[list[str]]:
    read = READ_FROM.format(version=version)
    why = f"; {choice.why}" if choice.why else ""
    kc_cols = "kc_ini;kc_mid;kc_end" + (";height_m" if "height_m" in values else "")
    height = f", h {values['height_m']:g} m" if "height_m" in values else ""
    height_note = f" (height of the '{choice.height_from}' row)" if choice.height_from else ""
    rows = [[crop, kc_cols, "literature", FAO56, "Table 12 (single crop coefficients Kc; max crop height h)", "1998",
             "dimensionless; m",
             f"row '{choice.table12}': {values['kc_ini']:g}, {values['kc_mid']:g}, {values['kc_end']:g}{height}"
             f"{height_note}; for RHmin 45 %, u2 2 m/s (adjust with FAO-56 eq. 62, demand.climate_adjusted_kc)"
             f"{why}; {read}"]]
    name, planted, region = choice.table11
    stages = [k for k in ("l_ini", "l_dev", "l_mid", "l_late") if k in values]
    lengths = "/".join(str(int(values[k])) for k in stages)
    rows.append([crop, ";".join(stages), "literature", FAO56,
                 "Table 11 (lengths of crop development stages)", "1998", "d",
                 f"row '{name}', planting '{planted}', region '{region}': {lengths} d{why}; {read}"])
    rows.append([crop, "root_depth_min_m;root_depth_max_m;p_depletion", "literature", FAO56,
                 "Table 22 (maximum effective root depth Zr; soil water depletion fraction p for no stress)", "1998",
                 "m; m; dimensionless",
                 f"row '{choice.table22}': Zr {values['root_depth_min_m']:g}-{values['root_depth_max_m']:g} m, "
                 f"p {values['p_depletion']:g} (for ETc about 5 mm/d; FAO-56 eq. 83 adjusts p); {read}"])
    return rows


def build_crops(water: Path, tables_path: Path | None = None) -> pd.DataFrame:
    """Rewrite ``crops.csv`` and the FAO-56 rows of ``crops_sources.csv`` in folder ``water``."""
    path = tables_path or _tables_path()
    tables, version = load_tables(path), _version(path)
    crops = pd.read_csv(water / "crops.csv", dtype={"name_zh": str, "status": str})
    unknown = sorted(set(crops["crop"]) - set(CHOICES))
    if unknown:
        raise KeyError(f"crops.csv: no FAO-56 rows chosen for {', '.join(unknown)} (add them to CHOICES)")
    for column in ("root_depth_min_m", "root_depth_max_m", "p_depletion"):
        if column not in crops.columns:
            crops[column] = float("nan")
    sources_path = water / "crops_sources.csv"
    raw = sources_path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"
    sources = list(csv.reader(io.StringIO(raw.replace("\r\n", "\n"))))
    header, kept = sources[0], [row for row in sources[1:] if row and "FAO Irrigation and Drainage Paper 56" not in
                                row[3]]
    new_rows: list[list[str]] = []
    for index, crop in crops["crop"].items():
        values = fao56_rows(tables, str(crop), CHOICES[str(crop)])
        for column, value in values.items():
            crops.loc[index, column] = value
        new_rows += _source_rows(str(crop), CHOICES[str(crop)], values, version)
    for column in ("l_ini", "l_dev", "l_mid", "l_late", "planting_month", "planting_day"):
        crops[column] = crops[column].astype(int)
    crops.to_csv(water / "crops.csv", index=False)
    order = {crop: i for i, crop in enumerate(crops["crop"])}
    rows = sorted(new_rows + kept, key=lambda row: order.get(row[0], len(order)))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=newline).writerows([header, *rows])
    sources_path.write_bytes(buffer.getvalue().encode("utf-8"))
    print(f"crops.csv: {len(crops)} crops from FAO-56 Tables 11, 12, 22 (pyfao56 {version})")
    return crops
