"""Network diagram (ecociv.models.water_allocation.diagram)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
import yaml

from ecociv.errors import InputError
from ecociv.models.water_allocation.diagram import draw_network, layered_positions, parse_structure

BELT = Path(__file__).resolve().parents[2] / "src" / "ecociv" / "data" / "water" / "belt_network"


def _small() -> dict[str, Any]:
    """river -> junction -> two demand sites, a return and a disabled transfer; no x/y."""
    return {
        "name": "small",
        "nodes": [
            {"id": "river", "type": "inflow", "inflow": 1.0},
            {"id": "other_basin", "type": "inflow", "inflow": 1.0},
            {"id": "split", "type": "junction"},
            {"id": "town", "type": "demand", "sector": "domestic", "name": "Town & port <A>"},
            {"id": "farm", "type": "demand", "sector": "agriculture"},
            {"id": "end", "type": "sink"},
        ],
        "links": [
            {"id": "reach", "from": "river", "to": "split", "kind": "river"},
            {"id": "to_town", "from": "split", "to": "town", "kind": "supply"},
            {"id": "to_farm", "from": "split", "to": "farm", "kind": "supply"},
            {"id": "town_back", "from": "town", "to": "split", "kind": "return"},
            {"id": "out", "from": "split", "to": "end", "kind": "outflow"},
            {"id": "pipe", "from": "other_basin", "to": "split", "kind": "transfer", "enabled": False},
        ],
    }


def test_belt_network_png_and_svg(tmp_path: Path) -> None:
    png = draw_network(BELT / "network.yaml", tmp_path / "belt.png")
    svg = draw_network(BELT, tmp_path / "belt.svg", title="Belt")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000
    text = svg.read_text(encoding="utf-8")
    network = yaml.safe_load((BELT / "network.yaml").read_text(encoding="utf-8"))
    missing = [node["id"] for node in network["nodes"] if escape(node.get("name") or node["id"]) not in text]
    assert missing == []
    assert "disabled link" in text  # the Kashi transfer is off by default


def test_layered_layout_follows_flow_order() -> None:
    # layers: river, other_basin -> 0; split -> 1 (the return town -> split is ignored); town, farm, end -> 2
    nodes, links = parse_structure(_small())
    positions = layered_positions(nodes, links)
    assert {node: x for node, (x, _) in positions.items()} == {
        "river": 0.0, "other_basin": 0.0, "split": 1.0, "town": 2.0, "farm": 2.0, "end": 2.0}
    # three nodes in layer 2 are centred on y = 0 in file order: 1, 0, -1
    assert [positions[node][1] for node in ("town", "farm", "end")] == [1.0, 0.0, -1.0]


def test_cycle_is_placed_after_the_deepest_layer() -> None:
    network = _small()
    network["links"].append({"id": "loop", "from": "farm", "to": "river", "kind": "river"})
    nodes, links = parse_structure(network)
    positions = layered_positions(nodes, links)
    # river now has an inflow from the cycle river -> split -> farm -> river, so the cycle is unplaced
    # and goes one layer after the deepest placed node (other_basin at 0): layer 1
    assert positions["river"][0] == positions["split"][0] == positions["farm"][0] == 1.0


def test_flows_are_written_on_links_and_labels_escaped(tmp_path: Path) -> None:
    out = draw_network(_small(), tmp_path / "small.svg", flows={"to_town": 1.25, "reach": 3.0},
                       flow_units="10^8 m3/yr")
    text = out.read_text(encoding="utf-8")
    assert "1.25" in text and ">3<" in text.replace(" ", "")
    assert escape("Town & port <A>") in text
    assert "mean flow, 10^8 m3/yr" in text


def test_link_to_missing_node_is_named(tmp_path: Path) -> None:
    network = _small()
    network["links"][1]["to"] = "village"
    with pytest.raises(InputError, match=r"link 'to_town'.*'to'.*'village'"):
        draw_network(network, tmp_path / "x.png")


def test_unknown_flow_link_and_bad_suffix_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="canal_9"):
        draw_network(_small(), tmp_path / "x.png", flows={"canal_9": 1.0})
    with pytest.raises(InputError, match=r"\.pdf"):
        draw_network(_small(), tmp_path / "x.pdf")


def test_duplicate_node_id_is_named(tmp_path: Path) -> None:
    network = _small()
    network["nodes"].append({"id": "farm", "type": "demand"})
    with pytest.raises(InputError, match="'farm' is used twice"):
        draw_network(network, tmp_path / "x.png")


def test_report_hook_draws_the_network_as_run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    # the generic map writer calls the model's report hook; report/ itself names no model
    import json

    from ecociv.models.water_allocation.model import MODEL
    from ecociv.report.maps import write_step_maps
    from tests.cli_helper import run_ecociv

    out = tmp_path / "water"
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation", "-i",
                              f"network={MODEL.example()['network']}", "-o", str(out))
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    written = write_step_maps(out, manifest)
    assert [p.name for p in written] == ["network_diagram.png", "network_diagram.svg"]
    assert (out / "network_diagram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "maps.json").read_text()) == ["network_diagram.png", "network_diagram.svg"]


def test_report_job_names_its_hook_and_a_worker_imports_only_that(capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """A map job of the network diagram names the hook's module: a fresh process (as a map worker
    is) draws it without importing the model registry, pint or pydantic (the model's imports), and
    the files are those the registry's hook draws."""
    import json
    import os
    import pickle
    import subprocess
    import sys

    from ecociv.models.water_allocation.model import MODEL
    from ecociv.report.maps import MapJob, _hook_name, draw_map_job, step_map_jobs
    from tests.cli_helper import run_ecociv

    out = tmp_path / "water"
    code, _, err = run_ecociv(capsys, monkeypatch, "model", "run", "water_allocation", "-i",
                              f"network={MODEL.example()['network']}", "-o", str(out))
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    [job] = step_map_jobs(out, manifest)
    assert job.render is None and job.report == "ecociv.models.water_allocation.report:network_diagram"
    assert _hook_name(lambda folder, manifest: []) is None  # not importable by its name
    (tmp_path / "job.pkl").write_bytes(pickle.dumps(job))
    probe = ("import pickle, sys; from ecociv.report.maps import draw_map_job; "
             f"written = draw_map_job(pickle.loads(open({str(tmp_path / 'job.pkl')!r}, 'rb').read())); "
             "print([p.name for p in written], sorted(m for m in ('ecociv.registry', 'pint', 'pydantic') "
             "if m in sys.modules))")
    src = str(Path(__file__).resolve().parents[2] / "src")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": src})
    assert done.stdout.strip() == "['network_diagram.png', 'network_diagram.svg'] []", done.stderr
    drawn = (out / "network_diagram.png").read_bytes()
    # without the name, the registry's hook: the same picture
    assert draw_map_job(MapJob(out, manifest)) == [out / "network_diagram.png", out / "network_diagram.svg"]
    assert (out / "network_diagram.png").read_bytes() == drawn


def test_png_and_svg_from_one_figure_match_savefig_tight(tmp_path: Path) -> None:
    """``draw_network_files`` draws the PNG once and crops it to the tight box instead of letting
    ``savefig(bbox_inches="tight")`` lay the figure out twice: the same image size (± 1 pixel for
    the rounding of the box) and nearly the same pixels as the tight ``savefig`` of the same
    figure; the SVG holds every label."""
    import matplotlib
    import numpy as np
    from PIL import Image

    import ecociv.models.water_allocation.diagram as diagram

    png, svg = diagram.draw_network_files(_small(), [tmp_path / "one.png", tmp_path / "one.svg"],
                                          flows={"reach": 3.0, "to_town": 1.25}, flow_units="10^8 m3/yr")
    assert [png.name, svg.name] == ["one.png", "one.svg"]
    reference = tmp_path / "tight.png"
    real_save = diagram._save_png

    def tight(fig: Any, out: Path) -> Any:  # the savefig of before, for reference
        fig.savefig(out, dpi=diagram.PNG_DPI, bbox_inches="tight")
        return diagram._tight_box(fig)

    diagram._save_png = tight
    try:
        diagram.draw_network_files(_small(), [reference], flows={"reach": 3.0, "to_town": 1.25},
                                   flow_units="10^8 m3/yr")
    finally:
        diagram._save_png = real_save
    ours = np.asarray(Image.open(png).convert("RGB")).astype(int)
    theirs = np.asarray(Image.open(reference).convert("RGB")).astype(int)
    assert abs(ours.shape[0] - theirs.shape[0]) <= 1 and abs(ours.shape[1] - theirs.shape[1]) <= 1
    rows, columns = min(ours.shape[0], theirs.shape[0]), min(ours.shape[1], theirs.shape[1])
    differ = np.abs(ours[:rows, :columns] - theirs[:rows, :columns]).max(axis=2) > 64
    # a shift below a pixel moves antialiased edges only
    best = min(
        (np.abs(ours[dy:rows - 1 + dy, dx:columns - 1 + dx] - theirs[:rows - 1, :columns - 1]).max(axis=2) > 64).mean()
        for dy in (0, 1) for dx in (0, 1))
    assert min(best, differ.mean()) < 0.01
    text = svg.read_text(encoding="utf-8")
    assert all(escape(label) in text for label in ("Town & port <A>", "farm", "3", "1.25"))
    assert matplotlib.get_backend()  # drawing left the backend usable


def test_draw_network_files_rejects_a_bad_suffix_before_drawing(tmp_path: Path) -> None:
    from ecociv.models.water_allocation.diagram import draw_network_files

    with pytest.raises(InputError, match=r"\.pdf"):
        draw_network_files(_small(), [tmp_path / "x.png", tmp_path / "x.pdf"])
    assert not (tmp_path / "x.png").exists()
