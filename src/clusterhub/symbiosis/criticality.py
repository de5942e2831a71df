"""N-1: every facility's permanent shutdown at once, ranked by what it takes down elsewhere.

Why one batch: the propagation of ``impact`` is a few array operations per step, so every
facility's shutdown is a row of one matrix and the whole scan settles together. It describes one
year (by default the latest the registry describes) and the plants that run then, under one
market; the ranking carries both, so a reader knows which registry it ranks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import overload

import numpy as np

from clusterhub.symbiosis.impact import ImpactOptions, market_of, prepare, settle
from clusterhub.symbiosis.market import Market
from clusterhub.symbiosis.network import Network
from clusterhub.symbiosis.scope import Scope, scoped

__all__ = ["Criticality", "Ranking", "criticality"]


@dataclass(frozen=True)
class Criticality:
    facility: str
    name: str
    damage: float  # facility-equivalents of production lost elsewhere
    affected: int  # facilities with any loss
    disrupted_flows: int  # flows that deliver less
    running: bool = True  # False: not running in the year (its status), so it costs nothing
    status: str = "operating"


@dataclass(frozen=True)
class Ranking:
    """The N-1 rows, worst first, with the year and the market they assume; indexes and
    iterates like the tuple of rows."""

    rows: tuple[Criticality, ...]
    year: int | None
    scope: Scope
    market: Market = field(repr=False)

    @overload
    def __getitem__(self, index: int) -> Criticality: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Criticality, ...]: ...
    def __getitem__(self, index: int | slice) -> Criticality | tuple[Criticality, ...]:
        return self.rows[index]

    def __iter__(self) -> Iterator[Criticality]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def criticality(
    network: Network,
    options: ImpactOptions | None = None,
    *,
    year: int | None = None,
    market: Market | None = None,
) -> Ranking:
    """Every facility's permanent shutdown in ``year`` (default: the latest the registry
    describes), all at once (one scenario per row), ranked by the production it takes down
    elsewhere, then by the flows it disrupts. Facilities that do not run come last."""
    options = options or ImpactOptions()
    network, scope = scoped(network, year)
    assumed = market_of(network, options, market)
    p = prepare(network, options, assumed)
    n = len(network.facilities)
    cap = np.ones((n, n)) - np.eye(n)
    level, ratio, _ = settle(network, p, cap, None)
    others = level + np.eye(n)  # the shut facility itself does not count
    damage = (1.0 - others).sum(axis=1)
    input_short = ratio < 1.0 - 1e-9
    hit_facilities = np.zeros((n, n), dtype=bool)
    if len(p.inputs):
        hit_facilities[:, p.input_facility] |= input_short
    affected = ((others < 1.0 - 1e-9) | hit_facilities).sum(axis=1) - hit_facilities[
        np.arange(n), np.arange(n)
    ]
    disrupted = (level[:, network.src] < 1.0 - 1e-9).sum(axis=1)
    statuses = network.facility_status or ("operating",) * n
    rows = [
        Criticality(
            facility=network.facilities[i],
            name=network.names.get(network.facilities[i], network.facilities[i]),
            damage=float(damage[i]),
            affected=int(affected[i]),
            disrupted_flows=int(disrupted[i]),
            running=network.facilities[i] not in scope.not_running,
            status=statuses[i],
        )
        for i in range(n)
    ]
    rows.sort(key=lambda r: (not r.running, -r.damage, -r.disrupted_flows, -r.affected, r.facility))
    return Ranking(rows=tuple(rows), year=scope.year, scope=scope, market=assumed)
