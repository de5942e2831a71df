"""No action without its audit record: faults injected while the audit record is written, and
after the action but before the commit, leave neither an unaudited action nor a dangling record.

Random sequences of owners' and readers' actions run on one database of each backend; after
every step, whatever happened, the stored rows and the audit chain must agree: each dataset, each
version and each grant (and each revocation) has exactly one allowed audit entry, and the chain
verifies.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.errors import ClusterhubError
from clusterhub.service import data, decision, identity
from clusterhub.storage import make_engine
from clusterhub.storage.rows import (
    AuditHeadRow,
    AuditRow,
    DatasetRow,
    DatasetVersionRow,
    GrantRow,
    TenantRow,
    UserRow,
)

TENANTS = ("acme", "beta", "gamma")
COLUMNS = {"time": "time", "mw": "number"}


class Fault(Exception):
    """The injected failure."""


def owner(tenant: str) -> Subject:
    return Subject(tenant=tenant, user=f"{tenant}-admin", roles=frozenset({Role.MEMBER_ADMIN}))


def _act(s: Session, kind: str, tenant: str, pick: int) -> None:
    """One action of ``tenant``; ``pick`` chooses among the objects that exist."""
    datasets = s.scalars(
        sa.select(DatasetRow.id).where(DatasetRow.tenant_id == tenant).order_by(DatasetRow.id)
    ).all()
    if kind == "create":
        data.create_dataset(s, owner(tenant), f"meter-{pick}-{len(datasets)}", "timeseries",
                            COLUMNS)  # fmt: skip
    elif kind == "version" and datasets:
        rows = [{"time": "2026-11-23T00:00", "mw": float(pick)}]
        data.add_version(s, owner(tenant), datasets[pick % len(datasets)], rows)
    elif kind == "grant" and datasets:
        data.create_grant(
            s, owner(tenant), datasets[pick % len(datasets)], grantee_kind="tenant",
            grantee=TENANTS[pick % 3], purpose="energy-optimization", form="raw",
        )  # fmt: skip
    elif kind == "revoke":
        live = s.scalars(
            sa.select(GrantRow.id)
            .where(GrantRow.tenant_id == tenant, GrantRow.revoked_at.is_(None))
            .order_by(GrantRow.id)
        ).all()
        if live:
            data.revoke_grant(s, owner(tenant), live[pick % len(live)])
    elif kind == "read":
        every = s.scalars(sa.select(DatasetRow.id).order_by(DatasetRow.id)).all()
        if every:
            data.read_dataset(s, owner(tenant), every[pick % len(every)], "energy-optimization")


def _check(s: Session) -> None:
    entries = [json.loads(r.payload) for r in s.scalars(sa.select(AuditRow))]
    allowed = Counter(
        (e["action"], e["dataset"]) for e in entries if e["allowed"] and e["action"] != "read"
    )
    expected: Counter[tuple[str, str]] = Counter()
    for tenant in s.scalars(sa.select(TenantRow.id)):
        expected["tenant.create", f"tenant:{tenant}"] += 1  # issue 16: creation is audited
    for user in s.scalars(sa.select(UserRow.username)):
        expected["user.create", f"user:{user}"] += 1
    for dataset in s.scalars(sa.select(DatasetRow.id)):
        expected["write", dataset] += 1  # its creation
    for (dataset,) in s.execute(sa.select(DatasetVersionRow.dataset_id)):
        expected["write", dataset] += 1
    for dataset, revoked in s.execute(sa.select(GrantRow.dataset_id, GrantRow.revoked_at)):
        expected["grant", dataset] += 1 if revoked is None else 2
    assert allowed == expected
    head = s.get(AuditHeadRow, 1)
    assert (head.count if head else 0) == len(entries)
    assert data.verify_audit(s).ok


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["create", "version", "grant", "revoke", "read"]),
            st.sampled_from(TENANTS),
            st.integers(0, 7),
            st.sampled_from([None, "in-audit", "after-action"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_a_fault_between_steps_leaves_no_unaudited_action(
    migrated: str, monkeypatch: pytest.MonkeyPatch, steps: list[tuple[str, str, int, Any]]
) -> None:
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        if s.get(TenantRow, "acme") is None:  # the database lives across examples
            for tenant in TENANTS:
                identity.add_tenant(s, tenant, tenant.title())
    real: Callable[..., None] = data.record
    for kind, tenant, pick, fault in steps:

        def failing(*args: Any, **kwargs: Any) -> None:
            raise Fault("the audit store failed")

        for writer in (data, decision):  # the decision point's and the datasets' own records
            monkeypatch.setattr(writer, "record", failing if fault == "in-audit" else real)
        try:
            with Session(engine) as s, s.begin():
                _act(s, kind, tenant, pick)
                if fault == "after-action":
                    raise Fault("the process died before the commit")
        except (Fault, ClusterhubError):
            pass
        for writer in (data, decision):
            monkeypatch.setattr(writer, "record", real)
        with Session(engine) as s:
            _check(s)
    engine.dispose()
