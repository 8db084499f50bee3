"""The network file described by pydantic models (network_file.py) and its JSON Schema
(docs/schemas/network.schema.json; tests/test_schemas.py checks that the file is current)."""

from __future__ import annotations

import copy
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from ecociv.errors import InputError
from ecociv.io.yaml_files import load_yaml
from ecociv.models.water_allocation.network import build_network
from ecociv.models.water_allocation.network_file import json_schema

DATA = Path(str(files("ecociv") / "data"))
SHIPPED = [DATA / "water" / "belt_network" / "network.yaml",
           DATA / "example" / "water_network_synthetic" / "network.yaml"]
BASE: dict[str, Any] = {"start": "2001-01", "months": 2,
                        "nodes": [{"id": "river", "type": "inflow", "inflow": "5 m**3/s"},
                                  {"id": "out", "type": "sink"}],
                        "links": [{"id": "r", "from": "river", "to": "out"}]}


def _validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_shipped_networks_match_the_schema(path: Path) -> None:
    errors = list(_validator().iter_errors(load_yaml(path)))
    assert errors == [], [e.message for e in errors]


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda d: d["nodes"][1].update(capcity=5), "'capcity' was unexpected"),
    (lambda d: d["nodes"][1].update(type="reservior"), "reservior"),
    (lambda d: d["links"][0].update(los=0.1), "'los' was unexpected"),
    (lambda d: d["links"][0].update(loss=1), "1 is greater than or equal to the maximum of 1"),
    (lambda d: d["nodes"][0].update(inflow={"anual": 5}), "anual"),
    (lambda d: d.pop("nodes"), "'nodes' is a required property"),
])
def test_schema_flags_what_an_editor_should_underline(edit: Any, fragment: str) -> None:
    doc = copy.deepcopy(BASE)
    edit(doc)
    messages = [error.message for error in _flat(_validator().iter_errors(doc))]
    assert any(fragment in m for m in messages), messages


def _flat(errors: Any) -> Any:
    for error in errors:
        yield error
        yield from _flat(error.context or [])


def _build(doc: dict[str, Any], base: Path = Path(".")) -> Any:
    return build_network(doc, base=base, source="n.yaml")


def test_misspelt_keys_that_were_ignored_are_named(tmp_path: Path) -> None:
    # each of these ran before with the key ignored: scale 1, no default units, climate as given
    (tmp_path / "q.csv").write_text("month,q\n2001-01,1\n2001-02,1\n")
    doc = {**copy.deepcopy(BASE), "series": [{"file": "q.csv", "units": "m**3/s"}]}
    doc["nodes"][0]["inflow"] = {"series": "q", "scal": 0.5}
    with pytest.raises(InputError, match=r"node 'river'.inflow: unknown key 'scal' \(did you mean 'scale'\?\)"):
        _build(doc, tmp_path)
    with pytest.raises(InputError, match=r"defaults: unknown key 'flow_unit' \(did you mean 'flow_units'\?\)"):
        _build({**BASE, "defaults": {"flow_unit": "m**3/s"}})
    with pytest.raises(InputError, match=r"climate 'oasis': unknown key 'et0_mm' \(did you mean 'et0'\?\)"):
        _build({**BASE, "climate": {"oasis": {"et0": [1] * 12, "precipitation": [0] * 12, "et0_mm": [2] * 12}}})


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["nodes"].append({"id": "d", "type": "reservoir"}), r"node 'd': a reservoir node needs 'capacity'"),
    (lambda d: d["nodes"][0].update(inflow={"anual": 5}),
     r"node 'river'.inflow: a flow is .*; got keys \['anual'\] \(did you mean 'annual'\?\)"),
    (lambda d: d["nodes"][0].update(inflow={"annual": 5, "monthly_shares": [1, 0]}),
     r"node 'river'.inflow.monthly_shares: monthly_shares must be 12 non-negative fractions, January first"),
    (lambda d: d["nodes"][0].update(inflow={"annual": 5, "monthly_shares": [0.1] * 12}),
     r"node 'river'.inflow.monthly_shares: monthly_shares must sum to 1 \(sum 1.2\)"),
    (lambda d: d["nodes"].append({"id": "t", "type": "demand", "sector": "domestic"}),
     r"node 't': a demand site needs exactly one of demand, irrigation, domestic_use, industry_use \(got none\)"),
    (lambda d: d["links"][0].update(kind="rivr"), r"link 'r'.kind: expected one of river, .*got 'rivr' "
                                                  r"\(did you mean 'river'\?\)"),
    (lambda d: d["links"][0].update(enabled="yes"), r"link 'r'.enabled: expected true or false, got 'yes'"),
    (lambda d: d["nodes"].append({"id": "t", "type": "demand", "sector": "domestic", "demand": 1, "inflow": 2}),
     r"node 't': a demand node takes no local 'inflow'"),
    (lambda d: d["nodes"].append({"id": "1a", "type": "sink"}), r"node '1a'.id: ids are letters"),
    (lambda d: d.update(nodes={"a": 1}), r"nodes: expected a list"),
    (lambda d: d.update(caps=[{"cap": 5}]), r"caps\[0\]: a cap needs 'group' \(basin or unit\) or 'sites'"),
])
def test_structural_problems_name_the_place(edit: Any, message: str) -> None:
    doc = copy.deepcopy(BASE)
    edit(doc)
    with pytest.raises(InputError, match=message):
        _build(doc)


def test_check_hook_resolves_the_network_when_zone_volumes_come_later(tmp_path: Path) -> None:
    # with water_yield_zones wired from an upstream step the zone volumes are known only in the run;
    # the network is still resolved and checked before it (a misspelt key and a link to a node that
    # does not exist passed validation before)
    from ecociv.models.water_allocation.model import MODEL

    text = SHIPPED[1].read_text(encoding="utf-8").replace("../../water/", str(DATA / "water") + "/")
    text = text.replace("inflow: {annual: 30000,", "inflow: {water_yield: [z1, z2], fraction: 0.5,")
    (tmp_path / "network.yaml").write_text(text)
    given = {"network": tmp_path / "network.yaml", "water_yield_zones": None}
    assert MODEL.check is not None
    MODEL.check(given)
    (tmp_path / "network.yaml").write_text(text.replace("capacity: 6000", "capcity: 6000"))
    with pytest.raises(InputError, match=r"node 'dam': unknown key 'capcity' \(did you mean 'capacity'\?\)"):
        MODEL.check(given)
    (tmp_path / "network.yaml").write_text(text.replace("to: south_out", "to: south_outt"))
    with pytest.raises(InputError, match=r"link 'south_down': 'to: south_outt' names a node that does not exist"):
        MODEL.check(given)
