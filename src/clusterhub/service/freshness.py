"""When each member last sent data: the overview's data freshness.

Why every signed-in member may see it: a member whose meter stopped reporting weakens every
joint computation, and the council needs to see that before trusting a result. What is shown is
deliberately little: per tenant, how many datasets, how many versions and when the latest
arrived; never a dataset's name, columns or rows. On PostgreSQL it comes through one security
definer lookup (migration 0007), as row-level security hides other tenants' datasets. The read
is audited in the asking tenant's trail, naming the tenants it covered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Decision, Resource, Subject
from clusterhub.errors import NotFound
from clusterhub.service.data import record
from clusterhub.storage.rows import DatasetRow, DatasetVersionRow
from clusterhub.storage.types import UtcDateTime

__all__ = ["freshness"]


def freshness(
    session: Session, subject: Subject, *, now: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per tenant with datasets: ``datasets``, ``versions`` and ``latest`` (ISO time of the
    latest accepted version, or None when it has sent nothing yet)."""
    if subject.tenant is None:
        raise NotFound("no such cluster")
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            sa.text(
                "SELECT tenant_id, datasets, versions, latest FROM clusterhub_freshness()"
            ).columns(latest=UtcDateTime())
        ).all()
    else:
        rows = session.execute(
            sa.select(
                DatasetRow.tenant_id,
                sa.func.count(sa.distinct(DatasetRow.id)),
                sa.func.count(DatasetVersionRow.dataset_id),
                sa.func.max(DatasetVersionRow.created_at),
            )
            .outerjoin(DatasetVersionRow, DatasetVersionRow.dataset_id == DatasetRow.id)
            .group_by(DatasetRow.tenant_id)
        ).all()
    found = {
        str(tenant): {
            "datasets": int(datasets),
            "versions": int(versions),
            "latest": None if latest is None else latest.isoformat(),
        }
        for tenant, datasets, versions, latest in rows
    }
    record(
        session,
        subject,
        Action.READ,
        Resource(subject.tenant, "freshness"),
        None,
        Decision(True, "data freshness: dataset and version counts and latest arrival only"),
        now or datetime.now(UTC),
        {"tenants": sorted(found)},
    )
    return found
