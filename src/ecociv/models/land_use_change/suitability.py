r"""Suitability of every cell for every land-use class, learned from driver rasters.

One binary model per class (class ``k`` against everything else), as PLUS's Land Expansion
Analysis Strategy (LEAS; Liang et al. 2021, Comput. Environ. Urban Syst. 85:101569):

* with two maps (``final`` given) the positives of class ``k`` are the cells that **became** ``k``
  (``initial != k`` and ``final == k``) and the negatives all other valid cells, so the model learns
  where the class *expands*;
* with one map the positives are the cells that *are* ``k`` (the current pattern).

Positives and negatives are sampled in equal numbers (balanced, seeded), 70 % of the sample trains
the model and 30 % is held out to score it (ROC AUC). Drivers are standardised with the mean and
standard deviation over the valid cells (over a seeded sample of one million of them on larger
grids); a missing driver value (NaN) is replaced by the mean (0 after
standardisation) both in training and in prediction.

Methods: ``"logistic"`` (:class:`sklearn.linear_model.LogisticRegression`), ``"random_forest"``
(:class:`sklearn.ensemble.RandomForestClassifier` per class; PLUS uses a random forest with 20
trees by default) and ``"random_forest_shared"`` (one multi-class forest for all classes, whose
label probabilities are turned into each class's "against the rest" probability: 2-3 times
less prediction CPU for 7 classes; see :func:`_fit_shared`).

Driver contributions: for the logistic model the share of each driver's absolute standardised
coefficient, :math:`|\beta_j| / \sum_i |\beta_i|`; for the random forest the mean decrease in
impurity (``feature_importances_``), or with ``importance="permutation"`` the drop of held-out AUC
when the driver is shuffled (Breiman 2001, Machine Learning 45:5-32), clipped at 0 and normalised
to sum to 1; for the shared forest the drop of each class's held-out AUC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special
from sklearn.ensemble import RandomForestClassifier
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from ecociv.errors import InputError
from ecociv.models.land_use_change.demand import _check_codes, _code_index

__all__ = ["METHODS", "SuitabilityFit", "fit_suitability"]

METHODS = ("logistic", "random_forest", "random_forest_shared")

#: Fewest positive cells a class needs to get a model; with fewer its suitability is 0 everywhere.
MIN_POSITIVES = 10

_TEST_SHARE = 0.3

#: Cells predicted at a time (the temporaries of one block: about 25 MB at 7 classes and
#: 5 drivers).
_PREDICT_CELLS = 1 << 18

#: Valid cells (at most) over which the drivers' mean and standard deviation are computed.
_STAT_CELLS = 1_000_000


class _ArrayDrivers:
    """An in-memory driver stack (d, ny, nx) behind the interface of :class:`drivers.Drivers`."""

    def __init__(self, stack: NDArray[Any]) -> None:
        self.stack = stack
        self.shape = stack.shape
        self.ndim = stack.ndim

    def band_rows(self) -> int:
        return max(1, 1_000_000 // max(self.shape[2], 1))

    def rows(self, r0: int, r1: int) -> NDArray[Any]:
        return self.stack[:, r0:r1, :]

    def take(self, flat: NDArray[np.intp]) -> NDArray[Any]:
        return self.stack.reshape(self.shape[0], -1)[:, flat]


def _source(drivers: Any) -> Any:
    """Drivers as an object with ``shape``, ``rows``, ``take`` and ``band_rows``."""
    if hasattr(drivers, "take") and hasattr(drivers, "rows"):
        return drivers
    return _ArrayDrivers(np.asarray(drivers))


@dataclass
class SuitabilityFit:
    """Fitted per-class suitability models.

    Attributes
    ----------
    codes : list of int
        Class codes, in the order of the predicted bands.
    driver_names : list of str
    method : str
        ``"logistic"`` or ``"random_forest"``.
    mean, scale : numpy.ndarray, shape (d,)
        Standardisation of each driver (driver units).
    models : list
        One fitted scikit-learn classifier per class, or None for a class with fewer than
        :data:`MIN_POSITIVES` positive cells (suitability 0).
    contributions : pandas.DataFrame
        ``lucode, driver, contribution, method``; contributions >= 0 summing to 1 per class with a model.
    scores : pandas.DataFrame
        ``lucode, auc, n_train, n_test, n_positive, trained_on`` (held-out ROC AUC; NaN without a model).
    """

    codes: list[int]
    driver_names: list[str]
    method: str
    mean: NDArray[np.float64]
    scale: NDArray[np.float64]
    models: list[Any]
    contributions: pd.DataFrame
    scores: pd.DataFrame
    _coef: NDArray[np.float64] | None = field(default=None, repr=False)
    _intercept: NDArray[np.float64] | None = field(default=None, repr=False)
    _shared: tuple[Any, NDArray[np.float64], NDArray[np.intp]] | None = field(default=None, repr=False)

    def _design(self, block: NDArray[Any]) -> NDArray[np.float32]:
        """(d, n) driver values -> (n, d) standardised float32 with NaN -> 0 (the training layout)."""
        return np.ascontiguousarray(self._standardise(block).T)

    def _standardise(self, block: NDArray[Any]) -> NDArray[np.float32]:
        """(d, n) driver values -> (d, n) standardised float32 with NaN -> 0."""
        x = np.asarray(block, dtype=np.float32) - self.mean.astype(np.float32)[:, None]
        x /= self.scale.astype(np.float32)[:, None]
        np.nan_to_num(x, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        return x

    def _predict_block(self, block: NDArray[Any]) -> NDArray[np.float32]:
        """(d, n) driver values -> (k, n) probabilities."""
        x = self._standardise(block)
        k = len(self.codes)
        out = np.zeros((k, x.shape[1]), dtype=np.float32)
        if self.method == "logistic" and self._coef is not None and self._intercept is not None:
            z = self._coef.astype(np.float32) @ x
            z += self._intercept.astype(np.float32)[:, None]
            special.expit(z, out=out)
            for i, m in enumerate(self.models):
                if m is None:
                    out[i] = 0.0
            return out
        # scikit-learn's tree traversal (one tree over all cells at a time, Cython, no GIL); a
        # compiled per-cell loop over the flattened forests was tried and was not faster
        rows = np.ascontiguousarray(x.T)
        if self._shared is not None:
            model, mix, cols = self._shared
            return _shared_scores(model.predict_proba(rows), mix, cols).astype(np.float32)
        for i, m in enumerate(self.models):
            if m is not None:
                out[i] = m.predict_proba(rows)[:, 1]
        return out

    def predict(
        self, drivers: Any, valid: ArrayLike | None = None, chunk_rows: int | None = None,
        *, out: NDArray[np.float32] | None = None, bands: Sequence[int] | None = None,
    ) -> NDArray[np.float32]:
        """Probability of each class in each cell.

        Parameters
        ----------
        drivers : array_like, shape (d, ny, nx), or drivers.Drivers
            Same drivers (same order and units) as in the fit; NaN = missing (mean used). A
            :class:`~ecociv.models.land_use_change.drivers.Drivers` is read band by band.
        valid : array_like of bool, shape (ny, nx), optional
            Cells to predict; others get 0.
        chunk_rows : int, optional
            Rows of the grid per block (default: the drivers' read bands, about one million
            cells). Memory per block is about ``chunk_rows * nx * (2 d + 2 k) * 4`` bytes.
        out : numpy.ndarray of float32, shape (k, ny, nx), optional
            Written into (no new array); cells outside ``valid`` are left as they are.
        bands : sequence of int, optional
            Only these bands (class positions) are written (default: all).

        Returns
        -------
        numpy.ndarray of float32, shape (k, ny, nx)
            Probabilities in [0, 1], bands in the order of ``codes`` (``out`` when given).
        """
        src = _source(drivers)
        if src.ndim != 3 or src.shape[0] != len(self.driver_names):
            raise InputError(
                f"drivers must have shape ({len(self.driver_names)}, ny, nx) for {self.driver_names}, got {src.shape}",
                source="drivers",
            )
        _, ny, nx = src.shape
        v = None if valid is None else np.asarray(valid, dtype=bool)
        if v is not None and v.shape != (ny, nx):
            raise InputError(f"mask shape {v.shape} differs from the drivers' {(ny, nx)}", source="valid")
        rows = chunk_rows if chunk_rows is not None else src.band_rows()
        if int(rows) < 1:
            raise InputError(f"chunk_rows must be >= 1, got {chunk_rows!r}", source="chunk_rows")
        k = len(self.codes)
        if out is None:
            out = np.zeros((k, ny, nx), dtype=np.float32)
        elif out.shape != (k, ny, nx) or out.dtype != np.float32 or not out.flags.c_contiguous:
            raise InputError(f"out must be a C-ordered float32 array of shape {(k, ny, nx)}",
                             source="out")
        chosen = list(range(k)) if bands is None else [int(b) for b in bands]
        for r0 in range(0, ny, int(rows)):
            r1 = min(ny, r0 + int(rows))
            sel = None if v is None else v[r0:r1].ravel()
            if sel is not None and not sel.any():
                continue
            block = src.rows(r0, r1).reshape(src.shape[0], -1)
            cells = np.arange(block.shape[1]) if sel is None else np.flatnonzero(sel)
            # the model's temporaries ((2 d + 2 k) floats per cell) over at most
            # _PREDICT_CELLS cells at a time, whatever the band read
            for s0 in range(0, cells.size, _PREDICT_CELLS):
                part = cells[s0:s0 + _PREDICT_CELLS]
                probs = self._predict_block(block[:, part])
                for b in chosen:
                    view = out[b, r0:r1, :].reshape(-1)   # a view: rows of a C-ordered band
                    view[part] = probs[b]
                del probs
            del block
        return out


def _sample_cells(mask: NDArray[np.bool_], n: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Up to ``n`` distinct flat indices where ``mask`` is True, drawn at random.

    Small sets are listed and drawn without replacement; large ones (more than 2 million cells)
    by rejection (uniform candidates kept where the mask holds), so a 25-million-cell grid never
    needs an index array of all its cells."""
    count = int(np.count_nonzero(mask))
    if count <= max(4 * n, 2_000_000):
        idx = np.flatnonzero(mask)
        return idx if idx.size <= n else np.sort(rng.choice(idx, size=n, replace=False))
    got = np.zeros(0, dtype=np.intp)
    while got.size < n:
        draw = int(1.2 * (n - got.size) * mask.size / count) + 16
        cand = rng.integers(0, mask.size, size=draw)
        got = np.unique(np.concatenate([got, cand[mask[cand]]]))
    return np.sort(rng.choice(got, size=n, replace=False))


