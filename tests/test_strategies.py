"""The shipped strategy scenarios and running a set of scenarios (``ecociv strategies run``).

Runs use the synthetic two-basin water network of the example dataset (seconds); the Belt files
are validated (not run) here."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

import pytest

from ecociv.cli.main import main
from ecociv.errors import InputError
from ecociv.strategies.catalog import STRATEGIES, parse_years, select
from ecociv.strategies.run_set import read_set, run_strategy_set, with_years

with as_file(files("ecociv") / "data" / "example" / "water_network_synthetic") as _net:
    NETWORK = Path(_net)


def _scenario(folder: Path, name: str, levers: str = "{}", network: Path = NETWORK) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\nmodels:\n  - id: water_allocation\n    inputs:\n"
                    f"      network: {network}\nlevers:\n  water: {levers}\n", encoding="utf-8")
    return path


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(args)
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("strategy", STRATEGIES, ids=[s.id for s in STRATEGIES])
def test_every_shipped_strategy_file_validates(strategy, capsys) -> None:
    code, out, err = _cli(["validate", str(strategy.path)], capsys)
    assert code == 0, err
    assert "valid scenario" in out


def test_strategy_files_differ_from_the_baseline_in_their_levers() -> None:
    from ecociv.scenario.schema import load_scenario

    base = load_scenario(STRATEGIES[0].path)
    for strategy in STRATEGIES[1:]:
        scenario = load_scenario(strategy.path)
        differs = (scenario.levers != base.levers
                   or [m.model_dump() for m in scenario.models] != [m.model_dump() for m in base.models])
        assert differs, f"{strategy.id} sets no lever of its own"


def test_unknown_lever_in_a_strategy_file_is_one_clear_line(tmp_path, capsys) -> None:
    path = _scenario(tmp_path, "bad_lever", "{water_use_capp: 1}")
    code, _, err = _cli(["validate", str(path)], capsys)
    assert code == 2
    assert "water_use_capp" in err and "water_use_cap" in err
    assert all(line.startswith("error:") for line in err.strip().splitlines())


def test_unknown_model_in_a_strategy_file_is_one_clear_line(tmp_path, capsys) -> None:
    path = tmp_path / "bad_model.yaml"
    path.write_text("name: bad_model\nmodels:\n  - id: water_alocation\n", encoding="utf-8")
    code, _, err = _cli(["validate", str(path)], capsys)
    assert code == 2
    assert "water_alocation" in err and "water_allocation" in err


def test_select_keeps_the_baseline_first_and_refuses_unknown_ids() -> None:
    assert [s.id for s in select("s4, S1")] == ["BAU", "S1", "S4"]
    assert len(select(None)) == 8
    with pytest.raises(InputError, match="'S9'"):
        select("S1,S9")


def test_years_are_parsed_and_refused_when_not_years() -> None:
    assert parse_years("2035,2025,2030") == [2025, 2030, 2035]
    assert parse_years(None) is None
    with pytest.raises(InputError, match="'20x5'"):
        parse_years("2025,20x5")


def test_years_set_the_land_use_simulation_end() -> None:
    from ecociv.scenario.run_file import load_scenario_file

    loaded = with_years(load_scenario_file(STRATEGIES[0].path), [2025, 2030])
    assert loaded.scenario.years == [2025, 2030]
    step = next(m for m in loaded.scenario.models if m.id == "land_use_change")
    assert step.params["end_year"] == 2030
    valued = next(m for m in loaded.scenario.models if m.id == "eco_compensation")
    assert valued.params["scenario_year"] == 2030


def test_a_failed_scenario_does_not_stop_the_set_and_is_listed(tmp_path) -> None:
    good = _scenario(tmp_path, "base")
    # a lake that the network does not have: refused when the run checks the levers
    bad = _scenario(tmp_path, "broken", "{lake_minimum_inflow: {no_such_lake: 1}}")
    other = _scenario(tmp_path, "other")
    result = run_strategy_set([("BAU", good), ("S1", bad), ("S2", other)], tmp_path / "store")
    status = {e.id: e.status for e in result.entries}
    assert status == {"BAU": "completed", "S1": "failed", "S2": "completed"}
    failed = result.failed[0]
    assert "no_such_lake" in (failed.error or "")
    # the record on disk lists the same, and the identical step of S2 came from the cache
    assert [(e.id, e.status) for e in read_set(result.folder)] == [(e.id, e.status) for e in result.entries]
    assert result.entries[2].cached_steps == 1 and result.entries[0].cached_steps == 0


def test_strategies_run_rejects_an_unknown_strategy_in_one_line(tmp_path, capsys) -> None:
    code, _, err = _cli(["strategies", "run", "--only", "S7", "--out", str(tmp_path)], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and "S7" in err
