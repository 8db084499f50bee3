r"""Land-use demand: how much area each class should cover in each year and zone.

Demand comes from a Markov chain fitted on two maps (:func:`demand_from_markov`), from target
areas (:func:`demand_from_targets`), from annual growth rates (:func:`demand_from_rates`, with a
published default for cropland), and is then changed by scenario levers (:func:`apply_levers`).
:func:`check_feasible` compares it with the cells the allocation may use.

Orientation of every matrix in this module: **rows = from (class at the start), columns = to
(class at the end)**, in the order of ``codes``. A row-stochastic matrix :math:`P` therefore moves
an area row vector forward by :math:`a_{t+1} = a_t P`.

A *Demand* is a :class:`pandas.DataFrame` with columns ``year`` (int), ``zone`` (str, ``"all"`` =
the whole region), ``lucode`` (int) and ``area_km2`` (float). Within one (year, zone) the areas of
all classes sum to the zone's area: every change of one class is balanced by another (the
*absorbing* class, unused land/desert by default, see :data:`DEFAULT_ABSORBER`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import linalg

from ecociv.errors import InputError

__all__ = [
    "ARTIFICIAL_OASIS_CLASSES",
    "DEFAULT_ABSORBER",
    "DEMAND_COLUMNS",
    "LEVER_KEYS",
    "MANAS_CROPLAND_GROWTH_PCT_PER_YR",
    "NATURAL_OASIS_CLASSES",
    "Annualised",
    "annualise",
    "apply_levers",
    "areas_from_map",
    "check_feasible",
    "demand_from_markov",
    "demand_from_rates",
    "demand_from_targets",
    "demand_to_cells",
    "project_areas",
    "transition_counts",
    "transition_matrix",
    "validate_demand",
]

#: Columns of a Demand table.
DEMAND_COLUMNS = ("year", "zone", "lucode", "area_km2")

#: Class that balances every change so that each (year, zone) keeps its total area: unused land /
#: desert (Belt class 6). Configurable in every builder (``absorber=``).
DEFAULT_ABSORBER = 6

#: Artificial oasis (人工绿洲) in the Belt's class table: cropland (1) and built-up land (5).
#: Natural oasis (天然绿洲): forest and shrubland (2), grassland (3) and water (4). Definition as used
#: for the Turpan–Hami basin (natural oasis = forest, shrubland, grassland, water bodies; artificial
#: oasis = cropland and built-up; bare land, snow and ice = non-oasis), citing Guo et al. 2016 and
#: Wang et al. 2021 (Authorea preprint 687356, section 2.1; the two original papers were not read).
#: Other Xinjiang studies count shelter forests as artificial oasis (Sustainability 10:1957, 2018,
#: Introduction); with a 7-class map they cannot be told from natural forest, so forest is natural.
ARTIFICIAL_OASIS_CLASSES: tuple[int, ...] = (1, 5)
NATURAL_OASIS_CLASSES: tuple[int, ...] = (2, 3, 4)

#: Cultivated-land growth of the Manas River Basin, %/yr compounded: +34.91 % (+2036.53 km2)
#: from 1980 to 2020 (Lee et al. 2023, Land 12(8):1487, section 3.1.1 and Table 4), i.e.
#: 1.3491 ** (1/40) - 1 = 0.751 %/yr (about 51 km2/yr). A published regional rate offered as a
#: default for :func:`demand_from_rates`; it is a basin's history, not a forecast for other zones.
MANAS_CROPLAND_GROWTH_PCT_PER_YR = 100.0 * (1.3491 ** (1.0 / 40.0) - 1.0)

#: Lever keys understood by :func:`apply_levers`, in the order they are applied.
LEVER_KEYS = (
    "urban_growth_rate",
    "construction_land_cap",
    "cropland_reduction",
    "natural_oasis_restoration",
    "oasis_area_cap",
)

#: Where cropland reduction may take its cells; the allocation reads it (demand only passes it on).
CROPLAND_REDUCTION_WHERE = ("low_suitability", "ecotone", "overdraft", "any")

_ROW_TOL = 1e-6
_ROOT_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# transition counts and matrices


def _code_index(values: NDArray[Any], codes: Sequence[int], name: str) -> NDArray[np.int16]:
    """Index (int16) of each value in ``codes``; InputError naming the first unknown code.

    Integer maps with codes in 0..65535 go through a lookup table (one pass, 2 bytes per cell);
    other inputs through a sorted search."""
    code_arr = np.asarray(codes, dtype=np.int64)
    vals = np.asarray(values)
    bad_value: Any = None
    if vals.dtype.kind in "ui" and vals.size and code_arr.min() >= 0:
        lo, hi = int(vals.min()), int(vals.max())
        if lo >= 0 and hi < 65536:
            lut = np.full(max(hi, int(code_arr.max())) + 1, -1, dtype=np.int16)
            lut[code_arr] = np.arange(code_arr.size, dtype=np.int16)
            out = lut[vals]
            unknown = out < 0
            if unknown.any():
                bad_value = vals.ravel()[int(np.flatnonzero(unknown.ravel())[0])]
            else:
                return out
    if bad_value is None:
        order = np.argsort(code_arr, kind="stable")
        sorted_codes = code_arr[order]
        flat = vals.astype(np.int64, copy=False)
        pos = np.minimum(np.searchsorted(sorted_codes, flat), len(sorted_codes) - 1)
        known = sorted_codes[pos] == flat
        if known.all():
            return order[pos].astype(np.int16)
        bad_value = flat.ravel()[int(np.flatnonzero(~known.ravel())[0])]
    raise InputError(
        f"class code {int(bad_value)} is not in the class table (known codes: "
        f"{', '.join(str(int(c)) for c in code_arr)})",
        source=name,
    )


def _check_codes(codes: Sequence[int]) -> list[int]:
    out = [int(c) for c in codes]
    if not out:
        raise InputError("no class codes given", source="codes")
    if len(set(out)) != len(out):
        raise InputError(f"class codes repeat: {out}", source="codes")
    return out


def transition_counts(
    initial: ArrayLike, final: ArrayLike, codes: Sequence[int], valid: ArrayLike | None = None
) -> NDArray[np.int64]:
    """Cells that went from each class to each class between two maps.

    Parameters
    ----------
    initial, final : array_like of int, shape (ny, nx)
        Class maps at the first and the second date (same grid).
    codes : sequence of int
        Class codes; they fix the order of rows and columns.
    valid : array_like of bool, shape (ny, nx), optional
        Cells to count (inside the region, not nodata). Default: every cell.

    Returns
    -------
    numpy.ndarray of int64, shape (k, k)
        ``counts[i, j]`` = number of valid cells of class ``codes[i]`` in ``initial`` **(row =
        from)** and of class ``codes[j]`` in ``final`` **(column = to)**.

    Raises
    ------
    InputError
        Maps on different shapes, or a valid cell holding a code not in ``codes``.
    """
    codes_l = _check_codes(codes)
    a = np.asarray(initial)
    b = np.asarray(final)
    if a.shape != b.shape:
        raise InputError(f"the two maps have different shapes {a.shape} and {b.shape}", source="final")
    if valid is None:
        ia = _code_index(a.ravel(), codes_l, "initial")
        ib = _code_index(b.ravel(), codes_l, "final")
    else:
        v = np.asarray(valid, dtype=bool)
        if v.shape != a.shape:
            raise InputError(f"mask shape {v.shape} differs from the maps' {a.shape}", source="valid")
        ia = _code_index(a[v], codes_l, "initial")
        ib = _code_index(b[v], codes_l, "final")
    k = len(codes_l)
    counts = np.bincount(ia.astype(np.int32).ravel() * k + ib.ravel(), minlength=k * k)
    return counts.reshape(k, k).astype(np.int64)


def transition_matrix(
    initial: ArrayLike, final: ArrayLike, codes: Sequence[int], valid: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Row-stochastic transition matrix between two maps (rows = from, columns = to).

    ``P[i, j]`` is the share of the cells of class ``codes[i]`` at the first date that are of class
    ``codes[j]`` at the second. A class absent at the first date gets an identity row (it stays
    itself), so every row sums to 1. Parameters as :func:`transition_counts`.
    """
    counts = transition_counts(initial, final, codes, valid).astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    out = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    empty = totals[:, 0] == 0
    out[empty, :] = 0.0
    out[empty, empty] = 1.0
    return out


