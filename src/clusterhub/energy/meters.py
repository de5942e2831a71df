"""One meter, one direction per hour: where export pays more than import costs, an on/off choice.

Why: import and export through a meter are two non-negative flows. In an hour whose export value
is above the import cost (a feed-in premium, a negative day-ahead price against a fixed import
tariff), the linear program would import and export at once through the same meter and book the
difference as profit: money no plant earns, since the meter nets the two. The cost of the net
flow is concave there, so no linear reformulation is exact; a binary per meter and hour
(``exporting``: 1 allows export only, 0 import only) with big-M rows is. Only those hours get
one: checked before building, so a model whose prices cannot cause it stays a linear program.

Two kinds of meter: a connection's (the pool, what the cluster trades jointly) and each
participant's own contract at it (what it trades alone). Hours of equal prices need none: netting
both flows there costs nothing, and the result reports the net (``summary``).
"""

from __future__ import annotations

from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr

from clusterhub.energy.data import DispatchData

__all__ = ["BINARIES", "PRICE_TOLERANCE", "Meters", "add", "meters", "needed", "net", "pooled"]

#: Prices closer than this (EUR/MWh) count as equal: no arbitrage to forbid.
PRICE_TOLERANCE = 1e-9
#: The binary variables and their meters' flows: (binary, import flow, export flow).
BINARIES = (
    ("connection-exporting", "connection-import", "connection-export"),
    ("contract-exporting", "contract-import", "contract-export"),
)


@dataclass(frozen=True)
class Meters:
    """Where the on/off choice exists: ``connection`` over (connection, time) and ``contract``
    over (contract, time) (or over the meters alone: every step), True where a binary is
    built; ``*_import_mw`` and ``*_export_mw`` the big-M of each meter (its largest import and
    export capacity over the data's time)."""

    connection: xr.DataArray
    contract: xr.DataArray
    connection_import_mw: xr.DataArray
    connection_export_mw: xr.DataArray
    contract_import_mw: xr.DataArray
    contract_export_mw: xr.DataArray
    #: per binary variable, the (meter, time) slots of ``data`` where it must be integral:
    #: prices reward both directions and the meter's sites could both draw and feed in (where
    #: one of the two big-M is zero, its row alone holds that flow at zero)
    integral: dict[str, xr.DataArray]
    #: per binary variable, the (meter, time) slots of ``data`` whose prices reward both
    #: directions: the meter is held to one (by its binary, or by a zero big-M)
    rewarded: dict[str, xr.DataArray]
    #: built for every window (``meters(..., every_window=True)``): big-M the capacities, so
    #: each window's binaries are integral wherever its prices reward both directions
    every_window: bool = False


def needed(data: DispatchData, *, priced: bool = True) -> dict[str, xr.DataArray]:
    """Per binary variable, the (meter, time) slots whose prices reward importing and
    exporting at once and whose contracts allow both: where a binary is built.
    ``priced=False`` leaves the prices out: every slot whose contracts allow both."""
    conn, k = data.connections, data.contracts
    rewarded = conn.export_value > conn.import_cost + PRICE_TOLERANCE
    if not priced:
        rewarded = xr.ones_like(rewarded)
    both_ways = (pooled(k, conn, "import") > 0) & (pooled(k, conn, "export") > 0)
    at = k.connection
    own = (
        rewarded.sel(connection=at).drop_vars("connection")
        & (k.import_mw * conn.import_share.sel(connection=at).drop_vars("connection") > 0)
        & (k.export_mw * conn.export_share.sel(connection=at).drop_vars("connection") > 0)
    )
    return {
        "connection-exporting": (rewarded & both_ways).transpose("connection", "time"),
        "contract-exporting": own.transpose("contract", "time"),
    }


