"""Invariants of the dispatch on the bundled examples: balances close, limits hold, storage is
continuous, and working together never costs more than working alone."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from clusterhub.energy import CoalitionCosts, CollaborationResult, DispatchOptions, compare
from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.meters import BINARIES
from clusterhub.energy.model import build
from clusterhub.energy.solver import Solver
from clusterhub.examples import load_example

TOL = 1e-5
WINDOW = DispatchOptions(start=24 * 180, steps=48)  # two summer days: PV, negative prices


@pytest.fixture(scope="module", params=["harbour", "energy-park"])
def case(request: pytest.FixtureRequest) -> tuple[DispatchData, CollaborationResult]:
    cluster = load_example(request.param)
    return gather(cluster, start=WINDOW.start, steps=WINDOW.steps), compare(cluster, options=WINDOW)


def _by_node(values: xr.DataArray, node: xr.DataArray, nodes: tuple[str, ...]) -> xr.DataArray:
    if values.size == 0:
        return xr.DataArray(0.0)
    return values.groupby(node.rename("node")).sum().reindex(node=list(nodes), fill_value=0.0)


def _residual(data: DispatchData, d: xr.Dataset) -> xr.DataArray:
    """Supply minus use at every node and step, recomputed from the dispatch alone."""
    nodes = data.nodes
    terms = data.converter_terms
    converter = d.converter_flow.sel(converter=terms.converter) * terms.coefficient
    links = data.links
    dem = data.demands
    supply = (
        _by_node(d.generator_output, data.generators.node, nodes)
        + _by_node(d.storage_discharge - d.storage_charge, data.storage.node, nodes)
        + _by_node(converter, terms.node, nodes)
        + _by_node(
            d.demand_shift_down - d.demand_shift_up + d.demand_curtailment + d.demand_lost,
            dem.node,
            nodes,
        )
        + _by_node(-d.link_flow, links.from_node, nodes)
        + _by_node(d.link_flow * links.efficiency, links.to_node, nodes)
        + _by_node(d.market_buy, data.purchases.node, nodes)
        - _by_node(d.market_sell, data.sales.node, nodes)
        + _by_node(d.grid_draw, data.draws.node, nodes)
        + _by_node(d.agreement_in - d.agreement_surplus, data.agreements.buyer_node, nodes)
        + _by_node(d.agreement_shortfall - d.agreement_out, data.agreements.seller_node, nodes)
    )
    return supply - _by_node(dem.profile_mw, dem.node, nodes)


def test_every_node_balances_every_step(case: tuple[DispatchData, CollaborationResult]) -> None:
    data, result = case
    for run in (result.joint, result.standalone):
        assert float(abs(_residual(data, run.dispatch)).max()) < TOL


def test_limits_hold(case: tuple[DispatchData, CollaborationResult]) -> None:
    data, result = case
    d = result.joint.dispatch
    assert (d.generator_output <= data.generators.available_mw + TOL).all()
    conn, k = data.connections, data.contracts
    pooled = (
        k.import_mw.groupby(k.connection.rename("connection"))
        .sum()
        .reindex(connection=list(conn.connection.values), fill_value=0.0)
        * conn.import_share
    )
    assert (d.connection_import <= pooled + TOL).all()
    assert (d.connection_import <= conn.import_limit_mw + TOL).all()
    alone = result.standalone.dispatch
    share = conn.import_share.sel(connection=k.connection).drop_vars("connection")
    assert (alone.contract_import <= k.import_mw * share + TOL).all()
    assert float(abs(alone.contract_pool).max()) < TOL  # nobody trades when alone
    s = data.storage
    for run in (d, alone):
        assert (run.storage_soc <= s.energy_mwh + TOL).all()
        assert (run.storage_soc >= s.min_soc * s.energy_mwh - TOL).all()


def test_state_of_charge_is_continuous(case: tuple[DispatchData, CollaborationResult]) -> None:
    data, result = case
    s, dt = data.storage, data.step_hours
    for run in (result.joint.dispatch, result.standalone.dispatch):
        soc = run.storage_soc
        previous = soc.roll(time=1)
        start = (s.retention * s.initial_soc * s.energy_mwh).broadcast_like(soc)
        first = xr.DataArray(np.arange(soc.sizes["time"]) == 0, coords={"time": soc.time})
        previous = xr.where(first & ~s.cyclic, start / s.retention, previous)
        expected = (
            s.retention * previous
            + s.eta_charge * dt * run.storage_charge
            - dt / s.eta_discharge * run.storage_discharge
        )
        assert float(abs(soc - expected).max()) < TOL


def test_joint_never_costs_more_than_alone(case: tuple[DispatchData, CollaborationResult]) -> None:
    _, result = case
    assert result.joint.total_cost_eur <= result.standalone.total_cost_eur + TOL
    assert result.saving_eur >= -TOL
    total = sum(result.standalone_cost_eur.values())
    assert total == pytest.approx(result.standalone.total_cost_eur, rel=1e-9)


def test_coalitions_are_subadditive_on_the_harbour() -> None:
    costs = CoalitionCosts(load_example("harbour"), options=DispatchOptions(steps=24))
    alone = costs.standalone()
    companies = [p for p in costs.participants if alone[p] != 0.0]
    rng = np.random.default_rng(3)
    for _ in range(6):
        members = [p for p in companies if rng.random() < 0.5]
        split = int(rng.integers(0, len(members) + 1))
        left, right = members[:split], members[split:]
        assert costs(members) <= costs(left) + costs(right) + 1e-6
    assert costs(companies) <= sum(alone[p] for p in companies) + 1e-6


def test_the_results_node_balance_closes(case: tuple[DispatchData, CollaborationResult]) -> None:
    """Supply minus use is the demand served at every node and step of the result's balance,
    and the demand served is each node's demand less its flexibility."""
    data, result = case
    dem = data.demands
    for run in (result.joint, result.standalone):
        b = run.balance
        supply = sum(b[k].fillna(0.0) for k in b.data_vars if b[k].attrs["side"] == "supply")
        use = sum(b[k].fillna(0.0) for k in b.data_vars if b[k].attrs["side"] == "use")
        served = b.served.fillna(0.0)
        assert float(abs(supply - use - served).max()) < TOL
        d = run.dispatch
        flexible = d.demand_shift_down - d.demand_shift_up + d.demand_curtailment + d.demand_lost
        expected = _by_node(dem.profile_mw - flexible, dem.node, data.nodes)
        assert float(abs(served - expected).max()) < TOL


