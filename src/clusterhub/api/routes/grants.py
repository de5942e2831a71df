"""Grants on one's own datasets: give one, revoke it, list them (also as ODRL), change its terms,
and consent that a grant to a group reach a tenant that joined later.

A change (``service.grants``) revokes the grant and creates its successor with a new id, in one
transaction, audited as ``grant.change`` in the owner's trail. A field left out keeps its
value; ``expires: null`` means the successor never expires. Another tenant's grant answers 404
like a missing one; a revoked or expired grant is 409 (grant anew instead).
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from clusterhub.api.deps import Clock, CurrentUser, SessionDep
from clusterhub.collab import Form, Purpose
from clusterhub.service import data, reach
from clusterhub.service import grants as terms

__all__ = ["GrantIn", "GrantUpdate", "router"]

router = APIRouter(tags=["grants"])

#: A term that may be left out but is never null: the schema says so, and ``None`` (left out)
#: is the model's own marker.
FormTerm = Annotated[Form | None, WithJsonSchema({"type": "string", "enum": list(Form)})]
PurposeTerm = Annotated[Purpose | None, WithJsonSchema({"type": "string", "enum": list(Purpose)})]


class GrantIn(BaseModel):
    dataset: str = Field(max_length=64)
    grantee_kind: str = Field(pattern="^(tenant|group|cluster)$")
    grantee: str = Field(min_length=1, max_length=128)
    purpose: str = Field(max_length=64)
    form: str = Field("aggregate-only", pattern="^(raw|aggregate-only)$")
    fields: list[str] | None = None
    expires: datetime | None = None


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


@router.post("/api/v1/grants", status_code=201)
def grant(db: SessionDep, who: CurrentUser, body: GrantIn) -> dict[str, str]:
    created = data.create_grant(
        db,
        who,
        body.dataset,
        grantee_kind=body.grantee_kind,
        grantee=body.grantee,
        purpose=body.purpose,
        form=body.form,
        fields=body.fields,
        expires=body.expires,
    )
    return {"id": created}


@router.post("/api/v1/grants/{grant}/revoke")
def revoke(db: SessionDep, who: CurrentUser, now: Clock, grant: str) -> dict[str, str]:
    data.revoke_grant(db, who, grant, when=now())
    return {"id": grant, "state": "revoked"}


@router.get("/api/v1/grants")
def grants(db: SessionDep, who: CurrentUser) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "dataset": g.dataset,
            "grantee_kind": g.grantee_kind.value,
            "grantee": g.grantee,
            "purpose": g.purpose.value,
            "form": g.form.value,
            "expires": g.expires,
            "revoked": g.revoked,
        }
        # a group grant: the tenants it reaches, and those that joined since (consent)
        | ({} if g.members is None else {
            "members": sorted(g.members),
            "pending": reach.pending_of(db, g.grantee, g.members)})
        for g in data.grants_of(db, who)
    ]  # fmt: skip


# a UUID in the path: other words under /grants/ (``odrl``) are not taken for an id
@router.patch("/api/v1/grants/{grant:uuid}")
def change_grant(
    grant: uuid.UUID, body: GrantUpdate, db: SessionDep, who: CurrentUser, now: Clock
) -> dict[str, Any]:
    """New terms for an active grant of yours: it is revoked and its successor (a new id)
    holds the new form, purpose and expiry from now on."""
    given = body.model_fields_set
    change = terms.change_grant(
        db,
        who,
        str(grant),
        form=body.form.value if body.form is not None else terms.KEEP,
        purpose=body.purpose.value if body.purpose is not None else terms.KEEP,
        expires=body.expires if "expires" in given else terms.KEEP,
        when=now(),
    )
    return {"id": change.successor, "replaces": change.grant, "before": change.before,
            "after": change.after}  # fmt: skip


@router.post("/api/v1/grants/{grant:uuid}/members/{tenant}")
def consent(
    grant: uuid.UUID,
    tenant: Annotated[str, Path(min_length=1, max_length=64)],
    db: SessionDep,
    who: CurrentUser,
    now: Clock,
) -> dict[str, Any]:
    """Let your grant to a group reach a tenant that joined the group after you granted
    (it reaches no one who joined later until you do); audited in your trail."""
    members = terms.consent(db, who, str(grant), tenant, when=now())
    return {"id": str(grant), "members": members}


@router.get("/api/v1/grants/odrl")
def odrl(db: SessionDep, who: CurrentUser) -> dict[str, Any]:
    return data.odrl_of(db, who)
