"""The Shapley value: each player's average marginal contribution over all orders of arrival.

Why two ways: exactly, it needs every one of the 2^n coalitions (4,096 LPs for 12 companies,
seconds on one built model); beyond ~16 players that is out of reach, so it is estimated from
random orders of arrival. Each random order is paired with its reverse (antithetic sampling): a
player who arrives early in one arrives late in the other, which cancels much of the variance of
"early or late" luck. The estimate is efficient by construction (each order's contributions sum
to v(N)) and comes with a 95% confidence interval per player.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clusterhub.errors import InputError
from clusterhub.sharing.game import CachedGame

__all__ = ["ShapleyEstimate", "exact_shapley", "gray_order", "sampled_shapley"]

#: Above this many players the exact value is refused: 2^n coalitions would each need a solve.
EXACT_LIMIT = 20


def gray_order(n: int) -> np.ndarray:
    """All 2^n coalitions, each differing from the previous one by one player (Gray code): the
    energy game then changes one company's bounds per solve, so the warm start stays close."""
    k = np.arange(1 << n, dtype=np.int64)
    return k ^ (k >> 1)


def exact_shapley(game: CachedGame, *, report: Callable[[str], None] | None = None) -> np.ndarray:
    n = game.n
    if n > EXACT_LIMIT:
        raise InputError.single(
            f"at most {EXACT_LIMIT} players for the exact Shapley value (sample above)",
            f"{n} players",
            path="method",
        )
    values = np.zeros(1 << n)
    for k, mask in enumerate(gray_order(n).tolist()):
        values[mask] = game.value(mask)
        if report is not None and k % 256 == 255:
            report(f"shapley: {k + 1:,} of {1 << n:,} coalitions")
    masks = np.arange(1 << n, dtype=np.int64)
    size = np.bitwise_count(masks).astype(int)
    # weight of a coalition S (not containing i) in player i's sum: |S|! (n - |S| - 1)! / n!
    weight = np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i & 1) == 0]
        phi[i] = float(
            np.sum(weight[size[without]] * (values[without | (1 << i)] - values[without]))
        )
    return phi


@dataclass(frozen=True)
class ShapleyEstimate:
    value: np.ndarray
    ci95: np.ndarray  # (n, 2): low, high
    permutations: int
    half_width: float  # the widest interval's half width


def sampled_shapley(
    game: CachedGame,
    *,
    samples: int = 1000,
    precision: float | None = None,
    seed: int = 0,
    min_pairs: int = 10,
    report: Callable[[str], None] | None = None,
) -> ShapleyEstimate:
    """Estimate from at most ``samples`` orders of arrival (taken in antithetic pairs), stopping
    early once every player's 95% interval is narrower than ``precision`` either side."""
    n = game.n
    rng = np.random.default_rng(seed)
    pairs = max(1, samples // 2)
    total = np.zeros(n)
    squares = np.zeros(n)
    taken = 0
    half = math.inf
    for _ in range(pairs):
        order = rng.permutation(n)
        pair = (_contributions(game, order) + _contributions(game, order[::-1])) / 2
        total += pair
        squares += pair * pair
        taken += 1
        if taken >= min_pairs:
            half = _half_width(total, squares, taken).max()
            if report is not None:
                report(f"shapley: {2 * taken} orders sampled, widest 95% interval +-{half:,.2f}")
            if precision is not None and half <= precision:
                break
    mean = total / taken
    width = _half_width(total, squares, taken) if taken > 1 else np.full(n, math.inf)
    return ShapleyEstimate(
        value=mean,
        ci95=np.column_stack([mean - width, mean + width]),
        permutations=2 * taken,
        half_width=float(width.max()) if n else 0.0,
    )


def _contributions(game: CachedGame, order: np.ndarray) -> np.ndarray:
    out = np.zeros(game.n)
    mask, before = 0, 0.0
    for player in order.tolist():
        mask |= 1 << player
        after = game.value(mask)
        out[player] = after - before
        before = after
    return out


def _half_width(total: np.ndarray, squares: np.ndarray, count: int) -> np.ndarray:
    mean = total / count
    variance = np.maximum(squares / count - mean * mean, 0.0) * count / max(count - 1, 1)
    return 1.96 * np.sqrt(variance / count)
