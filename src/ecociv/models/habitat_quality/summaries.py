"""Habitat quality: the zone, threat and land-use class tables, from per-(zone, class) sums of
each block computed in the same pass as the rasters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ecociv.grid.spec import GridSpec
from ecociv.models.habitat_quality.tables import Threat

M2_PER_HA = 1e4


def block_sums(grid: GridSpec, shape: tuple[int, int], zones: np.ndarray, *layers: np.ndarray,
                block_info: dict[Any, Any] | None = None) -> np.ndarray:
    """Per-(zone, class) sums of one block (see :class:`Summaries`). ``layers`` are those of
    :func:`kernels.degradation_and_quality`: NaN only where the class is 0, whose buckets the
    summaries ignore, so no mask is needed."""
    assert block_info is not None
    (row0, row1), (col0, col1) = block_info[0]["array-location"]
    area = np.broadcast_to(grid.cell_area_m2(row0, row1, col0, col1), zones.shape).ravel()
    n = len(layers) - 3
    key = (zones.astype(np.intp) * shape[1] + layers[n + 2].astype(np.intp)).ravel()
    length = shape[0] * shape[1]
    out = np.empty((n + 4, length))
    out[0] = np.bincount(key, minlength=length)
    out[1] = np.bincount(key, weights=area, minlength=length)
    for row, layer in enumerate((layers[n + 1], layers[n], *layers[:n]), start=2):
        out[row] = np.bincount(key, weights=layer.ravel() * area, minlength=length)
    return out[None, None]


def _ratio(numerator: Any, denominator: Any) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


@dataclass(frozen=True)
class Summaries:
    """Tables from per-(zone, class) sums. Rows: cells, area (m²), quality × area, degradation
    × area, then degradation by each threat × area; columns zone-major ``zone * (classes + 1) +
    class``, zone 0 = outside every zone, class 0 = nodata or no class (its sums are not used
    but for the cell count)."""

    names: list[str]
    threats: list[Threat]
    table: pd.DataFrame

    def _cube(self, sums: np.ndarray) -> np.ndarray:
        return sums.reshape(sums.shape[0], len(self.names) + 1, len(self.table) + 1)

    def zones(self, sums: np.ndarray) -> pd.DataFrame:
        cube = self._cube(sums)[:, 1:, :]  # zones 1..n
        valid = cube[:, :, 1:]
        habitat = self.table["habitat"].to_numpy() > 0
        area, habitat_area = valid[1].sum(1), valid[1][:, habitat].sum(1)
        return pd.DataFrame({
            "zone": self.names,
            "area_ha": area / M2_PER_HA,
            "habitat_area_ha": habitat_area / M2_PER_HA,
            "quality_mean": _ratio(valid[2].sum(1), area),
            "quality_mean_habitat": _ratio(valid[2][:, habitat].sum(1), habitat_area),
            "degradation_mean": _ratio(valid[3].sum(1), area),
            "degradation_mean_habitat": _ratio(valid[3][:, habitat].sum(1), habitat_area),
            "cells": cube[0].sum(1).astype(np.int64),
            "valid_cells": valid[0].sum(1).astype(np.int64),
        })

    def by_threat(self, sums: np.ndarray) -> pd.DataFrame:
        per_zone = self._cube(sums)[:, 1:, 1:].sum(2)
        return pd.concat([pd.DataFrame({
            "zone": self.names,
            "threat": item.name,
            "weight_normalized": item.weight,
            "degradation_mean": _ratio(per_zone[4 + r], per_zone[1]),
            "degradation_share": _ratio(per_zone[4 + r], per_zone[3]),
        }) for r, item in enumerate(self.threats)], ignore_index=True)

    def classes(self, sums: np.ndarray) -> pd.DataFrame:
        per_class = self._cube(sums)[:, :, 1:].sum(1)  # over the whole grid
        frame = pd.DataFrame({"lucode": self.table["lucode"].astype(np.int64).to_numpy()})
        if "name" in self.table.columns:
            frame["name"] = self.table["name"].astype(str).to_numpy()
        frame["habitat"] = self.table["habitat"].to_numpy()
        frame["area_ha"] = per_class[1] / M2_PER_HA
        frame["cells"] = per_class[0].astype(np.int64)
        frame["quality_mean"] = _ratio(per_class[2], per_class[1])
        frame["degradation_mean"] = _ratio(per_class[3], per_class[1])
        return frame
