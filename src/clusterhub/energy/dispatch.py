"""Joint dispatch, the stand-alone baseline and the collaboration saving: the engine's entry points.

Why joint and stand-alone from one model: the saving is the gap between the two, and the two must
see exactly the same data, the same solver and the same tolerances, or the gap measures noise.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from typing import Any

import xarray as xr

from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.model import LOST_LOAD_EUR_PER_MWH, build
from clusterhub.energy.solver import Run, Solver
from clusterhub.model import Cluster

__all__ = [
    "CollaborationResult",
    "DispatchOptions",
    "DispatchResult",
    "compare",
    "optimize",
    "prepare",
]

#: Variables copied into a result's dispatch dataset.
DISPATCH_VARIABLES = (
    "generator-output",
    "storage-charge",
    "storage-discharge",
    "storage-soc",
    "converter-flow",
    "demand-shift-down",
    "demand-shift-up",
    "demand-curtailment",
    "demand-lost",
    "link-flow",
    "market-buy",
    "market-sell",
    "grid-draw",
    "contract-import",
    "contract-export",
    "contract-pool",
    "connection-import",
    "connection-export",
)


@dataclass(frozen=True)
class DispatchOptions:
    """Which steps to optimise and how; keyword-only in every entry point."""

    start: int = 0
    steps: int | None = None
    lost_load_eur_per_mwh: float = LOST_LOAD_EUR_PER_MWH
    solver_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DispatchResult:
    """One optimal dispatch: costs in EUR over the window, emissions in t, arrays over time."""

    total_cost_eur: float
    cost_parts_eur: dict[str, float]
    emissions_t: float
    cost_by_participant_eur: dict[str, float]
    dispatch: xr.Dataset
    connection_value_eur_per_mwh: xr.DataArray
    congested_hours: dict[str, float]
    solve_seconds: float


@dataclass(frozen=True)
class CollaborationResult:
    """Joint against stand-alone: what collaborating is worth over the window."""

    joint: DispatchResult
    standalone: DispatchResult
    build_seconds: float

    @property
    def standalone_cost_eur(self) -> dict[str, float]:
        return self.standalone.cost_by_participant_eur

    @property
    def saving_eur(self) -> float:
        return self.standalone.total_cost_eur - self.joint.total_cost_eur

    @property
    def saving_pct(self) -> float:
        base = self.standalone.total_cost_eur
        return 100.0 * self.saving_eur / base if base else 0.0

    @property
    def solve_seconds(self) -> float:
        return self.joint.solve_seconds + self.standalone.solve_seconds


def prepare(cluster: Cluster, *, options: DispatchOptions | None = None) -> Solver:
    """Gather, build and hand to HiGHS once; every run after this changes bounds only."""
    options = options or DispatchOptions()
    data = gather(cluster, start=options.start, steps=options.steps)
    built = build(data, lost_load_eur_per_mwh=options.lost_load_eur_per_mwh)
    return Solver(built, options=options.solver_options)


def optimize(cluster: Cluster, *, options: DispatchOptions | None = None) -> DispatchResult:
    """Joint least-cost dispatch of every participant behind the shared connections.

    Why: the collaboration saving is the gap between this and the stand-alone baseline
    (``compare``); this alone answers "how should the cluster run together?".
    """
    solver = prepare(cluster, options=options)
    return summarize_run(solver, solver.joint())


def compare(cluster: Cluster, *, options: DispatchOptions | None = None) -> CollaborationResult:
    """Joint and stand-alone dispatch from one built model, and the saving between them."""
    started = clock.perf_counter()
    solver = prepare(cluster, options=options)
    build_seconds = clock.perf_counter() - started
    joint = summarize_run(solver, solver.joint())
    alone = summarize_run(solver, solver.standalone())
    return CollaborationResult(joint=joint, standalone=alone, build_seconds=build_seconds)


def summarize_run(solver: Solver, run: Run) -> DispatchResult:
    """Costs split by kind, emissions, congestion and the connection's shadow price."""
    data: DispatchData = solver.built.data
    dt = data.step_hours
    v = {name: solver.values(run, name) for name in DISPATCH_VARIABLES}
    conn, k = data.connections, data.contracts
    by_connection = k.connection.rename("connection")
    names = list(conn.connection.values)

    def per_connection(values: xr.DataArray) -> xr.DataArray:
        own = values.groupby(by_connection).sum().reindex(connection=names, fill_value=0.0)
        return own

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
    )
    emissions = dt * float(
        (v["market-buy"] * purchases.emission_factor).sum() + (imports * conn.emission_factor).sum()
    )
    capacity = solver.upper_bounds("connection-import-limit")
    # relative: an interior-point solution (large models) sits within its tolerance of a limit
    congested = (capacity > 1e-9) & (v["connection-import"] >= capacity * (1 - 1e-6) - 1e-6)
    value = -solver.duals(run, "connection-import-limit") / dt
    return DispatchResult(
        total_cost_eur=run.objective,
        cost_parts_eur={
            "energy": run.objective - carbon - network - penalties,
            "network": network,
            "carbon": carbon,
            "penalties": penalties,
        },
        emissions_t=emissions,
        cost_by_participant_eur=solver.cost_by_participant(run),
        dispatch=xr.Dataset({name.replace("-", "_"): array for name, array in v.items()}),
        connection_value_eur_per_mwh=value.clip(min=0.0) + 0.0,
        congested_hours={c: float(congested.sel(connection=c).sum()) * dt for c in names},
        solve_seconds=run.seconds,
    )
