"""Building blocks shared by model specs: the land-use input, the zone inputs and zone-table
columns, and the one lookup of a field of a vector layer (one casing rule, "did you mean" hints).

Every model that reports per zone declares the same ``zones`` / ``zone_field`` inputs and the
same ``zone`` column with these functions, so the ids, kinds and units agree across models
(``tests/test_contract.py`` checks that they do).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from ecociv.errors import InputError
from ecociv.spec import Column, ModelSpec, ParamInput, RasterInput, TableInput, VectorInput

#: Key column of land-use tables (InVEST's name).
LUCODE = "lucode"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest candidate to ``name`` (case-insensitive), or
    ``""`` when none is close."""
    options = [str(c) for c in candidates]
    by_folded = {c.casefold(): c for c in options}
    close = difflib.get_close_matches(name.strip().casefold(), list(by_folded), n=1)
    return f" (did you mean '{by_folded[close[0]]}'?)" if close else ""


def land_use_input(*, codes_in: str | None, id: str = "land_use",
                   about: str = "Land-use/land-cover codes", required: bool = True) -> RasterInput:
    """A categorical land-use raster whose codes must all be listed in ``codes_in``
    (``"table_id.lucode"``); resampled by nearest neighbour when aligned."""
    return RasterInput(id=id, about=about, units=None, kind="categorical", codes_in=codes_in,
                       required=required)


def lucode_column(about: str = "land-use code") -> Column:
    """The ``lucode`` key column of a table keyed by land-use code."""
    return Column(id=LUCODE, about=about, units=None, dtype="int")


def lucode_table(id: str, about: str, *columns: Column, required: bool = True) -> TableInput:
    """A table keyed by land-use code: the ``lucode`` column, then ``columns``."""
    return TableInput(id=id, about=about, index=LUCODE, columns=(lucode_column(), *columns),
                      required=required)


def zone_inputs(about: str = "Polygons to report per zone (e.g. counties)", *,
                id: str = "zones",
                field_id: str = "zone_field",
                field_about: str = "Attribute naming each zone (default: feature number)",
                ) -> tuple[VectorInput, ParamInput]:
    """The optional polygon layer to report over and the parameter naming its name field."""
    return (VectorInput(id=id, about=about, geometry="polygon", required=False),
            ParamInput(id=field_id, about=field_about, units=None, dtype="str", required=False,
                       field_of=id))


def zone_column(about: str = "zone name or number (\"all\" without zones)") -> Column:
    """The ``zone`` column of a per-zone table output."""
    return Column(id="zone", about=about, units=None, dtype="str")


def cells_column(about: str = "cells whose centre is in the zone") -> Column:
    """The ``cells`` column of a per-zone table output."""
    return Column(id="cells", about=about, units=None, dtype="int")


def valid_cells_column(about: str = "cells with a result") -> Column:
    """The ``valid_cells`` column of a per-zone table output."""
    return Column(id="valid_cells", about=about, units=None, dtype="int")


def count_columns() -> tuple[Column, Column]:
    """The ``cells`` and ``valid_cells`` columns of a per-zone table output."""
    return (cells_column(), valid_cells_column())


def zone_columns(*columns: Column, about: str | None = None, counts: bool = False
                 ) -> tuple[Column, ...]:
    """Columns of a per-zone table: ``zone``, the given ``columns``, then (``counts``)
    ``cells`` and ``valid_cells``."""
    first = zone_column() if about is None else zone_column(about)
    tail = count_columns() if counts else ()
    return (first, *columns, *tail)


def find_field(frame: Any, name: str, source: str | None = None, *, param: str | None = None) -> str:
    """The column of ``frame`` that ``name`` designates.

    Field names are matched as table headers are: surrounding spaces ignored, case-insensitive
    (an exact match wins when two columns differ only by case). The geometry column is not a
    field.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The layer or table; ``frame.attrs["source"]`` names its file in messages.
    name : str
        The requested field, e.g. the ``zone_field`` parameter.
    source : str, optional
        The file or input for messages (default: ``frame.attrs["source"]``).
    param : str, optional
        The parameter that gave ``name`` (e.g. ``"zone_field"``), for messages.

    Raises
    ------
    InputError
        Naming the field, the file, the fields available and the closest one.
    """
    geometry = getattr(getattr(frame, "geometry", None), "name", None)
    fields = [str(c) for c in frame.columns if c != geometry]
    wanted = str(name).strip()
    if wanted in fields:
        return wanted
    folded = [f for f in fields if f.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    label = source or frame.attrs.get("source") or "the zones"
    given = f" (parameter '{param}')" if param else ""
    raise InputError(f"no field {name!r}{given}{did_you_mean(wanted, fields)}; fields: {fields}",
                     source=str(label))


def zone_names(zones: Any, field: str | None, source: str | None = None, *,
               param: str = "zone_field") -> list[str]:
    """The name of each polygon of ``zones``: its ``field`` value as text (found by
    :func:`find_field`), or its 1-based position when no field is given."""
    if field is None or not str(field).strip():
        return [str(i) for i in range(1, len(zones) + 1)]
    column = find_field(zones, field, source, param=param)
    return [str(v) for v in zones[column]]



def check_field_params(spec: ModelSpec, values: Mapping[str, Any]) -> None:
    """Check that each parameter naming a field of a vector input (``ParamInput.field_of``, e.g.
    ``zone_field``) names one of its fields, when both are given (:func:`find_field`).

    ``values`` maps input ids to loaded values (the vector layers as frames; for a check without
    reading the features, a frame with the layer's columns and ``attrs["source"]``).
    """
    for item in spec.inputs:
        if not isinstance(item, ParamInput) or item.field_of is None:
            continue
        name, layer = values.get(item.id), values.get(item.field_of)
        if layer is not None and name is not None and str(name).strip():
            column = find_field(layer, str(name), param=item.id)
            _warn_repeated(layer, column, item.id)


def _warn_repeated(layer: Any, column: str, param: str) -> None:
    """Warn when features share a name: the per-zone tables give each its own row."""
    names = layer[column].astype(str)
    repeated = names[names.duplicated(keep=False)]
    if repeated.empty:
        return
    import warnings

    from ecociv.errors import InputWarning

    first = repeated.iloc[0]
    features = [int(i) + 1 for i in range(len(names)) if names.iloc[i] == first]
    label = layer.attrs.get("source", "the zones")
    warnings.warn(
        f"{label}: field '{column}' (parameter '{param}') gives the same name to several "
        f"features ({first!r}: features {features}; {repeated.nunique()} name(s) repeated); "
        "tables per zone have one row per feature, so these rows share a name (dissolve the "
        "features by name first to total them together)", InputWarning, stacklevel=3)
