"""The reference table: published figures for a region's places, one row each, read from a CSV
file or every ``*.csv`` of a folder, and validated before any run is touched.

Every problem is an :class:`~ecociv.errors.InputError` naming the file, the line and the column:
a missing citation, an unknown place (adcode, basin or lake not in the dataset), a gauge or
station without coordinates or outside the grid, a unit that pint does not know or that does not
convert to the unit of the model output the row names, a duplicate id, ``low > high``. The format
is described in ``docs/check.md``.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pint

from ecociv.check.outputs import RASTER_STATISTICS, TABLE_AGGREGATES, OutputRef, match_column, parse_output
from ecociv.check.places import PLACE_KINDS, POINT_KINDS, Places, split_units
from ecociv.errors import InputError
from ecociv.units import ureg

#: every column of the format, in order
COLUMNS = ("id", "quantity", "place_kind", "place", "lon", "lat", "value", "low", "high",
           "tolerance", "unit", "period", "model_output", "citation", "source_url",
           "citation_status", "note")
#: columns a file must have (the others may be left out of the header)
REQUIRED_COLUMNS = ("id", "quantity", "place_kind", "place", "value", "unit", "period",
                    "model_output", "citation", "citation_status")
CITATION_STATUSES = ("verified", "uncertain")


@dataclass(frozen=True)
class ReferenceRow:
    """One published figure, validated; ``low``/``high`` are resolved (from the tolerance when
    the row gives no range), all in ``unit``."""

    id: str
    quantity: str
    place_kind: str
    place: str
    value: float
    low: float
    high: float
    unit: str
    period: str
    output: OutputRef | None
    citation: str
    citation_status: str
    source: str
    line: int
    lon: float | None = None
    lat: float | None = None
    tolerance: float | None = None
    source_url: str = ""
    note: str = ""

    @property
    def where(self) -> str:
        """``file, line n`` for messages."""
        return f"{self.source}, line {self.line}"

    @property
    def unit_quantity(self) -> Any:
        """One ``unit`` as a pint quantity (``"1e8 m**3/yr"`` carries its factor)."""
        return parse_unit_expression(self.unit)

    def magnitude(self, quantity: Any) -> float:
        """``quantity`` (pint) expressed in this row's unit."""
        return float((quantity / self.unit_quantity).to("dimensionless").magnitude)


def parse_unit_expression(text: str) -> Any:
    """A unit with an optional factor (``"1e8 m**3/yr"``, ``"percent"``) as a pint quantity.

    Raises
    ------
    ValueError
        pint does not know the unit.
    """
    text = text.strip()
    if text in ("", "1"):
        text = "dimensionless"
    try:
        quantity = ureg.parse_expression(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError,
            AttributeError, TypeError, SyntaxError) as err:
        raise ValueError(f"unknown unit {text!r} ({err})") from err
    if not isinstance(quantity, ureg.Quantity):
        return ureg.Quantity(float(quantity), "dimensionless")
    return quantity


def output_unit(units: str | None, statistic: str) -> Any:
    """The unit of a raster statistic: ``sum`` = units × m² (an area for unitless rasters such
    as masks and 0–1 scores), ``mean`` and ``point`` = units, ``share`` = percent."""
    base = parse_unit_expression(units or "")
    if statistic == "sum":
        return base * ureg.Quantity(1, "m**2")
    if statistic == "share":
        return ureg.Quantity(1, "percent")
    return base


def table_unit(units: str | None, aggregate: str) -> Any:
    """The unit of a table aggregate: the column's, per year for ``annual``."""
    base = parse_unit_expression(units or "")
    return base / ureg.Quantity(1, "yr") if aggregate == "annual" else base


def _number(text: str, *, name: str, source: str, line: int) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InputError(f"expected a number, got {text!r}", source=source,
                         where=f"line {line}, column '{name}'")
    return number


