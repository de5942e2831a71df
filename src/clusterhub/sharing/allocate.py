"""Who gets which part of the saving, and the proof that no group would gain by leaving.

Why every allocation carries a certificate: companies that compete will accept a split only if
they can check two things, that it adds up to the saving and that no group of them would do
better on its own. The first is arithmetic; the second needs the coalition with the largest
excess, found exactly (enumeration, or the energy game's MILP) or, where that is out of reach,
only searched, and the certificate says which.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from clusterhub.errors import InputError
from clusterhub.sharing.game import CachedGame, Game
from clusterhub.sharing.kinds import Method
from clusterhub.sharing.least_core import CoreProgress, least_core, nucleolus
from clusterhub.sharing.separation import separation_for
from clusterhub.sharing.shapley import EXACT_LIMIT, exact_shapley, sampled_shapley

__all__ = ["Allocation", "Certificate", "Method", "allocate", "certify"]

#: Orders of arrival sampled when neither a number nor a precision is asked for.
DEFAULT_SAMPLES = 2000


@dataclass(frozen=True)
class Certificate:
    """The stability of one allocation, in figures and in words."""

    total: float
    efficient: bool
    individually_rational: bool
    max_excess: float
    blocking_coalition: tuple[str, ...] | None
    proven: bool
    least_core_epsilon: float | None
    statement: str

    @property
    def stable(self) -> bool:
        return self.efficient and self.blocking_coalition is None


@dataclass(frozen=True)
class Allocation:
    method: str
    players: tuple[str, ...]
    shares: dict[str, float]
    total: float
    certificate: Certificate
    ci95: dict[str, tuple[float, float]] | None = None
    diagnostics: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def coalitions(self) -> str:
        """How many coalition values this rule needed, and how many it found already solved:
        a rule run after another on the same game may solve nothing new ("0 (14 reused)")."""
        d = self.diagnostics
        solves = int(d.get("coalition_solves", 0) or 0)
        new = solves if solves else int(d.get("evaluations", 0) or 0)
        reused = int(d.get("coalitions_reused", 0) or 0)
        return f"{new} ({reused} reused)" if reused else str(new)

    def as_dict(self) -> dict[str, object]:
        """The JSON form (keys fixed by the CLI's contract)."""
        c = self.certificate
        out: dict[str, object] = {
            "method": self.method,
            "allocation": self.shares,
            "total": self.total,
            "stable": c.stable,
            "max_excess": c.max_excess,
            "blocking_coalition": list(c.blocking_coalition) if c.blocking_coalition else None,
            "proven": c.proven,
            "efficient": c.efficient,
            "individually_rational": c.individually_rational,
            "least_core_epsilon": c.least_core_epsilon,
            "statement": c.statement,
            "diagnostics": self.diagnostics,
        }
        if self.ci95 is not None:
            out["ci95"] = {p: list(v) for p, v in self.ci95.items()}
        return out


def tolerance(total: float) -> float:
    return 1e-6 * max(1.0, abs(total))


def allocate(
    game: Game | CachedGame,
    method: Method | str,
    *,
    samples: int | None = None,
    precision: float | None = None,
    seed: int = 0,
    weights: dict[str, float] | None = None,
    exact_shapley_up_to: int | None = None,
    unit: str = "",
    report: Callable[[str], None] | None = None,
) -> Allocation:
    """Split ``v(N)`` among the players by ``method`` and certify the result.

    ``weights`` (proportional only) default to the game's ``standalone_cost`` when it has one
    (the energy game), else to each player's separable contribution ``v(N) - v(N without i)``.
    Shapley is exact up to ``exact_shapley_up_to`` players (the game's own
    ``exact_shapley_up_to``, else 20) unless ``samples`` or ``precision`` asks for sampling."""
    cached = game if isinstance(game, CachedGame) else CachedGame(game)
    try:
        method = Method(method)
    except ValueError:
        raise InputError.single(
            f"one of {', '.join(m.value for m in Method)}", str(method), path="method"
        ) from None
    started = time.perf_counter()
    cached.track()
    before = cached.evaluations
    solves_before = int(getattr(cached.game, "solves", 0))
    total = cached.total
    n = cached.n
    ci95: dict[str, tuple[float, float]] | None = None
    diagnostics: dict[str, float | int | str] = {}
    epsilon: float | None = None
    proven_core = True
    if method is Method.EQUAL:
        x = np.full(n, total / n)
    elif method is Method.PROPORTIONAL:
        w = _weights(cached, weights)
        x = total * w / w.sum() if w.sum() > 0 else np.full(n, total / n)
    elif method is Method.SHAPLEY:
        # a null player (owns nothing) adds 0 to every coalition and gets 0: the value is
        # computed on the others alone, halving the coalitions per null player
        null = set(getattr(cached.game, "null_players", ()))
        active = [i for i, p in enumerate(cached.players) if p not in null]
        reduced = CachedGame(_Restricted(cached, active))
        limit = exact_shapley_up_to or int(getattr(cached.game, "exact_shapley_up_to", EXACT_LIMIT))
        sampled = samples is not None or precision is not None or len(active) > limit
        x = np.zeros(n)
        if not sampled:
            x[active] = exact_shapley(reduced, report=report)
            diagnostics["shapley"] = "exact"
        else:
            if samples is None:
                samples = 100_000 if precision is not None else DEFAULT_SAMPLES
            estimate = sampled_shapley(
                reduced, samples=samples, precision=precision, seed=seed, report=report
            )
            x[active] = estimate.value
            low, high = np.zeros(n), np.zeros(n)
            low[active], high[active] = estimate.ci95[:, 0], estimate.ci95[:, 1]
            ci95 = {
                p: (float(a), float(b)) for p, a, b in zip(cached.players, low, high, strict=True)
            }
            diagnostics.update(
                shapley="sampled",
                permutations=estimate.permutations,
                half_width=estimate.half_width,
            )
    else:
        separation = separation_for(cached)

        def rounds(progress: CoreProgress, epsilon: float) -> None:
            if report is not None:
                report(
                    f"{method.value}: round {progress.rounds}, worst excess left "
                    f"{_money(epsilon, unit)}, {len(progress.generated)} coalitions added"
                )

        if method is Method.LEAST_CORE:
            w = _weights(cached, weights)
            reference = total * w / w.sum() if w.sum() > 0 else None
            solution = least_core(cached, separation, reference=reference, report=rounds)
        else:
            solution = nucleolus(cached, separation, report=rounds)
        x, epsilon, proven_core = solution.allocation, solution.epsilon, solution.proven
        diagnostics.update(
            rounds=solution.progress.rounds,
            stages=solution.stages,
            separation_seconds=round(solution.progress.separation_seconds, 3),
            generated=len(solution.progress.generated),
        )
    x = np.where(np.abs(x) <= tolerance(total), 0.0, x)  # no -0.00 from rounding noise
    allocation_seconds = time.perf_counter() - started
    certificate = certify(cached, x, epsilon=epsilon, proven_epsilon=proven_core, unit=unit)
    used, reused = cached.usage()
    diagnostics.update(
        evaluations=cached.evaluations - before,
        coalition_solves=int(getattr(cached.game, "solves", 0)) - solves_before,
        coalitions_used=used,
        coalitions_reused=reused,
        allocation_seconds=round(allocation_seconds, 3),
        total_seconds=round(time.perf_counter() - started, 3),
    )
    return Allocation(
        method=method.value,
        players=cached.players,
        shares={p: float(v) for p, v in zip(cached.players, x, strict=True)},
        total=total,
        certificate=certificate,
        ci95=ci95,
        diagnostics=diagnostics,
    )


def certify(
    game: CachedGame,
    x: np.ndarray,
    *,
    epsilon: float | None = None,
    proven_epsilon: bool = True,
    unit: str = "",
) -> Certificate:
    """Efficiency, individual rationality and the largest excess of any proper coalition."""
    total = game.total
    tol = tolerance(total)
    # a fresh oracle: the one that solved the least core carries its no-good cuts
    oracle = separation_for(game)
    search = oracle.search(x, floor=-np.inf, skip=[], span=None, quick=False, limit=1)
    if search.found:
        worst, max_excess = search.found[0], game.value(search.found[0]) - _sum(x, search.found[0])
    else:
        worst, max_excess = 0, 0.0
    trivial = _trivial(game)
    if worst in trivial and max_excess <= tolerance(total):
        # stable, and the worst group is a trivial one: name the closest real group instead
        closest = oracle.search(x, floor=-np.inf, skip=trivial, span=None, quick=False, limit=1)
        worst = closest.found[0] if closest.found else 0
    singles = np.array([game.value(1 << i) for i in range(game.n)])
    rational = bool(np.all(x >= singles - tol))
    efficient = abs(float(x.sum()) - total) <= tol
    if abs(max_excess) <= tol:
        max_excess = 0.0
    blocking = game.members(worst) if max_excess > tol and worst else None
    if blocking is not None and epsilon is None:
        epsilon = least_core(game, oracle).epsilon  # is the core empty, and by how much?
    statement = _statement(
        game=game,
        x=x,
        worst=worst,
        blocking=blocking,
        max_excess=max_excess,
        proven=search.exhaustive,
        epsilon=epsilon,
        proven_epsilon=proven_epsilon,
        unit=unit,
    )
    return Certificate(
        total=total,
        efficient=efficient,
        individually_rational=rational,
        max_excess=float(max_excess),
        blocking_coalition=blocking,
        proven=bool(search.exhaustive),
        least_core_epsilon=None if epsilon is None else (epsilon if abs(epsilon) > tol else 0.0),
        statement=statement,
    )


def _trivial(game: CachedGame) -> list[int]:
    """Coalitions of null players only, or of every player who matters plus null players: not
    worth naming as "closest to leaving" when they are merely at zero."""
    null = [game.players.index(p) for p in getattr(game.game, "null_players", ())]
    if not null or len(null) > 10:
        return []
    active = game.grand & ~sum(1 << i for i in null)
    subsets = [
        sum(1 << null[j] for j in range(len(null)) if k >> j & 1) for k in range(1 << len(null))
    ]
    masks = [active | extra for extra in subsets] + subsets
    return [m for m in masks if m and m != game.grand]


def _sum(x: np.ndarray, mask: int) -> float:
    return float(sum(x[i] for i in range(len(x)) if mask >> i & 1))


def _money(value: float, unit: str) -> str:
    return f"{unit} {value:,.2f}".strip() if unit else f"{value:,.4g}"


def _names(members: tuple[str, ...]) -> str:
    if len(members) == 1:
        return members[0]
    return ", ".join(members[:-1]) + " and " + members[-1]


def _statement(  # noqa: PLR0917 - one private call site, every argument named there
    game: CachedGame,
    x: np.ndarray,
    worst: int,
    blocking: tuple[str, ...] | None,
    max_excess: float,
    proven: bool,
    epsilon: float | None,
    proven_epsilon: bool,
    unit: str,
) -> str:
    checked = (
        "proven over every possible group"
        if proven
        else "no such group found by the search, but not proven"
    )
    if blocking is None:
        text = (
            f"No group of members would gain by leaving ({checked}): every group receives at "
            "least what it would save on its own."
        )
        if worst:
            closest = _names(game.members(worst))
            text += (
                f" Closest to leaving: {closest}, {_money(-max_excess, unit)} better off staying."
                if max_excess < 0
                else f" Closest to leaving: {closest}, exactly as well off alone as staying."
            )
        return text
    mask = game.mask(blocking)
    alone = game.value(mask)
    given = _sum(x, mask)
    text = (
        f"{_names(blocking)} would gain {_money(max_excess, unit)} by leaving: on their own they "
        f"would save {_money(alone, unit)}, this split gives them {_money(given, unit)}."
    )
    tol = tolerance(game.total)
    if epsilon is not None and epsilon > tol:
        text += (
            f" No split can keep every group in: whatever the split, some group gains at least "
            f"{_money(epsilon, unit)} by leaving (the least-core value"
            f"{'' if proven_epsilon else ', not proven'}); the least-core and nucleolus splits "
            "keep that gain as small as it can be."
        )
    elif epsilon is not None:
        text += " A split that keeps every group in exists: see the least core or the nucleolus."
    return text


def _weights(game: CachedGame, weights: dict[str, float] | None) -> np.ndarray:
    if weights is None:
        own = getattr(game.game, "standalone_cost", None)
        if isinstance(own, dict):
            weights = own
    if weights is not None:
        w = np.array([max(float(weights.get(p, 0.0)), 0.0) for p in game.players])
        return w
    total = game.total
    return np.array([max(total - game.value(game.grand & ~(1 << i)), 0.0) for i in range(game.n)])


class _Restricted:
    """The game among some of the players (the others absent): coalitions map back to the
    original bitmasks, so values already solved are reused."""

    def __init__(self, game: CachedGame, keep: list[int]) -> None:
        self._game, self._keep = game, keep
        self._players = tuple(game.players[i] for i in keep)

    @property
    def players(self) -> tuple[str, ...]:
        return self._players

    def value(self, coalition: Iterable[str]) -> float:
        return self._game.value(self._game.mask(coalition))
