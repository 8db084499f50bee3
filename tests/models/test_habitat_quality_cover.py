"""`habitat_quality` with vegetation-cover levels: rows of the sensitivity table that refine a
class by cover (grassland split into high > 50 %, medium 20–50 % and low 5–20 % cover, as the
land-use classification of the Chinese Academy of Sciences does), chosen per cell from a
vegetation-cover raster; worked by hand with the equations of test_habitat_quality.py
(Sharp et al. 2020, InVEST User's Guide, eqs. hq.1, hq.3, hq.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ecociv.errors import InputError
from ecociv.execute import run_in_memory
from ecociv.grid.io import from_array
from ecociv.models.habitat_quality import kernels
from ecociv.models.habitat_quality.model import MODEL, run
from tests.models.test_habitat_quality import grid, raster, read

NAN = np.nan

# 1 x 5 cells of 100 m: grassland (3) in columns 0-3, built-up (9, the threat) in column 4.
# Cover 0.6, 0.3, 0.1, nodata -> high (31), medium (32), low (33), grassland's own row (3).
COVER = np.array([[0.6, 0.3, 0.1, NAN, 0.0]])
CODES = np.array([[3, 3, 3, 3, 9]], dtype=float)
TABLE = pd.DataFrame({
    "lucode": [3, 9, 31, 32, 33],
    "name": ["grassland", "built-up", "high-cover grassland", "medium-cover grassland",
             "low-cover grassland"],
    "habitat": [0.8, 0.0, 0.9, 0.7, 0.5],
    "built": [0.5, 0.0, 0.4, 0.6, 0.8],
    "cover_level_of": [None, None, 3, 3, 3],
    "cover_min": [None, None, 0.5, 0.2, 0.0],
})


def inputs(**extra: Any) -> dict[str, Any]:
    g = grid(1, 5)
    values: dict[str, Any] = {
        "land_use": from_array(CODES, g, name="land_use", units=None),
        "threats": raster((CODES == 9).astype(float)[None], g, "threats"),
        "threat_table": pd.DataFrame({"threat": ["built"], "max_dist": [500.0], "weight": [1.0],
                                      "decay": ["linear"]}),
        "sensitivity_table": TABLE,
        "vegetation_cover": from_array(COVER, g, name="vegetation_cover", units=""),
        "half_saturation_constant": 0.5,
    }
    return {**values, **extra}


def test_cover_levels_by_hand(tmp_path: Path) -> None:
    # Linear decay from the built-up cell, d_max 500 m: i = 1 - d/500 = 0.2, 0.4, 0.6, 0.8 in
    # columns 0-3. D = i S (one threat, weight 1):
    #   col 0 high   S 0.4 -> D 0.08, H 0.9: Q = 0.9 (1 - 0.0018102/(0.0018102 + 0.1767767)) = 0.890877
    #   col 1 medium S 0.6 -> D 0.24, H 0.7: Q = 0.7 (1 - 0.0282181/(0.0282181 + 0.1767767)) = 0.603643
    #   col 2 low    S 0.8 -> D 0.48, H 0.5: Q = 0.5 (1 - 0.1596258/(0.1596258 + 0.1767767)) = 0.262746
    #   col 3 own    S 0.5 -> D 0.40, H 0.8: Q = 0.8 (1 - 0.1011929/(0.1011929 + 0.1767767)) = 0.508766
    out = tmp_path / "out"
    run_in_memory(MODEL, inputs(), out)
    np.testing.assert_allclose(read(out / "degradation.tif")[0, :4], [0.08, 0.24, 0.48, 0.40],
                               rtol=1e-6)
    np.testing.assert_allclose(read(out / "quality.tif")[0, :4],
                               [0.890877, 0.603643, 0.262746, 0.508766], rtol=1e-5)
    classes = pd.read_csv(out / "class_summary.csv").set_index("lucode")
    assert classes.loc[[3, 31, 32, 33], "cells"].tolist() == [1, 1, 1, 1]
    assert classes.loc[33, "quality_mean"] == pytest.approx(0.262746, rel=1e-5)


def test_without_cover_the_class_row_applies_as_in_invest() -> None:
    # no vegetation_cover: every grassland cell uses row 3 (S 0.5, H 0.8), the extra rows are
    # inert: D = 0.5 i = 0.1, 0.2, 0.3, 0.4
    plain = {k: v for k, v in inputs().items() if k != "vegetation_cover"}
    quality = run(plain)["degradation"].values
    np.testing.assert_allclose(quality[0, :4], [0.1, 0.2, 0.3, 0.4], rtol=1e-9)
    # the same table without the level columns gives the same result
    table = TABLE.drop(columns=["cover_level_of", "cover_min"]).iloc[:2]
    again = run({**plain, "sensitivity_table": table})["degradation"].values
    np.testing.assert_allclose(again, quality)


def test_cover_on_a_level_boundary_takes_the_higher_level() -> None:
    codes = kernels.cover_level_codes(np.array([3.0, 3.0, 3.0, 3.0, 2.0, NAN]),
                                      np.array([0.5, 0.2, 0.19999, 0.0, 0.9, 0.9]),
                                      [3, 3, 3], [0.5, 0.2, 0.0], [31, 32, 33])
    np.testing.assert_array_equal(codes, [31, 32, 33, 33, 2, NAN])
    # levels that do not start at 0: cover below the lowest keeps the class's own code
    codes = kernels.cover_level_codes(np.array([3.0, 3.0]), np.array([0.04, 0.06]), [3], [0.05],
                                      [33])
    np.testing.assert_array_equal(codes, [3, 33])


def _table(**changes: Any) -> pd.DataFrame:
    table = TABLE.copy()
    for column, (row, value) in changes.items():
        table.loc[row, column] = value
    return table


@pytest.mark.parametrize(("table", "message"), [
    (_table(cover_min=(2, None)), r"line 4, column 'cover_min'.*needs both cover_level_of"),
    (_table(cover_level_of=(2, 7)), r"line 4, column 'cover_level_of'.*7 is not the lucode of a "
                                    r"row without cover_level_of"),
    (_table(cover_level_of=(2, 31)), r"31 is not the lucode of a row without cover_level_of"),
    (_table(cover_min=(3, 0.5)), r"two cover levels of lucode 3 start at cover 0.5 \(lines 4 and 5\)"),
    (TABLE.drop(columns="cover_min"), r"'cover_min' and column 'cover_level_of' go together; "
                                      r"'cover_min' is missing"),
])
def test_bad_cover_levels_are_named(table: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        run(inputs(sensitivity_table=table))
    assert "sensitivity_table" in str(err.value)


def test_cover_without_levels_is_an_error() -> None:
    with pytest.raises(InputError, match=r"input 'vegetation_cover'.*no row of the sensitivity "
                                         r"table is a cover level"):
        run(inputs(sensitivity_table=TABLE.drop(columns=["cover_level_of", "cover_min"])))


def test_cover_outside_0_1_is_refused(tmp_path: Path) -> None:
    cover = COVER.copy()
    cover[0, 1] = 30.0  # a percentage instead of a fraction
    with pytest.raises(InputError, match=r"input 'vegetation_cover'.*\(row 0, col 1\).*above the "
                                         r"allowed maximum 1"):
        run_in_memory(MODEL, inputs(vegetation_cover=from_array(cover, grid(1, 5), name="c",
                                                                units="")), tmp_path / "out")
