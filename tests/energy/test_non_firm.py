"""Firm and non-firm contract capacity: the non-firm part is there only in the share of each step
its availability gives, alone and pooled alike.

By hand: a needs 8 MW (curtailable at 300 EUR/MWh), with 5 MW firm and 5 MW non-firm there
fully, not at all and half in the three hours; b needs 2 MW on 5 MW firm; electricity 50
EUR/MWh, the connection's own limit (20 MW) never binds. Alone, a imports 8, 5 and 7.5 MW and
curtails 3 + 0.5 MWh: 1025 + 1050 = 2075 EUR; b pays 300. Together the pool has 15, 10 and
12.5 MW for 10 MW of load: 1500 EUR.
"""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.energy import CoalitionCosts, compare
from clusterhub.errors import InputError
from clusterhub.model import Cluster, dumps, loads

HEAD = """\
name: Non-firm
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: 1h, periods: 3}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: 50}}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: a-load, site: a-site, carrier: electricity, profile_mw: 8,
         flexibility: {{curtailable_share: 1.0, curtailment_penalty_eur_per_mwh: 300}}}}
  - id: b
    name: B
    nace: C24.10
    sites: [{{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: b-load, site: b-site, carrier: electricity, profile_mw: 2}}
  - {{id: grid-co, name: Grid Co, kind: grid_operator}}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 20
    export_limit_mw: 0
    contracts:
      - {{participant: a, import_mw: 5, non_firm_import_mw: 5,
         non_firm_availability: {availability}}}
      - {{participant: b, import_mw: 5}}
"""


def _cluster(availability: str = "[1, 0, 0.5]") -> Cluster:
    return loads(HEAD.format(availability=availability))


def test_the_non_firm_part_counts_only_when_it_is_there() -> None:
    result = compare(_cluster())
    assert result.standalone_cost_eur["a"] == pytest.approx(2075.0)
    assert result.standalone_cost_eur["b"] == pytest.approx(300.0)
    assert result.joint.total_cost_eur == pytest.approx(1500.0)
    imported = result.standalone.dispatch.contract_import.sel(contract="a@grid").values
    np.testing.assert_allclose(imported, [8.0, 5.0, 7.5], atol=1e-6)
    limit = result.joint.congestion.limit_mw.sel(connection="grid").values
    np.testing.assert_allclose(limit, [15.0, 10.0, 12.5], atol=1e-6)


def test_coalitions_pool_what_each_member_has_in_each_step() -> None:
    costs = CoalitionCosts(_cluster())
    assert costs(["a"]) == pytest.approx(2075.0)
    assert costs(["a", "b"]) == pytest.approx(1500.0)


def test_an_always_available_non_firm_part_is_firm() -> None:
    firm = compare(_cluster("1"))
    assert firm.standalone_cost_eur["a"] == pytest.approx(8 * 3 * 50.0)  # 10 MW, never short


def test_the_contract_round_trips() -> None:
    cluster = _cluster()
    again = loads(dumps(cluster))
    assert again.connections[0].contracts[0] == cluster.connections[0].contracts[0]


def test_an_availability_above_one_is_refused_by_its_field() -> None:
    with pytest.raises(InputError) as raised:
        _cluster("[1, 1.5, 0]")
    message = str(raised.value)
    assert "connections[0].contracts[0].non_firm_availability" in message
    assert "between 0 and 1" in message
    assert "step 2" in message
