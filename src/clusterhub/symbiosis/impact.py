"""What a shutdown does to everyone downstream: quantity-based propagation to a fixed point.

Why quantities and a fixed point: a facility that loses 30% of a critical input runs at 70%, so
its own outputs fall by 30%, which may starve the next one, and cycles (the power station feeds
the refinery that feeds the power station) must settle. Each facility runs at the level its
scarcest input allows (inputs are complements, Leontief); an input's availability is what its
suppliers still deliver plus the share that can be bought in instead (substitutability), and a
supplier's shortfall reaches the receiver only after the receiver's on-site stock runs out
(buffer days). Levels only fall, so the iteration converges; every step is a few array
operations over all flows at once (no loop over facilities), and the N-1 scan runs every
facility's shutdown as one batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterhub.errors import NotFound
from clusterhub.symbiosis.network import Network

__all__ = [
    "BUFFER_DAYS",
    "SUBSTITUTABLE",
    "Event",
    "FacilityImpact",
    "Impact",
    "ImpactOptions",
    "criticality",
    "impact",
]

#: Share of an input that can be bought in instead within days, by resource class: 1 where a
#: market supplies the class (water from the utility, gases from a gas company, bulk
#: commodities; treated wastewater taken as process water can be replaced by fresh water), 0
#: where the supply is tied to a neighbour by a pipe (steam, heat, hydrogen, biogas). An
#: assumption, overridable per class or per stream.
SUBSTITUTABLE: dict[str, float] = {"steam": 0.0, "heat": 0.0, "hydrogen": 0.0, "biogas": 0.0}

#: Days an on-site stock of the input lasts, by class: bulk solids are stockpiled (a week
#: assumed), piped flows are not. Overridable per class or per stream.
BUFFER_DAYS: dict[str, float] = dict.fromkeys(
    (
        "gypsum", "ash", "slag", "mineral_residue", "lime", "salt", "sulphur", "fertiliser",
        "feed", "biomass", "wood", "paper", "plastic", "metal", "sludge",
    ),
    7.0,
)  # fmt: skip


@dataclass(frozen=True)
class ImpactOptions:
    """Assumptions of the propagation; per-stream values win over per-class ones."""

    substitutable: Mapping[str, float] = field(default_factory=lambda: dict(SUBSTITUTABLE))
    substitutable_default: float = 1.0
    buffer_days: Mapping[str, float] = field(default_factory=lambda: dict(BUFFER_DAYS))
    buffer_default: float = 0.0
    by_stream_substitutable: Mapping[str, float] = field(default_factory=dict)
    by_stream_buffer: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """``shutdown`` (permanent), ``suspension`` for ``days``, or ``capacity`` down to ``level``
    (0.6 = runs at 60%) for ``days`` (None: permanent)."""

    facility: str
    kind: Literal["shutdown", "suspension", "capacity"] = "shutdown"
    days: float | None = None
    level: float = 0.0


@dataclass(frozen=True)
class LostInput:
    stream: str
    resource: str
    quantity: float  # lost per year at the settled level, in ``unit``
    unit: str
    share_of_need: float
    days_until_impact: float
    known: bool  # False: flows without figures counted as one unit each


@dataclass(frozen=True)
class FacilityImpact:
    facility: str
    name: str
    level: float  # share of normal operation left
    days_until_impact: float
    lost_inputs: tuple[LostInput, ...]
    lost_outputs: dict[str, float]  # output stream -> quantity no longer produced (per year)


@dataclass(frozen=True)
class Impact:
    event: Event
    facilities: tuple[FacilityImpact, ...]  # affected ones, worst first
    co2e_t: float  # extra emissions of the inputs bought in instead (per year)
    diverted: dict[str, float]  # unit -> output left without its receiver (to landfill etc.)
    iterations: int

    @property
    def damage(self) -> float:
        """Facility-equivalents of production lost (sum of 1 - level)."""
        return float(sum(1.0 - f.level for f in self.facilities))


@dataclass(frozen=True)
class _Prepared:
    """Per-input arrays of a network under given options."""

    inputs: np.ndarray  # stream index of each input that receives flows
    input_of_flow: np.ndarray  # compact input index of each flow
    input_facility: np.ndarray
    need: np.ndarray
    other: np.ndarray  # supply from outside the network (never affected)
    substitutable: np.ndarray
    buffer: np.ndarray
    order: np.ndarray  # inputs sorted by facility, for a per-facility minimum
    starts: np.ndarray
    facilities_with_inputs: np.ndarray
    to_input: sp.csr_matrix  # flows x inputs, 1 where a flow feeds an input


def _prepare(network: Network, options: ImpactOptions) -> _Prepared:
    inputs, input_of_flow = np.unique(network.receiver, return_inverse=True)
    flows_in = np.bincount(input_of_flow, weights=network.quantity, minlength=len(inputs))
    own = network.stream_quantity[inputs]
    other = np.where(np.isfinite(own), np.maximum(own - flows_in, 0.0), 0.0)
    class_code, class_names = pd.factorize(pd.Series(network.stream_class, dtype=object))
    codes = class_code[inputs]
    substitutable = np.array(
        [options.substitutable.get(c, options.substitutable_default) for c in class_names]
    )[codes]
    buffer = np.array([options.buffer_days.get(c, options.buffer_default) for c in class_names])[
        codes
    ]
    position = {stream: k for k, stream in enumerate(inputs.tolist())}
    streams = (
        {name: i for i, name in enumerate(network.streams)}
        if (options.by_stream_substitutable or options.by_stream_buffer)
        else {}
    )
    for overrides, target in (
        (options.by_stream_substitutable, substitutable),
        (options.by_stream_buffer, buffer),
    ):
        for name, value in overrides.items():
            k = position.get(streams.get(name, -1))
            if k is not None:
                target[k] = value
    input_facility = network.stream_facility[inputs]
    order = np.argsort(input_facility, kind="stable")
    facilities_with_inputs, starts = np.unique(input_facility[order], return_index=True)
    return _Prepared(
        inputs=inputs,
        input_of_flow=input_of_flow,
        input_facility=input_facility,
        need=flows_in + other,
        other=other,
        substitutable=substitutable,
        buffer=buffer,
        order=order,
        starts=starts,
        facilities_with_inputs=facilities_with_inputs,
        to_input=sp.csr_matrix(
            (np.ones(len(input_of_flow)), (np.arange(len(input_of_flow)), input_of_flow)),
            shape=(len(input_of_flow), len(inputs)),
        ),
    )


def _settle(
    network: Network, p: _Prepared, cap: np.ndarray, hits: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Levels at the fixed point for a batch of scenarios (rows of ``cap``): each facility at
    the share its scarcest input allows. ``hits`` masks, per scenario and flow, the flows whose
    shortfall arrives within the event (None: all)."""
    level = cap.copy()
    ratio = np.ones((cap.shape[0], len(p.inputs)))
    n_inputs = len(p.inputs)
    for iteration in range(1, cap.shape[1] + 2):
        delivered = level[:, network.src]
        if hits is not None:
            delivered = np.where(hits, delivered, 1.0)
        supply = delivered * network.quantity
        available = np.asarray(p.to_input.T @ supply.T).T + p.other  # flows summed per input
        short = np.maximum(p.need - available, 0.0)
        ratio = np.minimum(1.0, (p.need - short * (1.0 - p.substitutable)) / p.need)
        ratio = np.where(p.need > 0, ratio, 1.0)
        limited = np.minimum.reduceat(ratio[:, p.order], p.starts, axis=1) if n_inputs else ratio
        new = cap.copy()
        if n_inputs:
            new[:, p.facilities_with_inputs] = np.minimum(cap[:, p.facilities_with_inputs], limited)
        if np.max(np.abs(new - level), initial=0.0) < 1e-12:
            return new, ratio, iteration
        level = new
    return level, ratio, cap.shape[1] + 1


