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

from clusterhub.energy import meters as meter
from clusterhub.energy.data import DispatchData
from clusterhub.energy.meters import pooled

__all__ = ["Built", "build"]

#: Penalty on unserved demand: far above any price, so it is used only when nothing else can
#: serve the load (a participant alone without a contract, say) and it keeps every case feasible.
LOST_LOAD_EUR_PER_MWH = 10_000.0


@dataclass(frozen=True)
class Built:
    model: linopy.Model
    data: DispatchData
    lost_load_eur_per_mwh: float
    parameters: Parameters
    #: where the binaries were built and with which big-M (``meters.meters``)
    meters: meter.Meters


def _by_node(
    expression: linopy.LinearExpression, node: xr.DataArray, nodes: tuple[str, ...]
) -> linopy.LinearExpression:
    """Sum an (item, time) expression into (node, time) on the full node list."""
    summed = expression.groupby(node.rename("node")).sum()
    return summed.reindex(node=list(nodes)).fillna(0)


@dataclass(frozen=True)
class Parameters:
    """The data-dependent numbers of the model: bounds, costs and right-hand sides.

    Why apart from the structure: a rolling horizon moves the same model to the next window by
    writing these numbers into the solver; the structure (which variables, which rows) stays.
    Costs are per MW and step (EUR), bounds in MW or MWh, right-hand sides in MW or MWh.
    """

    bounds: dict[str, tuple[xr.DataArray, xr.DataArray]]
    costs: dict[str, xr.DataArray]
    rhs: dict[str, xr.DataArray]
    #: where the meters' binaries are built, their big-M, and where they must be integral
    #: (``meters.meters``): integral there, relaxed elsewhere
    meters: meter.Meters


