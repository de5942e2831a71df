"""The signed-in tenant's own datasets as a list: names, kinds, declared columns with their
units, write modes (and upsert keys) and how many versions each has, never their rows; one of
them by name, and its versions (number, when, by whom, how many rows, the content's hash).

Why no decision and no audit entry: the list is the asking tenant's own metadata (like
``grants_of`` and the ingest receipts), so no other tenant's dataset can appear, and on
PostgreSQL row-level security limits the rows once more. Reading any dataset's rows still goes
through ``data.read_dataset`` and the decision point.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.errors import InputError, NotFound, Problem
from clusterhub.storage.rows import DatasetRow, DatasetVersionRow

__all__ = ["check_units", "dataset_named", "datasets_of", "versions_of"]


def check_units(columns: Mapping[str, str], units: Mapping[str, str]) -> dict[str, str]:
    """The units of a dataset's number columns, each one pint can read ("MW", "EUR/MWh",
    "t/h"), so that every reader converts with the same registry the cluster model uses. Every
    problem is named at once (``units.mw``)."""
    problems = []
    for name, unit in units.items():
        where = f"units.{name}"
        if name not in columns:
            problems.append(Problem(f"a declared column ({', '.join(columns)})", name, where))
        elif columns[name] != "number":
            problems.append(Problem("a unit on a number column only", columns[name], where))
        elif not _readable_unit(unit):
            problems.append(Problem("a unit such as MW, MWh, EUR/MWh or t", repr(unit), where))
    if problems:
        raise InputError(problems)
    return dict(units)


def _readable_unit(unit: str) -> bool:
    from clusterhub.model.units import registry  # pint's registry: built only when asked

    try:
        registry().Unit(unit)
    except Exception:
        return False
    return bool(unit.strip())


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
            "units": json.loads(row.units) if row.units else {},
            "mode": row.mode,
            "key": json.loads(row.key) if row.key else [],
            "versions": int(version or 0),
            "created_at": row.created_at.isoformat(),
        }
        for row, version in rows
    ]


def dataset_named(session: Session, subject: Subject, name: str) -> dict[str, Any]:
    """One of the subject's tenant's datasets by name, as ``datasets_of`` lists it; another
    tenant's dataset of that name is as absent as none."""
    for entry in datasets_of(session, subject):
        if entry["name"] == name:
            return entry
    raise NotFound(f"dataset {name!r}: expected a dataset of tenant {subject.tenant}, found none")


def versions_of(session: Session, subject: Subject, name: str) -> list[dict[str, Any]]:
    """Every version of one of the tenant's datasets, oldest first, without its rows."""
    dataset = dataset_named(session, subject, name)
    rows = session.scalars(
        sa.select(DatasetVersionRow)
        .where(DatasetVersionRow.dataset_id == dataset["id"])
        .order_by(DatasetVersionRow.version)
    )
    return [
        {
            "version": row.version,
            "created_at": row.created_at.isoformat(),
            "created_by": row.created_by,
            "rows": row.row_count,
            "sha256": row.sha256,
        }
        for row in rows
    ]
