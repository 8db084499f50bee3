r"""RUSLE kernels (pure functions on NumPy arrays): rainfall erosivity R, soil erodibility K,
the slope length and steepness factor LS from a DEM, the cover factor C from vegetation cover,
and soil loss :math:`A = R \, K \, LS \, C \, P` (Renard et al. 1997, USDA Agriculture Handbook
703, eq. 1-1).

Units (SI, Foster et al. 1981): R in MJ mm ha⁻¹ h⁻¹ yr⁻¹, K in t ha h ha⁻¹ MJ⁻¹ mm⁻¹, LS, C
and P dimensionless, so A is in t ha⁻¹ yr⁻¹. NaN marks nodata and propagates.

The LS step routes flow over the whole DEM (it is not local to a chunk): :func:`terrain` works
on one in-memory array with compiled loops (``terrain_loops.py``, numba) and holds about five
grid-sized float64 arrays at its peak (~0.6 GB for 4000 × 4000 cells); the rest of LS is cell by
cell (:func:`ls_from_terrain`).

References
----------
* Renard K.G., Foster G.R., Weesies G.A., McCool D.K., Yoder D.C. (1997). Predicting soil
  erosion by water: a guide to conservation planning with the Revised Universal Soil Loss
  Equation (RUSLE). USDA Agriculture Handbook 703.
* Foster G.R., McCool D.K., Renard K.G., Moldenhauer W.C. (1981). Conversion of the universal
  soil loss equation to SI metric units. J. Soil Water Conserv. 36(6):355-359.
* Wischmeier W.H., Smith D.D. (1978). Predicting rainfall erosion losses. USDA Agriculture
  Handbook 537 (the monthly/annual precipitation form of R below is commonly attributed to it;
  it goes back to Arnoldus H.M.J. (1980), An approximation of the rainfall factor in the
  Universal Soil Loss Equation, in De Boodt M., Gabriels D. (eds), Assessment of Erosion,
  Wiley, 127-132).
* Williams J.R. (1995). The EPIC model. In Singh V.P. (ed.), Computer Models of Watershed
  Hydrology, Water Resources Publications, 909-1000 (K from texture and organic carbon; also
  Neitsch S.L. et al. 2011, SWAT Theoretical Documentation 2009, eqs. 4:1.1.5-4:1.1.9).
* Horn B.K.P. (1981). Hill shading and the reflectance map. Proc. IEEE 69(1):14-47.
* O'Callaghan J.F., Mark D.M. (1984). The extraction of drainage networks from digital
  elevation data. Comput. Vision Graph. 28:323-344 (D8 flow directions).
* Desmet P.J.J., Govers G. (1996). A GIS procedure for automatically calculating the USLE LS
  factor on topographically complex landscape units. J. Soil Water Conserv. 51(5):427-433.
* McCool D.K., Brown L.C., Foster G.R., Mutchler C.K., Meyer L.D. (1987). Revised slope
  steepness factor for the Universal Soil Loss Equation. Trans. ASAE 30(5):1387-1396.
* McCool D.K., Foster G.R., Mutchler C.K., Meyer L.D. (1989). Revised slope length factor for
  the Universal Soil Loss Equation. Trans. ASAE 32(5):1571-1576.
* Liu B.Y., Nearing M.A., Risse L.M. (1994). Slope gradient effects on soil loss for steep
  slopes. Trans. ASAE 37(6):1835-1840.
* Cai C.F., Ding S.W., Shi Z.H., Huang L., Zhang G.Y. (2000). 应用USLE模型与地理信息系统IDRISI
  预测小流域土壤侵蚀量的研究 (Study of applying USLE and GIS IDRISI to predict soil erosion in
  a small watershed). 水土保持学报 (J. Soil Water Conserv.) 14(2):19-24.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
ArrayT = TypeVar("ArrayT")

#: R in hundreds of ft·tonf·in/(ac·h·yr) times this = MJ·mm/(ha·h·yr) (Foster et al. 1981).
R_US_TO_SI = 17.02
#: K in t·ac·h/(100·ac·ft·tonf·in) times this = t·ha·h/(ha·MJ·mm) (Foster et al. 1981).
K_US_TO_SI = 0.1317
#: Constants of the monthly-precipitation erosivity formula (Wischmeier & Smith 1978 as cited;
#: Arnoldus 1980): R = Σ 1.735 × 10^(1.5 log10(Pi²/P) − 0.8188), US customary units.
FOURNIER_COEFFICIENT = 1.735
FOURNIER_EXPONENT = 1.5
FOURNIER_OFFSET = -0.8188
#: Organic matter / organic carbon ("van Bemmelen factor", e.g. Nelson & Sommers 1996,
#: Methods of Soil Analysis Part 3, SSSA Book Series 5, 961-1010).
ORGANIC_MATTER_PER_CARBON = 1.724
#: Unit plot length of the USLE, m (72.6 ft; Wischmeier & Smith 1978; Renard et al. 1997).
UNIT_PLOT_LENGTH = 22.13
#: Slope (tan θ) at which McCool et al. (1987) switch from the gentle to the steep S equation.
MCCOOL_SLOPE_BREAK = 0.09
#: Vegetation cover (%) at and above which C = 0 in Cai et al. (2000).
CAI_FULL_COVER_PERCENT = 78.3

#: D8 neighbour offsets (row, col), in the order ties are broken: E, SE, S, SW, W, NW, N, NE.
D8_OFFSETS = ((0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1))


def _f64(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def _float_grid(values: ArrayLike) -> NDArray[np.floating]:
    """A C-contiguous float32 or float64 array (other types as float64): the compiled terrain
    loops read either and compute in float64, so a float32 DEM needs no float64 copy."""
    array = np.asarray(values)
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    return np.ascontiguousarray(array)


# --------------------------------------------------------------------------------------------
# R: rainfall erosivity
# --------------------------------------------------------------------------------------------

def rainfall_erosivity(monthly_precipitation: ArrayLike, axis: int = 0) -> FloatArray:
    r"""Mean annual rainfall erosivity from mean monthly precipitation.

    Parameters
    ----------
    monthly_precipitation : array_like or sequence of array_like
        Mean precipitation of each month, mm/month, 12 values along ``axis`` (January first;
        the order does not matter to the formula), or one array per month (never stacked).
    axis : int
        The month axis (of an array).

    Returns
    -------
    ndarray
        R, MJ mm ha⁻¹ h⁻¹ yr⁻¹; 0 where the annual total is 0; NaN where a month is NaN or
        negative (negative precipitation is reported by the model's input check).

    Notes
    -----
    :math:`R = 17.02 \sum_{i=1}^{12} 1.735 \times 10^{\,1.5 \log_{10}(P_i^2/P) - 0.8188}`
    with :math:`P_i` the monthly and :math:`P = \sum P_i` the annual precipitation in mm
    (formula as cited from Wischmeier & Smith 1978 in the Chinese RUSLE literature; Arnoldus
    1980). The sum is in US customary units (hundreds of ft·tonf·in ac⁻¹ h⁻¹ yr⁻¹); 17.02
    converts it to SI (Foster et al. 1981). Since
    :math:`10^{1.5 \log_{10}(P_i^2/P)} = P_i^3 / P^{1.5}`, it is evaluated as
    :math:`17.02 \times 1.735 \times 10^{-0.8188} \sum P_i^3 / P^{1.5}`, which is defined for
    dry months (:math:`P_i = 0` contributes 0) and needs no logarithm of zero.
    """
    if isinstance(monthly_precipitation, list | tuple):
        monthly: Any = [np.asarray(values) for values in monthly_precipitation]
        shape = np.broadcast_shapes(*(values.shape for values in monthly))
    else:
        monthly = np.moveaxis(np.asarray(monthly_precipitation), axis, 0)
        shape = monthly.shape[1:]
    # month by month (a month's worth of temporaries, not twelve), sums in month order
    annual = np.zeros(shape)
    cubes = np.zeros(shape)
    month = np.empty(shape)
    for values in monthly:
        month[...] = values
        with np.errstate(invalid="ignore"):
            np.copyto(month, np.nan, where=month < 0)
        annual += month
        np.power(month, 3, out=month)
        cubes += month
    coefficient = R_US_TO_SI * FOURNIER_COEFFICIENT * 10.0**FOURNIER_OFFSET
    with np.errstate(divide="ignore", invalid="ignore"):
        np.power(annual, FOURNIER_EXPONENT, out=month)
        r = np.multiply(coefficient, cubes, out=cubes)
        r /= month
    np.copyto(r, 0.0, where=annual == 0)
    return r


# --------------------------------------------------------------------------------------------
# K: soil erodibility
# --------------------------------------------------------------------------------------------

def organic_carbon_from_matter(organic_matter: ArrayLike) -> FloatArray:
    r"""Soil organic carbon from organic matter, both in % (mass).

    Notes
    -----
    :math:`OC = OM / 1.724` (the conventional van Bemmelen factor; Nelson & Sommers 1996).
    """
    return _f64(organic_matter) / ORGANIC_MATTER_PER_CARBON


def erodibility_epic_us(sand: ArrayLike, silt: ArrayLike, clay: ArrayLike,
                        organic_carbon: ArrayLike) -> FloatArray:
    r"""Soil erodibility by the EPIC equation, in US customary units.

    Parameters
    ----------
    sand, silt, clay : array_like
        Particle-size fractions of the fine earth, % (mass), sand + silt + clay ≤ 100.
    organic_carbon : array_like
        Soil organic carbon, % (mass).

    Returns
    -------
    ndarray
        K, t ac h (100 ac ft tonf in)⁻¹; 0 where silt + clay = 0 (pure sand).

    Notes
    -----
    :math:`K = f_{csand} f_{cl-si} f_{orgc} f_{hisand}` (Williams 1995; Neitsch et al. 2011,
    eqs. 4:1.1.5-4:1.1.9) with

    * :math:`f_{csand} = 0.2 + 0.3 \exp[-0.0256\, m_s (1 - m_{silt}/100)]`
    * :math:`f_{cl-si} = \left(m_{silt} / (m_c + m_{silt})\right)^{0.3}`
    * :math:`f_{orgc} = 1 - 0.25\, C / (C + \exp[3.72 - 2.95\, C])`
    * :math:`f_{hisand} = 1 - 0.7\, SN / (SN + \exp[-5.51 + 22.9\, SN])`,
      :math:`SN = 1 - m_s/100`

    :math:`m_s, m_{silt}, m_c` sand, silt and clay in %, :math:`C` organic carbon in %.
    """
    sand_ = _f64(sand)
    silt_ = _f64(silt)
    clay_ = _f64(clay)
    carbon = _f64(organic_carbon)
    f_csand = 0.2 + 0.3 * np.exp(-0.0256 * sand_ * (1.0 - silt_ / 100.0))
    fines = silt_ + clay_
    with np.errstate(divide="ignore", invalid="ignore"):
        f_clsi = np.where(fines > 0, (silt_ / fines) ** 0.3, 0.0)
    f_clsi = np.where(np.isnan(fines), np.nan, f_clsi)
    f_orgc = 1.0 - 0.25 * carbon / (carbon + np.exp(3.72 - 2.95 * carbon))
    sn = 1.0 - sand_ / 100.0
    f_hisand = 1.0 - 0.7 * sn / (sn + np.exp(-5.51 + 22.9 * sn))
    return f_csand * f_clsi * f_orgc * f_hisand


def soil_erodibility(sand: ArrayLike, silt: ArrayLike, clay: ArrayLike, organic_carbon: ArrayLike,
                     correction: str = "none") -> FloatArray:
    r"""Soil erodibility K in SI units from texture and organic carbon.

    Parameters
    ----------
    sand, silt, clay : array_like
        Particle-size fractions, % (mass).
    organic_carbon : array_like
        Soil organic carbon, %.
    correction : {"none", "zhang_2008"}
        ``"zhang_2008"`` applies the regression of measured on EPIC K for Chinese soils.

    Returns
    -------
    ndarray
        K, t ha h ha⁻¹ MJ⁻¹ mm⁻¹, ≥ 0.

    Notes
    -----
    :math:`K = 0.1317\, K_{EPIC}` (Foster et al. 1981 conversion of
    :func:`erodibility_epic_us`). With ``"zhang_2008"``:
    :math:`K = 0.1317\,(-0.01383 + 0.51575\, K_{EPIC})`, floored at 0 (Zhang K.L., Shu A.P.,
    Xu X.L., Yang Q.K., Yu B. 2008, Soil erodibility and its estimation for agricultural soils
    in China, J. Arid Environ. 72:1002-1011, as it is applied in the Chinese literature; the
    constants were not checked against the paper for this implementation).
    """
    k_us = erodibility_epic_us(sand, silt, clay, organic_carbon)
    if correction == "zhang_2008":
        k_us = np.maximum(-0.01383 + 0.51575 * k_us, 0.0)
    elif correction != "none":
        raise ValueError(f"unknown erodibility correction {correction!r}")
    return K_US_TO_SI * k_us


# --------------------------------------------------------------------------------------------
# LS: slope length and steepness from a DEM
# --------------------------------------------------------------------------------------------

def _difference(before: FloatArray, centre: FloatArray, after: FloatArray,
                spacing: float) -> FloatArray:
    """Central difference (after - before) / 2h, else one-sided with the centre, else NaN."""
    central = (after - before) / (2.0 * spacing)
    forward = (after - centre) / spacing
    backward = (centre - before) / spacing
    return np.where(~np.isnan(central), central, np.where(~np.isnan(forward), forward, backward))


def _weighted_mean(parts: list[FloatArray], like: FloatArray) -> FloatArray:
    """1-2-1 weighted mean of the parts that are not NaN; 0 where none is, NaN where ``like``
    is NaN (the general case of :func:`horn_gradient`)."""
    total = np.zeros(like.shape)
    weight = np.zeros(like.shape)
    for part, w in zip(parts, (1.0, 2.0, 1.0), strict=True):
        usable = ~np.isnan(part)
        total += np.where(usable, w * part, 0.0)
        weight += np.where(usable, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(weight > 0, total / weight, 0.0)
    return np.where(np.isnan(like), np.nan, mean)


def _horn_general(at: Callable[[int, int], FloatArray], z: FloatArray, dx: float,
                  dy: float) -> tuple[FloatArray, FloatArray]:
    """Both gradient components with every fallback, from ``at(drow, dcol)`` = the neighbours
    at that offset of the cells in ``z``."""
    with np.errstate(invalid="ignore"):
        dzdx = _weighted_mean([_difference(at(r, -1), at(r, 0), at(r, 1), dx)
                               for r in (-1, 0, 1)], z)
        # north is up: the row above (drow = -1) is the "after" side of dz/dy
        dzdy = _weighted_mean([_difference(at(1, c), at(0, c), at(-1, c), dy)
                               for c in (-1, 0, 1)], z)
    return dzdx, dzdy


def horn_gradient(dem: ArrayLike, dx: float, dy: float) -> tuple[FloatArray, FloatArray]:
    r"""Elevation gradient by Horn's 3 × 3 finite differences.

    Parameters
    ----------
    dem : array_like
        Elevation, m, 2-D (row 0 = north); NaN = nodata.
    dx, dy : float
        Cell width and height, m.

    Returns
    -------
    (ndarray, ndarray)
        :math:`\partial z/\partial x` (east positive) and :math:`\partial z/\partial y` (north
        positive), m/m; NaN only where the DEM is NaN.

    Notes
    -----
    Where the 3 × 3 window is complete this is Horn (1981):
    :math:`\partial z/\partial x = [(z_{NE} + 2z_E + z_{SE}) - (z_{NW} + 2z_W + z_{SW})]/(8\,dx)`,
    i.e. the 1-2-1 weighted mean of the central differences of the north, centre and south
    rows (likewise for y with the columns). At the grid edge and next to nodata each row uses
    its central difference, else a one-sided difference with the row's middle cell, and the
    weighted mean is taken over the rows that have one; a cell with no usable row gets 0.
    Every difference is exact on a plane, so a tilted plane has its true slope up to the edges
    and around holes, and no cell with data gets a NaN gradient.

    The complete windows (nearly every cell) are done in one compiled pass
    (:func:`terrain_loops.horn_complete`); only the cells at the edge or next to nodata go
    through the general rule, gathered.
    """
    from ecociv.models.soil_conservation import terrain_loops

    z = _float_grid(dem)
    rows, cols = z.shape
    dzdx = np.empty(z.shape)
    dzdy = np.empty(z.shape)
    # the complete windows in one compiled pass ((c₁ + 2 c₂ + c₃)/4 of the three central
    # differences, the operations of the general rule in the same order); NaN at the
    # edge, next to nodata and at nodata cells. A component is NaN iff one of its central
    # differences is: only there (and where the DEM has data) does the general rule differ
    incomplete = np.empty(z.shape, dtype=bool)
    terrain_loops.horn_complete(z, float(dx), float(dy), dzdx, dzdy, incomplete)
    where_rows, where_cols = np.nonzero(incomplete)
    del incomplete
    if where_rows.size:

        def at(drow: int, dcol: int) -> FloatArray:
            r, c = where_rows + drow, where_cols + dcol
            inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
            values = np.full(r.shape, np.nan)
            values[inside] = z[r[inside], c[inside]]
            return values

        edge_x, edge_y = _horn_general(at, _f64(z[where_rows, where_cols]), dx, dy)
        dzdx[where_rows, where_cols] = edge_x
        dzdy[where_rows, where_cols] = edge_y
    return dzdx, dzdy


def slope_angle(dzdx: ArrayLike, dzdy: ArrayLike) -> FloatArray:
    r"""Slope angle θ, radians: :math:`\theta = \arctan \sqrt{(\partial z/\partial x)^2 +
    (\partial z/\partial y)^2}`."""
    return np.arctan(np.hypot(_f64(dzdx), _f64(dzdy)))


def contour_factor(dzdx: ArrayLike, dzdy: ArrayLike) -> FloatArray:
    r"""Desmet & Govers' contour-length factor :math:`x = |\sin\alpha| + |\cos\alpha|`
    (dimensionless, 1 to √2) of the aspect α; 1 on flat cells.

    Notes
    -----
    The flow width across a cell of size D is :math:`D\,x` (Desmet & Govers 1996, eq. 7); with
    the gradient components :math:`g_x, g_y`,
    :math:`x = (|g_x| + |g_y|) / \sqrt{g_x^2 + g_y^2}`.
    """
    gx = np.abs(_f64(dzdx))
    gy = np.abs(_f64(dzdy))
    norm = np.hypot(gx, gy)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (gx + gy) / norm
    return np.where(norm > 0, x, np.where(np.isnan(norm), np.nan, 1.0))


def d8_receivers(dem: ArrayLike, dx: float, dy: float) -> IntArray:
    r"""D8 flow receiver of every cell (flat index into the grid), -1 where there is none.

    Parameters
    ----------
    dem : array_like
        Elevation, m, 2-D; NaN = nodata.
    dx, dy : float
        Cell width and height, m.

    Returns
    -------
    ndarray of int64
        Receiver of each cell (``row * cols + col``), or -1 for cells with no strictly lower
        neighbour (pits, flats, edge cells draining out of the grid) and nodata cells.

    Notes
    -----
    Flow goes to the neighbour of steepest descent :math:`(z_0 - z_n)/d_n` (O'Callaghan &
    Mark 1984), ties going to the first of E, SE, S, SW, W, NW, N, NE. The DEM is not
    depression-filled: a cell without a lower neighbour receives flow but passes none on, i.e.
    slope length ends there, as RUSLE ends it where deposition begins (Renard et al. 1997,
    ch. 4). Nodata cells and the grid edge are never receivers.
    """
    z = _float_grid(dem)
    receiver: IntArray = np.empty(z.shape, dtype=np.int64)
    _d8_into(z, dx, dy, receiver)
    return receiver


def _threads() -> int:
    """Threads a kernel may use: the run's dask thread count when one is set (the scheduler of
    ``ecociv.execute`` sets ``num_workers``), else the CPUs, at most 2 parts of a grid."""
    import dask

    given = dask.config.get("num_workers", None)
    return max(1, min(2, int(given) if given else (os.cpu_count() or 1)))


def _d8_into(z: NDArray[np.floating], dx: float, dy: float, receiver: NDArray[np.integer],
             threads: int | None = None) -> None:
    """:func:`d8_receivers` of ``z`` (float32/float64, C-contiguous) into ``receiver`` (int32
    when the grid has fewer than 2³¹ cells, or int64): the rows split between ``threads``
    threads (the compiled loop releases the GIL; row ranges are independent)."""
    from concurrent.futures import ThreadPoolExecutor

    from ecociv.models.soil_conservation import terrain_loops

    rows, cols = z.shape
    offsets = np.array(D8_OFFSETS, dtype=np.int64)
    distances = np.array([float(np.hypot(drow * dy, dcol * dx)) for drow, dcol in D8_OFFSETS])
    steps = offsets[:, 0] * cols + offsets[:, 1]
    args = (z, offsets[:, 0].copy(), offsets[:, 1].copy(), distances, steps)
    parts = max(1, min(_threads() if threads is None else threads, rows // 256))
    bounds = [rows * i // parts for i in range(parts + 1)]
    if parts == 1:
        terrain_loops.d8_rows(*args, 0, rows, receiver)
        return
    with ThreadPoolExecutor(parts - 1) as pool:
        others = [pool.submit(terrain_loops.d8_rows, *args, bounds[i], bounds[i + 1], receiver)
                  for i in range(1, parts)]
        terrain_loops.d8_rows(*args, bounds[0], bounds[1], receiver)
        for other in others:
            other.result()


def flow_accumulation(receivers: ArrayLike, weights: ArrayLike) -> FloatArray:
    r"""Sum of ``weights`` over each cell and every cell draining to it.

    Parameters
    ----------
    receivers : array_like of int
        Flat receiver index of each cell, -1 for none (:func:`d8_receivers`), any shape.
    weights : array_like
        Weight of each cell (e.g. its area, m²), same shape; NaN counts as 0.

    Returns
    -------
    ndarray
        Accumulated weight, same shape and units as ``weights``.

    Notes
    -----
    Each cell is passed on to its receiver once all its donors are (a topological order,
    O(cells), in one compiled loop: :func:`terrain_loops.accumulate`); a receiver adds its
    donors in the order they are finished, so with unequal weights the last bit can depend on
    that order. D8 receivers on a DEM always form a forest (flow goes strictly downhill), so
    every cell is reached.

    Raises
    ------
    ValueError
        If ``receivers`` and ``weights`` differ in size or a receiver is not -1 or a cell.
    """
    from ecociv.models.soil_conservation import terrain_loops

    shape = np.shape(weights)
    target = np.ascontiguousarray(receivers, dtype=np.int64).ravel()
    total = np.nan_to_num(_f64(weights).ravel(), nan=0.0)  # a copy (copy=True)
    if target.size != total.size:
        raise ValueError(f"receivers have {target.size} cells, weights {total.size}")
    if target.size and (target.min() < -1 or target.max() >= target.size):
        raise ValueError("receivers must be -1 or a flat index into the grid")
    terrain_loops.accumulate(target, total)
    return total.reshape(shape)


def slope_length_exponent(theta: ArrayLike) -> FloatArray:
    r"""RUSLE slope-length exponent m (dimensionless) for a slope angle θ (radians).

    Notes
    -----
    :math:`m = \beta/(1+\beta)`, :math:`\beta = (\sin\theta/0.0896)/(3(\sin\theta)^{0.8} +
    0.56)` for soils moderately susceptible to rilling (McCool et al. 1989; Renard et al. 1997,
    eqs. 4-4 and 4-5). m = 0 on flat cells.
    """
    sin = np.sin(_f64(theta))
    beta = (sin / 0.0896) / (3.0 * sin**0.8 + 0.56)
    return beta / (1.0 + beta)


def slope_steepness_factor(theta: ArrayLike, steep_threshold: float = np.radians(10.0)) -> FloatArray:
    r"""RUSLE slope steepness factor S (dimensionless) for a slope angle θ (radians).

    Parameters
    ----------
    theta : array_like
        Slope angle, radians.
    steep_threshold : float
        Angle (radians) from which the steep-slope equation of Liu et al. (1994) is used;
        ``π/2`` keeps McCool et al. (1987) for every slope.

    Notes
    -----
    * :math:`S = 10.8 \sin\theta + 0.03` for :math:`\tan\theta < 9\%` (McCool et al. 1987;
      Renard et al. 1997, eq. 4-2),
    * :math:`S = 16.8 \sin\theta - 0.50` for :math:`\tan\theta \ge 9\%` (same),
    * :math:`S = 21.91 \sin\theta - 0.96` for :math:`\theta \ge` ``steep_threshold`` (Liu et
      al. 1994, fitted on slopes of 9-55 %; applied from 10° in Chinese RUSLE studies, an
      illustrative threshold).
    """
    angle = _f64(theta)
    sin = np.sin(angle)
    gentle = np.tan(angle) < MCCOOL_SLOPE_BREAK
    s = np.where(gentle, 10.8 * sin + 0.03, 16.8 * sin - 0.50)
    return np.where(angle >= steep_threshold, 21.91 * sin - 0.96, s)


def slope_length_factor(upslope_area: ArrayLike, cell_size: float, contour: ArrayLike,
                        m: ArrayLike, max_slope_length: float = np.inf) -> FloatArray:
    r"""RUSLE slope length factor L of a cell by Desmet & Govers' unit-contributing-area method.

    Parameters
    ----------
    upslope_area : array_like
        Area draining into the cell's inlet (not counting the cell), m².
    cell_size : float
        Cell size D, m (square cells; :math:`\sqrt{dx\,dy}` otherwise).
    contour : array_like
        Contour-length factor x (:func:`contour_factor`), dimensionless.
    m : array_like
        Slope-length exponent (:func:`slope_length_exponent`).
    max_slope_length : float
        Cap on the upslope length :math:`\lambda_{in}`, m.

    Returns
    -------
    ndarray
        L, dimensionless.

    Notes
    -----
    :math:`L = \frac{(A_{in} + D^2)^{m+1} - A_{in}^{m+1}}{D^{m+2}\, x^m\, 22.13^m}` (Desmet &
    Govers 1996, eq. 8). Written with the upslope length :math:`\lambda_{in} = A_{in}/(D x)`
    and :math:`\lambda_{out} = \lambda_{in} + D/x` it is Foster & Wischmeier's segment form
    :math:`L = (\lambda_{out}^{m+1} - \lambda_{in}^{m+1}) / ((\lambda_{out} - \lambda_{in})\,
    22.13^m)`, which is how it is evaluated, with :math:`\lambda_{in}` capped at
    ``max_slope_length``: beyond a few hundred metres overland flow concentrates in channels,
    where RUSLE does not apply (Renard et al. 1997, ch. 4).
    """
    x = _f64(contour)
    m_ = _f64(m)
    upslope = np.minimum(_f64(upslope_area) / (cell_size * x), max_slope_length)
    outlet = upslope + cell_size / x
    return (outlet ** (m_ + 1) - upslope ** (m_ + 1)) / ((outlet - upslope) * UNIT_PLOT_LENGTH**m_)


def ls_factor(dem: ArrayLike, dx: float, dy: float, *, max_slope_length: float = np.inf,
              steep_threshold_degrees: float = 10.0) -> FloatArray:
    r"""RUSLE LS factor of every cell of a DEM.

    Parameters
    ----------
    dem : array_like
        Elevation, m, 2-D (row 0 = north), in a projected CRS with metre cells; NaN = nodata.
    dx, dy : float
        Cell width and height, m.
    max_slope_length : float
        Cap on the upslope length, m (:func:`slope_length_factor`).
    steep_threshold_degrees : float
        Slope angle, degrees, from which S follows Liu et al. (1994).

    Returns
    -------
    ndarray
        LS, dimensionless, ≥ 0; NaN exactly where the DEM is NaN.

    Notes
    -----
    Slope and aspect by Horn (1981) (:func:`horn_gradient`); contributing area by D8 flow
    accumulation (:func:`d8_receivers`, :func:`flow_accumulation`) of the cell area
    :math:`dx\,dy`, without depression filling; L by Desmet & Govers (1996) with m of McCool
    et al. (1989); S by McCool et al. (1987) and Liu et al. (1994). LS is floored at 0 (S of
    Liu et al. is negative below 2.5°, which the 10° threshold avoids).

    It is :func:`terrain` (the whole grid) followed by :func:`ls_from_terrain` (cell by cell),
    which evaluates the factor functions above in compiled passes, within 1e-12 (relative) of
    composing them (tests/models/test_soil_conservation_fast.py).
    """
    upslope, dzdx, dzdy = terrain(dem, dx, dy)
    return ls_from_terrain(upslope, dzdx, dzdy, float(np.sqrt(dx * dy)),
                           max_slope_length=max_slope_length,
                           steep_threshold_degrees=steep_threshold_degrees, overwrite=True)


def terrain(dem: ArrayLike, dx: float, dy: float) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""What LS needs of the whole DEM: upslope area and gradient of every cell.

    Parameters
    ----------
    dem : array_like
        Elevation, m, 2-D (row 0 = north), metre cells; NaN = nodata.
    dx, dy : float
        Cell width and height, m.

    Returns
    -------
    (ndarray, ndarray, ndarray)
        :func:`upslope_area` and :func:`horn_gradient`'s :math:`\partial z/\partial x`,
        :math:`\partial z/\partial y` (NaN exactly at nodata cells). Three float64 grids;
        everything else of LS is cell by cell (:func:`ls_from_terrain`). Only the upslope area
        needs the whole grid: the gradient of a block needs one more cell around it, so the
        model computes it chunk by chunk.
    """
    z = _float_grid(dem)
    upslope = upslope_area(z, dx, dy)
    dzdx, dzdy = horn_gradient(z, dx, dy)
    return upslope, dzdx, dzdy


