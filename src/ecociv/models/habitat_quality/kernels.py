r"""Habitat quality kernels (pure functions on NumPy arrays), with the semantics of InVEST's
Habitat Quality model (``src/natcap/invest/habitat_quality/habitat_quality.py``, natcap/invest
3.20.2) and of its user's guide (Sharp et al. 2020, "Habitat Quality", eqs. hq.1–hq.4).

Distances are in metres between cell centres; a threat raster holds values 0–1 with NaN where
it has no data. Two ways of turning a threat raster into the impact :math:`i_r` felt by a cell
are offered, because InVEST's code and its user's guide differ:

* **nearest** (InVEST ≥ 3.13, the default): the Euclidean distance from each cell to the nearest
  threat cell, any cell whose value is neither 0 nor nodata, is decayed (InVEST
  ``pygeoprocessing.distance_transform_edt`` then ``_decay_distance``). The threat's intensity
  only marks presence; a cell with two threat cells nearby feels only the nearer one.
* **sum** (user's guide eq. hq.3 as printed): :math:`\sum_y r_y\, i_{rxy}` over every threat
  cell :math:`y` within the maximum distance, weighted by its intensity :math:`r_y` — a
  convolution of the threat raster with the (not normalised) decay kernel, done by FFT.

Both use the same decay (:func:`distance_decay`) with InVEST's cut-off: impact 0 where the
distance exceeds the maximum distance, the formula's value at or below it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Decay functions of InVEST's threat table ``decay`` column.
DECAY_TYPES = ("linear", "exponential")

#: Exponent constant of the exponential decay: the impact falls to 5 % (e^-2.99 ≈ 0.050) at the
#: maximum distance (Sharp et al. 2020, eq. hq.2; InVEST ``_decay_distance``, ``exp_op``).
EXPONENTIAL_DECAY_CONSTANT = 2.99

#: Scaling parameter z of the half-saturation function, hard-coded by InVEST (Sharp et al.
#: 2020, eq. hq.4; InVEST ``_SCALING_PARAM = 2.5``).
SCALING_PARAMETER = 2.5


#: FFT convolution leaves round-off of about 1e-16 of the largest possible sum where the exact
#: sum is 0; values below this fraction of that bound are set to 0.
FFT_ROUNDOFF = 1e-12


def _f64(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def distance_decay(distance: ArrayLike, max_distance: float, decay: str) -> FloatArray:
    r"""Impact of a threat at ``distance`` from it (dimensionless, 0–1).

    Parameters
    ----------
    distance : array_like
        Distance from the threat, m (``inf`` = no threat anywhere).
    max_distance : float
        Maximum effective distance of the threat :math:`d_{r\,max}`, m (> 0).
    decay : {"linear", "exponential"}
        Decay function.

    Returns
    -------
    ndarray
        :math:`i_{rxy}`; 0 where ``distance > max_distance``.

    Notes
    -----
    Linear: :math:`i = 1 - d / d_{max}` (Sharp et al. 2020, eq. hq.1); exponential:
    :math:`i = \exp(-2.99\, d / d_{max})` (eq. hq.2); both 0 for :math:`d > d_{max}` and kept
    at :math:`d = d_{max}` (InVEST ``_decay_distance``: ``numpy.where(dist > max_dist_pixel, 0,
    ...)``), so an exponential threat still has impact e^-2.99 at exactly the maximum distance.
    """
    d = _f64(distance)
    if decay == "linear":
        impact = 1.0 - d / max_distance
    elif decay == "exponential":
        impact = np.exp(-EXPONENTIAL_DECAY_CONSTANT * d / max_distance)
    else:
        raise ValueError(f"unknown decay {decay!r}; expected one of {DECAY_TYPES}")
    return np.where(d > max_distance, 0.0, impact)


def threat_present(threat: ArrayLike) -> NDArray[np.bool_]:
    """Cells holding the threat: value neither 0 nor nodata (NaN), as pygeoprocessing's
    ``distance_transform_edt`` masks its input (``~isclose(value, nodata) & (value != 0)``).
    A boolean array is taken as the mask itself."""
    t = np.asarray(threat)
    if t.dtype == np.bool_:
        return t
    return np.isfinite(t) & (t != 0)


def nearest_threat_distance(threat: ArrayLike, cell_size: tuple[float, float]) -> FloatArray:
    r"""Euclidean distance from each cell centre to the nearest threat cell's centre, m.

    Parameters
    ----------
    threat : array_like (rows, cols)
        Threat values (0 or NaN = no threat), or a boolean mask of threat cells.
    cell_size : (float, float)
        Cell height and width, m.

    Returns
    -------
    ndarray
        Distance, m; 0 on threat cells; ``inf`` everywhere when there is no threat cell.

    Notes
    -----
    Exact Euclidean distance transform: the nearest threat cell of every cell from
    ``scipy.ndimage.distance_transform_edt`` (feature transform), then
    :math:`d = \sqrt{(\Delta_{row} h)^2 + (\Delta_{col} w)^2}`. InVEST uses pygeoprocessing's
    exact transform (Meijster et al. 2002) in pixels and divides the maximum distance by the
    pixel width; with square cells the two agree, with rectangular cells this one measures true
    distances in metres (InVEST first resamples to square cells of the smaller side).
    """
    from scipy import ndimage  # here: a scenario's plan imports this module (~0.1 s)

    present = threat_present(threat)
    if not present.any():
        return np.full(present.shape, np.inf)
    nearest = np.asarray(ndimage.distance_transform_edt(
        ~present, sampling=cell_size, return_distances=False, return_indices=True))
    nearest[0] -= np.arange(present.shape[0], dtype=nearest.dtype)[:, None]  # rows away
    nearest[1] -= np.arange(present.shape[1], dtype=nearest.dtype)[None, :]  # columns away
    distance = np.multiply(nearest[0], cell_size[0], dtype=np.float64)
    np.square(distance, out=distance)
    across = np.multiply(nearest[1], cell_size[1], dtype=np.float64)
    np.square(across, out=across)
    distance += across
    return np.sqrt(distance, out=distance)


def nearest_threat_impact(threat: ArrayLike, max_distance: float, cell_size: tuple[float, float],
                          decay: str) -> FloatArray:
    r"""Impact of a threat on each cell from its nearest threat cell (InVEST ≥ 3.13).

    Parameters
    ----------
    threat : array_like (rows, cols)
        Threat values 0–1 (NaN = nodata = no threat); only presence (≠ 0) matters.
    max_distance : float
        Maximum effective distance, m.
    cell_size : (float, float)
        Cell height and width, m.
    decay : {"linear", "exponential"}
        Decay function.

    Returns
    -------
    ndarray
        :math:`i_r(x) = i(\min_y d_{xy})`, dimensionless 0–1 (InVEST's
        ``filtered_[DECAY]_[THREAT]`` rasters).

    Notes
    -----
    InVEST ``execute``: ``pygeoprocessing.distance_transform_edt`` on the threat raster, then
    ``_decay_distance`` (Sharp et al. 2020 eqs. hq.1–hq.2 applied to the distance to the
    nearest threat cell; InVEST 3.13.0 release notes and ADR-0003).
    """
    return distance_decay(nearest_threat_distance(threat, cell_size), max_distance, decay)


def decay_kernel(max_distance: float, cell_size: tuple[float, float], decay: str) -> FloatArray:
    """The decay as a 2-D kernel of odd size: ``kernel[R_y + dy, R_x + dx]`` is the impact at an
    offset of (dy, dx) cells, with ``R = floor(max_distance / cell side)`` (dimensionless).

    Not normalised: its cells are the :math:`i_{rxy}` of eq. hq.3 themselves.
    """
    height, width = cell_size
    radius_y = int(np.floor(max_distance / height))
    radius_x = int(np.floor(max_distance / width))
    dy = np.arange(-radius_y, radius_y + 1, dtype=np.float64)[:, None] * height
    dx = np.arange(-radius_x, radius_x + 1, dtype=np.float64)[None, :] * width
    return distance_decay(np.hypot(dy, dx), max_distance, decay)


def summed_threat_impact(threat: ArrayLike, max_distance: float, cell_size: tuple[float, float],
                         decay: str) -> FloatArray:
    r"""Intensity-weighted sum of the impacts of every threat cell within reach (eq. hq.3).

    Parameters
    ----------
    threat : array_like (rows, cols)
        Threat intensity :math:`r_y` 0–1 (NaN = nodata, counted as 0).
    max_distance : float
        Maximum effective distance, m.
    cell_size : (float, float)
        Cell height and width, m.
    decay : {"linear", "exponential"}
        Decay function.

    Returns
    -------
    ndarray
        :math:`\sum_y r_y\, i_{rxy}`, dimensionless (≥ 0; may exceed 1).

    Notes
    -----
    The inner sum of Sharp et al. (2020) eq. hq.3, computed as the convolution of the threat
    raster with :func:`decay_kernel` (FFT, overlap-add: ``scipy.signal.oaconvolve``); cells
    beyond the raster hold no threat. Round-off below ``FFT_ROUNDOFF`` × (kernel sum × largest
    intensity) is set to 0 so that cells out of every threat's reach get exactly 0.
    """
    t = np.nan_to_num(_f64(threat), nan=0.0)
    kernel = decay_kernel(max_distance, cell_size, decay)
    peak = float(np.abs(t).max()) if t.size else 0.0
    if peak == 0.0:
        return np.zeros(t.shape)
    from scipy import signal  # imported here: scipy.signal takes ~0.3 s to import

    out = signal.oaconvolve(t, kernel, mode="same")
    out[out < FFT_ROUNDOFF * float(kernel.sum()) * peak] = 0.0
    return np.asarray(out, dtype=np.float64)


def habitat_quality(habitat: ArrayLike, degradation: ArrayLike, half_saturation: float,
                    z: float = SCALING_PARAMETER) -> FloatArray:
    r"""Habitat quality from habitat suitability and total degradation (dimensionless, 0–1).

    Parameters
    ----------
    habitat : array_like
        Habitat suitability :math:`H_j` (0–1).
    degradation : array_like
        Total degradation :math:`D_{xj}` (≥ 0).
    half_saturation : float
        Half-saturation constant :math:`k` (> 0).
    z : float
        Scaling parameter (InVEST: 2.5).

    Returns
    -------
    ndarray
        :math:`Q_{xj}`; 0 where :math:`H_j = 0`.

    Notes
    -----
    :math:`Q_{xj} = H_j \left(1 - \frac{D_{xj}^z}{D_{xj}^z + k^z}\right)` (Sharp et al. 2020,
    eq. hq.4; InVEST ``_calculate_habitat_quality`` with ``ksq = k**2.5``).
    """
    h = _f64(habitat)
    d = _f64(degradation)
    d_z = d * d * np.sqrt(d) if z == 2.5 else d**z  # the same, sqrt is faster than a power
    return h * (1.0 - d_z / (d_z + half_saturation**z))


def class_index(land_use: ArrayLike, codes: ArrayLike) -> NDArray[np.intp]:
    """Position + 1 of each cell's code in ``codes`` (sorted ascending); 0 for nodata (NaN) and
    codes not listed."""
    values = _f64(land_use)
    keys = _f64(codes)
    position = np.clip(np.searchsorted(keys, values), 0, max(keys.size - 1, 0))
    hit = keys[position] == values if keys.size else np.zeros(values.shape, dtype=bool)
    return np.where(hit, position + 1, 0)


def degradation_and_quality(land_use: ArrayLike, impacts: Sequence[ArrayLike], *, codes: ArrayLike,
                            habitat: ArrayLike, sensitivity: ArrayLike, weights: ArrayLike,
                            half_saturation: float, access: ArrayLike | float = 1.0,
                            z: float = SCALING_PARAMETER) -> FloatArray:
    r"""Per-threat and total degradation, quality and class index of each cell, in one pass.

    Parameters
    ----------
    land_use : array_like (rows, cols)
        Land-use codes (NaN = nodata).
    impacts : sequence of R arrays (rows, cols)
        Decayed impact :math:`i_r` of each threat (dimensionless).
    codes : array_like (C,)
        Land-use codes of the sensitivity table, sorted ascending.
    habitat : array_like (C,)
        Habitat suitability :math:`H_j` of each code (0–1).
    sensitivity : array_like (R, C)
        Sensitivity :math:`S_{jr}` of each code to each threat (0–1).
    weights : array_like (R,)
        Normalised threat weights :math:`w_r / \sum_r w_r` (Sharp et al. 2020, eq. hq.3; InVEST
        ``weight_avg = row['weight'] / weight_sum``).
    half_saturation : float
        :math:`k` (> 0).
    access : array_like or float
        Accessibility :math:`\beta_x` (0–1).
    z : float
        Scaling parameter.

    Returns
    -------
    ndarray (R + 3, rows, cols)
        Layers ``0..R-1``: degradation by each threat, :math:`D_{xr} = i_r\,(w_r/\sum w)\,S_{jr}\,
        \beta_x` (InVEST ``_calculate_individual_degradation``: ``filtered_threat * sens *
        weight_avg * access``); ``R``: total
        degradation :math:`D_{xj} = \sum_r D_{xr}` (Sharp et al. 2020, eq. hq.3; InVEST
        ``_calculate_total_degradation``); ``R + 1``: quality (:func:`habitat_quality`);
        ``R + 2``: class index (:func:`class_index`, as float). Cells whose code is nodata or
        not in ``codes`` are NaN in the first R + 2 layers.
    """
    index = class_index(land_use, codes)
    n = len(impacts)
    # lookup tables with a leading NaN for "no class", so nodata needs no separate mask;
    # weights folded into the sensitivities: coefficient[r, j] = (w_r / Σw) S_jr
    coefficient = np.full((n, _f64(codes).size + 1), np.nan)
    coefficient[:, 1:] = _f64(sensitivity) * _f64(weights)[:, None]
    suitability = np.concatenate([[np.nan], _f64(habitat)])
    out = np.empty((n + 3, *index.shape))
    total = out[n]
    total[...] = 0.0
    for r, impact in enumerate(impacts):
        layer = out[r]
        np.multiply(_f64(impact), coefficient[r][index], out=layer)  # D_xr
        if not (np.isscalar(access) and access == 1.0):
            layer *= _f64(access)
        total += layer
    out[n + 1] = habitat_quality(suitability[index], total, half_saturation, z)
    out[n + 2] = index
    return out


def cover_level_codes(land_use: ArrayLike, cover: ArrayLike, parents: ArrayLike, cover_min: ArrayLike,
                      level_codes: ArrayLike) -> FloatArray:
    """Land-use codes refined by vegetation cover level.

    Parameters
    ----------
    land_use : array_like
        Land-use codes (NaN = nodata).
    cover : array_like
        Fractional vegetation cover, 0–1 (NaN = unknown).
    parents, cover_min, level_codes : array_like (L,)
        One entry per cover level: the land-use code it refines, the lowest cover of the level
        (0–1, inclusive) and the code of the level's row in the sensitivity table.

    Returns
    -------
    ndarray
        ``land_use`` where no level applies; else the code of the level with the highest
        ``cover_min`` not above the cell's cover. Cells of a refined code whose cover is
        unknown or below every level keep their own code (the class's own row applies).

    Notes
    -----
    E.g. the grassland levels of the land-use classification of the Chinese Academy of Sciences
    (CNLUCC, classes 31–33): high cover > 50 %, medium 20–50 %, low 5–20 %, as rows with
    ``cover_min`` 0.5, 0.2 and 0 (the lowest level also takes cover below 5 %).
    """
    codes = _f64(land_use).copy()
    values = _f64(cover)
    parents, mins, levels = _f64(parents), _f64(cover_min), _f64(level_codes)
    for parent in np.unique(parents):
        chosen = parents == parent
        order = np.argsort(mins[chosen], kind="stable")
        lows, targets = mins[chosen][order], levels[chosen][order]
        cells = (codes == parent) & np.isfinite(values)
        position = np.searchsorted(lows, values[cells], side="right") - 1
        refined = np.where(position >= 0, targets[np.clip(position, 0, None)], parent)
        codes[cells] = refined
    return codes
