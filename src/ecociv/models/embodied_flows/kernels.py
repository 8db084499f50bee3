r"""Leontief input–output kernels: technical coefficients, the Leontief inverse, multipliers and
embodied flows (arrays in, arrays out; no files, no units).

Notation (Miller & Blair 2009, *Input–Output Analysis: Foundations and Extensions*, 2nd ed.,
Cambridge University Press, ch. 2 and ch. 9):

- :math:`Z` (n × n) inter-industry flows, :math:`Z_{ij}` = sales of sector *i* to sector *j*;
- :math:`x` total output; :math:`A = Z\hat{x}^{-1}` technical coefficients (eq. 2.4);
- :math:`L = (I - A)^{-1}` the Leontief inverse (eq. 2.10), :math:`x = L y`;
- :math:`f = F / x` direct intensities of an environmental extension :math:`F` (ch. 9);
- :math:`m = f L` total (direct + indirect) multipliers; the extension embodied in a final-demand
  vector :math:`y` is :math:`m \cdot y` per product, or :math:`\hat{f} L y` per producing sector.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecociv.errors import InputError

Array = NDArray[np.float64]


def technical_coefficients(flows: ArrayLike, output: ArrayLike, *, names: list[str] | None = None,
                           source: str = "io_flows") -> Array:
    r"""Technical coefficients :math:`A = Z \hat{x}^{-1}` (Miller & Blair 2009, eq. 2.4).

    Parameters
    ----------
    flows : array_like
        Inter-industry flows :math:`Z` (n × n, non-negative, any money unit per year).
    output : array_like
        Total output :math:`x` (n, same unit, > 0 for every sector that buys inputs).
    names : list of str, optional
        Sector names for error messages.

    Returns
    -------
    numpy.ndarray
        :math:`A_{ij} = Z_{ij} / x_j` (a column of zeros where :math:`x_j = 0` and the sector buys
        nothing).
    """
    z = np.asarray(flows, dtype=np.float64)
    x = np.asarray(output, dtype=np.float64)
    n = x.shape[0]
    label = names or [str(i) for i in range(n)]
    if z.shape != (n, n):
        raise InputError(f"flows must be {n} × {n} for {n} sectors, got {z.shape}", source=source)
    if not (np.all(np.isfinite(z)) and np.all(np.isfinite(x))):
        raise InputError("flows and total output must be finite numbers", source=source)
    bad = np.argwhere(z < 0)
    if bad.size:
        i, j = bad[0]
        raise InputError(f"negative flow {z[i, j]:g} from '{label[i]}' to '{label[j]}'; flows must be "
                         ">= 0", source=source)
    if np.any(x < 0):
        k = int(np.argmax(x < 0))
        raise InputError(f"negative total output {x[k]:g} of sector '{label[k]}'", source=source)
    buys = z.sum(axis=0) > 0
    zero = buys & (x == 0)
    if np.any(zero):
        k = int(np.argmax(zero))
        raise InputError(f"sector '{label[k]}' buys inputs but its total output is 0", source=source)
    safe = np.where(x > 0, x, 1.0)
    return z / safe[np.newaxis, :]


def leontief_inverse(coefficients: ArrayLike, *, names: list[str] | None = None,
                     source: str = "io_flows") -> Array:
    r"""The Leontief inverse :math:`L = (I - A)^{-1}` (Miller & Blair 2009, eq. 2.10).

    Parameters
    ----------
    coefficients : array_like
        Technical coefficients :math:`A` (n × n, non-negative).

    Returns
    -------
    numpy.ndarray
        :math:`L`, n × n.

    Raises
    ------
    InputError
        When a column of :math:`A` sums to 1 or more (a sector whose intermediate inputs cost at
        least its output: the Hawkins–Simon condition, sufficient form, is violated and
        :math:`L` may be singular or have negative entries), or :math:`I - A` is singular.
    """
    a = np.asarray(coefficients, dtype=np.float64)
    n = a.shape[0]
    label = names or [str(i) for i in range(n)]
    if a.shape != (n, n):
        raise InputError(f"technical coefficients must be square, got {a.shape}", source=source)
    if np.any(a < 0):
        i, j = np.argwhere(a < 0)[0]
        raise InputError(f"negative technical coefficient A[{label[i]}, {label[j]}] = {a[i, j]:g}",
                         source=source)
    sums = a.sum(axis=0)
    if np.any(sums >= 1.0):
        k = int(np.argmax(sums >= 1.0))
        raise InputError(f"intermediate inputs of sector '{label[k]}' are {sums[k]:.4g} of its output "
                         "(column sum of A >= 1): the economy is not productive (Hawkins–Simon) and "
                         "the Leontief inverse is not defined; check its flows and total output",
                         source=source)
    try:
        inverse = np.linalg.solve(np.eye(n) - a, np.eye(n))
    except np.linalg.LinAlgError as err:  # unreachable for column sums < 1, kept for direct calls
        raise InputError(f"I - A is singular: {err}", source=source) from err
    return np.asarray(inverse, dtype=np.float64)


def intensities(extension: ArrayLike, output: ArrayLike) -> Array:
    """Direct intensities :math:`f_j = F_j / x_j` (0 where :math:`x_j = 0`), per row of ``extension``
    (k × n or n)."""
    f = np.asarray(extension, dtype=np.float64)
    x = np.asarray(output, dtype=np.float64)
    safe = np.where(x > 0, x, 1.0)
    return np.where(x > 0, f / safe, 0.0)


def multipliers(direct: ArrayLike, inverse: ArrayLike) -> Array:
    r"""Total multipliers :math:`m = f L` (direct plus indirect extension per unit of final demand)."""
    return np.asarray(np.asarray(direct, dtype=np.float64) @ np.asarray(inverse, dtype=np.float64))


def embodied_by_product(total: ArrayLike, demand: ArrayLike) -> Array:
    r"""Extension embodied in final demand, per product bought: :math:`m_j y_j`."""
    return np.asarray(total, dtype=np.float64) * np.asarray(demand, dtype=np.float64)


def embodied_by_origin(direct: ArrayLike, inverse: ArrayLike, demand: ArrayLike) -> Array:
    r"""Extension embodied in final demand, per producing sector: :math:`\hat{f} L y`."""
    f = np.asarray(direct, dtype=np.float64)
    return f * (np.asarray(inverse, dtype=np.float64) @ np.asarray(demand, dtype=np.float64))
