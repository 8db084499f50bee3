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


def test_scale_bar_on_geographic_grid_is_measured_on_the_ellipsoid() -> None:
    # A raster 10° wide centred at 45°N (EPSG:4326): the bar is drawn in degrees but labelled in
    # ground distance. Reference: pyproj.Geod (WGS84) distance between the bar's ends along 45°N;
    # the map spans about 789 km there, so a round bar of about a fifth is 100 km.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pyproj import CRS, Geod

    from ecociv.report.maps import _decorate

    bounds = (80.0, 40.0, 90.0, 50.0)
    figure, axes = plt.subplots()
    try:
        _decorate(axes, bounds, CRS.from_epsg(4326))
        xs = axes.lines[0].get_xdata()
        label = axes.texts[0].get_text()
    finally:
        plt.close(figure)
    geod = Geod(ellps="WGS84")
    span_km = geod.inv(80.0, 45.0, 90.0, 45.0)[2] / 1000
    bar_km = geod.inv(float(xs[0]), 45.0, float(xs[1]), 45.0)[2] / 1000
    assert 700 < span_km < 800
    assert label.endswith(" km")
    assert float(label.removesuffix(" km")) == pytest.approx(bar_km, rel=1e-3)
    assert span_km / 10 <= bar_km <= span_km / 2
    assert label == "100 km"


def test_scale_bar_on_projected_grid_counts_metres() -> None:
    from ecociv.report.maps import _scale_bar

    length, label = _scale_bar((0.0, 0.0, 30_000.0, 10_000.0), CHINA_ALBERS)
    assert (length, label) == (5_000.0, "5 km")


def test_class_map_uses_the_raster_colour_table_and_names(tmp_path: Path) -> None:
    # the PNG shows the colours QGIS shows (the COG's colour table) and the class names of the
    # .aux.xml attribute table (their CJK words dropped: matplotlib's default font has no CJK)
    from affine import Affine
    from PIL import Image

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import GridSpec
    from ecociv.grid.write import RasterMeta, write_rasters
    from ecociv.report.maps import _class_names, render_map

    classes = ((1, "generally important 一般重要", "#ffffb2"), (3, "extremely important 极重要", "#bd0026"))
    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000, 0, 0, 0, -1000, 5_000_000), (20, 20))
    values = np.ones((20, 20))
    values[:, 10:] = 3
    path = tmp_path / "c.tif"
    meta = RasterMeta(units=None, long_name="c", model_id="m", output_id="c", dtype="uint8",
                      categorical=True, categories=classes)
    write_rasters([(from_array(values, grid, name="c"), path, meta)], grid)
    assert _class_names(path) == {1: "generally important", 3: "extremely important"}
    png = render_map(path, tmp_path / "c.png", title="classes", units=None, categorical=True)
    pixels = {tuple(p[:3]) for p in np.asarray(Image.open(png).convert("RGB")).reshape(-1, 3)}
    assert (0xff, 0xff, 0xb2) in pixels and (0xbd, 0x00, 0x26) in pixels


def _belt_raster(tmp_path: Path, values: np.ndarray, name: str = "v") -> Path:
    """A coarse (10 km) raster covering the Belt dataset's grid window."""
    from affine import Affine

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import GridSpec
    from ecociv.grid.write import RasterMeta, write_rasters
    from ecociv.region.dataset import load_dataset

    belt = load_dataset(check=False).grid
    left, top = belt.transform.c, belt.transform.f
    grid = GridSpec.from_crs(belt.crs, Affine(10_000, 0, left, 0, -10_000, top), values.shape)
    path = tmp_path / f"{name}.tif"
    meta = RasterMeta(units="mm/yr", long_name=name, model_id="m", output_id=name, dtype="float32")
    write_rasters([(from_array(values, grid, name=name), path, meta)], grid)
    return path


