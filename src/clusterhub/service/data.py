"""Datasets, grants and the audit trail: every use case judged by the one decision point and
recorded in the audit chain within the same transaction (both in ``decision``).

Cluster-level aggregates over several owners' datasets live in ``aggregates``.

Why "in the same transaction": an action and its audit record either both happen or neither
does; a fault between the two leaves nothing unaudited. Why one answer for "refused" and "not
there": a tenant probing another tenant's ids must learn nothing, so both are ``NotFound``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import (
    Action,
    Form,
    Grant,
    GranteeKind,
    Purpose,
    Resource,
    Subject,
    Verification,
    to_odrl,
)
from clusterhub.errors import Conflict, InputError, NotFound, Problem
from clusterhub.service import audit_keys, chain, reach
from clusterhub.service.catalogue import check_units
from clusterhub.service.decision import (
    grant_from_row,
    is_id,
    judge,
    record,
)
from clusterhub.service.streams import Content, Writer, check_message, check_mode, content
from clusterhub.storage.rows import (
    AuditRow,
    DatasetRow,
    GrantRow,
)
from clusterhub.storage.types import utc

__all__ = [
    "DatasetVersion",
    "add_version",
    "audit_trail",
    "check_rows",
    "create_dataset",
    "create_grant",
    "dataset_row",
    "grant_from_row",
    "grant_owner_hidden",
    "grants_of",
    "is_id",
    "judge",
    "odrl_of",
    "owner_of",
    "read_dataset",
    "record",
    "revoke_grant",
    "stored_version",
    "verify_audit",
    "write_version",
]

KINDS = ("timeseries", "table")
MANAGE = Purpose.DATA_MANAGEMENT


# --- datasets ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetVersion:
    dataset: str
    owner: str
    name: str
    version: int
    rows: list[dict[str, Any]]
    sha256: str
    created_at: datetime
    mode: str = "replace"
    key: tuple[str, ...] = ()


def create_dataset(
    session: Session,
    subject: Subject,
    name: str,
    kind: str,
    columns: Mapping[str, str],
    *,
    mode: str = "replace",
    key: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
) -> str:
    """A new dataset of the subject's tenant with its declared columns (name -> type), the
    units of its number columns (name -> "MW"; optional, checked by ``catalogue.check_units``)
    and its write mode (``streams``: replace, append, or upsert by ``key`` columns)."""
    if subject.tenant is None:
        raise NotFound("no such dataset")
    if kind not in KINDS:
        raise InputError.single(f"one of {', '.join(KINDS)}", kind, path="kind")
    if not columns or any(t not in ("number", "text", "time") for t in columns.values()):
        raise InputError.single(
            "columns typed number, text or time", str(dict(columns)), path="columns"
        )
    kept = check_mode(columns, mode, key)
    declared_units = check_units(columns, units or {})
    dataset = str(uuid.uuid4())
    now = datetime.now(UTC)
    decision = judge(session, subject, Action.WRITE, Resource(subject.tenant, dataset), MANAGE, now)
    if not decision.allowed:
        raise NotFound("no such dataset")
    taken = session.scalar(
        sa.select(DatasetRow.id).where(
            DatasetRow.tenant_id == subject.tenant, DatasetRow.name == name
        )
    )
    if taken is not None:
        raise Conflict(f"this tenant already has a dataset named {name!r}")
    session.add(
        DatasetRow(id=dataset, tenant_id=subject.tenant, name=name, kind=kind,
                   columns=json.dumps(dict(columns)), created_at=now, mode=mode,
                   key=json.dumps(kept) if kept else None,
                   units=json.dumps(declared_units) if declared_units else None)
    )  # fmt: skip
    return dataset


def _hidden(session: Session, value: str) -> bool:
    """An id that row-level security may be hiding (PostgreSQL); elsewhere not found is absent."""
    return is_id(value) and session.get_bind().dialect.name == "postgresql"


def owner_of(session: Session, dataset: str) -> str:
    """The owner of a dataset the asking tenant cannot see, for the audit record only (so the
    owner learns of the probe); ``?`` when there is no such dataset."""
    if not _hidden(session, dataset):
        return "?"
    found = session.scalar(
        sa.text("SELECT clusterhub_dataset_owner(:dataset)"), {"dataset": dataset}
    )
    return str(found) if found else "?"


def grant_owner_hidden(session: Session, grant: str) -> tuple[str, str]:
    """Owner and dataset of a grant the asking tenant cannot see, for the audit record only."""
    if not _hidden(session, grant):
        return "?", "?"
    found = session.execute(
        sa.text("SELECT tenant_id, dataset_id FROM clusterhub_grant_of(:grant)"), {"grant": grant}
    ).first()
    return (str(found[0]), str(found[1])) if found else ("?", "?")


def dataset_row(session: Session, dataset: str) -> DatasetRow | None:
    """A dataset's row by id, with no decision: callers judge before they use it."""
    return session.get(DatasetRow, dataset) if is_id(dataset) else None


