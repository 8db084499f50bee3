r"""Validation metrics of a simulated land-use map against a reference map (and the initial map).

Every function here is pure (arrays in, numbers out) and vectorised: a 5000 × 5000 map of a few
classes is compared in seconds (``np.bincount`` over class-index arrays, no per-cell loop).

Conventions
-----------
* Class maps are integer arrays of the same shape; ``codes`` lists the class codes, and every
  table is in ``codes`` order.
* A *confusion matrix* ``n`` has rows = the simulated (comparison) map and columns = the reference
  map, as in Pontius & Millones (2011): ``n[i, j]`` cells are class ``codes[i]`` in the simulation
  and ``codes[j]`` in the reference.
* A *three-map table* ``t`` has axes (initial, simulated, reference): ``t[h, i, j]`` cells are
  ``codes[h]`` at the start, ``codes[i]`` in the simulation and ``codes[j]`` in the reference.
* Fractions are of the compared cells (cells valid in every map); a ratio whose denominator is 0
  (e.g. kappa of two maps holding a single class) is NaN (``None`` in JSON).

References
----------
Cohen, J. (1960). A coefficient of agreement for nominal scales. Educ. Psychol. Meas. 20: 37–46.
Pontius, R. G. Jr (2000). Quantification error versus location error in comparison of
categorical maps. Photogramm. Eng. Remote Sens. 66(8): 1011–1016.
Pontius, R. G. Jr (2002). Statistical methods to partition effects of quantity and location during
comparison of categorical maps at multiple resolutions. PE&RS 68(10): 1041–1049.
Hagen, A. (2002). Multi-method assessment of map similarity. 5th AGILE Conference, Palma.
Pontius, R. G. Jr, Huffaker, D. & Denman, K. (2004). Useful techniques of validation for
spatially explicit land-change models. Ecol. Model. 179: 445–461.
Pontius, R. G. Jr et al. (2008). Comparing the input, output, and validation maps for several
models of land change. Ann. Reg. Sci. 42: 11–37.
van Vliet, J., Bregt, A. K. & Hagen-Zanker, A. (2011). Revisiting Kappa to account for change in
the accuracy assessment of land-use change models. Ecol. Model. 222: 1367–1375.
Pontius, R. G. Jr & Millones, M. (2011). Death to Kappa: birth of quantity disagreement and
allocation disagreement for accuracy assessment. Int. J. Remote Sens. 32(15): 4407–4429.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecociv.compiled import jit
from ecociv.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: The keys of :func:`validate`'s result that are numbers over the whole map (the JSON keys of
#: ``ecociv land-use validate --json``).
SCALAR_KEYS = (
    "kappa", "kappa_location", "kappa_histo", "kappa_simulation", "kappa_transition",
    "kappa_translocation", "figure_of_merit", "hits", "misses", "wrong_hits", "false_alarms",
    "correct_rejections", "overall_agreement", "quantity_disagreement", "allocation_disagreement",
    "observed_change", "simulated_change",
)

#: Map names used in messages and in the ``labels`` argument of :func:`validate`.
MAP_NAMES = ("initial", "simulated", "reference")

#: Largest value range mapped by a lookup table (larger ranges use a sorted search).
_LUT_RANGE = 1 << 20



def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is (numerically) 0."""
    if abs(denominator) <= 1e-12:
        return float("nan")
    return float(numerator / denominator)


# ---------------------------------------------------------------------------------------------
# class indexes and cross-tabulation
# ---------------------------------------------------------------------------------------------