def parameters(data: DispatchData, *, lost_load_eur_per_mwh: float) -> Parameters:
    """Bounds, costs and right-hand sides of ``data``'s window."""
    time, dt = data.time, data.step_hours
    g, s, c, d = data.generators, data.storage, data.converters, data.demands
    ones = xr.DataArray(np.ones(len(time)), coords={"time": time})
    zero = 0.0 * ones
    k, conn = data.contracts, data.connections
    share_in = conn.import_share.sel(connection=k.connection).drop_vars("connection")
    share_out = conn.export_share.sel(connection=k.connection).drop_vars("connection")
    import_cost = conn.import_cost.sel(connection=k.connection).drop_vars("connection")
    export_value = conn.export_value.sel(connection=k.connection).drop_vars("connection")
    # the shift backlog must be back at zero at the end of every shift window and of the data
    step = data.start_step + np.arange(len(time))
    closing = ((step[None, :] + 1) % d.window_steps.values[:, None] == 0) | (
        np.arange(len(time)) == len(time) - 1
    )[None, :]
    coords = {"demand": d.demand, "time": time}
    bounds = {
        "demand-backlog": (
            xr.DataArray(np.where(closing, 0.0, -np.inf), coords=coords),
            xr.DataArray(np.where(closing, 0.0, np.inf), coords=coords),
        ),
        "generator-output": (g.available_mw.where(~g.curtailable, 0.0), g.available_mw),
        "storage-charge": (zero, s.charge_mw * ones),
        "storage-discharge": (zero, s.discharge_mw * ones),
        "storage-soc": (s.min_soc * s.energy_mwh * ones, s.energy_mwh * ones),
        "converter-flow": (zero, c.max_flow_mw),
        "demand-shift-down": (zero, d.profile_mw * d.shiftable_share),
        "demand-shift-up": (
            zero,
            (d.profile_mw * d.max_increase).where(d.shiftable_share > 0, 0.0),
        ),
        "demand-curtailment": (zero, d.profile_mw * d.curtailable_share),
        "demand-lost": (zero, d.profile_mw),
        "link-flow": (zero, data.links.capacity_mw * ones),
        "contract-import": (zero, k.import_mw * share_in),
        "contract-export": (zero, k.export_mw * share_out),
    }
    costs = {
        "generator-output": dt * g.marginal_cost * ones,
        "converter-flow": dt * c.variable_cost * ones,
        "demand-curtailment": dt * d.curtailment_penalty * ones,
        "demand-lost": dt * lost_load_eur_per_mwh * xr.ones_like(d.profile_mw),
        # MWh, not MW: a carried backlog that cannot be honoured is written off as lost load
        "demand-backlog-waived-up": lost_load_eur_per_mwh * xr.ones_like(d.profile_mw),
        "demand-backlog-waived-down": lost_load_eur_per_mwh * xr.ones_like(d.profile_mw),
        "market-buy": dt * data.purchases.cost,
        "market-sell": -dt * data.sales.value,
        "contract-import": dt * import_cost,
        "contract-export": -dt * export_value,
        "connection-import": dt * conn.import_cost,
        "connection-export": -dt * conn.export_value,
    }
    ones_c = xr.ones_like(c.max_flow_mw)
    bounds["converter-on"] = (0.0 * ones_c, ones_c)
    bounds["converter-start"] = (0.0 * ones_c, ones_c)
    costs["converter-start"] = c.start_cost * ones_c
    steps_from_start = xr.DataArray(np.arange(len(time)), coords={"time": time})
    was_on = c.initially_on * ones_c
    rhs_commitment = {
        # start[0] >= on[0] - on before the horizon
        "converter-start-first": -was_on,
        # starts in the last D steps <= 1 - on D steps ago (before the horizon: as it was)
        "converter-min-down": (1.0 - was_on).where(steps_from_start < c.min_down_steps, 1.0),
    }
    # an agreement's delivery is fixed (what the buyer receives: what the seller sends less a
    # line's losses, paid as received); the slacks keep a party that cannot deliver or take it
    # alone feasible, at the lost-load penalty; but what a buyer cannot take of a share of a
    # curtailable plant is curtailed at the plant, at no cost (still paid: a pay-as-produced
    # agreement pays the deemed output)
    sent = data.agreement_delivery()
    efficiency = data.agreements.efficiency
    received = sent * efficiency
    price = data.agreements.price * dt * xr.ones_like(sent)
    penalty = lost_load_eur_per_mwh * dt * xr.ones_like(sent)
    bounds |= {
        "agreement-out": (sent, sent),
        "agreement-in": (received, received),
        "agreement-shortfall": (0.0 * sent, sent),
        "agreement-surplus": (0.0 * received, received),
    }
    costs |= {
        "agreement-out": -price * efficiency,
        "agreement-in": price,
        "agreement-shortfall": penalty,
        "agreement-surplus": penalty.where(~data.agreement_curtailable(), 0.0),
    }
    peak_bounds, peak_costs, peak_rhs = _peak_parameters(data)
    bounds |= peak_bounds
    costs |= peak_costs
    first = xr.DataArray(np.arange(len(time)) == 0, coords={"time": time})
    rhs = (
        peak_rhs
        | rhs_commitment
        | {
            "node-balance": (
                d.profile_mw.groupby(d.node.rename("node")).sum()
                if d.sizes["demand"]  # xarray cannot group nothing: a cluster of producers only
                else xr.DataArray(np.zeros((0, len(time))), coords={"node": [], "time": time})
            ).reindex(node=list(data.nodes), fill_value=0.0),
            "storage-start": (s.retention * s.initial_soc * s.energy_mwh).broadcast_like(first),
            "demand-backlog-start": d.backlog_mwh.broadcast_like(first),
            "connection-import-limit": pooled(k, conn, "import"),
            "connection-export-limit": pooled(k, conn, "export"),
        }
    )
    return Parameters(bounds=bounds, costs=costs, rhs=rhs, meters=meter.meters(data, bounds))


