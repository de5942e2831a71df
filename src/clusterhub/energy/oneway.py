"""Solving with a meter's import-or-export binaries: relax, round, and prove only when needed.

Why not hand the mixed-integer program to HiGHS at once: the binaries' linear relaxation is the
convex hull of each meter and hour (its cost of net flow is concave, and the chord is the best a
linear row can do), so it is loose, and branch and bound on a model this size spends most of its
time in node re-solves (4 weeks of the energy park, 140 binaries: 86 s against 2 s for the
linear program). Most runs never need it:

1. the relaxation first (a linear program, warm from the last basis). Where it imports and
   exports through no meter at once, its optimum is physical, hence optimal: done, gap 0;
2. else the relaxation's direction per meter and hour (export where it exports more), fixed,
   re-solved: a physical schedule, and the relaxation bounds how far it can be from the best;
3. only when that bound is above the gap asked for (``MIP_REL_GAP``) does HiGHS branch, from
   that schedule as its incumbent.

The result says which it was, the lower and upper bound, and the gap between them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import highspy
import numpy as np

__all__ = ["CIRCULATION_MW", "MIP_REL_GAP", "Bounds", "OneWay", "Solution"]

#: A meter importing and exporting at least this much (MW) at once is circulating, not at a
#: solver's tolerance.
CIRCULATION_MW = 1e-6
#: The relative gap (upper minus lower bound, over the upper) at which a run with binaries
#: stops: HiGHS's own default, 0.01%; the solver option ``mip_rel_gap`` sets another.
MIP_REL_GAP = 1e-4


@dataclass(frozen=True)
class Bounds:
    """How a run with meter binaries ended: ``method`` ``relaxation`` (its optimum was
    physical), ``rounded`` (the relaxation's directions, within the gap) or
    ``branch-and-bound``; the best objective proven possible (``lower``) and the schedule's
    (``upper``)."""

    method: str
    lower: float
    upper: float

    @property
    def gap(self) -> float:
        return max(0.0, self.upper - self.lower) / max(abs(self.upper), 1.0)


@dataclass(frozen=True)
class Solution:
    objective: float
    columns: np.ndarray
    rows: np.ndarray
    duals: np.ndarray
    seconds: float
    #: the binaries' columns integral in this run (empty: a linear program)
    integral: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    bounds: Bounds | None = None


class OneWay:
    """The meter binaries of one HiGHS model: their columns, where they must be integral, and
    the run that keeps them so."""

    def __init__(
        self,
        highs: Any,
        columns: tuple[np.ndarray, np.ndarray, np.ndarray],
        count: int,
        check: Callable[[], None],
    ) -> None:
        self.highs = highs
        self.binary, self.imports, self.exports = columns
        self.count = count
        self._check = check
        self.integer = np.zeros(count, dtype=bool)
        self.rewarded = np.zeros(count, dtype=bool)
        self._integer_now = np.zeros(count, dtype=bool)
        self.gap = MIP_REL_GAP
        #: unit commitment's on/off columns, binary in every run when it was asked for
        self.committed = np.zeros(count, dtype=bool)

    def mark(self, integer: np.ndarray, rewarded: np.ndarray) -> None:
        """Where this window's binaries must be integral, and where its prices reward both
        directions (``meters.Meters``)."""
        self.integer, self.rewarded = integer, rewarded

    def integral(self, ub: np.ndarray, *, of: np.ndarray | None = None) -> np.ndarray:
        """Which columns are integral in a run with upper bounds ``ub``: the binaries where
        prices reward both directions and the run leaves the meter open both ways (``of``:
        another flag per column than ``integer``, such as ``rewarded``)."""
        b, i, e = self.binary, self.imports, self.exports
        wanted = np.zeros(self.count, dtype=bool)
        wanted[b] = (self.integer if of is None else of)[b] & (ub[i] > 0) & (ub[e] > 0)
        return wanted

    def run(self, lb: np.ndarray, ub: np.ndarray) -> Solution:
        """Solve the model HiGHS holds (bounds ``lb``, ``ub`` already passed) keeping every
        meter that prices reward both ways to one direction per step."""
        h = self.highs
        integral = self.integral(ub)
        self._set_integrality(np.zeros(self.count, dtype=bool))
        started = time.perf_counter()
        h.run()
        self._check()
        relaxed = self._solution(started)
        committed = self.committed & (ub > 0)
        if committed.any():  # unit commitment: every binary, unless the relaxation has them
            wanted = integral | committed
            values = relaxed.columns[wanted]
            if np.all(np.abs(values - np.round(values)) <= 1e-9):
                at = np.flatnonzero(wanted).astype(np.int32)
                return replace(relaxed, integral=at, bounds=Bounds(
                    "branch-and-bound", relaxed.objective, relaxed.objective))  # fmt: skip
            return self._branch(wanted, lb, ub, started=started, lower=relaxed.objective)
        if not integral.any():
            return relaxed
        where = integral[self.binary]
        chosen = self.binary[where].astype(np.int32)
        imports = relaxed.columns[self.imports[where]]
        exports = relaxed.columns[self.exports[where]]
        lower = relaxed.objective
        if not (np.minimum(imports, exports) > CIRCULATION_MW).any():
            return self._fixed(
                chosen, exports > imports, lb, ub, started=started, method="relaxation", lower=lower
            )
        rounded = self._fixed(
            chosen, exports > imports, lb, ub, started=started, method="rounded", lower=lower
        )
        assert rounded.bounds is not None
        if rounded.bounds.gap <= self.gap:
            return rounded
        # branch and bound, from the rounded schedule
        return self._branch(integral, lb, ub, started=started, lower=lower, start=rounded)

    def _branch(
        self,
        integral: np.ndarray,
        lb: np.ndarray,
        ub: np.ndarray,
        *,
        started: float,
        lower: float,
        start: Solution | None = None,
    ) -> Solution:
        """HiGHS's branch and bound on the ``integral`` columns (the meters' binaries, and the
        units' on/off when unit commitment was asked for), from ``start`` if given, then the
        linear program with them fixed where it put them, for its duals."""
        h = self.highs
        chosen = np.flatnonzero(integral).astype(np.int32)
        self._set_integrality(integral)
        h.setOptionValue("mip_rel_gap", self.gap)
        if start is not None:
            incumbent = highspy.HighsSolution()
            incumbent.col_value = start.columns.tolist()
            incumbent.value_valid = True
            h.setSolution(incumbent)
        h.run()
        self._check()
        proven = max(lower, float(h.getInfo().mip_dual_bound))
        columns = np.asarray(h.getSolution().col_value, dtype=float)
        self._set_integrality(np.zeros(self.count, dtype=bool))
        best = self._fixed(
            chosen, columns[chosen] > 0.5, lb, ub, started=started, method="branch-and-bound",
            lower=lower,
        )  # fmt: skip
        return replace(
            best, bounds=Bounds("branch-and-bound", min(proven, best.objective), best.objective)
        )

    def _fixed(
        self,
        chosen: np.ndarray,
        exporting: np.ndarray,
        lb: np.ndarray,
        ub: np.ndarray,
        *,
        started: float,
        method: str,
        lower: float,
    ) -> Solution:
        """The linear program with the binaries at ``chosen`` fixed (1: export only, 0: import
        only): a physical schedule, and the duals a mixed-integer program has none of."""
        h = self.highs
        at = exporting.astype(float)
        h.changeColsBounds(len(chosen), chosen, at, at)
        h.run()
        self._check()
        fixed = self._solution(started)
        h.changeColsBounds(len(chosen), chosen, lb[chosen], ub[chosen])
        return Solution(
            objective=fixed.objective,
            columns=fixed.columns,
            rows=fixed.rows,
            duals=fixed.duals,
            seconds=fixed.seconds,
            integral=chosen,
            bounds=Bounds(method, min(lower, fixed.objective), fixed.objective),
        )

    def _solution(self, started: float) -> Solution:
        solution, info = self.highs.getSolution(), self.highs.getInfo()
        return Solution(
            objective=float(info.objective_function_value),
            columns=np.asarray(solution.col_value, dtype=float),
            rows=np.asarray(solution.row_value, dtype=float),
            duals=np.asarray(solution.row_dual, dtype=float),
            seconds=time.perf_counter() - started,
        )

    def _set_integrality(self, wanted: np.ndarray) -> None:
        changed = np.flatnonzero(wanted != self._integer_now).astype(np.int32)
        if len(changed):
            kinds = [
                highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
                for flag in wanted[changed]
            ]
            self.highs.changeColsIntegrality(len(changed), changed, kinds)
            self._integer_now = wanted.copy()
