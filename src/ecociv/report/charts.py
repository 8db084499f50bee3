"""Charts of the report (matplotlib, PNG): Belt indicators per prefecture, and the change of each
headline indicator between runs. Labels in Chinese use a CJK font when one is installed
(Debian's fonts-noto-cjk; :func:`cjk_font` says which)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd

#: font families tried for Chinese text, in this order
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                "Droid Sans Fallback", "AR PL UMing CN")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    found = next((family for family in CJK_FAMILIES if family in installed), None)
    if found is None:  # fonts installed after matplotlib built its cache
        for path in font_manager.findSystemFonts():
            if "cjk" in path.lower() or "wqy" in path.lower():
                font_manager.fontManager.addfont(path)
        installed = {entry.name for entry in font_manager.fontManager.ttflist}
        found = next((family for family in CJK_FAMILIES if family in installed), None)
    return found


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    family = cjk_font()
    plt.rcParams["font.family"] = ["DejaVu Sans", family] if family else ["DejaVu Sans"]
    return plt


def prefecture_bars(table: pd.DataFrame, columns: list[tuple[str, str]], png: Path, *,
                    name_column: str, title: str) -> Path | None:
    """Small multiples: one horizontal bar chart per ``(column, label)`` over the prefectures
    (the Belt total row left out)."""
    present = [(c, label) for c, label in columns if c in table.columns]
    if not present:
        return None
    rows = table[table["prefecture_adcode"].astype(str) != "total"]
    plt = _pyplot()
    n = len(present)
    columns_n = min(3, n)
    rows_n = -(-n // columns_n)
    figure, axes_grid = plt.subplots(rows_n, columns_n, figsize=(4.2 * columns_n, 0.22 * len(rows) * rows_n + 1.2),
                                     squeeze=False, sharey=True)
    names = rows[name_column].astype(str).tolist()
    for index, axes in enumerate(axes_grid.ravel()):
        if index >= n:
            axes.set_visible(False)
            continue
        column, label = present[index]
        axes.barh(names, rows[column].astype(float), color="#3182bd")
        axes.set_title(label, fontsize=8)
        axes.tick_params(labelsize=7)
        axes.invert_yaxis() if index % columns_n == 0 else None
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(png, dpi=100)
    plt.close(figure)
    return png


def change_chart(changes: pd.DataFrame, png: Path, *, title: str, xlabel: str) -> Path:
    """Horizontal bars of the relative change (%) of each indicator (rows) for each run
    (columns) against the first run."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 0.35 * len(changes) * max(1, len(changes.columns)) + 1.2))
    changes.plot.barh(ax=axes)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlabel(xlabel)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(png, dpi=100)
    plt.close(figure)
    return png
