"""The water-network file described with pydantic models (format: docs/water_network.md).

:func:`validate_document` checks a parsed network file against :class:`NetworkFile` (every key
known, types, enumerations, ranges, required keys) and turns the first problem into one
:class:`~ecociv.errors.InputError` naming the node, link or section (``node 'dam'.capacity``)
with a "did you mean" hint for misspelt keys and types. What needs units, files or the rest of the
network (quantities, series, references between nodes and links, the graph) is checked when the
network is resolved (:mod:`.network`, :mod:`.checks`). ``scripts/generate_schemas.py`` writes
the JSON Schema of :class:`NetworkFile` to ``docs/schemas/network.schema.json`` for editors.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from ecociv.errors import InputError

NODE_TYPES = ("inflow", "junction", "reservoir", "aquifer", "demand", "lake", "sink")
LINK_KINDS = ("river", "supply", "return", "transfer", "recharge", "outflow")
SECTORS = ("domestic", "ecology", "livestock", "industry", "agriculture")
EFFECTIVE_RAIN = ("usda_scs", "fao_dependable", "fixed_fraction")
#: the ways a demand site's demand is given (exactly one)
DEMAND_KEYS = ("demand", "irrigation", "domestic_use", "industry_use")
#: keys any node, link or requirement may carry for people (not read by the model)
INFO_KEYS = frozenset({"name", "basin", "unit", "x", "y", "source", "status", "note", "notes", "description"})
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def nearest(name: str, names: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``names``, or an empty string."""
    close = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- value types: each check raises one message a planner can act on ---------------------------