def test_belt_map_is_cropped_masked_and_bounded(tmp_path: Path) -> None:
    # the Belt's own layers: the window is the outline's bounds (narrower than the grid window),
    # the outside of the Belt is grey, the outline and boundaries are drawn in black/grey
    import rasterio
    from PIL import Image

    from ecociv.report import basemap
    from ecociv.report.maps import OUTSIDE_GREY, render_map

    path = _belt_raster(tmp_path, np.full((73, 129), 50.0))
    with rasterio.open(path) as src:
        bounds = tuple(src.bounds)
        layers = basemap.layers_for(src.crs, bounds)
    assert layers is not None
    assert len(layers.counties) == 39 and len(layers.prefectures) == 14
    assert any(name.endswith("rümqi") for _, _, name in layers.cities)   # GeoNames: Ürümqi
    assert any("Ebinur" in name for _, _, name in layers.lake_names)
    window = basemap.crop_bounds(layers, bounds)
    outline = layers.outline.bounds
    assert window[0] <= outline[0] and window[1] <= outline[1]
    assert window[2] >= outline[2] and window[3] >= outline[3]
    assert bounds[0] <= window[0] and window[2] <= bounds[2]
    png = render_map(path, tmp_path / "v.png", title="Water yield", units="mm/yr",
                     when="run of 2026-12-03", source="test")
    image = Image.open(png)
    # no half-empty page: the figure follows the Belt's wide window (about 1300 km x 730 km)
    assert image.height < 0.7 * image.width
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    grey = tuple(int(OUTSIDE_GREY[i:i + 2], 16) for i in (1, 3, 5))
    assert (pixels == grey).all(axis=1).sum() > 1000
    assert (pixels.sum(axis=1) == 0).sum() > 500   # black outline, scale bar, labels


def test_a_map_elsewhere_gets_no_belt_layers() -> None:
    from pyproj import CRS

    from ecociv.report import basemap

    # a window of 30 km near the central meridian, far east of the Belt
    assert basemap.layers_for(CRS.from_user_input(CHINA_ALBERS), (0, 4_000_000, 30_000, 4_030_000)) is None


def test_difference_scale_is_centred_on_zero() -> None:
    from ecociv.report.maps import colour_limits

    values = np.ma.masked_invalid(np.linspace(-3.0, 8.0, 1001))
    low, high = colour_limits(values, diverging=True)
    assert low == -high and high == pytest.approx(np.percentile(values.compressed(), 98))
    low, high = colour_limits(values, diverging=False)
    assert low == pytest.approx(np.percentile(values.compressed(), 2)) and high > low


def test_belt_layers_drawn_once_look_as_drawn_on_each_map(tmp_path: Path, monkeypatch) -> None:
    # the Belt's layers, graticule, scale bar and arrow come from an image drawn once per process
    # and grid; the map must look as when they are drawn on it: same size, the same pixels but
    # for antialiased edges (a few levels of 255), and the layers drawn only once
    from PIL import Image

    from ecociv.report import basemap, maps

    path = _belt_raster(tmp_path, np.linspace(0, 100, 73 * 129).reshape(73, 129))
    calls: list[int] = []
    draw = basemap.draw_layers
    monkeypatch.setattr(basemap, "draw_layers", lambda *a, **k: (calls.append(1), draw(*a, **k)))
    maps._overlay.cache_clear()
    overlaid = [maps.render_map(path, tmp_path / f"o{i}.png", title="Water yield", units="mm/yr",
                                source="test") for i in range(2)]
    assert len(calls) == 1, "the layers of a grid are drawn once per process"
    monkeypatch.setattr(maps, "OVERLAY_PNG", False)
    direct = maps.render_map(path, tmp_path / "d.png", title="Water yield", units="mm/yr",
                             source="test")
    a = np.asarray(Image.open(overlaid[1]).convert("RGBA")).astype(int)
    b = np.asarray(Image.open(direct).convert("RGBA")).astype(int)
    assert a.shape == b.shape
    difference = np.abs(a - b).max(axis=2)
    assert difference.max() <= 8
    assert (difference > 0).mean() < 0.05
    assert (np.asarray(Image.open(overlaid[0])) == np.asarray(Image.open(overlaid[1]))).all()


