"""A bundled cluster's hours in detail, for the Energy and Benefit-sharing pages: the dispatch of
every carrier by source and use, jointly and with every company alone, each shared connection's
import against its limit with the congested hours, joint against stand-alone cost per
participant, and the first day's saving split by several methods with each split's stability
statement.

Why the first 24 hours by default, as the overview's saving: the pages then tell the same story.
Other windows (a start date and up to ``MAX_HOURS`` hours) are asked for on the Energy page; each
answer is deterministic, so the last ``CACHE_SIZE`` are kept. Why the congested hours are
recomputed here from import and limit: the page marks the hours themselves, and the count the
dispatch reports (``congested_hours``) is checked against them in the tests. Why each carrier's
supply and use come from the dispatch's own variables: supply minus use is then the demand the
carrier served, hour by hour, which the tests check (the energy balance closes).
"""

from __future__ import annotations

import threading
import time as clock
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

import numpy as np

from clusterhub.energy import CollaborationResult, DispatchOptions
from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.dispatch import summarize_run
from clusterhub.energy.model import build
from clusterhub.energy.solver import Solver
from clusterhub.errors import Conflict, InputError
from clusterhub.examples import load_example
from clusterhub.model import Cluster
from clusterhub.service.energy_game import EnergyGame
from clusterhub.sharing import allocate
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
#: Told what is being done and how much of the whole is done (0..1, never decreasing).
Progress = Callable[[str, float], None]
#: (stage in words, fraction done when it starts), in order.
STAGES = (
    ("gathering data", 0.02),
    ("building the model", 0.2),
    ("solving jointly", 0.75),
    ("solving each company alone", 0.85),
    ("preparing charts", 0.93),
)


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


class _Answers:
    """The last ``size`` answers by key, least recently used out first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple[str, int, int], dict[str, Any]] = OrderedDict()

    def get(self, key: tuple[str, int, int]) -> dict[str, Any] | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: tuple[str, int, int], value: dict[str, Any]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_ANSWERS = _Answers(CACHE_SIZE)


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
    cluster = _cluster(name)
    step = window(cluster, start, hours)
    key = (name, step, hours)
    answer = _ANSWERS.get(key)
    if answer is None:
        answer = _view(name, cluster, step, hours, progress or (lambda stage, fraction: None))
        _ANSWERS.put(key, answer)
    if progress is not None:
        progress("done", 1.0)
    return answer


def _compare(
    cluster: Cluster, step: int, hours: int, progress: Progress
) -> tuple[CollaborationResult, DispatchData]:
    """``energy.compare`` in its stages, each told to ``progress`` as it starts, and its data."""
    stages = iter(STAGES)
    progress(*next(stages))
    started = clock.perf_counter()
    data = gather(cluster, start=step, steps=hours)
    progress(*next(stages))
    solver = Solver(build(data))  # as ``energy.prepare`` with the default DispatchOptions
    built = clock.perf_counter() - started
    progress(*next(stages))
    joint = summarize_run(solver, solver.joint())
    progress(*next(stages))
    alone = summarize_run(solver, solver.standalone())
    progress(*next(stages))
    return CollaborationResult(joint=joint, standalone=alone, build_seconds=built), data


def _carriers(
    cluster: Cluster, data: DispatchData, result: CollaborationResult
) -> list[dict[str, Any]]:
    described = {c.id: c.name for c in cluster.carriers}
    runs = {
        mode: carrier_balance(data, run.dispatch)
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


def _view(name: str, cluster: Cluster, step: int, hours: int, progress: Progress) -> dict[str, Any]:
    result, data = _compare(cluster, step, hours, progress)
    joint = result.joint.dispatch
    carriers = _carriers(cluster, data, result)
    electricity = next((c for c in carriers if c["carrier"] == "electricity"), None)
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
        "hours": [t.isoformat() for t in data.time],
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
