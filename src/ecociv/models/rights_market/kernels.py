"""Market clearing of tradable rights: pure functions on arrays.

Each participant i has a baseline :math:`b_i`, an allocation :math:`l_i` and an abatement cost
curve. At a price :math:`p` it abates :math:`a_i(p)`, the amount whose marginal cost is p
(quadratic curve :math:`C_i(a) = \\alpha_i a + \\tfrac12 \\beta_i a^2`: :math:`a = (p - \\alpha_i)
/\\beta_i`; stepwise: every step cheaper than p), within :math:`[0, \\bar a_i]`. Its net purchase
is :math:`q_i = b_i - a_i - l_i`. With a transaction cost c per unit bought a buyer responds to
p + c, a seller to p, and a participant for whom neither pays does not trade
(:math:`a_i = b_i - l_i`) — Stavins (1995). The market clears at the price where
:math:`\\sum q_i = 0`; :math:`\\sum q_i(p)` falls with p, so the price is found by bisection and
the last gap closed by interpolating between the two bracketing responses (the marginal step of
a stepwise market is shared pro rata).

Without transaction costs and bounds the price is Montgomery's (1972) closed form
:math:`p^* = (A + \\sum \\alpha_i/\\beta_i) / \\sum 1/\\beta_i` with :math:`A = \\sum b_i - \\sum l_i`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecociv.errors import InputError


@dataclass(frozen=True)
class Curves:
    """Abatement cost curves of n participants.

    Attributes
    ----------
    alpha, beta : ndarray (n,)
        Quadratic curves (yuan/permit, yuan/permit²); ``beta = 0`` marks a stepwise participant.
    upper : ndarray (n,)
        Most each can abate, permit.
    step_owner, step_cost, step_width : ndarray (k,)
        Steps of the stepwise participants: owner index, height (yuan/permit), width (permit),
        sorted by owner then cost.
    """

    alpha: np.ndarray
    beta: np.ndarray
    upper: np.ndarray
    step_owner: np.ndarray
    step_cost: np.ndarray
    step_width: np.ndarray

    @property
    def n(self) -> int:
        return len(self.alpha)

    def response(self, price: np.ndarray) -> np.ndarray:
        """Abatement of each participant when it faces ``price`` (one price per participant)."""
        price = np.asarray(price, dtype=float)
        out = np.zeros(self.n)
        quad = self.beta > 0
        out[quad] = (price[quad] - self.alpha[quad]) / self.beta[quad]
        if len(self.step_owner):
            taken = self.step_cost < price[self.step_owner]
            out += np.bincount(self.step_owner, weights=self.step_width * taken, minlength=self.n)
        return np.clip(out, 0.0, self.upper)

    def cost(self, abatement: np.ndarray) -> np.ndarray:
        """Abatement cost of each participant at ``abatement`` (cheapest steps first), yuan."""
        a = np.asarray(abatement, dtype=float)
        out = np.where(self.beta > 0, self.alpha * a + 0.5 * self.beta * a * a, 0.0)
        if len(self.step_owner):
            before = _cumulative_before(self.step_owner, self.step_width)
            used = np.clip(a[self.step_owner] - before, 0.0, self.step_width)
            out = out + np.bincount(self.step_owner, weights=used * self.step_cost, minlength=self.n)
        return out

    def marginal(self, abatement: np.ndarray) -> np.ndarray:
        """Marginal cost at ``abatement``: of the last unit abated (the first when none), yuan/permit."""
        a = np.asarray(abatement, dtype=float)
        out = np.where(self.beta > 0, self.alpha + self.beta * a, 0.0)
        if len(self.step_owner):
            before = _cumulative_before(self.step_owner, self.step_width)
            reached = before < np.maximum(a[self.step_owner], 1e-12) - 1e-9
            heights = np.where(reached, self.step_cost, -np.inf)
            top = np.full(self.n, -np.inf)
            np.maximum.at(top, self.step_owner, heights)
            first = np.full(self.n, np.inf)
            np.minimum.at(first, self.step_owner, self.step_cost)
            stepwise = self.beta <= 0
            out = np.where(stepwise, np.where(np.isfinite(top), top, first), out)
        return out

    def highest_price(self) -> float:
        """A price above every participant's marginal cost at full abatement."""
        top = np.where(self.beta > 0, self.alpha + self.beta * self.upper, 0.0)
        peak = float(top.max()) if self.n else 0.0
        if len(self.step_cost):
            peak = max(peak, float(self.step_cost.max()))
        return peak + 1.0


