"""Changing a grant's terms (form, purpose, expiry): the old grant is revoked and a successor
with a new id takes its place, in the caller's one transaction.

Why a successor and not an update in place: every decision the grant allowed is in the audit
chain as "grant <id>", and it must keep meaning the terms that were in force when it was made;
an id whose terms change under it would rewrite the meaning of the trail. So a grant's terms
never change: a change revokes it at ``now`` and creates its successor valid from ``now``, and
the grantee's very next request is judged by the new terms only. Nothing else is carried over
silently: dataset, grantee, fields and the data's time window stay, as they are the grant's
identity (giving the data to someone else is a new grant, not a change). There is no
``replaces`` column (that would take a migration): the link between the two ids, with the terms
before and after, is in the audit entry ``grant.change`` in the owner's trail.

Who may change: whoever may create the grant (a member admin of the dataset's owner), judged by
the same decision point as creating and revoking (``Action.GRANT`` for the data-management
purpose). Anyone else, and a grant id that does not exist, get the same ``NotFound``; the attempt
is recorded under the grant's owner when it can be found (so the owner learns of the probe), as
for revocations. Only an active grant can be changed (``Conflict`` for a revoked or expired one:
grant anew instead); a change must change something and an expiry must lie after ``now``
(``InputError`` naming the field).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Final

from sqlalchemy.orm import Session

from clusterhub.collab import (
    Action,
    Decision,
    Form,
    GranteeKind,
    Purpose,
    Resource,
    Subject,
    decide,
)
from clusterhub.errors import Conflict, InputError, NotFound
from clusterhub.service import reach
from clusterhub.service.data import aware, grant_from_row, grant_owner_hidden, is_id, record
from clusterhub.storage.rows import GrantRow

__all__ = ["CHANGE", "CONSENT", "KEEP", "Change", "Keep", "change_grant", "consent"]

#: The audit action of a change (the decision point judges it as ``Action.GRANT``).
CHANGE: Final = "grant.change"
#: The audit action of an owner's consent to a group grant reaching a tenant that joined later.
CONSENT: Final = "grant.consent"


class Keep(Enum):
    """A term the change leaves as it is (``None`` is a value: no expiry)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True)
class Change:
    """What a change did: ``grant`` is revoked, ``successor`` replaces it; the terms of each."""

    grant: str
    successor: str
    before: dict[str, Any]
    after: dict[str, Any]


def _terms(form: str, purpose: str, expires: datetime | None) -> dict[str, Any]:
    return {
        "form": form,
        "purpose": purpose,
        "expires": None if expires is None else expires.astimezone(UTC).isoformat(),
    }


