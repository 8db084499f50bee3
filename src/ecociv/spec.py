"""Typed, frozen model specifications.

One :class:`ModelSpec` per model drives input validation, CLI help, the JSON description
(``ecociv models --json``), the generated model reference (``docs/models``) and the post-run
check that every declared output was produced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_ID = re.compile(r"^[a-z][a-z0-9_]*$")

#: Unit strings the built-in specs declare, known to parse (``tests/test_spec_units.py`` parses each
#: with pint). Declaring a spec with one of them needs no unit registry, so listing and describing
#: models starts without importing pint; any other string is parsed by pint.
KNOWN_UNITS: frozenset[str] = frozenset({
    "", "A", "L/d", "MJ*mm/(ha*h*yr)", "MJ/m**2/day", "Mt/yr", "cm/d", "d", "degC", "degree",
    "delta_degC*day", "g/L", "ha", "hour", "hundred_million * m**3/yr", "hundred_million m**3/yr",
    "kPa", "kPa/delta_degC", "km", "km**2", "km**2*hm/yr", "m", "m**2", "m**3", "m**3/ha/yr",
    "m**3/km**2/yr", "m**3/t", "m**3/yr", "m/s", "mm", "mm/day", "mm/month", "mm/yr", "ohm",
    "percent", "t", "t*ha*h/(ha*MJ*mm)", "t/(ha*yr)", "t/ha", "t/ha/yr", "t/km**2/month",
    "t/km**2/yr", "t/yr", "ten_thousand", "ten_thousand * chinese_mu",
    "1/km**2", "hundred_million * yuan", "ten_thousand * yuan / km**2",
    # green_indicators, total_load_allocation
    "t/(ten_thousand * yuan)",
    "m**3/(ten_thousand * yuan)", "tce/(ten_thousand * yuan)", "yuan/t", "yuan/t**2", "yuan/yr",
    "t/(ten_thousand * yr)", "tce",
    "t/(hundred_million * yuan * yr)",
    # emission_inventory (exported electricity)
    "kWh", "kg/kWh",
    # embodied_flows
    "hundred_million * yuan/yr",
    # eco_compensation, asset_accounts (values per area and per volume)
    "yuan/ha", "yuan/ha/yr", "yuan/km**2/yr", "yuan/m**3",
    # rights_market (a permit is 1 t of an emission right or 1 m³ of a water right)
    "permit", "yuan/permit", "yuan/permit**2",
})

#: Range of each integer dtype of a categorical output (as ``numpy.iinfo``).
_INT_RANGES: dict[str, tuple[int, int]] = {
    "uint8": (0, 2**8 - 1), "int16": (-(2**15), 2**15 - 1), "int32": (-(2**31), 2**31 - 1),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_units(value: str | None) -> str | None:
    if value is None or value in KNOWN_UNITS:
        return value
    from ecociv.units import parse_unit

    parse_unit(value)  # raises ValueError with the offending text
    return value


class Column(_Frozen):
    """A column of a table input or output.

    ``units`` is a pint unit string (``""`` = dimensionless, ``None`` = not a quantity, e.g. codes
    or names). ``ge``/``le`` are inclusive bounds, ``gt``/``lt`` exclusive ones, in ``units``.
    """

    id: str
    about: str
    units: str | None = None
    dtype: Literal["float", "int", "bool", "str"] = "float"
    ge: float | None = None
    le: float | None = None
    gt: float | None = Field(None, description="exclusive lower bound (value must be > gt)")
    lt: float | None = Field(None, description="exclusive upper bound (value must be < lt)")
    required: bool = True

    _units = field_validator("units")(classmethod(lambda cls, v: _check_units(v)))


class _Item(_Frozen):
    id: str
    about: str

    @field_validator("id")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"id {value!r} must be snake_case ([a-z][a-z0-9_]*)")
        return value


class RasterInput(_Item):
    """A raster input, aligned to the run's grid before the model sees it.

    ``kind`` decides the resampling method when alignment is allowed: ``nearest`` for
    categorical rasters, ``bilinear`` for continuous ones (``resampling`` overrides).
    ``codes_in`` names a table input column (``"table_id.column"``) that must list every code.
    """

    type: Literal["raster"] = "raster"
    units: str | None
    kind: Literal["continuous", "categorical"] = "continuous"
    ge: float | None = None
    le: float | None = None
    gt: float | None = Field(None, description="exclusive lower bound (values must be > gt)")
    lt: float | None = Field(None, description="exclusive upper bound (values must be < lt)")
    required: bool = True
    resampling: Literal["nearest", "bilinear", "average", "mode", "cubic"] | None = None
    codes_in: str | None = None
    bands: int | None = Field(None, ge=2, description="number of bands (e.g. 12 = one per month, "
                              "January first); None = a single-band raster")
    bands_from: str | None = Field(None, description="'table_id.column': one band per row of that "
                                   "table input, in row order (e.g. one band per threat)")
    any_bands: bool = Field(False, description="a single- or a multi-band raster: every band is "
                            "read (dims band, y, x when more than one) with its description in "
                            "attrs['band_names'], and the model picks the band it needs")

    _units = field_validator("units")(classmethod(lambda cls, v: _check_units(v)))

    @property
    def resampling_method(self) -> str:
        if self.resampling:
            return self.resampling
        return "nearest" if self.kind == "categorical" else "bilinear"


class TableInput(_Item):
    """A CSV table input. ``index`` is the key column (unique, no missing values)."""

    type: Literal["table"] = "table"
    index: str | None = None
    columns: tuple[Column, ...]
    required: bool = True


class VectorInput(_Item):
    """A vector input (GeoPackage, Shapefile, GeoJSON), reprojected to the run's CRS."""

    type: Literal["vector"] = "vector"
    geometry: Literal["polygon", "point", "line"]
    fields: tuple[Column, ...] = ()
    required: bool = True


