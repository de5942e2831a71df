"""Textbook games as tables, for the tests."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

from clusterhub.sharing import TableGame


def table(players: list[str], worth: Callable[[frozenset[str]], float]) -> TableGame:
    values = {
        frozenset(c): float(worth(frozenset(c)))
        for r in range(1, len(players) + 1)
        for c in combinations(players, r)
    }
    return TableGame(players, values)


def bankruptcy(estate: float, claims: dict[str, float]) -> TableGame:
    """v(S) = what S gets for sure: the estate less the others' claims (Aumann & Maschler)."""
    return table(
        list(claims),
        lambda s: max(0.0, estate - sum(d for p, d in claims.items() if p not in s)),
    )


def weighted_voting(quota: float, weights: dict[str, float]) -> TableGame:
    return table(list(weights), lambda s: 1.0 if sum(weights[p] for p in s) >= quota else 0.0)