def _suggest(value: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=3)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _expected_unit(ref: OutputRef, source: str, line: int) -> Any:
    """The unit the model output (or single-band raster input, as the step used it) answers a row
    in, from the model's spec; raises when the model, output, column or statistic is unknown."""
    from ecociv.registry import all_specs

    specs = all_specs()
    where = f"line {line}, column 'model_output'"
    spec = specs.get(ref.step)
    if spec is None:
        raise InputError(f"unknown model {ref.step!r} in {str(ref)!r}{_suggest(ref.step, specs)} "
                         f"(models: {', '.join(sorted(specs))})", source=source, where=where)
    outputs: dict[str, Any] = {o.id: o for o in spec.outputs}
    rasters_in: dict[str, Any] = {i.id: i for i in spec.inputs if i.type == "raster"}
    out: Any = outputs.get(ref.output) or rasters_in.get(ref.output)
    if out is None:
        known = [*outputs, *rasters_in]
        raise InputError(f"model {ref.step!r} has no output or raster input {ref.output!r}"
                         f"{_suggest(ref.output, known)} (outputs: {', '.join(outputs)}; raster inputs: "
                         f"{', '.join(rasters_in)})", source=source, where=where)
    if out.type == "raster" and (out.bands or out.bands_from):
        raise InputError(f"raster {ref.output!r} of {ref.step!r} has one band per month or item; reference "
                         "rows compare single-band rasters (use the annual output)", source=source, where=where)
    if out.type == "raster":
        if ref.statistic not in RASTER_STATISTICS:
            raise InputError(f"statistic {ref.statistic!r} of raster output {ref.output!r}: expected "
                             f"one of {', '.join(RASTER_STATISTICS)}", source=source, where=where)
        return output_unit(out.units, ref.statistic)
    if out.type == "table":
        columns = {c.id: c for c in out.columns}
        if ref.table_aggregate not in TABLE_AGGREGATES or "_" not in ref.statistic:
            raise InputError(f"statistic {ref.statistic!r} of table output {ref.output!r}: expected "
                             f"'<column>_<aggregate>' with aggregate one of "
                             f"{', '.join(TABLE_AGGREGATES)}", source=source, where=where)
        name = match_column(list(columns), ref.table_column)
        if name is None:
            raise InputError(f"table {ref.output!r} has no column {ref.table_column!r}"
                             f"{_suggest(ref.table_column, columns)} (columns: {', '.join(columns)})",
                             source=source, where=where)
        for key, _ in ref.filters:
            if key not in columns:
                raise InputError(f"filter column {key!r} is not a column of table {ref.output!r} "
                                 f"(columns: {', '.join(columns)})", source=source, where=where)
        if columns[name].units is None:
            raise InputError(f"column {name!r} of table {ref.output!r} is not a quantity",
                             source=source, where=where)
        return table_unit(columns[name].units, ref.table_aggregate)
    raise InputError(f"output {ref.output!r} is a {out.type}; reference rows compare raster and "
                     "table outputs", source=source, where=where)


def _row(record: dict[str, str], source: str, line: int, places: Places) -> ReferenceRow:
    def where(column: str) -> str:
        return f"line {line}, column '{column}'"

    def text(column: str) -> str:
        return (record.get(column) or "").strip()

    for column in ("id", "quantity", "place_kind", "value", "unit", "period"):
        if not text(column):
            raise InputError(f"'{column}' is empty; every row needs it", source=source, where=where(column))
    if not text("citation"):
        raise InputError("citation is missing: give authors or agency, year, title, journal or "
                         "bulletin and table/page", source=source, where=where("citation"))
    status = text("citation_status")
    if status not in CITATION_STATUSES:
        raise InputError(f"citation_status {status!r}: expected one of {', '.join(CITATION_STATUSES)}",
                         source=source, where=where("citation_status"))
    kind = text("place_kind")
    if kind not in PLACE_KINDS:
        raise InputError(f"place_kind {kind!r}: expected one of {', '.join(PLACE_KINDS)}",
                         source=source, where=where("place_kind"))
    place = text("place")
    known = places.known(kind)
    if kind in ("belt", "prefecture", "unit", "basin", "lake") and place not in known:
        what = {"belt": "the region is written", "prefecture": "prefecture adcodes of the units table",
                "unit": "adcodes of the units table", "basin": "basins of the units table",
                "lake": "lakes of lake_names.csv"}[kind]
        raise InputError(f"unknown {kind} {place!r}{_suggest(place, known)} ({what}: "
                         f"{', '.join(known)})", source=source, where=where("place"))
    if not place:
        raise InputError(f"'place' is empty; a {kind} row names its {kind}", source=source,
                         where=where("place"))
    if kind == "units":
        adcodes = places.known("unit")
        unknown = [code for code in split_units(place) if code not in adcodes]
        if unknown or len(split_units(place)) < 2:
            raise InputError(f"a units place is two or more adcodes of the units table joined by '+'"
                             f"{f'; unknown: {unknown[0]!r}' if unknown else ''}"
                             f"{_suggest(unknown[0], adcodes) if unknown else ''}",
                             source=source, where=where("place"))
    lon = _number(text("lon"), name="lon", source=source, line=line)
    lat = _number(text("lat"), name="lat", source=source, line=line)
    if kind in POINT_KINDS:
        if lon is None or lat is None:
            missing = "lon" if lon is None else "lat"
            raise InputError(f"a {kind} row needs its coordinates (WGS84 lon and lat, decimal degrees)",
                             source=source, where=where(missing))
        if not (-180 <= lon <= 180 and -90 <= lat <= 90) or places.on_grid(lon, lat) is None:
            raise InputError(f"{kind} {place!r} at lon {lon}, lat {lat} is outside the grid",
                             source=source, where=where("lon"))
    value = _number(text("value"), name="value", source=source, line=line)
    assert value is not None
    low = _number(text("low"), name="low", source=source, line=line)
    high = _number(text("high"), name="high", source=source, line=line)
    tolerance = _number(text("tolerance"), name="tolerance", source=source, line=line)
    if (low is None) != (high is None):
        raise InputError("give both low and high (a published range), or neither (then the "
                         "tolerance)", source=source, where=where("low" if low is None else "high"))
    if low is not None and high is not None:
        if low > high:
            raise InputError(f"low {low:g} > high {high:g}", source=source, where=where("low"))
    elif tolerance is None:
        if text("model_output"):
            raise InputError("no range: give low and high, or a relative tolerance (e.g. 0.3)",
                             source=source, where=where("tolerance"))
        low = high = value  # a context row: nothing is compared with it
    elif tolerance < 0:
        raise InputError(f"tolerance {tolerance:g} is negative", source=source, where=where("tolerance"))
    else:
        low, high = sorted((value * (1 - tolerance), value * (1 + tolerance)))
    unit = text("unit")
    try:
        unit_quantity = parse_unit_expression(unit)
    except ValueError as err:
        raise InputError(str(err), source=source, where=where("unit")) from err
    output: OutputRef | None = None
    if text("model_output"):
        try:
            output = parse_output(text("model_output"))
        except ValueError as err:
            raise InputError(str(err), source=source, where=where("model_output")) from err
        if output.statistic == "point" and kind not in POINT_KINDS:
            raise InputError(f"statistic 'point' needs a gauge or station row with lon/lat, not a "
                             f"{kind}", source=source, where=where("model_output"))
        expected = _expected_unit(output, source, line)
        if expected is not None and not unit_quantity.is_compatible_with(expected):
            raise InputError(f"unit {unit!r} does not convert to the unit of {str(output)!r} "
                             f"({expected.units:~P}, {expected.dimensionality})", source=source,
                             where=where("unit"))
    return ReferenceRow(
        id=text("id"), quantity=text("quantity"), place_kind=kind, place=place, value=value,
        low=float(low), high=float(high), unit=unit, period=text("period"), output=output,
        citation=text("citation"), citation_status=status, source=source, line=line, lon=lon,
        lat=lat, tolerance=tolerance, source_url=text("source_url"), note=text("note"))


