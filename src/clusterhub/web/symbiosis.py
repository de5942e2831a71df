"""A bundled cluster's exchange network for the Symbiosis page: the facilities placed on a plane,
the exchanges between them, every resource's flows as a Sankey diagram can draw them, and what a
facility's shutdown for some days costs its neighbours, with the sources that could replace what
they lose.

Why the positions are computed here: a force-directed layout with a fixed seed is the same on
every load and in the tests, and the page only draws what it is given. Why per-flow losses next to
the engine's production levels: the engine (``clusterhub.symbiosis.impact``) says which
facilities must run slower, but a neighbour that can buy water in instead still loses the
exchange, and the matching engine may find it a circular source; the page shows both.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import Any

import networkx as nx

from clusterhub import symbiosis
from clusterhub.errors import Conflict, InputError
from clusterhub.examples import load_example
from clusterhub.model import Cluster
from clusterhub.symbiosis import Event, ImpactOptions, Network, build_network, replacements

__all__ = [
    "GRAPH_HEIGHT",
    "GRAPH_WIDTH",
    "MAX_DAYS",
    "REPLACEMENTS",
    "shutdown_view",
    "symbiosis_view",
]

GRAPH_WIDTH, GRAPH_HEIGHT, MARGIN = 960, 640, 60
#: A suspension the page can assess: up to a year (a permanent closure is the CLI's ``impact``).
MAX_DAYS = 365
#: Candidate sources shown per lost input.
REPLACEMENTS = 3
#: Base units as people write them.
UNITS = {"m**3": "m³", "": ""}
LAYOUT_SEED = 7


def _unit(unit: str) -> str:
    return UNITS.get(unit, unit)


def _words(resource: str) -> str:
    return resource.replace("_", " ")


def _q(value: float) -> float:
    """Three significant figures are all a registry's annual figures carry."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    return float(round(value, 2 - math.floor(math.log10(abs(value))))) + 0.0


def _short(name: str, most: int = 22) -> str:
    """A label: ``name`` without its parenthesis, at most ``most`` characters."""
    text = name.split(" (", 1)[0].strip()
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def _labels(cluster: Cluster, nodes: list[str]) -> dict[str, str]:
    """Node labels: the owner's name, and the site's too where the owner has several nodes."""
    owner = {s.id: (p.name, s.name or s.id) for p in cluster.participants for s in p.sites}
    count: dict[str, int] = {}
    for f in nodes:
        count[owner[f][0]] = count.get(owner[f][0], 0) + 1
    return {
        f: _short(owner[f][0])
        if count[owner[f][0]] == 1
        else _short(_short(owner[f][0], 14) + ": " + owner[f][1], 30)
        for f in nodes
    }


@cache
def _loaded(name: str) -> tuple[Cluster, Network]:
    cluster = load_example(name)
    if not cluster.exchanges:
        raise Conflict(f"{name} has no symbiosis exchanges: there is no network to show")
    return cluster, build_network(cluster)


def _spread(values: list[float]) -> list[float]:
    """Coordinates pulled towards their ranks: a spring layout packs a dense core into a clump
    whose labels overlap; ranks space it evenly and keep every node's order along the axis."""
    if len(values) < 3:
        return values
    low, high = min(values), max(values)
    rank = {i: r for r, i in enumerate(sorted(range(len(values)), key=lambda i: values[i]))}
    return [
        0.3 * (v - low) / (high - low) + 0.7 * rank[i] / (len(values) - 1)
        for i, v in enumerate(values)
    ]


def _layout(network: Network, nodes: list[str]) -> dict[str, tuple[float, float]]:
    """Spring layout with a fixed seed, per connected group of facilities: the largest fills the
    drawing, the small ones are stacked in a strip at its right (laid out together, the small
    groups would push the large one into a clump)."""
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from(
        (network.facilities[s], network.facilities[d])
        for s, d in zip(network.src.tolist(), network.dst.tolist(), strict=True)
    )
    groups = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(c)))
    strip = 180 if len(groups) > 1 else 0
    boxes: list[tuple[float, float, float, float]] = [
        (MARGIN, MARGIN, GRAPH_WIDTH - MARGIN - strip, GRAPH_HEIGHT - MARGIN)
    ]
    small = sum(len(c) for c in groups[1:])
    top = float(MARGIN)
    for group in groups[1:]:
        height = (GRAPH_HEIGHT - 2 * MARGIN) * len(group) / small
        boxes.append((GRAPH_WIDTH - strip, top, GRAPH_WIDTH - MARGIN, top + height))
        top += height
    placed: dict[str, tuple[float, float]] = {}
    for group, (x0, y0, x1, y1) in zip(groups, boxes, strict=True):
        members = sorted(group)
        pos = nx.spring_layout(
            g.subgraph(members), seed=LAYOUT_SEED, k=2.0 / math.sqrt(len(members)), iterations=200
        )
        xs = _spread([float(pos[n][0]) for n in members])
        ys = _spread([float(pos[n][1]) for n in members])
        span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
        for n, x, y in zip(members, xs, ys, strict=True):
            px = x0 + ((x - min(xs)) / span_x if span_x > 1e-9 else 0.5) * (x1 - x0)
            py = y0 + ((y - min(ys)) / span_y if span_y > 1e-9 else 0.5) * (y1 - y0)
            placed[n] = (round(px, 1), round(py, 1))
    return placed


