"""The saving split by cause: hand-computed splits, and the parts always add up to the saving.

Shared battery: electricity costs 20 then 100 EUR/MWh. A owns a 1 MW / 1 MWh battery and no
load, and may only import (1 MW); B has a 1 MW load and a 1 MW import contract. Alone A's
battery is useless (it could charge but has nowhere to discharge) and B pays 120. Together the
battery charges at 20 through the pool (2 MW in hour 1) and serves B in hour 2: 40. Neither
freeing the battery alone nor pooling the capacity alone changes anything (A may not send
power to B within its own contract; a battery held at its idle schedule stays idle), so the 80
is shared half and half between congestion relief and shared storage; netting is 0.

Netting: A's 1 MW of PV and B's 1 MW load, imports at 100 and exports at 30: alone A sells
for 30, B buys for 100 (70); behind one meter the PV serves B with every plant as alone: the
whole 70 is netting.
"""

from __future__ import annotations

import pytest

from clusterhub.energy import compare
from clusterhub.model import loads

HEAD = """\
name: Causes
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: 1h, periods: 2}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: {price},
     export_price_eur_per_unit: 30}}
participants:
  - id: a
    name: A
    nace: D35.11
    sites: [{{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
{a_assets}
  - id: b
    name: B
    nace: C20.14
    sites: [{{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: b-load, site: b-site, carrier: electricity, profile_mw: 1}}
connections:
  - id: grid
    import_limit_mw: 10
    export_limit_mw: 10
    contracts:
      - {{participant: a, import_mw: 1, export_mw: {a_export}}}
      - {{participant: b, import_mw: 1}}
"""

BATTERY = (
    "      - {type: storage, id: a-bat, technology: battery, site: a-site, carrier: electricity,"
    " energy_capacity_mwh: 1, charge_capacity_mw: 1, discharge_capacity_mw: 1,"
    " initial_soc_fraction: 0, cyclic: false}"
)
PV = (
    "      - {type: generator, id: a-pv, technology: pv, site: a-site, capacity_mw: 1,"
    " availability: 1}"
)


def test_a_shared_battery_needs_both_the_pool_and_the_battery() -> None:
    cluster = loads(HEAD.format(price="[20, 100]", a_assets=BATTERY, a_export=0))
    result = compare(cluster, causes=True)
    assert result.saving_eur == pytest.approx(80)
    split = result.saving_by_cause_eur
    assert split is not None
    assert split["netting"] == pytest.approx(0, abs=1e-6)
    assert split["congestion relief"] == pytest.approx(40)
    assert split["shared storage"] == pytest.approx(40)
    assert sum(split.values()) == pytest.approx(result.saving_eur)
    # causes without decisions in this cluster are left out
    assert "renewables" not in split
    assert "lines between members" not in split


def test_selling_to_a_neighbour_behind_one_meter_is_netting() -> None:
    cluster = loads(HEAD.format(price=100, a_assets=PV, a_export=1))
    result = compare(cluster, causes=True)
    assert result.saving_eur == pytest.approx(2 * 70)
    split = result.saving_by_cause_eur
    assert split is not None
    assert split["netting"] == pytest.approx(140)
    assert sum(abs(v) for k, v in split.items() if k != "netting") == pytest.approx(0, abs=1e-6)
    # what got cheaper: energy, every euro of it
    assert result.saving_by_cost_part_eur["energy"] == pytest.approx(140)
    assert sum(result.saving_by_cost_part_eur.values()) == pytest.approx(140)
    # B pays 200 alone and A earns 60: the bills are B's
    assert result.paying_cost_eur == pytest.approx(200)
    assert result.saving_pct_of_bills == pytest.approx(70)


def test_without_asking_there_is_no_split() -> None:
    cluster = loads(HEAD.format(price=100, a_assets=PV, a_export=1))
    assert compare(cluster).saving_by_cause_eur is None
