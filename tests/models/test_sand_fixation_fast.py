"""The fused RWEQ kernel of ``sand_fixation`` (``kernels.soil_loss_by_month``, slab by slab,
monthly to annual in one pass; benchmarks/bench_services.py, issue 4) against the path it
replaced: ``kernels.monthly_soil_loss`` on the whole month stack, then the model's scaling to
t/km², max(potential − actual, 0) and the sum over months.

Stated tolerance (and the same NaN cells), for static and monthly optional inputs, float32 and
float64 rasters, months given as one array or one array per month, and slabs smaller than the
grid: the point form 1e-12 relative; the field-mean form (the default) 1e-5 relative for the
potential and actual losses and 1e-5 of the potential loss for the fixation (their difference),
values below 1e-30 t/km² (0 as float32) aside. The field-mean form takes X^b, the exponent
a = −z²/s² and e^a in single precision (``kernels.soil_loss_by_month``), −expm1(a) from e^a
and a Taylor series, and (X·COG)^b as X^b·COG^b; measured on 600 random cases (9 × 9 cells,
12 months): at most 1.3e-6 (annual) and 3.2e-6 (monthly) relative, median ≈ 1e-8 to 1e-7,
against parameters of 2–3 significant digits (Fryrear et al. 1998).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecociv.models.sand_fixation import kernels
from ecociv.models.sand_fixation.model import run

WIND_TO_2M = 0.747951  # 10 m to 2 m, FAO-56 eq. 47
SCALE = kernels.T_PER_KM2_PER_KG_PER_M2
OPTIONS: dict[str, Any] = {"shape": 2.0, "threshold": 5.0, "distance_m": 50.0, "cover_form": "flat_cover"}
RTOL = 1e-12
#: the field-mean form's single-precision stage (module docstring)
RTOL_FIELD_MEAN = 1e-5
#: t/km²: smaller losses are 0 as float32 (the written rasters)
ATOL_FIELD_MEAN = 1e-30


def _assert_close(got: np.ndarray, expected: np.ndarray, name: str, loss_form: str = "point",
                  potential: np.ndarray | None = None) -> None:
    assert np.array_equal(np.isnan(got), np.isnan(expected)), name
    if loss_form == "point":
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-300, err_msg=name)
    elif name.startswith("fixation"):  # a difference of two losses: to the scale of the terms
        assert potential is not None
        scale = RTOL_FIELD_MEAN * np.abs(potential) + ATOL_FIELD_MEAN
        error = np.abs(np.nan_to_num(got - expected))
        assert np.all(error <= np.nan_to_num(scale)), (name, np.max(error / scale))
    else:
        np.testing.assert_allclose(got, expected, rtol=RTOL_FIELD_MEAN, atol=ATOL_FIELD_MEAN,
                                   err_msg=name)


def _case(seed: int, shape: tuple[int, ...], *, monthly_optional: bool, dtype: type,
          scalars: bool) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    months = (12, *shape)

    def field(low: float, high: float, size: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(low, high, size).astype(dtype)

    wind = field(0.0, 14.0, months)
    wind[rng.random(months) < 0.05] = 0.0  # calm months: X = 0
    wind[3, ...] = np.where(rng.random(shape) < 0.02, 70.0, wind[3])  # above the lookup table
    precipitation: np.ndarray = rng.gamma(0.7, 20.0, months).astype(dtype)
    precipitation[rng.random(months) < 0.2] = 0.0
    et0 = field(0.0, 200.0, months)
    et0[rng.random(months) < 0.1] = 0.0
    values: dict[str, Any] = {
        "wind_speed": wind,
        "temperature_c": field(-25.0, 30.0, months),
        "elevation_m": field(-100.0, 4500.0, shape),
        "precipitation_mm": precipitation,
        "et0_mm": et0,
        "irrigation_mm": 0.0 if scalars else field(0.0, 60.0, months if monthly_optional else shape),
        "wet_day_fraction": 1.0 if scalars else rng.uniform(0, 1, months if monthly_optional
                                                            else shape),
        "snow_cover_days": 0.0 if scalars else field(0.0, 31.0, months if monthly_optional
                                                     else shape),
        "soil_factor": rng.uniform(0.0, 0.6, shape),
        "roughness": 1.0 if scalars else rng.uniform(0.2, 1.0, shape),
        "cover_fraction": field(0.0, 1.0, months if monthly_optional else shape),
    }
    # nodata in a monthly input, a static input and the cover
    for name, index in (("wind_speed", 1), ("soil_factor", 2), ("cover_fraction", 3),
                        ("et0_mm", 4)):
        values[name].flat[index % values[name].size] = np.nan
    return values


def _reference(values: dict[str, Any], loss_form: str) -> dict[str, np.ndarray]:
    """The replaced path: monthly_soil_loss on month-first arrays, then the model's steps."""
    months_first = dict(values)
    months_first["wind_speed_2m"] = months_first.pop("wind_speed") * WIND_TO_2M
    days = kernels.DAYS_IN_MONTH.reshape((12,) + (1,) * (np.ndim(values["wind_speed"]) - 1))
    potential, actual, saturated = kernels.monthly_soil_loss(
        months_first["wind_speed_2m"], values["temperature_c"], values["elevation_m"],
        values["precipitation_mm"], values["et0_mm"], values["irrigation_mm"],
        values["wet_day_fraction"], values["snow_cover_days"], days, values["soil_factor"],
        values["roughness"], values["cover_fraction"], loss_form=loss_form, **OPTIONS)
    potential, actual = potential * SCALE, actual * SCALE
    fixation = np.clip(potential - actual, 0.0, None)
    return {"potential": potential.sum(axis=0), "actual": actual.sum(axis=0),
            "fixation": fixation.sum(axis=0), "saturated": saturated.sum(axis=0),
            "potential_monthly": potential, "actual_monthly": actual,
            "fixation_monthly": fixation}


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), rows=st.integers(1, 9), cols=st.integers(1, 9),
       loss_form=st.sampled_from(["field_mean", "point"]), monthly_optional=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), scalars=st.booleans(),
       per_month_lists=st.booleans(), slab=st.sampled_from([1, 5, 1 << 16]))
