"""Uncertainty and sensitivity: samplers, distributions, ranges and Sobol indices checked against
closed forms (the Ishigami function, a linear model of normal inputs), and target checking."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ecociv.errors import InputError
from ecociv.uncertainty.analysis import ranges, sobol_indices
from ecociv.uncertainty.distributions import parse_distribution
from ecociv.uncertainty.sampling import to_values, unit_design
from ecociv.uncertainty.targets import read_spec


def _ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ishigami_analytic(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """First- and total-order indices of the Ishigami function with X_i ~ U(-pi, pi)
    (Ishigami & Homma 1990; variance terms as in Sobol' & Levitan 1999, eqs. for V1, V2, V13)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1 / v, v2 / v, 0.0]), np.array([(v1 + v13) / v, v2 / v, v13 / v])


def test_sobol_indices_of_ishigami_match_the_analytic_values() -> None:
    # analytic: S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244); tolerance 0.03 at N = 4096
    # (N * (D + 2) = 20 480 evaluations), about three bootstrap standard errors of SALib's estimators
    unit = unit_design("sobol", 4096, 3, seed=11)
    uniform = parse_distribution({"distribution": "uniform", "low": -math.pi, "high": math.pi}, "x")
    x = to_values(unit, [uniform] * 3)
    table = sobol_indices(unit, pd.DataFrame({"y": _ishigami(x)}), ["x1", "x2", "x3"], seed=1)
    s1, st = _ishigami_analytic()
    np.testing.assert_allclose(table["S1"], s1, atol=0.03)
    np.testing.assert_allclose(table["ST"], st, atol=0.03)
    # convergence check: indices from the first half of the base samples, and their change
    assert (table["S1_change"] < 0.05).all() and (table["ST_conf"] > 0).all()
    assert table["converged"].all()  # N/2 -> N changes within the bootstrap intervals
    assert (table["N"] == 4096).all()


def test_ranges_of_a_linear_model_match_the_analytic_quantiles() -> None:
    # Y = 2 X1 + 3 X2 with X1 ~ N(1, 0.5), X2 ~ N(2, 0.2): Y ~ N(8, sqrt(1 + 0.36))
    dists = [parse_distribution({"distribution": "normal", "mean": 1, "sd": 0.5}, "x1"),
             parse_distribution({"distribution": "normal", "mean": 2, "sd": 0.2}, "x2")]
    x = to_values(unit_design("mc", 4000, 2, seed=3), dists)
    y = 2 * x[:, 0] + 3 * x[:, 1]
    table = ranges(pd.DataFrame({"y": y}), {"y": 8.0}).set_index("indicator")
    sd = math.sqrt(1 + 0.36)
    for column, q in (("p05", 0.05), ("p50", 0.5), ("p95", 0.95)):
        assert table.loc["y", column] == pytest.approx(stats.norm.ppf(q, 8, sd), abs=0.03 * sd)
    assert table.loc["y", "p05"] < table.loc["y", "nominal"] < table.loc["y", "p95"]


@pytest.mark.parametrize(("entry", "expected"), [
    ({"distribution": "uniform", "low": 2, "high": 4}, stats.uniform(2, 2)),
    ({"distribution": "normal", "mean": 1, "sd": 2}, stats.norm(1, 2)),
    ({"distribution": "lognormal", "median": 3, "sigma": 0.4}, stats.lognorm(0.4, scale=3)),
    ({"distribution": "triangular", "low": 0, "mode": 1, "high": 4}, stats.triang(0.25, 0, 4)),
    ({"distribution": "truncnorm", "mean": 1, "sd": 1, "low": 0, "high": 3},
     stats.truncnorm(-1, 2, loc=1, scale=1)),
])
def test_distributions_invert_their_cdf(entry: dict[str, object], expected: object) -> None:
    u = np.array([0.05, 0.3, 0.5, 0.9])
    values = parse_distribution(entry, "x").ppf(u)
    np.testing.assert_allclose(expected.cdf(values), u, rtol=1e-9)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("entry", "fragment"), [
    ({"distribution": "gamma", "a": 1}, "distribution 'gamma' is not known"),
    ({"distribution": "normal", "mean": 1}, "missing sd"),
    ({"distribution": "normal", "mean": 1, "sd": 0}, "sd must be > 0"),
    ({"distribution": "uniform", "low": 3, "high": 1}, "low (3) must be below high (1)"),
    ({"distribution": "triangular", "low": 0, "mode": 5, "high": 4}, "mode (5) must lie in"),
    ({"distribution": "lognormal", "median": -1, "sigma": 1}, "median must be > 0"),
    ({"distribution": "uniform", "low": "a", "high": 1}, "must be a finite number"),
    ({"distribution": "uniform", "low": 0, "high": 1, "mode": 1}, "unknown mode"),
    ({"distribution": "truncnorm", "mean": 0, "sd": 1, "low": 50, "high": 60}, "holds no probability"),
])
def test_bad_distribution_parameters_are_refused(entry: dict[str, object], fragment: str) -> None:
    with pytest.raises(InputError) as err:
        parse_distribution(entry, "side.yaml: uncertainty.parameters[0]")
    assert fragment in str(err.value) and "side.yaml" in str(err.value)
    assert "\n" not in str(err.value)


