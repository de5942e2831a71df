"""A solved run turned into a ``DispatchResult``: costs by kind, emissions, the dispatch arrays,
each participant's energy and grid draw, every node's balance and each connection's congestion.

Why from the solver's run and the gathered data, in the engine: only here are the owners, the
node of every item and the limit each run had known without re-parsing labels; every face reads
the figures off the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from clusterhub.energy.attribution import cost_by_participant
from clusterhub.energy.data import DispatchData, node_ends
from clusterhub.energy.meters import BINARIES, net
from clusterhub.energy.model import PEAK_SIDES, charged
from clusterhub.energy.results import DispatchResult, Peak
from clusterhub.energy.solver import Run, Solver
from clusterhub.energy.variables import DISPATCH, OWN_ENERGY, OWNED, ROLES

__all__ = ["summarize_run"]

#: A pooled import at or above this fraction of its limit (less this many MW) is congested;
#: relative, because an interior-point solution (large models) sits within its tolerance of it.
AT_LIMIT, AT_LIMIT_MW = 1 - 1e-6, 1e-6


def summarize_run(solver: Solver, run: Run) -> DispatchResult:
    """Everything a user reads off one run of ``solver`` (right after it: the limits it had)."""
    data: DispatchData = solver.built.data
    dt = data.step_hours
    v = {name: solver.values(run, name) for name in DISPATCH}
    for _, inflow, outflow in BINARIES:  # as the meter counts: the net, one way
        v[inflow], v[outflow] = net(v[inflow], v[outflow])
    conn = data.connections
    by_connection = data.contracts.connection.rename("connection")
    names = list(conn.connection.values)

    def per_connection(values: xr.DataArray) -> xr.DataArray:
        return values.groupby(by_connection).sum().reindex(connection=names, fill_value=0.0)

    imports = v["connection-import"] + per_connection(v["contract-import"])
    exports = v["connection-export"] + per_connection(v["contract-export"])
    purchases = data.purchases
    carbon = dt * float(
        (v["market-buy"] * purchases.carbon_cost).sum() + (imports * conn.carbon_cost).sum()
    )
    network = dt * float((imports * conn.tariff_in).sum() + (exports * conn.tariff_out).sum())
    d = data.demands
    penalties = dt * float(
        (v["demand-curtailment"] * d.curtailment_penalty).sum()
        + v["demand-lost"].sum() * solver.built.lost_load_eur_per_mwh
    ) + sum(_column_cost(solver, run, f"agreement-{slack}") for slack in ("shortfall", "surplus"))
    emissions = dt * float(
        (v["market-buy"] * purchases.emission_factor).sum() + (imports * conn.emission_factor).sum()
    )
    capacity = solver.upper_bounds("connection-import-limit")
    congested = (capacity > 1e-9) & (v["connection-import"] >= capacity * AT_LIMIT - AT_LIMIT_MW)
    value = (-solver.duals(run, "connection-import-limit") / dt).clip(min=0.0) + 0.0
    value = value.rename("connection_value").assign_attrs(
        units="EUR/MWh",
        description="value of one more MW of import capacity at the connection, per hour",
    )
    congestion = xr.Dataset(
        {
            "import_mw": imports.assign_attrs(units="MW"),
            "limit_mw": capacity.assign_attrs(units="MW"),
            "congested": congested,
        }
    ).transpose("connection", "time")
    peaks = _peaks(data, v)
    capacity_charges = sum(_column_cost(solver, run, name) for name in PEAK_COLUMNS)
    starts = _column_cost(solver, run, "converter-start")
    return DispatchResult(
        total_cost_eur=run.objective,
        cost_parts_eur={
            "energy": run.objective - carbon - network - penalties - capacity_charges - starts,
            "network": network,
            "capacity": capacity_charges,
            "start-up": starts,
            "carbon": carbon,
            "penalties": penalties,
        },
        emissions_t=emissions,
        cost_by_participant_eur=cost_by_participant(solver, run),
        dispatch=xr.Dataset(
            {name.replace("-", "_"): _labelled(data, name, array) for name, array in v.items()}
        ),
        connection_value_eur_per_mwh=value,
        congested_hours={c: float(congested.sel(connection=c).sum()) * dt for c in names},
        solve_seconds=run.seconds,
        energy_by_participant_mwh=_energy(data, v),
        grid_draw_mw=_grid_draw(data, v["grid-draw"]),
        balance=_balance(data, v),
        congestion=congestion,
        one_way_hours=_one_way_hours(solver, run),
        peaks=peaks,
        unit_commitment=(
            None
            if "converter-on" not in solver.built.model.variables
            else "binary"
            if solver.unit_commitment
            else "relaxed"
        ),
        **_bounds(run),
    )


def _column_cost(solver: Solver, run: Run, name: str) -> float:
    """The objective's part on a variable's columns (0 where the model has none)."""
    if name not in solver.built.model.variables:
        return 0.0
    columns = solver.columns(name)
    return float(np.sum(solver.cost[columns] * run.columns[columns]))


#: The running-peak columns of capacity tariffs (``model._add_peaks``).
PEAK_COLUMNS = tuple(
    f"{meter}-{side}-peak" for side, *_ in PEAK_SIDES for meter in ("connection", "contract")
)


def _peaks(data: DispatchData, v: dict[str, xr.DataArray]) -> tuple[Peak, ...]:
    """Each charged meter's highest flow in each period, where it was, and its charge: the
    rate times the share of the period the run covers, as the objective counts it."""
    conn = data.connections
    found: list[Peak] = []
    for side, rate, pooled_flow, own_flow in PEAK_SIDES:
        at_connection, at_contract = charged(data, rate)
        share = conn[rate] * conn.covered_hours / conn.period_hours  # EUR per MW of peak
        for flow, on, dim in (
            (v[pooled_flow], at_connection, "connection"),
            (v[own_flow], at_contract, "contract"),
        ):
            for meter in on[dim].values[on.values]:
                connection = (
                    meter
                    if dim == "connection"
                    else str(data.contracts.connection.sel(contract=meter).values)
                )
                series = flow.sel({dim: meter}).values
                period = conn.capacity_period.sel(connection=connection).values
                for label in np.unique(period):
                    steps = np.flatnonzero(period == label)
                    best = steps[int(np.argmax(series[steps]))]
                    if series[best] <= 1e-9:
                        continue
                    found.append(
                        Peak(
                            meter=str(meter),
                            side=side,
                            period=_period_label(
                                int(label), bool(conn.capacity_monthly.sel(connection=connection))
                            ),
                            peak_mw=float(series[best]),
                            at=pd.Timestamp(data.time[best]).tz_convert("UTC"),
                            charge_eur=float(
                                series[best] * share.sel(connection=connection).values[best]
                            ),
                        )
                    )
    return tuple(found)


def _period_label(label: int, monthly: bool) -> str:
    return f"{label // 12}-{label % 12 + 1:02d}" if monthly else str(label)


def _bounds(run: Run) -> dict[str, Any]:
    """How far from the best ``run`` can be, when it had binaries (see ``DispatchResult``)."""
    b = run.bounds
    if b is None:
        return {}
    return {
        "one_way_method": b.method,
        "gap_pct": 100.0 * b.gap,
        "lower_bound_eur": b.lower,
        "upper_bound_eur": b.upper,
    }


def _one_way_hours(solver: Solver, run: Run) -> dict[str, float]:
    """Per meter, the hours ``run`` held it to one direction (see ``DispatchResult``)."""
    hours: dict[str, float] = {}
    if not len(run.one_way):
        return hours
    dt = solver.built.data.step_hours
    for binary, _, _ in BINARIES:
        if binary not in solver.built.model.variables:
            continue
        positions = solver.column_positions(binary)
        held = positions.copy(data=np.isin(positions.values, run.one_way)).sum("time") * dt
        meter_dim = str(positions.dims[0])
        for name, value in zip(positions[meter_dim].values, held.values, strict=True):
            if value > 0:
                hours[str(name)] = float(value)
    return hours


def _labelled(data: DispatchData, name: str, array: xr.DataArray) -> xr.DataArray:
    """The array with its unit and, for an owned item, its participant as a coordinate."""
    array = array.rename(name.replace("-", "_")).assign_attrs(units=DISPATCH[name])
    if name in OWNED:
        owners = getattr(data, OWNED[name]).participant
        dimension = str(owners.dims[0])
        coordinate = f"{dimension}_{ROLES[name]}"
        array = array.assign_coords({coordinate: owners.variable}).assign_attrs(owner=coordinate)
    return array


def _owner_index(data: DispatchData, name: str) -> np.ndarray:
    """The position in ``data.participants`` of the owner of each item of variable ``name``."""
    index = {p: i for i, p in enumerate(data.participants)}
    return np.array([index[p] for p in getattr(data, OWNED[name]).participant.values], dtype=int)


def _energy(data: DispatchData, v: dict[str, xr.DataArray]) -> dict[str, dict[str, float]]:
    """Each participant's MWh over the window of every flow it owns (``OWN_ENERGY``)."""
    n = len(data.participants)
    totals = {}
    for name in OWN_ENERGY:
        dimension = str(getattr(data, OWNED[name]).participant.dims[0])
        per_item = v[name].transpose(dimension, "time").values.sum(axis=1)
        totals[name] = data.step_hours * np.bincount(
            _owner_index(data, name), weights=per_item, minlength=n
        )
    return {
        p: {name: float(total[i]) for name, total in totals.items()}
        for i, p in enumerate(data.participants)
    }


