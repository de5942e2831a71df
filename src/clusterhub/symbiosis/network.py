"""The exchange network: facilities (sites) joined by flows (exchanges), as arrays and as a graph.

Why arrays first: a shutdown analysis must follow every flow out of a facility and back in, for
10,000 facilities in a tenth of a second; that is sparse linear algebra over edge arrays, not a
Python walk over a graph. The networkx graph is built from the same arrays for the metrics that
need one (betweenness, articulation points) and for drawing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from clusterhub.model import Cluster
from clusterhub.model.units import AMOUNT_DIMENSIONS, dimension_name, parse_quantity

__all__ = [
    "Network",
    "build_network",
    "flow_tables",
    "graph",
    "latest_year",
    "metrics",
    "replay",
]


@dataclass(frozen=True)
class Network:
    """Facilities and flows, all by position.

    ``quantity[e]`` is flow e's annual amount in the base unit of its dimension (t, m3, MWh,
    Nm3); ``known[e]`` is False where no figure exists, and the flow then counts as one unit
    of its input's need, so shares stay meaningful and the report says it is an estimate.
    """

    facilities: tuple[str, ...]  # site ids
    owner: tuple[str, ...]  # participant of each facility
    streams: tuple[str, ...]  # stream ids
    stream_facility: np.ndarray  # facility of each stream
    stream_direction: np.ndarray  # True for outputs
    stream_class: tuple[str, ...]  # resource class of each stream
    stream_quantity: np.ndarray  # annual amount in its base unit, NaN where unknown
    stream_emission: np.ndarray  # tCO2e per base unit of the current fate / virgin supply
    stream_fate: tuple[str, ...]
    src: np.ndarray  # supplier facility of each flow
    dst: np.ndarray  # receiver facility of each flow
    supplier: np.ndarray  # output stream of each flow
    receiver: np.ndarray  # input stream of each flow
    quantity: np.ndarray
    known: np.ndarray
    unit: tuple[str, ...]  # base unit of each flow
    flows: tuple[str, ...]  # exchange ids
    names: dict[str, str] = field(default_factory=dict)  # facility -> readable name
    # what the analyses need to pick a year and the plants that run (absent: all, always)
    flow_start: np.ndarray | None = None  # start year of each flow, NaN where not recorded
    flow_end: np.ndarray | None = None  # end year of each flow, NaN where still running
    facility_status: tuple[str, ...] = ()  # the participant's recorded status, per facility
    region: str | None = None  # ISO country of the cluster, for the market
    year: int | None = None  # the year the flows were chosen for (None: every year)
    latest_year: int | None = None  # the latest year the registry's exchanges describe

    @property
    def size(self) -> tuple[int, int]:
        return len(self.facilities), len(self.flows)


def _amount(text: str | None) -> tuple[float, str] | None:
    if text is None:
        return None
    quantity = parse_quantity(text)
    dimension = dimension_name(quantity)
    base = AMOUNT_DIMENSIONS.get(dimension)
    if base is None:
        return None
    return float(quantity.to(base).magnitude), base


def _estimate_unknown(
    quantity: np.ndarray, known: np.ndarray, receiver: np.ndarray, supplier: np.ndarray
) -> None:
    """A flow without a figure counts as the mean of the known flows into the same input (or
    out of the same output), else one unit: so an unknown flow next to a known 80,000 MWh one
    is not worth 1/80,001 of the input."""
    for group in (receiver, supplier):
        for stream in np.unique(group[~known]).tolist():
            same = group == stream
            figures = quantity[same & known]
            if len(figures):
                quantity[same & ~known & (quantity == 1.0)] = float(figures.mean())


def _magnitude(amount: tuple[float, str] | None) -> float:
    return amount[0] if amount is not None else float("nan")


def _per_unit(text: str | None, base: str | None) -> float:
    """An emission factor ("0.9 tCO2e/t") in tCO2e per the stream's base unit, NaN unknown."""
    if text is None:
        return float("nan")
    factor = parse_quantity(text)
    for unit in [base] if base else list(AMOUNT_DIMENSIONS.values()):
        try:
            return float(factor.to(f"tCO2e / {unit}").magnitude)
        except Exception:
            continue
    return float("nan")


