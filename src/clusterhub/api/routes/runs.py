"""Engine runs on what members shared: the cluster operator starts one for a purpose; everyone
opens the runs they have a part in, and any run can be reproduced on the dataset versions it
used. Each a thin call into ``service.runs``, which judges and audits every dataset it reads.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from clusterhub.api.deps import Clock, CurrentUser, SessionDep
from clusterhub.service import runs

__all__ = ["RunIn", "router"]

router = APIRouter(tags=["runs"])


class RunIn(BaseModel):
    engine: Literal["energy", "sharing", "symbiosis"]
    cluster: str = Field(
        min_length=1, max_length=2_000_000, description="a bundled example or a cluster (YAML)"
    )
    start: int = Field(0, ge=0, le=1_000_000, description="first step (energy, sharing)")
    hours: int = Field(24, ge=1, le=744, description="steps to optimise (energy, sharing)")
    method: Literal["equal", "proportional", "shapley", "least-core", "nucleolus"] = "shapley"
    top: int = Field(5, ge=1, le=50, description="candidates per stream (symbiosis)")


@router.post("/api/v1/runs", status_code=201)
def start_run(body: RunIn, db: SessionDep, who: CurrentUser, now: Clock) -> dict[str, Any]:
    """Run an engine on what members shared for its purpose (cluster operators only)."""
    run = runs.start_run(db, who, runs.RunRequest(**body.model_dump()), now=now())
    return runs.read_run(db, who, run, now=now())


@router.get("/api/v1/runs")
def list_runs(db: SessionDep, who: CurrentUser) -> list[dict[str, Any]]:
    """The runs you may open, newest first (the 50 latest): those you ran and those holding
    a part of yours; cluster-level summaries only."""
    return runs.list_runs(db, who)


@router.get("/api/v1/runs/{run}")
def read_run(run: str, db: SessionDep, who: CurrentUser, now: Clock) -> dict[str, Any]:
    """A run as the caller may see it: its own part, and safe cluster-level figures."""
    return runs.read_run(db, who, run, now=now())


@router.post("/api/v1/runs/{run}/reproduce")
def reproduce_run(run: str, db: SessionDep, who: CurrentUser, now: Clock) -> dict[str, Any]:
    """The run again on exactly the dataset versions it used, compared with what it gave."""
    return runs.reproduce(db, who, run, now=now())
