"""Validation metrics of land-use maps (models/land_use_change/metrics.py): hand-worked examples,
closed forms, scikit-learn as a peer for Kappa and the confusion matrix, a pure-Python reference
of the multi-resolution budget, and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from ecociv.errors import InputError
from ecociv.models.land_use_change import metrics

CODES = [1, 2, 3, 4, 5, 6, 7]


def _maps_from_confusion(counts: list[list[int]], codes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """A simulated and a reference map (1 row) whose confusion matrix is ``counts``
    (rows = simulated, columns = reference)."""
    sim, ref = [], []
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            sim += [codes[i]] * n
            ref += [codes[j]] * n
    return np.array([sim]), np.array([ref])


# --- two maps: a hand-worked 2-class example -----------------------------------------------------
# confusion (rows simulated, columns reference), N = 100:
#            ref a  ref b
#   sim a      40     10     row 50
#   sim b      20     30     row 50
#   column     60     40
# Po = 0.70; Pe = 0.5·0.6 + 0.5·0.4 = 0.50; kappa = 0.20/0.50 = 0.40
# Pmax = min(.5,.6) + min(.5,.4) = 0.90; K_loc = 0.20/0.40 = 0.50; K_histo = 0.40/0.50 = 0.80
# Pontius & Millones (2011) eq. 2–5: q_a = q_b = 0.10 → Q = 0.10;
#   a_a = 2·min(.5−.4, .6−.4) = 0.20, a_b = 2·min(.5−.3, .4−.3) = 0.20 → A = 0.20; Q + A = 1 − Po
# producer's accuracy a 40/60, b 30/40; user's accuracy a 40/50, b 30/50
HAND = [[40, 10], [20, 30]]


def test_two_map_metrics_of_a_hand_worked_matrix() -> None:
    n = np.array(HAND)
    assert metrics.kappa(n) == pytest.approx(0.40)
    assert metrics.kappa_location(n) == pytest.approx(0.50)
    assert metrics.kappa_histo(n) == pytest.approx(0.80)
    parts = metrics.disagreement(n)
    assert parts["quantity"] == pytest.approx(0.10)
    assert parts["allocation"] == pytest.approx(0.20)
    assert parts["overall_agreement"] == pytest.approx(0.70)
    np.testing.assert_allclose(parts["quantity_by_class"], [0.10, 0.10])
    np.testing.assert_allclose(parts["allocation_by_class"], [0.20, 0.20])
    accuracy = metrics.accuracy_by_class(n)
    np.testing.assert_allclose(accuracy["producer_accuracy"], [40 / 60, 30 / 40])
    np.testing.assert_allclose(accuracy["user_accuracy"], [40 / 50, 30 / 50])


def test_the_same_example_from_maps_through_validate() -> None:
    sim, ref = _maps_from_confusion(HAND, [1, 2])
    result = metrics.validate(ref, sim, ref, [1, 2], names={1: "cropland", 2: "forest"})
    assert result["confusion"] == HAND
    assert result["cells"] == 100
    assert result["kappa"] == pytest.approx(0.40)
    assert result["quantity_disagreement"] == pytest.approx(0.10)
    assert result["allocation_disagreement"] == pytest.approx(0.20)
    by_class = {row["lucode"]: row for row in result["per_class"]}
    assert by_class[1]["name"] == "cropland"
    assert by_class[1]["producer_accuracy"] == pytest.approx(40 / 60)
    assert by_class[2]["user_accuracy"] == pytest.approx(30 / 50)
    assert by_class[1]["reference_share"] == pytest.approx(0.60)
    assert by_class[1]["simulated_share"] == pytest.approx(0.50)


# --- three maps: hand-worked Kappa-simulation (van Vliet et al. 2011) ----------------------------
# ten cells, classes A (0) and B (1); (initial, reference, simulated):
#   a1–a3 (A, A, A)   a4 (A, A, B)   a5 (A, B, B)   a6 (A, B, A)   b1–b3 (B, B, B)   b4 (B, B, A)
# Po = 7/10 (a1–a3, a5, b1–b3)
# p(O=A) = 0.6: p(R=A|A) = 4/6, p(R=B|A) = 2/6; p(S=A|A) = 4/6, p(S=B|A) = 2/6 → Σ = 20/36 = 5/9
# p(O=B) = 0.4: p(R=B|B) = 1; p(S=B|B) = 3/4 → Σ = 3/4
# Pe(T) = 0.6·5/9 + 0.4·3/4 = 19/30; K_sim = (7/10 − 19/30)/(1 − 19/30) = 2/11
# Pmax(T) = 0.6·(4/6 + 2/6) + 0.4·3/4 = 0.9; K_transition = (0.9 − 19/30)/(11/30) = 8/11;
# K_transloc = (7/10 − 19/30)/(0.9 − 19/30) = 1/4 (and 8/11 · 1/4 = 2/11)
# change budget (Pontius et al. 2008): observed change a5, a6; simulated change a4, a5, b4:
#   hits a5, misses a6, false alarms a4 and b4, no wrong hit (two classes) → FoM = 1/4
VV_INITIAL = np.array([[0, 0, 0, 0, 0, 0, 1, 1, 1, 1]])
VV_REFERENCE = np.array([[0, 0, 0, 0, 1, 1, 1, 1, 1, 1]])
VV_SIMULATED = np.array([[0, 0, 0, 1, 1, 0, 1, 1, 1, 0]])


def test_kappa_simulation_of_a_hand_worked_example() -> None:
    result = metrics.validate(VV_INITIAL, VV_SIMULATED, VV_REFERENCE, [0, 1])
    assert result["kappa_simulation"] == pytest.approx(2 / 11)
    assert result["kappa_transition"] == pytest.approx(8 / 11)
    assert result["kappa_translocation"] == pytest.approx(1 / 4)
    assert result["figure_of_merit"] == pytest.approx(1 / 4)
    assert result["hits"] == pytest.approx(0.1)
    assert result["misses"] == pytest.approx(0.1)
    assert result["wrong_hits"] == 0
    assert result["false_alarms"] == pytest.approx(0.2)
    assert result["correct_rejections"] == pytest.approx(0.6)


# The hypothetical example of van Vliet, Bregt & Hagen-Zanker (2011): an original and an actual
# 10 × 10 map of three classes and four simulations, S1 = no change. The maps and the expected
# Kappa / Kappa-simulation (two decimals) are those of the test suite of GRASS GIS
# r.futures.validation (OSGeo/grass-addons, src/raster/r.futures/r.futures.validation/testsuite:
# "Test case built on van Vliet 2011 paper"; the maps read from its data/*.pack rasters).
VV_MAPS = {
    "original": ["0000000000", "1001100000", "1111110000", "1111111000", "1111101100",
                 "1111101110", "1121111110", "2222111110", "2222111110", "2211111000"],
    "actual": ["0000000000", "1001100000", "1111110000", "1111111000", "2211111100",
               "2221111100", "2222111100", "2222111110", "2222111110", "2111111000"],
    "S1": ["0000000000", "1001100000", "1111110000", "1111111000", "1111101100",
           "1111101110", "1121111110", "2222111110", "2222111110", "2211111000"],
    "S2": ["1100000000", "1111100000", "1111110000", "1111111000", "1111101100",
           "1111101110", "1111111110", "1112111110", "2222111110", "2211111000"],
    "S3": ["0000000000", "1000000000", "1111110000", "1111111000", "1111221100",
           "1112221110", "1222111110", "2222111110", "2221111110", "2221111000"],
    "S4": ["0000000000", "1001100000", "1111110000", "1111111000", "1111111100",
           "1221111110", "2221111110", "2222111110", "2222111110", "2211111000"],
}


def _vv(name: str) -> np.ndarray:
    return np.array([[int(c) for c in row] for row in VV_MAPS[name]])


@pytest.mark.parametrize(("simulation", "expected_kappa", "expected_ksim"), [
    ("S1", 0.79, 0.0), ("S2", 0.64, -0.06), ("S3", 0.71, 0.15), ("S4", 0.89, 0.60)])
def test_van_vliet_2011_example(simulation: str, expected_kappa: float,
                                expected_ksim: float) -> None:
    result = metrics.validate(_vv("original"), _vv(simulation), _vv("actual"), [0, 1, 2])
    # the GRASS suite checks to 0.01 (its "precision"); S1's Kappa is 0.7847 there and here
    assert result["kappa"] == pytest.approx(expected_kappa, abs=0.01)
    assert result["kappa_simulation"] == pytest.approx(expected_ksim, abs=0.005)
    assert result["kappa"] == pytest.approx(cohen_kappa_score(
        _vv(simulation).ravel(), _vv("actual").ravel()), abs=1e-12)


# Pontius et al. (2008) components A–D, one cell each, three classes; (initial, simulated, reference):
#   (0, 1, 1) hit B; (0, 2, 1) wrong hit C; (0, 0, 2) miss A; (1, 0, 1) false alarm D;
#   (1, 1, 1) and (2, 2, 2) correct rejections → FoM = B/(A+B+C+D) = 1/4,
#   producer's accuracy of change B/(A+B+C) = 1/3, user's B/(B+C+D) = 1/3
def test_figure_of_merit_budget_with_a_wrong_hit() -> None:
    initial = np.array([[0, 0, 0, 1, 1, 2]])
    simulated = np.array([[1, 2, 0, 0, 1, 2]])
    reference = np.array([[1, 1, 2, 1, 1, 2]])
    fom = metrics.figure_of_merit(metrics.crosstab3(initial, simulated, reference, 3))
    assert fom["figure_of_merit"] == pytest.approx(0.25)
    for key in ("hits", "misses", "wrong_hits", "false_alarms"):
        assert fom[key] == pytest.approx(1 / 6), key
    assert fom["correct_rejections"] == pytest.approx(2 / 6)
    assert fom["producer_accuracy_change"] == pytest.approx(1 / 3)
    assert fom["user_accuracy_change"] == pytest.approx(1 / 3)


# --- closed forms on random landscapes -----------------------------------------------------------

def _landscape(seed: int, shape: tuple[int, int] = (60, 70), change: float = 0.15):
    rng = np.random.default_rng(seed)
    initial = rng.integers(1, 8, shape).astype(np.uint8)
    reference = initial.copy()
    flip = rng.random(shape) < change
    reference[flip] = rng.integers(1, 8, int(flip.sum()))
    simulated = initial.copy()
    flip = (rng.random(shape) < change) | (reference != initial) & (rng.random(shape) < 0.5)
    simulated[flip] = np.where(rng.random(int(flip.sum())) < 0.5, reference[flip],
                               rng.integers(1, 8, int(flip.sum())))
    return initial, simulated, reference


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_and_confusion_match_scikit_learn(seed: int) -> None:
    initial, simulated, reference = _landscape(seed)
    result = metrics.validate(initial, simulated, reference, CODES)
    assert result["kappa"] == pytest.approx(cohen_kappa_score(simulated.ravel(), reference.ravel()),
                                            abs=1e-12)
    # scikit-learn: rows = y_true (reference), columns = y_pred (simulated): the transpose
    peer = confusion_matrix(reference.ravel(), simulated.ravel(), labels=CODES)
    np.testing.assert_array_equal(np.array(result["confusion"]), peer.T)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_closed_forms(seed: int) -> None:
    initial, simulated, reference = _landscape(seed)
    r = metrics.validate(initial, simulated, reference, CODES)
    assert r["kappa_location"] * r["kappa_histo"] == pytest.approx(r["kappa"])
    assert r["kappa_transition"] * r["kappa_translocation"] == pytest.approx(r["kappa_simulation"])
    assert r["quantity_disagreement"] + r["allocation_disagreement"] == pytest.approx(
        1 - r["overall_agreement"])
    assert r["overall_agreement"] == pytest.approx(np.mean(simulated == reference))
    assert (r["hits"] + r["misses"] + r["wrong_hits"] + r["false_alarms"]
            + r["correct_rejections"]) == pytest.approx(1.0)
    assert r["hits"] == pytest.approx(np.mean((reference != initial) & (simulated == reference)))
    assert r["false_alarms"] == pytest.approx(np.mean((reference == initial) & (simulated != initial)))
    assert r["observed_change"] == pytest.approx(np.mean(reference != initial))


def test_perfect_agreement_scores_one() -> None:
    initial, _, reference = _landscape(3)
    r = metrics.validate(initial, reference, reference, CODES, resolutions=(1, 2, 4))
    for key in ("kappa", "kappa_location", "kappa_histo", "kappa_simulation", "figure_of_merit",
                "overall_agreement"):
        assert r[key] == pytest.approx(1.0), key
    assert r["misses"] == r["wrong_hits"] == r["false_alarms"] == 0
    assert r["quantity_disagreement"] == r["allocation_disagreement"] == 0
    assert all(row["figure_of_merit"] == pytest.approx(1.0) for row in r["resolutions"])


def test_a_no_change_model_scores_zero_kappa_simulation_and_figure_of_merit() -> None:
    initial, _, reference = _landscape(4)
    r = metrics.validate(initial, initial, reference, CODES)
    assert r["kappa_simulation"] == pytest.approx(0.0, abs=1e-12)
    assert r["figure_of_merit"] == 0.0
    assert r["hits"] == r["wrong_hits"] == r["false_alarms"] == 0
    assert r["misses"] == pytest.approx(np.mean(reference != initial))
    # while plain Kappa rewards the persistence (the reason for K_sim: van Vliet et al. 2011)
    assert r["kappa"] > 0.7


def test_undefined_ratios_are_nan_and_null_in_json() -> None:
    one = np.ones((3, 3), dtype=np.int16)
    r = metrics.validate(one, one, one, [1, 2])
    assert math.isnan(r["kappa"]) and math.isnan(r["figure_of_merit"])
    text = json.dumps(metrics.jsonable(r), allow_nan=False)
    assert json.loads(text)["kappa"] is None


# --- masks and nodata ----------------------------------------------------------------------------

def test_nodata_and_mask_leave_cells_out() -> None:
    initial, simulated, reference = (m.astype(np.int16) for m in _landscape(5))
    valid = np.ones(initial.shape, dtype=bool)
    valid[:10] = False
    simulated_nd = simulated.copy()
    simulated_nd[-5:, :] = 255
    r = metrics.validate(initial, simulated_nd, reference, CODES, valid=valid, nodata=255)
    keep = valid.copy()
    keep[-5:, :] = False
    expected = metrics.validate(initial[keep][None], simulated[keep][None], reference[keep][None],
                                CODES)
    assert r["cells"] == int(keep.sum())
    assert r["kappa"] == pytest.approx(expected["kappa"])
    assert r["figure_of_merit"] == pytest.approx(expected["figure_of_merit"])
    # float maps: NaN is nodata, whole numbers are codes
    as_float = reference.astype(np.float32)
    as_float[:10] = np.nan
    r_float = metrics.validate(initial, simulated, as_float, CODES)
    assert r_float["cells"] == initial.size - 10 * initial.shape[1]


# --- multiple resolutions: a pure-Python reference of the fuzzy budget ----------------------------

def _reference_budget(ini: np.ndarray, sim: np.ndarray, ref: np.ndarray, factor: int) -> dict:
    """The block budget written out per block with dictionaries (slow, obvious)."""
    total = agreement = hits = misses = wrong = false_alarms = correct = 0
    ny, nx = ini.shape
    for r0 in range(0, ny, factor):
        for c0 in range(0, nx, factor):
            cells = [(ini[r, c], sim[r, c], ref[r, c]) for r in range(r0, min(ny, r0 + factor))
                     for c in range(c0, min(nx, c0 + factor))
                     if ini[r, c] >= 0 and sim[r, c] >= 0 and ref[r, c] >= 0]
            total += len(cells)
            classes = {c for cell in cells for c in cell}
            agreement += sum(min(sum(s == j for _, s, _ in cells), sum(r == j for _, _, r in cells))
                             for j in classes)
            for h in {cell[0] for cell in cells}:
                from_h = [cell for cell in cells if cell[0] == h]
                n_s = {j: sum(s == j for _, s, _ in from_h) for j in classes}
                n_r = {j: sum(r == j for _, _, r in from_h) for j in classes}
                hit = sum(min(n_s[j], n_r[j]) for j in classes if j != h)
                u = len(from_h) - n_r.get(h, 0) - hit
                v = len(from_h) - n_s.get(h, 0) - hit
                hits += hit
                wrong += min(u, v)
                misses += u - min(u, v)
                false_alarms += v - min(u, v)
                correct += min(n_s.get(h, 0), n_r.get(h, 0))
    return {"agreement": agreement / total, "hits": hits / total, "misses": misses / total,
            "wrong_hits": wrong / total, "false_alarms": false_alarms / total,
            "correct_rejections": correct / total}


@pytest.mark.parametrize("factor", [1, 2, 3, 5, 100])
def test_multi_resolution_budget_matches_a_pure_python_reference(factor: int) -> None:
    initial, simulated, reference = _landscape(6, shape=(23, 17), change=0.3)
    index = [metrics.class_index(m, CODES) for m in (initial, simulated, reference)]
    index[1][2, 3] = -1  # a nodata cell
    index[2][7, :] = -1  # a nodata row
    row = metrics.multi_resolution(*index, len(CODES), factor)
    expected = _reference_budget(*index, factor)
    for key, value in expected.items():
        assert row[key] == pytest.approx(value, abs=1e-12), key


def test_multi_resolution_at_one_equals_the_cell_budget_and_at_the_map_equals_quantity() -> None:
    initial, simulated, reference = _landscape(7, shape=(40, 48), change=0.2)
    r = metrics.validate(initial, simulated, reference, CODES, resolutions=(1, 2, 4, 8, 16, 64))
    index = [metrics.class_index(m, CODES) for m in (initial, simulated, reference)]
    at_one = metrics.multi_resolution(*index, len(CODES), 1)
    for key in ("agreement", "figure_of_merit", "hits", "misses", "wrong_hits", "false_alarms",
                "correct_rejections", "allocation_disagreement"):
        assert at_one[key] == pytest.approx(r["resolutions"][0][key]), key
    rows = r["resolutions"]
    assert [row["resolution"] for row in rows] == [1, 2, 4, 8, 16, 64]
    agreements = [row["agreement"] for row in rows]
    assert agreements == sorted(agreements)  # nested blocks: agreement never falls (Pontius 2002)
    whole = rows[-1]  # one block holds the map: only quantity disagreement is left
    assert whole["blocks"] == 1
    assert whole["allocation_disagreement"] == pytest.approx(0.0, abs=1e-12)
    assert whole["agreement"] == pytest.approx(1 - r["quantity_disagreement"])
    assert all(row["quantity_disagreement"] == pytest.approx(r["quantity_disagreement"])
               for row in rows)


# --- bad input -----------------------------------------------------------------------------------

def test_unknown_codes_are_named_with_the_map() -> None:
    initial, simulated, reference = _landscape(8)
    reference = reference.astype(np.int16)
    reference[3, 4] = 9
    reference[5, 5] = 12
    with pytest.raises(InputError, match=r"ref\.tif: first at cell \(row 3, col 4\): code\(s\) "
                       r"\[9, 12\] not in the class list"):
        metrics.validate(initial, simulated, reference, CODES, labels={"reference": "ref.tif"})


def test_fractional_values_are_rejected() -> None:
    initial, _, reference = _landscape(9)
    continuous = reference.astype(np.float64) + 0.25
    with pytest.raises(InputError, match=r"simulated map.*non-integer values"):
        metrics.validate(initial, continuous, reference, CODES)


def test_maps_of_different_shapes_are_rejected() -> None:
    initial, simulated, reference = _landscape(10)
    with pytest.raises(InputError, match=r"different shapes.*reference map \(59, 70\)"):
        metrics.validate(initial, simulated, reference[1:], CODES)


def test_all_nodata_is_rejected() -> None:
    initial, simulated, reference = _landscape(11)
    with pytest.raises(InputError, match="no cell is compared"):
        metrics.validate(initial, simulated, reference, CODES, valid=np.zeros(initial.shape, bool))


@pytest.mark.parametrize("factor", [0, -2, 2.5])
def test_bad_resolution_factor(factor: float) -> None:
    initial, simulated, reference = _landscape(12)
    with pytest.raises(InputError, match="resolution factor"):
        metrics.validate(initial, simulated, reference, CODES, resolutions=(1, factor))  # type: ignore[arg-type]


def test_duplicate_codes_and_mask_of_wrong_shape() -> None:
    initial, simulated, reference = _landscape(13)
    with pytest.raises(InputError, match="listed twice"):
        metrics.validate(initial, simulated, reference, [1, 1, 2])
    with pytest.raises(InputError, match="mask shape"):
        metrics.validate(initial, simulated, reference, CODES, valid=np.ones((2, 2), bool))


@pytest.mark.parametrize(("dtype", "codes", "nodata"), [
    ("uint8", [10, 20, 30], 0),  # lookup table indexed by the codes themselves
    ("int16", [-5, 0, 7], -9999),  # shifted lookup table, negative codes
    ("int64", [3, 2_000_000, 5_000_000], -1),  # range too wide for a table: sorted search
    ("float32", [10, 20, 30], None),  # NaN is nodata
])
def test_class_index_on_every_code_path(dtype: str, codes: list[int], nodata: int | None) -> None:
    rng = np.random.default_rng(14)
    pick = rng.integers(0, 3, (9, 11))
    values = np.array(codes, dtype=np.int64)[pick].astype(dtype)
    values[0, :4] = np.nan if nodata is None else nodata
    index = metrics.class_index(values, codes, nodata=nodata)
    expected = pick.astype(np.int16)
    expected[0, :4] = -1
    np.testing.assert_array_equal(index, expected)
    # the codes are found whatever their order in the list
    reordered = metrics.class_index(values, codes[::-1], nodata=nodata)
    np.testing.assert_array_equal(reordered[index >= 0], 2 - index[index >= 0])


def test_validation_table_holds_the_result_in_long_form() -> None:
    initial, simulated, reference = _landscape(15, shape=(30, 32))
    names = {code: f"class {code}" for code in CODES}
    result = metrics.validate(initial, simulated, reference, CODES, (1, 2, 8), names=names)
    table = metrics.validation_table(initial, simulated, reference, CODES, (1, 2, 8), names=names)
    assert list(table.columns) == ["metric", "resolution", "lucode", "name", "value"]
    whole = table[table["lucode"].isna() & (table["resolution"] == 1)].set_index("metric")["value"]
    for key in metrics.SCALAR_KEYS:
        assert whole[key] == pytest.approx(result[key]), key
    assert whole["cells"] == initial.size
    per_class = table[table["lucode"] == 3].set_index("metric")
    assert per_class.loc["producer_accuracy", "value"] == pytest.approx(
        result["per_class"][2]["producer_accuracy"])
    assert set(per_class["name"]) == {"class 3"}
    coarse = table[table["resolution"] == 8].set_index("metric")["value"]
    assert coarse["figure_of_merit"] == pytest.approx(result["resolutions"][2]["figure_of_merit"])
    assert sorted(table["resolution"].unique()) == [1, 2, 8]


# the gain budget per class of the same six cells (initial, simulated, reference):
#   class 1 is gained in the reference at (0, 1, 1) — the simulation gains 1 too: B_1 = 1 — and at
#   (0, 2, 1) — the simulation gains 2: C_1 = 1 → FoM_1 = 1/2
#   class 2 is gained in the reference at (0, 0, 2) — simulated persistence: A_2 = 1 — and the
#   simulation gains 2 at (0, 2, 1) where the reference gains 1: D_2 = 1 → FoM_2 = 0
#   class 0 is gained only in the simulation, at (1, 0, 1): D_0 = 1 → FoM_0 = 0
def test_gain_budget_per_class() -> None:
    initial = np.array([[0, 0, 0, 1, 1, 2]])
    simulated = np.array([[1, 2, 0, 0, 1, 2]])
    reference = np.array([[1, 1, 2, 1, 1, 2]])
    table = metrics.crosstab3(initial, simulated, reference, 3)
    gains = metrics.gain_budget(table)
    np.testing.assert_allclose(gains["gain_hits"] * 6, [0, 1, 0])
    np.testing.assert_allclose(gains["gain_wrong_hits"] * 6, [0, 1, 0])
    np.testing.assert_allclose(gains["gain_misses"] * 6, [0, 0, 1])
    np.testing.assert_allclose(gains["gain_false_alarms"] * 6, [1, 0, 1])
    np.testing.assert_allclose(gains["gain_figure_of_merit"], [0, 0.5, 0])
    per_class = metrics.validate(initial, simulated, reference, [0, 1, 2])["per_class"]
    assert per_class[1]["gain_figure_of_merit"] == pytest.approx(0.5)


@pytest.mark.parametrize("seed", [0, 1])
def test_gain_budget_adds_up_to_the_map_budget(seed: int) -> None:
    initial, simulated, reference = _landscape(seed)
    table = metrics.crosstab3(*(metrics.class_index(m, CODES) for m in (initial, simulated,
                                                                        reference)), len(CODES))
    gains, total = metrics.gain_budget(table), metrics.figure_of_merit(table)
    assert gains["gain_hits"].sum() == pytest.approx(total["hits"])
    assert gains["gain_misses"].sum() == pytest.approx(total["misses"])
    assert gains["gain_wrong_hits"].sum() == pytest.approx(total["wrong_hits"])
    assert gains["gain_false_alarms"].sum() == pytest.approx(total["false_alarms"]
                                                             + total["wrong_hits"])