class FileInput(_Item):
    """A structured file the model reads itself (e.g. a network YAML with the CSV files it names).

    ``folder_file``: the name of the file to use when a folder is given (the run cache then hashes
    the whole folder, so files the YAML names are part of the cache key).
    """

    type: Literal["file"] = "file"
    formats: tuple[str, ...] = Field(description="accepted file extensions, e.g. ('yaml', 'yml')")
    folder_file: str | None = None
    required: bool = True


class ParamInput(_Item):
    """A parameter with units and an allowed range (``dtype="mapping"``: a YAML/JSON mapping).

    ``ge``/``le`` are inclusive bounds (value ≥ ge, value ≤ le), ``gt``/``lt`` exclusive ones
    (value > gt, value < lt), all in ``units``.

    ``lever_group``: for a mapping parameter, the key of the scenario's ``levers`` section whose
    value is given to this parameter (e.g. ``water`` -> ``levers.water``). ``keys``: for a
    mapping parameter, the keys it accepts (a scenario giving another key is invalid).
    ``field_of``: the id of a vector input whose field this parameter names (e.g. ``zone_field``
    of ``zones``); the field is looked up when the inputs are loaded or validated.
    """

    type: Literal["param"] = "param"
    units: str | None = ""
    dtype: Literal["float", "int", "bool", "str", "mapping"] = "float"
    lever_group: str | None = None
    keys: tuple[str, ...] | None = None
    ge: float | None = None
    le: float | None = None
    gt: float | None = Field(None, description="exclusive lower bound (value must be > gt)")
    lt: float | None = Field(None, description="exclusive upper bound (value must be < lt)")
    default: float | int | bool | str | dict[str, Any] | None = None
    choices: tuple[str, ...] | None = None
    field_of: str | None = None
    required: bool = True

    _units = field_validator("units")(classmethod(lambda cls, v: _check_units(v)))


_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


class Category(_Frozen):
    """A class of a categorical raster output: its code, a name and a colour (``#rrggbb``)."""

    code: int
    name: str
    colour: str

    @field_validator("colour")
    @classmethod
    def _hex(cls, value: str) -> str:
        if not _COLOUR.match(value):
            raise ValueError(f"colour {value!r} must be '#rrggbb'")
        return value.lower()


