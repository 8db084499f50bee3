"""``ecociv report``: one self-contained HTML file (images embedded as base64) about one or more
runs, the same tables as an XLSX workbook and, on request, a PDF of the HTML (WeasyPrint).

The output files follow the ``--out`` rule: a file in the way is replaced only when ecociv wrote
it (the HTML and PDF carry the generator ``ecociv report``, the workbook has it as its creator),
and every file is written through a temporary file and renamed.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ecociv.errors import InputError, OutputError
from ecociv.report.content import HEADLINE, RunContent, check_map_patterns, gather
from ecociv.report.messages import COLUMNS_ZH, LANGUAGES, MESSAGES, STATUS_ZH, indicator_name, text

#: generator written into every report file: a file without it is never replaced
MARKER = "ecociv report"
#: check rows shown in the report (the not-comparable rows are counted, not listed)
SHOWN_VERDICTS = ("inside", "outside")
#: columns of an uncertainty ranges table shown (``ecociv uncertainty`` writes ranges.csv)
RANGE_COLUMNS = ("indicator", "units", "nominal", "p05", "p5", "p50", "p95", "n")


@dataclass(frozen=True)
class ReportFiles:
    """The files one report wrote and how long it took (s)."""

    html: Path
    xlsx: Path
    pdf: Path | None
    seconds: float


def fmt(value: Any) -> str:
    """A number as the report prints it: thousands separated above 1000, one decimal from 10,
    three decimals below (so the text of the PDF can be searched for a run's value)."""
    import numbers

    if value is None:
        return ""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != number:  # NaN
        return "–"
    magnitude = abs(number)
    if magnitude >= 1000:
        return f"{number:,.0f}"
    if magnitude >= 10:
        return f"{number:.1f}"
    if magnitude >= 0.01 or number == 0:
        return f"{number:.3f}"
    return f"{number:.2g}"


def indicator_label(column: str, run: RunContent, lang: str) -> tuple[str, str]:
    """(label, unit) of a summary column in ``lang``."""
    if lang == "zh" and column in COLUMNS_ZH:
        return COLUMNS_ZH[column]
    description = run.columns.get(column, column)
    if description.endswith(")") and " (" in description:
        label, unit = description.rsplit(" (", 1)
        return label, unit[:-1]
    return description, ""


def _image(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _written_by_ecociv(path: Path) -> bool:
    try:
        if path.suffix.lower() == ".xlsx":
            with zipfile.ZipFile(path) as archive:
                return MARKER in archive.read("docProps/core.xml").decode("utf-8", "replace")
        with open(path, "rb") as handle:
            head = handle.read(4096)
            handle.seek(max(0, path.stat().st_size - 1_000_000))
            tail = handle.read()
        if MARKER.encode() in head or MARKER.encode() in tail:
            return True
        return head.startswith(b"%PDF-") and _in_pdf_streams(tail)
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _in_pdf_streams(tail: bytes) -> bool:
    """Whether the document information (``/Creator (ecociv report)``) sits in one of the
    compressed object streams at the end of a PDF, where WeasyPrint writes it."""
    import re
    import zlib

    for match in re.finditer(rb"stream\r?\n", tail):
        end = tail.find(b"endstream", match.end())
        if end < 0 or end - match.end() > 200_000:
            continue
        try:
            if MARKER.encode() in zlib.decompress(tail[match.end():end]):
                return True
        except zlib.error:
            continue
    return False


def check_out(paths: Iterable[Path]) -> None:
    """Refuse, before anything is computed, output files ecociv did not write."""
    in_way = []
    for path in paths:
        if path.is_dir():
            raise OutputError(f"--out {path} is a folder; give a file name such as {path / 'report.html'}")
        if path.exists() and not _written_by_ecociv(path):
            in_way.append(str(path))
    if in_way:
        raise OutputError(f"{', '.join(in_way)} exist(s) and ecociv did not write them; ecociv does "
                          "not overwrite them: give another --out or move them away")


def _atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    folder = path.resolve().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"cannot create the folder of {path}: {err.strerror or err}") from err
    tmp = folder / f".{path.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _title(runs: list[RunContent], lang: str) -> str:
    """The Belt's title for runs on the Belt dataset, else the runs' region or scenario names."""
    if all(run.scenario.get("dataset") == "belt" for run in runs):
        return text("title", lang)
    regions = sorted({str(run.scenario.get("region") or run.scenario.get("name") or run.run_id) for run in runs})
    return text("title_other", lang, region="; ".join(regions))


def _run_name(run: RunContent) -> str:
    return str(run.scenario.get("name") or run.run_id)


def _headline(runs: list[RunContent], lang: str) -> tuple[list[dict[str, Any]], list[str], pd.DataFrame]:
    rows, findings = [], []
    changes: dict[str, dict[str, float]] = {}
    first = runs[0]
    for column in HEADLINE:
        values = [run.total[column] if run.total is not None and column in run.total.index else None
                  for run in runs]
        if all(v is None for v in values):
            continue
        label, unit = indicator_label(column, first, lang)
        marked = any(column in run.illustrative for run in runs)
        cells = [fmt(v) + (" ⚠" if column in run.illustrative else "") for v, run in zip(values, runs, strict=True)]
        row_changes = []
        base = values[0]
        for run, value in zip(runs[1:], values[1:], strict=True):
            if base in (None, 0) or value is None:
                row_changes.append("–")
                continue
            change = 100.0 * (float(value) - float(base)) / abs(float(base))
            changes.setdefault(label, {})[_run_name(run)] = change
            row_changes.append(f"{change:+.1f}")
        rows.append({"label": label + (" ⚠" if marked else ""), "unit": unit, "cells": cells,
                     "changes": row_changes})
        if len(runs) > 1 and label in changes:
            best = max(changes[label].items(), key=lambda item: abs(item[1]))
            findings.append(f"{label}: {best[0]} {best[1]:+.1f} %" if lang == "en" else
                            f"{label}：{best[0]} 变化最大（{best[1]:+.1f} %）")
    return rows, findings, pd.DataFrame(changes).T


#: achievements listed per run: the indicators changed most against the first run
ACHIEVEMENTS = 8
#: smallest change against the first run that counts as an achievement, %
MIN_CHANGE_PERCENT = 0.05


def _label(indicator: str, run: RunContent, lang: str) -> str:
    """The name of a Belt indicator: a summary column's own label, else the strategy name."""
    if indicator in run.columns or (lang == "zh" and indicator in COLUMNS_ZH):
        return indicator_label(indicator, run, lang)[0]
    return indicator_name(indicator, lang)


def _belt_values(run: RunContent) -> dict[str, tuple[float, str]]:
    if run.indicators is None:
        return {}
    return {str(r.indicator): (float(r.value), str(r.units)) for r in run.indicators.itertuples()}


def _strategy_summary(runs: list[RunContent], lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of the Belt strategy indicators not already in the headline table (values per run,
    change against the first run, %) and, per indicator, the run that moves it most."""
    values = [_belt_values(run) for run in runs]
    order: list[str] = []
    for found, run in zip(values, runs, strict=True):
        order += [k for k in found if k not in order and k not in HEADLINE and k not in run.columns]
    rows, moves = [], []
    for indicator in order:
        cells = [found.get(indicator) for found in values]
        units = next(c[1] for c in cells if c is not None)
        base = cells[0][0] if cells[0] is not None else None
        changes: list[tuple[RunContent, float] | None] = []
        for run, cell in zip(runs[1:], cells[1:], strict=True):
            if base in (None, 0) or cell is None:
                changes.append(None)
                continue
            changes.append((run, 100.0 * (cell[0] - base) / abs(base)))
        label = _label(indicator, runs[0], lang)
        rows.append({"label": label, "unit": units, "cells": [fmt(c[0]) if c else "–" for c in cells],
                     "changes": [f"{c[1]:+.1f}" if c else "–" for c in changes]})
        known = [c for c in changes if c is not None]
        if known:
            run, change = max(known, key=lambda item: abs(item[1]))
            if abs(change) >= MIN_CHANGE_PERCENT:
                moves.append(text("moves_item", lang, label=label, run=_run_name(run), change=change))
    return rows, moves


def _achievements(run: RunContent, baseline: RunContent, lang: str) -> list[str]:
    """The Belt indicators this run changes most against ``baseline`` (largest relative change
    first, at most :data:`ACHIEVEMENTS`), as sentences with both values and units."""
    base, here = _belt_values(baseline), _belt_values(run)
    changes = []
    for indicator, (value, units) in here.items():
        before = base.get(indicator)
        if before is None or before[0] == 0:
            continue
        change = 100.0 * (value - before[0]) / abs(before[0])
        if abs(change) >= MIN_CHANGE_PERCENT:
            changes.append((abs(change), indicator, before[0], value, units, change))
    changes.sort(key=lambda item: (-item[0], item[1]))
    return [text("achieves_item", lang, label=_label(indicator, run, lang)
                 + (" ⚠" if indicator in run.illustrative else ""),
                 before=fmt(before), after=fmt(value), units=units, change=change)
            for _, indicator, before, value, units, change in changes[:ACHIEVEMENTS]]


def _prefecture_rows(run: RunContent, lang: str) -> tuple[list[str], list[list[str]]]:
    if run.prefectures is None:
        return [], []
    name = "prefecture_zh" if lang == "zh" else "prefecture_en"
    columns = [c for c in HEADLINE if c in run.prefectures.columns]
    header = [text("prefecture", lang)] + [
        "{} ({})".format(*indicator_label(c, run, lang)) + (" ⚠" if c in run.illustrative else "")
        for c in columns]
    rows = []
    for _, row in run.prefectures.iterrows():
        label = text("belt_total", lang) if str(row["prefecture_adcode"]) == "total" else str(row[name])
        rows.append([label] + [fmt(row[c]) for c in columns])
    return header, rows


def _check_rows(run: RunContent, lang: str) -> tuple[str, list[dict[str, str]]]:
    if run.check is None:
        return "", []
    verdicts = run.check["verdict"].astype(str)
    inside, outside = int((verdicts == "inside").sum()), int((verdicts == "outside").sum())
    summary = text("check_summary", lang, inside=inside, comparable=inside + outside, outside=outside,
                   other=len(verdicts) - inside - outside)
    rows = []
    for _, row in run.check[verdicts.isin(SHOWN_VERDICTS)].iterrows():
        published = f"{fmt(row['value'])} ({fmt(row['low'])}–{fmt(row['high'])})"
        rows.append({"quantity": str(row["quantity"]), "place": f"{row['place']} {row.get('period', '')}",
                     "unit": str(row["unit"]), "model": fmt(row["model_value"]), "published": published,
                     "verdict": text(str(row["verdict"]), lang), "css": str(row["verdict"])})
    return summary, rows


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            out += _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
        return out
    return [(prefix, str(value))]


def _run_view(run: RunContent, lang: str, index: int, workdir: Path, xlsx: Path,
              baseline: RunContent | None = None) -> dict[str, Any]:
    from ecociv.report.charts import prefecture_bars

    scenario = run.scenario
    meta = [(text("run", lang), run.run_id), (text("scenario", lang), str(scenario.get("name", ""))),
            (text("description", lang), str(scenario.get("description", ""))),
            (text("years", lang), ", ".join(map(str, scenario.get("years") or []))),
            (text("dataset", lang), str(scenario.get("dataset", ""))),
            (text("started", lang), str(run.manifest.get("started", ""))),
            (text("seconds", lang), fmt(run.manifest.get("seconds"))),
            (text("steps", lang), ", ".join(str(s.get("name")) for s in run.manifest.get("steps", [])))]
    header, rows = _prefecture_rows(run, lang)
    charts = []
    if run.prefectures is not None:
        from ecociv.report.charts import cjk_font

        chart_lang = lang if lang != "zh" or cjk_font() else "en"  # no CJK font: English labels
        name = "prefecture_zh" if chart_lang == "zh" else "prefecture_en"
        chosen = [(c, "{} ({})".format(*indicator_label(c, run, chart_lang)))
                  for c in ("water_yield_1e8m3", "water_conservation_1e8m3", "carbon_mt",
                            "soil_conservation_mt", "sand_fixation_mt", "redline_km2")]
        png = prefecture_bars(run.prefectures, chosen, workdir / f"bars-{index}.png", name_column=name,
                              title=f"{_run_name(run)}: {text('prefecture_table', chart_lang)}")
        if png is not None:
            charts.append((text("prefecture_table", lang), _image(png)))
    check_png = run.folder / "check" / "check.png"
    if check_png.is_file():
        charts.append((text("check", lang), _image(check_png)))
    check_summary, check_rows = _check_rows(run, lang)
    levers = _flatten("", scenario.get("levers") or {})
    levers = [(k, v) for k, v in levers if v not in ("{}", "")]
    parameters = []
    for model in scenario.get("models") or []:
        step = str(model.get("name") or model.get("id"))
        parameters += [(step, key, str(value)) for key, value in (model.get("params") or {}).items()]
    notes = [(str(s.get("name")), str(note)) for s in run.manifest.get("steps", []) for note in s.get("notes") or []]
    ranges_header, ranges_rows = [], []
    if run.ranges is not None:
        shown = [c for c in RANGE_COLUMNS if c in run.ranges.columns] or list(run.ranges.columns)
        ranges_header = [str(c) for c in shown]
        ranges_rows = [[fmt(v) for v in row] for row in run.ranges[shown].head(80).itertuples(index=False)]
    charts += [(caption, _image(png)) for caption, png in run.charts]
    sets = text("levers_count", lang, n=len(levers),
                items="; ".join(f"{k} = {v}" for k, v in levers[:6]) + ("; …" if len(levers) > 6 else "")
                ) if levers else text("levers_none", lang)
    achieves_title, achievements, achieves_none = "", [], ""
    if baseline is not None and baseline is not run:
        achieves_title = text("what_it_achieves", lang, baseline=_run_name(baseline))
        achievements = _achievements(run, baseline, lang)
        if not achievements:
            achieves_none = text("achieves_none", lang, baseline=_run_name(baseline))
    return {"name": _run_name(run), "id": run.run_id, "meta": meta, "prefecture_header": header,
            "sets": sets, "achieves_title": achieves_title, "achievements": achievements,
            "achieves_none": achieves_none,
            "prefecture_rows": rows, "summary_note": text("summary_missing", lang, reason=run.summary_note or "")
            if run.summary_note else "",
            "xlsx_note": text("xlsx_note", lang, path=xlsx.name), "charts": charts,
            "maps": [(caption, _image(png)) for caption, png in run.maps],
            "check_summary": check_summary, "check_rows": check_rows,
            "check_note": text("check_missing", lang, reason=run.check_note or "–"),
            "ranges_header": ranges_header, "ranges_rows": ranges_rows, "levers": levers,
            "parameters": parameters, "notes": notes}


def _sources_view(runs: list[RunContent], lang: str) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    sources = next((run.sources for run in runs if run.sources is not None), None)
    if sources is None:
        return [], []
    counts = sources["status"].value_counts()
    status_counts = [(STATUS_ZH.get(s, s) if lang == "zh" else s, int(n)) for s, n in counts.items()]
    rows = [{"file": r["file"], "item": r["item"], "illustrative": r["status"] == "illustrative",
             "status": (STATUS_ZH.get(r["status"], r["status"]) if lang == "zh" else r["status"])
             + (" ⚠" if r["status"] == "illustrative" else ""),
             "source": str(r.get("source", ""))[:160]} for _, r in sources.iterrows()]
    return status_counts, rows


def _workbook(runs: list[RunContent], lang: str, path: Path) -> None:
    """The report's tables as sheets of one workbook whose creator is :data:`MARKER`."""
    sheets: dict[str, pd.DataFrame] = {}
    for index, run in enumerate(runs, start=1):
        if run.prefectures is not None:
            sheets[f"{index} {_run_name(run)}"[:31]] = run.prefectures
        if run.check is not None:
            sheets[f"{index} check"] = run.check
        if run.ranges is not None:
            sheets[f"{index} ranges"] = run.ranges
        if run.indicators is not None:
            sheets[f"{index} indicators"] = run.indicators
    if not sheets:
        sheets["runs"] = pd.DataFrame({"run": [run.run_id for run in runs]})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes = "A2"
        writer.book.properties.creator = MARKER
        writer.book.properties.title = text("title", lang)


def write_pdf(html: str, path: Path) -> None:
    """Render the HTML to PDF with WeasyPrint (its fonts through fontconfig: Chinese text needs a
    CJK font such as Debian's fonts-noto-cjk)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as err:
        raise OutputError(f"--pdf needs WeasyPrint and its libraries (pango): {err}") from err
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=html).write_pdf(path)


def build_report(run_folders: list[Path], out: Path, *, lang: str = "en", pdf: bool = False,
                 uncertainty: list[Path] | None = None, maps: Sequence[str] = ()) -> ReportFiles:
    """Write the report of ``run_folders`` to ``out`` (HTML), ``out`` with ``.xlsx`` and, with
    ``pdf``, ``.pdf``.

    ``maps``: shell-style patterns of the maps to show, matched against ``STEP:MAP``, the step or
    the map name (:func:`ecociv.report.content.map_wanted`); none shows every map of every run.

    Raises
    ------
    InputError
        No run, an unknown language, a run that is missing, failed or incomplete, or a ``maps``
        pattern that matches no map.
    OutputError
        An output file in the way that ecociv did not write.
    """
    import tempfile

    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from ecociv import __version__

    started = time.perf_counter()
    if lang not in LANGUAGES:
        raise InputError(f"--lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
    if not run_folders:
        raise InputError("give at least one run folder (<store>/runs/<run-id>)")
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--out {out}: expected an .html file name (the PDF and XLSX are written beside it)")
    xlsx, pdf_path = out.with_suffix(".xlsx"), out.with_suffix(".pdf")
    check_out([out, xlsx, *([pdf_path] if pdf else [])])
    runs = [gather(folder, uncertainty=uncertainty, maps=maps) for folder in run_folders]
    if maps:
        check_map_patterns(runs, maps)
    with tempfile.TemporaryDirectory(prefix="ecociv-report-") as tmp:
        workdir = Path(tmp)
        from ecociv.report.content import localise_maps

        for index, run in enumerate(runs, start=1):
            localise_maps(run, lang, workdir / f"maps-{index}")
        headline, findings, changes = _headline(runs, lang)
        strategy_rows, strategy_moves = _strategy_summary(runs, lang)
        change_chart = None
        if len(runs) > 1 and not changes.empty:
            from ecociv.report.charts import change_chart as draw_changes

            change_chart = _image(draw_changes(changes, workdir / "changes.png", title=text("summary", lang),
                                               xlabel="%"))
        illustrative_lines = []
        for run in runs:
            for column, files in run.illustrative.items():
                if column in HEADLINE:
                    label = indicator_label(column, run, lang)[0]
                    illustrative_lines.append(f"{_run_name(run)} – {label}: " +
                                              text("illustrative_inputs", lang, items=", ".join(files)))
        status_counts, sources = _sources_view(runs, lang)
        environment = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                                  autoescape=select_autoescape(["html", "j2"]))
        html = environment.get_template("report.html.j2").render(
            lang=lang, marker=MARKER, t={key: text(key, lang) if "{" not in MESSAGES[key][lang] else ""
                                         for key in MESSAGES},
            title=_title(runs, lang),
            subtitle=text("subtitle", lang, n=len(runs), version=__version__,
                          date=dt.date.today().isoformat()),
            generated_by=text("generated_by", lang, version=__version__),
            runs=[_run_view(run, lang, i, workdir, xlsx, baseline=runs[0])
                  for i, run in enumerate(runs, start=1)],
            headline=headline, findings=findings, change_chart=change_chart,
            strategy_rows=strategy_rows, strategy_moves=strategy_moves,
            strategy_intro=text("strategy_intro", lang, baseline=_run_name(runs[0])),
            illustrative_lines=sorted(set(illustrative_lines)), status_counts=status_counts,
            sources=sources)
    _atomic(out, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    _atomic(xlsx, lambda tmp: _workbook(runs, lang, tmp))
    if pdf:
        _atomic(pdf_path, lambda tmp: write_pdf(html, tmp))
    return ReportFiles(html=out, xlsx=xlsx, pdf=pdf_path if pdf else None,
                       seconds=time.perf_counter() - started)
