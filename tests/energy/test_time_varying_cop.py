"""A converter's output that varies in time: a heat pump's COP of 2, 4 and 3 in three hours.

By hand: 6 MW of heat in every hour at 50 EUR/MWh of electricity takes 3, 1.5 and 2 MW:
325 EUR. With a heat store, the hours after the COP-4 hour are made in it: 3 MWh in the first
hour (nothing stored yet), 3 MWh for 12 MWh of heat in the second, 300 EUR.
"""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.energy import compare, simulate
from clusterhub.errors import InputError
from clusterhub.model import Cluster, dumps, loads

HEAD = """\
name: COP
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: 1h, periods: 3}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: 50}}
  - {{id: heat, kind: heat, temperature_c: 70}}
participants:
  - id: a
    name: A
    nace: C10.51
    sites: [{{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: heat-load, site: a-site, carrier: heat, profile_mw: 6}}
      - {{type: converter, id: heat-pump, site: a-site, technology: {technology},
         capacity_mw: 5, inputs: {{electricity: 1}}, outputs: {{heat: {cop}}}}}
{store}  - {{id: grid-co, name: Grid Co, kind: grid_operator}}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 20
    export_limit_mw: 0
    contracts: [{{participant: a, import_mw: 20}}]
"""

STORE = """\
      - {type: storage, id: tank, site: a-site, technology: heat, carrier: heat,
         energy_capacity_mwh: 20, charge_capacity_mw: 20, discharge_capacity_mw: 20,
         initial_soc_fraction: 0, cyclic: false}
"""


def _cluster(
    cop: str = "[2, 4, 3]", *, store: bool = False, technology: str = "heat_pump"
) -> Cluster:
    return loads(HEAD.format(cop=cop, store=STORE if store else "", technology=technology))


def _electricity(result: object) -> np.ndarray:
    flow = result.dispatch.converter_flow.sel(converter="heat-pump")  # type: ignore[attr-defined]
    return np.asarray(flow.values)


def test_the_cop_of_each_hour_sets_the_electricity_it_takes() -> None:
    alone = compare(_cluster()).standalone
    assert alone.total_cost_eur == pytest.approx(325.0)
    np.testing.assert_allclose(_electricity(alone), [3.0, 1.5, 2.0], atol=1e-6)
    # the balance reports the heat made at each hour's COP
    made = alone.balance.converter_output.sel(node="a-site|heat").values
    np.testing.assert_allclose(made, [6.0, 6.0, 6.0], atol=1e-6)


def test_a_heat_store_moves_the_heat_to_the_best_hour() -> None:
    alone = compare(_cluster(store=True)).standalone
    assert alone.total_cost_eur == pytest.approx(300.0)
    np.testing.assert_allclose(_electricity(alone), [3.0, 3.0, 0.0], atol=1e-6)


def test_a_rolling_horizon_writes_each_windows_cop() -> None:
    """Hour by hour, each window must see its own COP: kept at the first hour's 2, the three
    hours would take 3 MW each (450 EUR)."""
    rolled = simulate(_cluster(), window_hours=1, commit_hours=1)
    assert rolled.realized_cost_eur == pytest.approx(325.0)
    assert rolled.perfect_foresight_cost_eur == pytest.approx(325.0)
    ahead = simulate(_cluster(store=True), window_hours=3, commit_hours=1)
    assert ahead.realized_cost_eur == pytest.approx(300.0)


def test_a_constant_cop_is_the_same_as_before() -> None:
    assert compare(_cluster("3")).standalone.total_cost_eur == pytest.approx(3 * 2 * 50.0)


@pytest.mark.parametrize(
    ("cop", "technology", "expected", "found"),
    [
        ("[2, 12, 3]", "heat_pump", "a coefficient of performance <= 10", "12 in step 2"),
        ("[2, -1, 3]", "heat_pump", "a positive value in every step", "-1 in step 2"),
        ("[0.9, 1.1, 0.9]", "electric_boiler", "an efficiency in (0, 1]", "1.1 in step 2"),
        ("0", "heat_pump", "outputs.heat > 0", "0"),
    ],
)
def test_a_bad_coefficient_is_refused_naming_its_step(
    cop: str, technology: str, expected: str, found: str
) -> None:
    with pytest.raises(InputError) as caught:
        _cluster(cop, technology=technology)
    message = str(caught.value)
    assert "participants[0].assets[1]" in message
    assert expected in message
    assert found in message


def test_a_cop_profile_round_trips() -> None:
    cluster = _cluster()
    again = loads(dumps(cluster))
    assert again == cluster
    assert again.participants[0].assets[1].outputs["heat"] == (2.0, 4.0, 3.0)  # type: ignore[union-attr]
