"""The network as it stands in one year: the exchanges active then, between plants that run.

Why a year by default: a registry is a history. Kwinana records exchanges that ended with the
refinery in 2021 beside those running today; an N-1 scan over all of them ranks plants by flows
that no longer exist. So every analysis describes one year, by default the latest the registry
describes (its last exchange start or end), and says which.

Why statuses only from that latest year on: a participant's status ("suspended", "closed") is
the registry's present, not its history. HIsmelt is closed, yet in 2006 it took oxygen and water;
its exchanges' years tell that story. So statuses are applied to the latest year and later,
and to registries without years; earlier years follow the exchange records alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from clusterhub.errors import InputError
from clusterhub.symbiosis.network import Network
from clusterhub.symbiosis.status import state

__all__ = ["Scope", "scoped"]


@dataclass(frozen=True)
class Scope:
    """Which year an analysis describes and what it left out to describe it."""

    year: int | None  # None: the registry records no years; every exchange counts
    latest_year: int | None  # the latest year the registry describes
    statuses_applied: bool
    not_running: dict[str, str] = field(default_factory=dict)  # facility -> recorded status
    inactive_flows: tuple[str, ...] = ()  # exchanges not active in ``year``
    flows_of_idle_plants: tuple[str, ...] = ()  # active, but to or from a plant that is idle


def scoped(network: Network, year: int | None = None) -> tuple[Network, Scope]:
    """``network`` reduced to ``year`` (default: the year it was built for, else the latest
    year it describes) and to the facilities that run then."""
    if year is None:
        year = network.year if network.year is not None else network.latest_year
    elif network.year is not None and year != network.year:
        raise InputError.single(
            f"year {network.year}, the year the network was built for (or a network built "
            "without a year)",
            str(year),
            path="year",
        )
    n = len(network.flows)
    active = np.ones(n, dtype=bool)
    if year is not None and network.flow_start is not None and network.flow_end is not None:
        start, end = network.flow_start, network.flow_end
        active = (np.isnan(start) | (start <= year)) & (np.isnan(end) | (year <= end))
    applied = year is None or network.latest_year is None or year >= network.latest_year
    not_running: dict[str, str] = {}
    if applied:
        for facility, status in zip(network.facilities, network.facility_status, strict=False):
            if state(status) in ("stopped", "planned"):
                not_running[facility] = status
    idle = np.zeros(len(network.facilities), dtype=bool)
    idle[[network.facilities.index(f) for f in not_running]] = True
    live = active & ~idle[network.src] & ~idle[network.dst] if n else active
    keep = np.flatnonzero(live)
    scope = Scope(
        year=year,
        latest_year=network.latest_year,
        statuses_applied=applied,
        not_running=not_running,
        inactive_flows=tuple(network.flows[k] for k in np.flatnonzero(~active).tolist()),
        flows_of_idle_plants=tuple(
            network.flows[k] for k in np.flatnonzero(active & ~live).tolist()
        ),
    )
    if len(keep) == n:
        return network, scope

    def pick(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(values[k] for k in keep.tolist())

    reduced = replace(
        network,
        src=network.src[keep],
        dst=network.dst[keep],
        supplier=network.supplier[keep],
        receiver=network.receiver[keep],
        quantity=network.quantity[keep],
        known=network.known[keep],
        unit=pick(network.unit),
        flows=pick(network.flows),
        flow_start=None if network.flow_start is None else network.flow_start[keep],
        flow_end=None if network.flow_end is None else network.flow_end[keep],
        year=year,
    )
    return reduced, scope
