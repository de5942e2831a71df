"""One HiGHS instance per built model; joint, stand-alone and coalition runs change bounds only.

Why HiGHS directly after linopy builds: a coalition re-solve must take milliseconds, which rules
out rebuilding or re-exporting the model. linopy's matrices give each variable's column and each
constraint's row; the runs below rewrite column and row bounds in bulk and re-run HiGHS, which
keeps its simplex basis between runs (a warm start).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import xarray as xr

from clusterhub.energy.data import DispatchData
from clusterhub.energy.model import Built, Parameters
from clusterhub.errors import InputError, SolveError

__all__ = ["OWNED", "Run", "Solver", "Structure"]

#: Variables owned by one participant through the item named in the data (label -> field).
OWNED = {
    "generator-output": ("generators", "participant"),
    "storage-charge": ("storage", "participant"),
    "storage-discharge": ("storage", "participant"),
    "storage-soc": ("storage", "participant"),
    "converter-flow": ("converters", "participant"),
    "demand-shift-down": ("demands", "participant"),
    "demand-shift-up": ("demands", "participant"),
    "demand-curtailment": ("demands", "participant"),
    "demand-lost": ("demands", "participant"),
    "demand-backlog": ("demands", "participant"),
    "demand-backlog-waived-up": ("demands", "participant"),
    "demand-backlog-waived-down": ("demands", "participant"),
    "market-buy": ("purchases", "participant"),
    "market-sell": ("sales", "participant"),
    "grid-draw": ("draws", "participant"),
    "contract-import": ("contracts", "participant"),
    "contract-export": ("contracts", "participant"),
    "contract-pool": ("contracts", "participant"),
}


#: From this many columns on, a model goes to HiPO, HiGHS's interior-point solver, without
#: crossover, when the installed HiGHS has it (package ``highspy-extras``). Measured on 50
#: companies x 8760 h (6.6 M columns, ``benchmarks/energy.py``): dual simplex 203 s, HiPO 119 s.
#: Below it the dual simplex wins and, unlike an interior point, keeps a basis between runs,
#: which is what makes a coalition re-solve take milliseconds.
LARGE_MODEL_COLUMNS = 1_000_000
HIPO_OPTIONS: dict[str, Any] = {
    "solver": "hipo",
    "run_crossover": "off",
    "hipo_ordering": "amd",
}


def _hipo(highs: Any) -> bool:
    """Whether this HiGHS build has HiPO: it refuses the option value when it lacks the
    linear-algebra libraries HiPO needs."""
    available = bool(highs.setOptionValue("solver", "hipo") == highspy.HighsStatus.kOk)
    highs.setOptionValue("solver", "choose")
    return available


@dataclass(frozen=True)
class Run:
    """The outcome of one solve: objective, column values and row duals, by position."""

    objective: float
    columns: np.ndarray
    rows: np.ndarray
    duals: np.ndarray
    seconds: float


@dataclass(frozen=True)
class Structure:
    """The model's matrix and bounds with who owns what, for a MILP on membership. Columns
    owned by an absent participant are zero; its rows (node balances, storage starts) have a
    zero right-hand side; a connection limit row ``limit_rows[k]`` allows ``limit_capacity[k] @
    member`` (the members' pooled contracts); a link is open only when both ends are members.
    """

    matrix: Any  # scipy.sparse.csr_matrix, rows and columns in the solver's order
    cost: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_owner: np.ndarray
    row_owner: np.ndarray
    limit_rows: np.ndarray
    limit_capacity: np.ndarray
    link_columns: np.ndarray
    link_ends: tuple[np.ndarray, np.ndarray]


class Solver:
    def __init__(self, built: Built, *, options: dict[str, Any] | None = None) -> None:
        self.built = built
        self._column_cache: dict[str, xr.DataArray] = {}
        self._row_cache: dict[str, xr.DataArray] = {}
        m = built.model
        matrices = m.matrices
        self.vlabels = np.asarray(matrices.vlabels)
        self.clabels = np.asarray(matrices.clabels)
        self.cost = np.asarray(matrices.c, dtype=float)
        self.lb = np.asarray(matrices.lb, dtype=float)
        self.ub = np.asarray(matrices.ub, dtype=float)
        sense, b = np.asarray(matrices.sense), np.asarray(matrices.b, dtype=float)
        self.row_lower = np.where(sense != "<", b, -np.inf)
        self.row_upper = np.where(sense != ">", b, np.inf)
        with _quiet_stdout():  # HiGHS prints a banner when created, before options apply
            self.highs: Any = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        self.method = "simplex"
        if len(self.vlabels) >= LARGE_MODEL_COLUMNS and _hipo(self.highs):
            self.method = "hipo"
            for key, value in HIPO_OPTIONS.items():
                self.highs.setOptionValue(key, value)
        for key, value in (options or {}).items():
            if self.highs.setOptionValue(key, value) != highspy.HighsStatus.kOk:
                raise InputError.single(
                    expected="a HiGHS option name and a value it accepts",
                    found=f"{key}={value!r}",
                    path=f"solver_options.{key}",
                )
            if key == "solver":
                self.method = str(value)
        self.highs.passModel(_lp(self))
        # copies: ``load`` writes into the arrays in place, and what HiGHS holds must not move
        self._lb_now, self._ub_now = self.lb.copy(), self.ub.copy()
        self._cost_now = self.cost.copy()
        self._row_lower_now, self._row_upper_now = self.row_lower.copy(), self.row_upper.copy()
        data = built.data
        self.participants = data.participants
        index = {p: i for i, p in enumerate(self.participants)}
        self.col_owner = np.full(len(self.vlabels), -1)
        for name, (dataset, field) in OWNED.items():
            if name not in m.variables:
                continue
            owners = getattr(data, dataset)[field]
            _scatter(
                self.col_owner,
                self.column_positions(name),
                owners.copy(data=[index[o] for o in owners.values]),
            )
        self.row_owner = np.full(len(self.clabels), -1)
        nodes = xr.DataArray(
            [index[data.node_participant[n]] for n in data.nodes], coords={"node": list(data.nodes)}
        )
        _scatter(self.row_owner, self.row_positions("node-balance"), nodes)
        owned_rows: tuple[tuple[str, xr.Dataset], ...] = (
            ("storage-start", data.storage),
            ("demand-backlog-start", data.demands),
            ("demand-backlog", data.demands),
        )
        for row, items in owned_rows:
            if row in m.constraints:
                owners = items.participant
                _scatter(
                    self.row_owner,
                    self.row_positions(row),
                    owners.copy(data=[index[o] for o in owners.values]),
                )
        # Plain arrays for what every coalition run touches: xarray is too slow per run.
        names = list(data.connections.connection.values)
        self._contract_connection = np.array(
            [names.index(c) for c in data.contracts.connection.values], dtype=int
        )
        self._contract_owner = np.array(
            [index[p] for p in data.contracts.participant.values], dtype=int
        )
        self._limits = {
            side: (
                self.row_positions(f"connection-{side}-limit")
                .transpose("connection", "time")
                .values,
                data.connections[f"{side}_share"].transpose("connection", "time").values,
                data.contracts[f"{side}_mw"].values,
            )
            for side in ("import", "export")
        }
        self._own = np.concatenate(
            [self.columns("contract-import"), self.columns("contract-export")]
        )
        links = data.links
        self._link_ends = (
            np.array([index[p] for p in links.from_participant.values], dtype=int),
            np.array([index[p] for p in links.to_participant.values], dtype=int),
        )
        self._link_columns = (
            self.column_positions("link-flow").transpose("link", "time").values
            if links.sizes.get("link")
            else np.zeros((0, 0), dtype=int)
        )

    # --- positions of labelled blocks -----------------------------------------------------------
    def column_positions(self, name: str) -> xr.DataArray:
        if name not in self._column_cache:
            labels = self.built.model.variables[name].labels
            self._column_cache[name] = labels.copy(data=_positions(self.vlabels, labels.values))
        return self._column_cache[name]

    def row_positions(self, name: str) -> xr.DataArray:
        if name not in self._row_cache:
            labels = self.built.model.constraints[name].labels
            self._row_cache[name] = labels.copy(data=_positions(self.clabels, labels.values))
        return self._row_cache[name]

    def columns(self, name: str) -> np.ndarray:
        """Positions of a variable's columns, flat, masked entries left out."""
        positions = self.column_positions(name).values.ravel()
        return positions[positions >= 0]

    def rows(self, name: str) -> np.ndarray:
        positions = self.row_positions(name).values.ravel()
        return positions[positions >= 0]

    def values(self, run: Run, name: str) -> xr.DataArray:
        """A variable's solution as a labelled array (0 where the column does not exist)."""
        variable = self.built.model.variables[name]
        positions = self.column_positions(name).values
        out = np.where(positions >= 0, run.columns[np.maximum(positions, 0)], 0.0)
        return variable.labels.copy(data=out).rename(name)

    def duals(self, run: Run, name: str) -> xr.DataArray:
        """A constraint's duals (EUR per unit of right-hand side) as a labelled array."""
        return self._row_array(run.duals, name)

    def activities(self, run: Run, name: str) -> xr.DataArray:
        """A constraint's left-hand side at the solution, as a labelled array."""
        return self._row_array(run.rows, name)

    def upper_bounds(self, name: str) -> xr.DataArray:
        """A constraint's right-hand side (upper bound) as of the last run: the capacity a
        coalition or window actually had, not the one the model was built with."""
        return self._row_array(self._row_upper_now, name)

    def _row_array(self, values: np.ndarray, name: str) -> xr.DataArray:
        constraint = self.built.model.constraints[name]
        positions = self.row_positions(name).values
        out = np.where(positions >= 0, values[np.maximum(positions, 0)], np.nan)
        return constraint.labels.copy(data=out).rename(name)

    def structure(self) -> Structure:
        """How membership acts on the model, for a coalition-membership MILP built on it."""
        a = self.built.model.matrices.A
        if a is None:
            raise SolveError("the dispatch model has no constraints", status="warning")
        limit_rows, limit_capacity = [], []
        for rows, share, amount in self._limits.values():
            for c in range(rows.shape[0]):
                per_owner = np.bincount(
                    self._contract_owner,
                    weights=amount * (self._contract_connection == c),
                    minlength=len(self.participants),
                )
                keep = rows[c] >= 0
                limit_rows.append(rows[c][keep])
                limit_capacity.append(share[c][keep][:, None] * per_owner[None, :])
        ub = self.ub.copy()
        ub[self._own] = 0.0
        return Structure(
            matrix=a.tocsr(),
            cost=self.cost.copy(),
            lb=self.lb.copy(),
            ub=ub,
            row_lower=self.row_lower.copy(),
            row_upper=self.row_upper.copy(),
            col_owner=self.col_owner.copy(),
            row_owner=self.row_owner.copy(),
            limit_rows=np.concatenate(limit_rows) if limit_rows else np.zeros(0, dtype=int),
            limit_capacity=(
                np.vstack(limit_capacity)
                if limit_capacity
                else np.zeros((0, len(self.participants)))
            ),
            link_columns=self._link_columns,
            link_ends=self._link_ends,
        )

    # --- the three kinds of run -----------------------------------------------------------------
    def joint(self, *, fixed: tuple[np.ndarray, np.ndarray] | None = None) -> Run:
        """Everyone together: one pool behind each connection, contracts pooled. ``fixed`` holds
        columns and the values they must take (a committed schedule)."""
        return self.coalition(self.participants, fixed=fixed)

    def coalition(
        self, members: Iterable[str], *, fixed: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Run:
        """Only ``members`` exist and act together; everyone else's columns and loads are zero."""
        member = np.isin(np.array(self.participants), list(members))
        lb, ub = self.lb.copy(), self.ub.copy()
        if fixed is not None:
            lb[fixed[0]] = fixed[1]
            ub[fixed[0]] = fixed[1]
        absent = (self.col_owner >= 0) & ~member[np.maximum(self.col_owner, 0)]
        lb[absent] = 0.0
        ub[absent] = 0.0
        ub[self._own] = 0.0  # members trade through the pool, not alone
        self._close_links(lb, ub, member)
        row_lower, row_upper = self.row_lower.copy(), self.row_upper.copy()
        gone = (self.row_owner >= 0) & ~member[np.maximum(self.row_owner, 0)]
        row_lower[gone] = 0.0
        row_upper[gone] = 0.0
        contract_member = member[self._contract_owner]
        for rows, share, amount in self._limits.values():
            total = np.bincount(
                self._contract_connection, weights=amount * contract_member, minlength=rows.shape[0]
            )
            row_upper[rows] = total[:, None] * share  # the members' contracts, pooled
        return self._run(lb, ub, row_lower, row_upper)

    def standalone(self) -> Run:
        """Everyone alone, in one solve: no pool, no links between participants, each within
        its own contract. The problem splits into independent blocks, one per participant."""
        lb, ub = self.lb.copy(), self.ub.copy()
        for name in ("contract-pool", "connection-import", "connection-export"):
            positions = self.columns(name)
            lb[positions] = 0.0
            ub[positions] = 0.0
        self._close_links(lb, ub, None)
        return self._run(lb, ub, self.row_lower, self.row_upper)

    def load(self, data: DispatchData, parameters: Parameters) -> None:
        """Write another window's numbers into this model (same structure, new data): bounds,
        costs and right-hand sides; the next run starts from the last basis."""
        model = self.built.model
        for name, (lower, upper) in parameters.bounds.items():
            if name in model.variables:
                self._write(self.lb, self.column_positions(name), lower)
                self._write(self.ub, self.column_positions(name), upper)
        for name, cost in parameters.costs.items():
            if name in model.variables:
                self._write(self.cost, self.column_positions(name), cost)
        for name, rhs in parameters.rhs.items():
            if name not in model.constraints:
                continue
            self._write(self.row_upper, self.row_positions(name), rhs)
            if name in ("node-balance", "storage-start", "demand-backlog-start"):
                self._write(self.row_lower, self.row_positions(name), rhs)
        for side, (rows, _, amount) in self._limits.items():
            share = data.connections[f"{side}_share"].transpose("connection", "time").values
            self._limits[side] = (rows, share, amount)

    @staticmethod
    def _write(target: np.ndarray, positions: xr.DataArray, values: xr.DataArray) -> None:
        """Like ``_scatter`` but by position, not label: a new window has new time labels."""
        dims = positions.dims
        array = np.asarray(values.transpose(*[d for d in dims if d in values.dims]).values)
        for axis, dim in enumerate(dims):
            if dim not in values.dims:
                array = np.expand_dims(array, axis)
        flat = positions.values.ravel()
        keep = flat >= 0
        target[flat[keep]] = np.broadcast_to(array, positions.shape).ravel()[keep]

    def step_of_columns(self) -> np.ndarray:
        """The time step of every column (-1 for none), to count a window's first steps."""
        steps = np.full(len(self.vlabels), -1)
        time = self.built.data.time
        index = xr.DataArray(np.arange(len(time)), coords={"time": time})
        for name in self.built.model.variables:
            positions = self.column_positions(name)
            if "time" in positions.dims:
                _scatter(steps, positions, index)
        return steps

    def cost_by_participant(self, run: Run) -> dict[str, float]:
        """Each participant's share of the objective, from the columns it owns (exact when the
        run has no pooled columns, as a stand-alone run)."""
        owned = self.col_owner >= 0
        totals = np.bincount(
            self.col_owner[owned],
            weights=(self.cost * run.columns)[owned],
            minlength=len(self.participants),
        )
        return dict(zip(self.participants, totals.tolist(), strict=True))

    # --- internals ------------------------------------------------------------------------------
    def _close_links(self, lb: np.ndarray, ub: np.ndarray, member: np.ndarray | None) -> None:
        a, b = self._link_ends
        if not len(a):
            return
        closed = a != b if member is None else ~(member[a] & member[b])
        columns = self._link_columns[closed].ravel()
        columns = columns[columns >= 0]
        lb[columns] = 0.0
        ub[columns] = 0.0

    def _run(
        self, lb: np.ndarray, ub: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray
    ) -> Run:
        h = self.highs
        # Only what differs from the last run is passed on, so HiGHS keeps as much of its basis
        # and factorisation as it can.
        cols = np.flatnonzero((lb != self._lb_now) | (ub != self._ub_now)).astype(np.int32)
        if len(cols):
            h.changeColsBounds(len(cols), cols, lb[cols], ub[cols])
        priced = np.flatnonzero(self.cost != self._cost_now).astype(np.int32)
        if len(priced):
            h.changeColsCost(len(priced), priced, self.cost[priced])
            self._cost_now = self.cost.copy()
        rows = np.flatnonzero(
            (row_lower != self._row_lower_now) | (row_upper != self._row_upper_now)
        ).astype(np.int32)
        if len(rows):
            h.changeRowsBounds(len(rows), rows, row_lower[rows], row_upper[rows])
        self._lb_now, self._ub_now = lb, ub
        self._row_lower_now, self._row_upper_now = row_lower, row_upper
        started = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - started
        status = h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(
                f"dispatch did not solve to optimality: {h.modelStatusToString(status)}",
                status="warning",
                termination=h.modelStatusToString(status),
            )
        solution = h.getSolution()
        info = h.getInfo()
        return Run(
            objective=float(info.objective_function_value),
            columns=np.asarray(solution.col_value, dtype=float),
            rows=np.asarray(solution.row_value, dtype=float),
            duals=np.asarray(solution.row_dual, dtype=float),
            seconds=seconds,
        )


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the C library's stdout for a moment (Python's sys.stdout is not what it uses)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _positions(all_labels: np.ndarray, labels: np.ndarray) -> np.ndarray:
    found = np.searchsorted(all_labels, labels)
    found = np.clip(found, 0, max(len(all_labels) - 1, 0))
    hit = (labels >= 0) & (all_labels[found] == labels) if len(all_labels) else labels < -1
    return np.where(hit, found, -1)


def _scatter(target: np.ndarray, positions: xr.DataArray, values: xr.DataArray) -> None:
    """Write ``values`` (broadcast over the positions' dims) into ``target`` at ``positions``."""
    positions, values = xr.broadcast(positions, values)
    flat = positions.values.ravel()
    keep = flat >= 0
    target[flat[keep]] = values.transpose(*positions.dims).values.ravel()[keep]


def _lp(solver: Solver) -> highspy.HighsLp:
    m = solver.built.model
    a = m.matrices.A
    if a is None:
        raise SolveError("the dispatch model has no constraints", status="warning")
    lp = highspy.HighsLp()
    lp.num_col_ = len(solver.vlabels)
    lp.num_row_ = len(solver.clabels)
    lp.col_cost_ = solver.cost
    lp.col_lower_ = solver.lb
    lp.col_upper_ = solver.ub
    lp.row_lower_ = solver.row_lower
    lp.row_upper_ = solver.row_upper
    csc = a.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr
    lp.a_matrix_.index_ = csc.indices
    lp.a_matrix_.value_ = csc.data
    return lp
