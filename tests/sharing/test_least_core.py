"""The least-core point: which of the (usually many) least-core allocations is returned."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterhub.sharing import CachedGame, TableGame, allocate

PLAYERS = ["a", "b", "c", "d"]


def symmetric_game(worth: dict[tuple[int, frozenset[str]], float]) -> TableGame:
    """a and b interchangeable: v(S) depends on how many of a, b are in S and on the rest."""
    values = {}
    for r in range(1, len(PLAYERS) + 1):
        for members in combinations(PLAYERS, r):
            s = frozenset(members)
            values[s] = worth[len(s & {"a", "b"}), s - {"a", "b"}]
    return TableGame(PLAYERS, values)


#: v by (members of {a, b}, others): a, b worth 0 alone, c 3, d 5, ab 1, ac = bc 2, ad = bd 0,
#: cd 9, abc 8, abd 4, acd = bcd 8, abcd 8.
WORTH = {
    (1, frozenset()): 0.0,
    (0, frozenset("c")): 3.0,
    (0, frozenset("d")): 5.0,
    (2, frozenset()): 1.0,
    (1, frozenset("c")): 2.0,
    (1, frozenset("d")): 0.0,
    (0, frozenset("cd")): 9.0,
    (2, frozenset("c")): 8.0,
    (2, frozenset("d")): 4.0,
    (1, frozenset("cd")): 8.0,
    (2, frozenset("cd")): 8.0,
}


def test_symmetric_players_get_the_same_least_core_share() -> None:
    """Worked by hand: the least-core value is 2.5 (abc >= 5.5 forces d <= 2.5, d >= 2.5), and
    the least core is d = 2.5, 4 <= c <= 6.5, a + b = 5.5 - c, a, b in [-2.5, 2.5]. The reference
    is each player's separable contribution v(N) - v(N - i) = (0, 0, 4, 0), scaled to v(N) = 8:
    (0, 0, 8, 0). Its closest least-core point: with a = b, minimise (5.5 - c)^2 / 2 + (c - 8)^2,
    unconstrained at c = 21.5 / 3 > 6.5, so c = 6.5 and a = b = -0.5. The previous rule (the
    smallest largest deviation, an LP) returned a = -2.5, b = 2.5: symmetric players apart."""
    result = allocate(symmetric_game(WORTH), "least-core")
    shares = [result.shares[p] for p in PLAYERS]
    assert shares == pytest.approx([-0.5, -0.5, 6.5, 2.5], abs=1e-6)
    assert result.certificate.least_core_epsilon == pytest.approx(2.5, abs=1e-9)
    assert result.certificate.max_excess == pytest.approx(2.5, abs=1e-6)


@given(st.lists(st.integers(-5, 20), min_size=len(WORTH), max_size=len(WORTH)))
def test_symmetric_players_are_treated_alike_on_random_games(numbers: list[int]) -> None:
    worth = dict(zip(WORTH, map(float, numbers), strict=True))
    game = CachedGame(symmetric_game(worth))
    result = allocate(game, "least-core")
    scale = max(1.0, abs(game.total))
    assert result.shares["a"] == pytest.approx(result.shares["b"], abs=1e-6 * scale)
    # still a least-core point: its largest excess is the least-core value
    epsilon = result.certificate.least_core_epsilon
    assert epsilon is not None
    assert result.certificate.max_excess == pytest.approx(epsilon, abs=1e-6 * scale)


def test_a_game_that_broke_highs_qp_solver_is_split() -> None:
    """Found by hypothesis: five players, mostly zeros. With the distance column of the linear
    stage left free in the quadratic one, HiGHS's QP solver saw a direction of zero curvature,
    called the problem non-convex and returned no solution ("Not Set")."""
    players = [f"p{i}" for i in range(5)]
    values = [0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 14, 0, 0, 0, 0, 0,
              0, 0, 0, 0, 0, 1, 0, 0, 22, 9, 0, 0, 0, 0, 0]  # by coalition bitmask  # fmt: skip
    game = TableGame(
        players,
        {
            frozenset(p for i, p in enumerate(players) if mask >> i & 1): float(value)
            for mask, value in enumerate(values, start=1)
        },
    )
    for method in ("least-core", "nucleolus"):
        result = allocate(game, method)
        assert sum(result.shares.values()) == pytest.approx(0.0, abs=1e-9)
        assert result.certificate.least_core_epsilon == pytest.approx(13.0, abs=1e-6)
