"""Who pays which euro of a run: every cost of the objective lands on one participant.

Why a rule is needed: most columns belong to one participant (its plants, its purchases, its own
contract), but in a joint run the sites draw through the shared pool and the cost of energy
bought or sold at a connection sits on the connection's columns, which nobody owns. Left out,
the members' costs summed to less than half the joint cost and pure consumers showed 0 EUR.

The rule (stated in ``RULE``): each participant pays its own columns' costs; the cost of each
connection in each step (import cost minus export revenue, tariffs and carbon included) is shared
among the contracts behind it in proportion to their net draw through the pool in that step, so
each pays the step's price at the connection for the energy it drew and is credited the same
price for what it fed in. In a step with no net flow (imports and exports cancel), the cost is
shared by gross flow; with no flow at all, equally among the contracts at that connection; a
connection without contracts shares it equally among all participants. The parts add up to the
objective, up to the solver's rounding.

An agreement between two members acting together delivers nothing on its own columns (the pool
or the line carries the energy); it is settled as contracted all the same: the buyer pays the
seller for the contracted delivery, and behind a connection the pool prices only what each
drew or fed in beyond it. So a cluster whose agreements already give each member what the
joint dispatch would shows each member its stand-alone cost.

A pooled capacity tariff's charge for a period (the pool's peak) is shared the same way at the
step of that peak (coincident peak): whoever drew through the pool when the connection peaked
pays for the peak, in proportion to its draw then; a member drawing only off-peak pays none.
"""

from __future__ import annotations

import numpy as np

from clusterhub.energy.solver import Run, Solver

__all__ = ["RULE", "cost_by_participant"]

RULE = (
    "own assets, purchases and contracts at their cost; each connection's cost in each step "
    "shared among its contracts in proportion to their net draw through the pool in that step; "
    "a pooled capacity charge by their draw at the step of the pool's peak in its period; "
    "an agreement settled as contracted (the buyer pays the seller, the pool prices the rest)"
)


def _block_cost(solver: Solver, run: Run, name: str) -> np.ndarray:
    """Cost in EUR of a variable's columns, shaped (connection, time); 0 where absent."""
    positions = solver.column_positions(name).transpose("connection", "time").values
    safe = np.maximum(positions, 0)
    return np.where(positions >= 0, solver.cost[safe] * run.columns[safe], 0.0)


def cost_by_participant(solver: Solver, run: Run) -> dict[str, float]:
    """Every euro of ``run``'s objective assigned to a participant by ``RULE``."""
    participants = solver.participants
    totals = np.array(list(solver.cost_by_participant(run).values()), dtype=float)
    data = solver.built.data
    names = list(data.connections.connection.values)
    if names and len(data.time):
        cost = _block_cost(solver, run, "connection-import") + _block_cost(
            solver, run, "connection-export"
        )
        contracts = data.contracts
        owner = np.array([participants.index(p) for p in contracts.participant.values], dtype=int)
        where = np.array([names.index(c) for c in contracts.connection.values], dtype=int)
        pool = solver.values(run, "contract-pool").transpose("contract", "time").values
        pool = pool.reshape(len(owner), len(data.time)) + _settled_by_agreement(solver, run)
        shares = _shares(pool, where, len(names))  # (contract, time)
        cost = cost + _coincident_peaks(solver, run)
        totals += np.bincount(
            owner, weights=(shares * cost[where]).sum(axis=1), minlength=len(participants)
        )
        orphan = np.setdiff1d(np.arange(len(names)), where)
        if len(orphan):  # no contract behind it: everyone alike
            totals += float(cost[orphan].sum()) / len(participants)
    totals += _agreed_payments(solver, run)
    return dict(zip(participants, totals.tolist(), strict=True))


def _idle(solver: Solver, run: Run) -> np.ndarray:
    """Per agreement and step, whether the run delivered nothing on its columns though the
    contract delivers (both parties acted together: the pool or the line carried it)."""
    sent = solver.agreement_blocks["agreement-out"]
    received = solver.agreement_blocks["agreement-in"]
    idle: np.ndarray = (
        (np.abs(run.columns[sent]) < 1e-9)
        & (np.abs(run.columns[received]) < 1e-9)
        & (solver.lb[received] > 0)
    )
    return idle


def _settled_by_agreement(solver: Solver, run: Run) -> np.ndarray:
    """Per contract and step, what an idle agreement behind the connection settles outside the
    pool: the buyer's draw is that much less, the seller's feed-in too (as alone)."""
    out = np.zeros((solver.built.data.contracts.sizes["contract"], len(solver.built.data.time)))
    buyer, seller, inflow, outflow = solver.agreement_contracts
    if not len(buyer):
        return out
    behind = np.flatnonzero(solver.built.data.agreements.link.values == "")
    idle = _idle(solver, run)[behind]
    np.subtract.at(out, buyer, np.where(idle, solver.lb[inflow], 0.0))
    np.add.at(out, seller, np.where(idle, solver.lb[outflow], 0.0))
    return out


def _agreed_payments(solver: Solver, run: Run) -> np.ndarray:
    """Per participant, the payments of the agreements a run did not deliver on their columns
    (both parties acted together): the buyer still pays the seller for the contracted delivery,
    and the pool prices only what each drew or fed beyond it (``_settled_by_agreement``). Where
    the columns carry the delivery (a party alone), their costs already hold the payment."""
    out = np.zeros(len(solver.participants))
    received = solver.agreement_blocks["agreement-in"]
    if not received.size:
        return out
    paid = np.where(_idle(solver, run), solver.cost[received] * solver.lb[received], 0.0)
    seller, buyer = solver.agreement_ends
    np.add.at(out, buyer, paid.sum(axis=1))
    np.subtract.at(out, seller, paid.sum(axis=1))
    return out


def _shares(pool: np.ndarray, where: np.ndarray, connections: int) -> np.ndarray:
    """Each contract's fraction of its connection's cost in every step (summing to 1 per
    connection and step that has contracts)."""
    steps = pool.shape[1]

    def per_connection(values: np.ndarray) -> np.ndarray:
        out = np.zeros((connections, steps))
        np.add.at(out, where, values)
        back: np.ndarray = out[where]  # back on the contracts
        return back

    net = per_connection(pool)
    gross = per_connection(np.abs(pool))
    count = per_connection(np.ones_like(pool))
    scale = np.maximum(gross, 1e-9)
    use_net = np.abs(net) > 1e-6 * scale
    use_gross = ~use_net & (gross > 1e-9)
    shares: np.ndarray = np.where(
        use_net,
        pool / np.where(use_net, net, 1.0),
        np.where(use_gross, np.abs(pool) / np.where(use_gross, gross, 1.0), 1.0 / count),
    )
    return shares


def _coincident_peaks(solver: Solver, run: Run) -> np.ndarray:
    """The pooled capacity charges, (connection, time): each period's charge moved to the step
    where the pool's flow on that side peaked in the period, to be shared there like energy."""
    data = solver.built.data
    conn = data.connections
    out = np.zeros((conn.sizes["connection"], len(data.time)))
    period = conn.capacity_period.transpose("connection", "time").values
    for side in ("import", "export"):
        name = f"connection-{side}-peak"
        if name not in solver.built.model.variables:
            continue
        charge = _block_cost(solver, run, name)
        flow = solver.values(run, f"connection-{side}").transpose("connection", "time").values
        for c in np.flatnonzero(charge.any(axis=1)):
            for label in np.unique(period[c]):
                steps = np.flatnonzero(period[c] == label)
                out[c, steps[int(np.argmax(flow[c, steps]))]] += charge[c, steps].sum()
    return out
