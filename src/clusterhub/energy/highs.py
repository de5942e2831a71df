"""What the solver wrapper asks of HiGHS itself: which algorithm a model gets, a quiet start, and
the model handed over as one sparse matrix.

Why apart from ``solver``: these depend on the HiGHS build (HiPO comes with ``highspy-extras``)
and on its C library's habits (a banner on stdout), not on the dispatch model.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import highspy
import numpy as np

from clusterhub.errors import SolveError

__all__ = ["HIPO_OPTIONS", "LARGE_MODEL_COLUMNS", "has_hipo", "lp", "quiet_stdout"]

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


def has_hipo(highs: Any) -> bool:
    """Whether this HiGHS build has HiPO: it refuses the option value when it lacks the
    linear-algebra libraries HiPO needs."""
    available = bool(highs.setOptionValue("solver", "hipo") == highspy.HighsStatus.kOk)
    highs.setOptionValue("solver", "choose")
    return available


@contextmanager
def quiet_stdout() -> Iterator[None]:
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


def lp(
    matrix: Any,
    cost: np.ndarray,
    bounds: tuple[np.ndarray, np.ndarray],
    rows: tuple[np.ndarray, np.ndarray],
) -> highspy.HighsLp:
    """The linear program min ``cost @ x`` over ``bounds`` (columns) and ``rows`` (lower and
    upper bounds of ``matrix @ x``); ``matrix`` is a scipy sparse matrix, or None (no rows)."""
    if matrix is None:
        raise SolveError("the dispatch model has no constraints", status="warning")
    model = highspy.HighsLp()
    model.num_col_ = len(cost)
    model.num_row_ = len(rows[0])
    model.col_cost_ = cost
    model.col_lower_, model.col_upper_ = bounds
    model.row_lower_, model.row_upper_ = rows
    csc = matrix.tocsc()
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = csc.indptr
    model.a_matrix_.index_ = csc.indices
    model.a_matrix_.value_ = csc.data
    return model