def meters(
    data: DispatchData,
    bounds: dict[str, tuple[xr.DataArray, xr.DataArray]],
    *,
    every_window: bool = False,
) -> Meters:
    """The meters and hours of ``data`` that need an on/off choice, with their big-M.

    The big-M of a meter and hour is the least of its capacity and what its sites could draw
    or feed in at most (``bounds`` are the model's column bounds): a tight big-M is what keeps
    the linear relaxation close, and a meter whose sites cannot feed in (or draw) at all in an
    hour needs no binary then.

    ``every_window``: every meter that can import and export, at every step, whatever the
    prices (masks over the meters alone, big-M its largest capacity over the data's steps). A
    rolling horizon keeps one structure for windows whose prices and forecasts differ, so its
    big-M cannot rest on one window's availability; each window's ``rewarded`` then says where
    the binaries bind, and they are relaxed elsewhere, where they cannot change the optimum.
    """
    conn, k = data.connections, data.contracts
    at = k.connection
    low, high = _draw_range(data, bounds)
    by_contract = data.draws.contract.rename("contract")
    contracts = list(k.contract.values)
    own_low, own_high = (_sum_by(v, by_contract, "contract", contracts) for v in (low, high))
    by_connection = k.connection.rename("connection")
    names = list(conn.connection.values)
    pool_low, pool_high = (
        _sum_by(v, by_connection, "connection", names) for v in (own_low, own_high)
    )
    big = {
        "connection_import_mw": np.minimum(pooled(k, conn, "import"), pool_high.clip(min=0.0)),
        "connection_export_mw": np.minimum(pooled(k, conn, "export"), (-pool_low).clip(min=0.0)),
        "contract_import_mw": np.minimum(
            k.import_mw * conn.import_share.sel(connection=at).drop_vars("connection"),
            own_high.clip(min=0.0),
        ),
        "contract_export_mw": np.minimum(
            k.export_mw * conn.export_share.sel(connection=at).drop_vars("connection"),
            (-own_low).clip(min=0.0),
        ),
    }
    rewarded = needed(data)
    slots = needed(data, priced=not every_window)
    integral = {
        "connection-exporting": rewarded["connection-exporting"]
        & (big["connection_import_mw"] > 0)
        & (big["connection_export_mw"] > 0),
        "contract-exporting": rewarded["contract-exporting"]
        & (big["contract_import_mw"] > 0)
        & (big["contract_export_mw"] > 0),
    }
    if every_window:
        slots = {name: mask.any("time") for name, mask in slots.items()}
        capacity = {
            "connection_import_mw": pooled(k, conn, "import"),
            "connection_export_mw": pooled(k, conn, "export"),
            "contract_import_mw": k.import_mw
            * conn.import_share.sel(connection=at).drop_vars("connection"),
            "contract_export_mw": k.export_mw
            * conn.export_share.sel(connection=at).drop_vars("connection"),
        }
        big = {name: value.max("time") for name, value in capacity.items()}
    return Meters(
        connection=slots["connection-exporting"].transpose("connection", ...),
        contract=slots["contract-exporting"].transpose("contract", ...),
        integral={name: mask.transpose(mask.dims[0], "time") for name, mask in integral.items()},
        rewarded=rewarded,
        every_window=every_window,
        **big,
    )


def _draw_range(
    data: DispatchData, bounds: dict[str, tuple[xr.DataArray, xr.DataArray]]
) -> tuple[xr.DataArray, xr.DataArray]:
    """The least and the most each site could draw from its connection at each step (MW,
    negative: feeding in), from its node's balance and the column bounds: every way in or out
    of the node at its extreme. A market at the node makes it unbounded (no grid node has one).
    """
    nodes, time = list(data.nodes), data.time

    def at_nodes(values: xr.DataArray, node: xr.DataArray) -> xr.DataArray:
        return _sum_by(values, node, "node", nodes, time)

    g, st, d, links, terms = (
        data.generators,
        data.storage,
        data.demands,
        data.links,
        data.converter_terms,
    )

    def lo(name: str) -> xr.DataArray:
        return bounds[name][0]

    def up(name: str) -> xr.DataArray:
        return bounds[name][1]

    flow = up("converter-flow").sel(converter=terms.converter) * terms.coefficient
    # draw = demand + what the node's items take - what they give (the node balance, solved)
    takes_most = (
        at_nodes(d.profile_mw, d.node)
        + at_nodes(up("storage-charge"), st.node)
        + at_nodes(up("demand-shift-up"), d.node)
        + at_nodes(up("link-flow"), links.from_node)
        + at_nodes((-flow).clip(min=0.0), terms.node)
        - at_nodes(lo("generator-output"), g.node)
    )
    gives_most = (
        at_nodes(up("generator-output"), g.node)
        + at_nodes(up("storage-discharge"), st.node)
        + at_nodes(up("demand-shift-down") + up("demand-curtailment") + up("demand-lost"), d.node)
        + at_nodes(up("link-flow") * links.efficiency, links.to_node)
        + at_nodes(flow.clip(min=0.0), terms.node)
        - at_nodes(d.profile_mw, d.node)
    )
    unbounded = set(data.purchases.node.values.tolist()) | set(data.sales.node.values.tolist())
    open_ = xr.DataArray([n in unbounded for n in nodes], coords={"node": nodes})
    high = takes_most.where(~open_, np.inf)
    low = (-gives_most).where(~open_, -np.inf)
    draw_node = data.draws.node
    return (
        low.sel(node=draw_node).drop_vars("node"),
        high.sel(node=draw_node).drop_vars("node"),
    )