def _arrival(network: Network, p: _Prepared, level: np.ndarray, start: int) -> np.ndarray:
    """Days until each facility feels the event: the shutdown at day 0, then each affected
    flow's receiver after its buffer (shortest paths, relaxed over all flows at once)."""
    days = np.full(len(network.facilities), np.inf)
    days[start] = 0.0
    affected = level[network.src] < 1.0 - 1e-12
    src, dst = network.src[affected], network.dst[affected]
    delay = p.buffer[p.input_of_flow[affected]]
    for _ in range(len(network.facilities)):
        candidate = days[src] + delay
        new = days.copy()
        np.minimum.at(new, dst, candidate)
        if np.array_equal(new, days):
            break
        days = new
    return days


def impact(network: Network, event: Event, options: ImpactOptions | None = None) -> Impact:
    """The settled effect of ``event`` on every facility, with what each one loses."""
    options = options or ImpactOptions()
    try:
        start = network.facilities.index(event.facility)
    except ValueError:
        raise NotFound(f"{event.facility!r} is not a facility (site) of this network") from None
    p = _prepare(network, options)
    cap = np.ones((1, len(network.facilities)))
    cap[0, start] = event.level if event.kind == "capacity" else 0.0
    level, ratio, iterations = _settle(network, p, cap, None)
    days = _arrival(network, p, level[0], start)
    duration = np.inf if event.kind == "shutdown" or event.days is None else float(event.days)
    if np.isfinite(duration):  # only shortfalls that arrive before the event ends count
        hits = (days[network.src] + p.buffer[p.input_of_flow] < duration)[None, :]
        level, ratio, more = _settle(network, p, cap, hits)
        iterations += more
    return _report(
        network,
        p,
        event=event,
        start=start,
        level=level[0],
        ratio=ratio[0],
        days=days,
        iterations=iterations,
    )


