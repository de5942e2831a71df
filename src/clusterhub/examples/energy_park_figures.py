"""The figures the ``energy-park`` example is built from, each with its source, and the park's
sources list: read [V], background knowledge [B] or a plain assumption.

Why apart from the builder: the figures are what a reviewer checks against the sources; kept
in one place, each sits next to the line that cites it, and the sources list beside them.
"""

from __future__ import annotations

from clusterhub.model import PvProfile, WindProfile

__all__ = [
    "BATTERY_EFFICIENCY",
    "CNY_PER_EUR",
    "ELECTROLYSER_EFFICIENCY",
    "ELECTROLYSER_MW",
    "E_BOILER_EFFICIENCY",
    "GAS_BOILER_EFFICIENCY",
    "HEAT_PUMP_COP",
    "HOURS",
    "HYDROGEN_MW",
    "HYDROGEN_PRICE_EUR_PER_MWH",
    "LATITUDE",
    "LONGITUDE",
    "PPA_COVER",
    "PPA_PRICE_EUR_PER_MWH",
    "PV",
    "PV_CF",
    "RENEWABLE_SHARE",
    "SEED",
    "SOURCES",
    "WIND",
    "WIND_CF",
    "WIND_SHARE",
]

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

#: Green power bought by contract before the park dispatches together (the baseline its 10% is
#: measured against): every company on the 220 kV connection buys pay-as-produced shares of
#: the wind farm and the PV plant covering ``PPA_COVER`` of its annual electricity, at
#: ``PPA_PRICE_EUR_PER_MWH``, and may sell what it cannot use of them to the grid.
PPA_COVER = 0.8
#: Assumption [B]: Inner Mongolia green power trades about 0.28-0.32 CNY/kWh (the coal
#: benchmark plus a green premium); used 0.30 CNY/kWh = 38.5 EUR/MWh.
PPA_PRICE_EUR_PER_MWH = round(0.30 * 1000 / 7.8, 1)

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
    "[B] Inner Mongolia green power trading (direct supply to industry) about 0.28-0.32 "
    "CNY/kWh, the coal benchmark plus a green premium: the price of the park's power purchase "
    "agreements, 0.30 CNY/kWh (38.5 EUR/MWh).",
    "Assumption: before the park dispatches together, each company on the 220 kV connection "
    "buys pay-as-produced shares of the wind farm and the PV plant that cover 80% of its "
    "annual electricity (the park's renewable share), wind and PV in the park's proportion, "
    "and may sell to the grid at the coal benchmark price what it cannot use of them (export "
    "contracts as large as its shares): the baseline the park's saving is measured against. "
    "Calibrated: over four seasonal weeks the saving is 11.7% of what the paying companies "
    "spend alone (the Ordos park reports about 10%); the 220 kV substation still exports at "
    "most 600 MW, which the export contracts share pro rata when they exceed it.",
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
