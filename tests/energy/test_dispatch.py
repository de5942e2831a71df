"""Hand-solvable dispatch cases: the optimum, the dispatch and the connection's shadow price."""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.energy import CoalitionCosts, compare, optimize
from clusterhub.model import Cluster


def test_pooling_a_shared_connection(shared_connection: Cluster) -> None:
    # A needs 9 MW, B 2 MW, each hour at 50 EUR/MWh; the connection takes 10 MW, contracted 5 + 5.
    # Alone, A draws its 5 MW and curtails 4 MW at 300 EUR/MWh: 3 h x (5*50 + 4*300) = 4350;
    # B pays 3 h x 2*50 = 300. Together they draw 10 MW and curtail 1: 3 h x (10*50 + 300) = 2400.
    result = compare(shared_connection)
    assert result.joint.total_cost_eur == pytest.approx(2400.0)
    assert result.standalone.total_cost_eur == pytest.approx(4650.0)
    assert result.standalone_cost_eur["a"] == pytest.approx(4350.0)
    assert result.standalone_cost_eur["b"] == pytest.approx(300.0)
    assert result.saving_eur == pytest.approx(2250.0)
    assert result.saving_pct == pytest.approx(100 * 2250 / 4650)
    imports = result.joint.dispatch["connection_import"].sel(connection="grid")
    assert imports.values == pytest.approx([10.0, 10.0, 10.0])
    # one more MW of connection saves one MW of curtailment at 300 instead of buying at 50
    value = result.joint.connection_value_eur_per_mwh.sel(connection="grid")
    assert value.values == pytest.approx([250.0, 250.0, 250.0])
    assert result.joint.congested_hours["grid"] == pytest.approx(3.0)
    assert result.joint.cost_parts_eur["penalties"] == pytest.approx(900.0)


def test_storage_and_boilers(storage_and_boilers: Cluster) -> None:
    # Prices 20, 100, 90 EUR/MWh. The battery (5 MW, lossless, empty at start) charges in the
    # cheap hour and covers the 5 MW load in the dearest hour. Steam (9 MW) comes from the
    # electric boiler (eta 0.9) in hour 0 and from the gas boiler (eta 0.9, gas 40 + 0.2 t x
    # 50 EUR/t = 55.6 per MWh of steam) after. Electricity: (5 + 5 + 10) * 20 + 0 + 5 * 90 = 850;
    # gas: 2 * 10 * 50 = 1000 (of which 200 carbon).
    result = optimize(storage_and_boilers)
    assert result.total_cost_eur == pytest.approx(1850.0)
    assert result.cost_parts_eur["carbon"] == pytest.approx(200.0)
    assert result.emissions_t == pytest.approx(4.0)
    d = result.dispatch
    assert d["storage_charge"].sel(storage="battery").values == pytest.approx([5, 0, 0])
    assert d["storage_discharge"].sel(storage="battery").values == pytest.approx([0, 5, 0])
    assert d["storage_soc"].sel(storage="battery").values == pytest.approx([5, 0, 0])
    assert d["converter_flow"].sel(converter="e-boiler").values == pytest.approx([10, 0, 0])
    assert d["converter_flow"].sel(converter="gas-boiler").values == pytest.approx([0, 10, 10])


def test_steam_line_with_losses(steam_line: Cluster) -> None:
    # B's steam (9 MW) from its electric boiler costs 100/0.99 = 101.01 EUR/MWh; A's gas boiler
    # makes it for 40/0.9 = 44.44 and the line loses 10%: 49.38 delivered. 3 h x 9 MW.
    result = compare(steam_line)
    alone = 3 * 9 * 100 / 0.99
    together = 3 * 9 / 0.9 * 40 / 0.9
    assert result.standalone.total_cost_eur == pytest.approx(alone)
    assert result.joint.total_cost_eur == pytest.approx(together)
    flow = result.joint.dispatch["link_flow"].sel(link="line:fwd").values
    assert flow == pytest.approx([10.0, 10.0, 10.0])


def test_coalition_costs_match_joint_and_standalone(shared_connection: Cluster) -> None:
    costs = CoalitionCosts(shared_connection)
    alone = costs.standalone()
    assert costs(["a"]) == pytest.approx(alone["a"])
    assert costs(["b"]) == pytest.approx(alone["b"])
    assert costs(["a", "b"]) == pytest.approx(2400.0)
    assert costs([]) == pytest.approx(0.0)
    before = costs.solves
    costs(["b", "a"])
    assert costs.solves == before  # cached, order does not matter
    assert np.isclose(costs(["a", "b", "grid-co"]), 2400.0)
