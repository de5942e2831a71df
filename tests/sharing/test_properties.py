"""Shapley axioms, the nucleolus in the core, sampled Shapley intervals: on random games."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterhub.sharing import CachedGame, TableGame, allocate
from clusterhub.sharing.least_core import least_core
from clusterhub.sharing.separation import Enumeration
from clusterhub.sharing.shapley import exact_shapley, sampled_shapley


def coalitions(players: list[str]) -> list[frozenset[str]]:
    return [frozenset(c) for r in range(1, len(players) + 1) for c in combinations(players, r)]


@st.composite
def games(draw: st.DrawFn, min_players: int = 2, max_players: int = 5) -> TableGame:
    n = draw(st.integers(min_players, max_players))
    players = [f"p{i}" for i in range(n)]
    values = {c: float(draw(st.integers(-10, 40))) for c in coalitions(players)}
    return TableGame(players, values)


def phi(game: TableGame) -> np.ndarray:
    return exact_shapley(CachedGame(game))


@given(games())
def test_efficiency(game: TableGame) -> None:
    assert phi(game).sum() == pytest.approx(game.value(game.players))


@given(games(), st.data())
def test_symmetry(game: TableGame, data: st.DataObject) -> None:
    # make p0 and p1 interchangeable: v(S) depends on S only through |S & {p0, p1}| and the rest
    players = list(game.players)
    swap = {"p0": "p1", "p1": "p0"}
    values = {}
    for c in coalitions(players):
        mirrored = frozenset(swap.get(p, p) for p in c)
        values[c] = values.get(mirrored, game.value(c))
    symmetric = TableGame(players, values)
    result = phi(symmetric)
    assert result[0] == pytest.approx(result[1])


@given(games(max_players=4))
def test_null_player(game: TableGame) -> None:
    players = [*game.players, "null"]
    values = {c: game.value(c - {"null"}) for c in coalitions(players) if c != {"null"}}
    extended = TableGame(players, values)
    result = phi(extended)
    assert result[-1] == pytest.approx(0.0, abs=1e-9)
    assert result[:-1] == pytest.approx(phi(game))


@given(games(), st.integers(0, 2**32 - 1))
def test_additivity(game: TableGame, seed: int) -> None:
    rng = np.random.default_rng(seed)
    other = TableGame(
        game.players, {c: float(rng.integers(-5, 20)) for c in coalitions(list(game.players))}
    )
    both = TableGame(
        game.players,
        {c: game.value(c) + other.value(c) for c in coalitions(list(game.players))},
    )
    assert phi(both) == pytest.approx(phi(game) + phi(other))


@given(st.lists(st.integers(0, 10), min_size=2, max_size=5))
def test_nucleolus_is_in_the_core_of_a_convex_game(weights: list[int]) -> None:
    # v(S) = (sum of weights)^2 is supermodular, so its core is not empty (Shapley 1971)
    players = [f"p{i}" for i in range(len(weights))]
    w = dict(zip(players, weights, strict=True))
    game = TableGame(players, {c: float(sum(w[p] for p in c) ** 2) for c in coalitions(players)})
    result = allocate(game, "nucleolus")
    assert result.certificate.stable
    assert result.certificate.proven
    assert sum(result.shares.values()) == pytest.approx(game.value(players))


@given(games())
def test_nucleolus_in_the_core_whenever_there_is_one(game: TableGame) -> None:
    cached = CachedGame(game)
    epsilon = least_core(cached, Enumeration(cached)).epsilon
    result = allocate(game, "nucleolus")
    tol = 1e-6 * max(1.0, abs(cached.total))
    # the nucleolus attains the least-core value: its largest excess is epsilon
    assert result.certificate.max_excess == pytest.approx(epsilon, abs=1e-5)
    if epsilon <= tol:
        assert result.certificate.stable
    else:
        assert result.certificate.least_core_epsilon == pytest.approx(epsilon, abs=1e-6)


def test_sampled_shapley_intervals_cover_the_exact_value() -> None:
    # 40 random 6-player games x 6 players = 240 intervals at a nominal 95%; seeded, so the
    # count is fixed, and a broken estimator (biased, or intervals too narrow) falls far below.
    covered = total = 0
    rng = np.random.default_rng(7)
    for k in range(40):
        players = [f"p{i}" for i in range(6)]
        game = CachedGame(
            TableGame(
                players, {c: float(rng.normal(10, 5)) * len(c) ** 1.5 for c in coalitions(players)}
            )
        )
        exact = exact_shapley(game)
        estimate = sampled_shapley(game, samples=60, seed=k)
        inside = (estimate.ci95[:, 0] <= exact + 1e-9) & (exact - 1e-9 <= estimate.ci95[:, 1])
        covered += int(inside.sum())
        total += len(exact)
        assert estimate.value.sum() == pytest.approx(game.total)  # efficient in every sample
    assert covered / total >= 0.88


def test_sampling_stops_at_the_requested_precision() -> None:
    rng = np.random.default_rng(3)
    players = [f"p{i}" for i in range(8)]
    game = CachedGame(
        TableGame(players, {c: float(rng.uniform(0, 10)) * len(c) for c in coalitions(players)})
    )
    estimate = sampled_shapley(game, samples=100_000, precision=0.5, seed=1)
    assert estimate.half_width <= 0.5
    assert estimate.permutations < 100_000
