"""The ``energy-park`` example: a renewable-heavy industrial park like Net-Zero Ordos-Envision.

Why built in Python rather than shipped as a file: 46 companies drawn from a dozen sector
templates are clearer as a table of templates plus a seeded draw than as a long YAML file, and the
same seed gives the same park on every machine. Profiles are generator specs (cheap shapes, two
cached demandlib profiles, one PV and one wind spec), so loading and summarising take about a
second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from clusterhub.examples.energy_park_sectors import PEAK_FACTOR, PLACES, SECTORS, Profile, Sector
from clusterhub.model import (
    Asset,
    Carrier,
    CarrierKind,
    Cluster,
    Connection,
    Contract,
    Converter,
    Demand,
    DemandlibProfile,
    Generator,
    Horizon,
    Link,
    Location,
    Participant,
    ParticipantKind,
    PvProfile,
    Series,
    ShapeProfile,
    Site,
    Storage,
    WindProfile,
)

__all__ = ["build"]

SEED = 46
LATITUDE, LONGITUDE = 39.6, 109.8
HOURS = 8784  # 2024 is a leap year

#: Assumption [B]: 1 EUR = 7.8 CNY (2023-2024 average, rounded).
CNY_PER_EUR = 7.8
#: China Daily, 18 Aug 2022 [V]: about 80% of the park's energy from local wind and PV.
RENEWABLE_SHARE = 0.8
#: Assumption: wind gives 65% of the local renewable energy, PV 35%.
WIND_SHARE = 0.65
#: Capacity factors the generator specs below give (measured, see the tests): used to size them.
WIND_CF, PV_CF = 0.301, 0.171

#: Hydrogen demand in MW (LHV), average: green ammonia synthesis and direct-reduction steel.
HYDROGEN_MW = {"ammonia-1": 35.0, "steel-1": 15.0}
ELECTROLYSER_MW = 150.0
ELECTROLYSER_EFFICIENCY = 0.62  # PyPSA technology-data, 2030 [V]
HEAT_PUMP_COP = 3.05  # PyPSA technology-data, high-temperature industrial heat pump 2030 [V]
E_BOILER_EFFICIENCY = 0.99  # PyPSA technology-data, DEA 310.1 [V]
GAS_BOILER_EFFICIENCY = 0.93  # PyPSA technology-data, DEA 311.1c [V]
BATTERY_EFFICIENCY = 0.95  # per direction; round trip 0.90 within 0.85-0.92 [B]

WIND = WindProfile(generator="wind", mean_speed_m_s=7.0, seed=3)
PV = PvProfile(generator="pv", tilt_deg=35.0, cloudiness=0.25, seed=2)


def _electricity_profile(profile: Profile, mean_mw: float, seed: int) -> Series:
    """Continuous plants as a flat shape; shift and day work on demandlib's cached profiles."""
    if profile == "continuous":
        return ShapeProfile(
            generator="shape",
            mean=mean_mw,
            daily_amplitude=0.03,
            weekend_factor=0.98,
            noise=0.04,
            persistence=0.9,
            minimum=0.0,
            seed=seed,
        )
    return DemandlibProfile(
        generator="demandlib",
        profile="industrial" if profile == "shifts" else "g1",
        annual_mwh=round(mean_mw * HOURS, 1),
        noise=0.05,
        seed=seed,
    )