#: An agreement's columns: the delivery out of the seller's node and into the buyer's (fixed,
#: equal but for a line's losses), and the slacks of a party alone that cannot deliver or take it.
AGREEMENT_COLUMNS = ("agreement-out", "agreement-in", "agreement-shortfall", "agreement-surplus")


#: The sides of a meter a capacity tariff can charge: (side, rate in the data, the pool's flow,
#: a member's own flow).
PEAK_SIDES = (
    ("import", "capacity_rate_in", "connection-import", "contract-import"),
    ("export", "capacity_rate_out", "connection-export", "contract-export"),
)


def charged(data: DispatchData, rate: str) -> tuple[xr.DataArray, xr.DataArray]:
    """Which connections and which contracts a capacity tariff charges on ``rate``'s side."""
    at = data.connections[rate] > 0
    return at, at.sel(connection=data.contracts.connection).drop_vars("connection")


def _peak_parameters(
    data: DispatchData,
) -> tuple[
    dict[str, tuple[xr.DataArray, xr.DataArray]], dict[str, xr.DataArray], dict[str, xr.DataArray]
]:
    """Bounds, costs and right-hand sides of the running peaks (see ``_add_peaks``).

    The peak of a meter's period is charged at the period's last step in the data: its rate
    times the share of the period's hours the horizon covers (``covered_hours``). Across a
    period's first step the running peak starts afresh (an infinite right-hand side frees
    the carry row)."""
    conn, k = data.connections, data.contracts
    period = conn.capacity_period
    last = period != period.shift(time=-1)  # NaN after the last step: always the last of its period
    carry = xr.zeros_like(period).where(period == period.shift(time=1), np.inf)
    bounds: dict[str, tuple[xr.DataArray, xr.DataArray]] = {}
    costs: dict[str, xr.DataArray] = {}
    rhs: dict[str, xr.DataArray] = {}
    for side, rate, _, _ in PEAK_SIDES:
        charge = (conn[rate] * conn.covered_hours / conn.period_hours).where(last, 0.0)
        for meter_name, on in (("connection", None), ("contract", k.connection)):
            name = f"{meter_name}-{side}-peak"
            cost = charge if on is None else charge.sel(connection=on).drop_vars("connection")
            gap = carry if on is None else carry.sel(connection=on).drop_vars("connection")
            bounds[name] = (0.0 * cost, xr.full_like(cost, np.inf))
            costs[name] = cost
            rhs[f"{name}-carry"] = gap
    return bounds, costs, rhs


