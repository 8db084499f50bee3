"""Option texts and helpers shared by several subcommands."""

from __future__ import annotations

#: help of every ``--out`` that names an output folder (the rule lives in ecociv.io.atomic)
OUT_FOLDER_HELP = ("Output folder: new, empty, or an earlier ecociv output (its files are replaced "
                   "all at once; files ecociv did not write are kept, never deleted).")
