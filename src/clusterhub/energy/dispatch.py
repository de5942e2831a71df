"""Joint dispatch, the stand-alone baseline and the collaboration saving: the engine's entry points.

Why joint and stand-alone from one model: the saving is the gap between the two, and the two must
see exactly the same data, the same solver and the same tolerances, or the gap measures noise.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from clusterhub.energy.attribution import cost_by_participant
from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.model import LOST_LOAD_EUR_PER_MWH, build
from clusterhub.energy.solver import OWNED, Run, Solver
from clusterhub.energy.window import Moment, check_start, check_steps, window_steps
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
    """Which steps to optimise and how; keyword-only in every entry point.

    ``start`` is a step number or a moment (``"2024-06-01"``, ``"2024-06-01T06:00+02:00"``, a
    ``date``/``datetime``/``Timestamp``; without a time zone it is read in the cluster's); it
    must fall on a step of the horizon. ``steps`` counts steps from there (None: to the end).
    """

    start: Moment = 0
    steps: int | None = None
    lost_load_eur_per_mwh: float = LOST_LOAD_EUR_PER_MWH
    solver_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_start(self.start)
        check_steps(self.steps)

    def window(self, cluster: Cluster) -> tuple[int, int]:
        """The first step and the number of steps in ``cluster``'s horizon."""
        return window_steps(cluster, self.start, self.steps)


#: Unit of each dispatch variable: power in MW for every flow, energy in MWh for a level.
UNITS = {name: "MWh" if name == "storage-soc" else "MW" for name in DISPATCH_VARIABLES}


@dataclass(frozen=True)
class DispatchResult:
    """One optimal dispatch: costs in EUR over the window, emissions in t, arrays over time.

    ``dispatch`` holds one array per variable over its own item dimension and ``time`` (UTC),
    with its unit in ``attrs["units"]`` and the owner in a ``participant`` coordinate; its
    dimensions differ, so ``to_dataframe()`` gives the tidy long form (one row per variable,
    item and step). ``cost_by_participant_eur`` adds up to ``total_cost_eur`` by
    ``attribution.RULE``.
    """

    total_cost_eur: float
    cost_parts_eur: dict[str, float]
    emissions_t: float
    cost_by_participant_eur: dict[str, float]
    dispatch: xr.Dataset
    connection_value_eur_per_mwh: xr.DataArray
    congested_hours: dict[str, float]
    solve_seconds: float

    def to_dataframe(self) -> pd.DataFrame:
        """Tidy: columns variable, dimension, item, participant, time (UTC, aware), value, unit;
        variables without items (no links, say) contribute no rows instead of emptying all."""
        return tidy(self.dispatch)


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
    first, steps = options.window(cluster)
    data = gather(cluster, start=first, steps=steps)
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
    value = (-solver.duals(run, "connection-import-limit") / dt).clip(min=0.0) + 0.0
    value = value.rename("connection_value").assign_attrs(
        units="EUR/MWh",
        description="value of one more MW of import capacity at the connection, per hour",
    )
    return DispatchResult(
        total_cost_eur=run.objective,
        cost_parts_eur={
            "energy": run.objective - carbon - network - penalties,
            "network": network,
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
    )


def _labelled(data: DispatchData, name: str, array: xr.DataArray) -> xr.DataArray:
    """The array with its unit and, for an owned item, its participant as a coordinate."""
    array = array.rename(name.replace("-", "_")).assign_attrs(units=UNITS[name])
    if name in OWNED:
        dataset, field_name = OWNED[name]
        owners = getattr(data, dataset)[field_name]
        dimension = str(owners.dims[0])
        array = array.assign_coords({f"{dimension}_participant": owners.variable})
    return array


def tidy(dispatch: xr.Dataset) -> pd.DataFrame:
    """The long form of a dispatch dataset (see ``DispatchResult.to_dataframe``)."""
    columns = ["variable", "dimension", "item", "participant", "time", "value", "unit"]
    frames = []
    for name, array in dispatch.data_vars.items():
        if not array.size:
            continue
        dimension = next(d for d in array.dims if d != "time")
        owner = f"{dimension}_participant"
        participant = (
            array[owner].values if owner in array.coords else np.full(array.sizes[dimension], None)
        )
        values = array.transpose(dimension, "time")
        items, steps = values.sizes[dimension], values.sizes["time"]
        frames.append(
            pd.DataFrame(
                {
                    "variable": str(name),
                    "dimension": str(dimension),
                    "item": np.repeat(values[dimension].values.astype(str), steps),
                    "participant": np.repeat(participant, steps),
                    "time": np.tile(values.time.values, items),
                    "value": values.values.ravel(),
                    "unit": array.attrs.get("units", ""),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(frames, ignore_index=True)
    frame["time"] = pd.to_datetime(frame["time"]).dt.tz_localize("UTC")
    return frame[columns]
