"""One HiGHS instance per built model; joint, stand-alone and coalition runs change bounds only.

Why HiGHS directly after linopy builds: a coalition re-solve must take milliseconds, which rules
out rebuilding or re-exporting the model. linopy's matrices give each variable's column and each
constraint's row; the runs below rewrite column and row bounds in bulk and re-run HiGHS, which
keeps its simplex basis between runs (a warm start).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import xarray as xr

from clusterhub.energy import highs as backend
from clusterhub.energy import meters as meter
from clusterhub.energy.data import DispatchData
from clusterhub.energy.model import AGREEMENT_COLUMNS, Built, Parameters
from clusterhub.energy.oneway import Bounds, OneWay
from clusterhub.energy.variables import OWNED
from clusterhub.errors import InputError, SolveError

__all__ = ["Run", "Solver"]


@dataclass(frozen=True)
class Run:
    """The outcome of one solve: objective, column values and row duals, by position.

    ``integral`` holds the columns of the meter binaries integral in this run (none: a linear
    program); then ``bounds`` says how the run kept them integral and how far from the best
    its objective can be (``oneway``), and the duals are those of the linear program with the
    binaries fixed where the schedule has them (a mixed-integer program has none of its own).
    ``one_way`` holds the binaries' columns where prices rewarded both directions, held to one
    by the binary or by a zero big-M.
    """

    objective: float
    columns: np.ndarray
    rows: np.ndarray
    duals: np.ndarray
    seconds: float
    integral: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    bounds: Bounds | None = None
    one_way: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


class Solver:
    def __init__(
        self,
        built: Built,
        *,
        options: dict[str, Any] | None = None,
        unit_commitment: bool = False,
    ) -> None:
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
        with backend.quiet_stdout():  # HiGHS prints a banner when created, before options apply
            self.highs: Any = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        self.method = "simplex"
        if len(self.vlabels) >= backend.LARGE_MODEL_COLUMNS and backend.has_hipo(self.highs):
            self.method = "hipo"
            for key, value in backend.HIPO_OPTIONS.items():
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
        self.oneway = OneWay(self.highs, self._meter_columns(), len(self.vlabels), self._check)
        #: converter terms' (row, column) entries and their coefficients as HiGHS holds them
        self._term_entries: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._mark_integral(built.parameters.meters)
        #: whether the units' on/off are binaries (else their linear relaxation)
        self.unit_commitment = unit_commitment and "converter-on" in m.variables
        if self.unit_commitment:
            self.oneway.committed[self.columns("converter-on")] = True
        if "mip_rel_gap" in (options or {}):  # the user's gap for the meters' binaries
            self.oneway.gap = float((options or {})["mip_rel_gap"])
        self.highs.passModel(
            backend.lp(
                matrices.A,
                self.cost,
                (self.lb, self.ub),
                (self.row_lower, self.row_upper),
            )
        )
        # copies: ``load`` writes into the arrays in place, and what HiGHS holds must not move
        self._lb_now, self._ub_now = self.lb.copy(), self.ub.copy()
        self._cost_now = self.cost.copy()
        self._row_lower_now, self._row_upper_now = self.row_lower.copy(), self.row_upper.copy()
        data = built.data
        self.participants = data.participants
        index = {p: i for i, p in enumerate(self.participants)}
        self.col_owner = np.full(len(self.vlabels), -1)
        for name, dataset in OWNED.items():
            if name not in m.variables:
                continue
            owners = getattr(data, dataset).participant
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
        self.contract_connection = np.array(
            [names.index(c) for c in data.contracts.connection.values], dtype=int
        )
        self.contract_owner = np.array(
            [index[p] for p in data.contracts.participant.values], dtype=int
        )
        self.limits = {
            side: (
                self.row_positions(f"connection-{side}-limit")
                .transpose("connection", "time")
                .values,
                data.connections[f"{side}_share"].transpose("connection", "time").values,
                data.contracts[f"{side}_mw"].transpose("contract", "time").values,
            )
            for side in ("import", "export")
        }
        self.own_contract_columns = np.concatenate(
            [self.columns("contract-import"), self.columns("contract-export")]
        )
        links = data.links
        self.link_ends = (
            np.array([index[p] for p in links.from_participant.values], dtype=int),
            np.array([index[p] for p in links.to_participant.values], dtype=int),
        )
        self.link_columns = (
            self.column_positions("link-flow").transpose("link", "time").values
            if links.sizes.get("link")
            else np.zeros((0, 0), dtype=int)
        )
        agreements = data.agreements
        #: each agreement's seller and buyer, and all its columns (``model.AGREEMENT_COLUMNS``)
        self.agreement_ends = (
            np.array([index[p] for p in agreements.seller.values], dtype=int),
            np.array([index[p] for p in agreements.buyer.values], dtype=int),
        )
        #: each agreement column's positions by name, (agreement, time)
        self.agreement_blocks = {
            n: self.column_positions(n).transpose("agreement", "time").values
            for n in AGREEMENT_COLUMNS
        }
        self.agreement_columns = np.hstack(list(self.agreement_blocks.values()))
        # the agreements behind a connection: the buyer's and the seller's contract, and the
        # columns of what the buyer receives and the seller sends, (agreement, time)
        contract_of = dict(zip(data.draws.node.values, data.draws.contract.values, strict=True))
        contracts = list(data.contracts.contract.values)
        behind = np.flatnonzero(agreements.link.values == "")
        buyers, sellers = (
            agreements.buyer_node.values[behind],
            agreements.seller_node.values[behind],
        )
        self.agreement_contracts = (
            np.array([contracts.index(contract_of[n]) for n in buyers], dtype=int),
            np.array([contracts.index(contract_of[n]) for n in sellers], dtype=int),
            self.agreement_blocks["agreement-in"][behind],
            self.agreement_blocks["agreement-out"][behind],
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

    # --- the three kinds of run -----------------------------------------------------------------
    def joint(self, *, fixed: tuple[np.ndarray, np.ndarray] | None = None) -> Run:
        """Everyone together: one pool behind each connection, contracts pooled. ``fixed`` holds
        columns and the values they must take (a committed schedule)."""
        return self.coalition(self.participants, fixed=fixed)

    def coalition(
        self,
        members: Iterable[str],
        *,
        fixed: tuple[np.ndarray, np.ndarray] | None = None,
        within: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        own_limits: bool = False,
    ) -> Run:
        """Only ``members`` exist and act together; everyone else's columns and loads are zero.
        ``own_limits`` keeps each member's flow through the pool within its own contract (they
        may still net their flows, but none uses capacity another contracted). ``within`` holds
        columns between a lower and an upper value (a schedule, with room for its tolerances)."""
        member = np.isin(np.array(self.participants), list(members))
        lb, ub = self.lb.copy(), self.ub.copy()
        absent = (self.col_owner >= 0) & ~member[np.maximum(self.col_owner, 0)]
        lb[absent] = 0.0
        ub[absent] = 0.0
        ub[self.own_contract_columns] = 0.0  # members trade through the pool, not alone
        self._close_links(lb, ub, member)
        # an agreement between two members is a payment between them: it moves nothing
        seller, buyer = self.agreement_ends
        internal = self.agreement_columns[member[seller] & member[buyer]].ravel()
        lb[internal] = 0.0
        ub[internal] = 0.0
        # last: a schedule may hold an agreement's delivery
        for at, lower, upper in ([(*fixed, fixed[1])] if fixed is not None else []) + (
            [within] if within is not None else []
        ):
            lb[at] = lower
            ub[at] = upper
        row_lower, row_upper = self.row_lower.copy(), self.row_upper.copy()
        gone = (self.row_owner >= 0) & ~member[np.maximum(self.row_owner, 0)]
        row_lower[gone] = 0.0
        row_upper[gone] = 0.0
        if own_limits:
            self._own_limits(lb, ub)
        contract_member = member[self.contract_owner]
        for rows, share, amount in self.limits.values():
            total = np.zeros(rows.shape)
            np.add.at(total, self.contract_connection, amount * contract_member[:, None])
            row_upper[rows] = total * share  # the members' contracts, pooled
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
        costs, right-hand sides and the converters' coefficients that vary in time (a COP);
        the next run starts from the last basis."""
        self._load_coefficients(data)
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
            # the side the right-hand side bounds: both for an equation
            signs = set(np.unique(np.asarray(model.constraints[name].sign.values)).tolist())
            if signs & {"<=", "="}:
                self._write(self.row_upper, self.row_positions(name), rhs)
            if signs & {">=", "="}:
                self._write(self.row_lower, self.row_positions(name), rhs)
        for side, (rows, _, _) in self.limits.items():
            share = data.connections[f"{side}_share"].transpose("connection", "time").values
            amount = data.contracts[f"{side}_mw"].transpose("contract", "time").values
            self.limits[side] = (rows, share, amount)
        self._mark_integral(parameters.meters)

    def _load_coefficients(self, data: DispatchData) -> None:
        """Rewrite the matrix entries of converter terms whose coefficient differs in ``data``:
        one call per entry (HiGHS has no bulk call), only where a series made it differ."""
        terms = data.converter_terms
        if not terms.sizes.get("term"):
            return
        if self._term_entries is None:
            built = self.built.data.converter_terms
            at_rows = self.row_positions("node-balance").sel(node=built.node)
            at_columns = self.column_positions("converter-flow").sel(converter=built.converter)
            self._term_entries = (
                at_rows.transpose("term", "time").values,
                at_columns.transpose("term", "time").values,
                built.coefficient.transpose("term", "time").values.copy(),
            )
        rows, columns, now = self._term_entries
        new = terms.coefficient.transpose("term", "time").values
        for term, step in zip(*np.nonzero(new != now), strict=True):
            self.highs.changeCoeff(int(rows[term, step]), int(columns[term, step]), new[term, step])
        now[...] = new

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
    def _own_limits(self, lb: np.ndarray, ub: np.ndarray) -> None:
        """Each member's flow through the pool within its own contract, widened by what its
        agreements behind the connection deliver (alone that flows beside the contract)."""
        positions = self.column_positions("contract-pool").transpose("contract", "time").values
        (_, share_in, import_mw), (_, share_out, export_mw) = (
            self.limits["import"],
            self.limits["export"],
        )
        at = self.contract_connection
        import_cap, export_cap = import_mw * share_in[at], export_mw * share_out[at]
        buyer, seller, inflow, outflow = self.agreement_contracts
        if len(buyer):
            np.add.at(import_cap, buyer, self.lb[inflow])
            np.add.at(export_cap, seller, self.lb[outflow])
        keep = positions >= 0
        lb[positions[keep]] = np.maximum(lb[positions[keep]], -export_cap[keep])
        ub[positions[keep]] = np.minimum(ub[positions[keep]], import_cap[keep])

    def _close_links(self, lb: np.ndarray, ub: np.ndarray, member: np.ndarray | None) -> None:
        a, b = self.link_ends
        if not len(a):
            return
        closed = a != b if member is None else ~(member[a] & member[b])
        columns = self.link_columns[closed].ravel()
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
        one_way = np.flatnonzero(self.oneway.integral(ub, of=self.oneway.rewarded))
        solved = self.oneway.run(lb, ub)
        return Run(
            objective=solved.objective,
            columns=solved.columns,
            rows=solved.rows,
            duals=solved.duals,
            seconds=solved.seconds,
            integral=solved.integral,
            bounds=solved.bounds,
            one_way=one_way.astype(np.int32),
        )

    def _meter_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each meter binary's column with its meter's import and export columns, flat."""
        found = []
        for binary, inflow, outflow in meter.BINARIES:
            if binary not in self.built.model.variables:
                continue
            positions = [self.column_positions(n) for n in (binary, inflow, outflow)]
            b, i, e = (p.transpose(*positions[0].dims).values.ravel() for p in positions)
            keep = b >= 0
            found.append((b[keep], i[keep], e[keep]))
        if not found:
            empty = np.zeros(0, dtype=int)
            return empty, empty, empty
        b, i, e = (np.concatenate(parts) for parts in zip(*found, strict=True))
        return b, i, e

    def _mark_integral(self, meters: meter.Meters) -> None:
        """Where this window's prices reward both directions at a meter (``rewarded``) and
        where its binary must be integral for that (``integral``)."""
        rewarded = self._flags(meters.rewarded)
        # big-M from capacities (a rolling horizon's): every rewarded slot needs its binary
        integral = rewarded if self.built.meters.every_window else self._flags(meters.integral)
        self.oneway.mark(integral, rewarded)

    def _flags(self, slots: dict[str, xr.DataArray]) -> np.ndarray:
        flags = np.zeros(len(self.vlabels))
        for name, where in slots.items():
            if name in self.built.model.variables:
                self._write(flags, self.column_positions(name), where.astype(float))
        return flags > 0

    def integral(self, ub: np.ndarray) -> np.ndarray:
        """Which columns are integral in a run with upper bounds ``ub``: the meters' binaries
        (``OneWay.integral``) and, when unit commitment was asked for, the units' on/off."""
        return self.oneway.integral(ub) | (self.oneway.committed & (ub > 0))

    def _check(self) -> None:
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolveError(
                f"dispatch did not solve to optimality: {self.highs.modelStatusToString(status)}",
                status="warning",
                termination=self.highs.modelStatusToString(status),
            )


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