def upslope_area(dem: ArrayLike, dx: float, dy: float) -> FloatArray:
    r"""Area draining into each cell's inlet, m²: the D8 accumulation of the cell areas
    :math:`dx\,dy` (:func:`d8_receivers`, :func:`flow_accumulation`) minus the cell's own; 0 at
    nodata cells.

    Notes
    -----
    One compiled pass after the receivers (= ``flow_accumulation(receivers, area) - area``);
    the receivers are computed by rows in two threads and kept as int32 below 2³¹ cells (4
    bytes per cell instead of 8: this whole-grid step sets the model's peak memory).
    """
    from ecociv.models.soil_conservation import terrain_loops

    z = _float_grid(dem)
    receivers = np.empty(z.shape, dtype=np.int32 if z.size < 2**31 - 1 else np.int64)
    _d8_into(z, dx, dy, receivers)
    upslope = np.empty(z.shape)
    terrain_loops.upslope_area(receivers.reshape(-1), z.reshape(-1), float(dx * dy),
                               upslope.reshape(-1))
    return upslope


def positive_power(base: NDArray[np.floating], exponent: float | NDArray[np.floating],
                   out: FloatArray) -> FloatArray:
    r"""``base ** exponent`` into ``out`` (which may be ``base``) as
    :math:`e^{\,exponent \cdot \ln base}`, for bases ≥ 0 (or NaN) and exponents > 0 (or NaN).

    NumPy's vectorised ``log`` and ``exp`` take about 1.4 ns a value here against 3.9 ns for
    float64 ``np.power``; the result is within :math:`(2 + |exponent \ln base|)` units in the
    last place of the power (a few 1e-15 relative for the factors of LS and K). A base of 0
    gives 0 (:math:`e^{-\infty}`), NaN stays NaN.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(base, out=out)
    out *= exponent
    np.exp(out, out=out)
    return out


def ls_from_terrain(upslope: ArrayLike, dzdx: ArrayLike, dzdy: ArrayLike, cell_size: float, *,
                    max_slope_length: float = np.inf, steep_threshold_degrees: float = 10.0,
                    overwrite: bool = False) -> FloatArray:
    r"""RUSLE LS of cells from their upslope area and gradient (:func:`terrain`).

    Parameters
    ----------
    upslope : array_like
        Area draining into each cell's inlet, m².
    dzdx, dzdy : array_like
        Gradient components, m/m; NaN = nodata.
    cell_size : float
        :math:`\sqrt{dx\,dy}`, m.
    max_slope_length, steep_threshold_degrees : float
        As in :func:`ls_factor`.
    overwrite : bool
        Use the three (float64) arrays as scratch space instead of copying them.

    Returns
    -------
    ndarray
        LS, dimensionless, ≥ 0; NaN exactly where ``dzdx`` is NaN. Cell by cell: any block of
        the grid gives the block of :func:`ls_factor`, bit for bit.

    Notes
    -----
    The factor functions (:func:`slope_steepness_factor`, :func:`slope_length_exponent`,
    :func:`slope_length_factor`, :func:`contour_factor`) in three compiled passes
    (``terrain_loops.ls_arguments``, ``ls_exponents``, ``ls_combine``) around NumPy's
    vectorised logarithm and exponentials (powers as :func:`positive_power`), with :math:`\tan\theta = |\nabla z|` and
    :math:`\sin\theta = |\nabla z|/\sqrt{1 + |\nabla z|^2}` instead of the arctangent, sine
    and tangent, and :math:`22.13^m = e^{m \ln 22.13}`: within a few units in the last place of
    the composed functions (1e-12 relative, tests/models/test_soil_conservation_fast.py).
    """
    from ecociv.models.soil_conservation import terrain_loops

    shape = np.shape(dzdx)
    flat = [np.ascontiguousarray(a, dtype=np.float64).reshape(-1)
            for a in (upslope, dzdx, dzdy)]
    size = flat[0].size
    # overwrite: the three inputs serve as scratch (a float64 input is its own flat view)
    scratch = flat if overwrite else [np.empty(size) for _ in range(3)]
    sine, length_in, length_out = scratch
    steepness, out = np.empty(size), np.empty(size)
    terrain_loops.ls_arguments(flat[0], flat[1], flat[2], float(cell_size),
                               float(max_slope_length),
                               float(np.tan(np.radians(steep_threshold_degrees))),
                               # sine may alias dzdx: ls_arguments reads a cell before writing it
                               sine, steepness, length_in, length_out)
    # the powers (as e^(b ln x)) and the exponential by NumPy's vectorised functions
    sine_power = positive_power(sine, 0.8, out)
    exponent = sine  # m + 1, in place of sin θ (read before written, cell by cell)
    unit_plot = np.empty(size)
    terrain_loops.ls_exponents(sine, sine_power, float(np.log(UNIT_PLOT_LENGTH)), exponent,
                               unit_plot)
    np.exp(unit_plot, out=unit_plot)
    powered_in = positive_power(length_in, exponent, sine_power)
    powered_out = positive_power(length_out, exponent, np.empty(size))
    terrain_loops.ls_combine(length_in, length_out, powered_in, powered_out, unit_plot,
                             steepness, out)
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------
# C, P and soil loss
# --------------------------------------------------------------------------------------------

def cover_factor_from_vegetation(vegetation_cover: ArrayLike) -> FloatArray:
    r"""Cover-management factor C (dimensionless) from fractional vegetation cover.

    Parameters
    ----------
    vegetation_cover : array_like
        Fractional vegetation cover, 0-1.

    Returns
    -------
    ndarray
        C in [0, 1].

    Notes
    -----
    With :math:`f_c` the cover in %: :math:`C = 1` for :math:`f_c = 0`,
    :math:`C = 0.6508 - 0.3436 \log_{10} f_c` for :math:`0 < f_c < 78.3`, :math:`C = 0` for
    :math:`f_c \ge 78.3` (Cai et al. 2000). The middle branch exceeds 1 below
    :math:`f_c \approx 0.1\,\%`, so C is clipped to [0, 1].
    """
    percent = _f64(vegetation_cover) * 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 0.6508 - 0.3436 * np.log10(percent)
    c = np.where(percent >= CAI_FULL_COVER_PERCENT, 0.0, np.where(percent <= 0, 1.0, c))
    c = np.clip(c, 0.0, 1.0)
    return np.where(np.isnan(percent), np.nan, c)


def soil_loss(erosivity: ArrayT, erodibility: Any, ls: Any, cover: Any = 1.0,
              practice: Any = 1.0) -> ArrayT:
    r"""Mean annual soil loss by RUSLE, t ha⁻¹ yr⁻¹.

    Parameters
    ----------
    erosivity : array_like
        R, MJ mm ha⁻¹ h⁻¹ yr⁻¹.
    erodibility : array_like
        K, t ha h ha⁻¹ MJ⁻¹ mm⁻¹.
    ls : array_like
        LS, dimensionless.
    cover, practice : array_like
        C and P, dimensionless, 0-1 (1 and 1 give the potential loss).

    Notes
    -----
    :math:`A = R\,K\,LS\,C\,P` (Renard et al. 1997, eq. 1-1), multiplied in this order. Works on
    numpy arrays and scalars and on (dask-backed) xarray objects alike.
    """
    return erosivity * erodibility * ls * cover * practice


def soil_conservation(potential: ArrayT, actual: Any) -> ArrayT:
    r"""Soil conservation service, t ha⁻¹ yr⁻¹: :math:`A_p - A`.

    Notes
    -----
    :math:`A_p = R\,K\,LS` is the loss without cover or practice (C = P = 1) and
    :math:`A = A_p\,C\,P` the actual loss, so the service is :math:`R\,K\,LS\,(1 - C P)`, the
    form of the national ecological red-line guideline (生态保护红线划定指南, Ministry of
    Environmental Protection and NDRC 2017: :math:`A_c = A_p - A_r = R K LS (1 - C)`, i.e. with
    P = 1). Works on numpy arrays and scalars and on (dask-backed) xarray objects alike.
    """
    return potential - actual