def test_congested_steps_are_at_the_limit(case: tuple[DispatchData, CollaborationResult]) -> None:
    data, result = case
    joint = result.joint
    c = joint.congestion
    assert (c.import_mw <= c.limit_mw + TOL).all()
    assert (abs(c.import_mw - c.limit_mw).where(c.congested, 0.0) < 1e-3).all()
    for connection, hours in joint.congested_hours.items():
        counted = float(c.congested.sel(connection=connection).sum()) * data.step_hours
        assert hours == pytest.approx(counted)


def test_each_participants_draw_adds_up(case: tuple[DispatchData, CollaborationResult]) -> None:
    data, result = case
    for run in (result.joint, result.standalone):
        drawn = run.grid_draw_mw.sum("time") * data.step_hours
        for participant, energy in run.energy_by_participant_mwh.items():
            assert energy["grid-draw"] == pytest.approx(float(drawn.sel(participant=participant)))
        assert float(run.grid_draw_mw.sum()) == pytest.approx(float(run.dispatch.grid_draw.sum()))


def test_no_meter_imports_and_exports_at_once(
    case: tuple[DispatchData, CollaborationResult],
) -> None:
    """From the solver's own columns, not the netted report: on the energy park's summer days
    the park's renewables could sell above the valley tariff, so binaries hold each meter."""
    data, result = case
    solver = Solver(build(data))
    for run in (solver.joint(), solver.standalone()):
        for _, inflow, outflow in BINARIES:
            both = np.minimum(solver.values(run, inflow), solver.values(run, outflow))
            assert float(both.max()) <= TOL
    for run in (result.joint, result.standalone):
        if run.gap_pct is not None:
            assert run.gap_pct <= 0.01 + 1e-9
            assert run.lower_bound_eur is not None
            assert run.lower_bound_eur <= run.total_cost_eur + TOL