@pytest.mark.parametrize(("dtype", "nodata"), [("float32", -9999.0), ("float32", float("nan")),
                                               ("int16", -1), ("float32", None)])
def test_fast_masked_read_equals_rasterio_masked_read(make_raster, dtype: str, nodata) -> None:
    # maps read rasters decimated without GDAL's mask band where the mask is the nodata value:
    # the same values and mask as rasterio's masked read, averaged and nearest
    import rasterio
    from rasterio.enums import Resampling

    from ecociv.report.maps import _read_masked

    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, (61, 83)).astype(dtype)
    if nodata is not None:
        values[rng.random(values.shape) < 0.3] = nodata
        values[:20, :30] = nodata  # whole decimated cells of nodata
    with rasterio.open(make_raster(values, nodata=nodata)) as src:
        for resampling in (Resampling.average, Resampling.nearest):
            shape = (1, 61 // 4, 83 // 4)
            expected = src.read(out_shape=shape, masked=True, resampling=resampling)
            got = _read_masked(src, shape, resampling)
            np.testing.assert_array_equal(np.ma.getmaskarray(got), np.ma.getmaskarray(expected))
            np.testing.assert_array_equal(got.filled(0), expected.filled(0))
            if nodata is not None:
                assert np.ma.getmaskarray(got).any()


def test_warm_up_primes_the_belt_overlay_for_the_first_maps(tmp_path: Path, monkeypatch) -> None:
    # a map process primed with a throwaway map of a dataset layer has the Belt overlay of the
    # dataset grid ready: a map of another layer on that grid does not draw the layers again
    from ecociv.region.dataset import load_dataset
    from ecociv.report import basemap, maps

    calls: list[int] = []
    draw = basemap.draw_layers
    monkeypatch.setattr(basemap, "draw_layers", lambda *a, **k: (calls.append(1), draw(*a, **k)))
    maps._overlay.cache_clear()
    maps.warm_up((("dem", False), ("no_such_layer", False)))  # a bad layer is passed over
    assert len(calls) == 1
    maps.render_map(load_dataset().layer("slope").path, tmp_path / "slope.png", title="Slope",
                    units="degree")
    assert len(calls) == 1, "the primed overlay serves the dataset grid's maps"
    assert (tmp_path / "slope.png").stat().st_size > 10_000


def test_maps_drawn_in_a_held_figure_equal_maps_in_new_figures(tmp_path: Path, monkeypatch) -> None:
    # single-band Belt maps reuse one figure per kind: continuous maps with different scales and
    # colour maps, a change map and a class map in turn must have the pixels of maps each drawn
    # in a new figure (the colour bar, legend, title and source line of the map before replaced)


    gradient = np.linspace(0, 100, 73 * 129).reshape(73, 129)
    rasters = [
        (_belt_raster(tmp_path, gradient, "a"), {"title": "Water yield", "units": "mm/yr"}),
        (_belt_raster(tmp_path, 5000 - 40 * gradient, "b"), {"title": "Soil loss", "units": "t/ha/yr",
                                                             "when": "run of 2026-12-04"}),
        (_belt_raster(tmp_path, gradient - 30, "c"), {"title": "Carbon change", "units": "t/ha"}),
        (_belt_raster(tmp_path, np.round(gradient / 25), "d"), {"title": "Class", "units": None,
                                                                "categorical": True}),
        (_belt_raster(tmp_path, gradient[::-1], "e"), {"title": "Habitat quality", "units": "1",
                                                       "source": "a source line"}),
    ]
    _assert_held_maps_equal_new_ones(tmp_path, monkeypatch, rasters, held_figures=2)


def _assert_held_maps_equal_new_ones(tmp_path: Path, monkeypatch, maps_to_draw: list[tuple[Path, dict]],
                                     held_figures: int) -> None:
    """Draw ``maps_to_draw`` (raster, options) in turn with held figures (``held_figures`` of
    them end up held), then each in a new figure: the PNGs have the same pixels."""
    from PIL import Image

    from ecociv.report import maps

    maps._held.clear()
    held = [maps.render_map(path, tmp_path / f"held_{path.stem}.png", **kw) for path, kw in maps_to_draw]
    assert len(maps._held) == held_figures
    monkeypatch.setattr(maps, "REUSE_FIGURES", False)
    new = [maps.render_map(path, tmp_path / f"new_{path.stem}.png", **kw) for path, kw in maps_to_draw]
    for a, b in zip(held, new, strict=True):
        assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))), a.name


