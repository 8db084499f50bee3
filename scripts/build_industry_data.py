"""Build the derived industry tables of src/ecociv/data/industry/ (deterministic).

* ``emission_factors.csv`` — CO2 factors of fuels (IPCC 2006 Vol. 2 Table 1.3 carbon content × 44/12,
  rounded to three significant figures as Table 1.4 prints them) and of processes (cement clinker,
  coke, pig iron, primary aluminium), read from the parameter files of the ``bonsai-ipcc`` package
  (installed in the throwaway build environment, never a runtime dependency).
* ``sector_accounts.csv`` — one row per (unit, sector, year) from the hand-entered reported figures
  of ``reported_accounts.csv`` (each with its source id), with the derivations stated per row.
* ``electricity_exports.csv`` — electricity sent out of Xinjiang split by producing unit.

Usage::

    /work/main/.venv/bin/python scripts/build_industry_data.py [--bonsai PATH_TO_bonsai_ipcc/data]
"""

from __future__ import annotations

import argparse
import csv
import glob
import math
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "ecociv" / "data" / "industry"
CO2_PER_C = 44.0 / 12.0  # molar masses (IPCC 2006 Vol. 2 eq. 1.1 uses 44/12)
CO2_PER_CAO = 44.01 / 56.08  # IPCC 2006 Vol. 3 eq. 2.4 (molecular weights of CO2 and CaO)
GJ_PER_TCE = 29.3076  # GB/T 2589-2020: 1 kgce = 29 307.6 kJ
WATER_INTENSITY_M3_PER_1E4_YUAN = 24.1  # MWR 2021 bulletin, Table 11, Northwest rivers region

#: fuel id of the factor library -> product of bonsai-ipcc's carbon-content table
FUELS = {
    "anthracite": "anthracite", "coking_coal": "coking_coal",
    "other_bituminous_coal": "other_bituminous_coal", "sub_bituminous_coal": "sub_bituminous_coal",
    "lignite": "lignite", "coke_oven_coke": "coke", "coke_oven_gas": "coke_oven_gas",
    "natural_gas": "natural_gas", "crude_oil": "oil", "motor_gasoline": "motor_gasoline",
    "gas_diesel_oil": "gas_diesel_oil", "residual_fuel_oil": "residual_fuel_oil",
    "liquefied_petroleum_gases": "liquefied_petroleum_gases", "jet_kerosene": "jet_kerosene",
    "petroleum_coke": "petroleum_coke", "refinery_gas": "refinery_gas",
}

FACTOR_COLUMNS = ["sector", "process", "pollutant", "value", "unit", "source", "verified", "status", "note"]
ACCOUNT_COLUMNS = ["unit", "sector", "year", "value_added", "gross_output", "employment", "water_use",
                   "energy_use", "status", "source", "method"]


def three_significant(value: float) -> float:
    """Round to three significant figures (how IPCC 2006 Table 1.4 prints the defaults)."""
    digits = 2 - math.floor(math.log10(abs(value)))
    return round(value, digits)


def find_bonsai() -> Path:
    hits = sorted(glob.glob("/tmp/belt-build-venv/lib/python3*/site-packages/bonsai_ipcc/data"))
    if not hits:
        raise SystemExit("bonsai-ipcc not found: run scripts/build_default_dataset.py once (it makes "
                         "/tmp/belt-build-venv) or give --bonsai")
    return Path(hits[0])


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def default(path: Path, **match: str) -> float:
    """The ``def`` value of a bonsai-ipcc parameter table, for the row matching ``match``."""
    for row in read_rows(path):
        if row.get("property") == "def" and all(row.get(k) == v for k, v in match.items()):
            return float(row["value"])
    raise SystemExit(f"no default row {match} in {path}")


def table_title(meta: dict[str, dict[str, object]], name: str) -> str:
    sources = meta[name].get("sources") or []
    title = str(sources[0]["title"]) if sources else str(meta[name].get("description", ""))  # type: ignore[index]
    return " ".join(title.split())


