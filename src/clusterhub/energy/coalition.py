"""The optimal joint cost of any subset of participants, for benefit sharing.

Why a class with a cache: benefit sharing asks for thousands of coalitions; each answer comes from
the one built model (bounds changed, HiGHS warm-started from the previous basis), and a coalition
asked twice is answered from memory.
"""

from __future__ import annotations

from collections.abc import Iterable

from clusterhub.energy.dispatch import DispatchOptions, prepare
from clusterhub.energy.structure import Structure, structure
from clusterhub.errors import NotFound
from clusterhub.model import Cluster

__all__ = ["CoalitionCosts"]


class CoalitionCosts:
    """``costs(["a", "b"])`` is the least cost of a and b acting together, all others absent."""

    def __init__(self, cluster: Cluster, *, options: DispatchOptions | None = None) -> None:
        self.solver = prepare(cluster, options=options)
        self.participants: tuple[str, ...] = self.solver.participants
        self._cache: dict[frozenset[str], float] = {}
        self.solves = 0

    def __call__(self, members: Iterable[str]) -> float:
        key = frozenset(members)
        unknown = key - set(self.participants)
        if unknown:
            raise NotFound(f"not participants of this cluster: {', '.join(sorted(unknown))}")
        if key not in self._cache:
            self._cache[key] = self.solver.coalition(key).objective
            self.solves += 1
        return self._cache[key]

    def standalone(self) -> dict[str, float]:
        """Every participant's cost alone, from one solve of the separated problem."""
        run = self.solver.standalone()
        costs = self.solver.cost_by_participant(run)
        for participant, cost in costs.items():
            self._cache.setdefault(frozenset({participant}), cost)
        return costs

    @property
    def owning(self) -> tuple[str, ...]:
        """The participants that own something in the dispatch (a column or a row); the others
        (a grid operator, an authority) change no coalition's cost."""
        s = self.solver
        owners = set(s.col_owner[s.col_owner >= 0].tolist())
        owners |= set(s.row_owner[s.row_owner >= 0].tolist())
        return tuple(p for i, p in enumerate(self.participants) if i in owners)

    def demand_mwh(self) -> dict[str, float]:
        """Each participant's demand over the window, MWh (0 for one without demand)."""
        data = self.solver.built.data
        d = data.demands
        used = (d.profile_mw.sum("time") * data.step_hours).groupby(d.participant)
        use = used.sum().to_series().to_dict() if d.sizes.get("demand") else {}
        return {p: float(use.get(p, 0.0)) for p in self.participants}

    def structure(self) -> Structure:
        """How membership acts on the model, for the membership MILP of benefit sharing."""
        return structure(self.solver)
