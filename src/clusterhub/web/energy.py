"""A bundled cluster's day in detail, for the Energy and Benefit-sharing pages: the joint
dispatch's electricity supply by source, each shared connection's import against its limit with
the congested hours, joint against stand-alone cost per participant, and the day's saving split
by several methods with each split's stability statement.

Why the first 24 hours, as the overview's saving: the pages then tell the same story, and each
answer is deterministic, so it is computed once per process. Why the congested hours are
recomputed here from import and limit: the page marks the hours themselves, and the count the
dispatch reports (``congested_hours``) is checked against them in the tests.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from clusterhub.energy import DispatchOptions, compare
from clusterhub.energy.data import gather
from clusterhub.errors import Conflict
from clusterhub.examples import load_example
from clusterhub.model import Cluster
from clusterhub.sharing import EnergyGame, allocate

__all__ = ["HOURS", "MAX_PLAYERS", "METHODS", "START", "energy_view", "sharing_view"]

START, HOURS = 0, 24
#: The page splits the saving while the user waits: up to this many participants, every method
#: (and its certificate, over every group) takes seconds; beyond, use ``clusterhub share``.
MAX_PLAYERS = 12
#: The sharing methods the page shows side by side, with their names in words.
METHODS = {
    "proportional": "Proportional to stand-alone cost",
    "shapley": "Shapley value",
    "nucleolus": "Nucleolus",
}


def _r(values: Any, digits: int = 3) -> list[float]:
    return [round(float(v), digits) + 0.0 for v in np.asarray(values, dtype=float)]


def _cluster(name: str) -> Cluster:
    cluster = load_example(name)
    if not cluster.connections:
        raise Conflict(f"{name} has no shared grid connection: there is no energy to optimise")
    return cluster


@cache
def energy_view(name: str) -> dict[str, Any]:
    """Everything the Energy page draws (``NotFound`` for an unknown cluster, ``Conflict`` for
    one without a shared connection)."""
    cluster = _cluster(name)
    result = compare(cluster, options=DispatchOptions(start=START, steps=HOURS))
    data = gather(cluster, start=START, steps=HOURS)
    joint = result.joint.dispatch
    hours = [t.isoformat() for t in data.time]

    def on(nodes: Any) -> np.ndarray:
        return np.array([str(n).endswith("|electricity") for n in nodes.values], dtype=bool)

    generation = joint.generator_output.sel(
        generator=data.generators.generator.values[on(data.generators.node)]
    ).sum("generator")
    discharge = joint.storage_discharge.sel(
        storage=data.storage.storage.values[on(data.storage.node)]
    ).sum("storage")
    grid = joint.grid_draw.sum("draw") if joint.sizes.get("draw") else generation * 0.0
    supply = [
        {"source": "Own generation", "mw": _r(generation.clip(min=0.0))},
        {"source": "Storage discharge", "mw": _r(discharge.clip(min=0.0))},
        {"source": "Grid import", "mw": _r(grid.clip(min=0.0))},
    ]
    connections = []
    for c in cluster.connections:
        limit = data.connections.import_limit_mw.sel(connection=c.id).values
        imported = joint.connection_import.sel(connection=c.id).values
        if "contract_import" in joint and joint.sizes.get("contract"):
            mine = [k for k in joint.contract.values if str(k).endswith("@" + c.id)]
            imported = imported + joint.contract_import.sel(contract=mine).sum("contract").values
        pool = joint.connection_import.sel(connection=c.id).values
        # the same test as the dispatch's own count, on the pooled import against its limit
        congested = (limit > 1e-9) & (pool >= limit * (1 - 1e-6) - 1e-6)
        connections.append(
            {
                "id": c.id,
                "name": c.name or c.id,
                "import_mw": _r(imported),
                "limit_mw": _r(limit),
                "congested": [bool(x) for x in congested],
                "congested_hours": round(result.joint.congested_hours.get(c.id, 0.0), 3),
                "value_eur_per_mwh": _r(
                    result.joint.connection_value_eur_per_mwh.sel(connection=c.id).values, 2
                ),
            }
        )
    alone = result.standalone.cost_by_participant_eur
    together = result.joint.cost_by_participant_eur
    standalone = sum(result.standalone_cost_eur.values())
    return {
        "cluster": name,
        "title": cluster.name,
        "start": START,
        "hours": hours,
        "supply": {"carrier": "electricity", "series": supply},
        "connections": connections,
        "costs": [
            {
                "participant": p,
                "standalone_eur": round(float(alone.get(p, 0.0)), 2),
                "joint_eur": round(float(together.get(p, 0.0)), 2),
            }
            for p in dict.fromkeys([*alone, *together])
        ],
        # the joint run's pooled imports belong to no single member: shown as their own line
        "joint_pooled_eur": round(standalone - result.saving_eur - sum(together.values()), 2),
        "standalone_cost_eur": round(standalone, 2),
        "joint_cost_eur": round(standalone - result.saving_eur, 2),
        "saving_eur": round(result.saving_eur, 2),
    }


@cache
def sharing_view(name: str) -> dict[str, Any]:
    """The day's saving split by each method of ``METHODS``, with its stability statement."""
    cluster = _cluster(name)
    if len(cluster.participants) > MAX_PLAYERS:
        raise Conflict(
            f"{name} has {len(cluster.participants)} participants: splitting its saving takes "
            f"too long for a page (up to {MAX_PLAYERS}); use the command line"
        )
    game = EnergyGame(cluster, options=DispatchOptions(start=START, steps=HOURS))
    allocations = []
    total = 0.0
    for method, title in METHODS.items():
        a = allocate(game, method)
        total = a.total
        allocations.append(
            {
                "method": method,
                "title": title,
                "shares": {p: round(v, 2) + 0.0 for p, v in a.shares.items()},
                "total": round(a.total, 2),
                "stable": a.certificate.stable,
                "statement": a.certificate.statement,
            }
        )
    return {
        "cluster": name,
        "title": cluster.name,
        "start": START,
        "hours": HOURS,
        "players": list(game.players),
        "saving_eur": round(total, 2),
        "allocations": allocations,
    }
