"""Industrial symbiosis: the exchange network, and what a shutdown does to it.

Engines are pure: a cluster in (its streams and exchanges), typed results out. Impact and
criticality describe one year (by default the latest the registry describes) and the plants
that run then, under a market read from data (what can be bought in, at what price and CO2e).
"""

from clusterhub.symbiosis.criticality import Criticality, Ranking, criticality
from clusterhub.symbiosis.impact import (
    Event,
    FacilityImpact,
    Impact,
    ImpactOptions,
    LostInput,
    Purchase,
    impact,
)
from clusterhub.symbiosis.market import Market, MarketRow, bundled_market_rows, market, market_rows
from clusterhub.symbiosis.network import (
    Network,
    build_network,
    flow_tables,
    graph,
    latest_year,
    metrics,
    replay,
)
from clusterhub.symbiosis.scope import Scope, scoped
from clusterhub.symbiosis.status import state

__all__ = [
    "Criticality",
    "Event",
    "FacilityImpact",
    "Impact",
    "ImpactOptions",
    "LostInput",
    "Market",
    "MarketRow",
    "Network",
    "Purchase",
    "Ranking",
    "Scope",
    "build_network",
    "bundled_market_rows",
    "criticality",
    "flow_tables",
    "graph",
    "impact",
    "latest_year",
    "market",
    "market_rows",
    "metrics",
    "replay",
    "scoped",
    "state",
]