def _heat_assets(key: str, site: str, sector: Sector, heat_mw: float, n: int) -> list[Asset]:
    """Process heat from electric boilers, with a heat pump and store on every other site (power
    when wind blows, heat stored for when it does not) and gas boilers at the chemical plants."""
    heat: list[Asset] = [
        Demand(
            id=f"{key}-heat",
            name="Process heat",
            site=site,
            carrier="process_heat",
            profile_mw=ShapeProfile(
                generator="shape",
                mean=heat_mw,
                seasonal_amplitude=0.15,
                noise=0.05,
                persistence=0.9,
                minimum=0.0,
                seed=1000 + n,
            ),
        ),
        Converter(
            id=f"{key}-e-boiler",
            name="Electric boiler",
            site=site,
            technology="electric_boiler",
            capacity_mw=float(np.ceil(1.5 * heat_mw)),
            inputs={"electricity": 1.0},
            outputs={"process_heat": E_BOILER_EFFICIENCY},
        ),
    ]
    if n % 2 == 0:
        heat += [
            Converter(
                id=f"{key}-heat-pump",
                name="High-temperature heat pump",
                site=site,
                technology="heat_pump",
                capacity_mw=float(np.ceil(0.5 * heat_mw / HEAT_PUMP_COP)),
                inputs={"electricity": 1.0},
                outputs={"process_heat": HEAT_PUMP_COP},
            ),
            Storage(
                id=f"{key}-heat-store",
                name="Heat store",
                site=site,
                technology="heat",
                carrier="process_heat",
                energy_capacity_mwh=float(np.ceil(6 * heat_mw)),
                charge_capacity_mw=float(np.ceil(heat_mw)),
                discharge_capacity_mw=float(np.ceil(heat_mw)),
                standing_loss_per_hour=0.005,
            ),
        ]
    if sector.gas_boiler:
        heat.append(
            Converter(
                id=f"{key}-gas-boiler",
                name="Gas boiler (back-up)",
                site=site,
                technology="gas_boiler",
                capacity_mw=float(np.ceil(1.2 * heat_mw)),
                inputs={"natural_gas": 1.0},
                outputs={"process_heat": GAS_BOILER_EFFICIENCY},
            )
        )
    return heat


def _battery(key: str, site: str, power_mw: float, hours: float, name: str) -> Storage:
    return Storage(
        id=key,
        name=name,
        site=site,
        technology="battery",
        carrier="electricity",
        energy_capacity_mwh=power_mw * hours,
        charge_capacity_mw=power_mw,
        discharge_capacity_mw=power_mw,
        charge_efficiency=BATTERY_EFFICIENCY,
        discharge_efficiency=BATTERY_EFFICIENCY,
        min_soc_fraction=0.05,
    )


@dataclass(frozen=True)
class _Company:
    participant: Participant
    connection: str
    import_mw: float
    demand_mw: float  # average electricity demand (the 80% renewable target refers to it)
    electric_mw: float  # average electricity for demand, heat and hydrogen (import sizing)


def _company(sector: Sector, number: int, n: int, rng: np.random.Generator) -> _Company:
    key = f"{sector.key}-{number}"
    site = f"{key}-site"
    low, high = sector.mean_mw
    mean_mw = round(float(rng.uniform(low, high)), 1)
    assets: list[Asset] = [
        Demand(
            id=f"{key}-power",
            name="Electricity",
            site=site,
            carrier="electricity",
            profile_mw=_electricity_profile(sector.profile, mean_mw, seed=n),
            flexibility=sector.flexibility,
        )
    ]
    import_mw = PEAK_FACTOR[sector.profile] * mean_mw
    electric_mw = mean_mw
    heat_mw = round(sector.heat_share * mean_mw, 1)
    if heat_mw:
        assets += _heat_assets(key, site, sector, heat_mw, n)
        import_mw += sum(
            a.capacity_mw for a in assets if isinstance(a, Converter) and "electricity" in a.inputs
        )
        electric_mw += 0.0 if sector.gas_boiler else heat_mw / E_BOILER_EFFICIENCY
    if key in HYDROGEN_MW:
        assets.append(
            Demand(
                id=f"{key}-hydrogen",
                name="Hydrogen feedstock",
                site=site,
                carrier="hydrogen",
                profile_mw=ShapeProfile(
                    generator="shape",
                    mean=HYDROGEN_MW[key],
                    noise=0.05,
                    persistence=0.95,
                    minimum=0.0,
                    seed=2000 + n,
                ),
            )
        )
    if sector.key == "hydrogen":
        assets += [
            Converter(
                id=f"{key}-electrolyser",
                name="Alkaline electrolysers",
                site=site,
                technology="electrolyser",
                capacity_mw=ELECTROLYSER_MW,
                inputs={"electricity": 1.0},
                outputs={"hydrogen": ELECTROLYSER_EFFICIENCY},
                min_load_fraction=0.1,
            ),
            Storage(
                id=f"{key}-storage",
                name="Hydrogen tanks",
                site=site,
                technology="hydrogen",
                carrier="hydrogen",
                energy_capacity_mwh=1200.0,
                charge_capacity_mw=90.0,
                discharge_capacity_mw=90.0,
            ),
        ]
        import_mw += ELECTROLYSER_MW
        electric_mw += sum(HYDROGEN_MW.values()) / ELECTROLYSER_EFFICIENCY
    if sector.key == "data-centre":
        assets.append(_battery(f"{key}-ups", site, round(0.3 * mean_mw), 1.0, "UPS battery"))
    place = PLACES[n % len(PLACES)]
    participant = Participant(
        id=key,
        name=f"{place} {sector.label} Co., Ltd. ({number})",
        nace=sector.nace,
        provenance="synthetic",
        description=f"Fictional {sector.label.lower()} company; {mean_mw} MW average "
        f"electricity{f', {heat_mw} MW process heat' if heat_mw else ''} (seeded assumption).",
        source=f"clusterhub.examples.energy_park, seed {SEED}",
        sites=(
            Site(
                id=site,
                name=f"{sector.label} plant {number}",
                latitude=round(LATITUDE + float(rng.uniform(-0.03, 0.03)), 4),
                longitude=round(LONGITUDE + float(rng.uniform(-0.04, 0.04)), 4),
                connection=sector.connection,
            ),
        ),
        assets=tuple(assets),
    )
    return _Company(participant, sector.connection, float(np.ceil(import_mw)), mean_mw, electric_mw)


