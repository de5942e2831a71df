"""Least core and nucleolus by constraint generation: only the coalitions that matter are solved.

Why constraint generation: the least core is one LP, "make the worst-off coalition as well off as
possible" (minimise epsilon with x(S) >= v(S) - epsilon for every S), but it has a row per
coalition, 2^n of them. Starting from the players alone, the LP is solved with the rows known so
far; the separation oracle then names coalitions whose row is violated; they are added and the LP
re-solved, until the oracle proves none is left. The nucleolus repeats this stage by stage
(Kopelowitz's sequence of LPs): the coalitions whose row binds in every optimum (positive dual)
are settled at their level, and the next stage improves the worst-off of the rest, until the
settled coalitions pin down a single allocation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np

from clusterhub.errors import SolveError
from clusterhub.sharing.game import CachedGame
from clusterhub.sharing.separation import Search, Separation, in_span, membership

__all__ = ["CoreProgress", "CoreSolution", "least_core", "nucleolus"]

#: Coalitions added per separation round at most.
BATCH = 8
MAX_ROUNDS = 500


@dataclass
class CoreProgress:
    """What the constraint generation did: how much was solved, and how long separation took."""

    rounds: int = 0
    separation_seconds: float = 0.0
    proofs: int = 0
    heuristic_only: bool = False  # the last "nothing left" came from a heuristic, not a proof
    generated: list[int] = field(default_factory=list)
    #: called after every LP with this progress and the LP's epsilon (a progress display)
    report: Callable[[CoreProgress, float], None] | None = None


@dataclass(frozen=True)
class CoreSolution:
    allocation: np.ndarray
    epsilon: float  # the least-core value: the largest excess left, at its smallest
    proven: bool
    progress: CoreProgress
    stages: int = 1


def _tolerance(game: CachedGame) -> float:
    return 1e-7 * max(1.0, abs(game.total))


class _Stage:
    """One LP of the sequence: settled rows fixed at their level, open rows x(S) + e >= v(S)."""

    def __init__(
        self,
        game: CachedGame,
        settled: dict[int, float],
        level: float | None,
        reference: np.ndarray | None = None,
    ) -> None:
        self.game, self.n = game, game.n
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        n = self.n
        inf = highspy.kHighsInf
        # columns: x_0..x_{n-1} (free), e (free), t (largest distance to the reference)
        target = np.full(n, game.total / n) if reference is None else reference
        cost = np.zeros(n + 2)
        if level is None:
            cost[n] = 1.0
        else:
            # e fixed: among those allocations, the one closest to the reference in Euclidean
            # distance, sum (x_i - r_i)^2 = x'x - 2 r'x + const. Strictly convex, so the choice
            # is unique, and it commutes with relabelling: players the game and the reference
            # treat alike get the same share (the largest distance, an LP, left ties to a vertex
            # the solver happened to reach: 1.72 and 1.78 for two symmetric players).
            cost[:n] = -2.0 * np.asarray(target, dtype=float)
        lower = np.full(n + 2, -inf)
        upper = np.full(n + 2, inf)
        if level is not None:
            lower[n] = upper[n] = level
            # t and its rows play no part in the quadratic stage; left free, t is a direction of
            # zero curvature, which HiGHS's QP solver takes for non-convexity and gives up
            # (model status "Not Set" on a 5-player game of zeros and a few small values)
            lower[n + 1] = upper[n + 1] = 0.0
        h.addVars(n + 2, lower, upper)
        h.changeColsCost(n + 2, np.arange(n + 2, dtype=np.int32), cost)
        if level is not None:
            hessian = highspy.HighsHessian()
            hessian.dim_ = n + 2
            hessian.format_ = highspy.HessianFormat.kTriangular
            hessian.start_ = np.array([*range(n + 1), n, n], dtype=np.int32)
            hessian.index_ = np.arange(n, dtype=np.int32)
            hessian.value_ = np.full(n, 2.0)
            h.passHessian(hessian)
        self.h = h
        self._row(np.ones(n), 0.0, game.total, game.total)
        free = level is not None  # the rows stay (their positions are counted), unbinding
        for i in range(n):  # |x_i - reference_i| <= t
            coefficients = np.zeros(n)
            coefficients[i] = 1.0
            self._row(coefficients, -1.0, -inf, inf if free else float(target[i]), t=True)
            self._row(coefficients, 1.0, -inf if free else float(target[i]), inf, t=True)
        for mask, settled_level in settled.items():
            value = game.value(mask) - settled_level
            self._row(membership([mask], n)[0], 0.0, value, value)
        self.open: list[int] = []

    def _row(
        self, coefficients: np.ndarray, epsilon: float, lower: float, upper: float, t: bool = False
    ) -> None:
        index = np.flatnonzero(coefficients).astype(np.int32)
        values = coefficients[index]
        extra = self.n + 1 if t else self.n
        if epsilon:
            index = np.append(index, extra).astype(np.int32)
            values = np.append(values, epsilon)
        self.h.addRow(lower, upper, len(index), index, values)

    def add(self, mask: int) -> None:
        self._row(membership([mask], self.n)[0], 1.0, self.game.value(mask), highspy.kHighsInf)
        self.open.append(mask)

    def solve(self) -> tuple[np.ndarray, float, np.ndarray]:
        h = self.h
        h.run()
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(
                f"the least-core LP did not solve: {h.modelStatusToString(status)}",
                status="warning",
                termination=h.modelStatusToString(status),
            )
        solution = h.getSolution()
        columns = np.asarray(solution.col_value)
        duals = np.asarray(solution.row_dual)[1 + 2 * self.n + self._settled_count() :]
        return columns[: self.n], float(columns[self.n]), duals

    def _settled_count(self) -> int:
        return int(self.h.getNumRow()) - 1 - 2 * self.n - len(self.open)


def _generate(
    stage: _Stage,
    separation: Separation,
    settled: dict[int, float],
    span: np.ndarray,
    *,
    progress: CoreProgress,
    tol: float,
) -> tuple[np.ndarray, float, np.ndarray, bool]:
    """Solve one stage to the end: add violated coalitions until the oracle proves none is left.

    (A stabilised "in-out" variant, asking the oracle between the LP's solution and the best
    allocation so far, was measured and dropped: on the 12- and 20-company benchmark games it
    took more rounds, 25-28 against 18 for 12 companies.)"""
    quick = True
    while True:
        x, epsilon, duals = stage.solve()
        progress.rounds += 1
        if progress.report is not None:
            progress.report(progress, epsilon)
        if progress.rounds > MAX_ROUNDS:
            raise SolveError(
                f"constraint generation did not converge in {MAX_ROUNDS} rounds", status="warning"
            )
        skip = [*settled, *stage.open]
        started = time.perf_counter()
        search = separation.search(
            x, floor=epsilon + tol, skip=skip, span=span, quick=quick, limit=BATCH
        )
        progress.separation_seconds += time.perf_counter() - started
        if _add_violated(stage, search, x, epsilon + tol, progress):
            quick = True
            continue
        if search.exhaustive:
            progress.proofs += 1
            return x, epsilon, duals, True
        if not quick:  # even the full search could not prove it
            progress.heuristic_only = True
            return x, epsilon, duals, False
        quick = False


def _add_violated(
    stage: _Stage, search: Search, x: np.ndarray, floor: float, progress: CoreProgress
) -> int:
    added = 0
    for mask in search.found:
        if mask in stage.open:
            continue
        true_excess = stage.game.value(mask) - float(membership([mask], stage.n)[0] @ x)
        if true_excess > floor:
            stage.add(mask)
            progress.generated.append(mask)
            added += 1
    return added


def least_core(
    game: CachedGame,
    separation: Separation,
    *,
    reference: np.ndarray | None = None,
    report: Callable[[CoreProgress, float], None] | None = None,
) -> CoreSolution:
    """The least-core value and, among the least-core allocations (usually a set), the one
    closest to ``reference`` in Euclidean distance (the equal split by default): a unique point,
    the projection of the reference onto the least core, so symmetric players with equal
    reference shares get equal shares."""
    progress = CoreProgress(report=report)
    tol = _tolerance(game)
    span = np.ones((1, game.n))
    stage = _Stage(game, {}, None)
    for i in range(game.n):
        stage.add(1 << i)
    _, epsilon, _, proven = _generate(stage, separation, {}, span, progress=progress, tol=tol)
    chooser = _Stage(game, {}, epsilon, reference)
    for mask in stage.open:
        chooser.add(mask)
    x, _, _, proven_choice = _generate(chooser, separation, {}, span, progress=progress, tol=tol)
    return CoreSolution(x, epsilon, proven and proven_choice, progress)


def nucleolus(
    game: CachedGame,
    separation: Separation,
    *,
    report: Callable[[CoreProgress, float], None] | None = None,
) -> CoreSolution:
    """The nucleolus: lexicographically the best for the worst-off coalitions; inside the core
    whenever the core is not empty."""
    progress = CoreProgress(report=report)
    tol = _tolerance(game)
    n = game.n
    settled: dict[int, float] = {}
    span = np.ones((1, n))
    open_rows = [1 << i for i in range(n)]
    first_epsilon = 0.0
    proven_all = True
    stages = 0
    x = np.full(n, game.total / n) if n else np.zeros(0)
    while np.linalg.matrix_rank(span) < n:
        stages += 1
        stage = _Stage(game, settled, None)
        for mask in open_rows:
            stage.add(mask)
        x, epsilon, duals, proven = _generate(
            stage, separation, settled, span, progress=progress, tol=tol
        )
        proven_all &= proven
        if stages == 1:
            first_epsilon = epsilon
        binding = [m for m, d in zip(stage.open, duals, strict=True) if abs(d) > 1e-9]
        if binding:  # only those that pin down something new
            new = ~in_span(membership(binding, n), span)
            binding = [m for m, keep in zip(binding, new, strict=True) if keep] or binding[:0]
        if not binding:  # cannot happen for an optimal LP with a bounded epsilon; be safe
            binding = [
                m
                for m in stage.open
                if abs(game.value(m) - membership([m], n)[0] @ x - epsilon) <= tol
            ][:1]
        if not binding:
            break
        for mask in binding:
            settled[mask] = epsilon
        span = np.vstack([span, membership(binding, n)])
        # rows now fixed by the settled ones carry nothing new: keeping them would only settle
        # them again, a stage without progress
        rest = [m for m in stage.open if m not in settled]
        known = in_span(membership(rest, n), span)
        open_rows = [m for m, fixed in zip(rest, known.tolist(), strict=True) if not fixed]
    if np.linalg.matrix_rank(span) >= n and n:
        x = _pin(game, settled)
    return CoreSolution(x, first_epsilon, proven_all, progress, stages)


def _pin(game: CachedGame, settled: dict[int, float]) -> np.ndarray:
    """The unique allocation the settled coalitions determine (least squares on a consistent
    system: exact up to rounding)."""
    masks = list(settled)
    a = np.vstack([np.ones(game.n), membership(masks, game.n)])
    b = np.array([game.total, *[game.value(m) - settled[m] for m in masks]])
    x, *_ = np.linalg.lstsq(a, b, rcond=None)
    return np.asarray(x)
