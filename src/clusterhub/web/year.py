"""A bundled cluster's whole horizon at a glance, for the Energy page: every carrier's demand,
hour by hour, summed over the cluster's members, and the same per day.

Why from the cluster's profiles and not a dispatch: a year of hours is read in milliseconds,
while optimising it takes minutes; the page shows where the peaks are, and the user picks the
window (up to a week) to optimise from it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from clusterhub.errors import Conflict
from clusterhub.examples import load_example
from clusterhub.model import Demand

__all__ = ["year_view"]


def _r(values: Any, digits: int = 3) -> list[float]:
    return [round(float(v), digits) + 0.0 for v in np.asarray(values, dtype=float)]


@cache
def year_view(name: str) -> dict[str, Any]:
    """Every carrier's demand in MW per hour of the horizon (wall-clock hours of the cluster's
    time zone, ``YYYY-MM-DDTHH:MM``) and in MWh per day; ``Conflict`` when the cluster has no
    demand to show."""
    cluster = load_example(name)
    index = cluster.time_index
    demand: dict[str, np.ndarray] = {}
    for _, asset in cluster.iter_assets():
        if isinstance(asset, Demand):
            values = cluster.values(asset.profile_mw)
            demand[asset.carrier] = demand.get(asset.carrier, 0) + values
    if not demand:
        raise Conflict(f"{name} has no energy demand to show over its horizon")
    step_h = cluster.horizon.step_hours
    days = np.asarray(index.date)
    first_of_day = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    carriers = []
    for carrier in cluster.carriers:
        if carrier.id not in demand:
            continue
        mw = demand[carrier.id]
        carriers.append(
            {
                "carrier": carrier.id,
                "name": carrier.id.replace("_", " ").capitalize(),
                "demand_mw": _r(mw),
                "daily_mwh": _r(np.add.reduceat(mw * step_h, first_of_day), 1),
                "peak_mw": round(float(mw.max()), 3),
                "total_mwh": round(float(mw.sum() * step_h), 1),
            }
        )
    return {
        "cluster": name,
        "title": cluster.name,
        "timezone": cluster.timezone,
        "hours": [t.strftime("%Y-%m-%dT%H:%M") for t in index],
        "days": [d.isoformat() for d in days[first_of_day]],
        "carriers": carriers,
    }
