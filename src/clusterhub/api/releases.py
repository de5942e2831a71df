"""Which releases an owner allows of its dataset: ``GET`` and ``PUT
/api/v1/datasets/{dataset}/release`` with ``{"release": "exact" | "private-only"}``.

Why apart from ``app``: it is the owner's own setting beside the privacy budget, read by its
member admins and auditors and set by its member admins, each audited; another tenant's dataset
answers 404 like a missing one. With ``private-only`` the dataset is left out of exact
aggregates and used by differentially private ones.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.service import releases

__all__ = ["ReleaseIn", "add_release_routes"]


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release: Literal["exact", "private-only"]


def add_release_routes(
    app: FastAPI, session: Callable[..., Any], subject: Callable[..., Any]
) -> None:
    """The release rule's routes on ``app``, with the app's session and identity dependencies."""
    Db = Annotated[Session, Depends(session, scope="function")]  # noqa: N806 - a type alias
    Who = Annotated[Subject, Depends(subject)]  # noqa: N806 - a type alias

    @app.get("/api/v1/datasets/{dataset}/release", tags=["datasets"])
    def release(db: Db, who: Who, dataset: str) -> dict[str, str]:
        """Which releases the dataset's owner allows: exact (audited) or private-only."""
        return {"dataset": dataset, "release": releases.release_rule(db, who, dataset)}

    @app.put("/api/v1/datasets/{dataset}/release", tags=["datasets"])
    def set_release(db: Db, who: Who, dataset: str, body: ReleaseIn) -> dict[str, str]:
        """The owner's choice: ``private-only`` leaves the dataset out of exact aggregates."""
        return {"dataset": dataset,
                "release": releases.set_release_rule(db, who, dataset, body.release)}  # fmt: skip
