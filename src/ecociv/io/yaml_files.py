"""Reading YAML files people write by hand (scenarios, water networks, datasets).

Every problem is an :class:`~ecociv.errors.InputError` naming the file and the line: a file that
is not UTF-8 text (GBK, UTF-16, binary), a syntax error, or a key given twice in one mapping
(plain ``yaml.safe_load`` keeps the last value silently). Parsed by libyaml's scanner and parser
when PyYAML has them (the same document, ≈ 8 × less CPU); a file they refuse is parsed again by
the pure-Python loader, whose message and position are reported.
"""

from __future__ import annotations

import copy
import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import yaml

from ecociv.errors import InputError

#: documents parsed in this process, by file and content digest (a copy is handed out each time)
_parsed: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
_PARSED_KEEP = 16

_MERGE_TAG = "tag:yaml.org,2002:merge"
#: Bytes scanned for a NUL byte when telling a binary file from text.
_BINARY_PROBE = 8192


class _RefuseDuplicateKeys:
    """Mixed into a safe loader: refuse a key given twice in the same mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # keys brought in by `<<:` may legitimately be overridden
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base constructor reports it
                continue
            line = key_node.start_mark.line + 1
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}: given on line {first} and again on "
                    f"line {line} (remove one)", key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class _StrictLoader(_RefuseDuplicateKeys, yaml.SafeLoader):
    """A safe loader (pure Python) that refuses a key given twice in the same mapping."""


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                              _StrictLoader.construct_mapping)  # type: ignore[type-var]

#: The same with libyaml's scanner and parser (≈ 8 × less CPU; the document built is the same,
#: the constructor being PyYAML's), when PyYAML was built with libyaml.
_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):
    class _StrictCLoader(_RefuseDuplicateKeys, yaml.CSafeLoader):
        """:class:`_StrictLoader` on libyaml's scanner and parser."""

    _StrictCLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                   _StrictCLoader.construct_mapping)  # type: ignore[type-var]
    _FastLoader = _StrictCLoader


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes, *, source: str, what: str = "file") -> str:
    """Decode the bytes of a hand-written text file as UTF-8 (a BOM is allowed).

    Parameters
    ----------
    data : bytes
        The file's content.
    source : str
        The file's path, for messages.
    what : str
        What the file is (e.g. ``"scenario file"``), for messages.

    Raises
    ------
    InputError
        For UTF-16 text, binary content (a NUL byte) or bytes that are not UTF-8 (e.g. GBK),
        naming the byte offset and line of the first bad byte.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{what} is UTF-16 text; it must be UTF-8 text (save it again with the "
                         "encoding 'UTF-8')", source=source)
    nul = data.find(b"\x00", 0, _BINARY_PROBE)
    if nul >= 0:
        raise InputError(f"{what} is not a text file (a NUL byte at byte offset {nul}, line "
                         f"{_line_of(data, nul)}); it must be UTF-8 text", source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = data[err.start:err.start + 1].hex()
        raise InputError(
            f"{what} is not UTF-8 text: byte 0x{bad} at byte offset {err.start} (line "
            f"{_line_of(data, err.start)}) cannot be decoded (a GBK/GB2312 file? save it again "
            "with the encoding 'UTF-8')", source=source) from err


def parse_yaml(text: str, *, source: str) -> Any:
    """Parse YAML text, refusing duplicate keys; errors name ``source`` and the line.

    Parameters
    ----------
    text : str
        The YAML document.
    source : str
        Where the text comes from (a file path), for messages.

    Raises
    ------
    InputError
        For a syntax error or a duplicate key, with line and column.
    """
    if _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # a CSafeLoader subclass
        except yaml.YAMLError:
            pass  # parsed again below, so the message and position are the pure-Python loader's
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = err.problem or "invalid YAML"
        context = f" ({err.context})" if err.context and err.problem else ""
        raise InputError(f"not valid YAML: {problem}{context}", source=source, where=where) from err
    except yaml.YAMLError as err:
        raise InputError(f"not valid YAML: {err}", source=source) from err


def load_yaml(path: str | Path, *, what: str = "YAML file") -> Any:
    """Read a hand-written YAML file: UTF-8 text, no duplicate keys, errors naming the file.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file is (e.g. ``"scenario file"``, ``"network file"``), for messages.

    Returns
    -------
    Any
        The parsed document (None for an empty file).

    Raises
    ------
    InputError
        When the file is missing, unreadable, not UTF-8 text or not valid YAML.
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise InputError(f"{what} expected, but this is a folder", source=source)
    if not path.is_file():
        raise InputError(f"{what} does not exist", source=source)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"{what} cannot be read: {err.strerror or err}", source=source) from err
    key = (source, hashlib.blake2b(data, digest_size=16).digest())
    if key not in _parsed:  # parsed once per content: e.g. a network read in every sample of a study
        _parsed[key] = parse_yaml(decode_text(data, source=source, what=what), source=source)
        while len(_parsed) > _PARSED_KEEP:
            _parsed.popitem(last=False)
    return copy.deepcopy(_parsed[key])
