"""Finding the coalition that is worst off under an allocation (the separation step).

Why it is the heart of the matter: an allocation is stable when no coalition S has a positive
excess ``v(S) - x(S)`` (it would gain by leaving). Checking that over 2^n coalitions is impossible
for 50 companies, so the least core and the nucleolus ask an oracle for the coalition with the
largest excess, add it, and stop when the oracle proves there is none left. Here: exact
enumeration for small games and for tables; the energy game has its own MILP oracle
(``clusterhub.service.energy_game``, which joins this engine to the energy engine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from clusterhub.errors import InputError
from clusterhub.sharing.game import CachedGame, TableGame
from clusterhub.sharing.shapley import gray_order

__all__ = ["Enumeration", "Search", "Separation", "TableSearch", "separation_for"]

#: Games with at most this many players are separated by enumerating every coalition.
ENUMERATION_LIMIT = 16


@dataclass(frozen=True)
class Search:
    """Coalitions whose excess may exceed the floor, most promising first, with their excess as
    the oracle saw it; ``exhaustive`` says that no coalition outside ``found`` exceeds the floor
    (a proof), otherwise the search was only a heuristic."""

    found: tuple[int, ...]
    excess: tuple[float, ...]
    exhaustive: bool


class Separation(Protocol):
    def search(
        self,
        x: np.ndarray,
        *,
        floor: float,
        skip: Sequence[int],
        span: np.ndarray | None,
        quick: bool,
        limit: int,
    ) -> Search:
        """Coalitions S (bitmasks) not in ``skip`` and not in the row space ``span`` with
        ``v(S) - x(S) > floor``. ``quick`` allows a heuristic answer."""
        ...


def in_span(vectors: np.ndarray, span: np.ndarray | None) -> np.ndarray:
    """Which rows of ``vectors`` (0/1 membership) lie in the row space of ``span``: their excess
    is fixed by the coalitions already settled, so they carry no new information."""
    if span is None or not len(span):
        return np.zeros(len(vectors), dtype=bool)
    # an orthonormal basis of the row space (SVD: QR without pivoting misses it when rows
    # are dependent, as settled coalitions often are)
    u, singular, _ = np.linalg.svd(span.T.astype(float), full_matrices=False)
    q = u[:, singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))]
    residual = vectors - (vectors @ q) @ q.T
    return np.abs(residual).max(axis=1) < 1e-9 if residual.size else np.zeros(0, dtype=bool)


def membership(masks: np.ndarray | Sequence[int], n: int) -> np.ndarray:
    """Rows of 0/1 membership for coalition bitmasks; beyond 62 players a bitmask no longer
    fits a machine integer and the (few) rows are built from Python integers."""
    if n <= 62:
        array = np.asarray(masks, dtype=np.int64).reshape(-1)
        return ((array[:, None] >> np.arange(n)) & 1).astype(float)
    return np.array([[(int(m) >> i) & 1 for i in range(n)] for m in masks], dtype=float).reshape(
        -1, n
    )


def _worst(excess: np.ndarray, allowed: np.ndarray, *, floor: float, limit: int) -> list[int]:
    """Indices of at most ``limit`` allowed coalitions whose excess exceeds ``floor``, largest
    excess first (ties in listed order): the answer of every exact search."""
    order = np.argsort(-np.where(allowed, excess, -np.inf), kind="stable")
    return [int(k) for k in order[:limit] if allowed[k] and excess[k] > floor]


class Enumeration:
    """Every coalition's value computed once (Gray-code order), then each search is exact."""

    def __init__(self, game: CachedGame) -> None:
        n = game.n
        self.n = n
        # every coalition but the empty and the grand one (whose excess is 0 by efficiency)
        self.masks = np.arange(1, (1 << n) - 1, dtype=np.int64)
        values = np.zeros(1 << n)
        for mask in gray_order(n).tolist():
            values[mask] = game.value(mask)
        self.values = values[1:-1]
        self.matrix = membership(self.masks, n)

    def search(
        self,
        x: np.ndarray,
        *,
        floor: float,
        skip: Sequence[int],
        span: np.ndarray | None,
        quick: bool,
        limit: int,
    ) -> Search:
        excess = self.values - self.matrix @ x
        allowed = ~np.isin(self.masks, np.asarray(list(skip), dtype=np.int64))
        allowed &= ~in_span(self.matrix, span)
        picked = _worst(excess, allowed, floor=floor, limit=limit)
        return Search(
            found=tuple(int(self.masks[k]) for k in picked),
            excess=tuple(float(excess[k]) for k in picked),
            exhaustive=True,
        )


class TableSearch:
    """A large table game: only listed coalitions have a value, every other one is worth 0, so
    the worst unlisted coalition is the set of players with negative shares (or the player with
    the smallest share). Exact unless that very set happens to be listed."""

    def __init__(self, game: CachedGame, table: TableGame) -> None:
        self.n = game.n
        self.grand = game.grand
        listed = [(game.mask(c), v) for c, v in table.listed.items()]
        self.masks = [m for m, _ in listed]
        self.values = np.array([v for _, v in listed])
        self.matrix = membership(self.masks, self.n)

    def search(
        self,
        x: np.ndarray,
        *,
        floor: float,
        skip: Sequence[int],
        span: np.ndarray | None,
        quick: bool,
        limit: int,
    ) -> Search:
        negative = np.flatnonzero(x < 0)
        members = negative if len(negative) else np.array([int(np.argmin(x))])
        unlisted = sum(1 << int(i) for i in members)
        masks = [*self.masks, unlisted]
        values = np.append(self.values, 0.0)
        matrix = np.vstack([self.matrix, membership([unlisted], self.n)])
        excess = values - matrix @ x
        skipped = set(skip)
        allowed = np.array([m not in skipped and m != self.grand for m in masks])
        allowed &= ~in_span(matrix, span)
        picked = _worst(excess, allowed, floor=floor, limit=limit)
        exhaustive = unlisted not in set(self.masks) and bool(allowed[-1])
        return Search(
            found=tuple(masks[k] for k in picked),
            excess=tuple(float(excess[k]) for k in picked),
            exhaustive=exhaustive,
        )


def separation_for(game: CachedGame, *, enumerate_up_to: int | None = None) -> Separation:
    """The exact oracle a game allows. A game with its own oracle (the energy game's MILP)
    brings it above its ``enumerate_up_to`` players; small games are enumerated; a large table
    is searched through its listed coalitions."""
    inner = game.game
    oracle = getattr(inner, "separation", None)
    if oracle is not None:
        limit = enumerate_up_to or int(getattr(inner, "enumerate_up_to", ENUMERATION_LIMIT))
        if game.n > limit:
            result: Separation = oracle(game)
            return result
        return Enumeration(game)
    if game.n <= (enumerate_up_to or ENUMERATION_LIMIT):
        return Enumeration(game)
    if isinstance(inner, TableGame):
        return TableSearch(game, inner)
    raise InputError.single(
        f"a game of at most {ENUMERATION_LIMIT} players, a table, or a game with its own "
        "separation oracle",
        f"{game.n} players",
        path="game",
    )