def _quantity(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number or a quantity with units (e.g. '3 m**3/s'), got {value!r}")
    return value


def _priority(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value \
            or not 1 <= int(value) <= 99:
        raise ValueError(f"priority must be a whole number from 1 (first) to 99, got {value!r}")
    return int(value)


def _fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"expected a fraction in [0, 1], got {value!r}")
    return float(value)


def _open_fraction(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ValueError(f"expected a fraction in (0, 1], got {value!r}")
    return float(value)


def _loss(value: Any) -> float:
    number = _fraction(value)
    if number >= 1:
        raise ValueError("loss must be below 1 (a link that loses everything delivers nothing)")
    return number


def _scale(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"scale must be a number ≥ 0, got {value!r}")
    return float(value)


def _twelve(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if isinstance(value, list) and len(value) == 12 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value):
        return [float(v) for v in value]
    raise ValueError(f"expected 12 non-negative numbers (mm per month, January first), got {value!r}")


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected a text, got {value!r}")
    return str(value)


def _node_id(value: Any) -> str:
    text = _text(value)
    if not _ID.match(text):
        raise ValueError(f"ids are letters, digits and _ and start with a letter, got {text!r}")
    return text


def _whole_at_least_one(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number ≥ 1, got {value!r}")
    return value


def _month(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}-{value.month:02d}"
    return _text(value)


def _true_or_false(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


_NUMBER_OR_TEXT = {"type": ["number", "string"]}
_TWELVE_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0},
                            {"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": 12,
                             "maxItems": 12}]}

Quantity = Annotated[Any, BeforeValidator(_quantity), WithJsonSchema({
    **_NUMBER_OR_TEXT, "description": "a number in the file's default units, or a quantity with pint units, "
    "e.g. '13.19 hundred_million m**3/yr', '5 m**3/s', '8.8e8 m**3'"})]
Priority = Annotated[int, BeforeValidator(_priority), WithJsonSchema({
    "type": "integer", "minimum": 1, "maximum": 99, "description": "1 is served first"})]
Fraction = Annotated[float, BeforeValidator(_fraction), WithJsonSchema({"type": "number", "minimum": 0,
                                                                        "maximum": 1})]
Twelve = Annotated[Any, BeforeValidator(_twelve), WithJsonSchema({
    **_TWELVE_SCHEMA, "description": "mm per month, January first (one number: the same every month)"})]
Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": ["string", "number"]})]
Id = Annotated[str, BeforeValidator(_node_id), WithJsonSchema({"type": "string",
                                                               "pattern": _ID.pattern})]
Month = Annotated[str, BeforeValidator(_month), WithJsonSchema({
    "type": "string", "pattern": r"^\d{4}-\d{2}", "description": "YYYY-MM"})]
Flag = Annotated[bool, BeforeValidator(_true_or_false)]
OpenFraction = Annotated[float, BeforeValidator(_open_fraction), WithJsonSchema({
    "type": "number", "exclusiveMinimum": 0, "maximum": 1})]
Loss = Annotated[float, BeforeValidator(_loss), WithJsonSchema({"type": "number", "minimum": 0,
                                                                "exclusiveMaximum": 1})]
Scale = Annotated[float, BeforeValidator(_scale), WithJsonSchema({"type": "number", "minimum": 0})]
def _shares(value: Any) -> list[float]:
    if not isinstance(value, list) or len(value) != 12 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ValueError(f"monthly_shares must be 12 non-negative fractions, January first, got {value!r}")
    if abs(sum(value) - 1) > 1e-6:
        raise ValueError(f"monthly_shares must sum to 1 (sum {sum(value):.6g})")
    return [float(v) for v in value]


MonthlyShares = Annotated[list[float], BeforeValidator(_shares), WithJsonSchema({
    "type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 12, "maxItems": 12,
    "description": "share of the year's volume in each month, January first; sum 1"})]


class _Strict(BaseModel):
    """Every key known: an unknown key is an error naming the nearest known key."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, str_strip_whitespace=False)
    #: messages for keys that are wrong here for a known reason
    _hints: ClassVar[dict[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            allowed = sorted(field.alias or name for name, field in cls.model_fields.items())
            for key in data:
                if key in cls._hints:
                    raise ValueError(cls._hints[key])
                if key not in allowed:
                    shown = ", ".join(k for k in allowed if k not in INFO_KEYS)
                    raise ValueError(f"unknown key '{key}'{nearest(str(key), allowed)}; keys here: {shown}")
        return data


class _Described(_Strict):
    """Keys for people, read by no model (name, basin and unit also group demand sites for caps)."""

    name: Text | None = None
    basin: Text | None = None
    unit: Text | None = None
    x: float | None = None
    y: float | None = None
    source: Any = None
    status: Any = None
    note: Any = None
    notes: Any = None
    description: Any = None


# --- flows -------------------------------------------------------------------------------------

class SeriesFlow(_Strict):
    """A named series of the ``series`` files (one value per step), times ``scale``."""

    series: Text
    scale: Scale = 1.0


class AnnualFlow(_Strict):
    """An annual volume spread over the months by ``monthly_shares`` (default: equal)."""

    annual: Quantity
    monthly_shares: MonthlyShares | None = None


class MonthlyFlow(_Strict):
    """Twelve rates, January first (the same every year)."""

    monthly: Annotated[list[Quantity], Field(min_length=12, max_length=12)]


class WaterYieldFlow(_Strict):
    """``fraction`` × the annual water-yield volume of the named zones (``water_yield_zones`` input)."""

    water_yield: Text | list[Text]
    fraction: Fraction = 1.0
    monthly_shares: MonthlyShares | None = None


def _flow_kind(value: Any) -> str | None:
    if isinstance(value, Mapping):
        found = next((key for key in ("water_yield", "series", "annual", "monthly") if key in value), None)
        return f"flow:{found}" if found else None
    if isinstance(value, BaseModel):
        return {SeriesFlow: "flow:series", AnnualFlow: "flow:annual", MonthlyFlow: "flow:monthly",
                WaterYieldFlow: "flow:water_yield"}.get(type(value))
    return "flow:rate"


Flow = Annotated[
    Annotated[Quantity, Tag("flow:rate")] | Annotated[SeriesFlow, Tag("flow:series")]
    | Annotated[AnnualFlow, Tag("flow:annual")] | Annotated[MonthlyFlow, Tag("flow:monthly")]
    | Annotated[WaterYieldFlow, Tag("flow:water_yield")],
    Discriminator(_flow_kind, custom_error_type="flow_form",
                  custom_error_message="a flow is a rate (number or quantity) or a mapping with one of "
                  "'series', 'annual', 'monthly' or 'water_yield'"),
    Field(description="a constant rate, or {series: NAME, scale}, {annual, monthly_shares}, {monthly: [12]}, "
          "{water_yield: [zones], fraction, monthly_shares}"),
]


# --- nodes -------------------------------------------------------------------------------------

class _Node(_Described):
    id: Id


class InflowNode(_Node):
    """A headwater: its local inflow enters the network here."""

    type: Literal["inflow"]
    inflow: Flow


class JunctionNode(_Node):
    """A confluence or diversion point, optionally with a local inflow."""

    type: Literal["junction"]
    inflow: Flow | None = None


class ReservoirNode(_Node):
    type: Literal["reservoir"]
    capacity: Quantity
    initial: Quantity | None = None
    dead_storage: Quantity | None = None
    evaporation_mm: Twelve | None = None
    area: Quantity | None = None
    curve: Text | None = None
    fill_priority: Priority | None = None
    inflow: Flow | None = None


class AquiferNode(_Node):
    _hints: ClassVar[dict[str, str]] = {"inflow": "an aquifer node takes no local 'inflow' (use 'recharge')"}

    type: Literal["aquifer"]
    initial: Quantity
    capacity: Quantity | None = None
    recharge: Flow | None = None
    allowable_abstraction: Quantity | None = None
    sustainable_yield: Quantity | None = None
    pumping_limit: Flow | None = None


class Irrigation(_Strict):
    crops: Annotated[dict[str, Quantity], Field(min_length=1)]
    climate: Text
    efficiency: OpenFraction
    effective_rain: Literal[EFFECTIVE_RAIN] = "usda_scs"  # type: ignore[valid-type]


class DomesticUse(_Strict):
    population: Quantity
    per_capita: Quantity


class IndustryUse(_Strict):
    value_added: Quantity
    intensity: Quantity


class DemandNode(_Node):
    _hints: ClassVar[dict[str, str]] = {
        "inflow": "a demand node takes no local 'inflow' (water reaches it through supply links)"}

    type: Literal["demand"]
    sector: Literal[SECTORS]  # type: ignore[valid-type]
    priority: Priority | None = None
    demand: Flow | None = None
    irrigation: Irrigation | None = None
    domestic_use: DomesticUse | None = None
    industry_use: IndustryUse | None = None
    return_fraction: Fraction | None = None

    @model_validator(mode="after")
    def _one_demand(self) -> DemandNode:
        given = [key for key in DEMAND_KEYS if getattr(self, key) is not None]
        if len(given) != 1:
            raise ValueError(f"a demand site needs exactly one of {', '.join(DEMAND_KEYS)} "
                             f"(got {', '.join(given) or 'none'})")
        return self


class LakeNode(_Node):
    _hints: ClassVar[dict[str, str]] = {
        "inflow": "a lake node takes no local 'inflow' (use a junction upstream)"}

    type: Literal["lake"]
    curve: Text
    initial_volume: Quantity | None = None
    initial_level: Quantity | None = None
    initial_area: Quantity | None = None
    evaporation_mm: Twelve
    precipitation_mm: Twelve | None = None
    target_area: Quantity | None = None
    minimum_inflow: Flow | None = None
    priority: Priority | None = None


class SinkNode(_Node):
    _hints: ClassVar[dict[str, str]] = {"inflow": "a sink node takes no local 'inflow' (use a junction)"}

    type: Literal["sink"]


def _node_kind(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, Mapping) else getattr(value, "type", None)
    return f"node:{kind}" if kind in NODE_TYPES else None


Node = Annotated[
    Annotated[InflowNode, Tag("node:inflow")] | Annotated[JunctionNode, Tag("node:junction")]
    | Annotated[ReservoirNode, Tag("node:reservoir")] | Annotated[AquiferNode, Tag("node:aquifer")]
    | Annotated[DemandNode, Tag("node:demand")] | Annotated[LakeNode, Tag("node:lake")]
    | Annotated[SinkNode, Tag("node:sink")],
    Discriminator(_node_kind, custom_error_type="node_type",
                  custom_error_message=f"each node needs a 'type': one of {', '.join(NODE_TYPES)}"),
]


# --- links, requirements, caps, sections -------------------------------------------------------

class Link(_Described):
    id: Text
    from_: Text = Field(alias="from")
    to: Text
    kind: Literal[LINK_KINDS] = "river"  # type: ignore[valid-type]
    capacity: Flow | None = None
    loss: Loss = 0.0
    loss_to: Text | None = None
    preference: Annotated[int, BeforeValidator(_whole_at_least_one), Field(ge=1)] = 1
    share: Fraction | None = None
    enabled: Flag = True


class Requirement(_Described):
    id: Text
    link: Text
    flow: Flow
    priority: Priority = 2


class Cap(_Strict):
    id: Text | None = None
    cap: Quantity
    group: Text | None = None
    sites: list[Text] | None = None

    @model_validator(mode="after")
    def _group_or_sites(self) -> Cap:
        if self.group is None and self.sites is None:
            raise ValueError("a cap needs 'group' (basin or unit) or 'sites'")
        return self


class SeriesFile(_Strict):
    file: Text
    units: Text


class ClimateNormals(_Strict):
    et0: Twelve
    precipitation: Twelve


def _units_of(kind: str) -> Any:
    def check(value: Any) -> str:
        from ecociv.models.water_allocation import timeseries as ts

        text = _text(value)
        convert = ts.volume_m3 if kind == "volume" else ts.annual_m3
        try:
            convert(1.0, text, source="", where="")
        except InputError as err:
            raise ValueError(f"{text!r} is not a {kind} unit ({err.detail})") from None
        return text
    return check


class Defaults(_Strict):
    """Units of plain numbers: storages in ``volume_units``, flows in ``flow_units``."""

    volume_units: Annotated[str, BeforeValidator(_units_of("volume")),
                            WithJsonSchema({"type": "string", "examples": ["hundred_million m**3"]})] | None = None
    flow_units: Annotated[str, BeforeValidator(_units_of("flow")),
                          WithJsonSchema({"type": "string", "examples": ["hundred_million m**3/yr"]})] | None = None


def _climate(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping of climate name to {{et0, precipitation}}, got {value!r}")
    out: dict[str, Any] = {}
    for name, entry in value.items():
        if name == "file":
            out[name] = _text(entry)
            continue
        if not isinstance(entry, Mapping):
            raise ValueError(f"climate '{name}' has 'et0' and 'precipitation' (12 mm values each)")
        try:
            out[str(name)] = ClimateNormals.model_validate(entry)
        except ValidationError as err:
            first = err.errors(include_url=False)[0]
            key = ".".join(str(part) for part in first["loc"])
            problem = f"needs '{key}'" if first["type"] == "missing" else \
                str(first["msg"]).removeprefix("Value error, ")
            raise ValueError(f"climate '{name}'{'.' + key if key and first['type'] != 'missing' else ''}: "
                             f"{problem}") from None
    return out


Climate = Annotated[dict[str, Any], BeforeValidator(_climate), WithJsonSchema({
    "type": "object", "properties": {"file": {"type": "string", "description": "CSV: climate, month (1-12), "
                                                                                "et0_mm, precipitation_mm"}},
    "additionalProperties": {"type": "object", "title": "ClimateNormals", "additionalProperties": False,
                             "required": ["et0", "precipitation"],
                             "properties": {"et0": _TWELVE_SCHEMA, "precipitation": _TWELVE_SCHEMA}}})]


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


def _list_of(item: Any) -> Any:
    """A list that may be left empty in YAML (``links:`` with nothing after it)."""
    return Annotated[list[item], BeforeValidator(_none_as_empty)]


class NetworkFile(_Strict):
    """A water network file (docs/water_network.md)."""

    name: Text | None = None
    description: Any = None
    source: Any = None
    status: Any = None
    notes: Any = None
    start: Month | None = None
    months: Annotated[int, BeforeValidator(_whole_at_least_one), Field(ge=1)] | None = None
    defaults: Defaults | None = None
    series: _list_of(SeriesFile) = []  # type: ignore[valid-type]
    climate: Climate | None = None
    nodes: Annotated[list[Node], Field(min_length=1)]
    links: _list_of(Link) = []  # type: ignore[valid-type]
    requirements: _list_of(Requirement) = []  # type: ignore[valid-type]
    caps: _list_of(Cap) = []  # type: ignore[valid-type]
    crops: Text | None = None


_NODE_REFS = {f"#/$defs/{cls}": kind for kind, cls in (
    ("inflow", "InflowNode"), ("junction", "JunctionNode"), ("reservoir", "ReservoirNode"),
    ("aquifer", "AquiferNode"), ("demand", "DemandNode"), ("lake", "LakeNode"), ("sink", "SinkNode"))}
_FLOW_REFS = {"#/$defs/WaterYieldFlow": "water_yield", "#/$defs/SeriesFlow": "series",
              "#/$defs/AnnualFlow": "annual", "#/$defs/MonthlyFlow": "monthly"}


def _by_key(node: Any) -> Any:
    """pydantic writes the node and flow unions as ``oneOf``, so an editor reports a misspelt key once
    per alternative; choose the alternative by the ``type`` of a node (a flow's form by its key)
    with ``if``/``then``, as validation does."""
    if isinstance(node, list):
        return [_by_key(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _by_key(value) for key, value in node.items()}
    refs = [str(item.get("$ref")) for item in node.get("oneOf", []) if isinstance(item, dict)]
    if refs and all(ref in _NODE_REFS for ref in refs):
        del node["oneOf"]
        node.update(type="object", required=["id", "type"],
                    properties={"type": {"enum": list(NODE_TYPES)}},
                    allOf=[{"if": {"properties": {"type": {"const": _NODE_REFS[ref]}}}, "then": {"$ref": ref}}
                           for ref in refs])
    elif any(ref in _FLOW_REFS for ref in refs):
        rate = [item for item in node["oneOf"] if "$ref" not in item]
        keys = [_FLOW_REFS[ref] for ref in refs if ref in _FLOW_REFS]
        mapping = {"type": "object", "anyOf": [{"required": [key]} for key in keys],
                   "allOf": [{"if": {"required": [key]}, "then": {"$ref": ref}}
                             for ref, key in _FLOW_REFS.items() if ref in refs]}
        del node["oneOf"]
        node["anyOf"] = [*rate, mapping]
    return node


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a network file, written to ``docs/schemas/network.schema.json``
    by ``scripts/generate_schemas.py``, for editors that check YAML as it is typed."""
    schema = _by_key(NetworkFile.model_json_schema(by_alias=True))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "network.schema.json",
            "title": "ecociv water network file", **{k: v for k, v in schema.items() if k != "title"}}


# --- errors ------------------------------------------------------------------------------------

_SECTION = {"nodes": "node", "links": "link", "requirements": "requirement"}


def _where(doc: Mapping[str, Any], loc: tuple[Any, ...]) -> tuple[str, str | None, Any]:
    """``(where, missing key, value there)`` for an error location: list items named by their id,
    union tags left out; a last element that is not in the document is the key it misses."""
    parts: list[str] = []
    value: Any = doc
    missing = None
    for index, step in enumerate(loc):
        if isinstance(step, str) and step.startswith(("node:", "flow:")):
            continue  # a union tag (node type, flow form), not a key of the document
        if isinstance(value, Mapping) and step in value:
            parts.append(str(step))
            value = value[step]
        elif isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
            item = value[step]
            section = parts[-1] if len(parts) == 1 else None
            if section in _SECTION and isinstance(item, Mapping) and "id" in item:
                parts[-1] = f"{_SECTION[section]} '{item['id']}'"
            else:
                parts[-1] = f"{parts[-1]}[{step}]"
            value = item
        elif index == len(loc) - 1 and isinstance(value, Mapping) and isinstance(step, str) \
                and not isinstance(value, list):
            missing = step
    where = ""
    for part in parts:
        where = part if not where else (f"{where}.{part}" if not part.startswith("'") else f"{where} {part}")
    if where.startswith("climate."):
        name, _, rest = where[len("climate."):].partition(".")
        where = f"climate '{name}'" + (f".{rest}" if rest else "")
    return where, missing, value


_FLOW_KEYS = ["series", "scale", "annual", "monthly_shares", "monthly", "water_yield", "fraction"]
_TYPES = {"list_type": "a list", "dict_type": "a mapping (key: value)", "float_type": "a number",
          "float_parsing": "a number", "int_type": "a whole number", "int_parsing": "a whole number",
          "string_type": "a text"}


def _message(error: Mapping[str, Any], missing: str | None, parent: Any) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    given = error.get("input")
    if kind == "missing" and missing:
        node_type = parent.get("type") if isinstance(parent, Mapping) else None
        article = "an" if str(node_type)[:1] in "aeiou" else "a"
        return f"{article} {node_type} node needs '{missing}'" if node_type in NODE_TYPES else f"needs '{missing}'"
    if kind == "flow_form" and isinstance(given, Mapping):
        hints = "".join(nearest(str(key), _FLOW_KEYS) for key in given)
        return f"{error['msg']}; got keys {sorted(map(str, given))}{hints}"
    if kind in _TYPES:
        return f"expected {_TYPES[kind]}, got {given!r}"
    if kind == "too_short":
        return f"needs at least {context.get('min_length')} values, got {context.get('actual_length')}"
    if kind == "too_long":
        return f"takes at most {context.get('max_length')} values, got {context.get('actual_length')}"
    if kind == "node_type":
        given = error.get("input")
        tag = given.get("type") if isinstance(given, Mapping) else None
        if tag is None:
            return str(error["msg"]) if isinstance(given, Mapping) else \
                f"expected a mapping with 'id' and 'type', got {given!r}"
        return f"unknown node type '{tag}'{nearest(str(tag), list(NODE_TYPES))}; types: {', '.join(NODE_TYPES)}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {error.get('input')!r}"
    if kind == "literal_error":
        got = str(error.get("input"))
        expected = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return f"expected one of {', '.join(expected)}, got '{got}'{nearest(got, expected)}"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def validate_document(doc: Mapping[str, Any], *, source: str) -> NetworkFile:
    """Check a parsed network file; the first problem becomes an :class:`InputError`.

    Parameters
    ----------
    doc : mapping
        The parsed YAML (levers already applied).
    source : str
        The file, for messages.
    """
    try:
        return NetworkFile.model_validate(doc)
    except ValidationError as err:
        first = err.errors(include_url=False)[0]
        where, missing, value = _where(doc, tuple(first["loc"]))
        message = _message(first, missing, value)
        if message.startswith("climate '"):  # a climate entry names itself
            where, _, message = message.partition(": ")
        raise InputError(message, source=source, where=where or None) from None
