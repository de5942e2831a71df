"""The energy game: what a group of companies saves by dispatching together, and its MILP oracle.

Why a MILP proves stability without enumerating: the excess of coalition S under allocation x is
``sum over S of (alone_i - x_i) - C(S)``, with C(S) the least cost of S dispatching together.
Since ``-C(S)`` is the largest value of ``-cost(y)`` over dispatches y feasible for S, the largest
excess over all coalitions is ONE maximisation over membership binaries z and a dispatch y
feasible for the members z: ``max sum_i (alone_i - x_i) z_i - cost(y)``. Membership enters the
dispatch model linearly: an absent company's columns are bounded by ``u z_i``, its balances have
right-hand side ``b z_i``, the connection allows the members' pooled contracts, and a link is
open only when both ends are members, and a power purchase agreement delivers only when one
party is a member and the other is not (inside the coalition it is a payment between members).
Its optimum is the largest excess, proven by HiGHS's
branch and bound; with a cut-off and a solution limit, the same model is also the cheap search
for a few violated coalitions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import highspy
import numpy as np
import scipy.sparse as sp

from clusterhub.energy import CoalitionCosts, DispatchOptions, Structure
from clusterhub.model import Cluster
from clusterhub.sharing import CachedGame, Search, in_span, membership

__all__ = ["EnergyGame", "MembershipMilp"]


class EnergyGame:
    """v(S) = the members' stand-alone costs minus their joint cost: the saving S achieves.

    Players are the participants of the dispatch model; one who owns nothing is a null player.
    """

    #: Up to this many players the certificate enumerates every coalition (LPs in Gray-code
    #: order on one warm model); above, the membership MILP is the oracle.
    enumerate_up_to = 10
    #: Exact Shapley (2^n LPs, about 2.5 ms each for a day) up to this many players.
    exact_shapley_up_to = 12

    def __init__(self, cluster: Cluster, *, options: DispatchOptions | None = None) -> None:
        self.costs = CoalitionCosts(cluster, options=options)
        self.standalone_cost = self.costs.standalone()
        self._players = self.costs.participants
        self.energy_use_mwh = self.costs.demand_mwh()
        self._null = frozenset(self.null_players)

    @property
    def players(self) -> tuple[str, ...]:
        return self._players

    @property
    def solves(self) -> int:
        """Coalition LPs solved so far (what a coalition evaluation costs in this game)."""
        return self.costs.solves

    @property
    def null_players(self) -> tuple[str, ...]:
        """Participants that own nothing in the dispatch (a grid operator, an authority): they
        change no coalition's cost."""
        owning = set(self.costs.owning)
        return tuple(p for p in self._players if p not in owning)

    def value(self, coalition: Iterable[str]) -> float:
        # null players change nothing: leaving them out lets coalitions that differ only by
        # them share one solve
        members = tuple(m for m in coalition if m not in self._null)
        if not members:
            return 0.0
        return sum(self.standalone_cost[m] for m in members) - self.costs(members)

    def separation(self, game: CachedGame) -> MembershipMilp:
        return MembershipMilp(self.costs.structure(), self, game)


