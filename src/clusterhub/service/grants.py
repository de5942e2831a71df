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

from clusterhub.collab import Action, Form, GranteeKind, Purpose, Resource, Subject
from clusterhub.errors import ClusterhubError, Conflict, InputError, NotFound
from clusterhub.service import reach
from clusterhub.service.data import grant_owner_hidden
from clusterhub.service.decision import Refusal, grant_from_row, is_id, judge
from clusterhub.storage.rows import GrantRow
from clusterhub.storage.types import utc

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


def _planned(
    row: GrantRow,
    form: str | Keep,
    purpose: str | Keep,
    expires: datetime | Keep | None,
    now: datetime,
) -> tuple[Change, datetime | None]:
    """What the change would do to ``row`` (its successor's id, the terms before and after, the
    new expiry), or the ``Conflict`` or ``InputError`` that refuses it; nothing is written."""
    old = grant_from_row(row)
    if not old.active(now):
        raise Conflict(
            f"grant {row.id} is {'revoked' if old.revoked else 'expired'}: grant anew instead"
        )
    new_form = old.form.value if isinstance(form, Keep) else form
    new_purpose = old.purpose.value if isinstance(purpose, Keep) else purpose
    new_expires = old.expires if isinstance(expires, Keep) else utc(expires)
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
    return Change(row.id, str(uuid.uuid4()), before, after), new_expires


def _refusal(problem: ClusterhubError | None) -> Refusal | None:
    return None if problem is None else Refusal(f"refused: {problem}")


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
    # the change is planned before the decision, so that its entry can say what it did; what
    # refuses it is said only to the owner's member admins, after the decision
    change, new_expires = None, None
    problem: ClusterhubError | None = NotFound("no such grant")
    if row is not None:
        try:
            change, new_expires = _planned(row, form, purpose, expires, now)
            problem = None
        except (Conflict, InputError) as error:
            problem = error
    done = None if change is None else {"successor": change.successor, "before": change.before,
                                        "after": change.after}  # fmt: skip
    # the same rules as creating or revoking a grant: only the owner's member admins
    decision = judge(session, subject, Action.GRANT, Resource(owner, dataset),
                     Purpose.DATA_MANAGEMENT, now, audit_as=CHANGE,
                     detail={"grant": grant if is_id(grant) else "?"}, done=done,
                     refusal=_refusal(problem))  # fmt: skip
    if row is None or not decision.allowed:
        raise NotFound("no such grant")
    if change is None:
        raise problem or NotFound("no such grant")
    row.revoked_at = now
    session.add(
        GrantRow(id=change.successor, tenant_id=row.tenant_id, dataset_id=row.dataset_id,
                 grantee_kind=row.grantee_kind, grantee=row.grantee,
                 purpose=change.after["purpose"], form=change.after["form"], fields=row.fields,
                 starts=row.starts, ends=row.ends, expires_at=new_expires, created_at=now)
    )  # fmt: skip
    if row.grantee_kind == GranteeKind.GROUP.value:  # the successor reaches whom it reached
        session.flush()
        reach.name_members(session, change.successor, row.tenant_id,
                           reach.members_of(session, [grant])[grant], now=now,
                           reason=f"named by grant {grant}, which this one replaces")  # fmt: skip
    return change


def _consent_refused(session: Session, row: GrantRow, tenant: str, now: datetime) -> str | None:
    """Why the owner cannot consent to ``tenant`` under ``row``, or None."""
    old = grant_from_row(row)
    if old.grantee_kind is not GranteeKind.GROUP:
        return f"grant {row.id} is to a {old.grantee_kind.value}, not a group"
    if not old.active(now):
        return f"grant {row.id} is {'revoked' if old.revoked else 'expired'}: grant anew instead"
    if tenant not in reach.group_members(session, old.grantee):
        return f"{tenant[:64]} is not in group {old.grantee}: nothing to consent to"
    return None


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
    # checked before the decision (a group's members are every tenant's to see), said after it
    problem: ClusterhubError | None = NotFound("no such grant")
    if row is not None:
        why = _consent_refused(session, row, tenant, now)
        problem = None if why is None else Conflict(why)
    reaches = None if row is None else f"grant {grant} reaches {tenant} in group {row.grantee}"
    decision = judge(session, subject, Action.GRANT, Resource(owner, dataset),
                     Purpose.DATA_MANAGEMENT, now, audit_as=CONSENT,
                     detail={"grant": grant if is_id(grant) else "?", "tenant": tenant[:64]},
                     reason=reaches, refusal=_refusal(problem))  # fmt: skip
    if row is None or not decision.allowed:
        raise NotFound("no such grant")
    if problem is not None:
        raise problem
    named = reach.members_of(session, [grant])[grant]
    if tenant not in named:
        reach.name_members(session, grant, row.tenant_id, [tenant], now=now,
                           reason=f"consented by {subject.user}")  # fmt: skip
    return sorted(named | {tenant})