def class_index(values: ArrayLike, codes: Sequence[int], *, nodata: float | None = None,
                valid: ArrayLike | None = None, label: str = "map",
                listed_in: str | None = None) -> NDArray[np.int16]:
    """Index of each cell's code in ``codes`` (0 … k−1), −1 where the cell is not compared.

    Parameters
    ----------
    values : array_like of int or float
        A class map (codes). In a float map NaN is nodata and every other value must be whole.
    codes : sequence of int
        The class codes (unique).
    nodata : float, optional
        Code of cells without data (not compared).
    valid : array_like of bool, optional
        Cells to compare (e.g. inside the region); others get −1.
    label : str
        The map's name (and file) for messages.
    listed_in : str, optional
        Where the codes come from, for messages (default: "the class list [...]").

    Returns
    -------
    numpy.ndarray of int16
        Same shape as ``values``.

    Raises
    ------
    InputError
        A compared cell holds a code not in ``codes`` (the message lists up to 10 such codes and
        the first cell), or a float map holds non-whole values.
    """
    data = np.asarray(values)
    codes_arr = np.asarray(list(codes), dtype=np.int64)
    if codes_arr.size == 0:
        raise InputError("no class codes given", source=label)
    if np.unique(codes_arr).size != codes_arr.size:
        raise InputError(f"class codes listed twice: {sorted(codes_arr.tolist())}", source=label)
    if codes_arr.size > np.iinfo(np.int16).max:
        raise InputError(f"{codes_arr.size} classes; at most 32767 are supported", source=label)
    keep = None if valid is None else np.asarray(valid, dtype=bool)
    if keep is not None and keep.shape != data.shape:
        raise InputError(f"mask shape {keep.shape} != map shape {data.shape}", source=label)
    no_value = nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata))
    if data.dtype.kind == "f":
        missing = np.isnan(data)
        fractional = ~missing & (data != np.round(data))
        if keep is not None:
            fractional &= keep
        if fractional.any():
            first = np.argwhere(fractional)[0]
            shown = np.unique(data[fractional])[:5]
            raise InputError(
                f"non-integer values ({', '.join(f'{v:g}' for v in shown)}): a land-use map holds "
                "whole class codes (is it a continuous raster, or resampled by interpolation?)",
                source=label, where=_cell(first))
        keep = ~missing if keep is None else keep & ~missing
        wide = max(abs(float(np.nanmin(data, initial=0.0))),
                   abs(float(np.nanmax(data, initial=0.0)))) >= 2 ** 31
        data = np.where(missing, data.dtype.type(codes_arr[0]), data).astype(
            np.int64 if wide else np.int32)
    elif data.dtype.kind not in "iub":
        raise InputError(f"map of type {data.dtype}; expected integer class codes", source=label)
    out = np.full(data.shape, -1, dtype=np.int16)
    if data.size == 0:
        return out
    low = int(min(data.min(), codes_arr.min()))
    high = int(max(data.max(), codes_arr.max()))
    if data.dtype.kind in "ub" and low >= 0:
        low = 0  # index the lookup table with the unsigned codes themselves, no shifted copy
    if high - low < _LUT_RANGE:
        # -2 = unknown code, -1 = not compared (nodata)
        lut = np.full(high - low + 1, -2, dtype=np.int16)
        lut[codes_arr - low] = np.arange(codes_arr.size, dtype=np.int16)
        if no_value and low <= float(nodata) <= high and float(nodata) == round(float(nodata)):  # type: ignore[arg-type]
            lut[int(nodata) - low] = -1  # type: ignore[arg-type]
        if low == 0 and data.dtype.kind in "ub":
            found = lut[data]
        else:  # shift in a type that holds the codes' range (int32 unless the codes are huge)
            shift_type = np.dtype(np.int64 if max(abs(low), abs(high)) >= 2 ** 31 else np.int32)
            shifted: NDArray[np.signedinteger[Any]] = data.astype(shift_type, copy=False)
            found = lut[shifted - shift_type.type(low)]
    else:
        order = np.argsort(codes_arr)
        position = np.clip(np.searchsorted(codes_arr[order], data), 0, codes_arr.size - 1)
        found = np.where(codes_arr[order][position] == data, order[position], -2).astype(np.int16)
        if no_value:
            found[data == nodata] = -1
    if keep is not None:
        found[~keep] = -1
    unknown = found == -2
    if unknown.any():
        bad = np.unique(data[unknown])
        raise InputError(
            f"code(s) {[int(c) for c in bad[:10]]}{' …' if bad.size > 10 else ''} not in "
            f"{listed_in or f'the class list {[int(c) for c in codes_arr]}'}", source=label,
            where=f"first at {_cell(np.argwhere(unknown)[0])}")
    return found


def _cell(position: np.ndarray) -> str:
    if len(position) == 2:
        return f"cell (row {int(position[0])}, col {int(position[1])})"
    return f"cell {tuple(int(p) for p in position)}"


def crosstab(simulated_index: ArrayLike, reference_index: ArrayLike, k: int) -> IntArray:
    """Confusion matrix (k, k) of two class-index maps (rows = simulated, columns = reference);
    cells with index −1 in either map are left out."""
    sim = np.asarray(simulated_index).ravel()
    ref = np.asarray(reference_index).ravel()
    combined = sim.astype(np.int64) * k + ref
    combined[(sim < 0) | (ref < 0)] = k * k
    return np.bincount(combined, minlength=k * k + 1)[: k * k].reshape(k, k)


def crosstab3(initial_index: ArrayLike, simulated_index: ArrayLike, reference_index: ArrayLike,
              k: int) -> IntArray:
    """Three-map table (k, k, k) over (initial, simulated, reference) of class-index maps; cells
    with index −1 in any map are left out."""
    ini = np.asarray(initial_index).ravel()
    sim = np.asarray(simulated_index).ravel()
    ref = np.asarray(reference_index).ravel()
    combined = (ini.astype(np.int64) * k + sim) * k + ref
    combined[(ini < 0) | (sim < 0) | (ref < 0)] = k ** 3
    return np.bincount(combined, minlength=k ** 3 + 1)[: k ** 3].reshape(k, k, k)


