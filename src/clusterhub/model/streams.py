"""Material and energy streams of facilities, and the exchanges between them (symbiosis).

Why streams carry provenance: a symbiosis registry mixes figures read in public sources, figures
from background knowledge and synthetic fill-ins; a council must never present the latter two as
facts, so every record says which it is and cites its source.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, NonNegativeFloat, model_validator

from clusterhub.model.base import Id, Record, invalid
from clusterhub.model.units import QuantityText

__all__ = [
    "RESOURCE_CLASSES",
    "Exchange",
    "Fate",
    "Provenance",
    "QualityRange",
    "Stream",
    "TransportMode",
]


class Provenance(StrEnum):
    """How sure a figure is: read in a cited source, background knowledge, or made up (seeded)."""

    VERIFIED = "verified"
    BACKGROUND = "background"
    SYNTHETIC = "synthetic"


class Fate(StrEnum):
    """What happens to an output today (or where an input comes from today)."""

    LANDFILL = "landfill"
    DISPOSAL = "disposal"
    DISCHARGE = "discharge"
    INCINERATION = "incineration"
    EMITTED = "emitted"
    FLARED = "flared"
    SOLD = "sold"
    REUSED = "reused"
    STOCKPILED = "stockpiled"
    PURCHASED = "purchased"
    EXCHANGED = "exchanged"
    NONE = "none"


class TransportMode(StrEnum):
    PIPELINE = "pipeline"
    TRUCK = "truck"
    RAIL = "rail"
    SHIP = "ship"
    CONVEYOR = "conveyor"
    GRID = "grid"
    OTHER = "other"


#: Resource classes with the dimensions their annual quantity may take. Kept small and general;
#: a finer classification (EWC codes) refines it where a stream is a waste.
RESOURCE_CLASSES: dict[str, frozenset[str]] = {
    "water": frozenset({"volume", "mass"}),
    "wastewater": frozenset({"volume", "mass"}),
    "steam": frozenset({"energy", "mass"}),
    "heat": frozenset({"energy"}),
    "electricity": frozenset({"energy"}),
    "hydrogen": frozenset({"mass", "energy", "normal volume"}),
    "natural_gas": frozenset({"energy", "normal volume", "mass"}),
    "fuel_gas": frozenset({"energy", "normal volume", "mass"}),
    "biogas": frozenset({"energy", "normal volume"}),
    "co2": frozenset({"mass", "normal volume"}),
    "oxygen": frozenset({"mass", "normal volume"}),
    "nitrogen": frozenset({"mass", "normal volume"}),
    "ammonia": frozenset({"mass"}),
    "acid": frozenset({"mass", "volume"}),
    "alkali": frozenset({"mass", "volume"}),
    "chlorine": frozenset({"mass"}),
    "salt": frozenset({"mass"}),
    "sulphur": frozenset({"mass"}),
    "gypsum": frozenset({"mass"}),
    "lime": frozenset({"mass"}),
    "ash": frozenset({"mass"}),
    "slag": frozenset({"mass"}),
    "mineral_residue": frozenset({"mass"}),
    "metal": frozenset({"mass"}),
    "biomass": frozenset({"mass", "energy"}),
    "sludge": frozenset({"mass", "volume"}),
    "fertiliser": frozenset({"mass"}),
    "feed": frozenset({"mass"}),
    "chemical": frozenset({"mass", "volume"}),
    "plastic": frozenset({"mass"}),
    "paper": frozenset({"mass"}),
    "wood": frozenset({"mass", "volume"}),
    "solvent": frozenset({"mass", "volume"}),
    "oil": frozenset({"mass", "volume", "energy"}),
    "fuel": frozenset({"mass", "volume", "energy"}),
    "other": frozenset({"mass", "volume", "energy", "normal volume"}),
}

ResourceClass = Literal[
    "water",
    "wastewater",
    "steam",
    "heat",
    "electricity",
    "hydrogen",
    "natural_gas",
    "fuel_gas",
    "biogas",
    "co2",
    "oxygen",
    "nitrogen",
    "ammonia",
    "acid",
    "alkali",
    "chlorine",
    "salt",
    "sulphur",
    "gypsum",
    "lime",
    "ash",
    "slag",
    "mineral_residue",
    "metal",
    "biomass",
    "sludge",
    "fertiliser",
    "feed",
    "chemical",
    "plastic",
    "paper",
    "wood",
    "solvent",
    "oil",
    "fuel",
    "other",
]

#: European Waste Catalogue code: three two-digit groups, "*" marks a hazardous entry.
EwcCode = Annotated[str, Field(pattern=r"^\d{2} \d{2} \d{2}\*?$")]


class QualityRange(Record):
    """A receiver's acceptable range for a quality attribute (either end may be open)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise invalid(f"min <= max ({self.max})", self.min)
        return self


class Stream(Record):
    """One input or output of a facility (a site), with its quantity per year.

    ``annual_quantity`` is absent when no public figure exists: absent is not zero.
    ``fate_cost`` is what the current fate costs per unit ("45 EUR/t": disposal fee for an
    output, purchase price for an input); ``emission_factor`` is the greenhouse gas per unit of
    the current fate or virgin supply ("0.9 tCO2e/t").
    """

    id: Id
    site: Id
    direction: Literal["input", "output"]
    name: str = Field(min_length=1)
    description: str = Field("", description="ranges, caveats, disagreeing sources")
    resource_class: ResourceClass
    ewc_code: EwcCode | None = None
    annual_quantity: QuantityText | None = None
    quality: dict[str, float | str | QualityRange] = Field(default_factory=dict)
    fate: Fate = Fate.NONE
    fate_cost: QuantityText | None = None
    emission_factor: QuantityText | None = None
    provenance: Provenance
    source: str = Field(min_length=1, description="citation, or the generator and seed")


class Exchange(Record):
    """An exchange from a supplier's output stream to a receiver's input stream.

    ``treatment`` names a conversion step between them (HCl neutralised to ammonium chloride,
    heat lifted by a heat pump) when the two streams' resource classes differ.
    """

    id: Id
    supplier: Id = Field(description="id of an output stream")
    receiver: Id = Field(description="id of an input stream")
    description: str = ""
    mode: TransportMode = TransportMode.PIPELINE
    distance_km: NonNegativeFloat | None = None
    annual_quantity: QuantityText | None = None
    treatment: str | None = None
    start_year: Annotated[int, Field(ge=1800, le=2200)] | None = None
    end_year: Annotated[int, Field(ge=1800, le=2200)] | None = None
    provenance: Provenance
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _years_ordered(self) -> Self:
        if (
            self.start_year is not None
            and self.end_year is not None
            and self.end_year < self.start_year
        ):
            raise invalid(f"end_year >= start_year ({self.start_year})", self.end_year)
        return self

    def active_in(self, year: int) -> bool:
        """Whether the exchange ran in ``year`` (unknown start: always; unknown end: still)."""
        started = self.start_year is None or self.start_year <= year
        return started and (self.end_year is None or year <= self.end_year)
