"""What an impact analysis returns: the event, who loses what, and what is bought in instead.

Why separate from the propagation: the faces (CLI, web, API) read these records, and each
carries what a reader needs to trust it: the year it describes, the plants left out because
they do not run, the market it assumed, and quantities that are unknown kept apart (None), never
counted as one unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from clusterhub.symbiosis.market import Market
from clusterhub.symbiosis.scope import Scope

__all__ = ["Event", "FacilityImpact", "Impact", "LostInput", "Purchase"]


@dataclass(frozen=True)
class Event:
    """``shutdown`` (permanent), ``suspension`` for ``days``, or ``capacity`` down to ``level``
    (0.6 = runs at 60%) for ``days`` (None: permanent)."""

    facility: str
    kind: Literal["shutdown", "suspension", "capacity"] = "shutdown"
    days: float | None = None
    level: float = 0.0


@dataclass(frozen=True)
class LostInput:
    stream: str
    resource: str
    quantity: float | None  # lost per year at the settled level, in ``unit``; None: unknown
    unit: str
    share_of_need: float
    days_until_impact: float
    known: bool  # False: some lost flows have no figure (``quantity`` counts only the others)
    unknown_flows: int = 0  # lost flows without a figure


@dataclass(frozen=True)
class Purchase:
    """An input the report assumes was bought in instead of a lost flow."""

    facility: str
    stream: str
    resource: str
    share: float  # of the lost flow that the market replaces
    quantity: float | None  # bought per year, in ``unit``; None: the lost flow has no figure
    unit: str
    price_eur_per_unit: float | None
    cost_eur: float | None  # per year; None: quantity or price unknown
    co2e_t: float | None  # per year, of the supply bought in; None: quantity or factor unknown
    basis: str  # where the share comes from


@dataclass(frozen=True)
class FacilityImpact:
    facility: str
    name: str
    level: float  # share of normal operation left
    days_until_impact: float
    lost_inputs: tuple[LostInput, ...]
    lost_outputs: dict[str, float | None]  # output stream -> no longer produced (None: unknown)


@dataclass(frozen=True)
class Impact:
    event: Event
    facilities: tuple[FacilityImpact, ...]  # affected ones, worst first
    co2e_t: float  # extra emissions of the inputs bought in instead (per year, known ones)
    diverted: dict[str, float]  # unit -> output left without its receiver (to landfill etc.)
    iterations: int
    year: int | None = None  # the year described (None: the registry records no years)
    scope: Scope | None = None  # what the year and the statuses left out
    purchases: tuple[Purchase, ...] = ()  # inputs assumed bought in instead of lost flows
    cost_eur: float = 0.0  # per year, of the purchases with a known quantity and price
    diverted_unknown: int = 0  # flows left without a taker whose quantity is unknown
    market: Market | None = None
    buyable: dict[str, float] = field(default_factory=dict)  # input stream -> share assumed
    untaken: dict[str, float | None] = field(default_factory=dict)  # output stream -> left

    @property
    def damage(self) -> float:
        """Facility-equivalents of production lost (sum of 1 - level)."""
        return float(sum(1.0 - f.level for f in self.facilities))

    @property
    def not_running(self) -> bool:
        """The facility that stops does not run in ``year`` anyway."""
        return self.scope is not None and self.event.facility in self.scope.not_running