class RasterOutput(_Item):
    """A raster output, written as a Cloud-Optimized GeoTIFF ``<id>.tif``.

    ``kind="categorical"`` (class codes, no units): overviews by MODE; ``categories`` (code, name,
    colour) are written as the GeoTIFF's colour table and as category names and a raster
    attribute table in ``<id>.tif.aux.xml``, which QGIS, ArcGIS and GDAL read. They may be given
    as ``(code, name, colour)`` tuples. Classes that depend on parameters are given per run as the
    ``categories`` attribute of the returned array (see :meth:`run_categories`).
    """

    type: Literal["raster"] = "raster"
    units: str | None
    long_name: str
    dtype: Literal["float32", "float64", "int16", "int32", "uint8"] = "float32"
    kind: Literal["continuous", "categorical"] = "continuous"
    categories: tuple[Category, ...] = ()
    optional: bool = False
    bands: int | None = Field(None, ge=2, description="number of bands (e.g. 12 = one per month); "
                              "None = a single-band raster")
    bands_from: str | None = Field(None, description="'table_id.column' of an input table: one "
                                   "band per row, in row order, named by that column")
    written_if: str | None = Field(None, description="id of a bool parameter of the model: this "
                                   "optional output is written only when that parameter is true "
                                   "(the free-space check before a run counts it only then)")

    _units = field_validator("units")(classmethod(lambda cls, v: _check_units(v)))

    def run_categories(self, value: Any) -> tuple[Category, ...]:
        """The classes of one run: those the model attached to the array it returned (attribute
        ``categories``, for classes that depend on parameters), else the declared ones."""
        given = getattr(value, "attrs", {}).get("categories")
        if self.kind != "categorical" or not given:
            return self.categories
        # validated as declared ones are (codes unique and within the dtype, colours '#rrggbb')
        return type(self).model_validate({**self.model_dump(), "categories": given}).categories

    @field_validator("categories", mode="before")
    @classmethod
    def _category_tuples(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(Category(code=c[0], name=c[1], colour=c[2]) if isinstance(c, (list, tuple))
                         else c for c in value)
        return value

    @model_validator(mode="after")
    def _categorical(self) -> RasterOutput:
        if self.kind == "categorical":
            if self.dtype not in ("uint8", "int16", "int32"):
                raise ValueError(f"categorical output '{self.id}' needs an integer dtype")
            if self.units is not None:
                raise ValueError(f"categorical output '{self.id}' holds codes: units must be None")
        elif self.categories:
            raise ValueError(f"output '{self.id}' has categories but kind is not 'categorical'")
        codes = [c.code for c in self.categories]
        if len(set(codes)) != len(codes):
            raise ValueError(f"output '{self.id}': category codes must be unique, got {codes}")
        if codes:
            low, high = _INT_RANGES[self.dtype]
            if min(codes) < low or max(codes) > high:
                raise ValueError(f"output '{self.id}': category codes {codes} do not fit {self.dtype}")
        return self


class TableOutput(_Item):
    """A table output, written as ``<id>.csv`` (and ``<id>.parquet`` when large)."""

    type: Literal["table"] = "table"
    columns: tuple[Column, ...]
    optional: bool = False


class VectorOutput(_Item):
    """A vector output, written as GeoPackage ``<id>.gpkg``."""

    type: Literal["vector"] = "vector"
    geometry: Literal["polygon", "point", "line"]
    fields: tuple[Column, ...] = ()
    optional: bool = False


InputSpec = RasterInput | TableInput | VectorInput | FileInput | ParamInput
OutputSpec = RasterOutput | TableOutput | VectorOutput


class ModelSpec(_Frozen):
    """Everything ecociv knows about a model without running it."""

    id: str
    title: str
    title_zh: str = ""
    version: str
    citation: str
    about: str
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]

    @field_validator("id")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"model id {value!r} must be snake_case")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> ModelSpec:
        for group, items in (("input", self.inputs), ("output", self.outputs)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"duplicate {group} id {item.id!r} in model {self.id!r}")
                seen.add(item.id)
        table_ids = {i.id: i for i in self.inputs if isinstance(i, TableInput)}

        def _check_column(owner: str, field: str, reference: str) -> None:
            table, _, column = reference.partition(".")
            if table not in table_ids or column not in {c.id for c in table_ids[table].columns}:
                raise ValueError(f"{owner}.{field} names unknown table column {reference!r}")

        for item in (*self.inputs, *self.outputs):
            if isinstance(item, RasterInput) and item.codes_in:
                _check_column(item.id, "codes_in", item.codes_in)
            if isinstance(item, ParamInput) and item.field_of is not None:
                vectors = [i.id for i in self.inputs if isinstance(i, VectorInput)]
                if item.field_of not in vectors:
                    raise ValueError(f"{item.id}.field_of names unknown vector input "
                                     f"{item.field_of!r} (vector inputs: {vectors})")
            if isinstance(item, (RasterInput, RasterOutput)) and item.bands_from:
                if item.bands is not None:
                    raise ValueError(f"{item.id}: give bands or bands_from, not both")
                _check_column(item.id, "bands_from", item.bands_from)
            if isinstance(item, RasterOutput) and item.written_if is not None:
                self._check_switch(item)
        return self

    def _check_switch(self, output: RasterOutput) -> None:
        """``output.written_if`` must name a bool parameter of this model, and the output must be
        optional (it is not written when the parameter is false)."""
        where = f"model {self.id!r}, output {output.id!r}: written_if={output.written_if!r}"
        params = {i.id: i for i in self.inputs if isinstance(i, ParamInput)}
        param = params.get(output.written_if or "")
        if param is None:
            raise ValueError(f"{where} names no parameter of the model (parameters: {sorted(params)})")
        if param.dtype != "bool":
            raise ValueError(f"{where} names a parameter of dtype {param.dtype!r}; it must be 'bool'")
        if not output.optional:
            raise ValueError(f"{where}: an output written only when a parameter is true must be "
                             "optional=True")

    def input(self, input_id: str) -> InputSpec:
        for item in self.inputs:
            if item.id == input_id:
                return item
        raise KeyError(input_id)

    def output(self, output_id: str) -> OutputSpec:
        for item in self.outputs:
            if item.id == output_id:
                return item
        raise KeyError(output_id)

    def describe(self) -> dict[str, Any]:
        """A JSON-serialisable description of the spec."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class SummaryMeasure:
    """One column of the per-unit summaries of a run on a region dataset (:mod:`ecociv.region.summary`),
    declared by the model whose step provides it.

    Parameters
    ----------
    column : str
        Column name in the summary tables, e.g. ``"water_yield_1e8m3"``.
    source : str
        ``"output:<id>"`` or ``"input:<id>"`` of the model (a raster; an input is summarised as the step
        used it), or, for ``kind="zone_total"``, ``"output:<id>"`` of a table with a ``zone`` column and a
        column named ``column``.
    units : str
        Units the raster must have (checked); for a zone table, the units of its column.
    kind : {"mean", "total", "zone_total"}
        ``mean``: area-weighted mean; ``total``: Σ value × covered area (m²) × ``factor``; ``zone_total``:
        the table's value for the unit (0 when the table has no row for it), summed over units.
    factor : float
        Conversion of a total to the column's units (e.g. mm × m² to 10⁸ m³ is 10⁻³ / 10⁸).
    description : str
        What the column holds, with its units (written to ``columns.json``).
    share_column : str, optional
        For a total in km²: also give ``100 × total / unit area`` (%) in this column.
    share_description : str, optional
        What ``share_column`` holds.
    """

    column: str
    source: str
    units: str
    kind: Literal["mean", "total", "zone_total"]
    factor: float
    description: str
    share_column: str | None = None
    share_description: str = ""


@dataclass(frozen=True)
class Model:
    """A registered model: its spec, its run function and a minimal example.

    ``run(inputs)`` receives a mapping of input id to loaded value (``xarray.DataArray`` for
    rasters, ``pandas.DataFrame`` for tables, ``geopandas.GeoDataFrame`` for vectors, ``float`` /
    ``int`` / ``str`` for params; optional inputs that were not given are absent) and returns a
    mapping of output id to result. Rasters may be dask-backed and are computed when written.
    The inputs it receives have been checked against the spec (ranges, codes, columns, units,
    bands, choices) by :func:`ecociv.execute.load_inputs`, the one validation path of the CLI,
    the scenario runner and the Python API (``ecociv.run_model``); ``run`` itself checks only
    what a spec cannot express (e.g. consistency between inputs), so call it directly only on
    checked inputs.

    ``example()`` returns a small in-memory input mapping on which every non-optional output is
    produced; the contract test runs it for every registered model.

    Optional hooks, so generic layers never name a model: ``report(step_folder, manifest)`` draws
    what the model needs beyond the maps of its raster outputs (e.g. a network diagram) into the
    step folder of a finished run and returns the files written; ``summary`` lists the columns the
    model's step adds to the per-unit summaries of a region run; ``check(given)`` looks at what a
    scenario gives the model before anything runs, without computing (e.g. a network file with
    the levers applied to it): file inputs as paths, parameters parsed, inputs that come from other
    steps as None; it raises :class:`~ecociv.errors.InputError` naming what is wrong.
    """

    spec: ModelSpec
    run: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    example: Callable[[], Mapping[str, Any]]
    report: Callable[[Path, Mapping[str, Any]], list[Path]] | None = None
    summary: tuple[SummaryMeasure, ...] = ()
    check: Callable[[Mapping[str, Any]], None] | None = None
