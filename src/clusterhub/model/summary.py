"""A cluster at a glance: sizes, capacities and annual energies, as the CLI and demo show them."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

from clusterhub.model.assets import Converter, Demand, Generator, Storage
from clusterhub.model.cluster import Cluster

__all__ = ["ClusterSummary", "summarize"]


@dataclass(frozen=True)
class ClusterSummary:
    name: str
    participants: int
    participants_by_kind: dict[str, int]
    sites: int
    assets: int
    assets_by_type: dict[str, int]
    streams: int
    exchanges: int
    connections: int
    links: int
    carriers: int
    horizon: str
    capacity_mw_by_technology: dict[str, float] = field(default_factory=dict)
    storage_mwh_by_technology: dict[str, float] = field(default_factory=dict)
    demand_mwh_by_carrier: dict[str, float] = field(default_factory=dict)
    generation_mwh_by_technology: dict[str, float] = field(default_factory=dict)
    records_by_provenance: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def summarize(cluster: Cluster, *, energy: bool = True) -> ClusterSummary:
    """Counts always; with ``energy`` also annual energies, which resolves every profile."""
    kinds = Counter(p.kind.value for p in cluster.participants)
    assets = [a for _, a in cluster.iter_assets()]
    capacity: defaultdict[str, float] = defaultdict(float)
    storage: defaultdict[str, float] = defaultdict(float)
    demand: defaultdict[str, float] = defaultdict(float)
    generation: defaultdict[str, float] = defaultdict(float)
    hours = cluster.horizon.step_hours
    for asset in assets:
        if isinstance(asset, Generator | Converter):
            capacity[asset.technology] += asset.capacity_mw
        if isinstance(asset, Storage):
            storage[asset.technology] += asset.energy_capacity_mwh
        if energy and isinstance(asset, Demand):
            demand[asset.carrier] += float(np.sum(cluster.values(asset.profile_mw)) * hours)
        if energy and isinstance(asset, Generator):
            generation[asset.technology] += float(
                np.sum(cluster.values(asset.availability)) * asset.capacity_mw * hours
            )
    provenance = Counter(s.provenance.value for _, s in cluster.iter_streams())
    provenance.update(e.provenance.value for e in cluster.exchanges)
    horizon = cluster.horizon
    return ClusterSummary(
        name=cluster.name,
        participants=len(cluster.participants),
        participants_by_kind=dict(kinds),
        sites=sum(1 for _ in cluster.iter_sites()),
        assets=len(assets),
        assets_by_type=dict(Counter(a.type for a in assets)),
        streams=sum(1 for _ in cluster.iter_streams()),
        exchanges=len(cluster.exchanges),
        connections=len(cluster.connections),
        links=len(cluster.links),
        carriers=len(cluster.carriers),
        horizon=f"{horizon.periods} x {horizon.resolution} from {horizon.start:%Y-%m-%d %H:%M} "
        f"({cluster.timezone})",
        capacity_mw_by_technology=dict(capacity),
        storage_mwh_by_technology=dict(storage),
        demand_mwh_by_carrier={k: round(v, 1) for k, v in demand.items()},
        generation_mwh_by_technology={k: round(v, 1) for k, v in generation.items()},
        records_by_provenance=dict(provenance),
    )
