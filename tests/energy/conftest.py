"""Small clusters whose optimal dispatch can be computed by hand."""

from __future__ import annotations

import pytest

from clusterhub.model import Cluster, loads

HEAD = """\
name: {name}
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: 1h, periods: 3}}
"""


def cluster(name: str, body: str) -> Cluster:
    return loads(HEAD.format(name=name) + body)


SHARED_CONNECTION = """\
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: 50}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: demand, id: a-load, site: a-site, carrier: electricity, profile_mw: 9,
         flexibility: {curtailable_share: 1.0, curtailment_penalty_eur_per_mwh: 300}}
  - id: b
    name: B
    nace: C24.10
    sites: [{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: demand, id: b-load, site: b-site, carrier: electricity, profile_mw: 2}
  - {id: grid-co, name: Grid Co, kind: grid_operator}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 10
    export_limit_mw: 0
    contracts: [{participant: a, import_mw: 5}, {participant: b, import_mw: 5}]
"""

STORAGE_AND_BOILERS = """\
carbon_price_eur_per_t: 50
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: [20, 100, 90]}
  - {id: gas, kind: natural_gas, price_eur_per_unit: 40, emission_factor_t_per_unit: 0.2}
  - {id: steam, kind: steam, temperature_c: 180}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: demand, id: load, site: a-site, carrier: electricity, profile_mw: 5}
      - {type: demand, id: steam-load, site: a-site, carrier: steam, profile_mw: 9}
      - {type: storage, id: battery, site: a-site, technology: battery, carrier: electricity,
         energy_capacity_mwh: 10, charge_capacity_mw: 5, discharge_capacity_mw: 5,
         initial_soc_fraction: 0, cyclic: false}
      - {type: converter, id: e-boiler, site: a-site, technology: electric_boiler,
         capacity_mw: 20, inputs: {electricity: 1}, outputs: {steam: 0.9}}
      - {type: converter, id: gas-boiler, site: a-site, technology: gas_boiler,
         capacity_mw: 20, inputs: {gas: 1}, outputs: {steam: 0.9}}
  - {id: grid-co, name: Grid Co, kind: grid_operator}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 100
    export_limit_mw: 0
    contracts: [{participant: a, import_mw: 100}]
"""

STEAM_LINE = """\
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: 100}
  - {id: gas, kind: natural_gas, price_eur_per_unit: 40}
  - {id: steam, kind: steam, temperature_c: 180}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{id: a-site, latitude: 51.9, longitude: 4.1}]
    assets:
      - {type: converter, id: a-boiler, site: a-site, technology: gas_boiler,
         capacity_mw: 50, inputs: {gas: 1}, outputs: {steam: 0.9}}
  - id: b
    name: B
    nace: C10.41
    sites: [{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: demand, id: b-steam, site: b-site, carrier: steam, profile_mw: 9}
      - {type: converter, id: b-e-boiler, site: b-site, technology: electric_boiler,
         capacity_mw: 50, inputs: {electricity: 1}, outputs: {steam: 0.99}}
  - {id: grid-co, name: Grid Co, kind: grid_operator}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 100
    export_limit_mw: 0
    contracts: [{participant: b, import_mw: 100}]
links:
  - {id: line, kind: steam_line, carrier: steam, source: a-site, target: b-site,
     capacity_mw: 20, loss_fraction: 0.1}
"""


@pytest.fixture
def shared_connection() -> Cluster:
    return cluster("Shared connection", SHARED_CONNECTION)


@pytest.fixture
def storage_and_boilers() -> Cluster:
    return cluster("Storage and boilers", STORAGE_AND_BOILERS)


@pytest.fixture
def steam_line() -> Cluster:
    return cluster("Steam line", STEAM_LINE)
