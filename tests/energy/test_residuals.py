"""What HiGHS returns, checked from the model's own matrices and not from its status: every row
within its bounds, every column within its bounds, the binaries integral and the objective the
cost of the columns, for the joint and the stand-alone runs of the bundled examples (summer
days of the energy park need meter binaries) and of a coalition."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from clusterhub.energy.data import gather
from clusterhub.energy.model import build
from clusterhub.energy.solver import Run, Solver
from clusterhub.examples import load_example
from clusterhub.model import Cluster

#: HiGHS's primal feasibility tolerance is 1e-7 on scaled rows; MW-sized rows stay inside this
TOL = 1e-6


def _violations(solver: Solver, run: Run) -> dict[str, float]:
    """The largest violation of each kind, recomputed; the bounds are the run's own (a
    coalition's or the stand-alone's, as the solver last passed them to HiGHS)."""
    matrix = sp.csr_matrix(solver.built.model.matrices.A)
    x = run.columns
    activity = matrix @ x
    scale = 1.0 + np.abs(activity)
    lb, ub = solver._lb_now, solver._ub_now
    row_lower, row_upper = solver._row_lower_now, solver._row_upper_now
    binaries = run.integral
    return {
        "row": float(
            np.max(np.maximum(row_lower - activity, activity - row_upper) / scale, initial=0.0)
        ),
        "column": float(np.max(np.maximum(lb - x, x - ub), initial=0.0)),
        "integrality": float(np.max(np.abs(x[binaries] - np.round(x[binaries])), initial=0.0)),
        "objective": abs(float(solver.cost @ x) - run.objective) / max(1.0, abs(run.objective)),
        "activity": float(np.max(np.abs(activity - run.rows) / scale, initial=0.0)),
    }


def _with_capacity_tariffs(cluster: Cluster) -> Cluster:
    """Monthly import and yearly export capacity tariffs on every connection, over a month's
    end: the running peaks' rows, and their freed carry rows, checked too."""
    tariffs = {
        "import_capacity_tariff_eur_per_kw_year": 60.0,
        "export_capacity_tariff_eur_per_kw_year": 5.0,
    }
    return cluster.model_copy(
        update={"connections": tuple(c.model_copy(update=tariffs) for c in cluster.connections)}
    )


@pytest.mark.parametrize(
    ("name", "start", "tariffs"),
    [
        ("harbour", 24 * 180, False),
        ("energy-park", 24 * 180, False),
        ("harbour", 24 * 181 - 24, True),  # 2024-06-29: across June's end
    ],
)
def test_every_run_is_feasible_by_its_own_matrices(name: str, start: int, tariffs: bool) -> None:
    cluster = load_example(name)
    cluster = _with_capacity_tariffs(cluster) if tariffs else cluster
    solver = Solver(build(gather(cluster, start=start, steps=48)))
    members = solver.participants[: max(2, len(solver.participants) // 2)]
    for label, solve in (
        ("joint", solver.joint),
        ("standalone", solver.standalone),
        ("coalition", lambda: solver.coalition(members)),
    ):
        run = solve()
        worst = _violations(solver, run)
        assert all(value <= TOL for value in worst.values()), (label, worst)
    if name == "energy-park":  # the binaries were there to check
        assert solver.joint().integral.size > 0
    if tariffs:  # the peaks were there to check
        assert "connection-import-peak-carry" in solver.built.model.constraints
