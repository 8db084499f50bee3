"""Reading a water network file as a parsed YAML document, in a module light enough for the
network diagram (a map worker process draws it): none of the unit, table and validation
libraries that resolving the network for a run needs (:mod:`.network`; importing it took
≈ 0.45 s of CPU in a map process that had matplotlib and pandas already)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ecociv.errors import InputError
from ecociv.io.yaml_files import load_yaml


def read_document(path: str | Path) -> tuple[dict[str, Any], Path]:
    """The parsed network file (``path`` or ``path/network.yaml``) and its path.

    The one place network files are read: UTF-8 text, no key given twice, syntax errors naming the
    file and line (:func:`ecociv.io.yaml_files.load_yaml`).
    """
    path = Path(path)
    if path.is_dir():
        path = path / "network.yaml"
    doc = load_yaml(path, what="network file")
    if not isinstance(doc, dict):
        raise InputError("a network file is a YAML mapping with 'nodes' and 'links'", source=str(path))
    return doc, path
