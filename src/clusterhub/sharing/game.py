"""Cooperative games: who the players are and what each coalition is worth.

Why a protocol and bitmasks: every rule below asks the same question, "what is coalition S
worth?", thousands of times. Players are numbered once; a coalition is an ``int`` whose bit ``i``
says whether player ``i`` belongs. Values are cached, and the cache counts how many distinct
coalitions were really evaluated (an LP each in the energy game), the figure that matters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from clusterhub.errors import InputError, NotFound, Problem

__all__ = ["CachedGame", "Game", "TableGame", "game_from_document"]


@runtime_checkable
class Game(Protocol):
    """A transferable-utility game: ``value(S)`` is the saving coalition S achieves together
    compared with its members alone (so a player alone is worth 0 in the energy game)."""

    @property
    def players(self) -> tuple[str, ...]: ...

    def value(self, coalition: Iterable[str]) -> float: ...


class CachedGame:
    """A game seen through bitmasks, with every coalition evaluated at most once."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self.players: tuple[str, ...] = tuple(game.players)
        self.n = len(self.players)
        self.grand = (1 << self.n) - 1
        self._index = {p: i for i, p in enumerate(self.players)}
        self._values: dict[int, float] = {0: 0.0}
        self.evaluations = 0
        # coalitions read, and those first learned, since ``track()``: what a rule reused
        self._read: set[int] = set()
        self._learned: set[int] = set()

    def mask(self, coalition: Iterable[str]) -> int:
        bits = 0
        for player in coalition:
            if player not in self._index:
                raise NotFound(f"{player!r} is not a player of this game")
            bits |= 1 << self._index[player]
        return bits

    def members(self, mask: int) -> tuple[str, ...]:
        return tuple(p for i, p in enumerate(self.players) if mask >> i & 1)

    def value(self, mask: int) -> float:
        self._read.add(mask)
        if mask not in self._values:
            self._values[mask] = float(self.game.value(self.members(mask)))
            self._learned.add(mask)
            self.evaluations += 1
        return self._values[mask]

    def known(self, mask: int) -> bool:
        return mask in self._values

    def remember(self, mask: int, value: float) -> None:
        """Record a value learned elsewhere (a batch solve) without counting an evaluation."""
        if mask not in self._values:
            self._values[mask] = value
            self._learned.add(mask)

    def track(self) -> None:
        """Start counting anew which coalitions are read and which of them were known already."""
        self._read, self._learned = set(), set()

    def usage(self) -> tuple[int, int]:
        """Since ``track()``: proper coalitions read, and how many of them were known before
        (solved for an earlier rule on this game, or by the stand-alone run)."""
        read = self._read - {0}
        return len(read), len(read - self._learned)

    @property
    def total(self) -> float:
        return self.value(self.grand)


class TableGame:
    """A game given as a table of coalition values; coalitions not listed are worth 0."""

    def __init__(self, players: Sequence[str], values: Mapping[frozenset[str], float]) -> None:
        self._players = tuple(players)
        self._values = {frozenset(k): float(v) for k, v in values.items()}
        if frozenset(self._players) not in self._values:
            raise InputError.single(
                "the grand coalition (all players) among the values", path="values"
            )

    @property
    def players(self) -> tuple[str, ...]:
        return self._players

    def value(self, coalition: Iterable[str]) -> float:
        return self._values.get(frozenset(coalition), 0.0)

    @property
    def listed(self) -> Mapping[frozenset[str], float]:
        return self._values


def game_from_document(document: Any, *, file: str | None = None) -> TableGame:
    """A table game from the GAME.json document
    ``{"players": [...], "values": [{"coalition": [...], "value": 3.0}, ...]}``.

    Every problem is reported with its path, all at once, and nothing is half-read."""
    problems: list[Problem] = []

    def problem(expected: str, found: object, path: str) -> None:
        problems.append(Problem(expected, None if found is None else repr(found), path, file))

    if not isinstance(document, dict):
        raise InputError(
            [Problem("a JSON object with players and values", type(document).__name__, "", file)]
        )
    extra = sorted(set(document) - {"players", "values"})
    for key in extra:
        problem("only the keys players and values", key, key)
    players = document.get("players")
    if not isinstance(players, list) or not players:
        problem("a non-empty list of player names", players, "players")
        players = []
    names: list[str] = []
    for i, name in enumerate(players):
        if not isinstance(name, str) or not name:
            problem("a player name (text)", name, f"players[{i}]")
        elif name in names:
            problem("each player listed once", name, f"players[{i}]")
        else:
            names.append(name)
    values = document.get("values")
    if not isinstance(values, list):
        problem("a list of {coalition, value} entries", values, "values")
        values = []
    table: dict[frozenset[str], float] = {}
    known = set(names)
    for i, entry in enumerate(values):
        where = f"values[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"coalition", "value"}:
            problem("an object with exactly coalition and value", entry, where)
            continue
        coalition, value = entry["coalition"], entry["value"]
        if not isinstance(coalition, list) or not coalition:
            problem("a non-empty list of players", coalition, f"{where}.coalition")
            continue
        for j, member in enumerate(coalition):
            if member not in known:
                problem(
                    f"one of the players ({', '.join(names)})", member, f"{where}.coalition[{j}]"
                )
        if len(set(coalition)) != len(coalition):
            problem("each member once", coalition, f"{where}.coalition")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problem("a finite number", value, f"{where}.value")
            continue
        key = frozenset(coalition)
        if key in table:
            problem("each coalition listed once", coalition, f"{where}.coalition")
        table[key] = float(value)
    if problems:
        raise InputError(problems)
    if frozenset(names) not in table:
        raise InputError(
            [Problem("the grand coalition (all players) among the values", None, "values", file)]
        )
    return TableGame(names, table)