def add_version(
    session: Session, subject: Subject, dataset: str, rows: Sequence[Mapping[str, Any]]
) -> int:
    """A new version of an own dataset; every row checked against the declared columns, the
    whole version refused when one row is wrong. Nothing earlier is changed."""
    row = dataset_row(session, dataset)
    owner = row.tenant_id if row is not None else owner_of(session, dataset)
    now = datetime.now(UTC)
    decision = judge(session, subject, Action.WRITE, Resource(owner, dataset), MANAGE, now)
    if row is None or not decision.allowed:
        raise NotFound("no such dataset")
    return write_version(session, subject, row, rows, now)


def check_rows(columns: Mapping[str, str], rows: Sequence[Mapping[str, Any]]) -> None:
    """Every row against the declared columns (name -> number|text|time), every problem
    located (``rows[3].mw``); raises ``InputError`` listing them all."""
    problems = []
    for i, record_ in enumerate(rows):
        extra = set(record_) - set(columns)
        for name in sorted(extra):
            problems.append((f"rows[{i}].{name}", "a declared column", name))
        for name, kind in columns.items():
            value = record_.get(name)
            if kind == "number" and not (
                isinstance(value, int | float) and not isinstance(value, bool)
            ):
                problems.append((f"rows[{i}].{name}", "a number", repr(value)))
            elif kind in ("text", "time") and not isinstance(value, str):
                problems.append((f"rows[{i}].{name}", f"a {kind} as text", repr(value)))
    if problems:
        raise InputError([Problem(expected, found, path) for path, expected, found in problems])


def write_version(
    session: Session,
    subject: Subject,
    row: DatasetRow,
    rows: Sequence[Mapping[str, Any]],
    now: datetime,
) -> int:
    """Check ``rows`` against the declared columns and write them as the next version, as the
    dataset's mode says. No decision here: the caller has judged the write (``add_version``,
    the ingest pipeline)."""
    check_rows(json.loads(row.columns), rows)
    check_message(row, rows)
    writer = Writer(session, subject.user, now)
    written = writer.add(row, rows)
    writer.flush()
    return written.version


def read_dataset(
    session: Session,
    subject: Subject,
    dataset: str,
    purpose: str | None,
    *,
    version: int | None = None,
    now: datetime | None = None,
) -> DatasetVersion:
    """A dataset version in full, for its owner or under a raw grant for this purpose."""
    now = now or datetime.now(UTC)
    row = dataset_row(session, dataset)
    owner = row.tenant_id if row is not None else owner_of(session, dataset)
    decision = judge(session, subject, Action.READ, Resource(owner, dataset), purpose, now)
    if row is None or not decision.allowed:
        raise NotFound("no such dataset")
    stored = content(session, row, version or None)
    if stored is None:
        raise NotFound("no such dataset version")
    return DatasetVersion(
        dataset=dataset,
        owner=row.tenant_id,
        name=row.name,
        version=stored.version,
        rows=stored.rows,
        sha256=stored.sha256,
        created_at=stored.created_at,
        mode=row.mode,
        key=tuple(json.loads(row.key)) if row.key else (),
    )


def stored_version(session: Session, dataset: str, version: int | None = None) -> Content | None:
    """A version of a dataset as read (its rows materialised under append and upsert), the
    latest when ``version`` is None (no decision: callers judge)."""
    row = dataset_row(session, dataset)
    return None if row is None else content(session, row, version)


