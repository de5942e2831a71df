"""Receding-horizon operation: plan a look-ahead window on forecasts, commit its first steps,
settle them on what actually happened, carry the storage state on, move to the next window.

Why settle separately: a plan made on a forecast meets reality; the committed part is re-run
on actual values with each store's planned end-of-commit level held, so the cost counted is what
operating to the plan would have cost, and regret against perfect foresight is measurable.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr
from rich.progress import Progress

from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.dispatch import DispatchOptions
from clusterhub.energy.forecast import Forecast, forecast
from clusterhub.energy.model import build, parameters
from clusterhub.energy.solver import Solver
from clusterhub.errors import ModelError
from clusterhub.model import Cluster

__all__ = ["RollingResult", "simulate"]


@dataclass(frozen=True)
class RollingResult:
    """Cost of operating window by window, against the perfect-foresight optimum."""

    realized_cost_eur: float
    perfect_foresight_cost_eur: float
    window_costs_eur: tuple[float, ...]
    windows: int
    build_seconds: float
    solve_seconds: float
    windows_seconds: float
    reference_seconds: float

    @property
    def regret_eur(self) -> float:
        return self.realized_cost_eur - self.perfect_foresight_cost_eur

    @property
    def regret_pct(self) -> float:
        base = abs(self.perfect_foresight_cost_eur)
        return 100.0 * self.regret_eur / base if base else 0.0


def _check_alignment(data: DispatchData, commit: int) -> None:
    d = data.demands
    windows = d.window_steps.where(d.shiftable_share > 0, drop=True).values
    for steps in np.unique(windows.astype(int)):
        if commit % steps or data.start_step % steps:
            raise ModelError(
                f"a rolling commit of {commit} steps from step {data.start_step} cuts through "
                f"demand-shift windows of {steps} steps: choose a commit that is a multiple of "
                f"every flexible demand's window (e.g. 24 h) and start on a window boundary"
            )


def simulate(
    cluster: Cluster,
    *,
    window_hours: float = 36.0,
    commit_hours: float = 24.0,
    kind: Forecast = "perfect",
    noise: float = 0.1,
    seed: int = 0,
    options: DispatchOptions | None = None,
    progress: Progress | None = None,
) -> RollingResult:
    """Operate ``cluster`` over the options' steps in receding windows; storage is not cyclic
    here (its level is carried from window to window, starting at ``initial_soc_fraction``)."""
    options = options or DispatchOptions()
    started = clock.perf_counter()
    dt = cluster.horizon.step_hours
    window, commit = round(window_hours / dt), round(commit_hours / dt)
    if not 1 <= commit <= window:
        raise ModelError(f"expected 1 <= commit <= window steps, got {commit} and {window}")
    actual = gather(cluster)
    # levels are carried from window to window, so no store returns to its start level
    actual = replace(
        actual, storage=actual.storage.assign(cyclic=xr.zeros_like(actual.storage.cyclic))
    )
    first = options.start
    total = options.steps if options.steps is not None else len(actual.time) - first
    _check_alignment(actual.window(first, window), commit)
    lost = options.lost_load_eur_per_mwh
    solver = Solver(
        build(actual.window(first, window), lost_load_eur_per_mwh=lost),
        options=options.solver_options,
    )
    step_of = solver.step_of_columns()
    soc_columns = solver.column_positions("storage-soc")
    energy = actual.storage.energy_mwh.values
    level = actual.storage.initial_soc.values * energy
    build_seconds = clock.perf_counter() - started
    costs: list[float] = []
    solve_seconds = 0.0
    starts = list(range(first, first + total, commit))
    task = progress.add_task("rolling horizon", total=len(starts)) if progress else None
    for start in starts:
        todo = min(commit, first + total - start)
        initial = np.divide(level, energy, out=np.zeros_like(level), where=energy > 0)
        plan_data = _carry(
            forecast(actual, start=start, steps=window, kind=kind, noise=noise, seed=seed), initial
        )
        solver.load(plan_data, parameters(plan_data, lost_load_eur_per_mwh=lost))
        plan = solver.joint()
        # hold each store's planned level at the end of the committed steps, settle on actuals
        at_end = soc_columns.isel(time=todo - 1).values
        at_end = at_end[at_end >= 0]
        real_data = _carry(actual.window(start, window), initial)
        solver.load(real_data, parameters(real_data, lost_load_eur_per_mwh=lost))
        settled = solver.joint(fixed=(at_end, plan.columns[at_end]))
        committed = (step_of >= 0) & (step_of < todo)
        costs.append(float(np.sum(solver.cost[committed] * settled.columns[committed])))
        level = settled.columns[at_end] if len(at_end) else level
        solve_seconds += plan.seconds + settled.seconds
        if progress is not None and task is not None:
            progress.advance(task)
    windows_seconds = clock.perf_counter() - started - build_seconds
    reference_started = clock.perf_counter()
    reference = _perfect_foresight(actual, first, total, lost, options)
    return RollingResult(
        realized_cost_eur=float(sum(costs)),
        perfect_foresight_cost_eur=reference,
        window_costs_eur=tuple(costs),
        windows=len(starts),
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        windows_seconds=windows_seconds,
        reference_seconds=clock.perf_counter() - reference_started,
    )


def _carry(data: DispatchData, initial: np.ndarray) -> DispatchData:
    storage = data.storage.assign(initial_soc=("storage", initial))
    return replace(data, storage=storage)


def _perfect_foresight(
    actual: DispatchData, first: int, total: int, lost: float, options: DispatchOptions
) -> float:
    """The same operation over the whole period, knowing everything: the lower bound."""
    data = actual.window(first, total)
    solver = Solver(build(data, lost_load_eur_per_mwh=lost), options=options.solver_options)
    return solver.joint().objective