def _check_stochastic(P: NDArray[np.float64], name: str) -> None:  # noqa: N803
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise InputError(f"a transition matrix must be square, got shape {P.shape}", source=name)
    if not np.isfinite(P).all():
        raise InputError("transition matrix has NaN or infinite entries", source=name)
    neg = np.argwhere(P < -_ROW_TOL)
    if len(neg):
        i, j = (int(x) for x in neg[0])
        raise InputError(
            f"negative probability {P[i, j]:.6g}; expected >= 0", source=name, where=f"row {i}, column {j}"
        )
    sums = P.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > _ROW_TOL)
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"row sums to {sums[i]:.6g}; expected 1 (rows = from, columns = to)", source=name, where=f"row {i}"
        )


# --------------------------------------------------------------------------------------------
# annualisation


@dataclass(frozen=True)
class Annualised:
    """Annual transition matrix obtained from a multi-year one.

    Attributes
    ----------
    matrix : numpy.ndarray, shape (k, k)
        Row-stochastic annual matrix (rows = from, columns = to).
    method : str
        ``"identity_period"`` (the period was one year), ``"principal_root"`` (the principal
        ``years``-th root is itself stochastic) or ``"nearest_stochastic_root"`` (fallback, see
        :func:`annualise`).
    note : str
        One line for logs and output tables: method, residual, and why the fallback was used.
    residual : float
        :math:`\\max_{ij} |(R^{n} - P)_{ij}|` with :math:`n` = ``years`` (probability units).
    """

    matrix: NDArray[np.float64]
    method: str
    note: str
    residual: float


def _matrix_power_real(R: NDArray[np.float64], years: float) -> NDArray[np.float64]:  # noqa: N803
    if float(years).is_integer():
        return np.linalg.matrix_power(R, int(years))
    return np.real(linalg.fractional_matrix_power(R, years))


def _project_rows_to_simplex(M: NDArray[np.float64]) -> NDArray[np.float64]:  # noqa: N803
    """Euclidean projection of every row onto the probability simplex (sort-based algorithm of
    Duchi et al. 2008, ICML, Fig. 1; Wang & Carreira-Perpiñán 2013, arXiv:1309.1541)."""
    k = M.shape[1]
    u = -np.sort(-M, axis=1)
    css = np.cumsum(u, axis=1) - 1.0
    ind = np.arange(1, k + 1)
    cond = u - css / ind > 0
    rho = k - 1 - np.argmax(cond[:, ::-1], axis=1)
    theta = css[np.arange(M.shape[0]), rho] / (rho + 1)
    return np.maximum(M - theta[:, None], 0.0)


