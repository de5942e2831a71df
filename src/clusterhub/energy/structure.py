"""How membership acts on the dispatch model, for a coalition-membership MILP built on it.

Why the engine hands this out: the separation oracle of benefit sharing (in the service's energy
game) asks for the coalition with the largest excess in one MILP over membership binaries. It
needs the model's matrix and bounds together with who owns each column and row; those are the
solver's own bookkeeping, read here once so that no caller reaches into the solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from clusterhub.energy.solver import Solver
from clusterhub.errors import SolveError

__all__ = ["Structure", "structure"]


@dataclass(frozen=True)
class Structure:
    """The model's matrix and bounds with who owns what, for a MILP on membership. Columns
    owned by an absent participant are zero; its rows (node balances, storage starts) have a
    zero right-hand side; a connection limit row ``limit_rows[k]`` allows ``limit_capacity[k] @
    member`` (the members' pooled contracts); a link is open only when both ends are members;
    an agreement's columns (``agreement_columns``, one row per agreement) are at their
    bounds when their owner is a member and the other party ``agreement_partner`` is not, else 0.
    Owners are positions in the solver's participants (-1: nobody's).
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
    agreement_columns: np.ndarray
    #: the other party of each column in ``agreement_columns`` (same shape)
    agreement_partner: np.ndarray
    #: columns that must be integral: a meter's import-or-export binaries (``meters``)
    integer_columns: np.ndarray


def structure(solver: Solver) -> Structure:
    """The membership view of ``solver``'s model (its bounds as built, own contracts closed:
    members trade through the pool)."""
    a = solver.built.model.matrices.A
    if a is None:
        raise SolveError("the dispatch model has no constraints", status="warning")
    n = len(solver.participants)
    limit_rows, limit_capacity = [], []
    for rows, share, amount in solver.limits.values():
        for c in range(rows.shape[0]):
            per_owner = np.zeros((n, rows.shape[1]))  # (owner, time): its contracts at c
            at = solver.contract_connection == c
            np.add.at(per_owner, solver.contract_owner[at], amount[at])
            keep = rows[c] >= 0
            limit_rows.append(rows[c][keep])
            limit_capacity.append((share[c][:, None] * per_owner.T)[keep])
    ub = solver.ub.copy()
    ub[solver.own_contract_columns] = 0.0
    return Structure(
        matrix=a.tocsr(),
        cost=solver.cost.copy(),
        lb=solver.lb.copy(),
        ub=ub,
        row_lower=solver.row_lower.copy(),
        row_upper=solver.row_upper.copy(),
        col_owner=solver.col_owner.copy(),
        row_owner=solver.row_owner.copy(),
        limit_rows=np.concatenate(limit_rows) if limit_rows else np.zeros(0, dtype=int),
        limit_capacity=np.vstack(limit_capacity) if limit_capacity else np.zeros((0, n)),
        link_columns=solver.link_columns,
        link_ends=solver.link_ends,
        agreement_columns=solver.agreement_columns,
        agreement_partner=(solver.agreement_ends[0] + solver.agreement_ends[1])[:, None]
        - solver.col_owner[solver.agreement_columns],
        integer_columns=np.flatnonzero(solver.integral(ub)),
    )
