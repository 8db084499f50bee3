"""PNG maps of raster outputs: legend, scale bar, true-north arrow."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pyproj import Transformer

from ecociv.execute import run_in_memory
from ecociv.grid.spec import CHINA_ALBERS
from ecociv.models.carbon.model import MODEL as CARBON
from ecociv.report.maps import _nice_length, _true_north_angle, write_step_maps


@pytest.mark.parametrize(("longitude", "latitude"), [(105.0, 44.0), (85.0, 44.0), (95.0, 40.0)])
def test_north_arrow_follows_meridian_convergence(longitude: float, latitude: float) -> None:
    # Albers conic: meridians converge by γ = n (λ − λ0), n = (sin φ1 + sin φ2) / 2 (Snyder 1987,
    # Map Projections — A Working Manual, USGS PP 1395, eqs. 14-14 and 14-1); west of the central
    # meridian true north leans east, i.e. clockwise (negative counter-clockwise angle)
    n = (np.sin(np.radians(25)) + np.sin(np.radians(47))) / 2
    x, y = Transformer.from_crs("EPSG:4326", CHINA_ALBERS, always_xy=True).transform(longitude, latitude)
    assert _true_north_angle(CHINA_ALBERS, x, y) == pytest.approx(n * (longitude - 105.0), abs=0.05)


def test_scale_bar_lengths_are_round() -> None:
    assert _nice_length(1_294_000) == 200_000
    assert _nice_length(3_000) == 500
    assert _nice_length(90.0) == 10


def test_a_map_per_raster_output(tmp_path: Path) -> None:
    out = tmp_path / "carbon"
    manifest = run_in_memory(CARBON, CARBON.example(), out)
    written = write_step_maps(out, manifest)
    rasters = [k for k, v in manifest["outputs"].items() if v["type"] == "raster"]
    assert sorted(p.stem for p in written) == sorted(rasters)
    for path in written:
        assert path.stat().st_size > 10_000 and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "maps.json").read_text()) == [p.name for p in written]
