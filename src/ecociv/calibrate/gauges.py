"""The gauge table: published mean annual runoff and catchment area at named gauging stations.

One row per gauge (UTF-8 CSV, header required):

``id``, ``river``, ``station``, ``lon``, ``lat`` (WGS84 degrees), ``coordinates`` (how the point
was placed), ``basin`` (a basin name of the dataset's ``units.csv``, used to group the seasonality
factor), ``runoff`` (mean annual runoff, 10⁸ m³/yr; blank for a gauge used only to check the
delineation), ``period``, ``catchment_area_km2`` (published area above the gauge, km², may be
blank), ``network_node`` (the water network's inflow node of the same river, may be blank),
``citation``, ``source_url``, ``citation_status`` (``verified`` or ``uncertain``), ``note``.

The Belt's table is ``src/ecociv/data/calibration/belt_gauges.csv``; the dataset build copies its
runoff rows into the reference table (``reference/gauges.csv``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ecociv.errors import InputError

REQUIRED = ("id", "lon", "lat", "basin", "runoff", "catchment_area_km2", "citation",
            "citation_status")
OPTIONAL = ("river", "station", "coordinates", "period", "network_node", "source_url", "note")
CITATION_STATUSES = ("verified", "uncertain")

#: unit of the ``runoff`` column
RUNOFF_UNIT = "1e8 m**3/yr"


@dataclass(frozen=True)
class Gauge:
    """One gauge of the table (runoff in 10⁸ m³/yr, area in km²; NaN where not published)."""

    id: str
    lon: float
    lat: float
    basin: str
    runoff: float
    catchment_area_km2: float
    citation: str
    citation_status: str
    river: str = ""
    station: str = ""
    period: str = ""
    network_node: str = ""
    source_url: str = ""
    coordinates: str = ""
    note: str = ""

    @property
    def has_runoff(self) -> bool:
        """A published runoff is given (the gauge can be calibrated against)."""
        return math.isfinite(self.runoff)


def _number(value: object, *, path: str, row: int, column: str, low: float, high: float,
            blank_ok: bool) -> float:
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    text = text.strip()
    if not text:
        if blank_ok:
            return math.nan
        raise InputError(f"'{column}' is empty; expected a number", source=path,
                         where=f"row {row}, column '{column}'")
    try:
        number = float(text)
    except ValueError:
        raise InputError(f"'{column}' is {text!r}; expected a number", source=path,
                         where=f"row {row}, column '{column}'") from None
    if not (low <= number <= high):
        raise InputError(f"'{column}' is {number}; expected a value in [{low}, {high}]",
                         source=path, where=f"row {row}, column '{column}'")
    return number


def read_gauges(path: str | Path, basins: set[str] | None = None) -> list[Gauge]:
    """Read and check a gauge table.

    Parameters
    ----------
    path : str or Path
        The CSV file.
    basins : set of str, optional
        Allowed basin names (the dataset's ``units.csv`` ``basin`` values); any name if None.

    Returns
    -------
    list of Gauge
    """
    source = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("gauge table not found", source=source) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read the gauge table as UTF-8 CSV ({err})", source=source) from err
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}; a gauge table needs "
                         f"{', '.join(REQUIRED)}", source=source)
    if frame.empty:
        raise InputError("the gauge table has no rows", source=source)
    gauges: list[Gauge] = []
    seen: set[str] = set()
    for index, rec in enumerate(frame.to_dict("records"), start=2):
        gauge_id = rec["id"].strip()
        if not gauge_id:
            raise InputError("'id' is empty", source=source, where=f"row {index}, column 'id'")
        if gauge_id in seen:
            raise InputError(f"gauge id '{gauge_id}' appears twice", source=source,
                             where=f"row {index}, column 'id'")
        seen.add(gauge_id)
        if not rec["citation"].strip():
            raise InputError(f"gauge '{gauge_id}' has no citation; every published figure needs "
                             "its source", source=source, where=f"row {index}, column 'citation'")
        status = rec["citation_status"].strip()
        if status not in CITATION_STATUSES:
            raise InputError(f"citation_status is {status!r}; expected one of "
                             f"{', '.join(CITATION_STATUSES)}", source=source,
                             where=f"row {index}, column 'citation_status'")
        basin = rec["basin"].strip()
        if basins is not None and basin not in basins:
            raise InputError(f"basin {basin!r} of gauge '{gauge_id}' is not a basin of the "
                             f"dataset's units ({', '.join(sorted(basins))})", source=source,
                             where=f"row {index}, column 'basin'")
        gauges.append(Gauge(
            id=gauge_id,
            lon=_number(rec["lon"], path=source, row=index, column="lon", low=-180, high=180,
                        blank_ok=False),
            lat=_number(rec["lat"], path=source, row=index, column="lat", low=-90, high=90,
                        blank_ok=False),
            basin=basin,
            runoff=_number(rec["runoff"], path=source, row=index, column="runoff", low=1e-9,
                           high=1e6, blank_ok=True),
            catchment_area_km2=_number(rec["catchment_area_km2"], path=source, row=index,
                                       column="catchment_area_km2", low=1e-9, high=1e8,
                                       blank_ok=True),
            citation=rec["citation"].strip(), citation_status=status,
            **{key: str(rec.get(key, "")).strip() for key in OPTIONAL},
        ))
    return gauges


def reference_rows(gauges: list[Gauge], model_output: str = "water_yield.water_yield:sum",
                   tolerance: float = 0.3) -> pd.DataFrame:
    """The gauges with a published runoff as rows of the reference table (format of
    ``src/ecociv/data/belt/reference/``)."""
    rows = []
    for gauge in gauges:
        if not gauge.has_runoff:
            continue
        area = (f"; published catchment area {gauge.catchment_area_km2:g} km2"
                if math.isfinite(gauge.catchment_area_km2) else "")
        rows.append({
            "id": gauge.id, "quantity": "mean annual runoff", "place_kind": "gauge",
            "place": f"{gauge.river} at {gauge.station}".strip(),
            "lon": gauge.lon, "lat": gauge.lat, "value": gauge.runoff, "low": "", "high": "",
            "tolerance": tolerance, "unit": RUNOFF_UNIT, "period": gauge.period,
            "model_output": model_output, "citation": gauge.citation,
            "source_url": gauge.source_url, "citation_status": gauge.citation_status,
            "note": f"{gauge.note}; coordinates {gauge.coordinates}{area}".strip("; "),
        })
    return pd.DataFrame(rows)