def _grid_draw(data: DispatchData, draw: xr.DataArray) -> xr.DataArray:
    """The draws of each participant's sites summed, over (participant, time); 0 without one."""
    out = np.zeros((len(data.participants), len(data.time)))
    np.add.at(out, _owner_index(data, "grid-draw"), draw.transpose("draw", "time").values)
    return xr.DataArray(
        out,
        coords={"participant": list(data.participants), "time": data.time},
        dims=("participant", "time"),
        name="grid_draw",
        attrs={"units": "MW", "description": "drawn from the connections, positive when drawing"},
    )


def _balance(data: DispatchData, v: dict[str, xr.DataArray]) -> xr.Dataset:
    """Every node's supply by source and use, and the demand it served (see ``DispatchResult``).

    Why the kinds of flow come from the dispatch's own variables and not the solver's rows:
    "supply minus use is the demand served" is then a check on the dispatch (the tests make
    it), not an identity.
    """
    index = {node: i for i, node in enumerate(data.nodes)}
    shape = (len(data.nodes), len(data.time))

    def at_nodes(values: xr.DataArray, nodes: xr.DataArray) -> np.ndarray:
        """``values`` (item, time) summed into their nodes; NaN at a node without such items."""
        out = np.full(shape, np.nan)
        rows = np.array([index[str(n)] for n in nodes.values], dtype=int)
        out[rows] = 0.0
        np.add.at(out, rows, values.transpose(nodes.dims[0], "time").values)
        return out

    g, s, d, links, k = (
        data.generators,
        data.storage,
        data.demands,
        data.links,
        data.converter_terms,
    )
    flows = v["converter-flow"].sel(converter=k.converter) * k.coefficient
    draw = v["grid-draw"]
    served = (
        d.profile_mw
        - v["demand-shift-down"]
        + v["demand-shift-up"]
        - v["demand-curtailment"]
        - v["demand-lost"]
    )
    output = {"term": np.flatnonzero(k.output.values)}
    taken = {"term": np.flatnonzero(~k.output.values)}
    parts = {
        "supply": {
            "generation": at_nodes(v["generator-output"], g.node),
            "storage_discharge": at_nodes(v["storage-discharge"], s.node),
            "converter_output": at_nodes(flows.isel(output), k.node.isel(output)),
            "market_purchase": at_nodes(v["market-buy"], data.purchases.node),
            # bought by agreement; and what a seller alone could not deliver (penalised)
            "agreement_delivery": at_nodes(v["agreement-in"], data.agreements.buyer_node),
            "agreement_shortfall": at_nodes(v["agreement-shortfall"], data.agreements.seller_node),
            "grid_import": at_nodes(draw.clip(min=0.0), data.draws.node),
            "link_inflow": at_nodes(v["link-flow"] * links.efficiency, links.to_node),
        },
        "use": {
            "storage_charge": at_nodes(v["storage-charge"], s.node),
            "converter_input": at_nodes(-flows.isel(taken), k.node.isel(taken)),
            "link_outflow": at_nodes(v["link-flow"], links.from_node),
            "market_sale": at_nodes(v["market-sell"], data.sales.node),
            # sold by agreement; and what a buyer alone could not take (penalised)
            "agreement_sale": at_nodes(v["agreement-out"], data.agreements.seller_node),
            "agreement_surplus": at_nodes(v["agreement-surplus"], data.agreements.buyer_node),
            "grid_export": at_nodes(-draw.clip(max=0.0), data.draws.node),
        },
        "served": {"served": at_nodes(served, d.node)},
    }
    ends = [node_ends(node) for node in data.nodes]
    return xr.Dataset(
        {
            name: (("node", "time"), values, {"units": "MW", "side": side})
            for side, named in parts.items()
            for name, values in named.items()
        },
        coords={
            "node": list(data.nodes),
            "site": ("node", [site for site, _ in ends]),
            "carrier": ("node", [carrier for _, carrier in ends]),
            "time": data.time,
        },
    )
