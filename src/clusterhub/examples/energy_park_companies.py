"""The companies of the ``energy-park`` example: each drawn from its sector template (its
electricity, heat and hydrogen demand, its converters and storage, what its contract must allow),
and the park energy company whose wind and PV are sized to the park's demand.

Why apart from the builder: a company's assets follow from its sector and the seeded draw alone;
the builder only joins the companies behind the park's connections and links.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clusterhub.examples.energy_park_figures import (
    BATTERY_EFFICIENCY,
    E_BOILER_EFFICIENCY,
    ELECTROLYSER_EFFICIENCY,
    ELECTROLYSER_MW,
    GAS_BOILER_EFFICIENCY,
    HEAT_PUMP_COP,
    HOURS,
    HYDROGEN_MW,
    LATITUDE,
    LONGITUDE,
    PV,
    PV_CF,
    RENEWABLE_SHARE,
    SEED,
    WIND,
    WIND_CF,
    WIND_SHARE,
)
from clusterhub.examples.energy_park_sectors import PEAK_FACTOR, PLACES, Profile, Sector
from clusterhub.model import (
    Asset,
    Converter,
    Demand,
    DemandlibProfile,
    Generator,
    Participant,
    Series,
    ShapeProfile,
    Site,
    Storage,
)

__all__ = ["Company", "company", "energy_company"]


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
class Company:
    """A drawn company and what the park's connections and links need to know of it."""

    participant: Participant
    connection: str
    import_mw: float
    demand_mw: float  # average electricity demand (the 80% renewable target refers to it)
    electric_mw: float  # average electricity for demand, heat and hydrogen (import sizing)


def company(sector: Sector, number: int, n: int, rng: np.random.Generator) -> Company:
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
    return Company(participant, sector.connection, float(np.ceil(import_mw)), mean_mw, electric_mw)


def energy_company(electricity_mwh: float) -> tuple[Participant, float, float]:
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