def _energy_company(electricity_mwh: float) -> tuple[Participant, float, float]:
    """The park energy company, its wind and PV sized so that their annual output is about 80%
    of the park's electricity (China Daily, 18 Aug 2022 [V])."""
    renewable_mwh = RENEWABLE_SHARE * electricity_mwh
    wind_mw = round(WIND_SHARE * renewable_mwh / (WIND_CF * HOURS), -1)
    pv_mw = round((1 - WIND_SHARE) * renewable_mwh / (PV_CF * HOURS), -1)
    sites = (
        Site(id="wind-farm", name="Park wind farm", latitude=39.68, longitude=109.70,
             connection="park-220kv"),
        Site(id="pv-plant", name="Park PV plant", latitude=39.55, longitude=109.88,
             connection="park-220kv"),
        Site(id="energy-hub", name="Park substation and battery", latitude=39.6,
             longitude=109.8, connection="park-220kv"),
    )  # fmt: skip
    assets: tuple[Asset, ...] = (
        Generator(id="park-wind", name="Wind farm", site="wind-farm", technology="wind",
                  capacity_mw=wind_mw, availability=WIND),
        Generator(id="park-pv", name="PV plant", site="pv-plant", technology="pv",
                  capacity_mw=pv_mw, availability=PV),
        _battery("park-battery", "energy-hub", 400.0, 4.0, "Park battery"),
    )  # fmt: skip
    participant = Participant(
        id="park-energy",
        name="Ordos Zero-Carbon Park Energy Co., Ltd.",
        nace="D35.11",
        provenance="synthetic",
        description=f"Fictional park energy company: {wind_mw:.0f} MW wind, {pv_mw:.0f} MW PV and "
        "a 400 MW / 1600 MWh battery, sized so that local wind and PV give about 80% of the "
        "park's annual electricity demand (generation over demand, before curtailment); it "
        "sells to the park's companies and to the grid and runs the park's demand response.",
        source="China Daily, 18 Aug 2022 (Ordos aims for zero-carbon development) [V]",
        sites=sites,
        assets=assets,
    )
    return participant, wind_mw, pv_mw


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


#: Assumption [B]: delivered coal-gasification hydrogen about 20 CNY/kg = 2.6 EUR/kg = 77 EUR/MWh
#: (LHV, 33.3 kWh/kg), about 18 kg CO2/kg = 0.55 t/MWh: what a user pays without a pipeline partner.
HYDROGEN_PRICE_EUR_PER_MWH = 77.0

