"""Energy co-optimisation: joint dispatch under shared grid limits and the cost of going alone.

Engines are pure: a cluster in, a typed result out; no files, no database.
"""

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
    "CoalitionCosts",
    "CollaborationResult",
    "DispatchOptions",
    "DispatchResult",
    "compare",
    "optimize",
    "prepare",
]
