"""Allocation rules on textbook games whose values are published; the source of each is cited."""

from __future__ import annotations

import pytest
from textbook_games import bankruptcy, table, weighted_voting

from clusterhub.sharing import allocate


def shares(game: object, method: str) -> list[float]:
    result = allocate(game, method)  # type: ignore[arg-type]
    return [result.shares[p] for p in result.players]


def test_glove_game() -> None:
    # One left glove (a), two right gloves (b, c); a pair is worth 1. Shapley (4/6, 1/6, 1/6):
    # the glove game of the "Shapley value" article, Wikipedia (retrieved 2024). The core is the
    # single point (1, 0, 0) (Maschler, Solan & Zamir, Game Theory, 2013, ch. 17), so the least
    # core and the nucleolus are that point.
    game = table(["a", "b", "c"], lambda s: min(len(s & {"a"}), len(s & {"b", "c"})))
    assert shares(game, "shapley") == pytest.approx([4 / 6, 1 / 6, 1 / 6])
    assert shares(game, "nucleolus") == pytest.approx([1.0, 0.0, 0.0], abs=1e-7)
    assert shares(game, "least-core") == pytest.approx([1.0, 0.0, 0.0], abs=1e-7)
    shapley = allocate(game, "shapley")
    assert not shapley.certificate.stable
    assert shapley.certificate.max_excess == pytest.approx(1 / 6)
    assert shapley.certificate.proven


@pytest.mark.parametrize(
    ("estate", "expected"),
    [(100, [100 / 3, 100 / 3, 100 / 3]), (200, [50, 75, 75]), (300, [50, 100, 150])],
)
def test_bankruptcy_game_nucleolus_is_the_talmud_rule(estate: float, expected: list[float]) -> None:
    # Claims 100, 200, 300: the Talmud's division of the estate, shown to be the nucleolus of the
    # bankruptcy game by Aumann & Maschler, J. Economic Theory 36 (1985) 195-213, Table 1.
    game = bankruptcy(estate, {"1": 100, "2": 200, "3": 300})
    assert shares(game, "nucleolus") == pytest.approx(expected, abs=1e-6)
    assert allocate(game, "nucleolus").certificate.stable


def test_airport_game_shapley_is_sequential_equal_sharing() -> None:
    # Runways of cost 6, 12, 18 (Littlechild & Owen, Management Science 20 (1973) 370-372): the
    # Shapley cost shares split each runway segment equally among those who use it:
    # 6/3 = 2; 2 + 6/2 = 5; 5 + 6 = 11. As a saving game (each would build alone):
    # v(S) = sum of own costs - the largest cost in S, so the saving shares are 6-2, 12-5, 18-11.
    cost = {"small": 6.0, "medium": 12.0, "large": 18.0}
    game = table(list(cost), lambda s: sum(cost[p] for p in s) - max(cost[p] for p in s))
    assert shares(game, "shapley") == pytest.approx([4.0, 7.0, 7.0])


def test_weighted_voting_shapley_shubik() -> None:
    # [3; 2, 1, 1]: the big player is pivotal in 4 of 6 orders (Shapley & Shubik, APSR 48 (1954)
    # 787-792, the index as the Shapley value of a simple game); a veto player holds the core.
    game = weighted_voting(3, {"big": 2, "x": 1, "y": 1})
    assert shares(game, "shapley") == pytest.approx([4 / 6, 1 / 6, 1 / 6])
    assert shares(game, "nucleolus") == pytest.approx([1.0, 0.0, 0.0], abs=1e-7)


def test_un_security_council() -> None:
    # Five permanent members with a veto and ten others; a resolution needs nine votes with all
    # five permanent ones. Shapley-Shubik index: 0.1963 for each permanent member and 0.00186 for
    # each other one (Straffin, Game Theory and Strategy, MAA 1993, ch. 8).
    permanent = [f"p{i}" for i in range(5)]
    others = [f"o{i}" for i in range(10)]
    game = table(
        permanent + others,
        lambda s: 1.0 if set(permanent) <= s and len(s) >= 9 else 0.0,
    )
    values = shares(game, "shapley")
    assert values[:5] == pytest.approx([0.1963] * 5, abs=5e-5)
    assert values[5:] == pytest.approx([0.00186] * 10, abs=5e-6)
    assert sum(values) == pytest.approx(1.0)


def test_baselines_add_up() -> None:
    game = bankruptcy(200, {"1": 100, "2": 200, "3": 300})
    assert shares(game, "equal") == pytest.approx([200 / 3] * 3)
    # an explicit game has no stand-alone costs: weights v(N) - v(N without i), here
    # 200 - 100, 200 - 0, 200 - 0
    assert shares(game, "proportional") == pytest.approx([40.0, 80.0, 80.0])
