"""Changing a grant through the API: ``PATCH /api/v1/grants/{grant}``, and consenting that a
grant to a group reach a tenant that joined later: ``POST /api/v1/grants/{grant}/members/{tenant}``.

Why apart from ``app``: the change is its own use case in ``service.grants`` (the old grant is
revoked and a successor with a new id takes its place, in one transaction, audited as
``grant.change`` in the owner's trail). A field left out keeps its value; ``expires: null``
means the successor never expires. Another tenant's grant answers 404 like a missing one; a
revoked or expired grant is 409 (grant anew instead).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from sqlalchemy.orm import Session

from clusterhub.collab import Form, Purpose, Subject
from clusterhub.service import grants

__all__ = ["GrantUpdate", "add_grant_routes"]

#: A term that may be left out but is never null: the schema says so, and ``None`` (left out)
#: is the model's own marker.
FormTerm = Annotated[Form | None, WithJsonSchema({"type": "string", "enum": list(Form)})]
PurposeTerm = Annotated[Purpose | None, WithJsonSchema({"type": "string", "enum": list(Purpose)})]


class GrantUpdate(BaseModel):
    """The terms to change; what is left out stays as it is."""

    model_config = ConfigDict(extra="forbid")
    # a default factory: the schema shows no default (null is not a value of these)
    form: FormTerm = Field(default_factory=lambda: None)
    purpose: PurposeTerm = Field(default_factory=lambda: None)
    expires: datetime | None = Field(None, description="null: the successor never expires")

    @field_validator("form", "purpose")
    @classmethod
    def _sent_means_a_value(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("a value, not null (leave the field out to keep it)")
        return value


def add_grant_routes(
    app: FastAPI,
    session: Callable[..., Any],
    subject: Callable[..., Any],
    now: Callable[[], datetime],
) -> None:
    """The grant change route on ``app``, with the app's session and identity dependencies."""
    db_dep, who_dep = Depends(session, scope="function"), Depends(subject)

    # a UUID in the path: other words under /grants/ (``odrl``) are not taken for an id
    @app.patch("/api/v1/grants/{grant:uuid}", tags=["grants"])
    def change_grant(
        grant: uuid.UUID,
        body: GrantUpdate,
        db: Session = db_dep,
        who: Subject = who_dep,
    ) -> dict[str, Any]:
        """New terms for an active grant of yours: it is revoked and its successor (a new id)
        holds the new form, purpose and expiry from now on."""
        given = body.model_fields_set
        change = grants.change_grant(
            db,
            who,
            str(grant),
            form=body.form.value if body.form is not None else grants.KEEP,
            purpose=body.purpose.value if body.purpose is not None else grants.KEEP,
            expires=body.expires if "expires" in given else grants.KEEP,
            when=now(),
        )
        return {"id": change.successor, "replaces": change.grant, "before": change.before,
                "after": change.after}  # fmt: skip

    @app.post("/api/v1/grants/{grant:uuid}/members/{tenant}", tags=["grants"])
    def consent(
        grant: uuid.UUID,
        tenant: Annotated[str, Path(min_length=1, max_length=64)],
        db: Session = db_dep,
        who: Subject = who_dep,
    ) -> dict[str, Any]:
        """Let your grant to a group reach a tenant that joined the group after you granted
        (it reaches no one who joined later until you do); audited in your trail."""
        members = grants.consent(db, who, str(grant), tenant, when=now())
        return {"id": str(grant), "members": members}