def build_network(cluster: Cluster, *, year: int | None = None) -> Network:
    """The network of ``cluster``'s exchanges (those active in ``year`` when given)."""
    facilities: list[str] = []
    owner: list[str] = []
    status: list[str] = []
    names: dict[str, str] = {}
    for participant in cluster.participants:
        for site in participant.sites:
            facilities.append(site.id)
            owner.append(participant.id)
            status.append(participant.status)
            label = getattr(site, "name", None) or site.id
            names[site.id] = f"{participant.name}: {label}" if label != participant.name else label
    at = {f: i for i, f in enumerate(facilities)}
    streams, stream_facility, outputs, classes, fates = [], [], [], [], []
    amounts: dict[str, tuple[float, str] | None] = {}
    emission: list[float] = []
    for _, stream in cluster.iter_streams():
        streams.append(stream.id)
        stream_facility.append(at[stream.site])
        outputs.append(stream.direction == "output")
        classes.append(stream.resource_class)
        fates.append(str(stream.fate))
        amount = _amount(stream.annual_quantity)
        amounts[stream.id] = amount
        emission.append(_per_unit(stream.emission_factor, amount[1] if amount else None))
    index = {s: i for i, s in enumerate(streams)}
    exchanges = [e for e in cluster.exchanges if year is None or e.active_in(year)]
    quantity = np.ones(len(exchanges))
    known = np.zeros(len(exchanges), dtype=bool)
    unit: list[str] = []
    for k, exchange in enumerate(exchanges):
        amount = _amount(exchange.annual_quantity)
        if amount is None:  # the smaller of the two streams' figures, if either has one
            figures = [a for a in (amounts[exchange.supplier], amounts[exchange.receiver]) if a]
            amount = min(figures) if figures else None
        if amount is not None:
            quantity[k], known[k] = amount[0], True
            unit.append(amount[1])
        else:
            unit.append("")
    supplier = np.array([index[e.supplier] for e in exchanges], dtype=np.int64)
    receiver = np.array([index[e.receiver] for e in exchanges], dtype=np.int64)
    _estimate_unknown(quantity, known, receiver, supplier)
    stream_facility_array = np.array(stream_facility, dtype=np.int64)
    return Network(
        facilities=tuple(facilities),
        owner=tuple(owner),
        streams=tuple(streams),
        stream_facility=stream_facility_array,
        stream_direction=np.array(outputs, dtype=bool),
        stream_class=tuple(classes),
        stream_quantity=np.array([_magnitude(amounts[x]) for x in streams], dtype=float),
        stream_emission=np.array(emission, dtype=float),
        stream_fate=tuple(fates),
        src=stream_facility_array[supplier] if len(supplier) else np.zeros(0, dtype=np.int64),
        dst=stream_facility_array[receiver] if len(receiver) else np.zeros(0, dtype=np.int64),
        supplier=supplier,
        receiver=receiver,
        quantity=quantity,
        known=known,
        unit=tuple(unit),
        flows=tuple(e.id for e in exchanges),
        names=names,
        flow_start=np.array([_year(e.start_year) for e in exchanges], dtype=float),
        flow_end=np.array([_year(e.end_year) for e in exchanges], dtype=float),
        facility_status=tuple(status),
        region=cluster.location.country,
        year=year,
        latest_year=latest_year(cluster),
    )


def _year(value: int | None) -> float:
    return float("nan") if value is None else float(value)


def latest_year(cluster: Cluster) -> int | None:
    """The latest year the registry describes: its last exchange start or end (None: no
    exchange records a year)."""
    years = [y for e in cluster.exchanges for y in (e.start_year, e.end_year) if y is not None]
    return max(years) if years else None


