"""Diagram of a water allocation network (PNG or SVG) drawn with matplotlib only.

The network file is read as YAML (:func:`.document.read_document`) and only its structural keys are used (nodes: ``id``,
``type``, ``sector``, ``name``, ``x``, ``y``; links: ``id``, ``from``, ``to``, ``kind``, ``enabled``), so
the diagram does not depend on the allocation engine and can be drawn for a network the engine would
still reject for its figures. Format: docs/water_network.md.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from ecociv.errors import InputError

#: marker, face colour and marker area (pt²) of each node type
NODE_STYLES: dict[str, tuple[str, str, float]] = {
    "inflow": ("^", "#1f78b4", 70.0),
    "junction": ("o", "#bdbdbd", 18.0),
    "reservoir": ("s", "#08306b", 60.0),
    "aquifer": ("h", "#8c6d31", 70.0),
    "demand": ("o", "#e31a1c", 55.0),
    "lake": ("o", "#41b6c4", 160.0),
    "sink": ("v", "#252525", 40.0),
}
#: face colour of demand sites by sector
SECTOR_COLOURS: dict[str, str] = {
    "domestic": "#e31a1c",
    "industry": "#6a3d9a",
    "agriculture": "#33a02c",
    "ecology": "#01665e",
    "livestock": "#ff7f00",
}
#: colour, line style and width of each link kind
LINK_STYLES: dict[str, tuple[str, Any, float]] = {
    "river": ("#1f78b4", "-", 1.6),
    "outflow": ("#1f78b4", "-", 1.0),
    "supply": ("#737373", "-", 0.7),
    "return": ("#a6761d", "--", 0.7),
    "transfer": ("#d7301f", "-.", 1.6),
    "recharge": ("#8c6d31", ":", 1.0),
}
DISABLED_ALPHA = 0.25
SUFFIXES = (".png", ".svg")


@dataclass(frozen=True)
class _Node:
    id: str
    type: str
    sector: str | None
    label: str
    x: float | None
    y: float | None


@dataclass(frozen=True)
class _Link:
    id: str
    source: str
    target: str
    kind: str
    enabled: bool


def _read(network: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """The parsed network and a name for messages."""
    if isinstance(network, Mapping):
        return network, "network"
    from ecociv.models.water_allocation.document import read_document

    parsed, path = read_document(Path(network))
    return parsed, str(path)


def _coordinate(value: Any, node_id: str, key: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"node {node_id!r}: {key} must be a number, got {value!r}", source=source)
    return float(value)


def parse_structure(network: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[list[_Node], list[_Link]]:
    """Nodes and links of a network file (or parsed mapping), structural keys only.

    Parameters
    ----------
    network : path or mapping
        ``network.yaml``, the folder holding it, or the parsed YAML.

    Returns
    -------
    nodes, links : list
        In file order.

    Raises
    ------
    InputError
        If a node has no id, an id is repeated, or a link's ``from``/``to`` names no node (the message
        names the link and the missing node).
    """
    data, source = _read(network)
    return _structure(data, source)


def _structure(data: Mapping[str, Any], source: str) -> tuple[list[_Node], list[_Link]]:
    raw_nodes = data.get("nodes") or []
    raw_links = data.get("links") or []
    if not isinstance(raw_nodes, list) or not isinstance(raw_links, list):
        raise InputError("'nodes' and 'links' must be lists", source=source)
    nodes: list[_Node] = []
    seen: set[str] = set()
    for position, item in enumerate(raw_nodes, start=1):
        if not isinstance(item, Mapping) or "id" not in item:
            raise InputError("node has no 'id'", source=source, where=f"node {position}")
        node_id = str(item["id"])
        if node_id in seen:
            raise InputError(f"node id {node_id!r} is used twice", source=source, where=f"node {position}")
        seen.add(node_id)
        sector = item.get("sector")
        nodes.append(_Node(
            id=node_id, type=str(item.get("type", "junction")), sector=None if sector is None else str(sector),
            label=str(item.get("name") or node_id),
            x=_coordinate(item.get("x"), node_id, "x", source), y=_coordinate(item.get("y"), node_id, "y", source)))
    links: list[_Link] = []
    for position, item in enumerate(raw_links, start=1):
        if not isinstance(item, Mapping):
            raise InputError("link is not a mapping", source=source, where=f"link {position}")
        link_id = str(item.get("id", f"link {position}"))
        for end in ("from", "to"):
            if item.get(end) is None:
                raise InputError(f"link {link_id!r} has no {end!r}", source=source, where=f"link {position}")
            if str(item[end]) not in seen:
                raise InputError(f"link {link_id!r}: {end!r} names no node ({item[end]!r})", source=source,
                                 where=f"link {position}")
        links.append(_Link(id=link_id, source=str(item["from"]), target=str(item["to"]),
                           kind=str(item.get("kind", "river")), enabled=item.get("enabled", True) is not False))
    return nodes, links


def layered_positions(nodes: list[_Node], links: list[_Link]) -> dict[str, tuple[float, float]]:
    """Positions by flow order: layer = longest path from a node without inflow (return links ignored).

    Nodes left in cycles are put one layer after the deepest placed node. Within a layer nodes keep
    file order, spaced 1 apart and centred on y = 0; x is the layer number.
    """
    ids = [node.id for node in nodes]
    forward = [link for link in links if link.kind != "return"]
    incoming = {node_id: 0 for node_id in ids}
    successors: dict[str, list[str]] = {node_id: [] for node_id in ids}
    for link in forward:
        incoming[link.target] += 1
        successors[link.source].append(link.target)
    layer = {node_id: 0 for node_id in ids}
    queue = [node_id for node_id in ids if incoming[node_id] == 0]
    placed: set[str] = set()
    while queue:
        current = queue.pop(0)
        placed.add(current)
        for target in successors[current]:
            layer[target] = max(layer[target], layer[current] + 1)
            incoming[target] -= 1
            if incoming[target] == 0:
                queue.append(target)
    deepest = max((layer[node_id] for node_id in placed), default=0)
    for node_id in ids:
        if node_id not in placed:
            layer[node_id] = deepest + 1
    members: dict[int, list[str]] = {}
    for node_id in ids:
        members.setdefault(layer[node_id], []).append(node_id)
    positions: dict[str, tuple[float, float]] = {}
    for number, group in members.items():
        for rank, node_id in enumerate(group):
            positions[node_id] = (float(number), (len(group) - 1) / 2.0 - rank)
    return positions


def _positions(nodes: list[_Node], links: list[_Link]) -> tuple[dict[str, tuple[float, float]], bool]:
    """x/y of the file when every node has both, else the layered layout; and whether they look like lon/lat."""
    placed = {node.id: (node.x, node.y) for node in nodes if node.x is not None and node.y is not None}
    if nodes and len(placed) == len(nodes):
        positions = {node_id: (float(x), float(y)) for node_id, (x, y) in placed.items()}
        geographic = all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in positions.values())
        return positions, geographic
    return layered_positions(nodes, links), False


def _node_colour(node: _Node) -> str:
    if node.type == "demand" and node.sector in SECTOR_COLOURS:
        return SECTOR_COLOURS[node.sector]
    return NODE_STYLES.get(node.type, NODE_STYLES["junction"])[1]


def _legend_handles(nodes: list[_Node], links: list[_Link], flow_units: str) -> list[Line2D]:
    handles: list[Line2D] = []
    types = {node.type for node in nodes}
    for node_type, (marker, colour, area) in NODE_STYLES.items():
        if node_type in types and node_type != "demand":
            handles.append(Line2D([], [], linestyle="", marker=marker, markerfacecolor=colour,
                                  markeredgecolor="black", markersize=math.sqrt(area) * 0.8, label=node_type))
    sectors = sorted({node.sector for node in nodes if node.type == "demand" and node.sector})
    for sector in sectors:
        handles.append(Line2D([], [], linestyle="", marker=NODE_STYLES["demand"][0],
                              markerfacecolor=SECTOR_COLOURS.get(sector, NODE_STYLES["demand"][1]),
                              markeredgecolor="black", markersize=6, label=f"demand: {sector}"))
    kinds = {link.kind for link in links}
    for kind, (colour, style, width) in LINK_STYLES.items():
        if kind in kinds:
            handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=width, label=f"{kind} link"))
    if any(not link.enabled for link in links):
        colour, style, width = LINK_STYLES["transfer"]
        handles.append(Line2D([], [], color=colour, linestyle=style, linewidth=width, alpha=DISABLED_ALPHA,
                              label="disabled link"))
    if flow_units:
        handles.append(Line2D([], [], linestyle="", label=f"link numbers: mean flow, {flow_units}"))
    return handles


def draw_network(
    network: str | os.PathLike[str] | Mapping[str, Any],
    out_path: str | os.PathLike[str],
    title: str | None = None,
    *,
    flows: Mapping[str, float] | None = None,
    flow_units: str = "",
) -> Path:
    """Draw a water network: nodes by type (demand sites by sector), links by kind, labels and a legend.

    Parameters
    ----------
    network : path or mapping
        ``network.yaml`` (or its folder) in the format of docs/water_network.md, or the parsed YAML.
        Nodes are placed at their ``x``/``y`` when every node has them (values that look like degrees
        are drawn with a 1/cos(latitude) aspect, as on a map), else in layers by flow order.
    out_path : path
        ``.png`` or ``.svg``; SVG text stays text so labels can be searched.
    title : str, optional
        Figure title; default: the network's ``name``.
    flows : mapping of link id to float, optional
        Mean flows written at the middle of each link (results of a run), in ``flow_units``.
    flow_units : str
        Unit of ``flows`` shown in the legend, e.g. ``"10^8 m3/yr"``.

    Returns
    -------
    pathlib.Path
        The file written.

    See Also
    --------
    draw_network_files : the same diagram in several formats, laid out once.

    Raises
    ------
    InputError
        For an unsupported file suffix, a link to a missing node, or a flow for an unknown link.
    """
    return draw_network_files(network, [out_path], title, flows=flows, flow_units=flow_units)[0]


#: resolution of the PNG diagram (dots per inch) and zlib level of its file (3: about as small as
#: the default 6 for this drawing, in less time; the pixels are the same at every level)
PNG_DPI = 200
PNG_COMPRESS_LEVEL = 3


def draw_network_files(
    network: str | os.PathLike[str] | Mapping[str, Any],
    out_paths: Sequence[str | os.PathLike[str]],
    title: str | None = None,
    *,
    flows: Mapping[str, float] | None = None,
    flow_units: str = "",
) -> list[Path]:
    """:func:`draw_network` into several files (e.g. the PNG and the SVG of one diagram) from one
    figure: the network is read, laid out and its tight bounding box measured once, instead of
    once per file (``bbox_inches="tight"`` measures with a pass over the whole figure first).

    Parameters
    ----------
    network, title, flows, flow_units
        As for :func:`draw_network`.
    out_paths : sequence of path
        ``.png`` or ``.svg`` files, written in this order.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order given.

    Raises
    ------
    InputError
        As :func:`draw_network`; a bad suffix is reported before anything is drawn.
    """
    outs = [Path(path) for path in out_paths]
    for out in outs:
        if out.suffix.lower() not in SUFFIXES:
            raise InputError(f"diagram must be .png or .svg, got {out.suffix!r}", source=str(out))
    data, source = _read(network)
    nodes, links = _structure(data, source)
    link_ids = {link.id for link in links}
    unknown = sorted(set(flows or {}) - link_ids)
    if unknown:
        raise InputError(f"flows given for links that are not in the network: {', '.join(unknown)}", source="flows")
    positions, geographic = _positions(nodes, links)

    xs = [x for x, _ in positions.values()] or [0.0]
    ys = [y for _, y in positions.values()] or [0.0]
    aspect = 1.0 / max(math.cos(math.radians(sum(ys) / len(ys))), 0.2) if geographic else 1.0
    span_x = max(max(xs) - min(xs), 1.0)
    span_y = max(max(ys) - min(ys), 1.0) * aspect
    width = 22.0
    height = min(max(width * span_y / span_x, 6.0), 16.0)

    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig = Figure(figsize=(width, height))
        ax = fig.add_subplot()
        for link in links:
            colour, style, line_width = LINK_STYLES.get(link.kind, LINK_STYLES["supply"])
            start, end = positions[link.source], positions[link.target]
            curved = link.kind in ("supply", "return")
            arrow = FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=7, color=colour, linestyle=style, linewidth=line_width,
                alpha=1.0 if link.enabled else DISABLED_ALPHA, shrinkA=4, shrinkB=5, zorder=1,
                connectionstyle="arc3,rad=0.15" if curved else "arc3,rad=0.0")
            ax.add_artist(arrow)  # not add_patch: the limits are set below, not from the arrows
            if flows and link.id in flows:
                ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, f"{flows[link.id]:.3g}", fontsize=5,
                        color=colour, ha="center", va="center", zorder=4,
                        bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.7})
        ax.add_collection(_node_markers(nodes, positions, ax), autolim=False)
        for node in nodes:
            ax.annotate(node.label, positions[node.id], xytext=(4, 3), textcoords="offset points", fontsize=6,
                        zorder=5)
        ax.set_xlim(min(xs) - 0.05 * span_x, max(xs) + 0.12 * span_x)
        ax.set_ylim(min(ys) - 0.05 * span_y / aspect, max(ys) + 0.05 * span_y / aspect)
        if geographic:
            ax.set_aspect(aspect)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(handles=_legend_handles(nodes, links, flow_units), loc="upper right", fontsize=6, framealpha=0.9)
        ax.set_title(title if title is not None else str(data.get("name", "water network")))
        box = None
        for out in sorted(outs, key=lambda path: path.suffix.lower() != ".png"):  # PNG first
            out.parent.mkdir(parents=True, exist_ok=True)
            if out.suffix.lower() == ".png":
                box = _save_png(fig, out)
            else:
                fig.savefig(out, dpi=PNG_DPI, bbox_inches=box if box is not None else _tight_box(fig))
    return outs


def _node_markers(nodes: list[_Node], positions: Mapping[str, tuple[float, float]], ax: Any) -> Any:
    """Every node's marker in one collection, drawn in file order (as one ``scatter`` per node
    draws them, for a fraction of the time): marker by type, face colour by type or sector."""
    from matplotlib.collections import PathCollection
    from matplotlib.markers import MarkerStyle
    from matplotlib.transforms import IdentityTransform

    paths, sizes, colours, offsets = [], [], [], []
    for node in nodes:
        marker, _, area = NODE_STYLES.get(node.type, NODE_STYLES["junction"])
        style = MarkerStyle(marker)
        paths.append(style.get_path().transformed(style.get_transform()))
        sizes.append(area)
        colours.append(_node_colour(node))
        offsets.append(positions[node.id])
    collection = PathCollection(paths, sizes=sizes, facecolors=colours, edgecolors="black", linewidths=0.5,
                                offsets=offsets or None, offset_transform=ax.transData, zorder=3)
    collection.set_transform(IdentityTransform())
    return collection


def _save_png(fig: Figure, out: Path) -> Any:
    """Draw ``fig`` once at :data:`PNG_DPI` and write the part inside its tight bounding box as a
    PNG (the pixels ``savefig(bbox_inches="tight")`` writes, up to a shift of less than a pixel:
    ``savefig`` lays the figure out once more to measure the box, then draws it again); the box
    (inches), for the SVG."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from ecociv.report.png import write_png

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(PNG_DPI)
    canvas.draw()
    box = fig.get_tightbbox(canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    pixels = np.asarray(canvas.buffer_rgba())
    rows, columns = pixels.shape[:2]
    left, right = round(box.x0 * PNG_DPI), round(box.x1 * PNG_DPI)
    top, bottom = rows - round(box.y1 * PNG_DPI), rows - round(box.y0 * PNG_DPI)
    if left < 0 or top < 0 or right > columns or bottom > rows:  # reaches out of the figure
        fig.savefig(out, dpi=PNG_DPI, bbox_inches=box, pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        return box
    # the pixels imsave writes, encoded faster (0.10 against 0.13 CPU-s, 556 against 695 kB on
    # the Belt network)
    write_png(out, pixels[top:bottom, left:right], dpi=PNG_DPI,
              software=f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/")
    return box


def _tight_box(fig: Figure) -> Any:
    """The figure's tight bounding box (inches) at :data:`PNG_DPI`, padded, as ``savefig``'s
    ``bbox_inches="tight"`` finds it for a PNG (a pass over the figure with drawing disabled,
    which places the title and legend, then the box of every artist), found once. (``savefig``
    measures an SVG on its own renderer, whose text extents may differ from Agg's by a fraction
    of a point.)"""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(PNG_DPI)
    renderer = canvas.get_renderer()
    with renderer._draw_disabled():
        fig.draw(renderer)
    box = fig.get_tightbbox(renderer)
    return box.padded(matplotlib.rcParams["savefig.pad_inches"])