def _proportions(confusion: ArrayLike) -> FloatArray:
    table = np.asarray(confusion, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] != table.shape[1]:
        raise InputError(f"confusion matrix of shape {table.shape}; expected square (k, k)")
    if (table < 0).any():
        raise InputError("confusion matrix has negative entries")
    total = table.sum()
    if total <= 0:
        raise InputError("confusion matrix is empty: no cell is compared")
    return table / total


# ---------------------------------------------------------------------------------------------
# two-map metrics (confusion matrix)
# ---------------------------------------------------------------------------------------------

def kappa(confusion: ArrayLike) -> float:
    r"""Cohen's Kappa of a confusion matrix (counts or proportions; dimensionless).

    Notes
    -----
    :math:`\kappa = (P_o - P_e)/(1 - P_e)` with :math:`P_o = \sum_i p_{ii}` and
    :math:`P_e = \sum_i p_{i+} p_{+i}` (Cohen 1960).
    """
    p = _proportions(confusion)
    observed = float(np.trace(p))
    expected = float(p.sum(axis=1) @ p.sum(axis=0))
    return _ratio(observed - expected, 1.0 - expected)


def _max_agreement(p: FloatArray) -> float:
    return float(np.minimum(p.sum(axis=1), p.sum(axis=0)).sum())


def kappa_location(confusion: ArrayLike) -> float:
    r"""Kappa-location (Pontius 2000; Hagen 2002): agreement beyond chance over the most the given
    class quantities allow (dimensionless).

    Notes
    -----
    :math:`K_{loc} = (P_o - P_e)/(P_{max} - P_e)` with
    :math:`P_{max} = \sum_i \min(p_{i+}, p_{+i})`; :math:`\kappa = K_{loc} K_{histo}`.
    """
    p = _proportions(confusion)
    observed = float(np.trace(p))
    expected = float(p.sum(axis=1) @ p.sum(axis=0))
    return _ratio(observed - expected, _max_agreement(p) - expected)


def kappa_histo(confusion: ArrayLike) -> float:
    r"""Kappa-histo (Hagen 2002): the part of Kappa set by the class quantities alone
    (dimensionless).

    Notes
    -----
    :math:`K_{histo} = (P_{max} - P_e)/(1 - P_e)`.
    """
    p = _proportions(confusion)
    expected = float(p.sum(axis=1) @ p.sum(axis=0))
    return _ratio(_max_agreement(p) - expected, 1.0 - expected)


def disagreement(confusion: ArrayLike) -> dict[str, Any]:
    r"""Quantity and allocation disagreement (Pontius & Millones 2011), as fractions of the
    compared cells, overall and per class.

    Returns
    -------
    dict
        ``quantity`` (Q), ``allocation`` (A), ``overall_agreement`` (:math:`1 - Q - A`), and
        ``quantity_by_class``, ``allocation_by_class`` (arrays in class order).

    Notes
    -----
    With rows = simulation and columns = reference, per class g:
    :math:`q_g = |p_{g+} - p_{+g}|`, :math:`a_g = 2\min(p_{g+} - p_{gg}, p_{+g} - p_{gg})`;
    :math:`Q = \sum_g q_g / 2` and :math:`A = \sum_g a_g / 2` (their equations 2–5), so
    :math:`Q + A = 1 - P_o`.
    """
    p = _proportions(confusion)
    diagonal = np.diag(p)
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    quantity_g = np.abs(rows - cols)
    allocation_g = 2.0 * np.minimum(rows - diagonal, cols - diagonal)
    return {
        "quantity": float(quantity_g.sum() / 2.0),
        "allocation": float(allocation_g.sum() / 2.0),
        "overall_agreement": float(diagonal.sum()),
        "quantity_by_class": quantity_g,
        "allocation_by_class": allocation_g,
    }


def accuracy_by_class(confusion: ArrayLike) -> dict[str, FloatArray]:
    r"""Producer's and user's accuracy per class (fractions; NaN for a class absent from the
    reference, resp. the simulation).

    Notes
    -----
    Producer's accuracy :math:`n_{jj}/n_{+j}` (share of the reference class found in the
    simulation); user's accuracy :math:`n_{ii}/n_{i+}` (share of the simulated class that is right).
    """
    table = np.asarray(confusion, dtype=np.float64)
    diagonal = np.diag(table)
    with np.errstate(invalid="ignore", divide="ignore"):
        producer = np.where(table.sum(axis=0) > 0, diagonal / table.sum(axis=0), np.nan)
        user = np.where(table.sum(axis=1) > 0, diagonal / table.sum(axis=1), np.nan)
    return {"producer_accuracy": producer, "user_accuracy": user}


# ---------------------------------------------------------------------------------------------
# three-map metrics (initial, simulated, reference)
# ---------------------------------------------------------------------------------------------

def _three(table: ArrayLike) -> FloatArray:
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 3 or len(set(t.shape)) != 1:
        raise InputError(f"three-map table of shape {t.shape}; expected (k, k, k)")
    total = t.sum()
    if total <= 0:
        raise InputError("three-map table is empty: no cell is compared")
    return t / total


