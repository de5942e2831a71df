"""Industrial symbiosis: the exchange network, and what a shutdown does to it.

Engines are pure: a cluster in (its streams and exchanges), typed results out. Impact and
criticality describe one year (by default the latest the registry describes) and the plants
that run then, under a market read from data (what can be bought in, at what price and CO2e).

This package is the engine's door: code outside it imports only the names below (an
import-linter contract keeps it so). Why each name loads on first use: the flow plan pulls
linopy and HiGHS, the network networkx, the registry pandas; ``clusterhub symbiosis classify``
needs none of them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterhub.symbiosis.allocation import Flow, FlowPlan, plan_flows
    from clusterhub.symbiosis.classify import classify
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
    from clusterhub.symbiosis.market import (
        Market,
        MarketRow,
        bundled_market_rows,
        market,
        market_rows,
    )
    from clusterhub.symbiosis.matching import (
        EntrantFit,
        Evaluation,
        Match,
        entrant,
        evaluate,
        match,
        replacements,
    )
    from clusterhub.symbiosis.network import (
        Network,
        build_network,
        flow_tables,
        graph,
        latest_year,
        metrics,
        replay,
    )
    from clusterhub.symbiosis.registry import add_streams, streams_from_table
    from clusterhub.symbiosis.scope import Scope, scoped
    from clusterhub.symbiosis.status import state

_MODULES = {
    "allocation": ("Flow", "FlowPlan", "plan_flows"),
    "classify": ("classify",),
    "criticality": ("Criticality", "Ranking", "criticality"),
    "impact": ("Event", "FacilityImpact", "Impact", "ImpactOptions", "LostInput", "Purchase",
               "impact"),
    "market": ("Market", "MarketRow", "bundled_market_rows", "market", "market_rows"),
    "matching": ("EntrantFit", "Evaluation", "Match", "entrant", "evaluate", "match",
                 "replacements"),
    "network": ("Network", "build_network", "flow_tables", "graph", "latest_year", "metrics",
                "replay"),
    "registry": ("add_streams", "streams_from_table"),
    "scope": ("Scope", "scoped"),
    "status": ("state",),
}  # fmt: skip
_HOMES = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "Criticality",
    "EntrantFit",
    "Evaluation",
    "Event",
    "FacilityImpact",
    "Flow",
    "FlowPlan",
    "Impact",
    "ImpactOptions",
    "LostInput",
    "Market",
    "MarketRow",
    "Match",
    "Network",
    "Purchase",
    "Ranking",
    "Scope",
    "add_streams",
    "build_network",
    "bundled_market_rows",
    "classify",
    "criticality",
    "entrant",
    "evaluate",
    "flow_tables",
    "graph",
    "impact",
    "latest_year",
    "market",
    "market_rows",
    "match",
    "metrics",
    "plan_flows",
    "replacements",
    "replay",
    "scoped",
    "state",
    "streams_from_table",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Door(ModuleType):
    """Keeps ``symbiosis.classify``, ``criticality``, ``impact`` and ``market`` the functions
    when their submodules of the same name load (see ``clusterhub.sharing``'s door)."""

    def __setattr__(self, name: str, value: object) -> None:
        if name in _HOMES and isinstance(value, ModuleType):
            return  # the submodule stays reachable in sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Door
