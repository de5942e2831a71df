"""Energy assets as a discriminated union on ``type``.

Why four types and a ``technology`` label, not one class per technology: an electrolyser, a heat
pump and a CHP differ only in carriers and coefficients, so the energy engine builds one block of
constraints per *type*; the label keeps reports readable and lets validation apply the rules of
each technology (a heat pump's COP may exceed 1, a boiler's efficiency may not).
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, NonNegativeFloat, PositiveFloat, model_validator
from pydantic_core import PydanticCustomError

from clusterhub.model.base import Id, Record, invalid
from clusterhub.model.series import Series

__all__ = [
    "Asset",
    "Converter",
    "Demand",
    "Flexibility",
    "Generator",
    "Storage",
]

Fraction = Annotated[float, Field(ge=0, le=1)]
Efficiency = Annotated[float, Field(gt=0, le=1)]


class _AssetBase(Record):
    id: Id
    name: str = ""
    site: Id = Field(description="site the asset stands on (one of its participant's sites)")


class Generator(_AssetBase):
    """Variable renewable generation; output up to ``capacity_mw * availability``, curtailable."""

    type: Literal["generator"] = "generator"
    technology: Literal["pv", "wind", "run_of_river", "other"]
    carrier: Id = "electricity"
    capacity_mw: NonNegativeFloat
    availability: Series = Field(description="available output per MW installed, 0..1")
    marginal_cost_eur_per_mwh: float = 0.0
    curtailable: bool = True


class Storage(_AssetBase):
    """Storage of any carrier: battery, heat, hydrogen; state of charge in MWh of that carrier."""

    type: Literal["storage"] = "storage"
    technology: Literal["battery", "heat", "hydrogen", "other"]
    carrier: Id
    energy_capacity_mwh: NonNegativeFloat
    charge_capacity_mw: NonNegativeFloat
    discharge_capacity_mw: NonNegativeFloat
    charge_efficiency: Efficiency = 1.0
    discharge_efficiency: Efficiency = 1.0
    standing_loss_per_hour: Annotated[float, Field(ge=0, lt=1)] = 0.0
    min_soc_fraction: Fraction = 0.0
    initial_soc_fraction: Fraction = 0.5
    cyclic: bool = Field(True, description="end state equals start state; else end is free")

    @model_validator(mode="after")
    def _energy_for_its_power(self) -> Self:
        """A store that can charge or discharge must hold something: with 0 MWh and positive
        power the dispatch would move energy through a store that keeps none."""
        power = max(self.charge_capacity_mw, self.discharge_capacity_mw)
        if self.energy_capacity_mwh == 0 and power > 0:
            raise PydanticCustomError(
                "storage_without_energy",
                "expected {expected}, got {found}",
                {
                    "expected": f"energy_capacity_mwh > 0 for a storage of {power:g} MW "
                    "(or charge and discharge capacity 0)",
                    "found": "0",
                    "field": "energy_capacity_mwh",
                },
            )
        return self

    @model_validator(mode="after")
    def _initial_above_minimum(self) -> Self:
        if self.initial_soc_fraction < self.min_soc_fraction:
            raise invalid(
                f"initial_soc_fraction >= min_soc_fraction ({self.min_soc_fraction})",
                self.initial_soc_fraction,
            )
        return self


#: Converters whose outputs may exceed their input in energy (they draw ambient heat).
AMBIENT_HEAT_TECHNOLOGIES = frozenset({"heat_pump"})


class Converter(_AssetBase):
    """Turns one or more inputs into one or more outputs in fixed proportions.

    Unit commitment: ``min_load_fraction``, ``start_up_cost_eur``, ``min_up_hours`` and
    ``min_down_hours`` make it a unit that is on or off in each step (``initially_on`` before
    the horizon); ``ramp_fraction_per_hour`` bounds how fast its flow changes. The dispatch
    keeps on/off as a share between 0 and 1 (the linear relaxation) unless unit commitment is
    asked for (``DispatchOptions(unit_commitment=True)``), then as binaries.

    The reference flow is the first carrier of ``inputs`` (coefficient 1.0), and ``capacity_mw``
    bounds it. Other inputs are drawn per unit of the reference flow; ``outputs`` are efficiencies
    per unit of the reference flow (an electrolyser: ``inputs {electricity: 1}``,
    ``outputs {hydrogen: 0.66}``; a CHP on gas: ``outputs {electricity: 0.38, steam: 0.45}``).
    An output may vary in time: any series (a list, a CSV column) gives its value in each
    step, as a heat pump's COP falling with the outside temperature.
    """

    type: Literal["converter"] = "converter"
    technology: Literal[
        "electrolyser",
        "heat_pump",
        "electric_boiler",
        "gas_boiler",
        "chp",
        "smr",
        "fuel_cell",
        "other",
    ]
    capacity_mw: NonNegativeFloat = Field(description="bound on the reference (first) input")
    inputs: dict[Id, PositiveFloat] = Field(min_length=1)
    outputs: dict[Id, Series] = Field(
        min_length=1, description="per unit of the reference input; a series where it varies"
    )
    min_load_fraction: Fraction = Field(
        0.0, description="while on, at least this share of capacity_mw (unit commitment)"
    )
    availability: Series = 1.0
    variable_cost_eur_per_mwh: float = 0.0
    start_up_cost_eur: NonNegativeFloat = 0.0
    min_up_hours: NonNegativeFloat = 0.0
    min_down_hours: NonNegativeFloat = 0.0
    ramp_fraction_per_hour: Annotated[float, Field(gt=0, le=1)] | None = Field(
        None, description="largest change of the reference flow per hour, share of capacity_mw"
    )
    initially_on: bool = True

    @property
    def committed(self) -> bool:
        """Whether on/off decisions matter: a minimum load, a start-up cost or minimum times."""
        return bool(
            self.min_load_fraction or self.start_up_cost_eur or self.min_up_hours
            or self.min_down_hours
        )  # fmt: skip

    @model_validator(mode="after")
    def _coefficients(self) -> Self:
        reference = next(iter(self.inputs))
        if self.inputs[reference] != 1.0:
            raise invalid(f"inputs.{reference} (the reference input) = 1.0", self.inputs[reference])
        for carrier, value in self.outputs.items():
            if carrier in self.inputs:
                raise invalid("a carrier that is not also an input", carrier)
            if isinstance(value, float | int) and value <= 0:  # a series: checked per step
                raise invalid(f"outputs.{carrier} > 0", value)
        return self


class Flexibility(Record):
    """How much of a demand may move or be dropped.

    ``shiftable_share`` of the demand in each step may move within ``window_hours`` (energy is
    conserved inside each window); ``curtailable_share`` may be dropped at
    ``curtailment_penalty_eur_per_mwh``.
    """

    shiftable_share: Fraction = 0.0
    window_hours: Annotated[int, Field(ge=1)] = 24
    max_increase_fraction: NonNegativeFloat = Field(
        0.5, description="how far above its profile a step may rise when load is shifted into it"
    )
    curtailable_share: Fraction = 0.0
    curtailment_penalty_eur_per_mwh: NonNegativeFloat = 0.0


class Demand(_AssetBase):
    """A demand for one carrier with an optional flexibility."""

    type: Literal["demand"] = "demand"
    carrier: Id
    profile_mw: Series = Field(description="demand in MW of the carrier, per time step")
    flexibility: Flexibility | None = None


Asset = Annotated[Generator | Storage | Converter | Demand, Field(discriminator="type")]
