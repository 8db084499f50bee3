"""The default Belt water network (src/ecociv/data/water/belt_network): structure and sources.

Checks are generic: every figure in network.yaml (any number, numeric string or list of numbers under a
non-structural key) must have a row in sources.csv whose key is the figure's dotted path or a prefix of
it, and scalar rows must carry the value found in the YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from ecociv.units import Q_

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "src" / "ecociv" / "data" / "water" / "belt_network"
CENSUS = ROOT / "src" / "ecociv" / "data" / "belt" / "census_2020.csv"

#: keys that describe structure, policy or provenance, not a figure that needs a source
STRUCTURAL = {"id", "type", "name", "basin", "unit", "x", "y", "source", "status", "sector", "priority", "curve",
              "fill_priority", "from", "to", "kind", "preference", "enabled", "loss_to", "share", "series"}
STATUSES = {"real", "reported", "literature", "illustrative", "derived"}
NODE_TYPES = {"inflow", "junction", "reservoir", "aquifer", "demand", "lake", "sink"}
LINK_KINDS = {"river", "supply", "return", "transfer", "recharge", "outflow"}
#: crop names of the crop table (issue 5)
CROPS = {"cotton", "spring_wheat", "winter_wheat", "maize", "alfalfa", "tomato", "grape", "sugar_beet", "melon",
         "vegetables", "orchard"}
#: basin -> oasis climate whose ET0 gives reservoir evaporation (scripts/build_belt_network.py)
RESERVOIR_CLIMATE = {"Manas River": "manas_oasis", "Urumqi-Changji": "urumqi_changji_oasis"}
KC_OPEN_WATER = 1.05  # FAO-56 Table 12, open water < 2 m deep


@pytest.fixture(scope="module")
def network() -> dict[str, Any]:
    with (FOLDER / "network.yaml").open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "sources.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def climate() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "climate.csv")


def _elements(network: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from network["nodes"]
    yield from network["links"]
    yield from network.get("requirements") or []


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_figure(value: Any) -> bool:
    if _is_number(value):
        return True
    if isinstance(value, str):
        return value.strip()[:1].isdigit() or value.strip()[:1] in "-."
    if isinstance(value, list):
        return bool(value) and all(_is_number(item) for item in value)
    return False


def _figures(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every figure under ``key``."""
    if isinstance(value, dict):
        for sub, item in value.items():
            yield from _figures(f"{key}.{sub}", item)
    elif _is_figure(value):
        yield key, value


def _lookup(element: dict[str, Any], path: str) -> Any:
    value: Any = element
    for part in path.split("."):
        value = value[part]
    return value


def test_network_parses_with_unique_ids_and_known_types(network: dict[str, Any]) -> None:
    nodes, links = network["nodes"], network["links"]
    assert 40 <= len(nodes) <= 70
    node_ids = [node["id"] for node in nodes]
    link_ids = [link["id"] for link in links]
    assert len(set(node_ids)) == len(node_ids)
    assert len(set(link_ids)) == len(link_ids)
    assert {node["type"] for node in nodes} <= NODE_TYPES
    assert {link["kind"] for link in links} <= LINK_KINDS
    assert network["defaults"] == {"volume_units": "hundred_million m**3", "flow_units": "hundred_million m**3/yr"}


def test_every_link_names_existing_nodes(network: dict[str, Any]) -> None:
    node_ids = {node["id"] for node in network["nodes"]}
    bad = [(link["id"], end, link[end]) for link in network["links"] for end in ("from", "to")
           if link[end] not in node_ids]
    assert bad == []
    loss_to = [(link["id"], link["loss_to"]) for link in network["links"]
               if "loss_to" in link and link["loss_to"] not in node_ids]
    assert loss_to == []


def test_every_node_has_a_status_and_position(network: dict[str, Any]) -> None:
    missing = [node["id"] for node in network["nodes"] if node.get("status") not in STATUSES]
    assert missing == []
    unplaced = [node["id"] for node in network["nodes"]
                if not (_is_number(node.get("x")) and _is_number(node.get("y")))]
    assert unplaced == []


def test_every_figure_has_a_sources_row(network: dict[str, Any], sources: pd.DataFrame) -> None:
    keys: dict[str, list[str]] = {}
    for item, key in zip(sources["item"], sources["key"], strict=True):
        keys.setdefault(item, []).append(key)
    uncovered = []
    for element in _elements(network):
        element_keys = keys.get(element["id"], [])
        for key, value in element.items():
            if key in STRUCTURAL:
                continue
            for path, _ in _figures(key, value):
                if not any(path == row or path.startswith(row + ".") for row in element_keys):
                    uncovered.append(f"{element['id']}: {path}")
    assert uncovered == []


def test_sources_rows_are_complete(network: dict[str, Any], sources: pd.DataFrame) -> None:
    ids = {element["id"] for element in _elements(network)} | {"climate"}
    assert set(sources["item"]) <= ids
    assert set(sources["status"]) <= STATUSES
    assert not sources.duplicated(["item", "key"]).any()
    # a sourced figure names its document and where to find it; an illustrative one says why
    sourced = sources[sources["status"] != "illustrative"]
    assert (sourced["source"] != "").all() and (sourced["url"] != "").all()
    assert (sources.loc[sources["status"] == "illustrative", "note"] != "").all()