class MembershipMilp:
    """The separation oracle of the energy game (see the module's docstring)."""

    def __init__(
        self,
        structure: Structure,
        energy: EnergyGame,
        game: CachedGame,
        *,
        time_limit: float = 600.0,
    ) -> None:
        self.game = game
        self.alone = np.array([energy.standalone_cost[p] for p in game.players])
        self.n = n = game.n
        s = structure
        a = s.matrix
        rows, cols = a.shape
        self.cols = cols
        lb, ub = s.lb.copy(), s.ub.copy()
        owner = s.col_owner
        blocks: list[sp.csr_matrix] = []
        lower_parts: list[np.ndarray] = []
        upper_parts: list[np.ndarray] = []

        # 1. the model's rows: owned ones (balances, storage starts; all equalities) scale with
        # their owner's membership, connection limits with the members' pooled contracts
        row_lower, row_upper = s.row_lower.copy(), s.row_upper.copy()
        owned = np.flatnonzero(s.row_owner >= 0)
        if np.any(row_lower[owned] != row_upper[owned]):
            raise ValueError("the membership MILP expects every owned row to be an equality")
        scaled = sp.csr_matrix((-row_lower[owned], (owned, s.row_owner[owned])), shape=(rows, n))
        row_lower[owned] = 0.0
        row_upper[owned] = 0.0
        limit = sp.csr_matrix(
            (
                -s.limit_capacity.ravel(),
                (np.repeat(s.limit_rows, n), np.tile(np.arange(n), len(s.limit_rows))),
            ),
            shape=(rows, n),
        )
        row_upper[s.limit_rows] = 0.0
        blocks.append(sp.hstack([a, scaled + limit]).tocsr())
        lower_parts.append(row_lower)
        upper_parts.append(row_upper)

        # 2. owned columns: y_j <= ub_j z_i (and y_j >= lb_j z_i where the lower bound is positive,
        # but for an agreement's delivery, which the other party's membership cancels: see 3)
        agreed = s.agreement_columns.ravel()
        partner = s.agreement_partner.ravel()
        keep = agreed >= 0
        agreed, partner = agreed[keep], partner[keep]
        not_agreement = np.ones(cols, dtype=bool)
        not_agreement[agreed] = False
        for bounds, positive, sense in (
            (ub, ub > 0, "upper"),
            (lb, (lb > 0) & not_agreement, "lower"),
        ):
            pick = np.flatnonzero((owner >= 0) & positive & np.isfinite(bounds))
            if not len(pick):
                continue
            k = len(pick)
            block = sp.csr_matrix(
                (
                    np.concatenate([np.ones(k), -bounds[pick]]),
                    (
                        np.concatenate([np.arange(k), np.arange(k)]),
                        np.concatenate([pick, cols + owner[pick]]),
                    ),
                ),
                shape=(k, cols + n),
            )
            blocks.append(block)
            if sense == "upper":
                lower_parts.append(np.full(k, -np.inf))
                upper_parts.append(np.zeros(k))
            else:
                lower_parts.append(np.zeros(k))
                upper_parts.append(np.full(k, np.inf))
        # 3. agreements: y_j <= ub_j (1 - z_partner), and y_j >= lb_j (z_owner - z_partner)
        if len(agreed):
            k = len(agreed)
            rows_k = np.arange(k)
            blocks.append(
                sp.csr_matrix(
                    (np.concatenate([np.ones(k), ub[agreed]]),
                     (np.concatenate([rows_k, rows_k]),
                      np.concatenate([agreed, cols + partner]))),
                    shape=(k, cols + n),
                )
            )  # fmt: skip
            lower_parts.append(np.full(k, -np.inf))
            upper_parts.append(ub[agreed].copy())
            fixed = lb[agreed] > 0
            f = int(fixed.sum())
            if f:
                rows_f = np.arange(f)
                blocks.append(
                    sp.csr_matrix(
                        (np.concatenate([np.ones(f), -lb[agreed][fixed], lb[agreed][fixed]]),
                         (np.concatenate([rows_f, rows_f, rows_f]),
                          np.concatenate([agreed[fixed], cols + owner[agreed][fixed],
                                          cols + partner[fixed]]))),
                        shape=(f, cols + n),
                    )
                )  # fmt: skip
                lower_parts.append(np.zeros(f))
                upper_parts.append(np.full(f, np.inf))
        lb = np.where(owner >= 0, np.minimum(lb, 0.0), lb)
        # 4. links: open only when both ends are members
        link_columns = s.link_columns
        if link_columns.size:
            ends = s.link_ends
            for side in ends:
                columns = link_columns.ravel()
                who = np.repeat(side, link_columns.shape[1])
                keep = columns >= 0
                columns, who = columns[keep], who[keep]
                k = len(columns)
                blocks.append(
                    sp.csr_matrix(
                        (
                            np.concatenate([np.ones(k), -ub[columns]]),
                            (
                                np.concatenate([np.arange(k), np.arange(k)]),
                                np.concatenate([columns, cols + who]),
                            ),
                        ),
                        shape=(k, cols + n),
                    )
                )
                lower_parts.append(np.full(k, -np.inf))
                upper_parts.append(np.zeros(k))
        # 5. a proper, non-empty coalition
        blocks.append(sp.csr_matrix(np.concatenate([np.zeros(cols), np.ones(n)])[None, :]))
        lower_parts.append(np.array([1.0]))
        upper_parts.append(np.array([max(n - 1, 1)], dtype=float))

        matrix = sp.vstack(blocks).tocsc()
        self.highs = h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit))
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_improving_solution_save", True)
        # The oracle runs to proven optimality anyway; HiGHS's primal heuristics (sub-MIPs above
        # all) took 60% of each solve on the 20-company benchmark game: 5.3 s -> 2.9 s for four
        # separations without them.
        for heuristic in ("rins", "rens", "feasibility_jump"):
            h.setOptionValue(f"mip_heuristic_run_{heuristic}", False)
        h.setOptionValue("mip_heuristic_effort", 0.0)
        lp = highspy.HighsLp()
        lp.num_col_ = cols + n
        lp.num_row_ = matrix.shape[0]
        lp.col_cost_ = np.concatenate([s.cost, np.zeros(n)])
        lp.col_lower_ = np.concatenate([lb, np.zeros(n)])
        lp.col_upper_ = np.concatenate([ub, np.ones(n)])
        lp.row_lower_ = np.concatenate(lower_parts)
        lp.row_upper_ = np.concatenate(upper_parts)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        integrality = [highspy.HighsVarType.kContinuous] * cols + [
            highspy.HighsVarType.kInteger
        ] * n
        for column in s.integer_columns:  # a meter's import-or-export binaries
            integrality[int(column)] = highspy.HighsVarType.kInteger
        lp.integrality_ = integrality
        h.passModel(lp)
        self._cut: set[int] = set()
        self.solves = 0

    def _exclude(self, mask: int) -> None:
        """A no-good cut: the MILP may no longer answer this coalition."""
        if mask in self._cut:
            return
        inside = membership([mask], self.n)[0]
        # sum over members of (1 - z) + sum over others of z >= 1
        coefficients = np.where(inside > 0, -1.0, 1.0)
        index = (self.cols + np.arange(self.n)).astype(np.int32)
        self.highs.addRow(1.0 - inside.sum(), highspy.kHighsInf, self.n, index, coefficients)
        self._cut.add(mask)

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
        h = self.highs
        for mask in skip:
            self._exclude(mask)
        gain = self.alone - x
        index = (self.cols + np.arange(self.n)).astype(np.int32)
        h.changeColsCost(self.n, index, -gain)
        # minimising cost - gain z: solutions must beat -floor to count
        h.setOptionValue("objective_bound", -floor if np.isfinite(floor) else highspy.kHighsInf)
        h.setOptionValue("mip_max_improving_sols", limit if quick else 2**31 - 1)
        while True:
            h.run()
            self.solves += 1
            status = h.getModelStatus()
            found = self._solutions(floor)
            fresh = [(m, e) for m, e in found if m not in self._cut]
            spanned = [m for m, _ in fresh if in_span(membership([m], self.n), span)[0]]
            if spanned:  # their excess is settled already: exclude them and look again
                for mask in spanned:
                    self._exclude(mask)
                continue
            break
        complete = status in (
            highspy.HighsModelStatus.kOptimal,
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kObjectiveBound,
        )
        exhaustive = complete and not (quick and len(found) >= limit)
        fresh.sort(key=lambda item: -item[1])
        return Search(
            found=tuple(m for m, _ in fresh[:limit]),
            excess=tuple(e for _, e in fresh[:limit]),
            exhaustive=bool(exhaustive),
        )

    def _solutions(self, floor: float) -> list[tuple[int, float]]:
        """Every improving solution HiGHS met, as (coalition, excess), best first."""
        h = self.highs
        seen: dict[int, float] = {}
        candidates: list[tuple[np.ndarray, float]] = [
            (np.asarray(saved.col_value), float(saved.objective))
            for saved in h.getSavedMipSolutions()
        ]
        if h.getInfo().primal_solution_status == 2:  # a feasible incumbent: the best one
            candidates.append(
                (
                    np.asarray(h.getSolution().col_value),
                    float(h.getInfo().objective_function_value),
                )
            )
        for values, objective in candidates:
            z = values[self.cols :] > 0.5
            mask = int(sum(1 << int(i) for i in np.flatnonzero(z)))
            excess = -objective
            if mask and excess > floor:
                seen[mask] = max(seen.get(mask, -np.inf), excess)
        return sorted(seen.items(), key=lambda item: -item[1])
