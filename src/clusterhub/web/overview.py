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


def overview(cluster: Cluster, name: str) -> dict[str, Any]:
    """Everything the overview page draws, site positions in map pixels (y grows southwards)."""
    sites = [(p, s) for p in cluster.participants for s in p.sites]
    lats = [s.latitude for _, s in sites] or [cluster.location.latitude]
    lons = [s.longitude for _, s in sites] or [cluster.location.longitude]
    lat0 = (min(lats) + max(lats)) / 2
    lon0 = (min(lons) + max(lons)) / 2
    kx = KM_PER_DEGREE_LON * math.cos(math.radians(lat0))
    span_x = max((max(lons) - min(lons)) * kx, 1.0)  # km; at least 1 km for a single site
    span_y = max((max(lats) - min(lats)) * KM_PER_DEGREE_LAT, 1.0)
    px_per_km = min((MAP_WIDTH - 2 * MARGIN) / span_x, (MAP_HEIGHT - 2 * MARGIN) / span_y)

    def place(lat: float, lon: float) -> tuple[float, float]:
        x = MAP_WIDTH / 2 + (lon - lon0) * kx * px_per_km
        y = MAP_HEIGHT / 2 - (lat - lat0) * KM_PER_DEGREE_LAT * px_per_km
        return round(x, 1), round(y, 1)

    scale_km = _nice_km(MAP_WIDTH / 4 / px_per_km)
    placed = []
    for participant, site in sites:
        x, y = place(site.latitude, site.longitude)
        placed.append(
            {
                "id": site.id,
                "name": site.name or site.id,
                "participant": participant.id,
                "latitude": site.latitude,
                "longitude": site.longitude,
                "connection": site.connection,
                "x": x,
                "y": y,
            }
        )
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
            "scale_px": round(scale_km * px_per_km, 1),
        },
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
        "standalone_cost_by_participant_eur": {
            k: round(v, 2) for k, v in result.standalone_cost_eur.items()
        },
    }
