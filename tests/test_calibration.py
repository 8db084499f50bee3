"""Calibration of water_yield (ecociv.calibrate): recovery of known parameters on synthetic
catchments, the held-out split, convergence handling and bad gauge tables."""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.calibrate.fit import fit, held_out, pbias, split_half
from ecociv.calibrate.gauges import read_gauges, reference_rows
from ecociv.calibrate.problem import CellInputs, Problem, band_labels, make_parameters
from ecociv.errors import InputError


def _synthetic(rng: np.random.Generator, n_catchments: int = 10, cells: int = 60):
    """Catchments of vegetated cells in two elevation bands and two basins; the observed runoff is
    what the true parameters give, so a fit must find them again."""
    n = n_catchments * cells
    elevation = np.empty(n)
    basin = np.empty(n, dtype="<U8")
    for k in range(n_catchments):
        part = slice(k * cells, (k + 1) * cells)
        share_high = (k % 5 + 1) / 6  # each catchment mixes the two bands differently
        high = rng.random(cells) < share_high
        elevation[part] = np.where(high, 3000.0, 1000.0)
        basin[part] = "north" if (k // 2) % 2 else "south"  # both basins in both halves
    inputs = CellInputs(
        precipitation=rng.uniform(400, 800, n), et0=rng.uniform(700, 1000, n),
        kc=np.full(n, 0.8), vegetated=np.ones(n), root_depth=np.full(n, 600.0),
        root_restricting_depth=np.full(n, 1000.0), plant_available_water=np.full(n, 0.08),
        elevation=elevation, area_km2=np.ones(n), basin=basin)
    edges = [2000.0]
    params = make_parameters(edges, ["north", "south"], z_prior=5.0, factor_log_sd=10.0,
                             z_log_sd=10.0)
    members = {f"g{k}": np.arange(k * cells, (k + 1) * cells) for k in range(n_catchments)}
    problem = Problem(cells=inputs, members=members, observed={}, parameters=params,
                      band_edges=edges, z_default=5.0, band_labels=band_labels(edges))
    truth = {"precipitation_factor[<2000 m]": 0.7, "precipitation_factor[>=2000 m]": 1.3,
             "seasonality_z[north]": 2.5, "seasonality_z[south]": 12.0}
    x_true = np.log([truth[p.name] for p in params])
    problem.observed = problem.simulate(x_true)
    return problem, truth


def test_fit_recovers_known_parameters():
    problem, truth = _synthetic(np.random.default_rng(7))
    result = fit(problem, runoff_log_sd=0.01)
    assert result.converged
    for name, value in truth.items():
        assert result.values[name] == pytest.approx(value, rel=0.02), name
    # what remains of J is the weak prior term (sd 10 in ln units): sum((ln truth/prior)/10)^2
    assert result.objective_after < 0.05 < result.objective_before
    for gid, observed in problem.observed.items():
        assert abs(pbias(result.simulated_after[gid], observed)) < 0.5


def test_held_out_half_is_predicted_on_synthetic_catchments():
    problem, _ = _synthetic(np.random.default_rng(11))
    calibration, validation = split_half(list(problem.observed))
    assert set(calibration).isdisjoint(validation) and len(calibration) == len(validation) == 5
    result, scores = held_out(problem, calibration, validation, runoff_log_sd=0.01)
    assert result.calibrated_on == tuple(calibration)
    assert set(scores) == set(validation)
    assert all(abs(score) < 1.0 for score in scores.values()), scores


def test_prior_keeps_unconstrained_parameter_at_prior():
    # the gauges see only the low band: the high band's factor has no data and stays at 1
    problem, _ = _synthetic(np.random.default_rng(3))
    low = problem.cells.elevation < 2000
    problem.members = {g: idx[low[idx]] for g, idx in problem.members.items()}
    problem.parameters = make_parameters([2000.0], ["north", "south"], z_prior=5.0)
    result = fit(problem)
    assert result.converged
    assert result.values["precipitation_factor[>=2000 m]"] == pytest.approx(1.0, abs=1e-3)


def test_not_converged_keeps_the_start_values():
    problem, _ = _synthetic(np.random.default_rng(5))
    result = fit(problem, max_nfev=1)
    assert not result.converged
    assert all(v == pytest.approx(p.prior) for p, v in zip(problem.parameters,
                                                           result.values.values(), strict=True))
    assert result.simulated_after == result.simulated_before


HEADER = "id,lon,lat,basin,runoff,catchment_area_km2,citation,citation_status\n"


@pytest.mark.parametrize(("row", "message"), [
    ("g1,86.0,44.0,Manas River,12.6,,,uncertain", "no citation"),
    ("g1,86.0,44.0,Nowhere River,12.6,,a paper,uncertain", "not a basin"),
    ("g1,east,44.0,Manas River,12.6,,a paper,uncertain", "expected a number"),
    ("g1,86.0,44.0,Manas River,-3,,a paper,uncertain", "expected a value"),
    ("g1,86.0,44.0,Manas River,12.6,,a paper,maybe", "citation_status"),
])
def test_bad_gauge_table_rows(tmp_path, row, message):
    path = tmp_path / "gauges.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        read_gauges(path, {"Manas River"})
    assert str(path) in str(err.value) and "row 2" in str(err.value)


def test_gauge_table_missing_column_and_duplicate(tmp_path):
    path = tmp_path / "gauges.csv"
    path.write_text("id,lon,lat\ng1,1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        read_gauges(path)
    path.write_text(HEADER + "g1,86,44,B,1,,c,verified\ng1,86,44,B,1,,c,verified\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        read_gauges(path)


def test_belt_gauge_table_and_reference_rows():
    from ecociv.region.dataset import packaged_dataset_path

    path = packaged_dataset_path().parent / "calibration" / "belt_gauges.csv"
    gauges = read_gauges(path)
    assert len(gauges) >= 5
    rows = reference_rows(gauges)
    assert set(rows["place_kind"]) == {"gauge"}
    assert set(rows["unit"]) == {"1e8 m**3/yr"}
    assert len(rows) == sum(g.has_runoff for g in gauges)
    assert rows["id"].str.startswith("gauge-").all()


def test_out_folder_must_be_a_dataset_or_empty(tmp_path):
    from ecociv.calibrate.write import _prepare_target
    from ecociv.errors import OutputError

    root = tmp_path / "dataset"
    root.mkdir()
    (root / "dataset.yaml").write_text("name: x\n", encoding="utf-8")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="neither a dataset folder"):
        _prepare_target(root, busy)
    assert (busy / "notes.txt").read_text(encoding="utf-8") == "mine"
    _prepare_target(root, tmp_path / "new")  # a new folder receives a copy
    assert (tmp_path / "new" / "dataset.yaml").is_file()


def test_a_file_the_calibration_did_not_write_is_never_overwritten(tmp_path):
    """A user's own reference/gauges.csv (or calibrated raster) in the target dataset folder is
    refused before anything is written; the same file recorded in sources.csv as written by
    `ecociv calibrate` is the calibration's own and may be replaced."""
    from ecociv.calibrate.write import _refuse_foreign_files
    from ecociv.errors import OutputError

    out = tmp_path / "dataset"
    (out / "reference").mkdir(parents=True)
    (out / "reference" / "gauges.csv").write_text("mine\n", encoding="utf-8")
    (out / "sources.csv").write_text("file,item,status,source\n"
                                     "dem.tif,band 1,real,pvlib\n", encoding="utf-8")
    with pytest.raises(OutputError, match=r"reference/gauges\.csv would be overwritten"):
        _refuse_foreign_files(out)
    assert (out / "reference" / "gauges.csv").read_text(encoding="utf-8") == "mine\n"
    (out / "sources.csv").write_text("file,item,status,source\n"
                                     "reference/gauges.csv,,calibrated,ecociv calibrate\n",
                                     encoding="utf-8")
    _refuse_foreign_files(out)  # written by an earlier calibration: no error
    (out / "seasonality_z.tif").write_bytes(b"not ours")
    with pytest.raises(OutputError, match=r"seasonality_z\.tif"):
        _refuse_foreign_files(out)


def test_belt_gauges_name_the_network_inflow_of_the_same_river():
    """The gauge table and the water network describe the same rivers: every gauge's
    network_node is an inflow node of src/ecociv/data/water/belt_network/network.yaml, and where
    the two annual figures differ by more than 1 % the gauge's note says so."""
    from ecociv.calibrate.run import network_inflows
    from ecociv.region.dataset import packaged_dataset_path

    gauges = read_gauges(packaged_dataset_path().parent / "calibration" / "belt_gauges.csv")
    inflows = network_inflows(gauges)
    assert set(inflows) == {g.id for g in gauges if g.network_node}
    for gauge in gauges:
        if gauge.has_runoff and gauge.id in inflows and \
                abs(inflows[gauge.id] / gauge.runoff - 1) > 0.01:
            assert gauge.network_node in gauge.note, gauge.id