def _sum_by(
    values: xr.DataArray,
    keys: xr.DataArray,
    dim: str,
    labels: list[str],
    time: pd.DatetimeIndex | None = None,
) -> xr.DataArray:
    """``values`` (item, time) summed per key into (``dim``, time), every label present (0 for
    none): a group-by in numpy, as xarray's costs a tenth of a second per call."""
    frame = (
        values.time if time is None else xr.DataArray(np.zeros(len(time)), coords={"time": time})
    )
    out = np.zeros((len(labels), frame.sizes["time"]))
    if values.size and keys.size:
        item = str(keys.dims[0])
        block = values.broadcast_like(frame)
        position = {label: i for i, label in enumerate(labels)}
        rows = np.array([position[str(key)] for key in keys.values], dtype=int)
        np.add.at(out, rows, block.transpose(item, "time").values)
    return xr.DataArray(
        out, coords={dim: labels, "time": frame.indexes["time"]}, dims=(dim, "time")
    )


def add(
    m: linopy.Model,
    where: Meters,
    flows: dict[str, linopy.Variable],
) -> None:
    """The binaries and their rows: ``import <= M_in (1 - exporting)``, ``export <= M_out
    exporting``, only at ``where``'s slots (none at all when it has none)."""
    for (binary, inflow, outflow), mask, big_in, big_out in (
        (
            BINARIES[0],
            where.connection,
            where.connection_import_mw,
            where.connection_export_mw,
        ),
        (BINARIES[1], where.contract, where.contract_import_mw, where.contract_export_mw),
    ):
        if not bool(mask.any()):
            continue
        slots = mask & xr.ones_like(flows[inflow].labels, dtype=bool)  # onto the model's steps
        exporting = m.add_variables(binary=True, coords=slots.coords, mask=slots, name=binary)
        m.add_constraints(
            flows[inflow] + big_in * exporting.fillna(0) <= big_in,
            name=f"{inflow}-exclusive",
            mask=slots,
        )
        m.add_constraints(
            flows[outflow] - big_out * exporting.fillna(0) <= 0,
            name=f"{outflow}-exclusive",
            mask=slots,
        )


def pooled(k: xr.Dataset, conn: xr.Dataset, side: str) -> xr.DataArray:
    """A connection's capacity for the whole cluster (the members' contracts, cut pro rata to
    the operator's limit), as the model's limit rows have it."""
    contracted = (
        k[f"{side}_mw"]
        .groupby(k.connection.rename("connection"))
        .sum()
        .reindex(connection=list(conn.connection.values), fill_value=0.0)
    )
    return contracted * conn[f"{side}_share"]


def net(imports: xr.DataArray, exports: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """The flows through one meter as the meter sees them: only the net, one way. Exact where
    prices are equal (netting costs nothing) and where a binary allowed one way only (it
    removes the solver's tolerance, nothing more)."""
    balance = imports - exports
    return balance.clip(min=0.0) + 0.0, (-balance).clip(min=0.0) + 0.0