def test_sources_values_match_the_yaml(network: dict[str, Any], sources: pd.DataFrame) -> None:
    by_id = {element["id"]: element for element in _elements(network)}
    checked = 0
    for row in sources.itertuples():
        if row.value == "" or row.item not in by_id:
            continue
        value = _lookup(by_id[row.item], row.key)
        if isinstance(value, dict):  # e.g. irrigation.crops: the row gives the total area
            total = sum(Q_(str(area)).to(row.unit).magnitude for area in value.values())
            assert total == pytest.approx(float(row.value), abs=1.0), (row.item, row.key)
        elif isinstance(value, str):
            assert Q_(value).to(row.unit).magnitude == pytest.approx(float(row.value), rel=1e-9), (row.item, row.key)
        else:
            assert float(value) == pytest.approx(float(row.value), rel=1e-9), (row.item, row.key)
        checked += 1
    assert checked > 80


def test_population_is_the_census_sum(network: dict[str, Any], sources: pd.DataFrame) -> None:
    census = pd.read_csv(CENSUS).set_index("adcode")["population_total"]
    by_id = {node["id"]: node for node in network["nodes"]}
    rows = sources[sources["key"] == "domestic_use.population"]
    assert len(rows) == sum(1 for node in network["nodes"] if "domestic_use" in node)
    for row in rows.itertuples():
        adcodes = [int(code) for code in row.adcodes.split(";")]
        persons = Q_(by_id[row.item]["domestic_use"]["population"]).to("").magnitude
        assert persons == pytest.approx(census.loc[adcodes].sum(), abs=0.5), row.item


def test_crops_and_climates_are_known(network: dict[str, Any], climate: pd.DataFrame) -> None:
    names = set(climate["climate"])
    for node in network["nodes"]:
        if "irrigation" in node:
            assert set(node["irrigation"]["crops"]) <= CROPS, node["id"]
            assert node["irrigation"]["climate"] in names, node["id"]
            assert 0 < node["irrigation"]["efficiency"] <= 1


def test_climate_csv_has_twelve_months_per_climate(climate: pd.DataFrame) -> None:
    assert list(climate.columns) == ["climate", "month", "et0_mm", "precipitation_mm"]
    for _, group in climate.groupby("climate"):
        assert sorted(group["month"]) == list(range(1, 13))
    assert (climate[["et0_mm", "precipitation_mm"]] >= 0).all().all()
    # summer ET0 of an oasis exceeds winter ET0 (June vs January)
    june = climate[climate["month"] == 6].set_index("climate")["et0_mm"]
    january = climate[climate["month"] == 1].set_index("climate")["et0_mm"]
    assert (june > january).all()


def test_open_water_climate_matches_climate_tables(network: dict[str, Any], climate: pd.DataFrame) -> None:
    # reservoirs: 1.05 x ET0 of the basin oasis climate, whole mm (scripts/build_belt_network.py);
    # lakes: copied from the lake module's table ../lake_climate.csv (lake id without "_lake")
    lake_climate = pd.read_csv(FOLDER.parent / "lake_climate.csv")
    for node in network["nodes"]:
        if node["type"] == "lake":
            rows = lake_climate[lake_climate["lake"] == node["id"].removesuffix("_lake")].sort_values("month")
            assert node["evaporation_mm"] == pytest.approx(rows["evaporation_mm"].tolist(), abs=1e-9), node["id"]
            assert node["precipitation_mm"] == pytest.approx(rows["precipitation_mm"].tolist(), abs=1e-9), node["id"]
        elif node["type"] == "reservoir":
            et0 = climate[climate["climate"] == RESERVOIR_CLIMATE[node["basin"]]].sort_values("month")["et0_mm"]
            assert node["evaporation_mm"] == [round(KC_OPEN_WATER * value) for value in et0], node["id"]


def test_inflow_shapes_sum_to_one(network: dict[str, Any]) -> None:
    for node in network["nodes"]:
        spec = node.get("inflow")
        if isinstance(spec, dict) and "monthly_shares" in spec:
            assert len(spec["monthly_shares"]) == 12
            assert sum(spec["monthly_shares"]) == pytest.approx(1.0, abs=1e-12), node["id"]


def test_every_demand_site_has_a_supply(network: dict[str, Any]) -> None:
    fed = {link["to"] for link in network["links"] if link["kind"] in ("supply", "transfer")}
    unfed = [node["id"] for node in network["nodes"] if node["type"] == "demand" and node["id"] not in fed]
    assert unfed == []


def test_transfers_and_terminal_lakes(network: dict[str, Any]) -> None:
    links = {link["id"]: link for link in network["links"]}
    assert links["kashi_to_ebinur"]["enabled"] is False
    assert links["irtysh_to_urumqi"]["kind"] == links["irtysh_to_karamay"]["kind"] == "transfer"
    assert links["irtysh_to_urumqi"].get("enabled", True) is True
    lakes = {node["id"]: node for node in network["nodes"] if node["type"] == "lake"}
    assert lakes["ebinur_lake"]["curve"] == "../ebinur_curve.csv"
    assert lakes["manas_lake"]["curve"] == "../manas_lake_curve.csv"
    # each terminal lake has no outgoing link
    assert not [link for link in network["links"] if link["from"] in lakes]


def test_engine_reads_and_runs_the_belt_network() -> None:
    # integration check with the allocation engine: one year from the file's start month; with every
    # priority-1 (domestic) site connected to an aquifer and every reservoir able to spill, domestic
    # demand is fully served, and the disabled Kashi transfer carries nothing
    from ecociv.models.water_allocation import results
    from ecociv.models.water_allocation.network import load_network
    from ecociv.models.water_allocation.solver import allocate

    net = load_network(FOLDER, months=12)
    result = allocate(net)
    deliveries = results.deliveries_table(net, result)
    domestic = deliveries[deliveries["sector"] == "domestic"]
    assert len(domestic) == 12 * 8
    assert domestic["coverage"].min() == pytest.approx(1.0, abs=1e-6)
    assert float(abs(result.flow[result.link_ids.index("kashi_to_ebinur")]).sum()) == 0.0
