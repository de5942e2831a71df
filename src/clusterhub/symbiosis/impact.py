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
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from clusterhub.errors import NotFound
from clusterhub.symbiosis.market import Market, market
from clusterhub.symbiosis.network import Network
from clusterhub.symbiosis.results import Event, FacilityImpact, Impact, LostInput, Purchase
from clusterhub.symbiosis.scope import scoped

__all__ = [
    "BUFFER_DAYS",
    "Event",
    "FacilityImpact",
    "Impact",
    "ImpactOptions",
    "LostInput",
    "Purchase",
    "impact",
    "market_of",
    "prepare",
    "settle",
]

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
    """Assumptions of the propagation; per-stream values win over per-class ones, and both
    win over the market (``substitutable`` by class, ``substitutable_default`` for classes the
    market has no row for; None: the market's)."""

    substitutable: Mapping[str, float] = field(default_factory=dict)
    substitutable_default: float | None = None
    buffer_days: Mapping[str, float] = field(default_factory=lambda: dict(BUFFER_DAYS))
    buffer_default: float = 0.0
    by_stream_substitutable: Mapping[str, float] = field(default_factory=dict)
    by_stream_buffer: Mapping[str, float] = field(default_factory=dict)


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
    by_stream: np.ndarray  # inputs whose share the options set for the stream itself


def market_of(network: Network, options: ImpactOptions, given: Market | None) -> Market:
    """The market an analysis assumes: ``given`` or the bundled one of the network's region,
    with the options' per-class shares on top."""
    chosen = given if given is not None else market(network.region)
    if options.substitutable:
        chosen = replace(chosen, overrides={**chosen.overrides, **options.substitutable})
    if options.substitutable_default is not None:
        chosen = replace(chosen, default_share=options.substitutable_default)
    return chosen


def prepare(network: Network, options: ImpactOptions, market: Market) -> _Prepared:
    inputs, input_of_flow = np.unique(network.receiver, return_inverse=True)
    flows_in = np.bincount(input_of_flow, weights=network.quantity, minlength=len(inputs))
    own = network.stream_quantity[inputs]
    other = np.where(np.isfinite(own), np.maximum(own - flows_in, 0.0), 0.0)
    class_code, class_names = pd.factorize(pd.Series(network.stream_class, dtype=object))
    codes = class_code[inputs]
    substitutable = np.array([market.share(c) for c in class_names], dtype=float)[codes]
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
    by_stream = np.array(
        [network.streams[int(i)] in options.by_stream_substitutable for i in inputs], dtype=bool
    )
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
        by_stream=by_stream,
    )