def build(
    data: DispatchData,
    *,
    lost_load_eur_per_mwh: float = LOST_LOAD_EUR_PER_MWH,
    carry_shift: bool = False,
    meters: meter.Meters | None = None,
) -> Built:
    """Variables, constraints and objective for ``data``; no solve.

    ``carry_shift`` states shifted demand as a running backlog per step, closed by bounds at
    the end of every shift window, instead of one sum per window. A rolling horizon needs it:
    its windows start anywhere in a shift window, the backlog carries across, and the structure
    stays the same whatever the start, so the model is updated, not rebuilt. It costs a column
    and a row per shiftable demand and step, so a single solve keeps the sums.

    ``meters`` says where a meter gets its import-or-export binary (default: the hours of
    ``data`` whose prices reward doing both at once, ``meters.meters``); a rolling horizon passes
    every two-way meter, at every step (``meters(..., every_window=True)``).
    """
    m = linopy.Model(force_dim_names=True)
    time = data.time
    dt = data.step_hours
    g, s, d = data.generators, data.storage, data.demands
    p = parameters(data, lost_load_eur_per_mwh=lost_load_eur_per_mwh)

    def bounded(name: str, where: xr.DataArray | None = None) -> linopy.Variable:
        lower, upper = p.bounds[name]
        mask = None if where is None else where & xr.ones_like(upper, dtype=bool)
        return m.add_variables(lower=lower, upper=upper, name=name, mask=mask)

    gen = bounded("generator-output")
    charge = bounded("storage-charge")
    discharge = bounded("storage-discharge")
    soc = bounded("storage-soc")
    flow = bounded("converter-flow")
    _add_commitment(m, data, p, flow)
    # flexibility columns exist only for demands that have that flexibility: fewer columns
    shift_down = bounded("demand-shift-down", d.shiftable_share > 0)
    shift_up = bounded("demand-shift-up", d.shiftable_share > 0)
    curtail = bounded("demand-curtailment", d.curtailable_share > 0)
    lost = bounded("demand-lost")
    link = bounded("link-flow")
    own_import = bounded("contract-import")
    own_export = bounded("contract-export")
    agreed = {name: bounded(name) for name in AGREEMENT_COLUMNS}
    buy = m.add_variables(
        lower=0, coords=[data.purchases.indexes["purchase"], time], name="market-buy"
    )
    sell = m.add_variables(lower=0, coords=[data.sales.indexes["sale"], time], name="market-sell")
    draw = m.add_variables(coords=[data.draws.indexes["draw"], time], name="grid-draw")
    k = data.contracts
    conn = data.connections
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
    balance = linopy.merge(
        [
            _by_node(1 * gen, g.node, data.nodes),
            _by_node(discharge - charge, s.node, data.nodes),
            _by_node(converter_terms, terms.node, data.nodes),
            # absent flexibility columns count as zero (explicitly: linopy v1 would drop the row)
            _by_node(
                shift_down.fillna(0) - shift_up.fillna(0) + curtail.fillna(0) + lost,
                d.node,
                data.nodes,
            ),
            _by_node(-1 * link, data.links.from_node, data.nodes),
            _by_node(link * data.links.efficiency, data.links.to_node, data.nodes),
            _by_node(1 * buy, data.purchases.node, data.nodes),
            _by_node(-1 * sell, data.sales.node, data.nodes),
            _by_node(1 * draw, data.draws.node, data.nodes),
            _by_node(
                agreed["agreement-shortfall"] - agreed["agreement-out"],
                data.agreements.seller_node,
                data.nodes,
            ),
            _by_node(
                agreed["agreement-in"] - agreed["agreement-surplus"],
                data.agreements.buyer_node,
                data.nodes,
            ),
        ],
        cls=linopy.LinearExpression,
    )
    m.add_constraints(balance == p.rhs["node-balance"], name="node-balance")

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
        == p.rhs["storage-start"],
        name="storage-start",
        mask=carried,
    )

    # --- flexible demand: energy moved within fixed windows is conserved -------------------------
    if carry_shift:
        _add_backlog(m, data, p, shift_up, shift_down)
    step = xr.DataArray(data.start_step + np.arange(len(time)), coords={"time": time})
    for steps in np.unique(d.window_steps.values) if not carry_shift else ():
        members = d.demand.where((d.window_steps == steps) & (d.shiftable_share > 0), drop=True)
        if len(members) == 0:
            continue
        moved = shift_up.sel(demand=members.values) - shift_down.sel(demand=members.values)
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
    m.add_constraints(
        grid_import <= p.rhs["connection-import-limit"], name="connection-import-limit"
    )
    m.add_constraints(
        grid_export <= p.rhs["connection-export-limit"], name="connection-export-limit"
    )
    # --- one direction per meter and hour where prices would reward both (``meters``) --------
    meters = meters if meters is not None else p.meters
    meter.add(
        m,
        meters,
        {
            "connection-import": grid_import,
            "connection-export": grid_export,
            "contract-import": own_import,
            "contract-export": own_export,
        },
    )

    _add_peaks(
        m,
        data,
        p,
        {
            "connection-import": grid_import,
            "connection-export": grid_export,
            "contract-import": own_import,
            "contract-export": own_export,
        },
    )

    # --- objective: every cost is per MW and step, so the sum is EUR over the window ------------
    # one merge of all terms: chained additions re-align the growing expression every time
    masked = {"demand-shift-down", "demand-shift-up", "demand-curtailment"} | _BACKLOG_WAIVED
    masked |= {
        f"{meter}-{side}-peak" for meter in ("connection", "contract") for side, *_ in PEAK_SIDES
    }
    masked |= {"converter-on", "converter-start"}
    parts = [
        ((m.variables[name].fillna(0) if name in masked else m.variables[name]) * cost).sum()
        for name, cost in p.costs.items()
        if name in m.variables
    ]
    m.add_objective(linopy.merge(parts, cls=linopy.LinearExpression))
    return Built(
        model=m,
        data=data,
        lost_load_eur_per_mwh=lost_load_eur_per_mwh,
        parameters=p,
        meters=meters,
    )


