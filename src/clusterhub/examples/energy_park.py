"""The ``energy-park`` example: a renewable-heavy industrial park like Net-Zero Ordos-Envision.

Why built in Python rather than shipped as a file: 46 companies drawn from a dozen sector
templates are clearer as a table of templates plus a seeded draw than as a long YAML file, and the
same seed gives the same park on every machine. Profiles are generator specs (cheap shapes, two
cached demandlib profiles, one PV and one wind spec), so loading and summarising take about a
second. The sector templates are in ``energy_park_sectors``, the cited figures in
``energy_park_figures``, the drawing of each company in ``energy_park_companies``; here the
companies are joined behind the park's connections and links.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from clusterhub.examples.energy_park_companies import Company, company, energy_company
from clusterhub.examples.energy_park_figures import (
    CNY_PER_EUR,
    HOURS,
    HYDROGEN_MW,
    HYDROGEN_PRICE_EUR_PER_MWH,
    LATITUDE,
    LONGITUDE,
    PPA_COVER,
    PPA_PRICE_EUR_PER_MWH,
    PV_CF,
    SEED,
    SOURCES,
    WIND_CF,
    WIND_SHARE,
)
from clusterhub.examples.energy_park_sectors import SECTORS
from clusterhub.model import (
    Agreement,
    Carrier,
    CarrierKind,
    Cluster,
    Connection,
    Contract,
    Horizon,
    Link,
    Location,
    Participant,
    ParticipantKind,
    ShapeProfile,
)

__all__ = ["build"]


def _carriers() -> tuple[Carrier, ...]:
    return (
        Carrier(
            id="electricity",
            kind=CarrierKind.ELECTRICITY,
            name="Electricity: time-of-use industrial tariff; sales at the coal benchmark price",
            price_eur_per_unit=ShapeProfile(
                generator="shape",
                mean=round(0.375 * 1000 / CNY_PER_EUR, 1),
                daily_amplitude=0.35,
                peak_hour=19.0,
                seasonal_amplitude=0.05,
            ),
            export_price_eur_per_unit=round(0.2829 * 1000 / CNY_PER_EUR, 1),
            emission_factor_t_per_unit=0.5703,
            carbon_priced=False,
        ),
        Carrier(
            id="natural_gas",
            kind=CarrierKind.NATURAL_GAS,
            name="Pipeline natural gas",
            price_eur_per_unit=round(0.337 * 1000 / CNY_PER_EUR, 1),
            emission_factor_t_per_unit=0.202,
        ),
        Carrier(
            id="process_heat",
            kind=CarrierKind.HEAT,
            name="Process heat (pressurised hot water / low-pressure steam)",
            temperature_c=120.0,
        ),
        Carrier(
            id="hydrogen",
            kind=CarrierKind.HYDROGEN,
            name="Hydrogen (LHV); coal-based hydrogen can be bought by truck",
            price_eur_per_unit=HYDROGEN_PRICE_EUR_PER_MWH,
            emission_factor_t_per_unit=0.55,
        ),
    )


def _agreements(companies: list[Company], wind_mw: float, pv_mw: float) -> tuple[Agreement, ...]:
    """The large consumers' pay-as-produced shares of the wind farm and the PV plant, each
    covering ``PPA_COVER`` of the consumer's annual electricity in the farm's and the plant's
    proportion of the park's renewables (see ``PPA_COVER``)."""
    plants = (
        ("park-wind", "wind", wind_mw * WIND_CF, WIND_SHARE),
        ("park-pv", "pv", pv_mw * PV_CF, 1 - WIND_SHARE),
    )
    return tuple(
        Agreement(
            id=f"{kind}-ppa-{c.participant.id}",
            seller="park-energy",
            buyer=c.participant.id,
            asset=asset,
            share=round(PPA_COVER * fraction * c.demand_mw / mean_mw, 4),
            price_eur_per_mwh=PPA_PRICE_EUR_PER_MWH,
            source="Assumption, see the sources: green power bought by contract",
        )
        for c in companies
        if c.connection == "park-220kv"
        for asset, kind, mean_mw, fraction in plants
    )


