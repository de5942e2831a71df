"""The joint dispatch linear program, built once over (item, time) blocks with linopy.

Why one model for every question: joint, stand-alone and coalition dispatch differ only in which
variables may be non-zero and in a few right-hand sides (who may trade, whose contract counts), so
they share one built model whose bounds the solver wrapper changes; nothing is rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

import linopy
import numpy as np
import xarray as xr

from clusterhub.energy.data import DispatchData

__all__ = ["Built", "build"]

#: Penalty on unserved demand: far above any price, so it is used only when nothing else can
#: serve the load (a participant alone without a contract, say) and it keeps every case feasible.
LOST_LOAD_EUR_PER_MWH = 10_000.0


@dataclass(frozen=True)
class Built:
    model: linopy.Model
    data: DispatchData


def _by_node(
    expression: linopy.LinearExpression, node: xr.DataArray, nodes: tuple[str, ...]
) -> linopy.LinearExpression:
    """Sum an (item, time) expression into (node, time) on the full node list."""
    summed = expression.groupby(node.rename("node")).sum()
    return summed.reindex(node=list(nodes)).fillna(0)


def build(data: DispatchData, *, lost_load_eur_per_mwh: float = LOST_LOAD_EUR_PER_MWH) -> Built:
    """Variables, constraints and objective for ``data``; no solve."""
    m = linopy.Model(force_dim_names=True)
    time = data.time
    dt = data.step_hours
    g, s, c, d = data.generators, data.storage, data.converters, data.demands
    ones = xr.DataArray(np.ones(len(time)), coords={"time": time})

    gen = m.add_variables(
        lower=g.available_mw.where(~g.curtailable, 0.0),
        upper=g.available_mw,
        name="generator-output",
    )
    charge = m.add_variables(lower=0, upper=s.charge_mw * ones, name="storage-charge")
    discharge = m.add_variables(lower=0, upper=s.discharge_mw * ones, name="storage-discharge")
    soc = m.add_variables(
        lower=(s.min_soc * s.energy_mwh) * ones, upper=s.energy_mwh * ones, name="storage-soc"
    )
    flow = m.add_variables(lower=0, upper=c.max_flow_mw, name="converter-flow")
    shiftable = d.profile_mw * d.shiftable_share
    shift_down = m.add_variables(lower=0, upper=shiftable, name="demand-shift-down")
    shift_up = m.add_variables(
        lower=0,
        upper=(d.profile_mw * d.max_increase).where(d.shiftable_share > 0, 0.0),
        name="demand-shift-up",
    )
    curtail = m.add_variables(
        lower=0, upper=d.profile_mw * d.curtailable_share, name="demand-curtailment"
    )
    lost = m.add_variables(lower=0, upper=d.profile_mw, name="demand-lost")
    link = m.add_variables(lower=0, upper=data.links.capacity_mw * ones, name="link-flow")
    buy = m.add_variables(
        lower=0, coords=[data.purchases.indexes["purchase"], time], name="market-buy"
    )
    sell = m.add_variables(lower=0, coords=[data.sales.indexes["sale"], time], name="market-sell")
    draw = m.add_variables(coords=[data.draws.indexes["draw"], time], name="grid-draw")
    k = data.contracts
    conn = data.connections
    share_in = conn.import_share.sel(connection=k.connection).drop_vars("connection")
    share_out = conn.export_share.sel(connection=k.connection).drop_vars("connection")
    own_import = m.add_variables(lower=0, upper=k.import_mw * share_in, name="contract-import")
    own_export = m.add_variables(lower=0, upper=k.export_mw * share_out, name="contract-export")
    pool = m.add_variables(coords=[k.indexes["contract"], time], name="contract-pool")
    grid_import = m.add_variables(
        lower=0, coords=[conn.indexes["connection"], time], name="connection-import"
    )
    grid_export = m.add_variables(
        lower=0, coords=[conn.indexes["connection"], time], name="connection-export"
    )

    # --- energy balance at every node and step ----------------------------------------------
    terms = data.converter_terms
    converter_terms = flow.sel(converter=terms.converter) * terms.coefficient
    balance = (
        _by_node(1 * gen, g.node, data.nodes)
        + _by_node(discharge - charge, s.node, data.nodes)
        + _by_node(converter_terms, terms.node, data.nodes)
        + _by_node(shift_down - shift_up + curtail + lost, d.node, data.nodes)
        + _by_node(-1 * link, data.links.from_node, data.nodes)
        + _by_node(link * data.links.efficiency, data.links.to_node, data.nodes)
        + _by_node(1 * buy, data.purchases.node, data.nodes)
        + _by_node(-1 * sell, data.sales.node, data.nodes)
        + _by_node(1 * draw, data.draws.node, data.nodes)
    )
    demand_at_node = (
        d.profile_mw.groupby(d.node.rename("node"))
        .sum()
        .reindex(node=list(data.nodes), fill_value=0.0)
    )
    m.add_constraints(balance == demand_at_node, name="node-balance")

    # --- storage ------------------------------------------------------------------------------
    first = xr.DataArray(np.arange(len(time)) == 0, coords={"time": time})
    carried = first & ~s.cyclic
    m.add_constraints(
        soc
        - s.retention * soc.roll(time=1)
        - s.eta_charge * dt * charge
        + dt / s.eta_discharge * discharge
        == 0,
        name="storage-balance",
        mask=~carried,
    )
    m.add_constraints(
        soc - s.eta_charge * dt * charge + dt / s.eta_discharge * discharge
        == (s.retention * s.initial_soc * s.energy_mwh).broadcast_like(first),
        name="storage-start",
        mask=carried,
    )

    # --- flexible demand: energy moved within fixed windows is conserved -------------------------
    step = xr.DataArray(data.start_step + np.arange(len(time)), coords={"time": time})
    for steps in np.unique(d.window_steps.values):
        members = d.demand.where((d.window_steps == steps) & (d.shiftable_share > 0), drop=True)
        if len(members) == 0:
            continue
        moved = (shift_up - shift_down).sel(demand=members.values)
        window = (step // int(steps)).rename("window")
        m.add_constraints(moved.groupby(window).sum() == 0, name=f"demand-window-{int(steps)}")

    # --- the grid: each site draws from its contract or from the shared pool ----------------------
    m.add_constraints(
        draw.groupby(data.draws.contract.rename("contract"))
        .sum()
        .reindex(contract=list(k.contract.values))
        - own_import
        + own_export
        - pool
        == 0,
        name="contract-balance",
    )
    m.add_constraints(
        pool.groupby(k.connection.rename("connection"))
        .sum()
        .reindex(connection=list(conn.connection.values))
        - grid_import
        + grid_export
        == 0,
        name="connection-balance",
    )
    m.add_constraints(grid_import <= _pooled(k, conn, "import"), name="connection-import-limit")
    m.add_constraints(grid_export <= _pooled(k, conn, "export"), name="connection-export-limit")

    # --- objective ------------------------------------------------------------------------------
    import_cost = conn.import_cost.sel(connection=k.connection).drop_vars("connection")
    export_value = conn.export_value.sel(connection=k.connection).drop_vars("connection")
    m.add_objective(
        dt
        * (
            (gen * g.marginal_cost).sum()
            + (flow * c.variable_cost).sum()
            + (curtail * d.curtailment_penalty).sum()
            + lost.sum() * lost_load_eur_per_mwh
            + (buy * data.purchases.cost).sum()
            - (sell * data.sales.value).sum()
            + (own_import * import_cost).sum()
            - (own_export * export_value).sum()
            + (grid_import * conn.import_cost).sum()
            - (grid_export * conn.export_value).sum()
        )
    )
    return Built(model=m, data=data)


def _pooled(k: xr.Dataset, conn: xr.Dataset, side: str) -> xr.DataArray:
    """Capacity of the whole cluster at each connection: the sum of its members' contracts, cut
    pro rata when the operator's limit is lower (the grand coalition's right-hand side)."""
    contracted = (
        k[f"{side}_mw"]
        .groupby(k.connection.rename("connection"))
        .sum()
        .reindex(connection=list(conn.connection.values), fill_value=0.0)
    )
    return contracted * conn[f"{side}_share"]
