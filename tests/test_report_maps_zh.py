"""Maps in Chinese: legend, place names, source line and titles (``ecociv report --lang zh`` draws
the run's maps again in Chinese), and which maps get a diverging scale."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ecociv.report.map_text import chinese_part, han_name, output_name


def test_names_for_chinese_maps() -> None:
    assert chinese_part("level 1 (worst) 低") == "低"
    assert chinese_part("ecological protection, not evaluated 生态保护极重要区") == "生态保护极重要区"
    assert chinese_part("cropland") == "cropland"
    # GeoNames alternate names: Japanese first, then the simplified name
    assert han_name("ウルムチ市;乌鲁木齐;乌鲁木齐市;烏魯木齊") == "乌鲁木齐"
    assert han_name("Korla;") is None
    assert output_name("water_yield", "water_yield", "annual water yield", "zh") == "年产水量"
    assert output_name("land_use_change", "land_use_2035", "x", "zh") == "模拟土地利用（2035 年）"
    assert output_name("water_yield", "nope", "something", "zh") == "something"
    assert output_name("water_yield", "water_yield", "annual water yield", "en") == "annual water yield"


def _needs_cjk() -> None:
    from ecociv.report.charts import cjk_font

    if cjk_font() is None:
        pytest.skip("no font with Chinese glyphs (apt-get install fonts-noto-cjk)")


def test_a_belt_class_map_in_chinese(tmp_path: Path) -> None:
    """Every word on the map is Chinese: read back from the SVG's text (not drawn as paths)."""
    _needs_cjk()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from affine import Affine

    from ecociv.grid.io import from_array
    from ecociv.grid.spec import GridSpec
    from ecociv.grid.write import RasterMeta, write_rasters
    from ecociv.region.dataset import load_dataset
    from ecociv.report.maps import render_map

    belt = load_dataset(check=False).grid
    grid = GridSpec.from_crs(belt.crs, Affine(10_000, 0, belt.transform.c, 0, -10_000, belt.transform.f),
                             (73, 129))
    values = np.ones((73, 129))
    values[:, 60:] = 3
    classes = ((1, "generally important 一般重要", "#ffffb2"), (3, "extremely important 极重要", "#bd0026"))
    path = tmp_path / "c.tif"
    write_rasters([(from_array(values, grid, name="c"), path,
                    RasterMeta(units=None, long_name="c", model_id="m", output_id="c", dtype="uint8",
                               categorical=True, categories=classes))], grid)
    with plt.rc_context({"svg.fonttype": "none"}):
        svg = render_map(path, tmp_path / "c.svg", title="生态保护红线：重要性", units=None,
                         categorical=True, when="2035 年", source="测试", lang="zh")
    text = svg.read_text(encoding="utf-8")
    for words in ("生态保护红线：重要性，2035 年", "类别（代码）", "一般重要 (1)", "极重要 (3)",
                  "经济带以外", "来源：测试；行政边界"):
        assert words in text, words
    for english in ("outside the Belt", "class (code)", "Source:"):
        assert english not in text, english
    # place names (drawn with a halo, so as paths in the SVG): the labels put on the axes
    import rasterio

    from ecociv.report import basemap

    with rasterio.open(path) as src:
        layers = basemap.layers_for(src.crs, tuple(src.bounds))
    assert layers is not None
    figure, axes = plt.subplots()
    basemap.draw_layers(axes, layers, lang="zh")
    labels = {t.get_text() for t in axes.texts}
    plt.close(figure)
    assert {"乌鲁木齐", "石河子", "艾比湖", "赛里木湖"} <= labels
    assert not any(name.isascii() and name.strip() for name in labels), labels


def test_change_maps_are_known_by_their_own_name(tmp_path: Path) -> None:
    from ecociv.report.maps import step_map_jobs

    def job(model: str, output: str) -> dict:
        manifest = {"model": {"id": model}, "step": model,
                    "outputs": {output: {"type": "raster", "path": f"{output}.tif", "units": "1"}}}
        return dict(step_map_jobs(tmp_path, manifest)[0].render or {})

    assert job("carbon", "carbon_change")["diverging"] is True
    # 'land-use change simulation' is the model's name, not a change map
    assert job("land_use_change", "suitability")["diverging"] is False
    zh = dict(step_map_jobs(tmp_path, {"model": {"id": "water_yield"}, "step": "wy", "started":
                                       "2026-12-03T10:00:00", "outputs": {"water_yield": {
                                           "type": "raster", "path": "w.tif", "units": "mm"}}},
                            lang="zh", png_folder=tmp_path / "zh")[0].render or {})
    assert zh["title"] == "产水量：年产水量" and zh["when"] == "2026-12-03 运行"
    assert zh["png"] == tmp_path / "zh" / "water_yield.png" and zh["lang"] == "zh"
    assert zh["source"].startswith("ecociv ") and "运行步骤 wy" in zh["source"]


def test_the_chinese_report_draws_the_runs_maps_again(tmp_path: Path) -> None:
    _needs_cjk()
    from ecociv.execute import run_in_memory
    from ecociv.models.carbon.model import MODEL as CARBON
    from ecociv.report.content import gather, localise_maps
    from ecociv.report.maps import write_step_maps

    run = tmp_path / "runs" / "r1"
    step = run / "carbon"
    manifest = run_in_memory(CARBON, CARBON.example(), step)
    (step / "manifest.json").write_text(json.dumps(manifest, default=str), encoding="utf-8")
    english = write_step_maps(step, manifest)
    (run / "manifest.json").write_text(json.dumps({
        "run_id": "r1", "status": "completed", "scenario": {"name": "t"},
        "steps": [{"name": "carbon", "model": "carbon", "outputs": {}}]}), encoding="utf-8")
    content = gather(run)
    assert next(c for c, _ in content.maps).startswith("carbon: ")
    localise_maps(content, "zh", tmp_path / "zh")
    captions = [c for c, _ in content.maps]
    assert len(captions) == len(english)
    assert "碳储量：碳密度（四个碳库），基准（carbon）" in captions
    for (_, png), original in zip(content.maps, english, strict=True):
        assert png.parent == tmp_path / "zh" / "carbon" and png.name == original.name
        assert png.read_bytes() != original.read_bytes()   # drawn again, in Chinese
    before = content.maps
    localise_maps(content, "en", tmp_path / "en")       # English: the run's own maps
    assert content.maps == before
