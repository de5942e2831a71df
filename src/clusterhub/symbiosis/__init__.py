"""Industrial symbiosis: the exchange network, and what a shutdown does to it.

Engines are pure: a cluster in (its streams and exchanges), typed results out.
"""

from clusterhub.symbiosis.impact import (
    Event,
    Impact,
    ImpactOptions,
    criticality,
    impact,
)
from clusterhub.symbiosis.network import Network, build_network, flow_tables, graph, metrics, replay

__all__ = [
    "Event",
    "Impact",
    "ImpactOptions",
    "Network",
    "build_network",
    "criticality",
    "flow_tables",
    "graph",
    "impact",
    "metrics",
    "replay",
]
