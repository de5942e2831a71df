"""Energy co-optimisation: joint dispatch under shared grid limits and the cost of going alone.

Engines are pure: a cluster in, a typed result out; no files, no database.

Why each name loads on first use: the dispatch pulls linopy, xarray and HiGHS; a command that
only names a choice (``Forecast``) or prints its help should not pay for them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterhub.energy.coalition import CoalitionCosts
    from clusterhub.energy.dispatch import (
        CollaborationResult,
        DispatchOptions,
        DispatchResult,
        compare,
        optimize,
        prepare,
    )
    from clusterhub.energy.kinds import Forecast

__all__ = [
    "CoalitionCosts",
    "CollaborationResult",
    "DispatchOptions",
    "DispatchResult",
    "Forecast",
    "compare",
    "optimize",
    "prepare",
]

_HOMES = {
    "CoalitionCosts": "coalition",
    "CollaborationResult": "dispatch",
    "DispatchOptions": "dispatch",
    "DispatchResult": "dispatch",
    "Forecast": "kinds",
    "compare": "dispatch",
    "optimize": "dispatch",
    "prepare": "dispatch",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