_BACKLOG_WAIVED = {"demand-backlog-waived-up", "demand-backlog-waived-down"}


def _add_backlog(
    m: linopy.Model,
    data: DispatchData,
    p: Parameters,
    shift_up: linopy.Variable,
    shift_down: linopy.Variable,
) -> None:
    """backlog[t] = backlog[t-1] + dt (up - down), starting from the carried backlog.

    The carried backlog comes from a plan made on a forecast; when the actual demand leaves too
    little room to honour it, the part that cannot be is waived at the lost-load penalty (two
    columns at the first step only), so every window stays feasible.
    """
    d, dt = data.demands, data.step_hours
    first = xr.DataArray(np.arange(len(data.time)) == 0, coords={"time": data.time})
    shiftable = (d.shiftable_share > 0) & xr.ones_like(d.profile_mw, dtype=bool)
    lower, upper = p.bounds["demand-backlog"]
    backlog = m.add_variables(lower=lower, upper=upper, name="demand-backlog", mask=shiftable)
    waived = {
        name: m.add_variables(lower=xr.zeros_like(d.profile_mw), name=name, mask=shiftable & first)
        for name in sorted(_BACKLOG_WAIVED)
    }
    # masked slots count as zero (explicitly: linopy v1 would drop the row)
    moved = dt * (shift_up.fillna(0) - shift_down.fillna(0))
    backlog_ = backlog.fillna(0)
    m.add_constraints(
        backlog_ - backlog_.roll(time=1) - moved == 0,
        name="demand-backlog",
        mask=shiftable & ~first,
    )
    m.add_constraints(
        backlog_
        - moved
        - waived["demand-backlog-waived-up"].fillna(0)
        + waived["demand-backlog-waived-down"].fillna(0)
        == p.rhs["demand-backlog-start"],
        name="demand-backlog-start",
        mask=shiftable & first,
    )


def _add_peaks(
    m: linopy.Model,
    data: DispatchData,
    p: Parameters,
    flows: dict[str, linopy.Variable],
) -> None:
    """A running peak per charged meter and step: peak[t] >= flow[t], and peak[t] >= peak[t-1]
    within a period, so a period's last step holds its highest flow, which alone is charged.

    Why running and not one column per period: which steps belong to which period then lives
    only in right-hand sides and costs, so a rolling horizon moves the same model across a
    month's end by writing numbers, and carries the peak a month has already set in as the
    first step's lower bound. Only meters with a tariff get the columns."""
    first = xr.DataArray(np.arange(len(data.time)) == 0, coords={"time": data.time})
    for side, rate, pooled_flow, own_flow in PEAK_SIDES:
        at_connection, at_contract = charged(data, rate)
        for meter_name, flow, on in (
            ("connection", flows[pooled_flow], at_connection),
            ("contract", flows[own_flow], at_contract),
        ):
            if not bool(on.any()):
                continue
            name = f"{meter_name}-{side}-peak"
            lower, upper = p.bounds[name]
            where = on & xr.ones_like(upper, dtype=bool)
            peak = m.add_variables(lower=lower, upper=upper, name=name, mask=where)
            m.add_constraints(flow - peak.fillna(0) <= 0, name=f"{name}-cover", mask=where)
            m.add_constraints(
                peak.fillna(0).roll(time=1) - peak.fillna(0) <= p.rhs[f"{name}-carry"],
                name=f"{name}-carry",
                mask=where & ~first,
            )