def settle(
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


def impact(
    network: Network,
    event: Event,
    options: ImpactOptions | None = None,
    *,
    year: int | None = None,
    market: Market | None = None,
) -> Impact:
    """The settled effect of ``event`` on every facility in ``year`` (default: the latest the
    registry describes), with what each one loses and what is bought in instead."""
    options = options or ImpactOptions()
    try:
        start = network.facilities.index(event.facility)
    except ValueError:
        raise NotFound(f"{event.facility!r} is not a facility (site) of this network") from None
    network, scope = scoped(network, year)
    assumed = market_of(network, options, market)
    p = prepare(network, options, assumed)
    cap = np.ones((1, len(network.facilities)))
    cap[0, start] = event.level if event.kind == "capacity" else 0.0
    if event.facility in scope.not_running:  # it is not running: nothing to take away
        cap[0, start] = 1.0
    level, ratio, iterations = settle(network, p, cap, None)
    days = _arrival(network, p, level[0], start)
    duration = np.inf if event.kind == "shutdown" or event.days is None else float(event.days)
    if np.isfinite(duration):  # only shortfalls that arrive before the event ends count
        hits = (days[network.src] + p.buffer[p.input_of_flow] < duration)[None, :]
        level, ratio, more = settle(network, p, cap, hits)
        iterations += more
    result = _report(
        network,
        p,
        event=event,
        start=start,
        level=level[0],
        ratio=ratio[0],
        days=days,
        iterations=iterations,
        market=assumed,
    )
    return replace(result, year=scope.year, scope=scope, market=assumed)


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
    market: Market,
) -> Impact:
    delivered = level[network.src] * network.quantity
    lost_flow = network.quantity - delivered
    lost_known = np.where(network.known, lost_flow, 0.0)
    lost_unknown = (~network.known) & (lost_flow > 1e-12)
    n_inputs = len(p.inputs)
    # per input, all at once: what is missing, since when, in which unit, how much is unknown
    missing = np.bincount(p.input_of_flow, weights=lost_known, minlength=n_inputs)
    unknown = np.bincount(p.input_of_flow, weights=lost_unknown, minlength=n_inputs)
    first_day = np.full(n_inputs, np.inf)
    np.minimum.at(first_day, p.input_of_flow, days[network.src])
    unit_code = pd.factorize(pd.Series(network.unit, dtype=object))[0]
    low = np.full(n_inputs, np.iinfo(np.int64).max)
    high = np.full(n_inputs, -1)
    np.minimum.at(low, p.input_of_flow, unit_code)
    np.maximum.at(high, p.input_of_flow, unit_code)
    first_flow = np.full(n_inputs, len(network.flows))
    np.minimum.at(first_flow, p.input_of_flow, np.arange(len(network.flows)))
    lost_any = np.bincount(p.input_of_flow, weights=lost_flow, minlength=n_inputs) > 1e-12
    short = np.flatnonzero(ratio < 1.0 - 1e-9)
    short = short[np.argsort(p.input_facility[short], kind="stable")]
    by_facility: dict[int, list[LostInput]] = {}
    for k in short.tolist():
        stream = int(p.inputs[k])
        all_unknown = unknown[k] > 0 and missing[k] <= 1e-12
        by_facility.setdefault(int(p.input_facility[k]), []).append(
            LostInput(
                stream=network.streams[stream],
                resource=network.stream_class[stream],
                quantity=None if all_unknown else float(missing[k]),
                unit=network.unit[first_flow[k]] if low[k] == high[k] else "",
                share_of_need=float(1.0 - ratio[k]),
                days_until_impact=float(first_day[k] + p.buffer[k]),
                known=not bool(unknown[k]),
                unknown_flows=int(unknown[k]),
            )
        )
    # per facility: the outputs it no longer makes (summed per output stream first)
    n_streams = len(network.streams)
    per_stream = np.bincount(network.supplier, weights=lost_known, minlength=n_streams)
    vague = np.bincount(network.supplier, weights=lost_unknown, minlength=n_streams) > 0
    outputs: dict[int, dict[str, float | None]] = {}
    for stream in np.flatnonzero((per_stream > 1e-12) | vague).tolist():
        row = outputs.setdefault(int(network.stream_facility[stream]), {})
        row[network.streams[stream]] = None if vague[stream] else float(per_stream[stream])
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
    purchases = _purchases(
        network,
        p,
        market,
        lost_any=lost_any,
        missing=missing,
        unknown=unknown,
        first_flow=first_flow,
    )
    # outputs still produced whose receiver takes less: left to the supplier's old fate
    left = level[network.src] * network.quantity * (1.0 - level[network.dst])
    diverted: dict[str, float] = {}
    untaken: dict[str, float | None] = {}
    diverted_unknown = 0
    for e in np.flatnonzero(left > 1e-12).tolist():
        name = network.streams[int(network.supplier[e])]
        if not network.known[e]:
            diverted_unknown += 1
            untaken[name] = None
            continue
        diverted[network.unit[e]] = diverted.get(network.unit[e], 0.0) + float(left[e])
        if name not in untaken or untaken[name] is not None:
            untaken[name] = (untaken.get(name) or 0.0) + float(left[e])
    return Impact(
        event=event,
        facilities=tuple(facilities),
        co2e_t=float(sum(x.co2e_t for x in purchases if x.co2e_t is not None)),
        diverted=diverted,
        iterations=iterations,
        purchases=purchases,
        cost_eur=float(sum(x.cost_eur for x in purchases if x.cost_eur is not None)),
        diverted_unknown=diverted_unknown,
        untaken=untaken,
        buyable={
            network.streams[int(s)]: float(v)
            for s, v in zip(p.inputs, p.substitutable, strict=True)
        },
    )


def _purchases(
    network: Network,
    p: _Prepared,
    market: Market,
    *,
    lost_any: np.ndarray,
    missing: np.ndarray,
    unknown: np.ndarray,
    first_flow: np.ndarray,
) -> tuple[Purchase, ...]:
    """What the market is assumed to replace of each lost input: the lost flows times the
    buyable share, at the market's price; the CO2e of the input's own virgin supply where the
    registry gives it, else the market's."""
    rows = []
    for k in np.flatnonzero(lost_any & (p.substitutable > 0)).tolist():
        stream = int(p.inputs[k])
        resource = network.stream_class[stream]
        share = float(p.substitutable[k])
        known = not (unknown[k] > 0 and missing[k] <= 1e-12)
        quantity = float(missing[k]) * share if known else None
        unit = network.unit[first_flow[k]]
        row = market.rows.get(resource)
        price, co2e = row.per(unit) if row is not None else (None, None)
        own = float(network.stream_emission[stream])
        co2e = own if np.isfinite(own) else co2e
        rows.append(
            Purchase(
                facility=network.facilities[int(p.input_facility[k])],
                stream=network.streams[stream],
                resource=resource,
                share=share,
                quantity=quantity,
                unit=unit,
                price_eur_per_unit=price,
                cost_eur=None if quantity is None or price is None else quantity * price,
                co2e_t=None if quantity is None or co2e is None else quantity * co2e,
                basis="set for this stream" if p.by_stream[k] else market.basis(resource),
            )
        )
    return tuple(rows)
