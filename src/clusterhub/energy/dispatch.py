"""Joint dispatch, the stand-alone baseline and the collaboration saving: the engine's entry points.

Why joint and stand-alone from one model: the saving is the gap between the two, and the two must
see exactly the same data, the same solver and the same tolerances, or the gap measures noise.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from typing import Any

from clusterhub.energy.causes import saving_by_cause
from clusterhub.energy.data import gather
from clusterhub.energy.kinds import Progress
from clusterhub.energy.model import LOST_LOAD_EUR_PER_MWH, build
from clusterhub.energy.results import CollaborationResult, DispatchResult
from clusterhub.energy.solver import Solver
from clusterhub.energy.summary import summarize_run
from clusterhub.energy.window import Moment, check_start, check_steps, window_steps
from clusterhub.model import Cluster

__all__ = [
    "STAGES",
    "CollaborationResult",
    "DispatchOptions",
    "DispatchResult",
    "compare",
    "optimize",
    "prepare",
]

#: What ``compare`` tells its ``progress``, in order: (stage in words, fraction done when it
#: starts); building the model takes most of the time, the two solves the rest.
STAGES = (
    ("gathering data", 0.0),
    ("building the model", 0.2),
    ("solving jointly", 0.8),
    ("solving each company alone", 0.9),
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
    #: the converters' on/off as binaries (a mixed-integer program: minimum loads, start-up
    #: costs, minimum up and down times hold exactly); else their linear relaxation
    unit_commitment: bool = False

    def __post_init__(self) -> None:
        check_start(self.start)
        check_steps(self.steps)

    def window(self, cluster: Cluster) -> tuple[int, int]:
        """The first step and the number of steps in ``cluster``'s horizon."""
        return window_steps(cluster, self.start, self.steps)


#: What ``compare(causes=True)`` tells its ``progress`` while it splits the saving.
CAUSE_STAGE = "splitting the saving by cause"


def _silent(stage: str, fraction: float) -> None:
    """A ``Progress`` that tells no one."""


def prepare(
    cluster: Cluster, *, options: DispatchOptions | None = None, progress: Progress | None = None
) -> Solver:
    """Gather, build and hand to HiGHS once; every run after this changes bounds only."""
    tell = progress or _silent
    options = options or DispatchOptions()
    first, steps = options.window(cluster)
    tell(*STAGES[0])
    data = gather(cluster, start=first, steps=steps)
    tell(*STAGES[1])
    built = build(data, lost_load_eur_per_mwh=options.lost_load_eur_per_mwh)
    return Solver(built, options=options.solver_options, unit_commitment=options.unit_commitment)


def optimize(cluster: Cluster, *, options: DispatchOptions | None = None) -> DispatchResult:
    """Joint least-cost dispatch of every participant behind the shared connections.

    Why: the collaboration saving is the gap between this and the stand-alone baseline
    (``compare``); this alone answers "how should the cluster run together?".
    """
    solver = prepare(cluster, options=options)
    return summarize_run(solver, solver.joint())


def compare(
    cluster: Cluster,
    *,
    options: DispatchOptions | None = None,
    progress: Progress | None = None,
    causes: bool = False,
) -> CollaborationResult:
    """Joint and stand-alone dispatch from one built model, and the saving between them;
    with ``causes``, the saving split by cause as well (``causes.saving_by_cause``: 2^k more
    joint runs on the same model, k up to 6).

    ``progress`` is told each of ``STAGES`` as it starts (and the split's share of its runs);
    the comparison is done when this returns. Why here and not in each face: the command line,
    the dashboard and the service all show this comparison, and one door stages it for all.
    """
    tell = progress or _silent
    started = clock.perf_counter()
    solver = prepare(cluster, options=options, progress=tell)
    build_seconds = clock.perf_counter() - started
    tell(*STAGES[2])
    joint = summarize_run(solver, solver.joint())
    tell(*STAGES[3])
    alone_run = solver.standalone()
    alone = summarize_run(solver, alone_run)
    split = None
    if causes:
        tell(CAUSE_STAGE, 0.95)

        def runs(done: int, total: int) -> None:
            tell(CAUSE_STAGE, 0.95 + 0.05 * done / total)

        split = saving_by_cause(solver, alone_run, progress=runs)
    return CollaborationResult(
        joint=joint, standalone=alone, build_seconds=build_seconds, saving_by_cause_eur=split
    )
