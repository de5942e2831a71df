"""Routes of the cluster's operation: named groups of tenants and engine runs on shared data.

Why apart from ``app``: these are the cluster operator's tools, each a thin call into the
service (``service.groups``, ``service.runs``) that judges and audits; ``app`` keeps identity,
datasets, grants, the audit trail and aggregates.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.service import groups, runs

__all__ = ["RunIn", "add_operation_routes"]

GroupName = Annotated[
    str, Path(pattern=groups.GROUP_NAME.pattern, description="lower-case, digits, dashes")
]
TenantId = Annotated[str, Path(min_length=1, max_length=64)]


class RunIn(BaseModel):
    engine: Literal["energy", "sharing", "symbiosis"]
    cluster: str = Field(
        min_length=1, max_length=2_000_000, description="a bundled example or a cluster (YAML)"
    )
    start: int = Field(0, ge=0, le=1_000_000, description="first step (energy, sharing)")
    hours: int = Field(24, ge=1, le=744, description="steps to optimise (energy, sharing)")
    method: Literal["equal", "proportional", "shapley", "least-core", "nucleolus"] = "shapley"
    top: int = Field(5, ge=1, le=50, description="candidates per stream (symbiosis)")


def add_operation_routes(
    app: FastAPI,
    session: Callable[..., Any],
    subject: Callable[..., Any],
    now: Callable[[], datetime],
) -> None:
    """Group and run routes on ``app``; ``session`` and ``subject`` are the app's dependencies
    (one transaction per request, committed before the answer; the signed-in identity)."""
    db_dep, who_dep = Depends(session, scope="function"), Depends(subject)

    @app.get("/api/v1/groups", tags=["groups"])
    def list_groups(db: Session = db_dep, who: Subject = who_dep) -> dict[str, list[str]]:
        """Every named group and its member tenants: see who a grant to a group reaches."""
        return groups.groups(db, who)

    @app.put("/api/v1/groups/{group}/members/{tenant}", tags=["groups"])
    def join_group(
        group: GroupName, tenant: TenantId, db: Session = db_dep, who: Subject = who_dep
    ) -> dict[str, Any]:
        """Add a tenant to a group (cluster operators only; audited with the tenant as owner)."""
        members = groups.change_membership(db, who, group, tenant, member=True, now=now())
        return {"group": group, "members": members}

    @app.delete("/api/v1/groups/{group}/members/{tenant}", tags=["groups"])
    def leave_group(
        group: GroupName, tenant: TenantId, db: Session = db_dep, who: Subject = who_dep
    ) -> dict[str, Any]:
        """Remove a tenant from a group; its grants to the group stop reaching it at once."""
        members = groups.change_membership(db, who, group, tenant, member=False, now=now())
        return {"group": group, "members": members}

    @app.post("/api/v1/runs", status_code=201, tags=["runs"])
    def start_run(body: RunIn, db: Session = db_dep, who: Subject = who_dep) -> dict[str, Any]:
        """Run an engine on what members shared for its purpose (cluster operators only)."""
        run = runs.start_run(db, who, runs.RunRequest(**body.model_dump()), now=now())
        return runs.read_run(db, who, run, now=now())

    @app.get("/api/v1/runs", tags=["runs"])
    def list_runs(db: Session = db_dep, who: Subject = who_dep) -> list[dict[str, Any]]:
        """The runs you may open, newest first (the 50 latest): those you ran and those holding
        a part of yours; cluster-level summaries only."""
        return runs.list_runs(db, who)

    @app.get("/api/v1/runs/{run}", tags=["runs"])
    def read_run(run: str, db: Session = db_dep, who: Subject = who_dep) -> dict[str, Any]:
        """A run as the caller may see it: its own part, and safe cluster-level figures."""
        return runs.read_run(db, who, run, now=now())

    @app.post("/api/v1/runs/{run}/reproduce", tags=["runs"])
    def reproduce_run(run: str, db: Session = db_dep, who: Subject = who_dep) -> dict[str, Any]:
        """The run again on exactly the dataset versions it used, compared with what it gave."""
        return runs.reproduce(db, who, run, now=now())
