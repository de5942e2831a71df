"""What can be bought in instead of a lost exchange: share, price and CO2e, by class and region.

Why a table and not a flag per class: whether a lost input can be replaced within days depends on
where the cluster is. Sulphuric acid is a traded commodity in Rotterdam, yet the Kwinana
superphosphate plant went into care and maintenance when its acid supply from WA nickel
processing stopped. So the market is data: one row per resource class and region (an ISO
country code such as ``AU``, a subdivision such as ``AU-WA``, or ``*`` for anywhere), the
most specific row winning. The bundled table (``data/market.csv``) holds indicative figures,
each row with its source; a user's table of the same columns replaces rows of the bundled one.
A class no row describes falls to ``default_share``: not buyable unless said otherwise, so an
assumption never hides a knock-on. The caller reads any file; this module only parses tables.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from clusterhub.errors import InputError, Problem
from clusterhub.model.units import dimension_name, parse_quantity

__all__ = ["MARKET_COLUMNS", "Market", "MarketRow", "bundled_market_rows", "market", "market_rows"]

#: Columns of a market table; ``price`` and ``emission_factor`` may be empty (unknown).
MARKET_COLUMNS = ("resource_class", "region", "buyable_share", "price", "emission_factor", "source")


@dataclass(frozen=True)
class MarketRow:
    """What the market offers of one class in one region, per unit of ``unit``."""

    resource_class: str
    region: str
    buyable_share: float  # share of a lost input that can be bought in within days
    price_eur_per_unit: float | None
    co2e_t_per_unit: float | None
    unit: str  # the amount unit the price and factor are per ("t", "m3", "MWh"), "" if none
    source: str

    def per(self, unit: str) -> tuple[float | None, float | None]:
        """Price (EUR) and CO2e (t) per ``unit`` of the flow ("t", "m**3", "MWh"); None where
        unknown or the units do not compare (a price per t for a flow in m3)."""
        factor = _factor(unit, self.unit)
        if factor is None:
            return None, None
        price = None if self.price_eur_per_unit is None else self.price_eur_per_unit * factor
        co2e = None if self.co2e_t_per_unit is None else self.co2e_t_per_unit * factor
        return price, co2e


@lru_cache(maxsize=256)
def _factor(unit: str, to: str) -> float | None:
    """How many ``to`` one ``unit`` is (pint is slow; a report asks for few pairs, often)."""
    if not unit or not to:
        return None
    try:
        return float(parse_quantity(f"1 {unit}").to(to).magnitude)
    except Exception:
        return None


@dataclass(frozen=True)
class Market:
    """The market one analysis assumes: a row per class (already resolved for the region),
    shares the caller set by class, and the share of any class without a row."""

    region: str | None
    rows: Mapping[str, MarketRow] = field(default_factory=dict)
    default_share: float = 0.0
    overrides: Mapping[str, float] = field(default_factory=dict)  # class -> share, set by caller

    def share(self, resource_class: str) -> float:
        if resource_class in self.overrides:
            return float(self.overrides[resource_class])
        row = self.rows.get(resource_class)
        return row.buyable_share if row is not None else self.default_share

    def basis(self, resource_class: str) -> str:
        """Where the share of ``resource_class`` comes from, in words for a report."""
        if resource_class in self.overrides:
            return "set by the user"
        row = self.rows.get(resource_class)
        if row is None:
            return "default for classes without a market row"
        return f"market row {row.resource_class}/{row.region}: {row.source}"


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def market_rows(records: list[dict[str, object]], *, file: str | None = None) -> list[MarketRow]:
    """Market rows from table records (header row 1, first record row 2), every problem
    located by row and column; raises one ``InputError`` listing them all."""
    problems: list[Problem] = []
    rows: list[MarketRow] = []
    for index, record in enumerate(records):
        line = index + 2
        unknown = sorted(set(record) - set(MARKET_COLUMNS))
        for name in unknown:
            problems.append(
                Problem(f"a column among {', '.join(MARKET_COLUMNS)}", repr(name), name, file, 1)
            )
        values = {name: _cell(record.get(name)) for name in MARKET_COLUMNS}

        def bad(column: str, expected: str, found: str, line: int = line) -> None:
            column_number = MARKET_COLUMNS.index(column) + 1
            problems.append(Problem(expected, repr(found), column, file, line, column_number))

        if not values["resource_class"]:
            bad("resource_class", "a resource class", values["resource_class"])
        region = values["region"] or "*"
        try:
            share = float(values["buyable_share"])
            if not 0.0 <= share <= 1.0:
                raise ValueError
        except ValueError:
            bad("buyable_share", "a share from 0 to 1", values["buyable_share"])
            share = 0.0
        price, unit = _per_amount(values["price"], "EUR", bad, "price")
        factor_text = values["emission_factor"]
        factor, factor_unit = _per_amount(factor_text, "tCO2e", bad, "emission_factor")
        if unit and factor_unit and unit != factor_unit:
            bad("emission_factor", f"a factor per {unit}, like the price", factor_text)
        rows.append(
            MarketRow(
                resource_class=values["resource_class"],
                region=region,
                buyable_share=share,
                price_eur_per_unit=price,
                co2e_t_per_unit=factor,
                unit=unit or factor_unit,
                source=values["source"],
            )
        )
    if problems:
        raise InputError(problems)
    return rows


def _per_amount(
    text: str, numerator: str, bad: Callable[[str, str, str], None], column: str
) -> tuple[float | None, str]:
    """``"2.5 EUR/m3"`` -> (2.5, "m3"); empty -> (None, "")."""
    if not text:
        return None, ""
    value, _, unit = text.partition("/")
    unit = unit.strip()
    try:
        amount = parse_quantity(f"1 {unit}")
        if dimension_name(amount) not in ("mass", "volume", "energy", "normal volume"):
            raise ValueError
        magnitude = float(parse_quantity(value.strip()).to(numerator).magnitude)
    except Exception:
        bad(column, f"a figure like '2.5 {numerator}/t' (per t, m3, MWh or Nm3)", text)
        return None, ""
    return magnitude, unit


@lru_cache(maxsize=1)
def bundled_market_rows() -> tuple[MarketRow, ...]:
    """The bundled table (``data/market.csv``): indicative figures, each row with its source."""
    path = resources.files("clusterhub.symbiosis").joinpath("data/market.csv")
    text = path.read_text("utf-8")
    return tuple(market_rows(list(csv.DictReader(text.splitlines())), file="market.csv"))


def _regions(region: str | None) -> list[str]:
    """Most specific first: ``AU-WA`` -> AU-WA, AU, *."""
    if not region:
        return ["*"]
    parts = region.upper().split("-")
    return ["-".join(parts[:k]) for k in range(len(parts), 0, -1)] + ["*"]


def market(
    region: str | None,
    *,
    rows: list[MarketRow] | tuple[MarketRow, ...] | None = None,
    default_share: float = 0.0,
    overrides: Mapping[str, float] | None = None,
) -> Market:
    """The market of ``region``: the bundled rows, replaced by ``rows`` where both describe the
    same class and region, then for each class the most specific row for the region."""
    table = {(r.resource_class, r.region.upper()): r for r in bundled_market_rows()}
    for row in rows or ():
        table[(row.resource_class, row.region.upper())] = row
    order = _regions(region)
    resolved: dict[str, MarketRow] = {}
    for (resource_class, where), row in table.items():
        if where not in order:
            continue
        held = resolved.get(resource_class)
        if held is None or order.index(where) < order.index(held.region.upper()):
            resolved[resource_class] = row
    return Market(
        region=region,
        rows=resolved,
        default_share=default_share,
        overrides=dict(overrides or {}),
    )