def _cumulative_before(owner: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Width of the earlier steps of the same owner (steps sorted by owner, then cost)."""
    total = np.cumsum(width) - width
    first = np.r_[0, np.flatnonzero(np.diff(owner)) + 1]
    start = np.repeat(total[first], np.diff(np.r_[first, len(owner)]))
    return total - start


@dataclass(frozen=True)
class Clearing:
    """A cleared market: price and each participant's abatement and net purchase."""

    price: float
    abatement: np.ndarray
    net_purchase: np.ndarray


def positions(curves: Curves, baseline: np.ndarray, allocation: np.ndarray, price: float,
              transaction_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Abatement and net purchase of every participant at ``price`` (sellers get ``price``,
    buyers pay ``price + transaction_cost``; in between, no trade)."""
    n = curves.n
    sell = curves.response(np.full(n, price))
    buy = curves.response(np.full(n, price + transaction_cost))
    q_sell = baseline - sell - allocation
    q_buy = baseline - buy - allocation
    abatement = np.where(q_sell < 0, sell, np.where(q_buy > 0, buy, baseline - allocation))
    return abatement, baseline - abatement - allocation


def clear(curves: Curves, baseline: np.ndarray, allocation: np.ndarray, *,
          transaction_cost: float = 0.0, floor: float = 0.0, where: str = "market",
          tolerance: float = 1e-9) -> Clearing:
    """Clear one market (see the module docstring).

    Parameters
    ----------
    curves : Curves
        Abatement cost curves of the participants.
    baseline, allocation : ndarray (n,)
        Baselines and rights held before trading, permit.
    transaction_cost : float
        Paid by buyers per permit bought, yuan/permit.
    floor : float
        Lowest price (an auction's reserve price), yuan/permit.
    where : str
        Name of the market for messages.

    Raises
    ------
    InputError
        The participants cannot abate enough to fit under the rights issued, even at any price
        (names the market and the shortfall).
    """
    baseline = np.asarray(baseline, dtype=float)
    allocation = np.asarray(allocation, dtype=float)
    shortfall = float(np.sum(baseline - curves.upper) - allocation.sum())
    if shortfall > tolerance * max(1.0, float(baseline.sum())):
        raise InputError(f"{where}: the participants can abate at most "
                         f"{float(curves.upper.sum()):,.6g} but must abate "
                         f"{float(baseline.sum() - allocation.sum()):,.6g} to fit under the rights "
                         f"issued; shortfall {shortfall:,.6g} (raise the cap or the abatement "
                         "potentials)")

    def excess(price: float) -> tuple[float, np.ndarray, np.ndarray]:
        a, q = positions(curves, baseline, allocation, price, transaction_cost)
        return float(q.sum()), a, q

    low, high = floor, max(curves.highest_price(), floor + 1.0)
    d_low, a_low, q_low = excess(low)
    if d_low <= 0:  # rights are plentiful: the price stays at its floor
        return _at_floor(curves, baseline, allocation, low, a_low, q_low)
    d_high, a_high, _ = excess(high)
    for _ in range(200):
        if high - low <= 1e-12 * max(1.0, high):
            break
        middle = 0.5 * (low + high)
        d, a, q = excess(middle)
        if d > 0:
            low, d_low, a_low, q_low = middle, d, a, q
        else:
            high, d_high, a_high = middle, d, a
    theta = 0.0 if d_low == d_high else d_low / (d_low - d_high)
    abatement = a_low + theta * (a_high - a_low)
    return Clearing(0.5 * (low + high), abatement, baseline - abatement - allocation)


def _at_floor(curves: Curves, baseline: np.ndarray, allocation: np.ndarray, price: float,
           abatement: np.ndarray, net: np.ndarray) -> Clearing:
    """At the floor price buyers want no more than sellers offer: buyers are served, sellers sell
    pro rata to what they offered and abate only what their remaining rights require (the rest
    of their rights stays unused)."""
    bought = net[net > 0].sum()
    offered = -net[net < 0].sum()
    share = bought / offered if offered > 0 else 0.0
    sold = np.where(net < 0, net * share, 0.0)
    new_net = np.where(net > 0, net, sold)
    # a seller that sells less abates only down to its holding: abatement = baseline − holding
    new_abatement = np.where(net < 0, np.clip(baseline - allocation - sold, 0.0, curves.upper),
                             abatement)
    new_abatement = np.where(net < 0, np.minimum(new_abatement, abatement), new_abatement)
    return Clearing(price, new_abatement, new_net)
