"""Fixtures for storage tests: a fresh database on each backend, and small clusters.

Why both backends in every test: the platform runs on SQLite on a laptop and PostgreSQL when
scaled, with the same code; a difference between them is exactly what these tests must catch.
"""

from __future__ import annotations

import pytest

from clusterhub.model import Cluster, loads

CLUSTER_YAML = """\
name: Test Harbour
location: {latitude: 51.95, longitude: 4.14, place: Testport, country: NL}
timezone: Europe/Amsterdam
horizon: {start: 2024-03-01T00:00:00, resolution: 1h, periods: 4}
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: 80}
  - {id: steam, kind: steam, temperature_c: 180, price_eur_per_unit: [30, 31, 32, 33]}
participants:
  - id: acme
    name: Acme Chemicals
    nace: C20.14
    sites: [{id: plant, latitude: 51.95, longitude: 4.14}]
    assets:
      - {type: demand, id: load, site: plant, carrier: electricity, profile_mw: 2.5}
  - id: boilerco
    name: Boiler Co
    nace: D35.3
    sites: [{id: works, latitude: 51.96, longitude: 4.15}]
    assets:
      - {type: demand, id: steam-load, site: works, carrier: steam, profile_mw: [1, 2, 3, 4]}
"""

FILE_CLUSTER_YAML = """\
name: File Harbour
location: {latitude: 51.95, longitude: 4.14}
timezone: Europe/Amsterdam
horizon: {start: 2024-03-01T00:00:00, resolution: 1h, periods: 4}
carriers:
  - id: electricity
    kind: electricity
    price_eur_per_unit: {file: series/prices.csv, column: eur_per_mwh}
participants:
  - id: acme
    name: Acme Chemicals
    nace: C20.14
    sites: [{id: plant, latitude: 51.95, longitude: 4.14}]
    assets:
      - id: load
        type: demand
        site: plant
        carrier: electricity
        profile_mw: {file: series/load.csv, column: acme_mw}
"""

FILE_CLUSTER_FILES = {
    "series/prices.csv": "time,eur_per_mwh\n"
    "2024-03-01T00:00:00+01:00,81.25\n2024-03-01T01:00:00+01:00,79.5\n"
    "2024-03-01T02:00:00+01:00,-3.75\n2024-03-01T03:00:00+01:00,0.1\n",
    "series/load.csv": "time,acme_mw\n"
    "2024-03-01T00:00:00+01:00,1.5\n2024-03-01T01:00:00+01:00,2\n"
    "2024-03-01T02:00:00+01:00,2.25\n2024-03-01T03:00:00+01:00,3.125\n",
}


@pytest.fixture
def cluster() -> Cluster:
    return loads(CLUSTER_YAML)


@pytest.fixture
def changed_cluster() -> Cluster:
    return loads(CLUSTER_YAML.replace("name: Boiler Co", "name: Boiler Company"))


@pytest.fixture
def file_cluster() -> Cluster:
    return loads(FILE_CLUSTER_YAML, files=FILE_CLUSTER_FILES)
