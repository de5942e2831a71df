"""Units for free-form registry quantities (symbiosis streams and exchanges).

Why pint: stream quantities arrive as "70 kt", "6 GL", "215000 t", "80000 MWh"; comparing a supply
with a demand, or pricing it, needs them on one scale. Energy-system fields instead carry their unit
in the field name (``capacity_mw``) and need no parsing.

Custom dimensions: ``EUR`` (money), ``tCO2e`` (greenhouse-gas mass, kept apart from material mass so
that "t/t" cannot be mistaken for an emission factor) and ``Nm3`` (gas volume at normal conditions;
converting it to mass needs the gas, so it is its own dimension).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Annotated, Any

import pint
from pydantic import AfterValidator, PlainSerializer
from pydantic_core import PydanticCustomError

__all__ = [
    "AMOUNT_DIMENSIONS",
    "QuantityText",
    "dimension_name",
    "parse_quantity",
    "registry",
]

#: Dimensions an annual stream or exchange quantity may have, with the unit it is normalised to.
AMOUNT_DIMENSIONS: dict[str, str] = {
    "mass": "t",
    "volume": "m**3",
    "energy": "MWh",
    "normal volume": "Nm3",
}


@lru_cache(maxsize=1)
def registry() -> Any:
    """The unit registry, built on first use: it costs a quarter of a second, which every
    command would otherwise pay even when no cluster file has a quantity in it."""
    ureg: Any = pint.UnitRegistry(cache_folder=None)
    ureg.define("EUR = [currency]")
    ureg.define("kEUR = 1000 EUR")
    ureg.define("MEUR = 1000000 EUR")
    ureg.define("tCO2e = [emissions] = t_CO2e")
    ureg.define("kgCO2e = 0.001 tCO2e")
    ureg.define("ktCO2e = 1000 tCO2e")
    ureg.define("Nm3 = [normal_volume] = normal_cubic_meter")
    ureg.define("kNm3 = 1000 Nm3")
    ureg.define("MNm3 = 1000000 Nm3")
    ureg.define("m3 = meter ** 3 = cubic_meter_")
    with warnings.catch_warnings():  # pint reads "kt" as knot; registry data means kilotonne
        warnings.simplefilter("ignore")
        ureg.define("kt = 1e3 t")
    return ureg


@lru_cache(maxsize=1)
def _dimension_names() -> dict[Any, str]:
    ureg = registry()
    return {
        ureg.t.dimensionality: "mass",
        ureg.meter.dimensionality**3: "volume",
        ureg.MWh.dimensionality: "energy",
        ureg.Nm3.dimensionality: "normal volume",
        ureg.EUR.dimensionality: "money",
        ureg.tCO2e.dimensionality: "emissions",
    }


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Any:
    """Parse "70 kt" into a pint quantity; raises ``ValueError`` with the reason."""
    try:
        quantity: Any = registry().Quantity(text)
    except (pint.errors.PintError, AttributeError, SyntaxError, TypeError, ValueError) as exc:
        raise ValueError(f"cannot read {text!r} as a quantity with a unit ({exc})") from exc
    if not isinstance(quantity, registry().Quantity):
        raise ValueError(f"{text!r} has no unit")
    return quantity


def dimension_name(quantity: Any) -> str:
    """A readable name for a quantity's dimension ("mass", "money / mass", ...)."""
    dims = quantity.dimensionality
    names = _dimension_names()
    if dims in names:
        return names[dims]
    for numerator, num_name in names.items():
        for denominator, den_name in names.items():
            if dims == numerator / denominator:
                return f"{num_name} / {den_name}"
    return str(dims)


def _check_quantity(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "quantity",
            "expected a quantity with a unit such as '70 kt', got {found}",
            {"expected": "a quantity with a unit such as '70 kt'", "found": repr(value)},
        )
    text = str(value).strip()
    try:
        quantity = parse_quantity(text)
    except ValueError as exc:
        raise PydanticCustomError(
            "quantity",
            "expected a quantity with a unit such as '70 kt', got {found}",
            {
                "expected": "a quantity with a unit such as '70 kt'",
                "found": repr(value),
                "reason": str(exc),
            },
        ) from exc
    if quantity.magnitude < 0:
        raise PydanticCustomError(
            "quantity",
            "expected a quantity >= 0, got {found}",
            {"expected": "a quantity >= 0", "found": repr(value)},
        )
    return text


#: A quantity written as text with its unit ("70 kt", "6 GL", "40 EUR/t"); kept verbatim so a
#: dump is byte-for-byte what was loaded, parsed with pint on use.
QuantityText = Annotated[str, AfterValidator(_check_quantity), PlainSerializer(str)]