def _generator_candidate(P: NDArray[np.float64], years: float) -> NDArray[np.float64] | None:  # noqa: N803
    """exp(G) with G = log(P)/years projected to a valid generator (negative off-diagonals set to
    zero, diagonal = minus the row's off-diagonal sum; Israel, Rosenthal & Wei 2001, Math.
    Finance 11(2):245-265, section 3). None when the logarithm does not exist."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            log_p = linalg.logm(P)
        except (ValueError, np.linalg.LinAlgError):
            return None
    log_p = np.asarray(log_p)
    if not np.isfinite(log_p).all():
        return None
    gen = np.real(log_p) / years
    off = ~np.eye(gen.shape[0], dtype=bool)
    gen = np.where(off, np.maximum(gen, 0.0), 0.0)
    gen[np.diag_indices_from(gen)] = -gen.sum(axis=1)
    out = linalg.expm(gen)
    if not np.isfinite(out).all():
        return None
    return _project_rows_to_simplex(np.asarray(out, dtype=np.float64))


def annualise(P: ArrayLike, years: float) -> Annualised:  # noqa: N803
    r"""Annual transition matrix from a matrix observed over ``years`` years.

    Parameters
    ----------
    P : array_like, shape (k, k)
        Row-stochastic transition matrix over the period (rows = from, columns = to).
    years : float
        Length of the period in years (> 0; need not be an integer).

    Returns
    -------
    Annualised
        ``.matrix`` row-stochastic annual matrix, ``.method``, ``.note`` and ``.residual``.

    Raises
    ------
    InputError
        ``P`` not square, with NaN, negative entries or rows not summing to 1; ``years`` <= 0.

    Notes
    -----
    The annual matrix :math:`R` should satisfy :math:`R^{n} = P`. The **principal** :math:`n`-th
    root is computed by the Schur–Padé algorithm (Higham & Lin 2011, SIAM J. Matrix Anal. Appl.
    32(3):1056-1078; ``scipy.linalg.fractional_matrix_power``); for a diagonalisable ``P`` it
    equals :math:`V \,\mathrm{diag}(\lambda_i^{1/n})\, V^{-1}` with principal scalar roots. If it
    is real, non-negative and rows sum to 1 (within 1e-9; tiny negatives are set to 0) it is
    returned with ``method = "principal_root"``.

    A stochastic root need not exist (the embedding problem: Higham & Lin 2011, Linear Algebra
    Appl. 435:448-463; Hasegawa & Takada 2019 found a positive or small-negative root for 87 % of
    62 published land-use matrices). Fallback, ``method = "nearest_stochastic_root"``: two
    regularised candidates are formed and the one with the smaller residual is kept:

    1. the real part of the principal root with each row projected onto the probability simplex
       (Euclidean nearest stochastic row; the "quasi-optimisation of the root matrix" of Kreinin
       & Sidelnikova 2001, Algo Research Quarterly 4(1/2):23-40);
    2. :math:`\exp(G)` with :math:`G = \log(P)/n` projected to a valid generator (Israel,
       Rosenthal & Wei 2001).

    The residual :math:`\max_{ij}|R^{n} - P|` is reported in ``.residual`` and ``.note``; the
    regularised root no longer reproduces ``P`` exactly.
    """
    Pm = np.array(P, dtype=np.float64)  # noqa: N806
    _check_stochastic(Pm, "transition matrix")
    try:
        n = float(years)
    except (TypeError, ValueError):
        raise InputError(f"years must be a number, got {years!r}", source="years") from None
    if not np.isfinite(n) or n <= 0:
        raise InputError(f"years must be > 0, got {years!r}", source="years")
    if n == 1.0:
        return Annualised(Pm.copy(), "identity_period", "period of one year: matrix used as is", 0.0)

    reasons: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root = np.asarray(linalg.fractional_matrix_power(Pm, 1.0 / n))
    candidates: list[NDArray[np.float64]] = []
    labels: list[str] = []
    if not np.isfinite(root).all():
        reasons.append("principal root not finite")
    else:
        imag = float(np.abs(np.imag(root)).max())
        real = np.real(root).astype(np.float64)
        most_neg = float(real.min())
        row_err = float(np.abs(real.sum(axis=1) - 1.0).max())
        if imag <= _ROOT_TOL and most_neg >= -_ROOT_TOL and row_err <= _ROOT_TOL:
            fixed = np.maximum(real, 0.0)
            fixed /= fixed.sum(axis=1, keepdims=True)
            res = float(np.abs(_matrix_power_real(fixed, n) - Pm).max())
            return Annualised(
                fixed, "principal_root", f"principal {n:g}-th root is stochastic; max |R^{n:g} - P| = {res:.2e}", res
            )
        if imag > _ROOT_TOL:
            reasons.append(f"principal root is complex (max |imag| {imag:.2e})")
        if most_neg < -_ROOT_TOL:
            reasons.append(f"principal root has negative entries (min {most_neg:.2e})")
        if row_err > _ROOT_TOL:
            reasons.append(f"principal root rows do not sum to 1 (max error {row_err:.2e})")
        candidates.append(_project_rows_to_simplex(real))
        labels.append("row projection of the principal root onto the simplex")
    gen = _generator_candidate(Pm, n)
    if gen is not None:
        candidates.append(gen)
        labels.append("projected matrix-logarithm generator")
    if not candidates:  # pragma: no cover - fractional power and logarithm both failed
        candidates.append(np.eye(Pm.shape[0]))
        labels.append("identity (no root found)")
    residuals = [float(np.abs(_matrix_power_real(c, n) - Pm).max()) for c in candidates]
    best = int(np.argmin(residuals))
    how = labels[best]
    note = (
        f"no stochastic {n:g}-th root ({'; '.join(reasons)}): nearest stochastic root by {how}, "
        f"max |R^{n:g} - P| = {residuals[best]:.2e}"
    )
    return Annualised(candidates[best], "nearest_stochastic_root", note, residuals[best])


def project_areas(areas0: ArrayLike, P_annual: ArrayLike, n_years: int) -> NDArray[np.float64]:  # noqa: N803
    """Areas per class over ``n_years`` annual Markov steps.

    Parameters
    ----------
    areas0 : array_like, shape (k,)
        Areas at the start (km2, or cells; any unit, kept).
    P_annual : array_like, shape (k, k)
        Row-stochastic annual matrix (rows = from, columns = to).
    n_years : int
        Number of annual steps (>= 0).

    Returns
    -------
    numpy.ndarray, shape (n_years + 1, k)
        Row ``t`` = :math:`a_0 P^{t}` (row 0 = ``areas0``); each row keeps the total of ``areas0``.
    """
    Pm = np.asarray(P_annual, dtype=np.float64)  # noqa: N806
    _check_stochastic(Pm, "P_annual")
    a0 = np.asarray(areas0, dtype=np.float64)
    if a0.shape != (Pm.shape[0],):
        raise InputError(f"areas0 has shape {a0.shape}, expected ({Pm.shape[0]},)", source="areas0")
    if not np.isfinite(a0).all() or (a0 < 0).any():
        raise InputError("areas0 must be finite and >= 0", source="areas0")
    if int(n_years) != n_years or n_years < 0:
        raise InputError(f"n_years must be an integer >= 0, got {n_years!r}", source="n_years")
    out = np.empty((int(n_years) + 1, a0.size))
    out[0] = a0
    for t in range(int(n_years)):  # k x k product per year: no per-cell loop
        out[t + 1] = out[t] @ Pm
    return out


# --------------------------------------------------------------------------------------------
# Demand tables


def _zone_labels(zones: NDArray[Any] | None, zone_names: Mapping[int, str] | None) -> list[tuple[Any, str]]:
    if zones is None:
        return []
    ids = np.unique(zones)
    out = []
    for z in ids:
        name = zone_names.get(int(z), str(int(z))) if zone_names is not None else str(int(z))
        if name == "all":
            raise InputError("a zone may not be named 'all' (reserved for the whole region)", source="zone_names")
        out.append((z, name))
    return out


def areas_from_map(
    land_use: ArrayLike,
    codes: Sequence[int],
    cell_area_km2: float,
    *,
    valid: ArrayLike | None = None,
    zones: ArrayLike | None = None,
    zone_names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """Area of each class (km2) in the region (zone ``"all"``) and, with ``zones``, in each zone.

    Parameters
    ----------
    land_use : array_like of int, shape (ny, nx)
    codes : sequence of int
    cell_area_km2 : float
        Area of one cell (km2, equal-area grid).
    valid : array_like of bool, optional
        Cells inside the region.
    zones : array_like of int, optional
        Zone id per cell (cells outside ``valid`` are ignored).
    zone_names : mapping of int to str, optional
        Name of each zone id (default: the id as text).

    Returns
    -------
    pandas.DataFrame
        Columns ``zone``, ``lucode``, ``area_km2``; zone ``"all"`` first.
    """
    codes_l = _check_codes(codes)
    lu = np.asarray(land_use)
    v = np.ones(lu.shape, bool) if valid is None else np.asarray(valid, dtype=bool)
    if v.shape != lu.shape:
        raise InputError(f"mask shape {v.shape} differs from the map's {lu.shape}", source="valid")
    _check_cell_area(cell_area_km2)
    k = len(codes_l)
    idx = _code_index(lu[v], codes_l, "land_use")
    rows = [("all", c, float(n) * cell_area_km2) for c, n in zip(codes_l, np.bincount(idx, minlength=k), strict=True)]
    if zones is not None:
        zarr = np.asarray(zones)
        if zarr.shape != lu.shape:
            raise InputError(f"zones shape {zarr.shape} differs from the map's {lu.shape}", source="zones")
        zv = zarr[v]
        for z, name in _zone_labels(np.unique(zv), zone_names):
            counts = np.bincount(idx[zv == z], minlength=k)
            rows += [(name, c, float(n) * cell_area_km2) for c, n in zip(codes_l, counts, strict=True)]
    return pd.DataFrame(rows, columns=["zone", "lucode", "area_km2"])


def _check_cell_area(cell_area_km2: float) -> None:
    if not np.isfinite(cell_area_km2) or cell_area_km2 <= 0:
        raise InputError(f"cell area must be > 0 km2, got {cell_area_km2!r}", source="cell_area_km2")


def _frame(rows: Iterable[tuple[int, str, int, float]]) -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=list(DEMAND_COLUMNS))
    return df.astype({"year": "int64", "zone": "object", "lucode": "int64", "area_km2": "float64"})


def validate_demand(demand: pd.DataFrame, *, source: str = "demand") -> pd.DataFrame:
    """Check a Demand table (columns, types, no NaN, no negative area, no duplicate rows) and
    return it with canonical dtypes, sorted by year, zone, lucode."""
    missing = [c for c in DEMAND_COLUMNS if c not in demand.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(DEMAND_COLUMNS)}", source=source)
    df = demand.copy()
    for col in ("year", "lucode"):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() | (vals != np.round(vals))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"{col} must be an integer, got {df[col].iloc[i]!r}", source=source, where=f"row {i}")
        df[col] = vals.astype("int64")
    area = pd.to_numeric(df["area_km2"], errors="coerce")
    bad = area.isna() | ~np.isfinite(area) | (area < 0)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"area_km2 must be a number >= 0, got {df['area_km2'].iloc[i]!r}", source=source, where=f"row {i}"
        )
    df["area_km2"] = area.astype("float64")
    df["zone"] = df["zone"].astype(str)
    dup = df.duplicated(["year", "zone", "lucode"])
    if dup.any():
        r = df[dup].iloc[0]
        raise InputError(f"duplicate row for year {r['year']}, zone {r['zone']!r}, class {r['lucode']}", source=source)
    return df.sort_values(["year", "zone", "lucode"]).reset_index(drop=True)


def demand_from_markov(
    initial: ArrayLike,
    final: ArrayLike,
    codes: Sequence[int],
    *,
    year_initial: int,
    year_final: int,
    end_year: int,
    cell_area_km2: float,
    valid: ArrayLike | None = None,
    zones: ArrayLike | None = None,
    zone_names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """Demand by a Markov chain fitted on two maps, for every year from ``year_final`` to ``end_year``.

    The transition matrix between the maps (:func:`transition_matrix`) is annualised
    (:func:`annualise`) and applied to the areas of ``final`` year by year (:func:`project_areas`).
    With ``zones``, each zone gets its own matrix (fitted on its own cells) and zone ``"all"`` is the
    sum of the zones; without, only zone ``"all"``.

    Parameters
    ----------
    initial, final : array_like of int, shape (ny, nx)
        Maps at ``year_initial`` and ``year_final``.
    codes : sequence of int
    year_initial, year_final, end_year : int
        ``year_initial < year_final <= end_year``.
    cell_area_km2 : float
    valid, zones, zone_names : optional
        As :func:`areas_from_map`.

    Returns
    -------
    pandas.DataFrame
        The Demand (``year, zone, lucode, area_km2``). ``demand.attrs["annualised"]`` maps each zone
        name to its :class:`Annualised` (method, note, residual, annual matrix) for the output tables.
    """
    codes_l = _check_codes(codes)
    yi, yf, ye = int(year_initial), int(year_final), int(end_year)
    if not yi < yf <= ye:
        raise InputError(
            f"years must satisfy year_initial < year_final <= end_year, got {yi}, {yf}, {ye}", source="years"
        )
    _check_cell_area(cell_area_km2)
    a = np.asarray(initial)
    b = np.asarray(final)
    if a.shape != b.shape:
        raise InputError(f"the two maps have different shapes {a.shape} and {b.shape}", source="final")
    v = np.ones(a.shape, bool) if valid is None else np.asarray(valid, dtype=bool)
    if v.shape != a.shape:
        raise InputError(f"mask shape {v.shape} differs from the maps' {a.shape}", source="valid")
    groups: list[tuple[str, NDArray[np.bool_]]]
    if zones is None:
        groups = [("all", v)]
    else:
        zarr = np.asarray(zones)
        if zarr.shape != a.shape:
            raise InputError(f"zones shape {zarr.shape} differs from the maps' {a.shape}", source="zones")
        groups = [(name, v & (zarr == z)) for z, name in _zone_labels(np.unique(zarr[v]), zone_names)]
    years = np.arange(yf, ye + 1)
    rows: list[tuple[int, str, int, float]] = []
    fits: dict[str, Annualised] = {}
    total = np.zeros((years.size, len(codes_l)))
    for name, mask in groups:
        P = transition_matrix(a, b, codes_l, mask)  # noqa: N806
        fit = annualise(P, yf - yi)
        fits[name] = fit
        area0 = transition_counts(b, b, codes_l, mask).diagonal() * float(cell_area_km2)
        proj = project_areas(area0, fit.matrix, ye - yf)
        total += proj
        if zones is not None:
            rows += [
                (int(y), name, c, float(x))
                for y, row in zip(years, proj, strict=True)
                for c, x in zip(codes_l, row, strict=True)
            ]
    rows = [
        (int(y), "all", c, float(x))
        for y, row in zip(years, total, strict=True)
        for c, x in zip(codes_l, row, strict=True)
    ] + rows
    out = _frame(rows)
    out.attrs["annualised"] = fits
    return out


def _initial_lookup(initial_areas: pd.DataFrame) -> dict[str, dict[int, float]]:
    need = ("zone", "lucode", "area_km2")
    missing = [c for c in need if c not in initial_areas.columns]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {list(need)}", source="initial_areas")
    out: dict[str, dict[int, float]] = {}
    for z, lc, ar in initial_areas[list(need)].itertuples(index=False):
        out.setdefault(str(z), {})[int(lc)] = float(ar)
    return out


def demand_from_targets(
    table: pd.DataFrame,
    initial_areas: pd.DataFrame,
    years: Sequence[int],
    *,
    base_year: int | None = None,
    absorber: int = DEFAULT_ABSORBER,
) -> pd.DataFrame:
    """Demand from target areas per class and year, interpolated linearly between given years.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``year``, ``lucode``, ``area_km2`` and optionally ``zone`` (default ``"all"``): the
        target area (km2) of a class in a year.
    initial_areas : pandas.DataFrame
        ``zone, lucode, area_km2`` at the base year (:func:`areas_from_map`): fixes each zone's total
        area and the area of classes without targets (held constant).
    years : sequence of int
        Years wanted in the Demand.
    base_year : int, optional
        Year of ``initial_areas``; if given, it is an interpolation anchor for every targeted class.
    absorber : int
        Class that takes the remainder so the zone's total is kept (default unused/desert, 6). It may
        not have targets of its own.

    Raises
    ------
    InputError
        A year outside the span of a class's given years (no extrapolation); a target for the
        absorbing class or an unknown zone/class; targets exceeding the zone's area (the absorber
        would go negative: zone, year and excess named).
    """
    df = table.copy()
    if "zone" not in df.columns:
        df["zone"] = "all"
    df = validate_demand(df[list(DEMAND_COLUMNS)], source="targets")
    init = _initial_lookup(initial_areas)
    wanted = sorted({int(y) for y in years})
    if not wanted:
        raise InputError("no years requested", source="years")
    rows: list[tuple[int, str, int, float]] = []
    for zone, zdf in df.groupby("zone", sort=True):
        zone = str(zone)
        if zone not in init:
            raise InputError(f"zone {zone!r} is not in the initial areas ({sorted(init)})", source="targets")
        base = init[zone]
        if absorber not in base:
            raise InputError(f"absorbing class {absorber} is not in the class table", source="absorber")
        series: dict[int, NDArray[np.float64]] = {}
        for code, cdf in zdf.groupby("lucode", sort=True):
            code = int(code)
            if code not in base:
                raise InputError(f"class {code} is not in the class table", source="targets", where=f"zone {zone!r}")
            if code == absorber:
                raise InputError(
                    f"class {code} is the absorbing class (it takes the remainder of the zone's area); "
                    "give targets for the other classes or choose another absorber",
                    source="targets",
                    where=f"zone {zone!r}",
                )
            ys = cdf["year"].to_numpy(dtype=float)
            vs = cdf["area_km2"].to_numpy(dtype=float)
            if base_year is not None and int(base_year) not in cdf["year"].to_numpy():
                ys = np.append(ys, float(base_year))
                vs = np.append(vs, base[code])
            order = np.argsort(ys)
            ys, vs = ys[order], vs[order]
            outside = [y for y in wanted if y < ys[0] or y > ys[-1]]
            if outside:
                raise InputError(
                    f"year {outside[0]} is outside the years with targets for class {code} "
                    f"({int(ys[0])}-{int(ys[-1])}); targets are interpolated, never extrapolated",
                    source="targets",
                    where=f"zone {zone!r}",
                )
            series[code] = np.interp(np.asarray(wanted, dtype=float), ys, vs)
        total_zone = sum(base.values())
        for t, year in enumerate(wanted):
            areas = {c: (series[c][t] if c in series else a) for c, a in base.items()}
            areas[absorber] = 0.0
            rest = total_zone - sum(areas.values())
            if rest < -1e-9 * max(total_zone, 1.0):
                raise InputError(
                    f"targets sum to {total_zone - rest:.3f} km2, more than the zone's {total_zone:.3f} km2 "
                    f"(excess {-rest:.3f} km2)",
                    source="targets",
                    where=f"zone {zone!r}, year {year}",
                )
            areas[absorber] = max(rest, 0.0)
            rows += [(year, zone, c, float(x)) for c, x in sorted(areas.items())]
    return _frame(rows).sort_values(["year", "zone", "lucode"]).reset_index(drop=True)


def demand_from_rates(
    initial_areas: pd.DataFrame,
    rates_pct_per_yr: Mapping[int, float],
    *,
    base_year: int,
    end_year: int,
    absorber: int = DEFAULT_ABSORBER,
) -> pd.DataFrame:
    r"""Demand from compound annual growth rates per class.

    :math:`A_c(t) = A_c(t_0)\,(1 + r_c/100)^{t - t_0}` for each class ``c`` in ``rates_pct_per_yr``;
    other classes stay at their base area; the absorbing class takes the balance. For cropland, the
    published Manas River Basin rate :data:`MANAS_CROPLAND_GROWTH_PCT_PER_YR` (0.751 %/yr, Lee et
    al. 2023) is a cited default: ``{1: MANAS_CROPLAND_GROWTH_PCT_PER_YR}``.

    Parameters
    ----------
    initial_areas : pandas.DataFrame
        ``zone, lucode, area_km2`` at ``base_year``.
    rates_pct_per_yr : mapping of int to float
        Growth rate per class (%/yr, > -100).
    base_year, end_year : int
    absorber : int

    Raises
    ------
    InputError
        A rate <= -100 %/yr or for the absorber; growth larger than the absorber's area (zone, year,
        shortfall named).
    """
    init = _initial_lookup(initial_areas)
    if int(end_year) < int(base_year):
        raise InputError(f"end_year {end_year} is before base_year {base_year}", source="end_year")
    for code, rate in rates_pct_per_yr.items():
        if not np.isfinite(rate) or rate <= -100:
            raise InputError(f"growth rate must be > -100 %/yr, got {rate!r}", source="rates", where=f"class {code}")
        if int(code) == absorber:
            raise InputError(f"class {code} is the absorbing class and cannot have a rate", source="rates")
    rows: list[tuple[int, str, int, float]] = []
    for zone, base in init.items():
        for code in rates_pct_per_yr:
            if int(code) not in base:
                raise InputError(f"class {code} is not in the class table", source="rates")
        for year in range(int(base_year), int(end_year) + 1):
            areas = dict(base)
            for code, rate in rates_pct_per_yr.items():
                grown = base[int(code)] * (1.0 + rate / 100.0) ** (year - int(base_year))
                areas[absorber] -= grown - base[int(code)]
                areas[int(code)] = grown
            _check_absorber(areas, absorber, zone, year, "rates")
            rows += [(year, zone, c, float(x)) for c, x in sorted(areas.items())]
    return _frame(rows).sort_values(["year", "zone", "lucode"]).reset_index(drop=True)


def _check_absorber(areas: Mapping[int, float], absorber: int, zone: str, year: int, source: str) -> None:
    if areas[absorber] < -1e-9:
        raise InputError(
            f"class {absorber} (absorbing class) would need {-areas[absorber]:.3f} km2 more than it has "
            f"to balance the other classes (shortfall {-areas[absorber]:.3f} km2)",
            source=source,
            where=f"zone {zone!r}, year {year}",
        )


def demand_to_cells(demand: pd.DataFrame, cell_area_km2: float) -> pd.DataFrame:
    """Demand in whole cells: ``demand`` plus a column ``cells`` (int64), rounded per (year, zone)
    by the largest-remainder method so that the cells of a (year, zone) sum to the rounded total
    (as lulcc's ``roundSum``)."""
    _check_cell_area(cell_area_km2)
    df = validate_demand(demand)
    exact = df["area_km2"].to_numpy() / cell_area_km2
    floor = np.floor(exact + 1e-9)
    rem = exact - floor
    keys = df[["year", "zone"]].astype(str).agg("|".join, axis=1).to_numpy()
    cells = floor.astype(np.int64)
    for key in np.unique(keys):
        sel = np.flatnonzero(keys == key)
        missing = round(float(exact[sel].sum())) - int(cells[sel].sum())
        if missing > 0:
            top = sel[np.argsort(-rem[sel], kind="stable")[:missing]]
            cells[top] += 1
    df["cells"] = cells
    return df


# --------------------------------------------------------------------------------------------
# levers


def _lever_error(lever: str, message: str, where: str | None = None) -> InputError:
    return InputError(message, source=f"levers.{lever}", where=where)


def _number(
    lever: str,
    value: Any,
    where: str | None,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise _lever_error(lever, f"expected a number, got {value!r}", where) from None
    if not np.isfinite(x):
        raise _lever_error(lever, f"expected a finite number, got {value!r}", where)
    if low is not None and (x < low or (low_open and x == low)):
        raise _lever_error(lever, f"must be {'>' if low_open else '>='} {low:g}, got {x:g}", where)
    if high is not None and x > high:
        raise _lever_error(lever, f"must be <= {high:g}, got {x:g}", where)
    return x


def _per_zone(lever: str, value: Any, zones: Sequence[str]) -> dict[str, Any]:
    """``{zone: spec}`` when every key of a mapping is a zone name, else ``{"all": value}``."""
    if isinstance(value, Mapping) and value and all(str(k) in zones for k in value):
        return {str(k): v for k, v in value.items()}
    return {"all": value}


_SPEC_KEYS: dict[str, set[str]] = {
    "cropland_reduction": {"amount_km2", "share", "to", "where", "year"},
    "natural_oasis_restoration": {"amount_km2", "to", "from", "year"},
}


def _spec(lever: str, spec: Any, where: str) -> dict[str, Any]:
    if not isinstance(spec, Mapping):
        return {"amount_km2": spec}
    unknown = sorted(set(map(str, spec)) - _SPEC_KEYS[lever])
    if unknown:
        raise _lever_error(lever, f"unknown key(s) {unknown}; expected some of {sorted(_SPEC_KEYS[lever])}", where)
    return dict(spec)


def apply_levers(
    demand: pd.DataFrame,
    levers: Mapping[str, Any],
    initial_areas: pd.DataFrame,
    *,
    absorber: int = DEFAULT_ABSORBER,
    cropland: int = 1,
    built_up: int = 5,
    artificial_oasis: Sequence[int] = ARTIFICIAL_OASIS_CLASSES,
    natural_oasis: Sequence[int] = NATURAL_OASIS_CLASSES,
    balance: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Change a Demand by scenario levers (semantics in docs/land_use_change_demand.md, "Levers").

    ``balance`` is the order of the classes that give the area a lever adds (default
    ``[absorber]``): built-up growth by ``urban_growth_rate`` and natural-oasis restoration
    without ``"from"`` take it from the first class while it has area in that zone and year,
    then from the next (restoration skips natural-oasis classes); area a lever removes (caps,
    shrinking built-up) goes to the first class. A zone and year where the classes of the order
    together have too little area is an InputError naming them, the zone, the year and the
    shortfall.

    Every lever moves area from one class to another, so each (year, zone) keeps its total (the
    Demand must already cover each zone's area of ``initial_areas`` in every year: checked). The
    first year of the Demand is the base year: levers start from its areas and never change it. Applied in the order of
    :data:`LEVER_KEYS`:

    ``urban_growth_rate`` (%/yr, > -100)
        Built-up demand = base-year built-up area × (1 + r/100)^(t - t0); balance to/from the absorber.
    ``construction_land_cap`` (km2)
        Built-up demand <= cap; the excess goes to the absorber. A cap below the base-year area
        holds built-up land at its base-year area (no demolition) and says so in the notes.
    ``cropland_reduction``
        ``{"amount_km2": A}`` or ``{"share": s}`` (0-1, of the base-year cropland), ``"to"`` (class
        receiving the land, default grassland 3), ``"year"`` (reached by then, ramped linearly from
        the base year, held after; default the last year) and ``"where"`` (one of
        :data:`CROPLAND_REDUCTION_WHERE`, default ``"any"``; passed on to the allocation in the notes
        and in ``result.attrs["cropland_reduction_where"]``).
    ``natural_oasis_restoration``
        ``{"amount_km2": A}`` extra natural oasis by ``"year"`` (ramped as above), ``"to"`` a natural
        oasis class (default grassland 3), ``"from"`` (default the absorber, unused land/desert).
    ``oasis_area_cap`` (km2)
        Artificial oasis (cropland + built-up) <= cap every simulated year; the excess is taken from
        cropland (built-up is kept) and goes to the absorber.

    A lever value applies to zone ``"all"`` or is a mapping ``{zone: value}``. When the Demand has
    zones other than ``"all"``, a value for ``"all"`` that is an amount (km2) is refused (give it per
    zone); rates and shares apply to every zone; zone ``"all"`` is then recomputed as the sum of the
    zones.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The new Demand and one note per lever effect (for the run log).

    Raises
    ------
    InputError
        Unknown lever key, bad value (names ``levers.<key>``, zone and what was expected), or a
        lever taking more of a class than the demand has (zone, year and shortfall named).
    """
    dem = validate_demand(demand)
    unknown = sorted(set(map(str, levers)) - set(LEVER_KEYS))
    if unknown:
        raise InputError(f"unknown lever(s) {unknown}; expected some of {list(LEVER_KEYS)}", source="levers")
    init = _initial_lookup(initial_areas)
    years = sorted(dem["year"].unique().tolist())
    zones_all = sorted(dem["zone"].unique().tolist())
    has_zones = any(z != "all" for z in zones_all)
    zone_list = [z for z in zones_all if z != "all"] if has_zones else ["all"]
    codes = sorted(dem["lucode"].unique().tolist())
    order = [int(c) for c in (balance if balance is not None else [absorber])]
    if not order:
        raise InputError("the balancing order names no class", source="balance_order")
    for needed in {order[0], cropland, built_up, *order}:
        if needed not in codes:
            raise InputError(f"class {needed} used by the levers is not in the demand", source="levers")
    absorber = order[0]   # receives the area levers remove
    # cube[zone] : (n_years, k) areas
    col = {c: i for i, c in enumerate(codes)}
    cube: dict[str, NDArray[np.float64]] = {}
    for z in zone_list:
        sub = dem[dem["zone"] == z].pivot(index="year", columns="lucode", values="area_km2")
        sub = sub.reindex(index=years, columns=codes)
        if sub.isna().to_numpy().any():
            raise InputError("demand is missing a (year, class) row", source="demand", where=f"zone {z!r}")
        cube[z] = sub.to_numpy(dtype=np.float64).copy()
        if z in init:
            zone_total = sum(init[z].values())
            sums = cube[z].sum(axis=1)
            off = np.abs(sums - zone_total) > 1e-6 * max(zone_total, 1.0)
            if off.any():
                t = int(np.argmax(off))
                raise InputError(
                    f"the demand's classes sum to {sums[t]:.3f} km2 but the zone's area is {zone_total:.3f} km2; "
                    "every year of a demand must cover the whole zone",
                    source="demand",
                    where=f"zone {z!r}, year {years[t]}",
                )
    y = np.asarray(years, dtype=float)
    y0 = y[0]
    notes: list[str] = []
    where_out: dict[str, str] = {}

    def base_area(z: str, code: int) -> float:
        return float(cube[z][0, col[code]])

    def expand(lever: str, value: Any, amount_like: bool) -> dict[str, Any]:
        per = _per_zone(lever, value, zone_list)
        if "all" in per and has_zones:
            if amount_like:
                raise _lever_error(
                    lever, f"the demand has zones {zone_list}: give this lever per zone ({{zone: value}})", "zone 'all'"
                )
            return dict.fromkeys(zone_list, per["all"])
        return per

    def move(z: str, src: int, dst: int, amount: NDArray[np.float64], lever: str) -> None:
        a = cube[z]
        short = amount - a[:, col[src]]
        if (short > 1e-9).any():
            t = int(np.argmax(short))
            raise _lever_error(
                lever,
                f"needs {amount[t]:.3f} km2 of class {src} but the demand has {a[t, col[src]]:.3f} km2 "
                f"(shortfall {short[t]:.3f} km2)",
                f"zone {z!r}, year {years[t]}",
            )
        a[:, col[src]] -= amount
        a[:, col[dst]] += amount

    def take(z: str, dst: int, amount: NDArray[np.float64], lever: str,
             skip: Sequence[int] = ()) -> None:
        """Move ``amount`` (per year) into ``dst`` from the classes of the balancing order."""
        a = cube[z]
        givers = [c for c in order if c != dst and c not in skip]
        left = np.asarray(amount, dtype=np.float64).copy()
        have = np.zeros_like(left)
        for c in givers:
            have += np.maximum(a[:, col[c]], 0.0)
        short = left - have
        if (short > 1e-9).any():
            t = int(np.argmax(short))
            raise _lever_error(
                lever,
                f"needs {left[t]:.3f} km2 from the balancing classes {givers} but they hold "
                f"{have[t]:.3f} km2 (shortfall {short[t]:.3f} km2); add classes that may give "
                "land to balance_order (e.g. grassland, then cropland)",
                f"zone {z!r}, year {years[t]}",
            )
        for c in givers:
            use = np.minimum(left, np.maximum(a[:, col[c]], 0.0))
            a[:, col[c]] -= use
            a[:, col[dst]] += use
            left -= use

    def ramp(lever: str, spec: Mapping[str, Any], where: str) -> NDArray[np.float64]:
        end = spec.get("year", years[-1])
        end_f = _number(lever, end, where + ", key 'year'")
        if end_f <= y0 or end_f != int(end_f):
            raise _lever_error(lever, f"'year' must be an integer after the base year {int(y0)}, got {end!r}", where)
        return np.clip((y - y0) / (end_f - y0), 0.0, 1.0)

    if "urban_growth_rate" in levers:
        lever = "urban_growth_rate"
        for z, val in expand(lever, levers[lever], amount_like=False).items():
            r = _number(lever, val, f"zone {z!r}", low=-100.0, low_open=True)
            target = base_area(z, built_up) * (1.0 + r / 100.0) ** (y - y0)
            delta = target - cube[z][:, col[built_up]]
            grow = np.maximum(delta, 0.0)
            shrink = np.maximum(-delta, 0.0)
            take(z, built_up, grow, lever)
            move(z, built_up, absorber, shrink, lever)
            notes.append(f"{lever}: zone {z!r} built-up {target[-1]:.1f} km2 in {years[-1]} at {r:g} %/yr")

    if "construction_land_cap" in levers:
        lever = "construction_land_cap"
        for z, val in expand(lever, levers[lever], amount_like=True).items():
            cap = _number(lever, val, f"zone {z!r}", low=0.0)
            start = base_area(z, built_up)
            limit = max(cap, start)
            if cap < start:
                notes.append(
                    f"{lever}: zone {z!r} cap {cap:.1f} km2 is below the base-year built-up area {start:.1f} km2: "
                    "held at the base-year area (no demolition)"
                )
            excess = np.maximum(cube[z][:, col[built_up]] - limit, 0.0)
            move(z, built_up, absorber, excess, lever)
            if excess.any():
                notes.append(f"{lever}: zone {z!r} built-up cut by up to {excess.max():.1f} km2 to {limit:.1f} km2")

    if "cropland_reduction" in levers:
        lever = "cropland_reduction"
        raw = levers[lever]
        per = _per_zone(lever, raw, zone_list)
        if "all" in per and has_zones:
            spec_all = _spec(lever, per["all"], "zone 'all'")
            if "amount_km2" in spec_all:
                raise _lever_error(lever, f"the demand has zones {zone_list}: give amount_km2 per zone", "zone 'all'")
            per = dict.fromkeys(zone_list, spec_all)
        for z, raw_spec in per.items():
            wz = f"zone {z!r}"
            spec = _spec(lever, raw_spec, wz)
            if ("amount_km2" in spec) == ("share" in spec):
                raise _lever_error(lever, "give exactly one of 'amount_km2' (km2) or 'share' (0-1)", wz)
            start = base_area(z, cropland)
            if "share" in spec:
                amount = _number(lever, spec["share"], wz + ", key 'share'", low=0.0, high=1.0) * start
            else:
                amount = _number(lever, spec["amount_km2"], wz + ", key 'amount_km2'", low=0.0)
            dst = spec.get("to", 3)
            if dst not in col or int(dst) in (cropland,):
                raise _lever_error(lever, f"'to' must be a class of the demand other than cropland, got {dst!r}", wz)
            where = str(spec.get("where", "any"))
            if where not in CROPLAND_REDUCTION_WHERE:
                raise _lever_error(lever, f"'where' must be one of {list(CROPLAND_REDUCTION_WHERE)}, got {where!r}", wz)
            where_out[z] = where
            move(z, cropland, int(dst), amount * ramp(lever, spec, wz), lever)
            notes.append(f"{lever}: zone {z!r} {amount:.1f} km2 of cropland to class {dst} (where: {where})")

    if "natural_oasis_restoration" in levers:
        lever = "natural_oasis_restoration"
        for z, raw_spec in expand(lever, levers[lever], amount_like=True).items():
            wz = f"zone {z!r}"
            spec = _spec(lever, raw_spec, wz)
            if "amount_km2" not in spec:
                raise _lever_error(lever, "missing 'amount_km2' (km2 of natural oasis to restore)", wz)
            amount = _number(lever, spec["amount_km2"], wz + ", key 'amount_km2'", low=0.0)
            dst = spec.get("to", 3)
            if dst not in natural_oasis or dst not in col:
                raise _lever_error(lever, f"'to' must be a natural-oasis class {list(natural_oasis)}, got {dst!r}", wz)
            src = spec.get("from")
            if src is not None and (src not in col or src in natural_oasis):
                raise _lever_error(
                    lever, f"'from' must be a class of the demand outside the natural oasis, got {src!r}", wz
                )
            if src is None:   # the balancing order, without natural-oasis classes
                take(z, int(dst), amount * ramp(lever, spec, wz), lever, skip=natural_oasis)
                src = [c for c in order if c not in natural_oasis]
            else:
                move(z, int(src), int(dst), amount * ramp(lever, spec, wz), lever)
            notes.append(f"{lever}: zone {z!r} {amount:.1f} km2 from class {src} to class {dst}")

    if "oasis_area_cap" in levers:
        lever = "oasis_area_cap"
        idx = [col[c] for c in artificial_oasis if c in col]
        for z, val in expand(lever, levers[lever], amount_like=True).items():
            cap = _number(lever, val, f"zone {z!r}", low=0.0)
            oasis = cube[z][:, idx].sum(axis=1)
            excess = np.maximum(oasis - cap, 0.0)
            excess[0] = 0.0  # the base year is observed, not planned
            if oasis[0] > cap:
                notes.append(
                    f"{lever}: zone {z!r} cap {cap:.1f} km2 is below the base-year artificial oasis "
                    f"{oasis[0]:.1f} km2: cropland is cut to the cap from the first simulated year"
                )
            move(z, cropland, absorber, excess, lever)
            if excess.any():
                notes.append(
                    f"{lever}: zone {z!r} artificial oasis (classes {list(artificial_oasis)}) capped at {cap:.1f} km2; "
                    f"cropland cut by up to {excess.max():.1f} km2"
                )

    rows: list[tuple[int, str, int, float]] = []
    for z in zone_list:
        rows += [
            (int(yr), z, c, float(x))
            for yr, row in zip(years, cube[z], strict=True)
            for c, x in zip(codes, row, strict=True)
        ]
    if has_zones:
        tot = np.sum([cube[z] for z in zone_list], axis=0)
        rows += [
            (int(yr), "all", c, float(x))
            for yr, row in zip(years, tot, strict=True)
            for c, x in zip(codes, row, strict=True)
        ]
    out = _frame(rows).sort_values(["year", "zone", "lucode"]).reset_index(drop=True)
    out.attrs["cropland_reduction_where"] = where_out
    return out, notes


# --------------------------------------------------------------------------------------------
# feasibility


def check_feasible(
    demand: pd.DataFrame,
    convertible_cells_by_zone_class: Mapping[tuple[str, int], int] | pd.DataFrame,
    cell_area_km2: float,
) -> None:
    """Raise InputError if a class's demand exceeds the cells that may hold it.

    Parameters
    ----------
    demand : pandas.DataFrame
        A Demand.
    convertible_cells_by_zone_class : mapping or pandas.DataFrame
        ``{(zone, lucode): cells}`` or a table with columns ``zone``, ``lucode``, ``cells``: the number
        of cells that can be of that class in that zone (its current cells plus the cells allowed to
        convert to it, after restricted masks and the conversion matrix). Pairs not given are not
        checked.
    cell_area_km2 : float

    Raises
    ------
    InputError
        Naming the class, zone, year and shortfall (km2) of the largest shortfall, and how many other
        (year, zone, class) rows fall short.
    """
    _check_cell_area(cell_area_km2)
    dem = validate_demand(demand)
    if isinstance(convertible_cells_by_zone_class, pd.DataFrame):
        tab = convertible_cells_by_zone_class
        missing = [c for c in ("zone", "lucode", "cells") if c not in tab.columns]
        if missing:
            raise InputError(f"missing column(s) {missing}", source="convertible cells")
        cap = {(str(z), int(c)): float(n) for z, c, n in tab[["zone", "lucode", "cells"]].itertuples(index=False)}
    else:
        cap = {(str(z), int(c)): float(n) for (z, c), n in convertible_cells_by_zone_class.items()}
    keys = list(zip(dem["zone"].astype(str), dem["lucode"].astype(int), strict=True))
    capacity = np.array([cap.get(k, np.inf) for k in keys]) * cell_area_km2
    short = dem["area_km2"].to_numpy() - capacity
    tol = 1e-6 * cell_area_km2
    bad = np.flatnonzero(short > tol)
    if bad.size == 0:
        return
    i = int(bad[np.argmax(short[bad])])
    r = dem.iloc[i]
    others = bad.size - 1
    raise InputError(
        f"demand for class {int(r['lucode'])} is {r['area_km2']:.3f} km2 but only {capacity[i]:.3f} km2 of cells "
        f"can hold it (shortfall {short[i]:.3f} km2)"
        + (f"; {others} other (year, zone, class) demand(s) also fall short" if others else ""),
        source="demand",
        where=f"class {int(r['lucode'])}, zone {r['zone']!r}, year {int(r['year'])}",
    )
