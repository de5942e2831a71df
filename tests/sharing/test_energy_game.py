"""The energy game on the harbour example: every rule shares exactly the collaboration saving,
the certificate agrees with brute force over all 255 coalitions, and the membership MILP finds
the same worst coalition as enumeration."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from clusterhub.energy import DispatchOptions, compare
from clusterhub.examples import load_example
from clusterhub.service.energy_game import EnergyGame
from clusterhub.sharing import CachedGame, allocate
from clusterhub.sharing.separation import Enumeration

DAY = DispatchOptions(steps=24)


@pytest.fixture(scope="module")
def energy() -> EnergyGame:
    return EnergyGame(load_example("harbour"), options=DAY)


@pytest.fixture(scope="module")
def brute_force(energy: EnergyGame) -> dict[frozenset[str], float]:
    players = energy.players
    return {
        frozenset(c): energy.value(c)
        for r in range(1, len(players) + 1)
        for c in combinations(players, r)
    }


def test_the_game_is_the_collaboration_saving(energy: EnergyGame) -> None:
    result = compare(load_example("harbour"), options=DAY)
    assert len(energy.players) == 8
    assert energy.value(energy.players) == pytest.approx(result.saving_eur, rel=1e-6)
    for player in energy.players:  # alone, nobody saves anything
        assert energy.value([player]) == pytest.approx(0.0, abs=1e-6)
        assert energy.costs([player]) == pytest.approx(
            result.standalone_cost_eur[player], rel=1e-6, abs=1e-6
        )
    assert set(energy.null_players) == {"tso", "dso"}


@pytest.mark.parametrize("method", ["equal", "proportional", "shapley", "least-core", "nucleolus"])
def test_every_rule_shares_the_saving_and_its_certificate_is_right(
    energy: EnergyGame, brute_force: dict[frozenset[str], float], method: str
) -> None:
    result = allocate(energy, method, unit="EUR")
    total = energy.value(energy.players)
    assert sum(result.shares.values()) == pytest.approx(total, rel=1e-9)
    assert result.certificate.efficient
    proper = {c: v for c, v in brute_force.items() if len(c) < len(energy.players)}
    excess = {c: v - sum(result.shares[p] for p in c) for c, v in proper.items()}
    worst = max(excess, key=lambda c: excess[c])
    assert result.certificate.max_excess == pytest.approx(excess[worst], abs=1e-6 * total)
    assert result.certificate.proven
    if excess[worst] > 1e-6 * total:
        assert result.certificate.blocking_coalition is not None
        blocking = frozenset(result.certificate.blocking_coalition)
        assert excess[blocking] == pytest.approx(excess[worst], abs=1e-6 * total)
        assert "would gain" in result.certificate.statement
    else:
        assert result.certificate.stable
        assert "No group of members would gain by leaving" in result.certificate.statement
    if method in ("least-core", "nucleolus"):
        assert result.certificate.stable  # harbour's core is not empty


def _milp_agrees_with_enumeration(energy: EnergyGame, *, seed: int, trials: int) -> None:
    """The MILP's worst coalition has the largest excess enumeration finds, for a zero
    allocation and random ones."""
    game = CachedGame(energy)
    enumeration = Enumeration(game)
    milp = energy.separation(game)
    rng = np.random.default_rng(seed)
    for trial in range(trials):
        x = rng.dirichlet(np.ones(game.n)) * game.total if trial else np.zeros(game.n)
        exact = enumeration.search(x, floor=-np.inf, skip=[], span=None, quick=False, limit=1)
        found = milp.search(x, floor=-np.inf, skip=[], span=None, quick=False, limit=1)
        assert found.exhaustive
        assert found.excess[0] == pytest.approx(exact.excess[0], rel=1e-6, abs=1e-3)
        assert game.value(found.found[0]) - sum(
            x[i] for i in range(game.n) if found.found[0] >> i & 1
        ) == pytest.approx(exact.excess[0], rel=1e-6, abs=1e-3)


def test_the_membership_milp_finds_the_worst_coalition(energy: EnergyGame) -> None:
    _milp_agrees_with_enumeration(energy, seed=5, trials=5)
    game = CachedGame(energy)
    enumeration = Enumeration(game)
    milp = energy.separation(game)
    # with a floor above the worst excess, the MILP proves that nothing is left
    x = np.zeros(game.n)
    top = enumeration.search(x, floor=-np.inf, skip=[], span=None, quick=False, limit=1).excess[0]
    none = milp.search(x, floor=top + 1.0, skip=[], span=None, quick=True, limit=8)
    assert none.found == ()
    assert none.exhaustive


def test_shapley_of_the_energy_game_is_exact_and_zero_for_grid_operators(
    energy: EnergyGame,
) -> None:
    result = allocate(energy, "shapley")
    assert result.diagnostics["shapley"] == "exact"
    assert result.shares["tso"] == 0.0
    assert result.shares["dso"] == 0.0


def test_a_rule_after_another_says_what_it_reused(energy: EnergyGame) -> None:
    """After Shapley (every coalition solved), the nucleolus solves no new LP: the table says
    so, and how many solved coalitions it took over, instead of a bare 0."""
    game = CachedGame(energy)
    shapley = allocate(game, "shapley", unit="EUR")
    nucleolus = allocate(game, "nucleolus", unit="EUR")
    assert shapley.diagnostics["coalitions_reused"] < shapley.diagnostics["coalitions_used"]
    assert nucleolus.diagnostics["coalition_solves"] == 0
    reused = nucleolus.diagnostics["coalitions_reused"]
    assert isinstance(reused, int)
    assert reused > 0
    assert reused == nucleolus.diagnostics["coalitions_used"]
    assert nucleolus.coalitions == f"0 ({reused} reused)"
    assert nucleolus.as_dict()["diagnostics"]["coalitions_reused"] == reused  # type: ignore[index]


def test_the_membership_milp_knows_agreements() -> None:
    # an agreement delivers at its price only when one party is in the coalition and the other
    # is not; the MILP states that with the two parties' binaries and must agree with brute force
    from pathlib import Path

    from clusterhub.model import read_cluster

    cluster = read_cluster(Path(__file__).parents[1] / "data" / "energy" / "agreements-game.yaml")
    _milp_agrees_with_enumeration(EnergyGame(cluster), seed=7, trials=6)
