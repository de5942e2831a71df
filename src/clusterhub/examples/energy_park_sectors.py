"""The sector templates the ``energy-park`` example draws its 46 companies from.

Why a table: the park's companies are plausible assumptions by sector (size range, load shape,
heat share, flexibility), not company data; one row per sector keeps them reviewable at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from clusterhub.model import Flexibility

__all__ = ["PEAK_FACTOR", "PLACES", "SECTORS", "Profile", "Sector"]

Profile = Literal["continuous", "shifts", "daytime"]
#: Peak over mean of each profile kind, for contracted capacities (demandlib g1 peaks at ~4x).
PEAK_FACTOR: dict[Profile, float] = {"continuous": 1.2, "shifts": 1.25, "daytime": 4.2}


@dataclass(frozen=True)
class Sector:
    """A template for the park's companies; sizes are plausible assumptions, not company data."""

    key: str
    label: str
    nace: str
    count: int
    mean_mw: tuple[float, float]
    profile: Profile
    heat_share: float = 0.0
    flexibility: Flexibility | None = None
    gas_boiler: bool = False
    connection: str = "park-220kv"


def _shift(share: float, hours: int, **more: float) -> Flexibility:
    return Flexibility(shiftable_share=share, window_hours=hours, **more)


SECTORS: tuple[Sector, ...] = (
    Sector("battery-cells", "Battery Cell Manufacturing", "C27.20", 4, (25, 45), "shifts", 0.25,
           _shift(0.1, 4)),
    Sector("cathode", "Cathode Materials", "C20.13", 3, (10, 20), "continuous", 0.4,
           _shift(0.1, 6)),
    Sector("anode", "Graphite Anode Materials", "C23.99", 3, (20, 35), "continuous", 0.0,
           _shift(0.4, 12, max_increase_fraction=0.6)),
    Sector("recycling", "Battery Recycling", "E38.32", 2, (3, 6), "shifts", 0.0, _shift(0.2, 8)),
    Sector("ev-assembly", "Electric Vehicle Assembly", "C29.10", 2, (8, 15), "shifts", 0.2,
           _shift(0.1, 4)),
    Sector("ev-parts", "EV Components", "C29.32", 4, (2, 6), "shifts", 0.0, _shift(0.1, 4)),
    Sector("steel", "Green Steel", "C24.10", 2, (35, 55), "continuous", 0.0,
           _shift(0.3, 8, curtailable_share=0.1, curtailment_penalty_eur_per_mwh=80.0)),
    Sector("silicon", "Silicon Metal", "C24.45", 3, (25, 40), "continuous", 0.0,
           _shift(0.1, 6, curtailable_share=0.2, curtailment_penalty_eur_per_mwh=60.0)),
    Sector("polysilicon", "Polysilicon", "C20.13", 2, (30, 45), "continuous", 0.3,
           _shift(0.05, 4)),
    Sector("pv-modules", "PV Module Manufacturing", "C26.11", 2, (6, 12), "shifts", 0.0,
           _shift(0.1, 4)),
    Sector("wind-turbines", "Wind Turbine Manufacturing", "C28.11", 2, (3, 6), "daytime", 0.0,
           _shift(0.2, 6)),
    Sector("electrolysers", "Electrolyser Manufacturing", "C28.29", 1, (2, 4), "daytime"),
    Sector("chemicals", "Coal Chemicals", "C20.14", 3, (12, 25), "continuous", 0.8,
           _shift(0.05, 4), gas_boiler=True),
    Sector("ammonia", "Green Ammonia", "C20.15", 1, (15, 20), "continuous", 0.0, _shift(0.1, 6)),
    Sector("hydrogen", "Green Hydrogen", "C20.11", 1, (1, 2), "continuous"),
    Sector("gases", "Industrial Gases", "C20.11", 1, (5, 10), "continuous", 0.0, _shift(0.3, 8)),
    Sector("data-centre", "Data Centre", "J63.11", 2, (20, 35), "continuous", 0.0,
           _shift(0.1, 6), connection="dc-110kv"),
    Sector("aluminium", "Aluminium Processing", "C24.42", 1, (10, 18), "shifts", 0.3),
    Sector("logistics", "Logistics", "H52.10", 3, (1, 3), "daytime", 0.0, _shift(0.5, 8)),
    Sector("water", "Water Supply", "E36.00", 1, (2, 4), "continuous", 0.0, _shift(0.3, 6)),
    Sector("packaging", "Packaging", "C22.22", 1, (2, 4), "shifts"),
    Sector("testing", "Testing Laboratory", "M71.20", 1, (0.5, 1.5), "daytime"),
)  # fmt: skip

PLACES = (
    "Ordos", "Kubuqi", "Dongsheng", "Ejin Horo", "Dalad", "Hangjin", "Otog", "Jungar", "Uxin",
    "Kangbashi", "Yellow River", "Mu Us", "Altan Xiret", "Baotou Road", "Steppe Wind",
)  # fmt: skip