def factor_rows(bonsai: Path) -> list[dict[str, object]]:
    meta = {r["name"]: r for r in yaml.safe_load((bonsai / "ipcc.datapackage.yaml").read_text())["resources"]}
    rows: list[dict[str, object]] = []
    carbon = bonsai / "generic" / "par_carbon_content_per_energy.csv"
    for fuel, product in FUELS.items():
        content = default(carbon, product=product)
        rows.append({"sector": "*", "process": fuel, "pollutant": "CO2",
                     "value": three_significant(content * CO2_PER_C * 1000.0), "unit": "kg/TJ",
                     "source": "ipcc_2006_v2", "verified": "false", "status": "reported",
                     "note": f"default carbon content {content} kg C/GJ "
                             f"({table_title(meta, 'par_carbon_content_per_energy')}, "
                             f"bonsai-ipcc generic/par_carbon_content_per_energy.csv, product {product}) × 44/12, "
                             "oxidation factor 1, rounded to 3 significant figures as in Table 1.4"})
    coal = default(carbon, product="other_bituminous_coal") * CO2_PER_C  # kg/GJ
    rows.append({"sector": "*", "process": "coal_tce", "pollutant": "CO2",
                 "value": round(coal * GJ_PER_TCE / 1000.0, 4), "unit": "t/tce", "source": "ipcc_2006_v2; gbt2589_2020",
                 "verified": "false", "status": "estimated",
                 "note": f"derived: other bituminous coal {coal:.1f} kg CO2/GJ × 29.3076 GJ/tce; for energy "
                         "use in tce that is coal (Xinjiang's dominant fuel); overstates CO2 of energy from gas, "
                         "oil or electricity"})
    mineral = bonsai / "industry" / "mineral"
    cao = default(mineral / "par_cao_in_clinker.csv")
    ckd = default(mineral / "par_ckd_correc_fact.csv")
    rows.append({"sector": "non_metallic_minerals", "process": "clinker", "pollutant": "CO2",
                 "value": round(cao * CO2_PER_CAO * ckd, 4), "unit": "t/t", "source": "ipcc_2006_v3",
                 "verified": "false", "status": "reported",
                 "note": f"IPCC 2006 Vol.3 eq. 2.4 Tier 1: CaO share of clinker {cao} × 44.01/56.08 × cement "
                         f"kiln dust correction {ckd} (bonsai-ipcc industry/mineral/par_cao_in_clinker.csv, "
                         "par_ckd_correc_fact.csv)"})
    metal = bonsai / "industry" / "metal"
    for sector, process, path, match, label in (
        ("coking", "coke_production", metal / "par_ef_co2_coke.csv", {"activity": "by-product_recovery"},
         "par_ef_co2_coke"),
        ("steel", "pig_iron", metal / "par_ef_co2_pigiron.csv", {}, "par_ef_co2_pigiron"),
        ("non_ferrous", "aluminium_prebake", metal / "par_ef_co2_alu.csv", {"activity": "prebake"}, "par_ef_co2_alu"),
        ("non_ferrous", "aluminium_soderberg", metal / "par_ef_co2_alu.csv", {"activity": "soderberg"},
         "par_ef_co2_alu"),
    ):
        value = default(path, **match)
        year = next(r["year"] for r in read_rows(path))
        rows.append({"sector": sector, "process": process, "pollutant": "CO2", "value": value, "unit": "t/t",
                     "source": "ipcc_2019_v3" if year == "2019" else "ipcc_2006_v3", "verified": "false",
                     "status": "reported",
                     "note": f"Tier 1 default: {table_title(meta, label)} (bonsai-ipcc industry/metal/{path.name}"
                             + (f", {match['activity']}" if match else "") + ")"})
    rows.extend(ap42_rows())
    return rows


def ap42_rows() -> list[dict[str, object]]:
    """SO2 per tonne of fuel sulfur and NOx per tonne of coal from US EPA AP-42 (5th ed., 1995), as
    reproduced in a power-plant handbook (Table A27 = AP-42 Table 1.2-1, anthracite; footnote b of
    AP-42 Table 1.1-3, bituminous coal). lb/ton × 0.5 = kg/t (the tables' own conversion)."""
    so2_per_s = 64.066 / 32.06  # t SO2 per t S (molar masses)
    note = ("US boilers without NOx or SO2 control; applicability to Xinjiang coal and boilers not checked. "
            "Activity of the *_sulfur processes: tonnes of sulfur in the coal burnt (coal t × S wt% / 100)")
    return [
        {"sector": "*", "process": "anthracite_sulfur", "pollutant": "SO2", "value": 1.95, "unit": "t/t",
         "source": "ap42_1995", "verified": "false", "status": "reported",
         "note": "AP-42 Table 1.2-1: SOx 39S lb/ton of anthracite (stoker and pulverized coal) = 19.5 kg/t per "
                 "wt% S = 1.95 t SO2 per t of fuel sulfur. " + note},
        {"sector": "*", "process": "bituminous_sulfur", "pollutant": "SO2", "value": round(0.95 * so2_per_s, 4),
         "unit": "t/t", "source": "ap42_1995", "verified": "false", "status": "estimated",
         "note": "AP-42 Table 1.1-3 footnote b: on average 95 % of the fuel sulfur of bituminous coal is emitted "
                 "as SO2; × 64.066/32.06 t SO2 per t S. " + note},
        {"sector": "*", "process": "anthracite_pulverized", "pollutant": "NOx", "value": 9.0, "unit": "kg/t",
         "source": "ap42_1995", "verified": "false", "status": "reported",
         "note": "AP-42 Table 1.2-1: NOx 18 lb/ton, pulverized coal boilers, as NO2. " + note},
        {"sector": "*", "process": "anthracite_stoker", "pollutant": "NOx", "value": 4.5, "unit": "kg/t",
         "source": "ap42_1995", "verified": "false", "status": "reported",
         "note": "AP-42 Table 1.2-1: NOx 9.0 lb/ton, stoker-fired boilers, as NO2. " + note},
    ]