def test_same_seed_gives_the_same_samples() -> None:
    for method, n in (("mc", 50), ("sobol", 16)):
        first, again = unit_design(method, n, 3, seed=5), unit_design(method, n, 3, seed=5)
        np.testing.assert_array_equal(first, again)
        assert not np.array_equal(first, unit_design(method, n, 3, seed=6))
    with pytest.raises(InputError, match="power of two"):
        unit_design("sobol", 100, 3, seed=0)


def test_spec_keys_are_checked() -> None:
    entry = {"target": "a.b", "distribution": "uniform", "low": 0, "high": 1}
    with pytest.raises(InputError, match="did you mean 'seed'"):
        read_spec({"sed": 1, "parameters": [entry]}, "u.yaml")
    with pytest.raises(InputError, match=r"target given twice: a\.b"):
        read_spec({"parameters": [entry, entry]}, "u.yaml")
    with pytest.raises(InputError, match="non-empty list"):
        read_spec({"parameters": []}, "u.yaml")


def _side(tmp_path: Path, target: str, **extra: object) -> Path:
    import yaml

    entry = {"target": target, "distribution": "uniform", "low": 0.5, "high": 0.9, **extra}
    path = tmp_path / "dist.yaml"
    path.write_text(yaml.safe_dump({"seed": 1, "parameters": [entry]}))
    return path


@pytest.mark.parametrize(("target", "fragment"), [
    ("water_yeild.seasonality_z", "no step 'water_yeild' in the scenario; did you mean 'water_yield'?"),
    ("water_yield.seasonality", "model 'water_yield' has no parameter 'seasonality'; did you mean "
                                "'seasonality_z'?"),
    ("water_yield.inputs.precip", "has no raster or table input 'precip'"),
    ("water_yield.inputs.biophysical_table", "is a table: name the column"),
    ("levers.water.irrigation_efficiency", "no step of this scenario reads these levers"),
])
def test_unknown_targets_are_refused_with_one_line(tmp_path: Path, target: str, fragment: str) -> None:
    from ecociv.demo import example_scenario
    from ecociv.uncertainty.study import prepare

    with pytest.raises(InputError) as err:
        prepare(Path(example_scenario()), _side(tmp_path, target))
    message = str(err.value)
    assert fragment in message, message
    assert "dist.yaml" in message and "\n" not in message


def test_a_distribution_reaching_refused_values_is_refused(tmp_path: Path) -> None:
    # seasonality_z must be > 0 (water_yield spec): normal(5, 2) reaches 5 - 3.09 * 2 < 0 at 0.1 %
    import yaml

    from ecociv.demo import example_scenario
    from ecociv.uncertainty.study import prepare

    side = tmp_path / "dist.yaml"
    side.write_text(yaml.safe_dump({"parameters": [{"target": "water_yield.seasonality_z",
                                                    "distribution": "normal", "mean": 5, "sd": 2}]}))
    with pytest.raises(InputError) as err:
        prepare(Path(example_scenario()), side)
    message = str(err.value)
    assert "0.1 % quantile" in message and "seasonality_z" in message and "\n" not in message
    side.write_text(yaml.safe_dump({"parameters": [{"target": "water_yield.seasonality_z",
                                                    "distribution": "normal", "mean": 5, "sd": 1}]}))
    _, spec, _ = prepare(Path(example_scenario()), side)  # 5 - 3.09 > 0: accepted
    assert spec.targets[0].distribution.kind == "normal"


def test_an_uncertainty_section_is_read_and_accepted_by_validate(tmp_path: Path) -> None:
    import yaml

    from ecociv.demo import example_scenario
    from ecociv.scenario.runner import plan
    from ecociv.scenario.schema import load_scenario
    from ecociv.uncertainty.study import prepare

    source = Path(example_scenario())
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    doc["uncertainty"] = {"seed": 9, "samples": 16, "parameters": [
        {"target": "water_yield.seasonality_z", "distribution": "triangular",
         "low": 3, "mode": 5, "high": 9}]}
    path = tmp_path / "scenario.yaml"
    for step in doc["models"]:
        step["inputs"] = {k: str(source.parent / v) for k, v in step["inputs"].items()}
    doc["grid"]["reference"] = str(source.parent / doc["grid"]["reference"])
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    data, spec, _ = prepare(path)
    assert "uncertainty" not in data and spec.seed == 9 and spec.samples == 16
    plan(load_scenario(path), path.parent)  # `ecociv run` and `validate` accept the section