def _edges(network: Network) -> list[dict[str, Any]]:
    """Every exchange; ``bend`` spreads the exchanges between the same two facilities apart. A
    flow without a figure carries the network's estimate, in its resource's unit when the
    resource has one."""
    units: dict[str, set[str]] = {}
    for k in range(len(network.flows)):
        if network.known[k]:
            units.setdefault(network.stream_class[network.supplier[k]], set()).add(network.unit[k])
    pairs: dict[frozenset[int], list[int]] = {}
    for k, (s, d) in enumerate(zip(network.src.tolist(), network.dst.tolist(), strict=True)):
        pairs.setdefault(frozenset((s, d)), []).append(k)
    bend = {}
    for flows in pairs.values():
        for i, k in enumerate(flows):
            bend[k] = i - (len(flows) - 1) / 2
    edges = []
    for k, flow in enumerate(network.flows):
        s, d = int(network.src[k]), int(network.dst[k])
        # a bend is drawn to the left of the direction of travel: flip it for the reverse one
        sign = 1.0 if s <= d else -1.0
        resource = network.stream_class[network.supplier[k]]
        known = units.get(resource, set())
        unit = network.unit[k] or (next(iter(known)) if len(known) == 1 else "")
        edges.append(
            {
                "id": flow,
                "source": network.facilities[s],
                "target": network.facilities[d],
                "resource": resource,
                "quantity": _q(float(network.quantity[k])),
                "unit": _unit(unit),
                "known": bool(network.known[k]),
                "bend": sign * bend[k],
            }
        )
    return edges


