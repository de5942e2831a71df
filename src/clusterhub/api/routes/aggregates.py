"""Cluster-level aggregates over every tenant's dataset of one name, released cell by cell only
when safe (``service.aggregates``); optionally differentially private, charged to each
contributing dataset's privacy budget (409 when one cannot pay, its refusals audited).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from clusterhub.api.deps import Clock, CurrentUser, PurposeQuery, SessionDep
from clusterhub.collab import DP_STATISTICS, Privacy
from clusterhub.service import aggregates as aggregation
from clusterhub.service.releases import LEFT_OUT

__all__ = ["DEFAULT_EPSILON", "router"]

DEFAULT_EPSILON = 0.1

router = APIRouter(tags=["aggregates"])


def _privacy(
    statistic: str, epsilon: float, lower: float | None, upper: float | None
) -> Privacy | str:
    """The request's privacy parameters, or why nothing can be released with them. Why not
    a 422: each parameter is valid alone, and an aggregate that cannot be released says why in
    its cell, as every suppressed cell does."""
    if statistic not in DP_STATISTICS:
        return f"differential privacy covers {' and '.join(DP_STATISTICS)} only, not {statistic}"
    if lower is None or upper is None or not lower < upper:
        return "differential privacy needs bounds with lower below upper"
    return Privacy(epsilon, lower, upper)


@router.get("/api/v1/aggregates")
def aggregates(  # noqa: PLR0917 - query parameters, as FastAPI reads them
    db: SessionDep,
    who: CurrentUser,
    now: Clock,
    name: Annotated[str, Query(min_length=1, max_length=128)],
    value: Annotated[str, Query(min_length=1, max_length=128)],
    purpose: PurposeQuery,
    by: Annotated[
        str | None,
        Query(
            max_length=200,
            description="grouping columns, comma-separated; `sector` is the contributor's",
        ),
    ] = None,
    statistic: Annotated[str, Query(pattern="^(sum|mean|median|p10|p25|p50|p75|p90)$")] = "sum",
    period: Annotated[
        Literal["day", "week", "month", "quarter", "year"] | None,
        Query(description="calendar period of the `time` column to group by"),
    ] = None,
    time: Annotated[str, Query(min_length=1, max_length=128)] = "time",
    dp: Annotated[
        bool, Query(description="add differential-privacy noise (sum and mean only)")
    ] = False,
    epsilon: Annotated[
        float, Query(gt=0, le=10, description="privacy loss of the whole table, with dp")
    ] = DEFAULT_EPSILON,
    lower: Annotated[
        float | None,
        Query(ge=-1e12, le=1e12, description="with dp: clamp each company's value from"),
    ] = None,
    upper: Annotated[
        float | None,
        Query(ge=-1e12, le=1e12, description="with dp: clamp each company's value to"),
    ] = None,
) -> list[dict[str, Any]]:
    """A cluster-level aggregate: only cells over at least 3 companies, none dominant, no
    company's figures by difference with earlier exact answers to the tenant; optionally
    differentially private, charged to each contributing dataset's budget. Exact answers
    leave out (and count) datasets whose owners allow only private releases."""
    privacy = _privacy(statistic, epsilon, lower, upper) if dp else None
    if isinstance(privacy, str):  # nothing is read: nothing to release or to audit
        return [{"group": ["total"], "value": None, "contributors": None, "suppressed": True,
                 "reason": privacy, "epsilon": None, "noise_scale": None,
                 "left_out": 0, "left_out_reason": None}]  # fmt: skip
    table = aggregation.aggregate(
        db, who, name=name, value=value, purpose=purpose,
        by=[c.strip() for c in (by or "").split(",") if c.strip()],
        statistic=statistic, period=period, time=time, privacy=privacy, now=now(),
    )  # fmt: skip
    return [
        {
            "group": [str(g) for g in c.group],
            "value": c.value,
            "contributors": c.contributors if not c.suppressed else None,
            "suppressed": c.suppressed,
            "reason": c.reason or None,
            "epsilon": c.epsilon,
            "noise_scale": c.noise_scale,
            "left_out": table.left_out,
            "left_out_reason": f"{table.left_out} datasets left out: {LEFT_OUT}"
            if table.left_out
            else None,
        }
        for c in table.cells
    ]
