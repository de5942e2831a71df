"""Energy co-optimisation: joint dispatch under shared grid limits and the cost of going alone.

Engines are pure: a cluster in, a typed result out; no files, no database.
"""

from clusterhub.energy.attribution import RULE as COST_RULE
from clusterhub.energy.coalition import CoalitionCosts
from clusterhub.energy.dispatch import (
    CollaborationResult,
    DispatchOptions,
    DispatchResult,
    compare,
    optimize,
    prepare,
)

__all__ = [
    "COST_RULE",
    "CoalitionCosts",
    "CollaborationResult",
    "DispatchOptions",
    "DispatchResult",
    "compare",
    "optimize",
    "prepare",
]