def _bands_raster(tmp_path: Path, single: Path, stack: np.ndarray, name: str) -> Path:
    """``stack`` (bands, rows, columns) written on the grid of the one-band raster ``single``."""
    import rasterio

    with rasterio.open(single) as src:
        profile = src.profile
    profile.update(count=stack.shape[0], dtype="float32", nodata=-9999.0)
    path = tmp_path / f"{name}.tif"
    with rasterio.open(path, "w", **profile) as out:
        out.write(stack.astype("float32"))
    return path


def test_multi_band_maps_drawn_in_a_held_figure_equal_maps_in_new_figures(
        tmp_path: Path, monkeypatch) -> None:
    # small multiples (e.g. 12 months) reuse one figure per band count too: two monthly maps
    # with other scales and panel labels, in turn, have the pixels of maps each in a new figure


    gradient = np.linspace(0, 100, 73 * 129).reshape(73, 129)
    single = _belt_raster(tmp_path, gradient)
    months = np.stack([gradient * (1 + m) for m in range(12)])
    first = _bands_raster(tmp_path, single, months, "first")
    second = _bands_raster(tmp_path, single, 500 - months[::-1] / 3, "second")
    labels = [[f"month {m + 1}" for m in range(12)], [f"M{m + 1:02d}" for m in range(12)]]
    kinds = [(first, {"title": "Soil loss", "units": "t/ha/month", "band_labels": labels[0]}),
             (second, {"title": "Sand fixation", "units": "t/ha/month", "band_labels": labels[1],
                       "source": "another source"})]
    _assert_held_maps_equal_new_ones(tmp_path, monkeypatch, kinds, held_figures=1)


def test_a_stamped_source_line_looks_as_drawn_on_each_map(tmp_path: Path, monkeypatch) -> None:
    # the source line of a Belt map comes from an image drawn once per line: the map has the
    # pixels of one whose line is drawn on it, but for the glyphs' antialiased edges (at most 2
    # levels of 255, measured on every map of a Belt demo), all in the line's rows at the bottom
    from PIL import Image

    from ecociv.report import maps

    path = _belt_raster(tmp_path, np.linspace(0, 100, 73 * 129).reshape(73, 129))
    line = "ecociv test run, model m 1.0, step s; a long enough source line to be wrapped " * 3
    maps._source_stamp.cache_clear()
    stamped = [maps.render_map(path, tmp_path / f"s{i}.png", title="Water yield", units="mm/yr",
                               source=line) for i in range(2)]
    assert maps._source_stamp.cache_info().misses == 1, "one stamp for the same line"
    monkeypatch.setattr(maps, "STAMP_SOURCE", False)
    drawn = maps.render_map(path, tmp_path / "d.png", title="Water yield", units="mm/yr",
                            source=line)
    a = np.asarray(Image.open(stamped[1]).convert("RGBA")).astype(int)
    b = np.asarray(Image.open(drawn).convert("RGBA")).astype(int)
    assert a.shape == b.shape
    difference = np.abs(a - b).max(axis=2)
    assert difference.max() <= 2
    rows = np.nonzero(difference)[0]
    assert rows.size == 0 or rows.min() >= a.shape[0] - 0.6 * 110  # the bottom 0.6 inch
    # and the line is there: the map differs in those rows from one with only the layers' source
    none = maps.render_map(path, tmp_path / "n.png", title="Water yield", units="mm/yr")
    c = np.asarray(Image.open(none).convert("RGBA")).astype(int)
    assert (np.abs(a - c).max(axis=2)[-66:] > 100).sum() > 500