def kappa_simulation(table: ArrayLike) -> dict[str, float]:
    r"""Kappa-simulation and its two factors (van Vliet, Bregt & Hagen-Zanker 2011).

    Parameters
    ----------
    table : array_like (k, k, k)
        Three-map table over (initial, simulated, reference), counts or proportions.

    Returns
    -------
    dict
        ``kappa_simulation``, ``kappa_transition`` and ``kappa_translocation`` (dimensionless;
        NaN when undefined).

    Notes
    -----
    With O the initial, S the simulated and A the actual (reference) map, the agreement expected
    by chance given the class transitions is
    :math:`P_{e(T)} = \sum_j p(O{=}j) \sum_i p(A{=}i \mid O{=}j)\, p(S{=}i \mid O{=}j)`, and
    :math:`K_{sim} = (P_o - P_{e(T)}) / (1 - P_{e(T)})`. With
    :math:`P_{max(T)} = \sum_j p(O{=}j) \sum_i \min(p(A{=}i \mid O{=}j), p(S{=}i \mid O{=}j))`,
    :math:`K_{Transition} = (P_{max(T)} - P_{e(T)}) / (1 - P_{e(T)})` and
    :math:`K_{TransLoc} = (P_o - P_{e(T)}) / (P_{max(T)} - P_{e(T)})`, so
    :math:`K_{sim} = K_{Transition} K_{TransLoc}`. A model that simulates no change scores
    :math:`K_{sim} = 0`: then :math:`p(S{=}i \mid O{=}j) = \delta_{ij}` and :math:`P_{e(T)} = P_o`.
    """
    t = _three(table)
    p_initial = t.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        sim_given = np.where(p_initial[:, None] > 0, t.sum(axis=2) / p_initial[:, None], 0.0)
        ref_given = np.where(p_initial[:, None] > 0, t.sum(axis=1) / p_initial[:, None], 0.0)
    observed = float(np.trace(t.sum(axis=0)))
    expected = float(p_initial @ (sim_given * ref_given).sum(axis=1))
    maximum = float(p_initial @ np.minimum(sim_given, ref_given).sum(axis=1))
    return {
        "kappa_simulation": _ratio(observed - expected, 1.0 - expected),
        "kappa_transition": _ratio(maximum - expected, 1.0 - expected),
        "kappa_translocation": _ratio(observed - expected, maximum - expected),
    }


def figure_of_merit(table: ArrayLike) -> dict[str, float]:
    r"""Figure of Merit and its budget of change (Pontius et al. 2008), as fractions of the
    compared cells.

    Parameters
    ----------
    table : array_like (k, k, k)
        Three-map table over (initial, simulated, reference), counts or proportions.

    Returns
    -------
    dict
        ``figure_of_merit``, ``hits`` (B: observed change simulated as change to the right class),
        ``misses`` (A: observed change simulated as persistence), ``wrong_hits`` (C: observed change
        simulated as change to another class), ``false_alarms`` (D: observed persistence simulated
        as change), ``correct_rejections`` (observed persistence simulated as persistence),
        ``producer_accuracy_change`` = B/(A+B+C), ``user_accuracy_change`` = B/(B+C+D),
        ``observed_change`` = A+B+C and ``simulated_change`` = B+C+D.

    Notes
    -----
    :math:`FoM = B/(A + B + C + D)` (Pontius et al. 2008, their equation 1); NaN when neither map
    shows change. The five components sum to 1.
    """
    t = _three(table)
    k = t.shape[0]
    h_idx, i_idx, j_idx = np.indices((k, k, k))
    observed_change = j_idx != h_idx
    simulated_change = i_idx != h_idx
    hits = float(t[observed_change & simulated_change & (i_idx == j_idx)].sum())
    wrong = float(t[observed_change & simulated_change & (i_idx != j_idx)].sum())
    misses = float(t[observed_change & ~simulated_change].sum())
    false_alarms = float(t[~observed_change & simulated_change].sum())
    return _budget(hits, misses, wrong, false_alarms, float(t[~observed_change & ~simulated_change].sum()))


