"""Numerical kernels of ``eco_assessment``: normalisation, Shannon entropy weights and TOPSIS.

All functions take a matrix ``x`` of shape (units, indicators) and a boolean vector ``benefit``
(True: larger is better, "+"; False: smaller is better, "−"). Plain numpy; no missing values (the
model resolves them before calling).
"""

from __future__ import annotations

import numpy as np


def minmax(x: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Range normalisation to [0, 1] with direction.

    ``x′ = (x − min) / (max − min)`` for a benefit indicator and ``(max − x) / (max − min)`` for a
    cost indicator, column by column. A column whose values are all equal gives 1 for every unit
    (every unit reaches the best observed value; it adds the same to every score and changes no
    rank, and its entropy weight is 0).
    """
    x = np.asarray(x, dtype=float)
    low, high = x.min(axis=0), x.max(axis=0)
    span = high - low
    safe = np.where(span > 0, span, 1.0)
    up = (x - low) / safe
    down = (high - x) / safe
    out = np.where(np.asarray(benefit, dtype=bool), up, down)
    return np.where(span > 0, out, 1.0)


def zscore(x: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Standard score with direction: ``(x − mean) / sd`` (population sd), negated for a cost
    indicator; 0 for a constant column."""
    x = np.asarray(x, dtype=float)
    mean, sd = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / np.where(sd > 0, sd, 1.0)
    z = np.where(sd > 0, z, 0.0)
    return np.where(np.asarray(benefit, dtype=bool), z, -z)


def entropy_weights(normalised: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shannon entropy weights of the columns of a non-negative matrix.

    ``p_ij = x′_ij / Σ_i x′_ij``; ``e_j = −Σ_i p_ij ln p_ij / ln n`` (``0 · ln 0 = 0``; a column
    summing to 0 has ``e_j = 1``); ``w_j = (1 − e_j) / Σ_k (1 − e_k)``. When every column has
    ``e = 1`` (no indicator discriminates) the weights are equal.

    Returns
    -------
    (entropy, weights), both of shape (indicators,).
    """
    x = np.asarray(normalised, dtype=float)
    n = x.shape[0]
    if n < 2:
        return np.ones(x.shape[1]), np.full(x.shape[1], 1.0 / x.shape[1])
    total = x.sum(axis=0)
    p = x / np.where(total > 0, total, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = np.where(total > 0, -plogp.sum(axis=0) / np.log(n), 1.0)
    divergence = np.clip(1.0 - entropy, 0.0, None)
    if divergence.sum() <= 0:
        return entropy, np.full(x.shape[1], 1.0 / x.shape[1])
    return entropy, divergence / divergence.sum()


def topsis(x: np.ndarray, benefit: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """TOPSIS relative closeness (Hwang & Yoon 1981) of each row.

    Vector normalisation ``r_ij = x_ij / √Σ_i x_ij²``; weighted ``v_ij = w_j r_ij`` where
    ``weights`` is (indicators,) or one weight vector per row (units, indicators); ideal
    ``V⁺_j`` = max of v (benefit) or min (cost), anti-ideal the other; ``D±`` Euclidean distances;
    closeness ``C_i = D⁻ / (D⁺ + D⁻)`` (0.5 when both distances are 0).

    With one weight vector per row, row i is measured with its own vector against the ideal
    points of the whole matrix weighted by that vector (zone-differentiated weights).
    """
    x = np.asarray(x, dtype=float)
    norm = np.sqrt((x**2).sum(axis=0))
    r = x / np.where(norm > 0, norm, 1.0)
    best = np.where(benefit, r.max(axis=0), r.min(axis=0))
    worst = np.where(benefit, r.min(axis=0), r.max(axis=0))
    w = np.broadcast_to(np.asarray(weights, dtype=float), x.shape)
    d_plus = np.sqrt(((w * (r - best)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((w * (r - worst)) ** 2).sum(axis=1))
    both = d_plus + d_minus
    return np.where(both > 0, d_minus / np.where(both > 0, both, 1.0), 0.5)


def ideal_points(x: np.ndarray, benefit: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weighted ideal and anti-ideal points ``(V⁺, V⁻)`` of :func:`topsis` (one weight vector)."""
    x = np.asarray(x, dtype=float)
    norm = np.sqrt((x**2).sum(axis=0))
    v = np.asarray(weights, dtype=float) * x / np.where(norm > 0, norm, 1.0)
    return np.where(benefit, v.max(axis=0), v.min(axis=0)), np.where(benefit, v.min(axis=0), v.max(axis=0))