# --- grants --------------------------------------------------------------------------------------
def create_grant(
    session: Session,
    subject: Subject,
    dataset: str,
    *,
    grantee_kind: str,
    grantee: str,
    purpose: str,
    form: str = Form.AGGREGATE.value,
    fields: Sequence[str] | None = None,
    expires: datetime | None = None,
) -> str:
    row = dataset_row(session, dataset)
    owner = row.tenant_id if row is not None else owner_of(session, dataset)
    now = datetime.now(UTC)
    decision = judge(session, subject, Action.GRANT, Resource(owner, dataset), MANAGE, now)
    if row is None or not decision.allowed:
        raise NotFound("no such dataset")
    try:
        kind, wanted, shape = GranteeKind(grantee_kind), Purpose(purpose), Form(form)
    except ValueError as exc:
        raise InputError.single(
            "a grantee kind, purpose and form from the vocabulary", str(exc)
        ) from None
    expires = utc(expires)  # a time without an offset is UTC
    reach.check_terms(session, json.loads(row.columns), grantee_kind=kind, grantee=grantee,
                      fields=fields, expires=expires, now=now)  # fmt: skip
    grant = str(uuid.uuid4())
    session.add(
        GrantRow(id=grant, tenant_id=row.tenant_id, dataset_id=dataset, grantee_kind=kind.value,
                 grantee=grantee, purpose=wanted.value, form=shape.value,
                 fields=json.dumps(sorted(set(fields))) if fields else None, expires_at=expires,
                 created_at=now)
    )  # fmt: skip
    if kind is GranteeKind.GROUP:  # the grant reaches the group's members of today only
        session.flush()
        reach.name_members(session, grant, row.tenant_id, reach.group_members(session, grantee),
                           now=now, reason=f"member of group {grantee} when granted")  # fmt: skip
    return grant


def revoke_grant(
    session: Session, subject: Subject, grant: str, *, when: datetime | None = None
) -> None:
    row = session.get(GrantRow, grant) if is_id(grant) else None
    owner, dataset = (
        (row.tenant_id, row.dataset_id) if row is not None else grant_owner_hidden(session, grant)
    )
    now = when or datetime.now(UTC)
    decision = judge(session, subject, Action.GRANT, Resource(owner, dataset), MANAGE, now)
    if row is None or not decision.allowed:
        raise NotFound("no such grant")
    row.revoked_at = now


def grants_of(session: Session, subject: Subject) -> list[Grant]:
    """The grants the subject's tenant has given (a group grant with the tenants it names)."""
    rows = list(session.scalars(sa.select(GrantRow).where(GrantRow.tenant_id == subject.tenant)))
    named = reach.members_of(
        session, [r.id for r in rows if r.grantee_kind == GranteeKind.GROUP.value]
    )
    return [grant_from_row(r, named.get(r.id)) for r in rows]


def odrl_of(session: Session, subject: Subject) -> dict[str, Any]:
    return to_odrl(grants_of(session, subject), uid=f"urn:clusterhub:policy:{subject.tenant}")


# --- the audit trail -----------------------------------------------------------------------------
def audit_trail(session: Session, subject: Subject) -> list[dict[str, Any]]:
    """Who asked for the subject's tenant's data, when, for what, and the answer (for its
    member admins and auditors)."""
    tenant = subject.tenant or "?"
    now = datetime.now(UTC)
    decision = judge(session, subject, Action.AUDIT, Resource(tenant, "*"), Purpose.AUDIT, now)
    if not decision.allowed:
        raise NotFound("no audit trail")
    rows = session.scalars(
        sa.select(AuditRow).where(AuditRow.owner == tenant).order_by(AuditRow.position)
    )
    return [{"position": r.position, **json.loads(r.payload)} for r in rows]


def verify_audit(session: Session, *, exported: Sequence[tuple[int, str]] = ()) -> Verification:
    """The whole chain checked against its head and its MACs under the audit key (and against
    heads exported earlier, index and hash, their signatures checked): the first bad entry is
    named. See ``chain.verify_stored``."""
    return chain.verify_stored(session, audit_keys.current(), exported=exported)