def gain_budget(table: ArrayLike) -> dict[str, FloatArray]:
    r"""The change budget of each class's gains, as fractions of the compared cells.

    Parameters
    ----------
    table : array_like (k, k, k)
        Three-map table over (initial, simulated, reference), counts or proportions.

    Returns
    -------
    dict of arrays (k,)
        ``gain_hits`` (B_j: the reference gains j there and so does the simulation),
        ``gain_misses`` (A_j: the reference gains j, the simulation keeps the initial class),
        ``gain_wrong_hits`` (C_j: the reference gains j, the simulation gains another class),
        ``gain_false_alarms`` (D_j: the simulation gains j where the reference does not) and
        ``gain_figure_of_merit`` :math:`B_j/(A_j + B_j + C_j + D_j)` (NaN when neither map gains j).

    Notes
    -----
    The budget of Pontius et al. (2008) read per gaining class, each class's gain taken as a
    change of its own (ecociv's reading, in the spirit of the per-category Figure of Merit of the
    R package lulcc): the overall hits are :math:`\sum_j B_j`, misses :math:`\sum_j A_j` and wrong
    hits :math:`\sum_j C_j`, while :math:`\sum_j D_j` counts both false alarms and wrong hits (a
    wrong hit is a false gain of the simulated class).
    """
    t = _three(table)
    k = t.shape[0]
    h_idx, i_idx, j_idx = np.indices((k, k, k))
    sim_gain = i_idx != h_idx
    out: dict[str, FloatArray] = {}
    hits = np.zeros(k)
    misses = np.zeros(k)
    wrong = np.zeros(k)
    false_alarms = np.zeros(k)
    for c in range(k):
        ref_gains_c = (j_idx == c) & (h_idx != c)
        hits[c] = t[ref_gains_c & (i_idx == c)].sum()
        misses[c] = t[ref_gains_c & ~sim_gain].sum()
        wrong[c] = t[ref_gains_c & sim_gain & (i_idx != c)].sum()
        false_alarms[c] = t[(i_idx == c) & (h_idx != c) & ~ref_gains_c].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = misses + hits + wrong + false_alarms
        out["gain_figure_of_merit"] = np.where(denominator > 0, hits / denominator, np.nan)
    out.update({"gain_hits": hits, "gain_misses": misses, "gain_wrong_hits": wrong,
                "gain_false_alarms": false_alarms})
    return out


def _budget(hits: float, misses: float, wrong: float, false_alarms: float,
            correct: float) -> dict[str, float]:
    return {
        "figure_of_merit": _ratio(hits, misses + hits + wrong + false_alarms),
        "hits": hits, "misses": misses, "wrong_hits": wrong, "false_alarms": false_alarms,
        "correct_rejections": correct,
        "producer_accuracy_change": _ratio(hits, misses + hits + wrong),
        "user_accuracy_change": _ratio(hits, hits + wrong + false_alarms),
        "observed_change": misses + hits + wrong,
        "simulated_change": hits + wrong + false_alarms,
    }


# ---------------------------------------------------------------------------------------------
# multiple resolutions
# ---------------------------------------------------------------------------------------------

def multi_resolution(initial_index: ArrayLike, simulated_index: ArrayLike,
                     reference_index: ArrayLike, k: int, factor: int) -> dict[str, float]:
    r"""Agreement budget at a coarser resolution: blocks of ``factor`` × ``factor`` cells whose
    membership in each class (and each transition) is its share of the block's compared cells.

    Parameters
    ----------
    initial_index, simulated_index, reference_index : array_like (ny, nx)
        Class-index maps (:func:`class_index`; −1 = not compared).
    k : int
        Number of classes.
    factor : int
        Block side in cells (1 = the cells themselves). Blocks at the right and bottom edges may
        be partial; every block weighs by its number of compared cells.

    Returns
    -------
    dict
        ``resolution`` (factor), ``blocks`` (blocks with a compared cell), ``agreement``,
        ``quantity_disagreement``, ``allocation_disagreement``, and the change budget
        ``figure_of_merit``, ``hits``, ``misses``, ``wrong_hits``, ``false_alarms``,
        ``correct_rejections`` (fractions of the compared cells).

    Notes
    -----
    Agreement at a resolution is the multiple-resolution fuzzy agreement of Pontius (2002) and
    Pontius et al. (2004): :math:`\sum_n W_n \sum_j \min(S_{nj}, R_{nj}) / \sum_n W_n`, with
    :math:`S_{nj}`, :math:`R_{nj}` the shares of class j in block n of the simulated and the
    reference map and :math:`W_n` the block's compared cells; quantity disagreement does not
    depend on resolution, and allocation disagreement is :math:`1 - agreement - Q`, shrinking to 0
    when the block is the whole map. The change budget applies the same minimum operator to the
    shares of each transition (initial class h → class i) in a block: per block and initial class,
    hits :math:`= \sum_{i \ne h} \min(S_{hi}, R_{hi})`, unmatched observed change
    :math:`u = \sum_{i \ne h} R_{hi} - hits`, unmatched simulated change
    :math:`v = \sum_{i \ne h} S_{hi} - hits`, wrong hits :math:`= \min(u, v)`, misses
    :math:`= u - \min(u, v)`, false alarms :math:`= v - \min(u, v)`, correct rejections
    :math:`= \min(S_{hh}, R_{hh})`. This is ecociv's extension of the cell budget of Pontius et al.
    (2008) to fuzzy memberships: at ``factor`` 1 it equals :func:`figure_of_merit` exactly.
    """
    ini, sim, ref = (np.asarray(a, dtype=np.int16) for a in
                     (initial_index, simulated_index, reference_index))
    if ini.ndim != 2 or ini.shape != sim.shape or ini.shape != ref.shape:
        raise InputError(f"maps of shapes {ini.shape}, {sim.shape}, {ref.shape}; expected three "
                         "2-D maps of one shape for a multi-resolution comparison")
    return _resolution_row(ini, sim, ref, crosstab3(ini, sim, ref, k), factor)