def _balanced_sample(
    positive: NDArray[np.bool_], valid: NDArray[np.bool_], n_samples: int, rng: np.random.Generator
) -> tuple[NDArray[np.intp], NDArray[np.int8]]:
    """Equal numbers of positive and negative valid cells (flat indices) and their labels."""
    pos_mask = positive & valid
    neg_mask = valid & ~positive
    n = min(n_samples // 2, int(np.count_nonzero(pos_mask)), int(np.count_nonzero(neg_mask)))
    take_pos = _sample_cells(pos_mask, n, rng)
    take_neg = _sample_cells(neg_mask, n, rng)
    idx = np.concatenate([take_pos, take_neg])
    y = np.concatenate([np.ones(take_pos.size, np.int8), np.zeros(take_neg.size, np.int8)])
    return idx, y


def _split(y: NDArray[Any], rng: np.random.Generator) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Stratified 70/30 split of sample positions."""
    train, test = [], []
    for label in np.unique(y):
        pos = rng.permutation(np.flatnonzero(y == label))
        n_test = round(_TEST_SHARE * pos.size)
        test.append(pos[:n_test])
        train.append(pos[n_test:])
    return np.concatenate(train), np.concatenate(test)


def fit_suitability(
    drivers: Any,
    driver_names: Sequence[str],
    initial: ArrayLike,
    codes: Sequence[int],
    *,
    final: ArrayLike | None = None,
    method: str = "logistic",
    n_samples: int = 20000,
    seed: int = 0,
    valid: ArrayLike | None = None,
    n_estimators: int = 20,
    max_depth: int | None = 12,
    importance: str = "impurity",
    n_jobs: int | None = None,
) -> SuitabilityFit:
    """Fit one suitability model per class.

    Parameters
    ----------
    drivers : array_like, shape (d, ny, nx), or drivers.Drivers
        Driver rasters (float; NaN = missing), e.g. elevation (m), slope (degree), distances (m);
        a :class:`~ecociv.models.land_use_change.drivers.Drivers` is read only at the sampled
        cells (one pass over its rows for all classes).
    driver_names : sequence of str
        One name per driver.
    initial : array_like of int, shape (ny, nx)
        Class map at the first date.
    codes : sequence of int
        Class codes (bands of the prediction, in this order).
    final : array_like of int, shape (ny, nx), optional
        Class map at the second date: train on the cells that changed into each class (LEAS).
    method : {"logistic", "random_forest"}
    n_samples : int
        Sample size per class (half positives, half negatives; fewer if a class has fewer cells).
    seed : int
        Seed of the sampling, the split and the random forest.
    valid : array_like of bool, optional
        Cells inside the region.
    n_estimators, max_depth : int
        Random forest size (trees; depth, None = unlimited).
    importance : {"impurity", "permutation"}
        Random-forest contributions: mean decrease in impurity, or permutation of held-out AUC.
    n_jobs : int, optional
        Threads of the random forest (fit and predict).

    Returns
    -------
    SuitabilityFit

    Raises
    ------
    InputError
        Shapes that do not match, an unknown class code in a map, an unknown method, a driver that
        is missing (NaN) in every valid cell, too few samples.
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; expected one of {list(METHODS)}", source="method")
    if importance not in ("impurity", "permutation"):
        raise InputError(f"importance must be 'impurity' or 'permutation', got {importance!r}", source="importance")
    if int(n_samples) < 20:
        raise InputError(f"n_samples must be >= 20, got {n_samples!r}", source="n_samples")
    codes_l = _check_codes(codes)
    src = _source(drivers)
    names = [str(n) for n in driver_names]
    if src.ndim != 3:
        raise InputError(f"drivers must have shape (d, ny, nx), got {src.shape}", source="drivers")
    if len(names) != src.shape[0] or len(set(names)) != len(names):
        raise InputError(f"need {src.shape[0]} distinct driver names, got {names}", source="driver_names")
    d, ny, nx = src.shape
    lu0 = np.asarray(initial)
    if lu0.shape != (ny, nx):
        raise InputError(f"map shape {lu0.shape} differs from the drivers' {(ny, nx)}", source="initial")
    lu1 = None if final is None else np.asarray(final)
    if lu1 is not None and lu1.shape != (ny, nx):
        raise InputError(f"map shape {lu1.shape} differs from the drivers' {(ny, nx)}", source="final")
    v = np.ones((ny, nx), bool) if valid is None else np.asarray(valid, dtype=bool)
    if v.shape != (ny, nx):
        raise InputError(f"mask shape {v.shape} differs from the drivers' {(ny, nx)}", source="valid")
    vflat = v.ravel()
    if not vflat.any():
        raise InputError("no valid cell", source="valid")
    rng = np.random.default_rng(seed)

    # class index per cell (int16, -1 outside the region)
    idx0 = np.full(ny * nx, -1, dtype=np.int16)
    idx0[vflat] = _code_index(lu0.ravel()[vflat], codes_l, "initial")
    idx1 = None
    if lu1 is not None:
        idx1 = np.full(ny * nx, -1, dtype=np.int16)
        idx1[vflat] = _code_index(lu1.ravel()[vflat], codes_l, "final")

    # standardisation: mean and standard deviation over (a sample of up to 1 million) valid cells
    stat_idx = _sample_cells(vflat, _STAT_CELLS, rng)
    trained_on = "growth" if idx1 is not None else "current"
    plans: list[_Plan | None] = []
    if method != "random_forest_shared":
        # every class's sample is drawn first, in the order the fit consumes the generator, so
        # the drivers are read once for all of them (a lazy raster: one pass over its rows)
        for ci in range(len(codes_l)):
            positive = (idx1 == ci) & (idx0 != ci) if idx1 is not None else idx0 == ci
            plans.append(_plan(positive, vflat, int(n_samples), rng, method, importance))
    taken = _Taken(src, [stat_idx] + [p.idx for p in plans if p is not None])
    mean = np.empty(d)
    scale = np.empty(d)
    stats = taken.at(stat_idx)
    for j in range(d):
        vals = np.asarray(stats[j], dtype=np.float64)
        finite = np.isfinite(vals)
        if not finite.any():
            vals = _valid_values(src, j, v)
            finite = np.isfinite(vals)
        if not finite.any():
            raise InputError("driver has no value in any valid cell (all NaN)", source="drivers", where=names[j])
        mean[j] = vals[finite].mean()
        sd = vals[finite].std()
        scale[j] = sd if sd > 0 else 1.0
    del stats

    fit = SuitabilityFit(codes_l, names, method, mean, scale, [], pd.DataFrame(), pd.DataFrame())
    if method == "random_forest_shared":
        return _fit_shared(fit, src, idx0, idx1, vflat, int(n_samples), rng, int(n_estimators), max_depth, n_jobs)
    contrib_rows: list[tuple[int, str, float, str]] = []
    score_rows: list[tuple[int, float, int, int, int, str]] = []
    coefs = np.zeros((len(codes_l), d))
    intercepts = np.zeros(len(codes_l))
    for ci, (code, plan) in enumerate(zip(codes_l, plans, strict=True)):
        if plan is None or plan.idx.size == 0 or plan.n_pos < MIN_POSITIVES \
                or (plan.y == 0).sum() < MIN_POSITIVES:
            fit.models.append(None)
            score_rows.append((code, float("nan"), 0, 0, 0 if plan is None else plan.n_pos,
                               trained_on))
            continue
        idx, y, train, test = plan.idx, plan.y, plan.train, plan.test
        x = fit._design(taken.at(idx))
        model: Any
        if method == "logistic":
            model = LogisticRegression(C=1.0, max_iter=1000)
        else:
            model = RandomForestClassifier(
                n_estimators=int(n_estimators),
                max_depth=max_depth,
                min_samples_leaf=5,
                random_state=plan.forest_seed,
                n_jobs=n_jobs,
            )
        model.fit(x[train], y[train])
        auc = float(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
        fit.models.append(model)
        score_rows.append((code, auc, int(train.size), int(test.size), plan.n_pos, trained_on))
        if method == "logistic":
            coefs[ci] = model.coef_[0]
            intercepts[ci] = model.intercept_[0]
            weight = np.abs(model.coef_[0])
            how = "abs_standardised_coefficient"
        elif importance == "impurity":
            weight = np.asarray(model.feature_importances_, dtype=np.float64)
            how = "mean_decrease_impurity"
        else:
            perm = permutation_importance(
                model, x[test], y[test], scoring="roc_auc", n_repeats=5, random_state=plan.permutation_seed
            )
            weight = np.maximum(np.asarray(perm.importances_mean, dtype=np.float64), 0.0)
            how = "permutation_auc"
        total = weight.sum()
        share = weight / total if total > 0 else np.full(d, 1.0 / d)
        contrib_rows += [(code, names[j], float(share[j]), how) for j in range(d)]
    if method == "logistic":
        fit._coef = coefs
        fit._intercept = intercepts
    fit.contributions = pd.DataFrame(contrib_rows, columns=["lucode", "driver", "contribution", "method"])
    fit.scores = pd.DataFrame(score_rows, columns=["lucode", "auc", "n_train", "n_test", "n_positive", "trained_on"])
    return fit


@dataclass
class _Plan:
    """One class's sample (flat cell indices and labels), its train/test split and the seeds
    of its forest and permutations."""

    idx: NDArray[np.intp]
    y: NDArray[np.int8]
    n_pos: int
    train: NDArray[np.intp]
    test: NDArray[np.intp]
    forest_seed: int | None
    permutation_seed: int | None


def _plan(positive: NDArray[np.bool_], vflat: NDArray[np.bool_], n_samples: int,
          rng: np.random.Generator, method: str, importance: str) -> _Plan | None:
    """Draw a class's sample, split and seeds (None: too few positives or negatives)."""
    idx, y = _balanced_sample(positive, vflat, n_samples, rng)
    n_pos = int(y.sum())
    if n_pos < MIN_POSITIVES or (y == 0).sum() < MIN_POSITIVES:
        return _Plan(np.zeros(0, np.intp), y, n_pos, idx[:0], idx[:0], None, None)
    train, test = _split(y, rng)
    forest = None if method == "logistic" else int(rng.integers(2**31 - 1))
    permutation = (int(rng.integers(2**31 - 1))
                   if method == "random_forest" and importance == "permutation" else None)
    return _Plan(idx, y, n_pos, train, test, forest, permutation)


class _Taken:
    """Driver values at the union of several sets of cells, read in one pass."""

    def __init__(self, src: Any, parts: Sequence[NDArray[np.intp]]) -> None:
        self.cells = (np.unique(np.concatenate([np.asarray(p, np.intp) for p in parts]))
                      if parts else np.zeros(0, np.intp))
        self.values = src.take(self.cells)

    def at(self, idx: NDArray[np.intp]) -> NDArray[Any]:
        """(d, n) values at the flat indices ``idx`` (each one of the cells read)."""
        return self.values[:, np.searchsorted(self.cells, idx)]


def _valid_values(src: Any, j: int, valid: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Driver ``j`` over every valid cell (float64), band by band."""
    step = src.band_rows()
    parts = [np.asarray(src.rows(r0, min(src.shape[1], r0 + step))[j], dtype=np.float64)[
        valid[r0:r0 + step]] for r0 in range(0, src.shape[1], step)]
    return np.concatenate(parts)


def _shared_scores(proba: NDArray[np.float64], mix: NDArray[np.float64], cols: NDArray[np.intp]) -> NDArray[np.float64]:
    """Per-class suitability (k, n) from the shared forest's label probabilities (n, L).

    ``s_c = P(c) / (P(c) + sum_j mix[j, c] P(j))``: the posterior of "c against the rest" with equal
    priors, the rest being the mixture of the other labels in their proportions among the valid
    cells (``mix``); classes without a label (``cols[c] < 0``) get 0."""
    k = cols.size
    out = np.zeros((k, proba.shape[0]))
    rest = proba @ mix  # (n, k)
    for c in range(k):
        if cols[c] < 0:
            continue
        num = proba[:, cols[c]]
        den = num + rest[:, c]
        out[c] = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return out


def _fit_shared(
    fit: SuitabilityFit,
    src: Any,
    idx0: NDArray[np.int16],
    idx1: NDArray[np.int16] | None,
    vflat: NDArray[np.bool_],
    n_samples: int,
    rng: np.random.Generator,
    n_estimators: int,
    max_depth: int | None,
    n_jobs: int | None,
) -> SuitabilityFit:
    """One multi-class forest for all classes (``method="random_forest_shared"``).

    Labels: with two maps 0 = the cell became no other class, ``c + 1`` = became class ``c``;
    with one map ``c + 1`` = is class ``c``. Up to ``n_samples // 2`` cells of every label are
    drawn and weighted to equal totals, so the forest's label probabilities have equal priors;
    :func:`_shared_scores` turns them into the per-class "c against the rest" probability the
    per-class forests estimate. Prediction walks ``n_estimators`` trees instead of ``k`` times as
    many. Contributions: drop of each class's held-out AUC when a driver is shuffled (3 repeats)."""
    k = len(fit.codes)
    d = src.shape[0]
    if idx1 is not None:
        label = np.where((idx1 != idx0) & (idx1 >= 0), idx1.astype(np.int32) + 1, 0)
        trained_on = "growth"
    else:
        label = idx0.astype(np.int32) + 1
        trained_on = "current"
    counts = np.bincount(label[vflat], minlength=k + 1)
    labels = [j for j in range(k + 1) if counts[j] >= MIN_POSITIVES]
    if len(labels) < 2:
        raise InputError("fewer than two labels with enough cells to fit a shared forest", source="initial")
    picks = [_sample_cells(vflat & (label == j), n_samples // 2, rng) for j in labels]
    idx = np.concatenate(picks)
    y = np.concatenate([np.full(p.size, j, dtype=np.int32) for j, p in zip(labels, picks, strict=True)])
    weight = np.concatenate([np.full(p.size, max(q.size for q in picks) / p.size) for p in picks])
    x = fit._design(src.take(idx))
    train, test = _split(y, rng)
    model = RandomForestClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        min_samples_leaf=5,
        random_state=int(rng.integers(2**31 - 1)),
        n_jobs=n_jobs,
    )
    model.fit(x[train], y[train], sample_weight=weight[train])
    classes = [int(c) for c in model.classes_]
    cols = np.array([classes.index(c + 1) if (c + 1) in classes else -1 for c in range(k)], dtype=np.intp)
    mix = np.zeros((len(classes), k))
    for c in range(k):
        others = [i for i, lab in enumerate(classes) if lab != c + 1]
        total = float(sum(counts[classes[i]] for i in others))
        for i in others:
            mix[i, c] = counts[classes[i]] / total if total > 0 else 0.0
    fit._shared = (model, mix, cols)
    fit.models = [model if cols[c] >= 0 else None for c in range(k)]

    def aucs(xt: NDArray[np.float32]) -> NDArray[np.float64]:
        sc = _shared_scores(model.predict_proba(xt), mix, cols)
        out = np.full(k, np.nan)
        for c in range(k):
            truth = y[test] == c + 1
            if cols[c] >= 0 and truth.any() and not truth.all():
                out[c] = roc_auc_score(truth, sc[c])
        return out

    base = aucs(x[test])
    drops = np.zeros((d, k))
    for j in range(d):
        for _ in range(3):
            xt = x[test].copy()
            xt[:, j] = xt[rng.permutation(xt.shape[0]), j]
            drops[j] += (base - aucs(xt)) / 3.0
    contrib_rows: list[tuple[int, str, float, str]] = []
    score_rows: list[tuple[int, float, int, int, int, str]] = []
    for c, code in enumerate(fit.codes):
        n_pos = int((y == c + 1).sum())
        score_rows.append((code, float(base[c]), int(train.size), int(test.size), n_pos, trained_on))
        if cols[c] < 0:
            continue
        w = np.maximum(np.nan_to_num(drops[:, c]), 0.0)
        share = w / w.sum() if w.sum() > 0 else np.full(d, 1.0 / d)
        contrib_rows += [(code, fit.driver_names[j], float(share[j]), "permutation_auc_shared") for j in range(d)]
    fit.contributions = pd.DataFrame(contrib_rows, columns=["lucode", "driver", "contribution", "method"])
    fit.scores = pd.DataFrame(score_rows, columns=["lucode", "auc", "n_train", "n_test", "n_positive", "trained_on"])
    return fit
