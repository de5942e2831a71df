"""The sharing engine's small vocabularies, in a module that loads no solver.

Why apart: the command line lists these choices in its options (``--method``) and must not load
the least-core LPs to print its help.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Method"]


class Method(StrEnum):
    EQUAL = "equal"
    PROPORTIONAL = "proportional"
    SHAPLEY = "shapley"
    LEAST_CORE = "least-core"
    NUCLEOLUS = "nucleolus"
