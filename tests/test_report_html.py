"""``ecociv report``: HTML, XLSX and PDF of runs, in Chinese and English, and its bad inputs.

The runs are small synthetic run folders on the Belt dataset (made once per session): a run
manifest, a water_yield step that read one illustrative file (plant_available_water.tif, status
``illustrative`` in the Belt's sources.csv), a summary per prefecture with random numbers (seeded:
the tests read them back from the CSV, nothing is typed in), a check table, uncertainty ranges and
one map drawn by ``ecociv.report.maps``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecociv.region.dataset import packaged_dataset_path
from ecociv.report.html import MARKER, build_report, fmt
from tests.cli_helper import run_ecociv

PREFECTURES = (("650100", "乌鲁木齐市", "Urumqi"), ("650200", "克拉玛依市", "Karamay"),
               ("652300", "昌吉回族自治州", "Changji"))
COLUMNS = {"water_yield_1e8m3": "water yield volume (10⁸ m³/yr)",
           "precipitation_1e8m3": "precipitation volume (10⁸ m³/yr)",
           "carbon_mt": "carbon stock, four pools (Mt C)",
           "redline_km2": "area inside the ecological protection red line (km²)"}


def _make_run(store: Path, name: str, seed: int, *, with_map: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    folder = store / "runs" / f"20261203-000000-{name}-{seed:06x}"
    step = folder / "water_yield"
    step.mkdir(parents=True)
    belt = packaged_dataset_path()
    (step / "water_yield.tif").write_bytes(b"")
    (step / "manifest.json").write_text(json.dumps({
        "model": {"id": "water_yield"}, "step": "water_yield", "started": "2026-12-03T00:00:00+0000",
        "params": {"seasonality_z": 5},
        "inputs": {"precipitation": {"path": str(belt / "precipitation_annual.tif")},
                   "plant_available_water": {"path": str(belt / "plant_available_water.tif")}},
        "outputs": {"water_yield": {"type": "raster", "path": "water_yield.tif", "units": "mm/yr"}}}))
    maps = []
    if with_map:
        from affine import Affine

        from ecociv.grid.io import from_array
        from ecociv.grid.spec import GridSpec
        from ecociv.grid.write import RasterMeta, write_rasters
        from ecociv.region.dataset import load_dataset
        from ecociv.report.maps import render_map

        grid = load_dataset(check=False).grid
        coarse = GridSpec.from_crs(grid.crs, Affine(20_000, 0, grid.transform.c, 0, -20_000, grid.transform.f),
                                   (37, 65))
        raster = step / "coarse.tif"
        write_rasters([(from_array(rng.uniform(0, 300, (37, 65)), coarse, name="wy"), raster,
                        RasterMeta(units="mm/yr", long_name="wy", model_id="m", output_id="wy",
                                   dtype="float32"))], coarse)
        render_map(raster, step / "water_yield.png", title="Water yield", units="mm/yr")
        maps.append("water_yield.png")
    (step / "maps.json").write_text(json.dumps(maps))
    rows = []
    for code, zh, en in PREFECTURES:
        rows.append({"prefecture_adcode": code, "prefecture_zh": zh, "prefecture_en": en, "units": 3,
                     **{c: float(rng.uniform(10, 5000)) for c in COLUMNS}})
    table = pd.DataFrame(rows)
    total = {"prefecture_adcode": "total", "prefecture_zh": "合计", "prefecture_en": "Belt total",
             "units": 9, **{c: float(table[c].sum()) for c in COLUMNS}}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    (folder / "summary").mkdir()
    table.to_csv(folder / "summary" / "prefectures.csv", index=False, encoding="utf-8-sig")
    (folder / "summary" / "columns.json").write_text(json.dumps(COLUMNS, ensure_ascii=False))
    (folder / "check").mkdir()
    pd.DataFrame([{"id": "a", "quantity": "water yield", "place_kind": "region", "place": "Belt",
                   "period": "2019", "unit": "1e8 m3", "value": 120.0, "low": 100.0, "high": 140.0,
                   "model_value": float(total["water_yield_1e8m3"]), "verdict": "outside"},
                  {"id": "b", "quantity": "carbon", "place_kind": "region", "place": "Xinjiang",
                   "period": "2000", "unit": "1e8 t", "value": 85.7, "low": 60.0, "high": 111.0,
                   "model_value": None, "verdict": "not comparable"}]).to_csv(
        folder / "check" / "check.csv", index=False, encoding="utf-8-sig")
    (folder / "uncertainty").mkdir()
    # the columns `ecociv uncertainty` writes (ecociv.uncertainty.analysis.ranges)
    pd.DataFrame({"indicator": ["water_yield.watershed_results[total].wyield_vol"], "units": ["m**3"],
                  "p05": [float(rng.uniform(1, 9))], "p50": [10.0], "p95": [float(rng.uniform(11, 20))],
                  "mean": [10.0], "sd": [1.0], "n": [50], "nominal": [10.0]}).to_csv(
        folder / "uncertainty" / "ranges.csv", index=False)
    (folder / "manifest.json").write_text(json.dumps({
        "run_id": folder.name, "status": "completed", "started": "2026-12-03T00:00:00", "seconds": 1.5,
        "scenario": {"name": name, "description": f"synthetic run {name}", "dataset": "belt",
                     "years": [2035], "levers": {"water": {"irrigation_efficiency": 0.6}},
                     "models": [{"id": "water_yield", "params": {"seasonality_z": 5}}]},
        "steps": [{"name": "water_yield", "model": "water_yield",
                   "outputs": {"water_yield": "water_yield/water_yield.tif"},
                   "notes": ["seasonality factor Z calibrated"]}]}))
    return folder


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    store = tmp_path_factory.mktemp("report-store")
    return [_make_run(store, "baseline", 1, with_map=True), _make_run(store, "S2_water", 2)]


def _total(run: Path, column: str) -> float:
    table = pd.read_csv(run / "summary" / "prefectures.csv", dtype={"prefecture_adcode": str})
    return float(table.set_index("prefecture_adcode").loc["total", column])


def test_html_report_in_english_has_the_runs_numbers(tmp_path: Path, runs: list[Path]) -> None:
    files = build_report(runs, tmp_path / "report.html", lang="en")
    html = files.html.read_text(encoding="utf-8")
    assert f'content="{MARKER}"' in html
    assert "Executive summary" in html and "Appendix" in html
    for run in runs:
        assert fmt(_total(run, "water_yield_1e8m3")) in html
        assert fmt(_total(run, "carbon_mt")) in html
    # change of the second run against the first, in %
    change = 100 * (_total(runs[1], "carbon_mt") / _total(runs[0], "carbon_mt") - 1)
    assert f"{change:+.1f}" in html
    assert "Karamay" in html and "克拉玛依市" not in html.split("Appendix")[0]
    # self-contained: the map and charts are embedded, no link to a file
    assert html.count("data:image/png;base64,") >= 3
    assert not re.search(r'src="(?!data:)', html)
    # water yield read plant_available_water.tif, an illustrative layer: marked; carbon is not
    assert "plant_available_water.tif" in html
    assert re.search(r"water yield volume ⚠", html) and not re.search(r"carbon stock, four pools ⚠", html)
    # the lever, the check row outside its range, the uncertainty range
    assert "water.irrigation_efficiency" in html and "0.6" in html
    assert "0 of 1 comparable" in html
    assert fmt(pd.read_csv(runs[0] / "uncertainty" / "ranges.csv")["p95"][0]) in html
    # the data statuses of the Belt dataset
    assert "illustrative ⚠" in html and "sources.csv" not in html.split("Appendix")[0]


def test_html_report_in_chinese(tmp_path: Path, runs: list[Path]) -> None:
    html = build_report(runs[:1], tmp_path / "r.html", lang="zh").html.read_text(encoding="utf-8")
    assert "摘要" in html and "附录" in html and "克拉玛依市" in html and "产水量" in html
    assert fmt(_total(runs[0], "water_yield_1e8m3")) in html


def test_xlsx_has_the_tables_and_is_marked(tmp_path: Path, runs: list[Path]) -> None:
    files = build_report(runs, tmp_path / "report.html", lang="en")
    with zipfile.ZipFile(files.xlsx) as archive:
        assert MARKER in archive.read("docProps/core.xml").decode()
    sheets = pd.read_excel(files.xlsx, sheet_name=None)
    assert "1 baseline" in sheets and "2 check" in sheets and "1 ranges" in sheets
    total = sheets["1 baseline"].set_index("prefecture_adcode").loc["total", "carbon_mt"]
    assert total == pytest.approx(_total(runs[0], "carbon_mt"))


def test_an_earlier_report_is_replaced_a_foreign_file_is_not(tmp_path: Path, runs: list[Path],
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "report.html"
    build_report(runs[:1], out, lang="en")
    first = out.read_text(encoding="utf-8")
    build_report(runs[1:], out, lang="en")   # ecociv's own report: replaced
    assert out.read_text(encoding="utf-8") != first
    notes = tmp_path / "notes.html"
    notes.write_text("<p>my notes</p>", encoding="utf-8")
    code, _, err = run_ecociv(capsys, monkeypatch, "report", str(runs[0]), "--out", str(notes))
    assert code == 2 and err.count("\n") == 1 and "did not write" in err and str(notes) in err
    assert notes.read_text(encoding="utf-8") == "<p>my notes</p>"
    assert not (tmp_path / "notes.xlsx").exists()
    # a spreadsheet of the user's beside the report is not replaced either
    table = tmp_path / "mine.xlsx"
    pd.DataFrame({"a": [1]}).to_excel(table, index=False)
    before = table.read_bytes()
    code, _, err = run_ecociv(capsys, monkeypatch, "report", str(runs[0]), "--out", str(tmp_path / "mine.html"))
    assert code == 2 and "mine.xlsx" in err and table.read_bytes() == before
    assert not (tmp_path / "mine.html").exists()


def test_a_run_off_the_belt_without_summary_or_check(tmp_path: Path, runs: list[Path]) -> None:
    # e.g. the synthetic example: no dataset, so no table per prefecture and no reference check;
    # the report says so instead of failing, and does not call itself a report on the Belt
    run = tmp_path / "elsewhere"
    shutil.copytree(runs[1], run)
    shutil.rmtree(run / "summary")
    shutil.rmtree(run / "check")
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["scenario"].update(dataset=None, region="Test valley (synthetic)")
    (run / "manifest.json").write_text(json.dumps(manifest))
    html = build_report([run], tmp_path / "r.html", lang="en").html.read_text(encoding="utf-8")
    assert "<title>Model results: Test valley (synthetic)</title>" in html
    assert "No table per prefecture for this run" in html and "No check table for this run" in html
    assert "Tianshan" not in html


def _broken(tmp_path: Path, runs: list[Path], how: str) -> Path:
    run = tmp_path / f"run-{how}"
    shutil.copytree(runs[1], run)
    manifest = json.loads((run / "manifest.json").read_text())
    if how == "failed":
        manifest["status"] = "failed"
        manifest["steps"][0]["error"] = "boom"
    elif how == "missing-output":
        (run / "water_yield" / "water_yield.tif").unlink()
    elif how == "no-manifest":
        (run / "manifest.json").unlink()
        return run
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


@pytest.mark.parametrize(("how", "expected"), [
    ("failed", "did not complete (status 'failed'; failed step(s): water_yield)"),
    ("missing-output", "output 'water_yield' of step 'water_yield' is missing (water_yield/water_yield.tif)"),
    ("no-manifest", "manifest.json is missing"),
    ("absent", "no such run folder"),
])
def test_bad_runs_are_one_line_exit_2(tmp_path: Path, runs: list[Path], how: str, expected: str,
                                      capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "nowhere" if how == "absent" else _broken(tmp_path, runs, how)
    out = tmp_path / "report.html"
    code, _, err = run_ecociv(capsys, monkeypatch, "report", str(runs[0]), str(run), "--out", str(out))
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert expected in err and str(run) in err
    assert not out.exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["--lang", "fr"], "--lang 'fr': expected one of zh, en"),
    (["--out", "report.txt"], "expected an .html file name"),
])
def test_bad_options_are_one_line_exit_2(tmp_path: Path, runs: list[Path], args: list[str], expected: str,
                                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    options = args if "--out" in args else ["--out", "report.html", *args]
    code, _, err = run_ecociv(capsys, monkeypatch, "report", str(runs[0]), *options)
    assert code == 2 and expected in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def _pdf_tools() -> str | None:
    """Why the PDF tests cannot run here, or None."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as err:
        return f"WeasyPrint cannot be imported: {err}"
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian poppler-utils; .ci/run installs it)"
    from ecociv.report.charts import cjk_font

    if cjk_font() is None:
        return "no CJK font installed (Debian fonts-noto-cjk; .ci/run installs it)"
    return None


