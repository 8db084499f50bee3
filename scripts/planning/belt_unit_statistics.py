"""Write src/ecociv/data/planning/belt_unit_statistics.csv: resident population (2020 census)
and reported GDP of the Belt's county-level units, for the land-use efficiency of
``spatial_planning`` (value added and population per km² of construction land).

Reads only files of the embedded Belt dataset (census_2020.csv, reported_statistics.csv and
units.csv, each with its sources in the dataset's sources.csv); deterministic. Run from the
repository root: ``python scripts/planning/belt_unit_statistics.py``.

GDP is taken only where it is reported for the county-level unit itself. Shihezi is left out:
its figure is that of Shihezi city and the 8th Division together (师市合一), whose land reaches
far beyond the unit's polygon, so its GDP per km² would be overstated.
"""

from __future__ import annotations

import csv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BELT = ROOT / "src" / "ecociv" / "data" / "belt"
OUT = ROOT / "src" / "ecociv" / "data" / "planning" / "belt_unit_statistics.csv"
#: reported figures not used, and why
SKIP_GDP = {"659001": "Shihezi city and 8th Division together; covers land beyond the unit"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    units = _rows(BELT / "units.csv")
    census = {r["adcode"]: r for r in _rows(BELT / "census_2020.csv")}
    gdp = {r["adcode"]: r for r in _rows(BELT / "reported_statistics.csv")
           if r["indicator"] == "GDP" and r["adcode"] and r["adcode"] not in SKIP_GDP}
    columns = ["zone", "name_zh", "population", "population_year", "population_source",
               "value_added", "value_added_year", "value_added_status", "value_added_source"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for unit in units:
            code = unit["adcode"]
            person = census.get(code)
            reported = gdp.get(code)
            writer.writerow({
                "zone": code, "name_zh": unit["name_zh"],
                "population": person["population_total"] if person else "",
                "population_year": "2020" if person else "",
                "population_source": ("Seventh National Population Census 2020 (NBS), via the "
                                      "Belt dataset's census_2020.csv (China Census dataset v1, "
                                      "Dong Lei et al.)") if person else "",
                "value_added": reported["value"] if reported else "",
                "value_added_year": reported["year"] if reported else "",
                "value_added_status": (f"reported ({reported['source_kind']})" if reported else ""),
                "value_added_source": reported["source"] if reported else "",
            })


if __name__ == "__main__":
    main()
