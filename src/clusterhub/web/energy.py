"""A bundled cluster's hours in detail, for the Energy and Benefit-sharing pages: the dispatch of
every carrier by source and use, jointly and with every company alone, each shared connection's
import against its limit with the congested hours, joint against stand-alone cost per
participant, and the first day's saving split by several methods with each split's stability
statement.

Why the first 24 hours by default, as the overview's saving: the pages then tell the same story.
Other windows (a start date and up to ``MAX_HOURS`` hours) are asked for on the Energy page; each
answer is deterministic, so the last ``CACHE_SIZE`` are kept (``functools.lru_cache``: bounded,
and safe across the server's threads). Everything shown comes from the energy engine's result
through its door, ``energy.compare``, which also tells the job its stages: the congested hours
are the ones the dispatch counts, and each carrier's supply and use are the engine's balance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
from typing import Any

import numpy as np

from clusterhub import sharing
from clusterhub.energy import CollaborationResult, DispatchOptions, Progress, compare
from clusterhub.errors import Conflict, InputError
from clusterhub.examples import load_example
from clusterhub.model import Cluster
from clusterhub.service.energy_game import EnergyGame
from clusterhub.web.carriers import carrier_balance

__all__ = [
    "CACHE_SIZE",
    "HOURS",
    "MAX_HOURS",
    "MAX_PLAYERS",
    "METHODS",
    "START",
    "Progress",
    "carrier_balance",
    "check_window",
    "energy_view",
    "sharing_view",
    "window",
]

START, HOURS = 0, 24
#: The longest window the page optimises while the user waits (a week: seconds for energy-park).
MAX_HOURS = 168
#: How many windows' answers are kept (least recently used first out).
CACHE_SIZE = 16
#: The page splits the saving while the user waits: up to this many participants, every method
#: (and its certificate, over every group) takes seconds; beyond, use ``clusterhub share``.
MAX_PLAYERS = 12
#: The sharing methods the page shows side by side, with their names in words.
METHODS = {
    "proportional": "Proportional to stand-alone cost",
    "shapley": "Shapley value",
    "nucleolus": "Nucleolus",
}
#: The fraction of a job done when the engine's comparison is: the charts are prepared after it.
CHARTS = 0.93


def _r(values: Any, digits: int = 3) -> list[float]:
    return [round(float(v), digits) + 0.0 for v in np.asarray(values, dtype=float)]


def _cluster(name: str) -> Cluster:
    cluster = load_example(name)
    if not cluster.connections:
        raise Conflict(f"{name} has no shared grid connection: there is no energy to optimise")
    return cluster


def window(cluster: Cluster, start: date | None = None, hours: int = HOURS) -> int:
    """The first step of the ``hours`` starting at midnight of ``start`` (the horizon's first step
    when None); ``InputError`` naming ``start`` or ``hours`` when the window does not fit."""
    if not 1 <= hours <= MAX_HOURS:
        raise InputError.single(
            f"a whole number of hours from 1 to {MAX_HOURS}", str(hours), path="hours"
        )
    index = cluster.time_index
    first, last = index[0].date(), index[-1].date()
    if start is None:
        step = START
    elif not first <= start <= last:
        raise InputError.single(
            f"a date from {first.isoformat()} to {last.isoformat()}",
            start.isoformat(),
            path="start",
        )
    else:
        step = int((index.date < start).sum())  # the steps before that day
    if step + hours > len(index):
        raise InputError.single(
            f"at most {len(index) - step} hours from {index[step].date().isoformat()} "
            f"(the data ends on {last.isoformat()})",
            str(hours),
            path="hours",
        )
    return step


def check_window(name: str, start: date | None = None, hours: int = HOURS) -> int:
    """``window`` of the named cluster, with the errors ``energy_view`` would raise, at once."""
    return window(_cluster(name), start, hours)


@dataclass(frozen=True)
class _Window:
    """The key of a cached answer; ``progress`` is left out of it (equal windows with different
    listeners are the same answer), so the first listener is the one the computation tells."""

    name: str
    step: int
    hours: int
    progress: Progress = field(compare=False)


def energy_view(
    name: str,
    start: date | None = None,
    hours: int = HOURS,
    *,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Everything the Energy page draws for ``hours`` from midnight of ``start`` (``NotFound``
    for an unknown cluster, ``Conflict`` for one without a shared connection, ``InputError``
    naming the field for a window outside the horizon)."""
    step = window(_cluster(name), start, hours)
    answer = _answer(_Window(name, step, hours, progress or _silent))
    if progress is not None:
        progress("done", 1.0)
    return answer