def build() -> Cluster:
    """The energy park, the same on every machine (seed ``SEED``)."""
    rng = np.random.default_rng(SEED)
    companies: list[Company] = []
    n = 0
    for sector in SECTORS:
        for number in range(1, sector.count + 1):
            n += 1
            companies.append(company(sector, number, n, rng))
    demand_mwh = sum(c.demand_mw for c in companies) * HOURS
    energy, wind_mw, pv_mw = energy_company(demand_mwh)
    grid = Participant(
        id="grid",
        name="West Inner Mongolia Grid Co. (fictional)",
        kind=ParticipantKind.GRID_OPERATOR,
        provenance="synthetic",
        description="Fictional provincial grid company operating the park's two connections.",
    )
    agreements = _agreements(companies, wind_mw, pv_mw)
    # a buyer may sell back to the grid what it cannot use of its shares (surplus to the grid)
    peaks: dict[str, float] = {}
    capacity = {"park-wind": wind_mw, "park-pv": pv_mw}
    for a in agreements:
        peaks[a.buyer] = peaks.get(a.buyer, 0.0) + a.share * capacity[str(a.asset)]
    connections = []
    for connection_id, name, export_mw, headroom in (
        ("park-220kv", "Park 220 kV substation", 600.0, 1.15),
        ("dc-110kv", "Data-centre campus 110 kV feeder", 0.0, 1.0),
    ):
        members = [c for c in companies if c.connection == connection_id]
        contracts = [
            Contract(
                participant=c.participant.id,
                import_mw=c.import_mw,
                export_mw=float(np.ceil(peaks.get(c.participant.id, 0.0))),
            )
            for c in members
        ]
        if connection_id == "park-220kv":
            contracts.append(Contract(participant=energy.id, import_mw=20.0, export_mw=export_mw))
        # the substation exports what it can carry: alone, the export contracts share it pro rata
        limit = round(headroom * sum(c.electric_mw for c in members), -1)
        if connection_id == "park-220kv":
            # Firm contracts: every company alone can draw its whole contract; the park's gain
            # from working together is local wind and PV, not a congestion it would otherwise hit.
            limit = float(sum(k.import_mw for k in contracts))
        connections.append(
            Connection(
                id=connection_id,
                name=name,
                operator=grid.id,
                import_limit_mw=limit,
                export_limit_mw=export_mw,
                contracts=tuple(contracts),
            )
        )
    links = [
        Link(id=f"h2-to-{target}", kind="pipeline", carrier="hydrogen", source="hydrogen-1-site",
             target=f"{target}-site", capacity_mw=round(2 * mw), owner="hydrogen-1", length_km=3.0)
        for target, mw in HYDROGEN_MW.items()
    ] + [
        Link(id=f"cable-to-{c.participant.id}", kind="cable", carrier="electricity",
             source="energy-hub", target=f"{c.participant.id}-site", capacity_mw=40.0,
             loss_fraction=0.01, bidirectional=True, owner=energy.id, length_km=5.0)
        for c in companies
        if c.connection == "dc-110kv"
    ]  # fmt: skip
    return Cluster(
        agreements=agreements,
        name="Renewable energy park",
        description=(
            "A fictional renewable-heavy industrial park modelled on the Net-Zero Ordos-Envision "
            "park in Inner Mongolia: 46 companies (battery, EV, steel, silicon, chemicals, "
            "hydrogen, data centres, materials) and a park energy company whose wind and PV "
            "give about 80% of the park's electricity over the year; batteries, heat and "
            "hydrogen storage, demand response on most loads, two shared grid connections "
            "with individual contracts. 2024 hourly (8784 steps, Asia/Shanghai). Prices are "
            "in EUR, converted from CNY at 7.8 CNY/EUR. All companies and sizes are synthetic "
            f"(seed {SEED}); the sources list says which figures are read [V] and which are "
            "background knowledge [B]."
        ),
        location=Location(
            latitude=LATITUDE,
            longitude=LONGITUDE,
            place="Ordos, Inner Mongolia (fictional park)",
            country="CN",
        ),
        timezone="Asia/Shanghai",
        horizon=Horizon(start=datetime(2024, 1, 1), resolution="1h", periods=HOURS),
        carbon_price_eur_per_t=round(60 / CNY_PER_EUR, 1),
        carriers=_carriers(),
        participants=(energy, *(c.participant for c in companies), grid),
        connections=tuple(connections),
        links=tuple(links),
        sources=SOURCES,
    )
