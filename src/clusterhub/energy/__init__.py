"""Energy co-optimisation: joint dispatch under shared grid limits and the cost of going alone.

Engines are pure: a cluster in, a typed result out; no files, no database.

Why each name loads on first use: the dispatch pulls linopy, xarray and HiGHS; a command that
only names a choice (``Forecast``) or prints its help should not pay for them.

This package is the engine's door: code outside it imports only the names below (an
import-linter contract keeps it so); the modules behind it may change.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterhub.energy.attribution import RULE as COST_RULE
    from clusterhub.energy.coalition import CoalitionCosts
    from clusterhub.energy.dispatch import DispatchOptions, compare, optimize, prepare
    from clusterhub.energy.kinds import Forecast, Progress
    from clusterhub.energy.results import CollaborationResult, DispatchResult, Peak
    from clusterhub.energy.rolling import RollingResult, simulate
    from clusterhub.energy.structure import Structure

__all__ = [
    "COST_RULE",
    "CoalitionCosts",
    "CollaborationResult",
    "DispatchOptions",
    "DispatchResult",
    "Forecast",
    "Peak",
    "Progress",
    "RollingResult",
    "Structure",
    "compare",
    "optimize",
    "prepare",
    "simulate",
]

_HOMES = {
    "COST_RULE": "attribution:RULE",
    "CoalitionCosts": "coalition",
    "CollaborationResult": "results",
    "DispatchOptions": "dispatch",
    "DispatchResult": "results",
    "Forecast": "kinds",
    "Peak": "results",
    "Progress": "kinds",
    "RollingResult": "rolling",
    "Structure": "structure",
    "compare": "dispatch",
    "optimize": "dispatch",
    "prepare": "dispatch",
    "simulate": "rolling",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = _HOMES[name].partition(":")
    value = getattr(import_module(f"{__name__}.{module}"), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
