"""Where a collaboration saving comes from: the saving split by cause, exactly.

Why a decomposition and not a list of cost parts: a council asks "is it the shared connection
or the shared battery?", and cost parts (energy, carbon, tariffs) say what got cheaper, not
which decision made it so. Each cause here is a kind of decision the members take differently
together than alone, and its part is what freeing that decision is worth, averaged over every
order of freeing them (the Shapley value of the causes; exact, 2^k joint runs on the one
built model, with k the causes the cluster has):

- ``netting``: the same plants run exactly as each member alone would run them, but behind one
  meter: what one member feeds in, another takes, so neither pays the spread between import
  price and export value, and the meter's tariffs and peaks are shared. The base of the split,
  reached before any decision changes.
- ``congestion relief``: members may use capacity another contracted and does not need (off:
  each member's flow through the pool stays within its own contract).
- ``shared storage``, ``converter sharing`` (boilers, heat pumps, electrolysers, their on/off),
  ``demand response`` (shifted, curtailed and unserved demand), ``renewables`` (generators'
  output, so less curtailment), ``lines between members`` (steam, heat, hydrogen lines and
  cables between different members, with the supply agreements delivered over them): each off
  when its columns are held at the stand-alone schedule, on when the joint optimum may change
  them. An agreement behind a connection needs no cause: what it delivered alone, the pool
  carries when it is held.

The parts add up to the saving (up to the solver's tolerances). A cost-part view of the same
saving (energy, network tariffs, capacity, carbon, penalties) is ``by_cost_part``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import factorial

import numpy as np

from clusterhub.energy.results import DispatchResult
from clusterhub.energy.solver import Run, Solver

__all__ = ["CAUSES", "NETTING", "by_cost_part", "saving_by_cause"]

NETTING = "netting"
#: The agreements' slacks (``_columns`` of them): held whenever a cause is.
SLACKS = "agreement slacks"
#: Each cause with the columns it frees (none: ``congestion relief``, which frees capacity).
CAUSES: dict[str, tuple[str, ...]] = {
    "congestion relief": (),
    "shared storage": ("storage-charge", "storage-discharge"),
    "converter sharing": ("converter-flow", "converter-on", "converter-start"),
    "demand response": (
        "demand-shift-down",
        "demand-shift-up",
        "demand-curtailment",
        "demand-lost",
    ),
    "renewables": ("generator-output",),
    "lines between members": ("link-flow",),
}


#: How far a held column may move from its stand-alone value: a micro-watt and a millionth of
#: it. Why any: the stand-alone run's values satisfy its rows only within the solver's
#: tolerances, and held exactly they can leave the joint run without a feasible point; the
#: room is far below what any figure of the split shows.
HOLD_MW, HOLD_SHARE = 1e-6, 1e-6


def _columns(solver: Solver, names: tuple[str, ...]) -> np.ndarray:
    model = solver.built.model
    found = [solver.columns(name) for name in names if name in model.variables]
    return np.concatenate(found) if found else np.zeros(0, dtype=int)


def saving_by_cause(
    solver: Solver,
    alone: Run,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, float]:
    """The saving of ``solver``'s joint run over ``alone`` split by cause (see the module).

    A cause the cluster has no decision of (no storage, no line between members) is left out;
    ``progress`` is told (runs done, runs in all)."""
    columns = {name: _columns(solver, names) for name, names in CAUSES.items()}
    over_line = solver.built.data.agreements.link.values != ""
    if over_line.any():  # what such an agreement sends and receives, held with the lines
        blocks = solver.agreement_blocks
        line_columns = np.concatenate(
            [blocks[n][over_line].ravel() for n in ("agreement-out", "agreement-in")]
        )
        columns["lines between members"] = np.concatenate(
            [columns["lines between members"], line_columns]
        )
    if len(solver.built.data.contracts.contract) <= 1:  # nobody to share capacity with
        columns.pop("congestion relief")
    causes = [c for c in CAUSES if c in columns and (c == "congestion relief" or len(columns[c]))]
    n = len(causes)
    lb, ub = solver.lb, solver.ub

    def near(c: str) -> tuple[np.ndarray, np.ndarray]:
        # the stand-alone values with room for the solver's tolerances (an interior-point
        # solution sits within them of its rows), inside the columns' own bounds
        at, value = columns[c], alone.columns[columns[c]]
        room = HOLD_MW + HOLD_SHARE * np.abs(value)
        return np.clip(value - room, lb[at], ub[at]), np.clip(value + room, lb[at], ub[at])

    # What an agreement delivered alone that its party could not take (or could not send) is
    # held as it was alone while any cause is held: a plant held at its stand-alone output made
    # it, and neither a free sink nor a source may appear; with every cause free the run is the
    # joint one, where agreements deliver nothing.
    columns[SLACKS] = _columns(solver, ("agreement-shortfall", "agreement-surplus"))
    ranges = {c: near(c) for c in [*causes, SLACKS] if len(columns[c])}
    cost = np.zeros(2**n)
    order = [i ^ (i >> 1) for i in range(2**n)]  # Gray code: one cause changes per run
    for done, mask in enumerate(order):
        held = [c for i, c in enumerate(causes) if not mask >> i & 1 and c in ranges]
        if mask != 2**n - 1 and SLACKS in ranges:
            held.append(SLACKS)
        within = (
            (
                np.concatenate([columns[c] for c in held]),
                np.concatenate([ranges[c][0] for c in held]),
                np.concatenate([ranges[c][1] for c in held]),
            )
            if held
            else None
        )
        free = {c for i, c in enumerate(causes) if mask >> i & 1}
        run = solver.coalition(
            solver.participants,
            within=within,
            own_limits="congestion relief" in causes and "congestion relief" not in free,
        )
        cost[mask] = run.objective
        if progress is not None:
            progress(done + 1, 2**n)
    parts = {NETTING: float(alone.objective - cost[0])}
    for i, cause in enumerate(causes):
        share = 0.0
        for mask in range(2**n):
            if mask >> i & 1:
                continue
            size = bin(mask).count("1")
            weight = factorial(size) * factorial(n - size - 1) / factorial(n)
            share += weight * (cost[mask] - cost[mask | 1 << i])
        parts[cause] = float(share)
    return parts


def by_cost_part(joint: DispatchResult, alone: DispatchResult) -> dict[str, float]:
    """The saving by what got cheaper (alone minus joint, per cost part); adds up to it."""
    return {
        part: alone.cost_parts_eur.get(part, 0.0) - joint.cost_parts_eur.get(part, 0.0)
        for part in joint.cost_parts_eur
    }
