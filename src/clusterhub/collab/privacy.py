"""Differential privacy for published indicators: Laplace noise on clamped sums and means
(OpenDP), and the arithmetic of a per-dataset privacy budget.

Why noise on top of the safe-table rules: k contributors and no dominant one stop a reader from
seeing one company's value in one cell, but many releases over time still narrow it down; noise
calibrated to how much one company can move a cell bounds what all releases together reveal,
and the budget (sequential composition: the epsilons of releases add up) says when to stop.

Why these choices:

- The unit of privacy is one contributor (company) in a cell, its rows summed first. The number
  of contributors of a released cell is published anyway (the safe-table rules need it), so it
  is treated as public: neighbouring tables differ in one contributor's value (bounded DP, a
  symmetric distance of 2 between the sized vectors in OpenDP's terms).
- Each contributor's value is clamped to ``[lower, upper]`` given with the request: the bounds
  must not come from the data, and any data-independent bounds are sound, since the noise scale
  follows from them. Wide bounds cost accuracy, not privacy.
- A table's epsilon is split evenly over its cells (the total row included): one company sits in
  many cells, and sequential composition is what protects it across all of them.
- OpenDP draws its noise from the operating system's secure generator and takes no seed, so
  tests check the noise statistically (its scale), never exact values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["DP_STATISTICS", "Budget", "Privacy", "Release", "release"]

#: The statistics that can be released with noise (percentiles and medians cannot, here).
DP_STATISTICS = ("sum", "mean")
#: A spend this close to the remaining budget still fits (float sums of epsilons are inexact).
SLACK = 1e-9


@dataclass(frozen=True)
class Privacy:
    """A request's privacy parameters: total epsilon and the clamping bounds per contributor."""

    epsilon: float
    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not self.epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {self.epsilon}")
        if not self.lower < self.upper:
            raise ValueError(f"lower must be below upper, got [{self.lower}, {self.upper}]")


@dataclass(frozen=True)
class Release:
    value: float
    epsilon: float  # what this release spends
    scale: float  # the Laplace noise's scale b (its standard deviation is b * sqrt(2))


@dataclass(frozen=True)
class Budget:
    """A dataset's budget: the owner's total and what releases have spent of it."""

    total: float
    spent: float = 0.0

    @property
    def remaining(self) -> float:
        return max(0.0, self.total - self.spent)

    def allows(self, epsilon: float) -> bool:
        return epsilon <= self.remaining + SLACK


@cache
def _opendp() -> Any:
    """OpenDP, with its "contrib" features (the Laplace mechanism on floats is one of them)."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def release(
    values: Sequence[float], *, statistic: str, epsilon: float, lower: float, upper: float
) -> Release:
    """The sum or mean of ``values`` (one per contributor), each clamped to ``[lower, upper]``,
    with Laplace noise making it ``epsilon``-differentially private for one contributor's
    value changing (the number of contributors is public)."""
    if statistic not in DP_STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(DP_STATISTICS)}, got {statistic}")
    if not values:
        raise ValueError("a release needs at least one contributor")
    dp = _opendp()
    space = (
        dp.vector_domain(dp.atom_domain(T=float, nan=False), size=len(values)),
        dp.symmetric_distance(),
    )
    aggregate = dp.t.then_sum() if statistic == "sum" else dp.t.then_mean()
    chain = space >> dp.t.then_clamp((float(lower), float(upper))) >> aggregate
    sensitivity = float(chain.map(2))  # OpenDP's own (conservatively rounded) bound
    scale = sensitivity / float(epsilon)
    for _ in range(8):  # float rounding may put the privacy loss a hair above epsilon
        try:
            measurement = chain >> dp.m.then_laplace(scale)
            if float(measurement.map(2)) <= epsilon:
                break
        except dp.OpenDPException as exc:
            raise ValueError(f"no Laplace noise of scale {scale:g}: {exc}") from None
        scale = math.nextafter(scale * (1 + 1e-12), math.inf)
    else:
        raise ValueError(f"no Laplace scale found for epsilon {epsilon:g}")
    if not math.isfinite(scale):
        raise ValueError(f"no finite Laplace scale for epsilon {epsilon:g}")
    return Release(float(measurement([float(v) for v in values])), float(epsilon), scale)