def test_fused_kernel_equals_the_monthly_path(
        seed: int, rows: int, cols: int, loss_form: str, monthly_optional: bool, dtype: type,
        scalars: bool, per_month_lists: bool, slab: int) -> None:
    values = _case(seed, (rows, cols), monthly_optional=monthly_optional, dtype=dtype,
                   scalars=scalars)
    expected = _reference(values, loss_form)
    given_values = dict(values)
    if per_month_lists:  # the model hands each month over as its own chunk
        for name, value in values.items():
            if np.ndim(value) == 3:
                given_values[name] = list(value)
    previous = kernels.SLAB_CELLS
    kernels.SLAB_CELLS = slab
    try:
        result = kernels.soil_loss_by_month(*given_values.values(), wind_to_2m=WIND_TO_2M,
                                            loss_form=loss_form, scale=SCALE, **OPTIONS)
    finally:
        kernels.SLAB_CELLS = previous
    assert set(result) == set(expected)
    for name, value in expected.items():
        _assert_close(result[name], value, name, loss_form,
                      expected["potential_monthly" if name.endswith("_monthly") else "potential"])


def test_annual_only_and_one_dimensional_grids() -> None:
    values = _case(3, (40,), monthly_optional=True, dtype=np.float32, scalars=False)
    full = kernels.soil_loss_by_month(*values.values(), wind_to_2m=WIND_TO_2M,
                                      loss_form="field_mean", scale=SCALE, **OPTIONS)
    annual = kernels.soil_loss_by_month(*values.values(), wind_to_2m=WIND_TO_2M,
                                        loss_form="field_mean", scale=SCALE, monthly=False,
                                        **OPTIONS)
    assert set(annual) == {"potential", "actual", "fixation", "saturated"}
    for name, value in annual.items():
        np.testing.assert_array_equal(value, full[name])
    expected = _reference(values, "field_mean")
    _assert_close(annual["fixation"], expected["fixation"], "fixation", "field_mean",
                  expected["potential"])
    # monthly values kept as float32: the float64 values rounded once, annual sums unchanged
    single = kernels.soil_loss_by_month(*values.values(), wind_to_2m=WIND_TO_2M,
                                        loss_form="field_mean", scale=SCALE,
                                        monthly_dtype=np.float32, **OPTIONS)
    for name in ("potential", "actual", "fixation"):
        assert single[f"{name}_monthly"].dtype == np.float32
        np.testing.assert_array_equal(single[f"{name}_monthly"],
                                      full[f"{name}_monthly"].astype(np.float32))
        np.testing.assert_array_equal(single[name], full[name])
        _assert_close(single[name], expected[name], name, "field_mean", expected["potential"])


