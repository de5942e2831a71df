"""The cluster: who is in it, where, what they own, how they are connected, what they exchange.

Why one nested document: a cluster council edits one file and every engine reads the same object;
participants hold their sites, assets and streams so that ownership is structural (an asset cannot
belong to nobody), while connections, links and exchanges, which join participants, sit at the top.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from pydantic import Field, FiniteFloat, NonNegativeFloat, field_validator, model_validator
from pydantic_core import PydanticCustomError

from clusterhub.model.assets import Asset
from clusterhub.model.base import Id, Record, invalid
from clusterhub.model.checks import find_problems
from clusterhub.model.profiles import resolve_series
from clusterhub.model.series import Series
from clusterhub.model.streams import Exchange, Stream

__all__ = [
    "Agreement",
    "Carrier",
    "CarrierKind",
    "Cluster",
    "Connection",
    "Contract",
    "Horizon",
    "Link",
    "Location",
    "Participant",
    "ParticipantKind",
    "Site",
]


class Location(Record):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    place: str = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None


class Horizon(Record):
    """The time axis every series lives on: ``periods`` steps of ``resolution`` from ``start``.

    ``start`` is local time in the cluster's time zone; the index is tz-aware, so a year holds the
    daylight-saving days with 23 and 25 hours, as meters record them.
    """

    start: datetime
    resolution: str = Field("1h", description="pandas offset: 15min, 30min, 1h ...")
    periods: Annotated[int, Field(ge=1, le=10 * 366 * 96)]

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, value: str) -> str:
        try:
            step = pd.Timedelta(value)
        except ValueError:
            raise invalid("a time step such as '15min' or '1h'", value) from None
        if step <= pd.Timedelta(0) or step > pd.Timedelta(days=1):
            raise invalid("a time step above 0 and at most one day", value)
        return value

    @property
    def step_hours(self) -> float:
        """Length of one step in hours: converts MW to MWh."""
        return float(pd.Timedelta(self.resolution) / pd.Timedelta(hours=1))

    def index(self, timezone: str) -> pd.DatetimeIndex:
        start = pd.Timestamp(self.start)
        start = start.tz_localize(timezone) if start.tzinfo is None else start.tz_convert(timezone)
        return pd.date_range(
            start, periods=self.periods, freq=pd.Timedelta(self.resolution), name="time"
        )


class CarrierKind(StrEnum):
    ELECTRICITY = "electricity"
    HEAT = "heat"
    STEAM = "steam"
    HYDROGEN = "hydrogen"
    NATURAL_GAS = "natural_gas"
    CO2 = "co2"
    WATER = "water"
    OTHER = "other"


#: The unit each kind of carrier is counted in: energy carriers in MWh, CO2 in t, water in m3.
CARRIER_UNITS: dict[CarrierKind, str] = {
    CarrierKind.ELECTRICITY: "MWh",
    CarrierKind.HEAT: "MWh",
    CarrierKind.STEAM: "MWh",
    CarrierKind.HYDROGEN: "MWh",
    CarrierKind.NATURAL_GAS: "MWh",
    CarrierKind.CO2: "t",
    CarrierKind.WATER: "m3",
}


class Carrier(Record):
    """An energy carrier or utility, with what buying it costs and emits.

    Prices and emission factors are per unit of the carrier (``unit``: MWh for energy carriers,
    t for CO2, m3 for water); ``price_eur_per_unit`` is absent when the carrier cannot be bought.
    """

    id: Id
    kind: CarrierKind
    name: str = ""
    unit: Literal["MWh", "t", "m3"] = "MWh"
    temperature_c: float | None = Field(None, ge=-273.15, le=2000)
    pressure_bar: NonNegativeFloat | None = None
    price_eur_per_unit: Series | None = None
    export_price_eur_per_unit: Series | None = None
    emission_factor_t_per_unit: Series = 0.0
    carbon_priced: bool = Field(
        True,
        description="charge the cluster's carbon price on this carrier's emissions; false where "
        "the price already holds the carbon cost (EU power under the ETS), which then is only "
        "reported, never charged twice",
    )

    @model_validator(mode="after")
    def _kind_rules(self) -> Self:
        if self.kind in (CarrierKind.HEAT, CarrierKind.STEAM) and self.temperature_c is None:
            raise PydanticCustomError(
                "missing_temperature",
                "expected temperature_c for a {kind} carrier",
                {
                    "expected": f"temperature_c for a {self.kind.value} carrier",
                    "field": "temperature_c",
                    "found": "nothing",
                },
            )
        expected_unit = CARRIER_UNITS.get(self.kind)
        if expected_unit is not None and self.unit != expected_unit:
            raise PydanticCustomError(
                "unit_mismatch",
                "expected unit {expected}, got {found}",
                {
                    "expected": f"unit {expected_unit!r} for a {self.kind.value} carrier",
                    "found": repr(self.unit),
                    "field": "unit",
                },
            )
        return self


class ParticipantKind(StrEnum):
    COMPANY = "company"
    GRID_OPERATOR = "grid_operator"
    AUTHORITY = "authority"
    UTILITY = "utility"
    PUBLIC_BODY = "public_body"
    OTHER = "other"


#: NACE Rev. 2: a section letter, optionally a division, group and class ("C20.14", "D35.1").
NaceCode = Annotated[str, Field(pattern=r"^[A-U](\d{2}(\.\d{1,2})?)?$")]


class Site(Record):
    """A place where a participant operates (a plant, a terminal, a facility)."""

    id: Id
    name: str = ""
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]
    connection: Id | None = Field(None, description="grid connection the site is behind")


class Participant(Record):
    id: Id
    name: str = Field(min_length=1)
    kind: ParticipantKind = ParticipantKind.COMPANY
    nace: NaceCode | None = None
    description: str = ""
    status: str = Field("operating", description="operating, suspended, closed, planned ...")
    sites: tuple[Site, ...] = ()
    assets: tuple[Asset, ...] = ()
    streams: tuple[Stream, ...] = ()
    provenance: Literal["verified", "background", "synthetic"] | None = None
    source: str = ""

    @model_validator(mode="after")
    def _company_has_sector(self) -> Self:
        if self.kind is ParticipantKind.COMPANY and self.nace is None:
            raise PydanticCustomError(
                "missing_nace",
                "expected a NACE code for a company",
                {
                    "expected": "a NACE Rev. 2 code such as 'C20.14' for a company",
                    "field": "nace",
                    "found": "nothing",
                },
            )
        return self


class Contract(Record):
    """A participant's individually contracted capacity at a shared connection.

    Firm and non-firm: ``import_mw`` and ``export_mw`` are firm, always there; the non-firm
    parts (``non_firm_import_mw``, ``non_firm_export_mw``) are there in the share of each step
    that ``non_firm_availability`` gives (0..1), as in the non-firm and time-block transport
    rights Dutch grid operators offer in congested areas: 0 in the hours the operator may
    interrupt them, 1 otherwise.
    """

    participant: Id
    import_mw: NonNegativeFloat
    export_mw: NonNegativeFloat = 0.0
    non_firm_import_mw: NonNegativeFloat = 0.0
    non_firm_export_mw: NonNegativeFloat = 0.0
    non_firm_availability: Series = Field(
        1.0, description="share (0..1) of the non-firm capacity there in each step"
    )


class Connection(Record):
    """A shared grid connection: limits for the whole cluster behind it, and each member's
    contract. Limits may vary in time (congestion management, non-firm contracts).

    Capacity tariffs: ``import_capacity_tariff_eur_per_kw_year`` (and the export one) charge
    the highest import (export) through a meter in each calendar ``capacity_period`` of the
    cluster's time zone: ``month`` as the Dutch operators' monthly "kW max" (a tariff of X EUR
    per kW and month is 12X here; each month pays a twelfth), ``year`` as their yearly
    "kW contract". Jointly the meter is the connection's pool; alone, each member's contract. A
    period the horizon covers in part pays in proportion to the hours it covers.
    """

    id: Id
    name: str = ""
    operator: Id | None = Field(None, description="participant id of the grid operator")
    carrier: Id = "electricity"
    import_limit_mw: Series
    export_limit_mw: Series
    import_tariff_eur_per_mwh: Series = 0.0
    export_tariff_eur_per_mwh: Series = 0.0
    import_capacity_tariff_eur_per_kw_year: NonNegativeFloat = 0.0
    export_capacity_tariff_eur_per_kw_year: NonNegativeFloat = 0.0
    capacity_period: Literal["month", "year"] = "month"
    contracts: tuple[Contract, ...] = ()


class Agreement(Record):
    """A bilateral supply agreement between two members: a power purchase agreement behind one
    shared connection, or a supply contract over a line between their sites (``link``: steam,
    heat or hydrogen on its carrier, losing the line's losses). The seller delivers, the buyer
    pays ``price_eur_per_mwh`` for each MWh it receives.

    Pay-as-produced (``asset``): ``share`` of the named generator's available output in each
    step (its deemed output: what it could produce, so curtailing it is the seller's affair, as
    most pay-as-produced contracts settle curtailment). Volume (``volume_mw``): a baseload or
    shaped profile the seller must deliver from its plants or its own purchases. ``start`` and
    ``end`` (dates in the cluster's time zone, ``end`` excluded) bound its duration; outside
    them it delivers and costs nothing.

    Why it matters to the saving: members that already buy green power from each other by
    contract (the baseline the Ordos park's 10% is measured against) save less by dispatching
    together. Alone, and in any coalition that holds one party only, the agreement is a fixed
    delivery at its price, over the cluster's own network (both sites behind the same
    connection) or over the line; when both parties act together it is a payment between them
    and moves nothing, since the coalition dispatches as one.
    """

    id: Id
    seller: Id
    buyer: Id
    price_eur_per_mwh: FiniteFloat
    asset: Id | None = Field(None, description="the seller's generator, for pay-as-produced")
    share: Annotated[float, Field(gt=0, le=1)] = 1.0
    volume_mw: Series | None = Field(None, description="MW delivered in each step, for volume")
    link: Id | None = Field(None, description="the line it is delivered over, if any")
    seller_site: Id | None = Field(None, description="default: the asset's site, or the "
                                   "seller's one site behind a connection")  # fmt: skip
    buyer_site: Id | None = Field(None, description="default: the buyer's one site behind a "
                                  "connection")  # fmt: skip
    start: date | None = None
    end: date | None = None
    source: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.asset is None) == (self.volume_mw is None):
            raise PydanticCustomError(
                "ppa_kind",
                "expected either an asset (pay-as-produced) or a volume_mw, not both or neither",
                {
                    "expected": "either 'asset' (pay-as-produced) or 'volume_mw', not both",
                    "field": "asset",
                    "found": "both" if self.asset is not None else "neither",
                },
            )
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise PydanticCustomError(
                "ppa_dates",
                "expected an end after the start",
                {"expected": f"an end after {self.start}", "field": "end", "found": str(self.end)},
            )
        return self


class Link(Record):
    """A line between two sites (steam line, pipeline, private cable) with capacity and losses."""

    id: Id
    kind: Literal["steam_line", "heat_pipe", "pipeline", "cable", "other"] = "pipeline"
    carrier: Id
    source: Id
    target: Id
    capacity_mw: NonNegativeFloat
    loss_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    bidirectional: bool = False
    owner: Id | None = None
    length_km: NonNegativeFloat | None = None


class Cluster(Record):
    """A whole cluster; validated as a whole (every id resolves, every series fits the horizon)."""

    schema_version: Literal[1] = 1
    name: str = Field(min_length=1)
    description: str = ""
    location: Location
    timezone: str = "UTC"
    horizon: Horizon
    carbon_price_eur_per_t: Series = 0.0
    carriers: tuple[Carrier, ...] = ()
    participants: tuple[Participant, ...] = Field(min_length=1)
    connections: tuple[Connection, ...] = ()
    links: tuple[Link, ...] = ()
    exchanges: tuple[Exchange, ...] = ()
    agreements: tuple[Agreement, ...] = Field(
        (), description="supply agreements between members: PPAs and contracts over a line"
    )
    sources: tuple[str, ...] = Field((), description="bibliography of the whole file")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("an IANA time zone such as 'Europe/Amsterdam'", value) from None
        return value

    @model_validator(mode="after")
    def _references(self) -> Self:
        problems = find_problems(self)
        if problems:
            raise PydanticCustomError(
                "cluster_references",
                "{summary}",
                {
                    "summary": "; ".join(
                        f"{p.path}: expected {p.expected}, got {p.found}" for p in problems
                    ),
                    "problems": problems,
                },
            )
        return self

    # --- navigation -----------------------------------------------------------------------------
    @property
    def time_index(self) -> pd.DatetimeIndex:
        return self.horizon.index(self.timezone)

    def participant(self, participant_id: str) -> Participant:
        for participant in self.participants:
            if participant.id == participant_id:
                return participant
        raise KeyError(participant_id)

    def carrier(self, carrier_id: str) -> Carrier:
        for carrier in self.carriers:
            if carrier.id == carrier_id:
                return carrier
        raise KeyError(carrier_id)

    def iter_sites(self) -> Iterator[tuple[Participant, Site]]:
        for participant in self.participants:
            for site in participant.sites:
                yield participant, site

    def iter_assets(self) -> Iterator[tuple[Participant, Asset]]:
        for participant in self.participants:
            for asset in participant.assets:
                yield participant, asset

    def iter_streams(self) -> Iterator[tuple[Participant, Stream]]:
        for participant in self.participants:
            for stream in participant.streams:
                yield participant, stream

    def delivery_sites(self, agreement: Agreement) -> tuple[str | None, str | None]:
        """The seller's and the buyer's site where ``agreement`` delivers (None: not found).

        Why defaults: most members have one site behind the shared connection, and naming it
        again in every agreement is one more thing to get wrong."""

        def site_of(party: str, named: str | None) -> str | None:
            if named is not None:
                return named
            if agreement.link is not None:
                line = next((k for k in self.links if k.id == agreement.link), None)
                owners = {s.id: p.id for p, s in self.iter_sites()}
                ends = [] if line is None else [line.source, line.target]
                return next((e for e in ends if owners.get(e) == party), None)
            if party == agreement.seller and agreement.asset is not None:
                for p, asset in self.iter_assets():
                    if p.id == party and asset.id == agreement.asset:
                        return asset.site
                return None
            behind = [s.id for p, s in self.iter_sites() if p.id == party and s.connection]
            return behind[0] if len(behind) == 1 else None

        return (
            site_of(agreement.seller, agreement.seller_site),
            site_of(agreement.buyer, agreement.buyer_site),
        )

    def without(self, participants: Iterable[str]) -> Cluster:
        """The same cluster with ``participants`` left out: their sites and assets, their
        contracts, the links ending at their sites and the exchanges of their streams.

        Why: a run on shared data includes only the members whose data it may use; the rest
        of the cluster stays as described (the connection's limits are the operator's).
        """
        gone = set(participants)
        if not gone:
            return self
        sites = {site.id for p, site in self.iter_sites() if p.id in gone}
        streams = {stream.id for p, stream in self.iter_streams() if p.id in gone}
        kept = self.model_copy(
            update={
                "participants": tuple(p for p in self.participants if p.id not in gone),
                "connections": tuple(
                    c.model_copy(
                        update={
                            "contracts": tuple(k for k in c.contracts if k.participant not in gone),
                            "operator": None if c.operator in gone else c.operator,
                        }
                    )
                    for c in self.connections
                ),
                "links": tuple(
                    link.model_copy(update={"owner": None}) if link.owner in gone else link
                    for link in self.links
                    if link.source not in sites and link.target not in sites
                ),
                "exchanges": tuple(
                    e
                    for e in self.exchanges
                    if e.supplier not in streams and e.receiver not in streams
                ),
                # an agreement with a member left out cannot be run: its plant is gone too
                "agreements": tuple(
                    a for a in self.agreements if a.seller not in gone and a.buyer not in gone
                ),
            }
        )
        problems = find_problems(kept)
        if problems:  # a reference into what was left out that the lines above do not know
            raise ValueError("; ".join(f"{p.path}: expected {p.expected}" for p in problems))
        return kept

    def values(self, series: Series) -> np.ndarray:
        """Resolve one series field of this cluster on its horizon (read-only array)."""
        return resolve_series(
            series,
            self.time_index,
            latitude=self.location.latitude,
            longitude=self.location.longitude,
        )
