"""Unit commitment: minimum load, start-up cost, minimum up and down times, ramp limits; the linear
relaxation by default, binaries on request. Every figure is computed by hand.

A gas boiler (10 MW, gas 30 EUR/MWh, efficiency 1, on before the horizon) and an electric boiler
(10 MW, electricity 100 EUR/MWh) serve a heat load; no heat can be dumped.
"""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.energy import DispatchOptions, compare, simulate
from clusterhub.errors import InputError
from clusterhub.model import Cluster, dumps, loads

HEAD = """\
name: Unit commitment
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: 1h, periods: 3}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: 100}}
  - {{id: gas, kind: natural_gas, price_eur_per_unit: 30}}
  - {{id: heat, kind: heat, temperature_c: 90}}
participants:
  - id: a
    name: A
    nace: C10.51
    sites: [{{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: heat-load, site: a-site, carrier: heat, profile_mw: {load}}}
      - {{type: converter, id: gas-boiler, site: a-site, technology: gas_boiler, capacity_mw: 10,
         inputs: {{gas: 1}}, outputs: {{heat: 1.0}}, {unit}}}
      - {{type: converter, id: e-boiler, site: a-site, technology: electric_boiler,
         capacity_mw: 10, inputs: {{electricity: 1}}, outputs: {{heat: 1.0}}}}
  - {{id: grid-co, name: Grid Co, kind: grid_operator}}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 20
    export_limit_mw: 0
    contracts: [{{participant: a, import_mw: 20}}]
"""

BINARY = DispatchOptions(unit_commitment=True)


def _cluster(unit: str, load: str = "[2, 8, 8]") -> Cluster:
    return loads(HEAD.format(unit=unit, load=load))


def _gas(result: object) -> np.ndarray:
    flow = result.dispatch.converter_flow.sel(converter="gas-boiler")  # type: ignore[attr-defined]
    return np.asarray(flow.values)


MIN_LOAD = "min_load_fraction: 0.5, start_up_cost_eur: 50"


def test_a_minimum_load_forces_a_stop_and_a_start() -> None:
    """2 MW is below the gas boiler's 5 MW minimum: off in the first hour (the electric boiler,
    200 EUR), started for the two 8 MW hours (480 + 50 EUR)."""
    alone = compare(_cluster(MIN_LOAD), options=BINARY).standalone
    assert alone.total_cost_eur == pytest.approx(730.0)
    np.testing.assert_allclose(_gas(alone), [0.0, 8.0, 8.0], atol=1e-6)
    assert alone.cost_parts_eur["start-up"] == pytest.approx(50.0)
    assert alone.unit_commitment == "binary"
    assert alone.gap_pct is not None
    assert alone.gap_pct <= 0.01


def test_the_linear_relaxation_is_the_default_and_says_so() -> None:
    """Relaxed, on/off is a share: on can be 0.4 at 2 MW (2 >= 0.5 x 10 x 0.4) and 0.8 at 8 MW,
    so the gas boiler runs all 18 MWh (540 EUR) and 0.4 of a start is paid (20 EUR): 560, a lower
    bound on the 730 the binaries give."""
    alone = compare(_cluster(MIN_LOAD)).standalone
    assert alone.total_cost_eur == pytest.approx(560.0)
    assert alone.unit_commitment == "relaxed"


def test_a_minimum_down_time_keeps_the_unit_off() -> None:
    """Off in the first hour, with 2 hours down at least it cannot start in the second:
    10 MWh electric (1000 EUR), then 8 MWh of gas and a start (290 EUR)."""
    alone = compare(_cluster(MIN_LOAD + ", min_down_hours: 2"), options=BINARY).standalone
    assert alone.total_cost_eur == pytest.approx(1290.0)
    np.testing.assert_allclose(_gas(alone), [0.0, 0.0, 8.0], atol=1e-6)


def test_a_minimum_up_time_forbids_a_short_run() -> None:
    """8, 2 and 8 MW, off before: freely the boiler runs, stops and starts again (50 + 240 +
    200 + 50 + 240 = 780 EUR); held 3 hours once on, a start in the first hour would need it on
    at 2 MW, below its minimum: it starts only in the last (800 + 200 + 50 + 240 = 1290)."""
    unit = MIN_LOAD + ", initially_on: false"
    free = compare(_cluster(unit, "[8, 2, 8]"), options=BINARY).standalone
    assert free.total_cost_eur == pytest.approx(780.0)
    held = compare(_cluster(unit + ", min_up_hours: 3", "[8, 2, 8]"), options=BINARY).standalone
    assert held.total_cost_eur == pytest.approx(1290.0)
    np.testing.assert_allclose(_gas(held), [0.0, 0.0, 8.0], atol=1e-6)


def test_a_ramp_limit_slows_the_unit() -> None:
    """3 MW per hour: from 2 MW the gas boiler reaches 5 and then 8; the electric boiler makes
    the 3 MW it lacks in the second hour: 15 x 30 + 3 x 100 = 750 EUR (a linear program)."""
    alone = compare(_cluster("ramp_fraction_per_hour: 0.3")).standalone
    assert alone.total_cost_eur == pytest.approx(750.0)
    np.testing.assert_allclose(_gas(alone), [2.0, 5.0, 8.0], atol=1e-6)
    assert alone.unit_commitment is None


def test_a_rolling_horizon_carries_the_units_state() -> None:
    """Hour by hour with binaries: the boiler stopped in the first hour is off when the second
    window starts, so its start is paid there (730, the optimum); a state not carried would
    start every window 'on' and never pay it."""
    rolled = simulate(_cluster(MIN_LOAD), window_hours=1, commit_hours=1, options=BINARY)
    assert rolled.perfect_foresight_cost_eur == pytest.approx(730.0)
    assert rolled.realized_cost_eur == pytest.approx(730.0)


def test_the_unit_round_trips_and_bad_values_are_refused() -> None:
    cluster = _cluster(MIN_LOAD + ", min_up_hours: 3, ramp_fraction_per_hour: 0.5")
    assert loads(dumps(cluster)) == cluster
    with pytest.raises(InputError) as caught:
        _cluster("start_up_cost_eur: -5")
    assert "participants[0].assets[1].start_up_cost_eur" in str(caught.value)
    with pytest.raises(InputError) as caught:
        _cluster("ramp_fraction_per_hour: 0")
    assert "participants[0].assets[1].ramp_fraction_per_hour" in str(caught.value)


def test_the_copy_for_the_command_line_test_is_this_case() -> None:
    from pathlib import Path

    from clusterhub.model import read_cluster

    path = Path(__file__).parents[1] / "data" / "energy" / "unit-commitment.yaml"
    assert read_cluster(path) == _cluster(MIN_LOAD)
