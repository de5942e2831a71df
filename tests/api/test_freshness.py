"""Data freshness per member, on each backend: every signed-in tenant sees, per tenant, how many
datasets and versions it has and when the latest arrived, even where PostgreSQL row-level
security hides the datasets themselves; never a name or a row; the read is audited."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sectors import Service
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.service import identity
from clusterhub.service.data import audit_trail, verify_audit
from clusterhub.service.freshness import freshness
from clusterhub.storage import make_engine
from clusterhub.storage.rows import DatasetRow, DatasetVersionRow


def _send(service: Service, tenant: str, versions: int) -> None:
    admin = service.login(f"{tenant}-admin")
    created = service.client.post("/api/v1/datasets", json={"name": "secret-meter",
                                  "kind": "table", "columns": {"mw": "number"}},
                                  headers=admin)  # fmt: skip
    assert created.status_code == 201, created.text
    for i in range(versions):
        service.clock.now = datetime(2026, 11, 23, 12 + i, 0, tzinfo=UTC)
        admin = service.login(f"{tenant}-admin")  # a token of that hour
        stored = service.client.post(f"/api/v1/datasets/{created.json()['id']}/versions",
                                     json={"rows": [{"mw": i}]}, headers=admin)  # fmt: skip
        assert stored.status_code == 201, stored.text


def test_every_member_sees_when_the_others_last_sent_data_and_nothing_more(
    service: Service,
) -> None:
    _send(service, "acme", 3)  # the last at 14:00
    _send(service, "beta", 0)  # a dataset, nothing sent yet
    engine = make_engine(service.url)
    gamma = Subject("gamma", "gamma-analyst", frozenset({Role.ANALYST}))
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, gamma)  # row-level security as gamma (PostgreSQL)
        seen = freshness(s, gamma, now=datetime(2026, 11, 23, 15, tzinfo=UTC))
    with Session(engine) as s:  # the database's own answer, without row-level security
        newest = s.scalar(sa.select(sa.func.max(DatasetVersionRow.created_at)))
    assert newest is not None
    assert seen == {
        "acme": {"datasets": 1, "versions": 3,
                 "latest": newest.replace(tzinfo=newest.tzinfo or UTC).isoformat()},
        "beta": {"datasets": 1, "versions": 0, "latest": None},
    }  # fmt: skip
    assert "secret-meter" not in repr(seen)
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, gamma)
        # gamma cannot read acme's datasets themselves: the lookup is the only way through
        visible = s.query(DatasetRow).filter(DatasetRow.tenant_id == "acme").count()
        assert visible == (0 if service.url.startswith("postgresql") else 1)
        admin = Subject("gamma", "gamma-admin", frozenset({Role.MEMBER_ADMIN}))
        trail = audit_trail(s, admin)
    read = [e for e in trail if e["action"] == "read" and e["dataset"] == "freshness"]
    assert len(read) == 1
    assert read[0]["detail"] == {"tenants": ["acme", "beta"]}
    with Session(engine) as s:
        assert verify_audit(s).ok
    engine.dispose()