def test_wind_lookup_in_place_equals_the_lookup() -> None:
    means = np.concatenate([np.random.default_rng(1).uniform(0, 65, 5000),
                            [0.0, 5.0, 59.9995, 60.0, 61.0, np.nan, np.inf]])
    out = np.empty_like(means)
    with np.errstate(invalid="ignore", over="ignore"):
        kernels._wind_excess_into(out, means, 2.0, 5.0)
        expected = kernels.wind_excess_lookup(means, 2.0, 5.0)
    np.testing.assert_array_equal(out, expected)


def test_loss_with_tiny_floor_equals_soil_loss() -> None:
    # X = 0 and subnormal X: the floor at the smallest normal float changes nothing
    x = np.array([0.0, 5e-324, 1e-310, np.finfo(float).tiny, 1e-12, 0.3, 7.0, 250.0, np.nan])
    out, scratch = np.empty_like(x), np.empty_like(x)
    for form in ("field_mean", "point"):
        kernels._loss_into(out, x, scratch, 50.0, form)
        np.testing.assert_array_equal(out, kernels.soil_loss(x, 50.0, form))
    with pytest.raises(ValueError, match="unknown soil loss form"):
        kernels._loss_into(out, x, scratch, 50.0, "mean")


def test_model_without_monthly_outputs_gives_the_same_annual_rasters() -> None:
    from ecociv.models.sand_fixation.model import example

    inputs = example()
    full = run(inputs)
    annual = run({**inputs, "monthly_outputs": False})
    assert not any(name.endswith("_monthly") for name in annual)
    for name in ("soil_loss_potential", "soil_loss_actual", "sand_fixation", "saturated_months"):
        np.testing.assert_array_equal(annual[name].values, full[name].values)
    assert full["sand_fixation_monthly"].dims == ("band", "y", "x")
    assert full["sand_fixation_monthly"]["band"].values.tolist() == list(range(1, 13))


def test_one_minus_exp_against_expm1() -> None:
    """−expm1(a) from e^a and the Taylor series below |a| = 1/16: within 2e-15 relative of
    NumPy's expm1 over 0 ≥ a ≥ −50 (both branches and the switch between them), NaN kept."""
    from ecociv.models.sand_fixation import month_loops

    a = -np.concatenate([np.geomspace(1e-300, 50.0, 20_000), [0.0, 0.0625, 0.0624999999]])
    e = np.exp(a)
    got = np.array([month_loops._one_minus_exp(x, y) for x, y in zip(a, e, strict=True)])
    np.testing.assert_allclose(got, -np.expm1(a), rtol=2e-15, atol=0.0)
    assert np.isnan(month_loops._one_minus_exp(np.nan, np.nan))


@pytest.mark.parametrize("caco3_raster", [True, False])
def test_soil_block_equals_the_numpy_kernels_bit_for_bit(caco3_raster: bool) -> None:
    # EF (Fryrear et al. 1994, eq. 3) x SCF (Fryrear et al. 1998) in one compiled pass per
    # chunk: the same values as kernels.erodible_fraction * kernels.crust_factor, NaN included
    from ecociv.models.sand_fixation.model import _soil_block

    rng = np.random.default_rng(11)
    shape = (37, 53)
    sand = (rng.random(shape) * 80 + 5).astype(np.float32)
    clay = (rng.random(shape) * 30 + 0.5).astype(np.float32)
    silt = (100 - sand - clay - rng.random(shape) * 2).astype(np.float32)
    organic = (rng.random(shape) * 5).astype(np.float32)
    caco3 = (rng.random(shape) * 20).astype(np.float32)
    sand[0, :5] = np.nan
    organic[3, 3] = np.nan
    organic[4, 4] = 40.0  # EF clipped at 0
    sand[5, 5], clay[5, 5], silt[5, 5] = 90.0, 0.6, 0.0  # EF clipped at 1 (> 1.02)
    organic[5, 5] = caco3[5, 5] = 0.0
    given = (caco3,) if caco3_raster else ()
    got = _soil_block(sand, silt, clay, organic, *given, constant_caco3=4.0)
    expected = (kernels.erodible_fraction(sand, silt, clay, organic, caco3 if caco3_raster else 4.0)
                * kernels.crust_factor(clay, organic))
    assert expected[4, 4] == 0.0 and expected[5, 5] == kernels.crust_factor(clay[5, 5], 0.0)
    np.testing.assert_array_equal(got, expected)


