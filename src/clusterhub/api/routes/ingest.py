"""Ingest: rows as JSON (REST), a file upload (CSV or Excel, and its form), receipts, dead letters.

Why a receipt as the answer, also for a rejected message: the sender learns what happened to
exactly this message (accepted as version n, a duplicate of an earlier receipt, or rejected with
each problem's row and column) and the rejection is kept as a dead letter, so the request
commits even when it answers 422.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Path, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from clusterhub.api.deps import Clock, CurrentUser, SessionDep
from clusterhub.api.errors import RECEIPT, file_too_large, receipt_answer
from clusterhub.ingest import Message, dead_letters, receipts, replay, submit
from clusterhub.ingest.parse import JSON, media_type_of

__all__ = ["MAX_FILE_BYTES", "RowsIn", "router"]

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
Name = Annotated[str, Path(min_length=1, max_length=128)]
Tenant = Annotated[str, Path(min_length=1, max_length=64)]
Key = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=128, description="the same key: stored once"),
]


class RowsIn(BaseModel):
    rows: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ROWS)


router = APIRouter(tags=["ingest"])


@router.post("/api/v1/ingest/{tenant}/{dataset}", responses=RECEIPT)
def ingest_rows(
    *, db: SessionDep, who: CurrentUser, now: Clock, tenant: Tenant, dataset: Name,
    body: RowsIn, key: Key = None,
) -> JSONResponse:  # fmt: skip
    """Rows as JSON into your own dataset; the same message (by key, else by content) is
    stored once."""
    payload = body.model_dump_json().encode()
    message = Message(channel="rest", target=tenant, dataset=dataset, payload=payload,
                      media_type=JSON, sender=who.user, idempotency_key=key)  # fmt: skip
    return receipt_answer(submit(db, who, message, now=now()))


@router.post(
    "/api/v1/ingest/{tenant}/{dataset}/file",
    responses={**RECEIPT, 413: {"description": "a file over 20 MB"}},
)
def ingest_file(
    *, db: SessionDep, who: CurrentUser, now: Clock, tenant: Tenant, dataset: Name,
    file: Annotated[UploadFile, File(description="CSV or Excel (.xlsx)")], key: Key = None,
) -> JSONResponse:  # fmt: skip
    """A CSV or Excel file into your own dataset, checked whole (row and column named)."""
    payload = file.file.read(MAX_FILE_BYTES + 1)
    if len(payload) > MAX_FILE_BYTES:
        return file_too_large("20 MB")
    media = media_type_of(file.filename, file.content_type) or (file.content_type or "")
    message = Message(channel="file", target=tenant, dataset=dataset, payload=payload,
                      media_type=media, sender=who.user, idempotency_key=key,
                      filename=file.filename)  # fmt: skip
    return receipt_answer(submit(db, who, message, now=now()))


@router.get("/upload", response_class=HTMLResponse, include_in_schema=False)
def upload_page() -> HTMLResponse:
    """The upload form: sign in, pick a dataset and a file, read the receipt."""
    page = resources.files("clusterhub.api").joinpath("pages/upload.html").read_text("utf-8")
    return HTMLResponse(page)


@router.get("/upload.js", include_in_schema=False)
def upload_script() -> Response:
    """The form's script: a file, so the page runs no inline script (see ``headers``)."""
    script = resources.files("clusterhub.api").joinpath("pages/upload.js").read_text("utf-8")
    return Response(script, media_type="text/javascript")


@router.get("/api/v1/ingest/receipts")
def list_receipts(db: SessionDep, who: CurrentUser) -> list[dict[str, Any]]:
    """Receipts of what your tenant sent and of what was sent to it, newest first."""
    return [r.as_dict() for r in receipts(db, who)]


@router.get("/api/v1/ingest/dead-letters")
def list_dead_letters(db: SessionDep, who: CurrentUser) -> list[dict[str, Any]]:
    """Your rejected messages, kept whole until replayed."""
    return dead_letters(db, who)


@router.post("/api/v1/ingest/dead-letters/{letter}/replay", responses=RECEIPT)
def replay_dead_letter(
    letter: Annotated[str, Path(max_length=36)],
    db: SessionDep,
    who: CurrentUser,
    now: Clock,
) -> JSONResponse:
    """Submit a dead letter again after a fix; accepted, it leaves the dead letters."""
    return receipt_answer(replay(db, who, letter, now=now()))