def graph(network: Network) -> nx.MultiDiGraph[str]:
    """Facilities as nodes, flows as edges (one per exchange), with resource and quantity."""
    g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for i, facility in enumerate(network.facilities):
        g.add_node(facility, owner=network.owner[i], name=network.names.get(facility, facility))
    for k, flow in enumerate(network.flows):
        g.add_edge(
            network.facilities[network.src[k]],
            network.facilities[network.dst[k]],
            key=flow,
            resource=network.stream_class[network.supplier[k]],
            quantity=float(network.quantity[k]),
            known=bool(network.known[k]),
            unit=network.unit[k],
        )
    return g


@dataclass(frozen=True)
class Metrics:
    """Structure of the network: who is central, which inputs hang on one supplier."""

    degree: dict[str, tuple[int, int]]  # facility -> (flows in, flows out)
    betweenness: dict[str, float]
    supplier_hhi: dict[str, float]  # input stream -> Herfindahl index of its suppliers (0-1)
    single_supplier_inputs: dict[str, str]  # input stream -> its only supplier facility
    articulation_points: tuple[str, ...]  # facilities whose loss splits the network
    redundancy: dict[str, int]  # input stream -> number of supplying facilities


def metrics(network: Network) -> Metrics:
    g = graph(network)
    simple: nx.DiGraph[str] = nx.DiGraph(g)
    degree = {f: (int(g.in_degree(f)), int(g.out_degree(f))) for f in network.facilities}
    betweenness = {k: float(v) for k, v in nx.betweenness_centrality(simple).items()}
    shares: dict[int, dict[int, float]] = {}
    for k in range(len(network.flows)):
        by = shares.setdefault(int(network.receiver[k]), {})
        by[int(network.src[k])] = by.get(int(network.src[k]), 0.0) + float(network.quantity[k])
    hhi: dict[str, float] = {}
    single: dict[str, str] = {}
    redundancy: dict[str, int] = {}
    for stream, by_supplier in shares.items():
        total = sum(by_supplier.values())
        name = network.streams[stream]
        hhi[name] = sum((q / total) ** 2 for q in by_supplier.values()) if total else 1.0
        redundancy[name] = len(by_supplier)
        if len(by_supplier) == 1:
            single[name] = network.facilities[next(iter(by_supplier))]
    undirected: nx.Graph[str] = nx.Graph(simple.to_undirected())
    undirected.remove_nodes_from([n for n in list(undirected) if undirected.degree(n) == 0])
    cut = tuple(sorted(nx.articulation_points(undirected)))
    return Metrics(degree, betweenness, hhi, single, cut, redundancy)


def flow_tables(network: Network) -> dict[str, list[dict[str, object]]]:
    """Per resource class, the flows as source -> target rows a Sankey diagram can draw."""
    tables: dict[str, list[dict[str, object]]] = {}
    for k, flow in enumerate(network.flows):
        resource = network.stream_class[network.supplier[k]]
        tables.setdefault(resource, []).append(
            {
                "flow": flow,
                "source": network.facilities[network.src[k]],
                "target": network.facilities[network.dst[k]],
                "value": float(network.quantity[k]),
                "unit": network.unit[k] or "unknown",
                "known": bool(network.known[k]),
            }
        )
    return tables


def replay(cluster: Cluster) -> list[dict[str, object]]:
    """The network year by year, from the first exchange's start to the last known year:
    how many exchanges and facilities took part, and which exchanges started or ended."""
    starts = [e.start_year for e in cluster.exchanges if e.start_year is not None]
    if not starts:
        return []
    ends = [e.end_year for e in cluster.exchanges if e.end_year is not None]
    last = max([*starts, *ends])
    rows = []
    previous: set[str] = set()
    sites = {s.id: s.site for _, s in cluster.iter_streams()}
    for year in range(min(starts), last + 1):
        active = {e.id for e in cluster.exchanges if e.active_in(year)}
        facilities = {
            sites[ref]
            for e in cluster.exchanges
            if e.id in active
            for ref in (e.supplier, e.receiver)
        }
        rows.append(
            {
                "year": year,
                "exchanges": len(active),
                "facilities": len(facilities),
                "started": sorted(active - previous),
                "ended": sorted(previous - active),
            }
        )
        previous = active
    return rows