def change_grant(
    session: Session,
    subject: Subject,
    grant: str,
    *,
    form: str | Keep = KEEP,
    purpose: str | Keep = KEEP,
    expires: datetime | Keep | None = KEEP,
    when: datetime | None = None,
) -> Change:
    """Revoke ``grant`` and create its successor with the new terms, in one transaction; one
    ``grant.change`` entry in the owner's audit trail holds the decision, both ids and the
    terms before and after. See the module's docstring for why a successor."""
    now = when or datetime.now(UTC)
    row = session.get(GrantRow, grant) if is_id(grant) else None
    owner, dataset = (
        (row.tenant_id, row.dataset_id) if row is not None else grant_owner_hidden(session, grant)
    )
    resource = Resource(owner, dataset)
    # the same rules as creating or revoking a grant: only the owner's member admins
    decision = decide(subject, Action.GRANT, resource, Purpose.DATA_MANAGEMENT, [], now=now)
    if row is None or not decision.allowed:
        record(session, subject, CHANGE, resource, Purpose.DATA_MANAGEMENT, decision, now,
               detail={"grant": grant if is_id(grant) else "?"})  # fmt: skip
        raise NotFound("no such grant")
    old = grant_from_row(row)
    if not old.active(now):
        raise Conflict(
            f"grant {grant} is {'revoked' if old.revoked else 'expired'}: grant anew instead"
        )
    new_form = old.form.value if isinstance(form, Keep) else form
    new_purpose = old.purpose.value if isinstance(purpose, Keep) else purpose
    new_expires = old.expires if isinstance(expires, Keep) else aware(expires)
    if new_form not in {f.value for f in Form}:
        raise InputError.single("raw or aggregate-only", repr(new_form), path="form")
    if new_purpose not in {p.value for p in Purpose}:
        raise InputError.single("a purpose from the vocabulary", repr(new_purpose), path="purpose")
    if new_expires is not None and new_expires <= now:
        raise InputError.single(
            f"a time after now ({now.astimezone(UTC).isoformat(timespec='seconds')})",
            new_expires.isoformat(),
            path="expires",
        )
    before = _terms(old.form.value, old.purpose.value, old.expires)
    after = _terms(new_form, new_purpose, new_expires)
    if before == after:
        raise InputError.single("a new form, purpose or expiry", "the grant's own terms")
    successor = str(uuid.uuid4())
    row.revoked_at = now
    session.add(
        GrantRow(id=successor, tenant_id=row.tenant_id, dataset_id=row.dataset_id,
                 grantee_kind=row.grantee_kind, grantee=row.grantee, purpose=new_purpose,
                 form=new_form, fields=row.fields, starts=row.starts, ends=row.ends,
                 expires_at=new_expires, created_at=now)
    )  # fmt: skip
    if old.grantee_kind is GranteeKind.GROUP:  # the successor reaches whom the grant reached
        session.flush()
        reach.name_members(session, successor, row.tenant_id,
                           reach.members_of(session, [grant])[grant], now=now,
                           reason=f"named by grant {grant}, which this one replaces")  # fmt: skip
    detail = {"grant": grant, "successor": successor, "before": before, "after": after}
    record(session, subject, CHANGE, resource, Purpose.DATA_MANAGEMENT, decision, now, detail)
    return Change(grant, successor, before, after)


def consent(
    session: Session, subject: Subject, grant: str, tenant: str, *, when: datetime | None = None
) -> list[str]:
    """The owner lets its grant to a group reach ``tenant``, which joined the group after the
    grant was made; the grant's named members after it. Judged as a change of the grant (the
    owner's member admins only; anyone else and an unknown grant get ``NotFound``, audited
    under the owner when it can be found); recorded as ``grant.consent`` in the owner's trail.
    Only an active grant to a group, and only a tenant in the group now (``Conflict``)."""
    now = when or datetime.now(UTC)
    row = session.get(GrantRow, grant) if is_id(grant) else None
    owner, dataset = (
        (row.tenant_id, row.dataset_id) if row is not None else grant_owner_hidden(session, grant)
    )
    resource = Resource(owner, dataset)
    decision = decide(subject, Action.GRANT, resource, Purpose.DATA_MANAGEMENT, [], now=now)
    detail = {"grant": grant if is_id(grant) else "?", "tenant": tenant[:64]}
    if row is None or not decision.allowed:
        record(session, subject, CONSENT, resource, Purpose.DATA_MANAGEMENT, decision, now,
               detail)  # fmt: skip
        raise NotFound("no such grant")
    old = grant_from_row(row)
    if old.grantee_kind is not GranteeKind.GROUP:
        raise Conflict(f"grant {grant} is to a {old.grantee_kind.value}, not a group")
    if not old.active(now):
        raise Conflict(
            f"grant {grant} is {'revoked' if old.revoked else 'expired'}: grant anew instead"
        )
    if tenant not in reach.group_members(session, old.grantee):
        raise Conflict(f"{tenant[:64]} is not in group {old.grantee}: nothing to consent to")
    named = reach.members_of(session, [grant])[grant]
    if tenant not in named:
        reach.name_members(session, grant, row.tenant_id, [tenant], now=now,
                           reason=f"consented by {subject.user}")  # fmt: skip
    record(session, subject, CONSENT, resource, Purpose.DATA_MANAGEMENT,
           Decision(True, f"grant {grant} reaches {tenant} in group {old.grantee}"), now,
           detail)  # fmt: skip
    return sorted(named | {tenant})