def test_month_loops_without_the_cover_product_give_the_same_numbers() -> None:
    """``erosive_x`` (X and X floored, no X · COG) and ``field_mean_annual_cog`` (X · COG
    taken in the loop) against ``erosive_product`` and ``field_mean_annual``: bit for bit,
    NaN, zero and subnormal X included (the RWEQ X of Fryrear et al. 1998)."""
    from ecociv.models.sand_fixation import month_loops

    rng = np.random.default_rng(5)
    n = 3000
    wf = rng.uniform(0.0, 400.0, n)
    wf[:5] = [0.0, np.nan, 1e-320, 0.0, 2.0]
    temperature = rng.uniform(-25, 30, n).astype(np.float32)
    density = rng.uniform(300, 360, n)
    et0 = rng.uniform(0, 200, n).astype(np.float32)
    et0[7] = np.nan
    rain = rng.gamma(0.7, 20.0, n).astype(np.float32)
    rain[rng.random(n) < 0.2] = 0.0
    optional = [rng.uniform(0, 60, n), rng.uniform(0, 1, n), rng.uniform(0, 31, n)]
    soil, roughness, cog = rng.uniform(0, 0.6, n), rng.uniform(0.2, 1, n), rng.uniform(0, 1, n)
    tiny = float(np.finfo(np.float64).tiny)
    for flags in ((False, False, False, False), (True, True, True, True)):
        args = (optional[0], flags[0], optional[1], flags[1], optional[2], flags[2], soil,
                roughness, flags[3])
        x, x_cover, floored, floored_cover = (np.empty(n) for _ in range(4))
        month_loops.erosive_product(wf, 31.0, temperature, density, et0, rain, *args, cog,
                                    9.81, tiny, x, x_cover, floored, floored_cover)
        x2, floored2 = np.empty(n), np.empty(n)
        month_loops.erosive_x(wf, 31.0, temperature, density, et0, rain, *args, 9.81, tiny,
                              x2, floored2)
        np.testing.assert_array_equal(x2, x)
        np.testing.assert_array_equal(floored2, floored)
        np.testing.assert_array_equal(x2 * cog, x_cover)
        exponent = -rng.uniform(0, 3, n)
        exponent[::50] = -rng.uniform(0, 0.06, exponent[::50].size)  # the series branch
        exponent_cover = exponent * rng.uniform(0, 1, n)
        sums = [np.zeros(n) for _ in range(3)]
        sums2 = [np.zeros(n) for _ in range(3)]
        for _ in range(2):  # two months: the sums carried over
            month_loops.field_mean_annual(x, x_cover, exponent, np.exp(exponent),
                                          exponent_cover, np.exp(exponent_cover), 2196.0,
                                          *sums)
            month_loops.field_mean_annual_cog(x2, cog, exponent, np.exp(exponent),
                                              exponent_cover, np.exp(exponent_cover), 2196.0,
                                              *sums2)
        for got, expected in zip(sums2, sums, strict=True):
            np.testing.assert_array_equal(got, expected)
        assert np.isnan(sums2[0][1]) and np.isnan(sums2[0][7])