def _resolution_row(ini: NDArray[np.int16], sim: NDArray[np.int16], ref: NDArray[np.int16],
                    table: IntArray, factor: int) -> dict[str, Any]:
    """One :func:`multi_resolution` row, given the maps' three-map table (for the transitions
    present and the class totals)."""
    if isinstance(factor, bool) or int(factor) != factor or factor < 1:
        raise InputError(f"resolution factor {factor!r}; expected a whole number ≥ 1")
    factor = int(factor)
    k = table.shape[0]
    total = int(table.sum())
    if total == 0:
        raise InputError("no cell is compared (all nodata or outside the mask)")
    # the transitions present in either map, numbered 0..P-1 (P ≤ k², usually a few dozen)
    used = (table.sum(axis=2) > 0) | (table.sum(axis=1) > 0)
    present = np.flatnonzero(used)
    compact = np.full(k * k, -1, dtype=np.int32)
    compact[present] = np.arange(present.size, dtype=np.int32)
    pair_from = (present // k).astype(np.int32)
    pair_to = (present % k).astype(np.int32)
    persist_col = np.full(k, -1, dtype=np.int32)
    persist_col[pair_from[pair_from == pair_to]] = compact[present[pair_from == pair_to]]
    sums = _block_budget(ini, sim, ref, factor, k, compact, present.size, pair_from, pair_to,
                         persist_col)
    agreement_cells, hits, misses, wrong, false_alarms, correct, blocks = (int(v) for v in sums)
    confusion = table.sum(axis=0)
    quantity = float(np.abs(confusion.sum(axis=1) - confusion.sum(axis=0)).sum() / 2.0 / total)
    agreement = agreement_cells / total
    row: dict[str, Any] = {
        "resolution": factor, "blocks": blocks, "agreement": agreement,
        "quantity_disagreement": quantity,
        "allocation_disagreement": max(0.0, 1.0 - agreement - quantity)}
    budget = _budget(hits / total, misses / total, wrong / total, false_alarms / total,
                     correct / total)
    row.update({key: budget[key] for key in ("figure_of_merit", "hits", "misses", "wrong_hits",
                                             "false_alarms", "correct_rejections")})
    return row


@jit(nogil=True)
def _block_budget(ini: NDArray[np.int16], sim: NDArray[np.int16], ref: NDArray[np.int16],
                  factor: int, k: int, compact: NDArray[np.int32], n_pairs: int,
                  pair_from: NDArray[np.int32], pair_to: NDArray[np.int32],
                  persist_col: NDArray[np.int32]) -> NDArray[np.int64]:  # pragma: no cover
    """Cell sums of the fuzzy block budget of :func:`multi_resolution`: [agreement, hits,
    misses, wrong hits, false alarms, correct rejections, blocks with a compared cell].

    One pass over the cells per band of ``factor`` rows, counting each block's transitions
    (compacted to the ``n_pairs`` present), then the minimum operator per block. Compiled
    because the same budget by ``np.bincount`` over (block × transition) bins took ~10 s at
    2 × 2 blocks of a 5000² map (12 bins per cell)."""
    ny, nx = ini.shape
    block_cols = (nx + factor - 1) // factor
    count_sim = np.zeros((block_cols, n_pairs), dtype=np.int64)
    count_ref = np.zeros((block_cols, n_pairs), dtype=np.int64)
    final_sim = np.zeros(k, dtype=np.int64)
    final_ref = np.zeros(k, dtype=np.int64)
    start_cells = np.zeros(k, dtype=np.int64)
    hit_cells = np.zeros(k, dtype=np.int64)
    out = np.zeros(7, dtype=np.int64)
    for row0 in range(0, ny, factor):
        count_sim[:, :] = 0
        count_ref[:, :] = 0
        for row in range(row0, min(ny, row0 + factor)):
            for col in range(nx):
                h = ini[row, col]
                i = sim[row, col]
                j = ref[row, col]
                if h < 0 or i < 0 or j < 0:
                    continue
                block = col // factor
                count_sim[block, compact[h * k + i]] += 1
                count_ref[block, compact[h * k + j]] += 1
        for block in range(block_cols):
            final_sim[:] = 0
            final_ref[:] = 0
            start_cells[:] = 0
            hit_cells[:] = 0
            seen = False
            for p in range(n_pairs):
                s = count_sim[block, p]
                r = count_ref[block, p]
                if s == 0 and r == 0:
                    continue
                seen = True
                h = pair_from[p]
                final_sim[pair_to[p]] += s
                final_ref[pair_to[p]] += r
                start_cells[h] += s
                matched = min(s, r)
                if h == pair_to[p]:
                    out[5] += matched
                else:
                    hit_cells[h] += matched
            if not seen:
                continue
            out[6] += 1
            for j in range(k):
                out[0] += min(final_sim[j], final_ref[j])
            for h in range(k):
                if start_cells[h] == 0:
                    continue
                keep_sim = 0
                keep_ref = 0
                if persist_col[h] >= 0:
                    keep_sim = count_sim[block, persist_col[h]]
                    keep_ref = count_ref[block, persist_col[h]]
                unmatched_ref = start_cells[h] - keep_ref - hit_cells[h]
                unmatched_sim = start_cells[h] - keep_sim - hit_cells[h]
                wrong = min(unmatched_ref, unmatched_sim)
                out[1] += hit_cells[h]
                out[2] += unmatched_ref - wrong
                out[3] += wrong
                out[4] += unmatched_sim - wrong
    return out


# ---------------------------------------------------------------------------------------------
# everything at once
# ---------------------------------------------------------------------------------------------

def validate(initial: ArrayLike, simulated: ArrayLike, reference: ArrayLike,
             codes: Sequence[int], resolutions: Sequence[int] = (1,), *,
             valid: ArrayLike | None = None, nodata: float | None = None,
             names: Mapping[int, str] | None = None,
             labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every metric of a simulated map against the reference map, given the initial map.

    Parameters
    ----------
    initial, simulated, reference : array_like of int (ny, nx)
        Class maps on one grid: the map the simulation started from, the simulated map and the
        observed (reference) map of the same date.
    codes : sequence of int
        Class codes; a compared cell with another code is an error.
    resolutions : sequence of int
        Block sizes (in cells) of the multi-resolution rows, e.g. (1, 2, 4, 8, 16).
    valid : array_like of bool, optional
        Cells to compare (default: all cells with data in the three maps).
    nodata : float, optional
        Code of cells without data (NaN is always nodata in a float map).
    names : mapping of int to str, optional
        Class names for the per-class rows.
    labels : mapping, optional
        Names of the maps in messages (keys ``initial``, ``simulated``, ``reference``), e.g. their
        files.

    Returns
    -------
    dict
        The keys of :data:`SCALAR_KEYS` (floats, fractions of the compared cells; NaN when
        undefined), ``cells`` (compared cells), ``codes``, ``confusion`` (list of rows:
        simulated × reference counts), ``per_class`` (list of dicts: ``lucode``, ``name``,
        ``reference_share``, ``simulated_share``, ``producer_accuracy``, ``user_accuracy``,
        ``quantity_disagreement``, ``allocation_disagreement`` and the :func:`gain_budget` of
        the class: ``gain_figure_of_merit``, ``gain_hits``, ``gain_misses``, ``gain_wrong_hits``,
        ``gain_false_alarms``) and ``resolutions`` (list of
        :func:`multi_resolution` rows).

    Raises
    ------
    InputError
        Maps of different shapes, codes not in ``codes``, non-integer values, no compared cell.
    """
    labels = {name: (labels or {}).get(name, f"{name} map") for name in MAP_NAMES}
    maps = [np.asarray(a) for a in (initial, simulated, reference)]
    shapes = {name: m.shape for name, m in zip(MAP_NAMES, maps, strict=True)}
    if len(set(shapes.values())) > 1:
        raise InputError("maps of different shapes: " + ", ".join(
            f"{labels[name]} {shape}" for name, shape in shapes.items()))
    codes = [int(c) for c in codes]
    k = len(codes)
    index = [class_index(m, codes, nodata=nodata, valid=valid, label=labels[name])
             for name, m in zip(MAP_NAMES, maps, strict=True)]
    ini_index, sim_index, ref_index = index
    table = crosstab3(ini_index, sim_index, ref_index, k)
    cells = int(table.sum())
    if cells == 0:
        raise InputError("no cell is compared: every cell is nodata (or outside the mask) in at "
                         "least one of " + ", ".join(labels.values()))
    confusion = table.sum(axis=0)
    parts = disagreement(confusion)
    accuracy = accuracy_by_class(confusion)
    gains = gain_budget(table)
    result: dict[str, Any] = {
        "kappa": kappa(confusion),
        "kappa_location": kappa_location(confusion),
        "kappa_histo": kappa_histo(confusion),
        **kappa_simulation(table),
        **figure_of_merit(table),
        "overall_agreement": parts["overall_agreement"],
        "quantity_disagreement": parts["quantity"],
        "allocation_disagreement": parts["allocation"],
    }
    result["cells"] = cells
    result["codes"] = codes
    result["confusion"] = confusion.tolist()
    shares_ref = confusion.sum(axis=0) / cells
    shares_sim = confusion.sum(axis=1) / cells
    result["per_class"] = [
        {"lucode": code, "name": (names or {}).get(code, str(code)),
         "reference_share": float(shares_ref[g]), "simulated_share": float(shares_sim[g]),
         "producer_accuracy": float(accuracy["producer_accuracy"][g]),
         "user_accuracy": float(accuracy["user_accuracy"][g]),
         "quantity_disagreement": float(parts["quantity_by_class"][g]),
         "allocation_disagreement": float(parts["allocation_by_class"][g]),
         **{key: float(values[g]) for key, values in gains.items()}}
        for g, code in enumerate(codes)]
    rows = []
    for factor in resolutions:
        if factor == 1:  # the crisp cell budget (multi_resolution at 1 gives the same numbers)
            rows.append({"resolution": 1, "blocks": cells,
                         "agreement": result["overall_agreement"],
                         "quantity_disagreement": result["quantity_disagreement"],
                         "allocation_disagreement": result["allocation_disagreement"],
                         **{key: result[key] for key in (
                             "figure_of_merit", "hits", "misses", "wrong_hits", "false_alarms",
                             "correct_rejections")}})
        else:
            if ini_index.ndim != 2:
                raise InputError(f"resolution {factor}: a multi-resolution comparison needs 2-D "
                                 f"maps, got shape {ini_index.shape}")
            rows.append(_resolution_row(ini_index, sim_index, ref_index, table, factor))
    result["resolutions"] = rows
    return result


def jsonable(result: Mapping[str, Any]) -> dict[str, Any]:
    """``result`` with NaN replaced by None and numpy numbers by Python numbers (for JSON)."""

    def clean(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(item) for item in value]
        if isinstance(value, np.ndarray):
            return clean(value.tolist())
        if isinstance(value, (np.integer,)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return None if np.isnan(value) else float(value)
        return value

    return clean(dict(result))


# ---------------------------------------------------------------------------------------------
# as a table (for model outputs)
# ---------------------------------------------------------------------------------------------

#: per-class fields of :func:`validate` that become rows of :func:`result_table`
_CLASS_FIELDS = ("reference_share", "simulated_share", "producer_accuracy", "user_accuracy",
                 "quantity_disagreement", "allocation_disagreement", "gain_figure_of_merit",
                 "gain_hits", "gain_misses", "gain_wrong_hits", "gain_false_alarms")
#: per-resolution fields of :func:`validate` that become rows of :func:`result_table`
_RESOLUTION_FIELDS = ("agreement", "quantity_disagreement", "allocation_disagreement",
                      "figure_of_merit", "hits", "misses", "wrong_hits", "false_alarms",
                      "correct_rejections")


def result_table(result: Mapping[str, Any]) -> pd.DataFrame:
    """A :func:`validate` result as one long table.

    Returns
    -------
    pandas.DataFrame
        Columns ``metric`` (str: a key of :data:`SCALAR_KEYS`, ``cells``, a per-class field or a
        per-resolution field), ``resolution`` (int: block size in cells, 1 for map-wide and
        per-class rows), ``lucode`` (nullable int: the class of per-class rows, missing otherwise),
        ``name`` (str: class name, empty otherwise) and ``value`` (float: shares of the compared
        cells or dimensionless ratios; NaN when undefined). Map-wide rows first (in
        :data:`SCALAR_KEYS` order), then per class, then per resolution above 1.
    """
    import pandas as pd

    rows: list[tuple[str, int, int | None, str, float]] = [
        (key, 1, None, "", float(result[key])) for key in SCALAR_KEYS]
    rows.append(("cells", 1, None, "", float(result["cells"])))
    for entry in result["per_class"]:
        rows += [(field, 1, int(entry["lucode"]), str(entry["name"]), float(entry[field]))
                 for field in _CLASS_FIELDS]
    for entry in result["resolutions"]:
        if entry["resolution"] == 1:
            continue
        rows += [(field, int(entry["resolution"]), None, "", float(entry[field]))
                 for field in _RESOLUTION_FIELDS]
    table = pd.DataFrame(rows, columns=["metric", "resolution", "lucode", "name", "value"])
    table["lucode"] = table["lucode"].astype("Int64")
    return table


def validation_table(initial: ArrayLike, simulated: ArrayLike, reference: ArrayLike,
                     codes: Sequence[int], resolutions: Sequence[int] = (1,), *,
                     valid: ArrayLike | None = None, nodata: float | None = None,
                     names: Mapping[int, str] | None = None,
                     labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """:func:`validate` as a table (:func:`result_table`), e.g. for a model's ``validation``
    output; the arguments are those of :func:`validate`.

    Examples
    --------
    >>> import numpy as np
    >>> start = np.array([[1, 1, 2, 2]])
    >>> table = validation_table(start, np.array([[1, 2, 2, 2]]), np.array([[2, 2, 2, 2]]), [1, 2])
    >>> float(table.set_index("metric").loc["figure_of_merit", "value"])
    0.5
    """
    return result_table(validate(initial, simulated, reference, codes, resolutions, valid=valid,
                                 nodata=nodata, names=names, labels=labels))
