"""The ``model_output`` column of a reference row: ``<model>.<output>[filters]:<statistic>``.

``<model>`` is a model id (or the name of a step of the run), ``<output>`` one of its outputs,
``[column=value,...]`` an optional row filter for table outputs, and ``<statistic>``:

- raster outputs: ``sum`` (Σ value × covered cell area over the place), ``mean`` (area-weighted
  mean), ``share`` (percent of the place's area where the output is nonzero), ``point`` (value in
  the cell at the row's lon/lat);
- table outputs: ``<column>_<aggregate>`` with aggregate ``mean``, ``min``, ``max``, ``sum`` or
  ``annual`` (per-year totals, averaged over the years); ``<column>`` may leave out the unit
  suffix of the table's column name (``area_mean`` for the column ``area_km2``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RASTER_STATISTICS = ("sum", "mean", "share", "point")
TABLE_AGGREGATES = ("mean", "min", "max", "sum", "annual")

_PATTERN = re.compile(r"^\s*([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)\s*(?:\[([^\]]*)\])?\s*:\s*(\w+)\s*$")


@dataclass(frozen=True)
class OutputRef:
    """A parsed ``model_output``."""

    step: str
    output: str
    statistic: str
    filters: tuple[tuple[str, str], ...] = ()

    @property
    def table_column(self) -> str:
        """For a table statistic ``<column>_<aggregate>``: the column part."""
        return self.statistic.rsplit("_", 1)[0]

    @property
    def table_aggregate(self) -> str:
        """For a table statistic ``<column>_<aggregate>``: the aggregate."""
        return self.statistic.rsplit("_", 1)[-1]

    def __str__(self) -> str:
        where = f"[{','.join(f'{k}={v}' for k, v in self.filters)}]" if self.filters else ""
        return f"{self.step}.{self.output}{where}:{self.statistic}"


def parse_output(text: str) -> OutputRef:
    """Parse ``<model>.<output>[col=value,...]:<statistic>``.

    Raises
    ------
    ValueError
        The text does not have that form (the message says what was expected).
    """
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(f"model_output {text!r} is not '<model>.<output>:<statistic>' (e.g. "
                         "'water_yield.water_yield:sum' or 'water_allocation.lakes:area_km2_mean')")
    step, output, where, statistic = match.groups()
    filters: list[tuple[str, str]] = []
    for part in (where or "").split(","):
        if not part.strip():
            continue
        key, equals, value = part.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"model_output {text!r}: filter {part.strip()!r} is not 'column=value'")
        filters.append((key.strip(), value.strip()))
    return OutputRef(step=step, output=output, statistic=statistic, filters=tuple(filters))


def match_column(columns: list[str], stem: str) -> str | None:
    """The column called ``stem``, else the one column named ``stem_<unit suffix>``."""
    if stem in columns:
        return stem
    found = [c for c in columns if c.startswith(stem + "_")]
    return found[0] if len(found) == 1 else None
