"""Inflow ensembles of the water allocation (ecociv.models.water_allocation.ensemble)."""

from __future__ import annotations

import numpy as np
import pytest

from ecociv.errors import InputError
from ecociv.models.water_allocation.ensemble import perturbed_inflows, run_ensemble, shortage_probability
from ecociv.models.water_allocation.model import MODEL

EXAMPLE = MODEL.example()["network"]


def test_factors_have_mean_one_and_are_per_member_reproducible() -> None:
    # lognormal(−σ²/2, σ) has mean exp(−σ²/2 + σ²/2) = 1; one factor per node and calendar year
    years = np.repeat(np.arange(2001, 2001 + 2000), 12)
    base = {"a": np.ones(years.size), "b": np.full(years.size, 2.0)}
    first = perturbed_inflows(base, years, 7, seed=3, sigma=0.3)
    again = perturbed_inflows(base, years, 7, seed=3, sigma=0.3)
    assert np.array_equal(first["a"], again["a"])
    assert first["a"].mean() == pytest.approx(1.0, abs=0.03)
    assert np.all(first["a"][:12] == first["a"][0])  # constant within a year
    assert not np.array_equal(first["a"], perturbed_inflows(base, years, 8, seed=3, sigma=0.3)["a"])
    assert np.array_equal(perturbed_inflows(base, years, 1, seed=3, sigma=0.0)["b"], base["b"])
    with pytest.raises(InputError, match="sigma"):
        perturbed_inflows(base, years, 1, seed=3, sigma=-1)


def test_processes_give_the_same_members_as_one_process() -> None:
    one = run_ensemble(EXAMPLE, 4, sigma=0.3, seed=5, workers=1)
    two = run_ensemble(EXAMPLE, 4, sigma=0.3, seed=5, workers=2)
    assert np.allclose(one["delivered_m3"], two["delivered_m3"], rtol=1e-9)
    members = one["members"]
    assert sorted(members["member"].unique()) == [0, 1, 2, 3]
    # a zero-spread ensemble reproduces the plain run
    flat = run_ensemble(EXAMPLE, 1, sigma=0.0, workers=1)
    plain = MODEL.run({"network": EXAMPLE})["deliveries"]["delivered_m3"].sum()
    assert flat["delivered_m3"][0] == pytest.approx(plain, rel=1e-9)
    probability = shortage_probability(members, "agriculture")
    assert set(probability.index) <= {"north", "south"}
    assert ((probability >= 0) & (probability <= 1)).all()


def test_belt_members_equal_the_every_level_reference() -> None:
    # perturbed members of the Belt network (dry and wet years, shortages at priorities 3 and 4 in
    # turn) with the shortcuts (one program when nothing is short, the likely short level first)
    # against every level solved every month: deliveries, storages and lake volumes to 1e-9 of the
    # largest value
    from pathlib import Path

    from ecociv.models.water_allocation.network import load_network
    from ecociv.models.water_allocation.solver import allocate

    net = load_network(Path(__file__).parents[2] / "src" / "ecociv" / "data" / "water" / "belt_network")
    base = {n: node.inflow.copy() for n, node in net.nodes.items() if np.any(node.inflow > 0)}
    for member in (0, 1, 2):
        for node, series in perturbed_inflows(base, net.calendar.years, member, seed=2026, sigma=0.25).items():
            net.nodes[node].inflow = series
        fast, reference = allocate(net), allocate(net, shortcuts=False)
        # the shortcuts save most of the programs: Ebinur's minimum inflow (the published 5.6e8
        # m³/yr, 0.467e8 a month) exceeds the winter river flow, so the winter months are short every
        # year at two levels (the lakes, then industry); such a month is solved by one program whose
        # optimum is proven the level-by-level one (about 260 of the 360 months): measured 0.20-0.21
        # of the reference's solves (0.41-0.42 with one program per short level and a final one)
        assert fast.solves < reference.solves / 3
        assert fast.merges[0] > 200 and fast.merges[1] == 0
        assert reference.merges == (0, 0)
        pairs = [(fast.site_delivered, reference.site_delivered),
                 (fast.reservoir_storage, reference.reservoir_storage),
                 (fast.aquifer_storage, reference.aquifer_storage),
                 (fast.aquifer_pumping, reference.aquifer_pumping)]
        pairs += [(fast.lake[k]["volume"], reference.lake[k]["volume"]) for k in reference.lake]
        # and the link flows: with a tie-break cost linear in the link's position, two sites drawing
        # on the same river and aquifer (links k..k+3) could swap water at exactly no cost and the
        # flows differed from the reference's by 4-11 % of the largest flow (measured, members 0-4)
        pairs.append((fast.flow, reference.flow))
        for got, expected in pairs:
            # measured 1.35e-12 of the largest value (levels fixed at their fraction − 1e-12)
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-11 * max(float(np.abs(expected).max()), 1.0))


def test_a_program_used_again_gives_each_member_its_own_allocation() -> None:
    # the ensemble's workers build the linear program once and run every member on it, each member
    # starting from the last one's final basis: the same allocation as a fresh program, to rounding
    from pathlib import Path

    from ecociv.models.water_allocation.network import load_network
    from ecociv.models.water_allocation.program import Program
    from ecociv.models.water_allocation.solver import allocate

    net = load_network(Path(__file__).parents[2] / "src" / "ecociv" / "data" / "water" / "belt_network")
    base = {n: node.inflow.copy() for n, node in net.nodes.items() if np.any(node.inflow > 0)}
    program = Program(net)
    own = [t for t in program.targets if t.row >= 0]  # a demand site's delivery column is its target's
    targets = np.array([t.row for t in own]), np.array([t.col for t in own])
    assert 0 < len(own) < len(program.targets)
    for member in (3, 4):
        for node, series in perturbed_inflows(base, net.calendar.years, member, seed=2026, sigma=0.25).items():
            net.nodes[node].inflow = series
        changes = program.coefficient_changes
        again, fresh = allocate(net, program=program), allocate(net)
        # the matrix changes only where a level whose targets share a coverage is served: the level
        # rows' coefficients of τ (measured ≈ 2,000 per member, in ≈ 237 of 360 months; ≈ 7,000
        # when every target's own row took the month's amount); target rows keep their −1
        assert program.coefficient_changes - changes < 3000
        assert np.all(program.matrix[targets] == -1.0)
        # counted per call, not summed over the calls; the last member's shortages as the first
        # year's guesses save programs (measured 373 against 384 for member 4)
        assert again.solves <= fresh.solves < 1.5 * again.solves
        for got, expected in [(again.flow, fresh.flow), (again.site_delivered, fresh.site_delivered),
                              (again.reservoir_storage, fresh.reservoir_storage)]:
            np.testing.assert_allclose(got, expected, rtol=0, atol=1e-11 * float(np.abs(expected).max()))
    other = load_network(Path(__file__).parents[2] / "src" / "ecociv" / "data" / "water" / "belt_network")
    with pytest.raises(ValueError, match="another network"):
        allocate(other, program=program)
