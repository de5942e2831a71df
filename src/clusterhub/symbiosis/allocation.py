"""Which flows the cluster should run: the allocation of outputs to inputs that pays most.

Why an optimisation and not the top match of each output: outputs and inputs compete. One
supplier's 100 t cannot go to two receivers that each want 80 t, and the best receiver of one
output may be the only receiver of another. A linear program over every compatible pair chooses
the flows with the largest total net benefit under each output's supply and each input's need; a
fixed cost per new link (a pipe, a contract) makes it a MILP that leaves out links too small to
pay for themselves. Existing exchanges (those active in the year planned for, by default the
latest the registry describes) carry no fixed cost.

Why statuses: a flow to a plant that is suspended or closed is no plan, so neither side of a
pair may be a facility whose status says it stopped; planned and commissioning plants stay in,
since finding their partners is what planning is for.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import linopy
import numpy as np
import xarray as xr

from clusterhub.errors import SolveError
from clusterhub.model import Cluster
from clusterhub.model.units import AMOUNT_DIMENSIONS
from clusterhub.symbiosis.network import latest_year
from clusterhub.symbiosis.scoring import (
    FREE,
    TRANSPORT,
    MatchOptions,
    nan0,
    score_matches,
    transport_mode,
)
from clusterhub.symbiosis.status import state

__all__ = ["Flow", "FlowPlan", "plan_flows"]


@dataclass(frozen=True)
class Flow:
    supplier: str
    receiver: str
    quantity: float  # per year, in ``unit``
    unit: str
    benefit_eur_per_unit: float
    benefit_eur: float
    existing: bool


@dataclass(frozen=True)
class FlowPlan:
    flows: tuple[Flow, ...]
    total_benefit_eur: float  # net of fixed costs
    fixed_cost_eur: float
    new_links: int
    candidates: int
    year: int | None = None  # the year whose exchanges count as existing
    left_out: dict[str, str] = field(default_factory=dict)  # site -> status (stopped plants)


def plan_flows(
    cluster: Cluster,
    *,
    fixed_cost_eur: float = 0.0,
    options: MatchOptions | None = None,
    year: int | None = None,
) -> FlowPlan:
    """The flows of largest total net benefit; ``fixed_cost_eur`` per year for each new link;
    ``year`` (default: the latest the registry describes) decides which exchanges exist."""
    s = score_matches(cluster, options or MatchOptions())
    year = year if year is not None else latest_year(cluster)
    existing = {
        (e.supplier, e.receiver) for e in cluster.exchanges if year is None or e.active_in(year)
    }
    left_out = {
        site.id: p.status
        for p in cluster.participants
        for site in p.sites
        if state(p.status) == "stopped"
    }
    out, inp = s.outputs, s.inputs
    runs_out = np.array([o.site not in left_out for o in out.streams], dtype=bool)
    runs_in = np.array([i.site not in left_out for i in inp.streams], dtype=bool)
    comparable = (
        np.isfinite(out.amount)[:, None]
        & np.isfinite(inp.amount)[None, :]
        & (out.dim[:, None] == inp.dim[None, :])
        & (s.score > 0)
        & runs_out[:, None]
        & runs_in[None, :]
    )
    supplier_idx, receiver_idx = np.nonzero(comparable)
    unit_benefit = np.zeros(len(supplier_idx))
    for k, (i, j) in enumerate(zip(supplier_idx.tolist(), receiver_idx.tolist(), strict=True)):
        o = out.streams[i]
        km = float(s.distance[i, j])
        haul = TRANSPORT[transport_mode(o.resource_class, km)][0]
        bridge = s.bridge.get((int(out.cls[i]), int(inp.cls[j])))
        disposal = nan0(out.price[i]) if o.fate in FREE else 0.0
        unit_benefit[k] = disposal + nan0(inp.price[j]) - km * haul - (bridge[1] if bridge else 0.0)
    is_existing = np.array(
        [
            (out.streams[i].id, inp.streams[j].id) in existing
            for i, j in zip(supplier_idx.tolist(), receiver_idx.tolist(), strict=True)
        ],
        dtype=bool,
    )
    keep = (unit_benefit > 0) | is_existing
    supplier_idx, receiver_idx = supplier_idx[keep], receiver_idx[keep]
    unit_benefit, is_existing = unit_benefit[keep], is_existing[keep]
    pairs = len(supplier_idx)
    if pairs == 0:
        return FlowPlan((), 0.0, 0.0, 0, 0, year, left_out)
    capacity = np.minimum(out.amount[supplier_idx], inp.amount[receiver_idx])
    m = linopy.Model()
    pair = xr.DataArray(np.arange(pairs), dims="pair")
    flow = m.add_variables(lower=0, upper=xr.DataArray(capacity, dims="pair"), name="flow")
    by_supplier = xr.DataArray(supplier_idx, coords={"pair": pair.values}, dims="pair")
    by_receiver = xr.DataArray(receiver_idx, coords={"pair": pair.values}, dims="pair")
    supply = xr.DataArray(out.amount, dims="supplier")
    need = xr.DataArray(inp.amount, dims="receiver")
    sent = flow.groupby(by_supplier.rename("supplier")).sum()
    taken = flow.groupby(by_receiver.rename("receiver")).sum()
    m.add_constraints(sent <= supply.sel(supplier=sent.coords["supplier"]), name="supply")
    m.add_constraints(taken <= need.sel(receiver=taken.coords["receiver"]), name="need")
    benefit = (flow * xr.DataArray(unit_benefit, dims="pair")).sum()
    new = ~is_existing
    if fixed_cost_eur > 0 and new.any():
        link = m.add_variables(
            binary=True, coords=[np.flatnonzero(new).tolist()], dims=["pair"], name="link"
        )
        m.add_constraints(
            flow.sel(pair=np.flatnonzero(new)) - xr.DataArray(capacity[new], dims="pair") * link
            <= 0,
            name="link-open",
        )
        m.add_objective(-benefit + fixed_cost_eur * link.sum())
    else:
        m.add_objective(-benefit)
    status, condition = m.solve(solver_name="highs", output_flag=False)
    if status != "ok":
        raise SolveError(f"the flow allocation did not solve: {condition}", status=status)
    values = np.asarray(m.variables["flow"].solution.values)
    units = list(AMOUNT_DIMENSIONS.values())
    flows = tuple(
        Flow(
            supplier=out.streams[supplier_idx[k]].id,
            receiver=inp.streams[receiver_idx[k]].id,
            quantity=float(values[k]),
            unit=units[out.dim[supplier_idx[k]]],
            benefit_eur_per_unit=float(unit_benefit[k]),
            benefit_eur=float(values[k] * unit_benefit[k]),
            existing=bool(is_existing[k]),
        )
        for k in np.flatnonzero(values > 1e-9).tolist()
    )
    new_links = int(sum(1 for f in flows if not f.existing))
    fixed = fixed_cost_eur * new_links
    return FlowPlan(
        flows=flows,
        total_benefit_eur=float(sum(f.benefit_eur for f in flows) - fixed),
        fixed_cost_eur=fixed,
        new_links=new_links,
        candidates=pairs,
        year=year,
        left_out=left_out,
    )