SOURCES = (
    "[V] Net-Zero Ordos-Envision industrial park (Inner Mongolia): real-time data from over 46 "
    "companies; joint renewable dispatch, storage scheduling, demand response and carbon "
    "management; about 10% electricity cost saving.",
    "[V] China Daily, 18 Aug 2022 (Ordos aims for zero-carbon development): about 80% of the "
    "park's energy from local wind and PV, 20% traded with the grid. Modelled as annual wind and "
    "PV output = 0.8 x annual electricity demand of the companies' demands (before curtailment; "
    "power for electrolysers and boilers comes on top).",
    "[V] Electrolyser efficiency (LHV) 0.62 (2030) to 0.70 (2050) MWh_H2/MWh_el: PyPSA "
    "technology-data (DEA AEC 100 MW). Used: 0.62.",
    "[V] High-temperature industrial heat pump COP 3.05 (2030): PyPSA technology-data.",
    "[V] Electric steam boiler efficiency 0.99 (DEA 310.1) and gas steam boiler efficiency 0.93 "
    "(DEA 311.1c): PyPSA technology-data.",
    "[V] Natural gas combustion emission factor 0.202 t CO2/MWh (LHV): IPCC 2006 default.",
    "[B] Battery (Li-ion) round-trip efficiency 0.85-0.92: 0.95 x 0.95 = 0.90.",
    "[B] Exchange rate 1 EUR = 7.8 CNY (2023-2024, rounded); all prices converted to EUR.",
    "[B] Industrial time-of-use electricity tariff in western Inner Mongolia about 0.375 CNY/kWh "
    "on average (48.1 EUR/MWh), transmission charges included; import tariffs therefore 0.",
    "[B] Inner Mongolia coal-fired benchmark price 0.2829 CNY/kWh (36.3 EUR/MWh): export price.",
    "[B] China grid average emission factor 0.5703 t CO2/MWh (Ministry of Ecology and "
    "Environment, 2022): electricity emission factor, for reporting.",
    "[B] China national ETS allowance price about 60 CNY/t CO2 (2022): 7.7 EUR/t.",
    "[B] Industrial natural gas about 3.3 CNY/Nm3, about 0.337 CNY/kWh (43.2 EUR/MWh).",
    "[B] Inner Mongolia wind capacity factor about 0.30 (mean speed 7.0 m/s) and PV about "
    "0.17 (cloudiness 0.25, 35 degree tilt).",
    f"Assumption: the 46 companies, their sizes, heat and hydrogen use, flexibility, storage and "
    f"connection limits are synthetic, drawn from sector templates with seed {SEED}.",
)


def build() -> Cluster:
    """The energy park, the same on every machine (seed ``SEED``)."""
    rng = np.random.default_rng(SEED)
    companies: list[_Company] = []
    n = 0
    for sector in SECTORS:
        for number in range(1, sector.count + 1):
            n += 1
            companies.append(_company(sector, number, n, rng))
    demand_mwh = sum(c.demand_mw for c in companies) * HOURS
    energy, _, _ = _energy_company(demand_mwh)
    grid = Participant(
        id="grid",
        name="West Inner Mongolia Grid Co. (fictional)",
        kind=ParticipantKind.GRID_OPERATOR,
        provenance="synthetic",
        description="Fictional provincial grid company operating the park's two connections.",
    )
    connections = []
    for connection_id, name, export_mw, headroom in (
        ("park-220kv", "Park 220 kV substation", 600.0, 1.15),
        ("dc-110kv", "Data-centre campus 110 kV feeder", 0.0, 1.0),
    ):
        members = [c for c in companies if c.connection == connection_id]
        contracts = [Contract(participant=c.participant.id, import_mw=c.import_mw) for c in members]
        if connection_id == "park-220kv":
            contracts.append(Contract(participant=energy.id, import_mw=20.0, export_mw=export_mw))
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