def _sankey(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per resource, suppliers (left) and receivers (right) with their totals and the flows
    between them (as positions in ``edges``), ordered so bands cross little."""
    by_resource: dict[str, list[dict[str, Any]]] = {}
    for k, e in enumerate(edges):
        by_resource.setdefault(e["resource"], []).append({**e, "index": k})
    answer = []
    for resource, flows in sorted(by_resource.items()):
        sources: dict[str, float] = {}
        targets: dict[str, float] = {}
        for f in flows:
            sources[f["source"]] = sources.get(f["source"], 0.0) + f["quantity"]
            targets[f["target"]] = targets.get(f["target"], 0.0) + f["quantity"]
        left = sorted(sources, key=lambda n: (-sources[n], n))
        right = sorted(targets, key=lambda n: (-targets[n], n))
        ordered = sorted(flows, key=lambda f: (left.index(f["source"]), right.index(f["target"])))
        units = sorted({f["unit"] for f in flows if f["unit"]})
        answer.append(
            {
                "resource": resource,
                "name": _words(resource),
                "unit": units[0] if len(units) == 1 else "",
                "total": _q(sum(f["quantity"] for f in flows)),
                "estimated": sum(1 for f in flows if not f["known"]),
                "sources": [{"id": n, "value": _q(sources[n])} for n in left],
                "targets": [{"id": n, "value": _q(targets[n])} for n in right],
                "flows": [f["index"] for f in ordered],
            }
        )
    return answer


@cache
def symbiosis_view(name: str) -> dict[str, Any]:
    """Everything the page draws on load (``NotFound`` for an unknown cluster, ``Conflict`` for
    one without exchanges)."""
    cluster, network = _loaded(name)
    used = sorted(
        set(network.src.tolist()) | set(network.dst.tolist()),
        key=lambda i: network.names.get(network.facilities[i], network.facilities[i]),
    )
    nodes = [network.facilities[i] for i in used]
    labels = _labels(cluster, nodes)
    pos = _layout(network, nodes)
    edges = _edges(network)
    return {
        "cluster": name,
        "title": cluster.name,
        "width": GRAPH_WIDTH,
        "height": GRAPH_HEIGHT,
        "max_days": MAX_DAYS,
        "nodes": [
            {
                "id": f,
                "name": network.names.get(f, f),
                "label": labels[f],
                "x": pos[f][0],
                "y": pos[f][1],
                "supplies": sum(1 for e in edges if e["source"] == f),
                "receives": sum(1 for e in edges if e["target"] == f),
            }
            for f in nodes
        ],
        "edges": edges,
        "sankey": _sankey(edges),
    }


def _check(network: Network, name: str, facility: str, days: int) -> None:
    problems = []
    if facility not in network.facilities:
        problems.append(InputError.single(f"a facility of {name}", repr(facility), path="facility"))
    if not 1 <= days <= MAX_DAYS:
        problems.append(
            InputError.single(f"a number of days from 1 to {MAX_DAYS}", str(days), path="days")
        )
    if problems:
        raise InputError([p for e in problems for p in e.problems])


@lru_cache(maxsize=256)
def shutdown_view(name: str, facility: str, days: int) -> dict[str, Any]:
    """``facility`` stops for ``days``: every flow its neighbours lose (how much, from which day
    to which), the production the engine says they lose with it, and ranked replacements for the
    lost inputs at facilities that keep running. A loss starts when the receiver's on-site stock
    runs out (the engine's buffer days) and is taken to last until the shutdown ends."""
    cluster, network = _loaded(name)
    _check(network, name, facility, days)
    options = ImpactOptions()
    edges = symbiosis_view(name)["edges"]  # the same order as the network's flows
    streams = {s.id: s.name for _, s in cluster.iter_streams()}
    result = symbiosis.impact(network, Event(facility, "suspension", days=float(days)), options)
    level = {f.facility: f.level for f in result.facilities}
    level[facility] = 0.0
    start = {f.facility: f.days_until_impact for f in result.facilities}
    start[facility] = 0.0
    losses: dict[str, list[dict[str, Any]]] = {}
    lost_inputs: dict[str, str] = {}
    for k in range(len(network.flows)):
        source = network.facilities[network.src[k]]
        if level.get(source, 1.0) >= 1.0 - 1e-9:
            continue
        receiver = network.streams[network.receiver[k]]
        cls = network.stream_class[network.receiver[k]]
        buffer = options.by_stream_buffer.get(
            receiver, options.buffer_days.get(cls, options.buffer_default)
        )
        arrives = start.get(source, math.inf) + buffer
        if not arrives < days:  # the stock outlasts the shutdown
            continue
        target = network.facilities[network.dst[k]]
        per_year = (1.0 - level[source]) * float(network.quantity[k])
        # the share the engine assumed (the market's for flows outside the year it describes)
        bought = result.buyable.get(receiver, result.market.share(cls) if result.market else 0.0)
        losses.setdefault(target, []).append(
            {
                "flow": network.flows[k],
                "input": receiver,
                "input_name": streams[receiver],
                "resource": network.stream_class[network.supplier[k]],
                "supplier": source,
                "per_year": _q(per_year),
                "quantity": _q(per_year * (days - arrives) / 365.0),
                "unit": edges[k]["unit"],
                "known": bool(network.known[k]),
                "from_day": round(arrives, 1),
                "until_day": days,
                "can_buy_in": bought >= 0.5,
            }
        )
        lost_inputs[receiver] = target
    down = {facility} | {f for f, v in level.items() if v < 1.0 - 1e-9}
    options_by_input = replacements(cluster, lost_inputs, down, top=REPLACEMENTS)
    names = network.names
    return {
        "cluster": name,
        "facility": facility,
        "name": names.get(facility, facility),
        "days": days,
        "losses": [
            {
                "facility": f,
                "name": names.get(f, f),
                "level": round(level.get(f, 1.0), 3),
                "inputs": rows,
            }
            for f, rows in sorted(losses.items(), key=lambda x: (level.get(x[0], 1.0), x[0]))
        ],
        "production": [
            {
                "facility": f.facility,
                "name": f.name,
                "level": round(f.level, 3),
                "days_until_impact": round(f.days_until_impact, 1),
            }
            for f in result.facilities
        ],
        "replacements": [
            {
                "input": stream,
                "input_name": streams[stream],
                "facility": lost_inputs[stream],
                "candidates": [
                    {
                        "supplier": m.supplier,
                        "supplier_name": streams[m.supplier],
                        "facility": m.supplier_site,
                        "name": names.get(m.supplier_site, m.supplier_site),
                        "score": round(m.score, 3),
                        "treatment": m.treatment,
                        "distance_km": round(m.distance_km, 1),
                        "mode": m.mode,
                        "quantity": None if m.quantity is None else _q(m.quantity),
                        "unit": _unit(m.unit),
                    }
                    for m in matches
                ],
            }
            for stream, matches in options_by_input.items()
        ],
        "co2e_t_per_year": _q(result.co2e_t),
    }
