"""The signed-in tenant's own datasets as a list: names, kinds, declared columns, write modes
(and upsert keys) and how many versions each has, never their rows.

Why no decision and no audit entry: the list is the asking tenant's own metadata (like
``grants_of`` and the ingest receipts), so no other tenant's dataset can appear, and on
PostgreSQL row-level security limits the rows once more. Reading any dataset's rows still goes
through ``data.read_dataset`` and the decision point.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.storage.rows import DatasetRow, DatasetVersionRow

__all__ = ["datasets_of"]


def datasets_of(session: Session, subject: Subject) -> list[dict[str, Any]]:
    """The subject's tenant's datasets by name, each with its latest version number (0: none)."""
    if subject.tenant is None:
        return []
    latest = (
        sa.select(DatasetVersionRow.dataset_id, sa.func.max(DatasetVersionRow.version).label("v"))
        .group_by(DatasetVersionRow.dataset_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(DatasetRow, latest.c.v)
        .outerjoin(latest, latest.c.dataset_id == DatasetRow.id)
        .where(DatasetRow.tenant_id == subject.tenant)
        .order_by(DatasetRow.name)
    )
    return [
        {
            "id": row.id,
            "name": row.name,
            "kind": row.kind,
            "columns": json.loads(row.columns),
            "mode": row.mode,
            "key": json.loads(row.key) if row.key else [],
            "versions": int(version or 0),
            "created_at": row.created_at.isoformat(),
        }
        for row, version in rows
    ]