def test_importing_the_model_leaves_scipy_special_for_the_first_run() -> None:
    """scipy.special (0.1-0.2 s to import) is needed only for the wind lookup table."""
    import subprocess
    import sys

    code = ("import sys; import ecociv.models.sand_fixation.model; "
            "print('scipy.special' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_wind_table_kept_on_disk_equals_the_computed_one(tmp_path: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The lookup table read back from the cache is the computed one bit for bit; a file that
    does not hold a table of the expected size is computed again, and a cache that cannot be
    written leaves the table computed."""
    from ecociv.models.sand_fixation import table_cache

    monkeypatch.setattr(table_cache, "cache_dir", lambda: tmp_path / "cache")
    means = np.linspace(0.0, 3.0, 301)
    calls = []

    def compute() -> np.ndarray:
        calls.append(1)
        return kernels.wind_excess_weibull(means, 2.0, 5.0)

    first = table_cache.cached_table((2.0, 5.0, 0.01, 3.0), means.size, compute)
    second = table_cache.cached_table((2.0, 5.0, 0.01, 3.0), means.size, compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(second, first)
    np.testing.assert_array_equal(first, kernels.wind_excess_weibull(means, 2.0, 5.0))
    other = table_cache.cached_table((1.5, 5.0, 0.01, 3.0), means.size,
                                     lambda: kernels.wind_excess_weibull(means, 1.5, 5.0))
    assert not np.array_equal(other, first)  # another shape, another file
    (file,) = [p for p in (tmp_path / "cache").iterdir()
               if np.array_equal(np.load(p), first)]
    np.save(file, np.zeros(7))  # wrong size: computed again (and stored again)
    np.testing.assert_array_equal(table_cache.cached_table((2.0, 5.0, 0.01, 3.0), means.size,
                                                           compute), first)
    assert len(calls) == 2
    file.write_bytes(b"not a table")
    np.testing.assert_array_equal(table_cache.cached_table((2.0, 5.0, 0.01, 3.0), means.size,
                                                           compute), first)
    assert len(calls) == 3
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setattr(table_cache, "cache_dir", lambda: blocked)
    np.testing.assert_array_equal(table_cache.cached_table((2.0, 5.0, 0.01, 3.0), means.size,
                                                           compute), first)
    assert len(calls) == 4
    assert not [p for p in (tmp_path / "cache").iterdir() if p.suffix == ".tmp"]  # none left


def test_a_run_with_the_table_on_disk_imports_no_scipy_special() -> None:
    """The second kernel call in a fresh process (the table on disk from the first) needs no
    scipy.special."""
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from ecociv.models.sand_fixation import kernels\n"
            "kernels._lookup_table(2.0, 5.0)\n"
            "print('scipy.special' in sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("monthly_outputs", [True, False])
def test_chunked_run_equals_the_in_memory_run(monthly_outputs: bool) -> None:
    """One task per chunk over the band chunks as given (months in chunks of 5, 5 and 2, grid
    chunks that differ between inputs) gives the in-memory run's rasters bit for bit, with
    the same coordinates and dtypes (the model's example, Fryrear et al. 1998 RWEQ)."""
    from ecociv.models.sand_fixation.model import example

    inputs = {**example(), "monthly_outputs": monthly_outputs}
    chunked = {name: (value.chunk({"band": 5, "y": 2, "x": 1}) if "band" in value.dims
                      else value.chunk({"y": 1, "x": 2}))
               if hasattr(value, "dims") else value for name, value in inputs.items()}
    expected = run(inputs)
    got = run(chunked)
    assert set(got) == set(expected)
    for name, value in expected.items():
        if not hasattr(value, "dims"):
            continue
        assert got[name].dims == value.dims, name
        assert got[name].dtype == value.dtype, name
        assert list(got[name].coords) == list(value.coords), name
        np.testing.assert_array_equal(got[name].values, value.values, err_msg=name)


def test_slabs_shared_by_two_threads_each_once_and_errors_raised() -> None:
    import threading

    done: list[int] = []
    threads: set[str] = set()
    lock = threading.Lock()

    def work(start: int) -> None:
        with lock:
            done.append(start)
            threads.add(threading.current_thread().name)

    previous = kernels.SLAB_THREADS
    kernels.SLAB_THREADS = 2
    try:
        kernels._each_slab(work, list(range(0, 400, 4)))
        assert sorted(done) == list(range(0, 400, 4))

        def failing(start: int) -> None:
            if start == 40:
                raise ValueError("slab 40")

        with pytest.raises(ValueError, match="slab 40"):
            kernels._each_slab(failing, list(range(0, 400, 4)))
        kernels.SLAB_THREADS = 1
        done.clear()
        threads.clear()
        kernels._each_slab(work, [0, 3, 6])
        assert done == [0, 3, 6] and threads == {threading.current_thread().name}
    finally:
        kernels.SLAB_THREADS = previous


def test_kernel_with_slabs_on_two_threads_equals_one_thread() -> None:
    """Bit for bit, whichever thread computes which slab (many slabs of one row)."""
    values = _case(21, (40, 7), monthly_optional=True, dtype=np.float32, scalars=False)
    results = []
    previous = kernels.SLAB_CELLS, kernels.SLAB_THREADS
    try:
        kernels.SLAB_CELLS = 7
        for threads in (1, 2):
            kernels.SLAB_THREADS = threads
            results.append(kernels.soil_loss_by_month(*values.values(), wind_to_2m=WIND_TO_2M,
                                                      loss_form="field_mean", scale=SCALE,
                                                      **OPTIONS))
    finally:
        kernels.SLAB_CELLS, kernels.SLAB_THREADS = previous
    for name, value in results[0].items():
        np.testing.assert_array_equal(results[1][name], value, err_msg=name)
