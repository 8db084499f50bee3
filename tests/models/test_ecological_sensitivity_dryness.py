"""``ecological_sensitivity``: the dryness index (干燥度) of desertification by the modified
Selyaninov formula I = 0.16 × ΣT(≥ 10 °C) / ΣP(T ≥ 10 °C), worked by hand from monthly means.

Formula as stated by Wei W., Guo Z. et al. (2021), Spatiotemporal changes of land
desertification sensitivity in northwest China from 2000 to 2017, J. Geogr. Sci., table of
sensitivity formulas, and 胡云锋等 (2018), ChinaXiv:201811.00060 (修正的谢良尼诺夫公式); factor
limits 1.5 / 16 and D = (I·W·K·C)^(1/4) as in the 2017 red-line guideline."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from affine import Affine

from ecociv.errors import InputError
from ecociv.grid.io import from_array
from ecociv.grid.spec import CHINA_ALBERS, GridSpec
from ecociv.models.ecological_sensitivity import kernels
from ecociv.models.ecological_sensitivity.model import run

GRID = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (1, 3))

#: a Belt-like piedmont year: warm months (mean ≥ 10 °C) May-September
T_PIEDMONT = [-10, -5, 0, 8, 12, 20, 25, 24, 18, 9, 0, -8]
#: a Gobi-like year: the same warm months, almost no rain in them
P_GOBI = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1]
P_PIEDMONT = [5, 5, 5, 10, 20, 30, 40, 30, 20, 10, 5, 5]
T_ALPINE = [-20, -18, -12, -5, 0, 4, 8, 7, 2, -5, -12, -18]


def test_selyaninov_by_hand() -> None:
    # warm months May-Sep: ΣT = 12·31 + 20·30 + 25·31 + 24·31 + 18·30 = 3031 °C·d
    # piedmont: ΣP = 20 + 30 + 40 + 30 + 20 = 140 mm -> I = 0.16 · 3031 / 140 = 3.464
    # Gobi: ΣP = 2.5 mm -> I = 0.16 · 3031 / 2.5 = 193.98; alpine: no warm month -> 0
    t = np.array([T_PIEDMONT, T_PIEDMONT, T_ALPINE], dtype=float)
    p = np.array([P_PIEDMONT, P_GOBI, P_PIEDMONT], dtype=float)
    np.testing.assert_allclose(kernels.selyaninov_dryness(t, p), [3.464, 193.984, 0.0],
                               rtol=1e-6)
    # no rain in the warm months -> +inf (graded as the driest class); NaN month -> NaN
    dry = np.array(P_PIEDMONT, dtype=float)
    dry[4:9] = 0.0
    assert np.isinf(kernels.selyaninov_dryness(np.array(T_PIEDMONT, float), dry))
    t_nan = np.array(T_PIEDMONT, dtype=float)
    t_nan[0] = np.nan
    assert np.isnan(kernels.selyaninov_dryness(t_nan, np.array(P_PIEDMONT, float)))
    assert kernels.grade(np.inf, [1.5, 16.0]) == 5.0
    with pytest.raises(ValueError, match="12 months"):
        kernels.selyaninov_dryness(np.zeros(11), np.zeros(11))


def _monthly(rows: list[list[float]], name: str, units: str) -> Any:
    data = np.asarray(rows, dtype=np.float64).T.reshape(12, 1, 3)
    return from_array(data, GRID, name=name, units=units)


def _inputs(**extra: Any) -> dict[str, Any]:
    def r(values: list[float], name: str) -> Any:
        return from_array(np.asarray([values], dtype=np.float64), GRID, name=name)

    return {
        "rainfall_erosivity": r([100, 100, 100], "rainfall_erosivity"),
        "soil_texture": r([1, 1, 13], "soil_texture"),          # sand, sand, gravel
        "terrain_relief": r([10, 10, 10], "terrain_relief"),
        "vegetation_cover": r([0.05, 0.05, 0.05], "vegetation_cover"),
        "windy_days": r([18, 18, 18], "windy_days"),
        # annual et0 / precipitation would say 1200 / 150 = 8 (score 3) in every cell
        "et0": r([1200, 1200, 1200], "et0"),
        "precipitation": r([150, 150, 150], "precipitation"),
        **extra,
    }


def test_model_takes_the_monthly_dryness() -> None:
    t = _monthly([T_PIEDMONT, T_PIEDMONT, T_PIEDMONT], "temperature_monthly", "degC")
    p = _monthly([P_PIEDMONT, P_GOBI, P_GOBI], "precipitation_monthly", "mm/month")
    out = run(_inputs(temperature_monthly=t, precipitation_monthly=p))
    # scores (dryness, windy days 18 -> 3, texture, cover 0.05 -> 5):
    # A piedmont I = 3.464 -> 3, sand 5: (3·3·5·5)^(1/4) = 225^0.25 = 3.872983 -> class 2
    # B Gobi I = 193.98 -> 5, sand 5: (5·3·5·5)^(1/4) = 375^0.25 = 4.400559 -> class 3
    # C Gobi I -> 5, gravel (砾质) 3: (5·3·3·5)^(1/4) = 3.872983 -> class 2
    np.testing.assert_allclose(out["desertification_sensitivity"].values,
                               [[3.872983, 4.400559, 3.872983]], rtol=1e-6)
    assert out["desertification_sensitivity_class"].values.tolist() == [[2, 3, 2]]
    # without the monthly inputs the annual ratio (8 -> 3) is used in every cell
    fallback = run(_inputs())
    np.testing.assert_allclose(fallback["desertification_sensitivity"].values,
                               [[3.872983, 3.872983, 225 ** 0.25 * (3 / 5) ** 0.25]], rtol=1e-6)


def test_given_dryness_index_wins_and_half_a_pair_is_an_error() -> None:
    t = _monthly([T_PIEDMONT] * 3, "temperature_monthly", "degC")
    p = _monthly([P_GOBI] * 3, "precipitation_monthly", "mm/month")
    given = from_array(np.asarray([[1.0, 1.0, 1.0]]), GRID, name="dryness_index")
    out = run(_inputs(temperature_monthly=t, precipitation_monthly=p, dryness_index=given))
    # dryness 1.0 -> 1: sand (1·3·5·5)^(1/4) = 75^0.25 = 2.942831
    np.testing.assert_allclose(out["desertification_sensitivity"].values[0, 0], 75 ** 0.25)
    with pytest.raises(InputError, match="'temperature_monthly' was given without "
                                         "'precipitation_monthly'"):
        run(_inputs(temperature_monthly=t))


def test_monthly_stacks_in_smaller_pieces_take_the_single_band_chunks() -> None:
    """12-band stacks are read in smaller row/column pieces than single-band inputs; the dryness
    (and so every map it meets) comes out in the single-band chunks, with the values computed
    on the pieces."""
    from ecociv.models.ecological_sensitivity.model import _dryness

    grid = GridSpec.from_crs(CHINA_ALBERS, Affine(1000.0, 0, 0, 0, -1000.0, 5_000_000.0), (6, 8))
    rng = np.random.default_rng(3)
    t = from_array(rng.uniform(-20, 30, (12, 6, 8)), grid, name="t", units="degC")
    p = from_array(rng.uniform(0, 40, (12, 6, 8)), grid, name="p", units="mm")
    cover = from_array(rng.uniform(0, 1, (6, 8)), grid, name="cover").chunk({"y": 3, "x": 8})
    pieces = {"band": 12, "y": 2, "x": 3}
    dryness = _dryness({"temperature_monthly": t.chunk(pieces), "precipitation_monthly":
                        p.chunk(pieces), "vegetation_cover": cover})
    assert dryness.chunks == cover.chunks  # ((3, 3), (8,)), not ((2, 2, 2), (3, 3, 2))
    import xarray as xr

    in_pieces = xr.apply_ufunc(kernels.selyaninov_dryness, t.chunk(pieces), p.chunk(pieces),
                               input_core_dims=[["band"], ["band"]], dask="parallelized",
                               output_dtypes=[np.float64])
    np.testing.assert_array_equal(dryness.values, in_pieces.values)
