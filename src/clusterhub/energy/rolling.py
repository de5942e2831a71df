"""Receding-horizon operation: plan a look-ahead window on forecasts, commit its first steps,
settle them on what actually happened, carry the storage state and the shifted demand's backlog
on, move to the next window. Commits of any length work, 1 h included: shifted energy is a
backlog that the next window inherits, not a sum that has to fall inside one commit.

Why settle separately: a plan made on a forecast meets reality; the committed part is re-run
on actual values with each store's planned end-of-commit level held, so the cost counted is what
operating to the plan would have cost, and regret against perfect foresight is measurable.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from clusterhub.energy import meters as meter
from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.dispatch import DispatchOptions
from clusterhub.energy.forecast import Forecast, forecast
from clusterhub.energy.kinds import Progress
from clusterhub.energy.learned import Backtest, LearnedForecaster, train
from clusterhub.energy.model import PEAK_SIDES, build, parameters
from clusterhub.energy.solver import Solver
from clusterhub.errors import ModelError, SolveError
from clusterhub.model import Cluster

__all__ = ["RollingResult", "simulate"]


@dataclass(frozen=True)
class RollingResult:
    """Cost of operating window by window, against the perfect-foresight optimum: the
    full-horizon joint optimum for the same options, the figure ``optimize`` reports.

    ``relaxed_windows`` counts plans whose forecast left no way to keep a store at its
    boundary level at the end of the look-ahead: they were planned without that floor (the
    horizon's last step keeps its level whatever happens).

    ``capacity_cost_eur`` is the capacity tariffs' part of the realized cost: each period's
    charge on the highest flow the committed steps set in it (``window_costs_eur`` leave it
    out: a period's peak is known only once the period is over)."""

    realized_cost_eur: float
    perfect_foresight_cost_eur: float
    window_costs_eur: tuple[float, ...]
    windows: int
    build_seconds: float
    solve_seconds: float
    windows_seconds: float
    reference_seconds: float
    relaxed_windows: int = 0
    capacity_cost_eur: float = 0.0
    #: the learned forecaster's version and its backtest (``learned.Backtest``), if one planned
    forecaster_version: str | None = None
    backtest: Backtest | None = None

    @property
    def regret_eur(self) -> float:
        return self.realized_cost_eur - self.perfect_foresight_cost_eur

    @property
    def regret_pct(self) -> float:
        base = abs(self.perfect_foresight_cost_eur)
        return 100.0 * self.regret_eur / base if base else 0.0


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
    """Operate ``cluster`` over the options' steps in receding windows, on the same problem as
    the full-horizon optimum (``optimize`` with the same options), so that the regret is the
    price of not knowing the future and nothing else.

    The boundary rules are the optimum's: a cyclic store ends the horizon at the level it
    starts it, and the shifted demand's backlog is settled by the horizon's end. Window by
    window, a cyclic store starts at the level the full-horizon optimum gives it at the end
    (one of the cyclic optimum's own start levels), every plan must leave it at no less than
    that level at the end of its look-ahead, and at the horizon's end it is back at exactly that
    level; a non-cyclic store starts at ``initial_soc_fraction`` and ends free, as in the
    optimum. So the operated schedule is feasible for the full-horizon problem and its cost is
    never below the optimum; with perfect forecasts and one window over the horizon they are
    equal.

    ``progress`` is told each stage as it starts: the perfect-foresight reference, then
    ``window k of n`` with the fraction of windows done."""
    options = options or DispatchOptions()
    started = clock.perf_counter()
    dt = cluster.horizon.step_hours
    window, commit = round(window_hours / dt), round(commit_hours / dt)
    if not 1 <= commit <= window:
        raise ModelError(f"expected 1 <= commit <= window steps, got {commit} and {window}")
    first, total = options.window(cluster)
    lost = options.lost_load_eur_per_mwh
    if progress is not None:
        progress("finding the perfect-foresight optimum", 0.0)
    # capacity tariffs charge each period for the hours of it in the options' horizon, as the
    # full-horizon optimum does
    gathered = gather(cluster).covering(first, total)
    reference_started = clock.perf_counter()
    reference, boundary_level = _perfect_foresight(gathered, first, total, lost, options)
    reference_seconds = clock.perf_counter() - reference_started
    cyclic = gathered.storage.cyclic.values.astype(bool)
    energy = gathered.storage.energy_mwh.values
    start_level = np.where(cyclic, boundary_level, gathered.storage.initial_soc.values * energy)
    # levels are carried from window to window: no window is cyclic by itself
    actual = replace(
        gathered,
        storage=gathered.storage.assign(cyclic=xr.zeros_like(gathered.storage.cyclic)),
    )
    horizon = actual.window(first, total)
    learned: LearnedForecaster | None = None
    if kind == "learned":  # trained once, on the steps before the first window
        if progress is not None:
            progress("training the learned forecaster", 0.0)
        learned = train(actual, until=first)
    solver = Solver(
        build(
            actual.window(first, window),
            lost_load_eur_per_mwh=lost,
            carry_shift=True,
            meters=meter.meters(
                horizon, parameters(horizon, lost_load_eur_per_mwh=lost).bounds, every_window=True
            ),
        ),
        options=options.solver_options,
        unit_commitment=options.unit_commitment,
    )
    step_of = solver.step_of_columns()
    soc_columns = solver.column_positions("storage-soc")
    shift = _Shift(solver)
    last = first + total - 1
    ends = _Ends(solver, cyclic, start_level, last=last)
    peaks = _Peaks(solver, actual)
    level = start_level
    backlog = np.zeros(actual.demands.sizes["demand"])
    on = actual.converters.initially_on.values.astype(float)
    unit_on = (
        solver.column_positions("converter-on").transpose("converter", "time").values
        if "converter-on" in solver.built.model.variables
        else None
    )
    build_seconds = clock.perf_counter() - started - reference_seconds
    costs: list[float] = []
    solve_seconds = 0.0
    relaxed = 0
    starts = list(range(first, first + total, commit))
    for done, start in enumerate(starts):
        if progress is not None:
            progress(f"window {done + 1} of {len(starts)}", done / len(starts))
        todo = min(commit, first + total - start)
        initial = np.divide(level, energy, out=np.zeros_like(level), where=energy > 0)
        plan_data = _carry(
            _ended(
                forecast(
                    actual,
                    start=start,
                    steps=window,
                    kind=kind,
                    noise=noise,
                    seed=seed,
                    learned=learned,
                ),
                start,
                last,
            ),
            initial,
            backlog,
            on,
        )
        solver.load(plan_data, parameters(plan_data, lost_load_eur_per_mwh=lost))
        floor = ends.apply(start, window, floor=True)
        peaks.apply(start)
        try:
            plan = solver.joint()
        except SolveError:
            if not floor:  # nothing to relax: the horizon's own end cannot be met
                raise
            floor = False
            relaxed += 1
            solver.load(plan_data, parameters(plan_data, lost_load_eur_per_mwh=lost))
            ends.apply(start, window, floor=False)
            peaks.apply(start)
            plan = solver.joint()
        # hold each store's planned level and each shifted demand's planned backlog at the end
        # of the committed steps (the backlog as far as actual demand allows), settle on actuals
        at_end = soc_columns.isel(time=todo - 1).values
        at_end = at_end[at_end >= 0]
        real_data = _carry(_ended(actual.window(start, window), start, last), initial, backlog, on)
        solver.load(real_data, parameters(real_data, lost_load_eur_per_mwh=lost))
        ends.apply(start, window, floor=floor)
        peaks.apply(start)
        held, planned = shift.held(plan.columns, todo, backlog)
        settled = solver.joint(
            fixed=(
                np.concatenate([at_end, held]),
                np.concatenate([plan.columns[at_end], planned]),
            )
        )
        # a period's capacity charge is counted once, on the peak the committed steps set
        committed = (step_of >= 0) & (step_of < todo) & ~peaks.columns
        costs.append(float(np.sum(solver.cost[committed] * settled.columns[committed])))
        peaks.commit(start, todo, settled.columns)
        level = settled.columns[at_end] if len(at_end) else level
        backlog = shift.carried(settled.columns, todo)
        # the units' state at the end of the commit (minimum up and down times restart with
        # each window: a unit's history before it is not carried)
        if unit_on is not None:
            at = unit_on[:, todo - 1]
            on = np.where(at >= 0, settled.columns[np.maximum(at, 0)], on)
        solve_seconds += plan.seconds + settled.seconds
    windows_seconds = clock.perf_counter() - started - build_seconds - reference_seconds
    capacity = peaks.charges()
    return RollingResult(
        realized_cost_eur=float(sum(costs)) + capacity,
        capacity_cost_eur=capacity,
        perfect_foresight_cost_eur=reference,
        window_costs_eur=tuple(costs),
        windows=len(starts),
        build_seconds=build_seconds,
        solve_seconds=solve_seconds,
        windows_seconds=windows_seconds,
        reference_seconds=reference_seconds,
        relaxed_windows=relaxed,
        forecaster_version=learned.version if learned else None,
        backtest=learned.judged if learned else None,
    )


class _Ends:
    """The horizon's boundary rules written into a window's bounds (see ``simulate``)."""

    def __init__(self, solver: Solver, cyclic: np.ndarray, level: np.ndarray, last: int) -> None:
        self.solver, self.last = solver, last
        self.soc = solver.column_positions("storage-soc").transpose("storage", "time").values
        self.cyclic, self.level = cyclic, level
        names = solver.built.model.variables
        self.backlog = (
            solver.column_positions("demand-backlog").transpose("demand", "time").values
            if "demand-backlog" in names
            else np.zeros((0, 0), dtype=int)
        )

    def apply(self, start: int, steps: int, *, floor: bool) -> bool:
        """Bounds of the window ``start .. start+steps`` (already loaded) with the ends added;
        ``floor``: also keep cyclic stores at their boundary level at the look-ahead's end.
        Returns whether a floor that could be relaxed was set."""
        s = self.solver
        end = self.last - start  # the horizon's last step, relative to the window
        at = min(end, steps - 1)
        floored = False
        if self.soc.size and self.cyclic.any() and (floor or at == end):
            columns = self.soc[self.cyclic, at]
            keep = columns >= 0
            columns, level = columns[keep], self.level[self.cyclic][keep]
            s.lb[columns] = np.minimum(level, s.ub[columns])  # at least the boundary level
            if at == end:  # the horizon ends in this window: exactly the level it started at
                s.ub[columns] = s.lb[columns]
            floored = at != end and bool(len(columns))
        if self.backlog.size and 0 <= end < steps:
            columns = self.backlog[:, end]
            columns = columns[columns >= 0]
            s.lb[columns] = 0.0  # shifted demand settled by the horizon's end
            s.ub[columns] = 0.0
        return floored


class _Peaks:
    """Capacity-tariff peaks across windows: a window's running peak starts at the peak its
    period already has from committed steps (a sunk cost: only going above it costs more), and
    the realized charge is counted on the committed flows, once per period."""

    def __init__(self, solver: Solver, actual: DispatchData) -> None:
        self.solver = solver
        self.columns = np.zeros(len(solver.vlabels), dtype=bool)
        conn = actual.connections
        self.period = conn.capacity_period.transpose("connection", "time").values
        self.sides: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        names = solver.built.model.variables
        for side, rate, _, _ in PEAK_SIDES:
            name = f"connection-{side}-peak"
            if name not in names:
                continue
            peak = solver.column_positions(name).transpose("connection", "time").values
            flow = solver.column_positions(f"connection-{side}")
            self.columns[peak[peak >= 0]] = True
            charge = (conn[rate] * conn.covered_hours / conn.period_hours).transpose(
                "connection", "time"
            )
            self.sides.append((peak, flow.transpose("connection", "time").values, charge.values))
        for side, *_ in PEAK_SIDES:  # alone, never in a rolling horizon's joint runs
            name = f"contract-{side}-peak"
            if name in names:
                self.columns[solver.columns(name)] = True
        # per side: the highest committed flow of each (connection, step's period) so far
        self.highest: list[dict[tuple[int, float], float]] = [{} for _ in self.sides]

    def apply(self, start: int) -> None:
        """The first step's running peaks at least what the period already has (bounds loaded)."""
        steps = self.period.shape[1]
        for (peak, _, _), highest in zip(self.sides, self.highest, strict=True):
            for c in np.flatnonzero(peak[:, 0] >= 0):
                so_far = highest.get((int(c), float(self.period[c, start % steps])), 0.0)
                self.solver.lb[peak[c, 0]] = so_far

    def commit(self, start: int, todo: int, columns: np.ndarray) -> None:
        """Record the committed steps' flows into their periods' peaks."""
        steps = self.period.shape[1]
        at = (start + np.arange(todo)) % steps
        for (peak, flow, _), highest in zip(self.sides, self.highest, strict=True):
            for c in np.flatnonzero(peak[:, 0] >= 0):
                values = columns[flow[c, :todo]]
                for label in np.unique(self.period[c, at]):
                    key = (int(c), float(label))
                    mine = float(values[self.period[c, at] == label].max())
                    highest[key] = max(highest.get(key, 0.0), mine)

    def charges(self) -> float:
        """The realized capacity charges: each period's highest committed flow at its rate."""
        total = 0.0
        for (_, _, charge), highest in zip(self.sides, self.highest, strict=True):
            for (c, label), peak in highest.items():
                step = int(np.flatnonzero(self.period[c] == label)[0])
                total += peak * float(charge[c, step])
        return total


def _ended(data: DispatchData, start: int, last: int) -> DispatchData:
    """The window ``start ..`` with nothing happening after the horizon's ``last`` step: no
    load, no output, no trade.

    Why: a look-ahead past the end saw the data after it (or the year's start again) as real,
    so a store was filled in the last hours for loads after the end, or a month's peak guarded
    against them, costs the full-horizon optimum (whose end is free) never pays; with perfect
    forecasts the regret was then not zero."""
    after = xr.DataArray(start + np.arange(len(data.time)) > last, coords={"time": data.time})
    if not bool(after.any()):
        return data

    def cut(dataset: xr.Dataset, *names: str) -> xr.Dataset:
        return dataset.assign({name: dataset[name].where(~after, 0.0) for name in names})

    return replace(
        data,
        demands=cut(data.demands, "profile_mw"),
        generators=cut(data.generators, "available_mw"),
        converters=cut(data.converters, "max_flow_mw"),
        contracts=cut(data.contracts, "import_mw", "export_mw"),
        connections=cut(data.connections, "import_limit_mw", "export_limit_mw"),
        purchases=cut(data.purchases, "cost"),
        sales=cut(data.sales, "value"),
    )


def _carry(
    data: DispatchData, initial: np.ndarray, backlog: np.ndarray, on: np.ndarray
) -> DispatchData:
    storage = data.storage.assign(initial_soc=("storage", initial))
    demands = data.demands.assign(backlog_mwh=("demand", backlog))
    converters = data.converters.assign(initially_on=("converter", on))
    return replace(data, storage=storage, demands=demands, converters=converters)


class _Shift:
    """The shift backlog's columns on the rolling model, by demand and step."""

    def __init__(self, solver: Solver) -> None:
        self.solver = solver
        self.demands = solver.built.data.demands.sizes["demand"]
        names = solver.built.model.variables
        if "demand-backlog" not in names:  # no shiftable demand
            self.backlog = self.up = self.down = np.full((self.demands, 0), -1)
            return

        def block(name: str) -> np.ndarray:
            positions = solver.column_positions(name).transpose("demand", "time").values
            return np.asarray(positions)

        self.backlog, self.up, self.down = (
            block(n) for n in ("demand-backlog", "demand-shift-up", "demand-shift-down")
        )

    def carried(self, columns: np.ndarray, todo: int) -> np.ndarray:
        """Each demand's backlog after the committed steps (0 where it has none)."""
        result = np.zeros(self.demands)
        if not self.backlog.size:
            return result
        at = self.backlog[:, todo - 1]
        result[at >= 0] = columns[at[at >= 0]]
        return result

    def held(
        self, plan: np.ndarray, todo: int, carried: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backlog columns at the end of the commit and the planned values they are held to,
        clipped to what the actual bounds (now loaded) can reach from the last window end or
        from the carried backlog; fixing an unreachable value would make settlement infeasible.
        """
        if not self.backlog.size:
            return np.zeros(0, dtype=int), np.zeros(0)
        s = self.solver
        dt = s.built.data.step_hours
        rows = np.flatnonzero(self.backlog[:, todo - 1] >= 0)  # shiftable demands
        columns = self.backlog[rows, :todo]
        closed = (s.ub[columns] == 0.0) & (s.lb[columns] == 0.0)
        closed[:, -1] = False  # the end of the commit itself is what is being held
        # steps after the last closed one count; before any closed one, start from the carried
        last = np.where(closed.any(axis=1), todo - 1 - np.argmax(closed[:, ::-1], axis=1), -1)
        counted = np.arange(todo)[None, :] > last[:, None]
        origin = np.where(last >= 0, 0.0, carried[rows])
        up = dt * np.where(counted, s.ub[self.up[rows, :todo]], 0.0).sum(axis=1)
        down = dt * np.where(counted, s.ub[self.down[rows, :todo]], 0.0).sum(axis=1)
        target = plan[self.backlog[rows, todo - 1]]
        # a commit ending where a shift window ends is closed by its bounds already
        open_end = ~((s.ub[columns[:, -1]] == 0.0) & (s.lb[columns[:, -1]] == 0.0))
        held = np.clip(target, origin - down, origin + up)
        # ... and the rest of the window must be able to bring it back to zero by the next end
        later = self.backlog[rows, todo:]
        if later.shape[1]:
            closes = (s.ub[later] == 0.0) & (s.lb[later] == 0.0)
            upto = np.arange(later.shape[1])[None, :] <= np.argmax(closes, axis=1)[:, None]
            room_up = dt * np.where(upto, s.ub[self.up[rows, todo:]], 0.0).sum(axis=1)
            room_down = dt * np.where(upto, s.ub[self.down[rows, todo:]], 0.0).sum(axis=1)
            held = np.clip(held, -room_up, room_down)
        return self.backlog[rows, todo - 1][open_end], held[open_end]


def _perfect_foresight(
    actual: DispatchData, first: int, total: int, lost: float, options: DispatchOptions
) -> tuple[float, np.ndarray]:
    """The full-horizon optimum, knowing everything (what ``optimize`` gives for the same
    options): its cost, the lower bound, and each store's level at the horizon's end."""
    data = actual.window(first, total)
    solver = Solver(
        build(data, lost_load_eur_per_mwh=lost),
        options=options.solver_options,
        unit_commitment=options.unit_commitment,
    )
    run = solver.joint()
    levels = solver.values(run, "storage-soc").transpose("storage", "time").values
    end = levels[:, -1] if levels.size else np.zeros(data.storage.sizes.get("storage", 0))
    return run.objective, np.asarray(end, dtype=float)