def _silent(stage: str, fraction: float) -> None:
    """A ``Progress`` that tells no one."""


@lru_cache(maxsize=CACHE_SIZE)
def _answer(asked: _Window) -> dict[str, Any]:
    return _view(asked.name, _cluster(asked.name), asked.step, asked.hours, asked.progress)


def _carriers(cluster: Cluster, result: CollaborationResult) -> list[dict[str, Any]]:
    described = {c.id: c.name for c in cluster.carriers}
    runs = {
        mode: carrier_balance(run)
        for mode, run in (("joint", result.joint), ("standalone", result.standalone))
    }

    def shown(balance: dict[str, Any]) -> dict[str, Any]:
        return {
            # tiny negative parts are solver tolerance, not a flow the other way
            "supply": [
                {"source": k, "mw": _r(np.clip(v, 0, None))} for k, v in balance["supply"].items()
            ],
            "use": [{"use": k, "mw": _r(np.clip(v, 0, None))} for k, v in balance["use"].items()],
            "served_mw": _r(balance["served"]),
        }

    def idle(c: str) -> bool:
        """Nothing supplied, used or served in either dispatch (a carrier no one needs now)."""
        arrays = [a for run in runs.values() for part in run[c].values() for a in _arrays(part)]
        return all(float(np.abs(a).max(initial=0.0)) < 5e-4 for a in arrays)

    return [
        {
            "carrier": c,
            "name": c.replace("_", " ").capitalize(),
            "description": described.get(c, ""),
            "idle": idle(c),
            **{mode: shown(runs[mode][c]) for mode in runs},
        }
        for c in runs["joint"]
    ]


def _arrays(part: np.ndarray | dict[str, np.ndarray]) -> list[np.ndarray]:
    return list(part.values()) if isinstance(part, dict) else [part]


def _capacity(result: CollaborationResult, connection: str) -> dict[str, float]:
    """What capacity tariffs charged at ``connection``: its pool's peaks jointly, every
    member's own peak there alone."""
    alone = result.standalone.peaks
    return {
        "joint": round(sum(p.charge_eur for p in result.joint.peaks if p.meter == connection), 2),
        "standalone": round(
            sum(p.charge_eur for p in alone if p.meter.endswith(f"@{connection}")), 2
        ),
    }


def _view(name: str, cluster: Cluster, step: int, hours: int, progress: Progress) -> dict[str, Any]:
    result = compare(
        cluster,
        options=DispatchOptions(start=step, steps=hours),
        progress=lambda stage, fraction: progress(stage, CHARTS * fraction),
    )
    progress("preparing charts", CHARTS)
    carriers = _carriers(cluster, result)
    electricity = next((c for c in carriers if c["carrier"] == "electricity"), None)
    connections = []
    for c in cluster.connections:
        # the engine's own figures: the hours marked are the hours it counts
        use = result.joint.congestion.sel(connection=c.id)
        connections.append(
            {
                "id": c.id,
                "name": c.name or c.id,
                "import_mw": _r(use.import_mw.values),
                "limit_mw": _r(use.limit_mw.values),
                "congested": [bool(x) for x in use.congested.values],
                "congested_hours": round(result.joint.congested_hours.get(c.id, 0.0), 3),
                # hours whose prices paid more for export than import cost: one way only
                "one_way_hours": round(result.joint.one_way_hours.get(c.id, 0.0), 3),
                "gap_pct": result.joint.gap_pct,
                # capacity-tariff charges: the pool's peaks against the members' own, summed
                "capacity_eur": _capacity(result, c.id),
                "value_eur_per_mwh": _r(
                    result.joint.connection_value_eur_per_mwh.sel(connection=c.id).values, 2
                ),
            }
        )
    alone = result.standalone.cost_by_participant_eur
    together = result.joint.cost_by_participant_eur
    standalone = sum(result.standalone_cost_eur.values())
    index = cluster.time_index
    return {
        "cluster": name,
        "title": cluster.name,
        "start": step,
        "start_date": index[step].date().isoformat(),
        "length_hours": hours,
        "horizon": {
            "first": index[0].date().isoformat(),
            "last": index[-1].date().isoformat(),
            "max_hours": MAX_HOURS,
        },
        "hours": [t.isoformat() for t in index[step : step + hours]],
        # the joint electricity supply, as before the other carriers were shown
        "supply": {
            "carrier": "electricity",
            "series": electricity["joint"]["supply"] if electricity else [],
        },
        "carriers": carriers,
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
        a = sharing.allocate(game, method)
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