@pytest.mark.skipif(_pdf_tools() is not None, reason=str(_pdf_tools()))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_renders_with_pages_and_the_runs_numbers(tmp_path: Path, runs: list[Path], lang: str) -> None:
    files = build_report(runs, tmp_path / "report.html", lang=lang, pdf=True)
    assert files.pdf is not None and files.pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(files.pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4   # title, summary, a section per run, appendix
    text = subprocess.run(["pdftotext", str(files.pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    for run in runs:
        assert fmt(_total(run, "water_yield_1e8m3")) in text
    if lang == "zh":
        # the glyphs are real text (a CJK font embedded), not boxes: pdftotext gives them back
        assert "天山北坡经济带" in text and "摘要" in text and "克拉玛依市" in text
        fonts = subprocess.run(["pdffonts", str(files.pdf)], capture_output=True, text=True).stdout
        assert "CJK" in fonts or shutil.which("pdffonts") is None
    else:
        assert "Executive summary" in text and "Karamay" in text
    if lang == "en":  # an earlier PDF of ecociv is recognised as such and replaced
        assert build_report(runs[:1], tmp_path / "report.html", lang=lang, pdf=True).pdf == files.pdf


def test_maps_option_chooses_the_maps_and_refuses_a_pattern_matching_none(
        tmp_path: Path, runs: list[Path], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    every = build_report(runs, tmp_path / "all.html", lang="en").html.read_text(encoding="utf-8")
    chosen = build_report(runs, tmp_path / "chosen.html", lang="en",
                          maps=["water_yield:water_*"]).html.read_text(encoding="utf-8")
    # the one map the runs drew is shown with a matching pattern; charts are not maps
    assert every.count("water_yield: water_yield") == chosen.count("water_yield: water_yield") >= 1
    assert every.count("data:image/png;base64,") == chosen.count("data:image/png;base64,")
    code, _, err = run_ecociv(capsys, monkeypatch, "report", *map(str, runs), "--out",
                              str(tmp_path / "typo.html"), "--maps", "redlin*")
    assert code == 2 and err.count("\n") == 1
    assert "'redlin*'" in err and "water_yield:water_yield" in err
    assert not (tmp_path / "typo.html").exists()
    # a pattern that matches only the step keeps the map; one naming another map of it drops it
    by_step = build_report(runs, tmp_path / "step.html", lang="en", maps=["water_yield"])
    assert by_step.html.read_text(encoding="utf-8").count("water_yield: water_yield") >= 1
    from ecociv.report.content import gather, map_wanted

    assert not map_wanted(["water_yield:other"], "water_yield", "water_yield.png")
    assert gather(runs[0], maps=["water_yield:other"]).maps == []
    assert len(gather(runs[0]).maps) == 1