def _add_commitment(
    m: linopy.Model, data: DispatchData, p: Parameters, flow: linopy.Variable
) -> tuple[linopy.Variable | None, linopy.Variable | None]:
    """On/off and start-up per committed converter and step, and ramp limits per converter.

    flow <= capacity * on and flow >= minimum load * on; start[t] >= on[t] - on[t-1]; a unit
    started in the last U steps is on (minimum up time); a unit started in the last D steps was
    off D steps ago (minimum down time, Rajan and Takriti's form, no stop columns); the flow
    changes by at most the ramp per step. ``on`` is a share in [0, 1] here: the solver makes it
    binary when unit commitment is asked for (``Solver(unit_commitment=True)``), and the linear
    relaxation is the default. Rows only for the converters that have each property.
    """
    c = data.converters
    time = data.time
    first = xr.DataArray(np.arange(len(time)) == 0, coords={"time": time})
    ones = xr.ones_like(c.max_flow_mw, dtype=bool)
    ramped = np.isfinite(c.ramp_mw)
    if bool(ramped.any()) and len(time) > 1:
        change = flow - flow.roll(time=1)
        where = (ramped & ones) & ~first
        m.add_constraints(change <= c.ramp_mw.where(ramped, 0.0), name="converter-ramp-up",
                          mask=where)  # fmt: skip
        m.add_constraints(-1 * change <= c.ramp_mw.where(ramped, 0.0), name="converter-ramp-down",
                          mask=where)  # fmt: skip
    committed = c.committed & ones
    if not bool(c.committed.any()):
        return None, None
    lower, upper = p.bounds["converter-on"]
    on = m.add_variables(lower=lower, upper=upper, name="converter-on", mask=committed)
    start = m.add_variables(lower=0.0 * lower, upper=upper, name="converter-start", mask=committed)
    on_, start_ = on.fillna(0), start.fillna(0)
    m.add_constraints(flow - c.capacity * on_ <= 0, name="converter-on-max", mask=committed)
    m.add_constraints(flow - c.min_load_mw * on_ >= 0, name="converter-on-min",
                      mask=committed & (c.min_load_mw > 0))  # fmt: skip
    m.add_constraints(start_ - on_ + on_.roll(time=1) >= 0, name="converter-start",
                      mask=committed & ~first)  # fmt: skip
    m.add_constraints(start_ - on_ >= p.rhs["converter-start-first"],
                      name="converter-start-first", mask=committed & first)  # fmt: skip
    step = xr.DataArray(np.arange(len(time)), coords={"time": time})
    up, down = c.min_up_steps, c.min_down_steps
    for k_max, name in ((int(up.max(initial=0)), "up"), (int(down.max(initial=0)), "down")):
        if k_max < 2:
            continue
        span = up if name == "up" else down
        # the starts of the last ``span`` steps (before the horizon: none)
        recent = linopy.merge(
            [start_.shift(time=k).fillna(0) * (span > k).astype(float) for k in range(k_max)],
            cls=linopy.LinearExpression,
        )
        if name == "up":
            m.add_constraints(on_ - recent >= 0, name="converter-min-up",
                              mask=committed & (span >= 2))  # fmt: skip
        else:
            before = linopy.merge(
                [on_.shift(time=int(d)).fillna(0) * (span == d).astype(float)
                 for d in np.unique(span.values) if d >= 2],
                cls=linopy.LinearExpression,
            )  # fmt: skip
            m.add_constraints(
                before + recent <= p.rhs["converter-min-down"],
                name="converter-min-down",
                mask=committed & (span >= 2) & xr.ones_like(step, dtype=bool),
            )
    return on, start
