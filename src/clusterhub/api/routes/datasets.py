"""A tenant's datasets: create one, add a version, read a version (as JSON, CSV or Excel), and
the owner's settings beside them: the privacy budget and which releases it allows.

Every read states its purpose and is one decision, audited (``service.data``); a refusal is
404, like a missing dataset. The release rule (``service.releases``) is read by the owner's
member admins and auditors and set by its member admins: with ``private-only`` the dataset is
left out of exact aggregates and used by differentially private ones.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from clusterhub.api.deps import Clock, CurrentUser, PurposeQuery, SessionDep, VersionQuery
from clusterhub.api.export import XLSX, to_csv, to_xlsx
from clusterhub.service import aggregates as aggregation
from clusterhub.service import data, releases

__all__ = ["MAX_ROWS", "BudgetIn", "DatasetIn", "ReleaseIn", "VersionIn", "router"]

MAX_ROWS = 100_000
ColumnName = Annotated[str, Field(min_length=1, max_length=64)]

router = APIRouter(tags=["datasets"])


class DatasetIn(BaseModel):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    kind: Literal["timeseries", "table"]
    columns: dict[ColumnName, Literal["number", "text", "time"]] = Field(
        min_length=1, max_length=200
    )
    mode: Literal["replace", "append", "upsert"] = Field(
        "replace",
        description="replace: each version is its message's rows; append: the rows are added; "
        "upsert: a row whose key exists replaces it, others are added",
    )
    key: list[ColumnName] | None = Field(
        None, max_length=20, description="upsert only: the declared columns that identify a row"
    )


class VersionIn(BaseModel):
    rows: list[dict[str, Any]] = Field(max_length=MAX_ROWS)


class BudgetIn(BaseModel):
    epsilon: float = Field(gt=0, le=100, description="the dataset's total privacy budget")


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release: Literal["exact", "private-only"]


@router.post("/api/v1/datasets", status_code=201)
def create_dataset(db: SessionDep, who: CurrentUser, body: DatasetIn) -> dict[str, str]:
    created = data.create_dataset(
        db, who, body.name, body.kind, body.columns, mode=body.mode, key=body.key
    )
    return {"id": created}


@router.post("/api/v1/datasets/{dataset}/versions", status_code=201)
def add_version(db: SessionDep, who: CurrentUser, dataset: str, body: VersionIn) -> dict[str, int]:
    return {"version": data.add_version(db, who, dataset, body.rows)}


@router.get("/api/v1/datasets/{dataset}")
def read(
    *,
    db: SessionDep,
    who: CurrentUser,
    now: Clock,
    dataset: str,
    purpose: PurposeQuery,
    version: VersionQuery = None,
) -> dict[str, Any]:
    found = data.read_dataset(db, who, dataset, purpose, version=version, now=now())
    return {
        "dataset": found.dataset,
        "owner": found.owner,
        "name": found.name,
        "mode": found.mode,
        "key": list(found.key),
        "version": found.version,
        "sha256": found.sha256,
        "rows": found.rows,
    }


def _budget(state: aggregation.BudgetState) -> dict[str, Any]:
    return {
        "dataset": state.dataset,
        "epsilon_total": state.total,
        "epsilon_spent": state.spent,
        "epsilon_remaining": state.remaining,
        "releases": state.releases,
    }


@router.get("/api/v1/datasets/{dataset}/budget")
def budget(db: SessionDep, who: CurrentUser, dataset: str) -> dict[str, Any]:
    """What differentially private releases have spent of the dataset's privacy budget."""
    return _budget(aggregation.privacy_budget(db, who, dataset))


@router.put("/api/v1/datasets/{dataset}/budget")
def set_budget(db: SessionDep, who: CurrentUser, dataset: str, body: BudgetIn) -> dict[str, Any]:
    """The owner's total epsilon for the dataset; spent epsilon stays spent."""
    return _budget(aggregation.set_privacy_budget(db, who, dataset, body.epsilon))


@router.get(
    "/api/v1/datasets/{dataset}/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX: {}},
                     "description": "the version's rows as a file"}},
)  # fmt: skip
def export(
    *,
    dataset: str,
    purpose: PurposeQuery,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    version: VersionQuery = None,
    db: SessionDep,
    who: CurrentUser,
    now: Clock,
) -> Response:
    """A dataset version's rows as CSV or Excel, text cells that would run as formulas
    quoted; the same read, decision and audit as reading it as JSON."""
    found = data.read_dataset(db, who, dataset, purpose, version=version, now=now())
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{found.name}-v{found.version}.{format}")
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        return Response(to_xlsx(found.rows), media_type=XLSX, headers=disposition)
    return Response(to_csv(found.rows), media_type="text/csv", headers=disposition)


@router.get("/api/v1/datasets/{dataset}/release")
def release(db: SessionDep, who: CurrentUser, dataset: str) -> dict[str, str]:
    """Which releases the dataset's owner allows: exact (audited) or private-only."""
    return {"dataset": dataset, "release": releases.release_rule(db, who, dataset)}


@router.put("/api/v1/datasets/{dataset}/release")
def set_release(db: SessionDep, who: CurrentUser, dataset: str, body: ReleaseIn) -> dict[str, str]:
    """The owner's choice: ``private-only`` leaves the dataset out of exact aggregates."""
    return {"dataset": dataset,
            "release": releases.set_release_rule(db, who, dataset, body.release)}  # fmt: skip
