"""Parsing scalar parameters against a :class:`~ecociv.spec.ParamInput`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ecociv.errors import InputError
from ecociv.spec import ParamInput


def parse_param(spec: ParamInput, value: object) -> Any:
    """Convert ``value`` (number, string, or string with a unit) to the spec's type and units."""
    label = f"parameter '{spec.id}'"
    if spec.dtype == "mapping":
        return _mapping(value, label)
    _one_value(value, spec, label)
    if spec.dtype == "str":
        text = str(value)
        if spec.choices and text not in spec.choices:
            raise InputError(f"{text!r} is not one of {list(spec.choices)}", source=label)
        return text
    if spec.dtype == "bool":
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise InputError(f"expected true/false, got {value!r}", source=label)
    number = _magnitude(value, spec.units or "", label)
    units = f" {spec.units}" if spec.units else ""
    if not math.isfinite(number):
        raise InputError(f"expected a finite number in {spec.units or 'dimensionless'}, got {value!r}",
                         source=label)
    if spec.ge is not None and number < spec.ge:
        raise InputError(f"{number:g}{units} (from {value!r}) is below the allowed minimum "
                         f"{spec.ge:g}{units}", source=label)
    if spec.le is not None and number > spec.le:
        raise InputError(f"{number:g}{units} (from {value!r}) is above the allowed maximum "
                         f"{spec.le:g}{units}", source=label)
    if spec.gt is not None and not number > spec.gt:
        raise InputError(f"{number:g}{units} (from {value!r}) is not allowed; it must be greater than "
                         f"{spec.gt:g}{units}", source=label)
    if spec.lt is not None and not number < spec.lt:
        raise InputError(f"{number:g}{units} (from {value!r}) is not allowed; it must be less than "
                         f"{spec.lt:g}{units}", source=label)
    if spec.dtype == "int":
        if number != int(number):
            raise InputError(f"expected an integer, got {value!r}", source=label)
        return int(number)
    return float(number)


def _one_value(value: object, spec: ParamInput, label: str) -> None:
    """Refuse a list, tuple, set, mapping or array where the spec wants a single value."""
    shape = getattr(value, "shape", None)
    if isinstance(value, (Mapping, list, tuple, set, frozenset)) or (shape is not None and shape != ()):
        kind = "a mapping" if isinstance(value, Mapping) else "several values"
        raise InputError(f"expected one {spec.dtype} value, got {kind}: {value!r}", source=label)


def _mapping(value: object, label: str) -> dict[str, Any]:
    """A mapping given as a dict, as YAML/JSON text, or as the path of a YAML file."""
    from ecociv.io.yaml_files import load_yaml, parse_yaml

    if isinstance(value, Mapping):
        return dict(value)
    text = str(value)
    path = Path(text)
    if text.endswith((".yaml", ".yml", ".json")) and path.exists():
        parsed = load_yaml(path, what=f"file of {label}")  # UTF-8, no key twice, line numbers
    else:
        try:
            parsed = parse_yaml(text, source=label)
        except InputError as err:
            raise InputError(f"expected a mapping (YAML or JSON), got {value!r}: {err.detail}",
                             source=label) from err
    if parsed is None:
        return {}
    if not isinstance(parsed, dict):
        raise InputError(f"expected a mapping such as {{key: value}}, got {value!r}", source=label)
    return parsed


def _magnitude(value: Any, units: str, label: str) -> float:
    """A parameter's number in ``units``: plain numbers without pint (building its unit registry
    takes 0.2-1 s of a run), anything else through :func:`ecociv.units.to_magnitude`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    from ecociv.units import to_magnitude

    return to_magnitude(value if isinstance(value, (int, float)) else str(value), units,
                        name=label)