def test_primed_source_lines_serve_the_first_maps_of_a_step(tmp_path: Path) -> None:
    # a map process primed with a step's source lines (one-band and 12-band maps) draws that
    # step's first maps without drawing their lines again, nor the 12-panel layout and overlay,
    # and the maps are those of an unprimed process (the stamp is the one the map would have
    # drawn, the held figure the one it would have laid out)
    from types import SimpleNamespace

    from PIL import Image

    from ecociv.report import maps

    gradient = np.linspace(0, 100, 73 * 129).reshape(73, 129)
    single = _belt_raster(tmp_path, gradient)
    monthly = _bands_raster(tmp_path, single, np.stack([gradient * (1 + m) for m in range(12)]),
                            "monthly")
    spec = SimpleNamespace(id="m", version="1.0")  # what the source line names of a spec
    source = maps.step_source(spec, "my_step")
    assert "m 1.0" in source and "my_step" in source
    maps._source_stamp.cache_clear()
    maps._wrapped.cache_clear()
    unprimed = [maps.render_map(path, tmp_path / f"u{i}.png", title="T", units="mm", source=source)
                for i, path in enumerate((single, monthly))]
    maps._source_stamp.cache_clear()
    maps._wrapped.cache_clear()
    maps._overlay.cache_clear()
    maps._held.clear()
    maps.prime_sources(single, [(source, 1), (source, 12)])
    primed = maps._source_stamp.cache_info().misses
    assert primed == 2
    assert [key[-1] for key in maps._held] == [12], "the 12-panel figure is laid out and held"
    overlays = maps._overlay.cache_info().misses
    drawn = [maps.render_map(path, tmp_path / f"p{i}.png", title="T", units="mm", source=source)
             for i, path in enumerate((single, monthly))]
    assert maps._source_stamp.cache_info().misses == primed, "the maps' lines were primed"
    assert maps._overlay.cache_info().misses == overlays + 1  # the one-band map's only
    for a, b in zip(drawn, unprimed, strict=True):
        assert np.array_equal(np.asarray(Image.open(a)), np.asarray(Image.open(b))), a.name
    maps.prime_sources(tmp_path / "missing.tif", [(source, 1)])  # a head start: never raises


@pytest.mark.parametrize("width", [3.0, 6.0, 10.0])
def test_source_lines_wrap_as_matplotlib_wraps_them(width: float) -> None:
    # lines that fit are kept whole after one measure; the others wrap where matplotlib's
    # wrap=True breaks them (its own wrapping, word by word, is the reference)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ecociv.report import maps

    words = ("Source: ecociv 0.1.0, model soil_conservation 1.3, run step soil; boundaries: Belt "
             "dataset units.gpkg (2021+ divisions); cities: GeoNames; lakes: GSHHG").split()
    texts = [" ".join(words[:n]) for n in (1, 3, 8, 15, len(words))]
    texts += [texts[2] + "\n" + texts[-1], texts[-1] + "\n" + texts[1]]
    kept = 0
    for text in texts:
        figure = Figure(figsize=(width, 1.0), dpi=110)
        canvas = FigureCanvasAgg(figure)
        artist = figure.text(0.01, 0.1, text, fontsize=6.5, ha="left", va="bottom", wrap=True)
        artist._renderer = canvas.get_renderer()
        expected = artist._get_wrapped_text()
        assert maps._wrapped(text, width, 110.0, 0.01, 6.5) == expected
        kept += expected == text
    assert 0 < kept < len(texts) or width == 10.0  # both kinds of line at the narrow widths