def read_reference_file(path: Path, places: Places) -> list[ReferenceRow]:
    """Rows of one reference CSV (UTF-8, a byte-order mark allowed)."""
    source = str(path)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as err:
        raise InputError(f"cannot read the reference table: {err.strerror or err}", source=source) from err
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if not header:
                raise InputError("empty file: a reference table needs a header row "
                                 f"({', '.join(COLUMNS)})", source=source)
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise InputError(f"header lacks column(s) {', '.join(missing)} (columns: "
                                 f"{', '.join(COLUMNS)})", source=source, where="line 1")
            unknown = [c for c in header if c not in COLUMNS]
            if unknown:
                raise InputError(f"unknown column(s) {', '.join(repr(c) for c in unknown)}"
                                 f"{_suggest(unknown[0], COLUMNS)} (columns: {', '.join(COLUMNS)})",
                                 source=source, where="line 1")
            reader.fieldnames = header
            rows = []
            start = 2
            for record in reader:
                if None in record:
                    raise InputError(f"more cells than header columns ({len(header)})", source=source,
                                     where=f"line {start}")
                if any((v or "").strip() for v in record.values()):
                    rows.append(_row(record, source, start, places))
                start = reader.line_num + 1
        except UnicodeDecodeError as err:
            raise InputError(f"not UTF-8 text ({err.reason} at byte {err.start}); save the table "
                             "as UTF-8 CSV", source=source) from err
        except csv.Error as err:
            raise InputError(f"not a readable CSV table ({err})", source=source) from err
    return rows


def reference_files(path: str | Path) -> list[Path]:
    """``path`` itself, or every ``*.csv`` of the folder ``path`` (sorted by name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.glob("*.csv") if p.is_file())
        if not files:
            raise InputError("the reference folder holds no *.csv table", source=str(path))
        return files
    if not path.is_file():
        raise InputError("reference table not found (give a CSV file or a folder of them)",
                         source=str(path))
    return [path]


def load_reference(path: str | Path, places: Places) -> list[ReferenceRow]:
    """Read and validate a reference CSV, or every ``*.csv`` of a folder (ids unique across the
    files).

    Parameters
    ----------
    path : path
        A CSV file or a folder of them.
    places : Places
        The dataset's units, basins, lakes and grid the rows must name.

    Returns
    -------
    list of ReferenceRow
        In file order, files sorted by name.

    Raises
    ------
    InputError
        The first problem found, naming the file, line and column.
    """
    rows: list[ReferenceRow] = []
    seen: dict[str, ReferenceRow] = {}
    for file in reference_files(path):
        for row in read_reference_file(file, places):
            if row.id in seen:
                first = seen[row.id]
                raise InputError(f"duplicate id {row.id!r} (first at {first.where})", source=row.source,
                                 where=f"line {row.line}, column 'id'")
            seen[row.id] = row
            rows.append(row)
    return rows


def default_reference(dataset: Any) -> Path:
    """The reference folder of a dataset (``<dataset>/reference``)."""
    return Path(dataset.root) / "reference"
