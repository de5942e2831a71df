"""The service itself: is it up, and which version."""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
import sqlalchemy as sa
from fastapi import APIRouter

from clusterhub import __version__
from clusterhub.api.deps import SessionDep

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/api/v1/health")
def health(db: SessionDep) -> dict[str, str]:
    db.execute(sa.text("select 1"))
    return {"status": "ok", "version": __version__}
