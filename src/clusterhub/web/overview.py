"""A bundled cluster at a glance: members, sites placed on a plane from their latitude and
longitude, connections, links, headline figures, and the saving from collaborating.

Why the positions are computed here and not in the browser: the projection and the scale bar are
plain arithmetic that a unit test can check, and the page only draws what it is given (no map
tiles, nothing from the internet). Why an equirectangular projection about the cluster's middle:
a cluster spans a few tens of kilometres, where its distortion is far below a pixel.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from clusterhub.energy import DispatchOptions, compare
from clusterhub.errors import Conflict
from clusterhub.examples import EXAMPLES, load_example
from clusterhub.model import Cluster

__all__ = ["MAP_HEIGHT", "MAP_WIDTH", "example_overview", "examples", "overview", "saving"]

MAP_WIDTH, MAP_HEIGHT, MARGIN = 800, 480, 70
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320  # at the equator, times cos(latitude)


def examples() -> list[dict[str, str]]:
    """The bundled clusters the overview can show."""
    return [{"name": e.name, "title": e.title} for e in EXAMPLES.values()]


def _nice_km(wanted_km: float) -> float:
    """The round length (1, 2 or 5 times a power of ten) at or below ``wanted_km``."""
    power = 10 ** math.floor(math.log10(wanted_km))
    return float(max(step * power for step in (1, 2, 5) if step * power <= wanted_km))


#: A site further than this many times the median distance from the cluster's middle lies
#: outside its core; when the core is this many times smaller than the whole, an inset shows it.
CORE_FACTOR, INSET_FACTOR = 4.0, 4.0
INSET_WIDTH, INSET_HEIGHT, INSET_MARGIN = 400, 300, 30


def _km(lat: float, lon: float, lat0: float, lon0: float) -> tuple[float, float]:
    """East and north of (lat0, lon0) in km, equirectangular."""
    return (
        (lon - lon0) * KM_PER_DEGREE_LON * math.cos(math.radians(lat0)),
        (lat - lat0) * KM_PER_DEGREE_LAT,
    )


def _frame(
    points: list[tuple[float, float]], width: int, height: int, margin: int
) -> dict[str, Any]:
    """A north-up frame fitting ``points`` (latitude, longitude): its middle, pixels per km and
    a round scale bar."""
    lats = [p[0] for p in points]
    lons = [p[1] for p in points]
    lat0, lon0 = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    east = [_km(*p, lat0, lon0)[0] for p in points]
    north = [_km(*p, lat0, lon0)[1] for p in points]
    span_x = max(max(east) - min(east), 1.0)  # km; at least 1 km for a single site
    span_y = max(max(north) - min(north), 1.0)
    px_per_km = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    scale_km = _nice_km(width / 4 / px_per_km)
    return {
        "lat0": lat0,
        "lon0": lon0,
        "px_per_km": px_per_km,
        "width": width,
        "height": height,
        "scale_km": scale_km,
        "scale_px": round(scale_km * px_per_km, 1),
    }


def _place(frame: dict[str, Any], lat: float, lon: float) -> tuple[float, float]:
    east, north = _km(lat, lon, frame["lat0"], frame["lon0"])
    x = frame["width"] / 2 + east * frame["px_per_km"]
    y = frame["height"] / 2 - north * frame["px_per_km"]
    return round(x, 1), round(y, 1)


def _core(points: list[tuple[float, float]]) -> list[bool]:
    """Which sites form the cluster's core: within ``CORE_FACTOR`` times the median distance
    from the median position (at least 1 km), so a far-off member (a smelter 550 km inland
    whose by-product the park uses) does not shrink everyone else to a dot."""
    lat0 = sorted(p[0] for p in points)[len(points) // 2]
    lon0 = sorted(p[1] for p in points)[len(points) // 2]
    distance = [math.hypot(*_km(*p, lat0, lon0)) for p in points]
    radius = max(CORE_FACTOR * sorted(distance)[len(distance) // 2], 1.0)
    return [d <= radius for d in distance]


def overview(cluster: Cluster, name: str) -> dict[str, Any]:
    """Everything the overview page draws, site positions in map pixels (y grows southwards).

    When a few sites lie far from the rest, the answer has an ``inset``: the core's sites placed
    on a second, larger-scale map, and the box the inset covers on the main map.
    """
    sites = [(p, s) for p in cluster.participants for s in p.sites]
    points = [(s.latitude, s.longitude) for _, s in sites] or [
        (cluster.location.latitude, cluster.location.longitude)
    ]
    frame = _frame(points, MAP_WIDTH, MAP_HEIGHT, MARGIN)
    scale_km = frame["scale_km"]
    px_per_km = frame["px_per_km"]
    placed: list[dict[str, Any]] = []
    for participant, site in sites:
        x, y = _place(frame, site.latitude, site.longitude)
        placed.append(
            {
                "id": site.id,
                "number": len(placed) + 1,
                "name": site.name or site.id,
                "participant": participant.id,
                "latitude": site.latitude,
                "longitude": site.longitude,
                "connection": site.connection,
                "x": x,
                "y": y,
            }
        )
    inset = None
    core = _core(points) if sites else []
    if sites and not all(core):
        inner = [p for p, keep in zip(points, core, strict=True) if keep]
        zoomed = _frame(inner, INSET_WIDTH, INSET_HEIGHT, INSET_MARGIN)
        if zoomed["px_per_km"] >= INSET_FACTOR * px_per_km * INSET_WIDTH / MAP_WIDTH:
            half_w = INSET_WIDTH / 2 / zoomed["px_per_km"] * px_per_km
            half_h = INSET_HEIGHT / 2 / zoomed["px_per_km"] * px_per_km
            cx, cy = _place(frame, zoomed["lat0"], zoomed["lon0"])
            inset = {
                "width": INSET_WIDTH,
                "height": INSET_HEIGHT,
                "scale_km": zoomed["scale_km"],
                "scale_px": zoomed["scale_px"],
                "box": [
                    round(cx - half_w, 1),
                    round(cy - half_h, 1),
                    round(2 * half_w, 1),
                    round(2 * half_h, 1),
                ],
                "sites": [
                    dict(zip(("id", "x", "y"), (s["id"], *_place(zoomed, p[0], p[1])), strict=True))
                    for s, p, keep in zip(placed, points, core, strict=True)
                    if keep
                ],
            }
    return {
        "cluster": name,
        "title": cluster.name,
        "description": cluster.description,
        "place": cluster.location.place,
        "members": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind.value,
                "nace": p.nace,
                "sites": [s.id for s in p.sites],
            }
            for p in cluster.participants
        ],
        "sites": placed,
        "connections": [
            {
                "id": c.id,
                "name": c.name or c.id,
                "operator": c.operator,
                "sites": [s["id"] for s in placed if s["connection"] == c.id],
            }
            for c in cluster.connections
        ],
        "links": [
            {
                "id": k.id,
                "kind": k.kind,
                "carrier": k.carrier,
                "source": k.source,
                "target": k.target,
                "capacity_mw": k.capacity_mw,
            }
            for k in cluster.links
        ],
        "figures": {
            "members": len(cluster.participants),
            "sites": len(placed),
            "connections": len(cluster.connections),
            "links": len(cluster.links),
            "exchanges": len(cluster.exchanges),
        },
        "map": {
            "width": MAP_WIDTH,
            "height": MAP_HEIGHT,
            "scale_km": scale_km,
            "scale_px": frame["scale_px"],
        },
        "inset": inset,
    }


@cache
def example_overview(name: str) -> dict[str, Any]:
    """The overview of a bundled example (``NotFound`` for an unknown name)."""
    return overview(load_example(name), name)


@cache
def saving(name: str, hours: int = 24) -> dict[str, Any]:
    """Joint against stand-alone dispatch of a bundled example over its first ``hours``: the
    saving from collaborating, in total and per participant's stand-alone cost. Deterministic,
    so computed once per process; ``Conflict`` for a cluster without a shared connection."""
    cluster = load_example(name)
    if not cluster.connections:
        raise Conflict(f"{name} has no shared grid connection: there is no energy to optimise")
    result = compare(cluster, options=DispatchOptions(start=0, steps=hours))
    standalone = sum(result.standalone_cost_eur.values())
    return {
        "cluster": name,
        "hours": hours,
        "standalone_cost_eur": round(standalone, 2),
        "joint_cost_eur": round(standalone - result.saving_eur, 2),
        "saving_eur": round(result.saving_eur, 2),
        "saving_pct": round(result.saving_pct, 3),
        "joint_emissions_t": round(result.joint.emissions_t, 3),
        "standalone_emissions_t": round(result.standalone.emissions_t, 3),
        "standalone_cost_by_participant_eur": {
            k: round(v, 2) for k, v in result.standalone_cost_eur.items()
        },
    }