def account_rows(reported: list[dict[str, str]]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def add(record: dict[str, str], sector: str, status: str, method: str) -> None:
        value = float(record["value"])
        water = ""
        if sector not in ("agriculture",):
            water = round(value * WATER_INTENSITY_M3_PER_1E4_YUAN * 1e4 / 1e8, 4)
            method += ("; water_use estimated = value added × 24.1 m3 per 10^4 yuan (industrial water use per "
                       "value added, Northwest rivers region 2021, source mwr_bulletin_2021)")
        rows.append({"unit": record["unit"], "sector": sector, "year": int(record["year"]), "value_added": value,
                     "gross_output": "", "employment": "", "water_use": water, "energy_use": "", "status": status,
                     "source": record["source"] + ("; mwr_bulletin_2021" if water != "" else ""),
                     "method": method + f" (scope: {record['scope']})"})

    for record in reported:
        indicator = record["indicator"]
        if indicator == "va_primary":
            add(record, "agriculture", "reported", "value added of the primary industry (第一产业增加值)")
        elif indicator == "va_mining_above_size":
            add(record, "mining", "reported", "value added of mining (section B) of enterprises above designated "
                "size; smaller enterprises not included")
        elif indicator == "va_utilities_above_size":
            add(record, "power_heat", "estimated", "value added of section D (electricity, heat, gas and water "
                "supply) of enterprises above designated size taken as power_heat (division 44): gas and water "
                "supply (45, 46) not separated")
    rows.sort(key=lambda r: (str(r["unit"]), int(str(r["year"])), str(r["sector"])))
    return rows


def export_rows(sources: list[dict[str, str]]) -> list[dict[str, object]]:
    """2021 exports (1220e8 kWh) split by line capacity: Changji–Guquan 9.0 GW of 16.4 GW leaves from
    Changji (Zhundong); the rest (Hami–Zhengzhou ±800 kV and the 750 kV Hami ties) from Hami."""
    total_kwh = 1220e8
    changji_share = 900.0 / 1640.0
    coal_kg_per_kwh = 94.6 * 3.6 / 1000.0 / 0.40  # other bituminous coal, 3.6 GJ/MWh, 40 % net efficiency
    common = {"year": 2021, "emission_factor": round(coal_kg_per_kwh, 4),
              "factor_status": "illustrative",
              "factor_note": "coal plant at an assumed 40 % net efficiency (94.6 kg CO2/GJ IPCC 2006 × 3.6 GJ/MWh / "
                             "0.40); the exported mix also carries wind and solar power, so this is an upper bound"}
    return [
        {**common, "producer_unit": "652300", "receiving_region": "East China (Anhui, Changji–Guquan ±1100 kV)",
         "electricity": round(total_kwh * changji_share), "status": "estimated", "source": "xj_power_export_2021",
         "method": "Xinjiang's 2021 exports 1220e8 kWh × 900/1640 (Changji–Guquan capacity over total export "
                   "capacity)"},
        {**common, "producer_unit": "650500",
         "receiving_region": "Central and Northwest China (Hami–Zhengzhou ±800 kV, 750 kV ties)",
         "electricity": round(total_kwh * (1 - changji_share)), "status": "estimated",
         "source": "xj_power_export_2021",
         "method": "Xinjiang's 2021 exports 1220e8 kWh × 740/1640 (the rest of the export capacity, whose lines leave "
                   "from Hami)"},
    ]


def write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bonsai", type=Path, default=None, help="bonsai_ipcc/data folder")
    args = parser.parse_args()
    bonsai = args.bonsai or find_bonsai()
    write(OUT / "emission_factors.csv", FACTOR_COLUMNS, factor_rows(bonsai))
    write(OUT / "sector_accounts.csv", ACCOUNT_COLUMNS, account_rows(read_rows(OUT / "reported_accounts.csv")))
    exports = export_rows(read_rows(OUT / "sources.csv"))
    write(OUT / "electricity_exports.csv", list(exports[0]), exports)
    print(f"wrote {OUT}/emission_factors.csv, sector_accounts.csv, electricity_exports.csv")


if __name__ == "__main__":
    main()