def _report(
    network: Network,
    p: _Prepared,
    *,
    event: Event,
    start: int,
    level: np.ndarray,
    ratio: np.ndarray,
    days: np.ndarray,
    iterations: int,
) -> Impact:
    delivered = level[network.src] * network.quantity
    lost_flow = network.quantity - delivered
    n_inputs = len(p.inputs)
    # per input, all at once: what is missing, since when, in which unit, whether all known
    missing = np.bincount(p.input_of_flow, weights=lost_flow, minlength=n_inputs)
    first_day = np.full(n_inputs, np.inf)
    np.minimum.at(first_day, p.input_of_flow, days[network.src])
    unknown = np.bincount(p.input_of_flow, weights=~network.known, minlength=n_inputs) > 0
    unit_code = pd.factorize(pd.Series(network.unit, dtype=object))[0]
    low = np.full(n_inputs, np.iinfo(np.int64).max)
    high = np.full(n_inputs, -1)
    np.minimum.at(low, p.input_of_flow, unit_code)
    np.maximum.at(high, p.input_of_flow, unit_code)
    first_flow = np.full(n_inputs, len(network.flows))
    np.minimum.at(first_flow, p.input_of_flow, np.arange(len(network.flows)))
    short = np.flatnonzero(ratio < 1.0 - 1e-9)
    short = short[np.argsort(p.input_facility[short], kind="stable")]
    by_facility: dict[int, list[LostInput]] = {}
    for k in short.tolist():
        stream = int(p.inputs[k])
        by_facility.setdefault(int(p.input_facility[k]), []).append(
            LostInput(
                stream=network.streams[stream],
                resource=network.stream_class[stream],
                quantity=float(missing[k]),
                unit=network.unit[first_flow[k]] if low[k] == high[k] else "",
                share_of_need=float(1.0 - ratio[k]),
                days_until_impact=float(first_day[k] + p.buffer[k]),
                known=not bool(unknown[k]),
            )
        )
    # per facility: the outputs it no longer makes (summed per output stream first)
    per_stream = np.bincount(network.supplier, weights=lost_flow, minlength=len(network.streams))
    outputs: dict[int, dict[str, float]] = {}
    for stream in np.flatnonzero(per_stream > 1e-12).tolist():
        row = outputs.setdefault(int(network.stream_facility[stream]), {})
        row[network.streams[stream]] = float(per_stream[stream])
    touched = set(np.flatnonzero(level < 1.0 - 1e-9).tolist()) | set(by_facility)
    touched.discard(start)
    facilities = []
    for f in sorted(touched):
        lost = by_facility.get(f, [])
        facilities.append(
            FacilityImpact(
                facility=network.facilities[f],
                name=network.names.get(network.facilities[f], network.facilities[f]),
                level=float(level[f]),
                days_until_impact=float(days[f])
                if np.isfinite(days[f])
                else float(min((x.days_until_impact for x in lost), default=np.inf)),
                lost_inputs=tuple(lost),
                lost_outputs=outputs.get(f, {}),
            )
        )
    facilities.sort(key=lambda x: (x.level, x.days_until_impact))
    # inputs bought in instead of the lost flows: their virgin supply's emissions
    bought = np.bincount(p.input_of_flow, weights=lost_flow, minlength=len(p.inputs))
    factor = network.stream_emission[p.inputs]
    co2e = float(np.nansum(np.where(np.isfinite(factor), bought * p.substitutable * factor, 0.0)))
    # outputs still produced whose receiver takes less: left to the supplier's old fate
    left = level[network.src] * network.quantity * (1.0 - level[network.dst])
    diverted: dict[str, float] = {}
    for e in np.flatnonzero(left > 1e-12).tolist():
        unit = network.unit[e] or "units"
        diverted[unit] = diverted.get(unit, 0.0) + float(left[e])
    return Impact(
        event=event,
        facilities=tuple(facilities),
        co2e_t=co2e,
        diverted=diverted,
        iterations=iterations,
    )


@dataclass(frozen=True)
class Criticality:
    facility: str
    name: str
    damage: float  # facility-equivalents of production lost elsewhere
    affected: int  # facilities with any loss
    disrupted_flows: int  # flows that deliver less


def criticality(network: Network, options: ImpactOptions | None = None) -> tuple[Criticality, ...]:
    """Every facility's permanent shutdown, all at once (one scenario per row), ranked by the
    production it takes down elsewhere, then by the flows it disrupts."""
    options = options or ImpactOptions()
    p = _prepare(network, options)
    n = len(network.facilities)
    cap = np.ones((n, n)) - np.eye(n)
    level, ratio, _ = _settle(network, p, cap, None)
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
    rows = [
        Criticality(
            facility=network.facilities[i],
            name=network.names.get(network.facilities[i], network.facilities[i]),
            damage=float(damage[i]),
            affected=int(affected[i]),
            disrupted_flows=int(disrupted[i]),
        )
        for i in range(n)
    ]
    rows.sort(key=lambda r: (-r.damage, -r.disrupted_flows, -r.affected, r.facility))
    return tuple(rows)
