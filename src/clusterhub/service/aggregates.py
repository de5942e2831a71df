"""Cluster-level aggregates over several owners' datasets: by columns, by the contributor's
sector, by calendar period; released cell by cell under the safe-table rules, optionally with
differential-privacy noise charged to each contributing dataset's privacy budget.

Why the sector is joined in here and not read from the rows: a row's "sector" is whatever its
owner typed; the tenant's registered sector is one fact per company, the same in every dataset.
Why a differentially private request is refused whole when one dataset's budget is short: a
table without that dataset's rows would answer a different question, and silently dropping a
company changes the numbers in a way the reader cannot see. Why the refusal is a conflict (409)
and not a 404: it is the state of the budget, not the caller's right, that says no, and the
message names no dataset or owner. A private table is charged whenever a dataset's rows enter
it, even if every cell ends up suppressed: which cells are suppressed depends on the data as
well. Every charge and every refusal is an audit entry, written in the same transaction as the
spend itself; on PostgreSQL the audit head's row lock (taken by the first decision of the
request) serialises concurrent releases, so two requests cannot both spend the last of a
budget.

Why exact cells pass a second audit (``service.releases``): each table is safe alone, but a
tenant that asks several (a table by two dimensions and the cluster total, period totals and
their days) could subtract them; every exact sum or mean released to a tenant is kept, and a
new cell that would single out one company's figures with them is withheld. Why an owner may
ask for differentially private releases only: noise protects nothing while exact answers to
the same question stay available, so such a dataset is left out of exact tables (the answer
says how many were) and used by private ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import (
    Action,
    Budget,
    Cell,
    Decision,
    Privacy,
    Purpose,
    Resource,
    Rules,
    Subject,
    bucket,
    safe_table,
)
from clusterhub.errors import Conflict, NotFound
from clusterhub.service.data import dataset_row, judge, owner_of, record
from clusterhub.service.releases import BLOCK, LINEAR, PRIVATE_ONLY, ROW, audited
from clusterhub.service.streams import content
from clusterhub.storage.rows import DatasetRow, PrivacySpendRow, TenantRow

__all__ = [
    "SECTOR",
    "UNSPECIFIED",
    "BudgetExhausted",
    "BudgetState",
    "Table",
    "aggregate",
    "privacy_budget",
    "set_privacy_budget",
]

#: The grouping name that means "the contributor's registered sector".
SECTOR = "sector"
#: The sector label of a tenant registered without one.
UNSPECIFIED = "unspecified"
PERIOD = "period"
EXHAUSTED = "privacy budget exhausted"


class BudgetExhausted(Conflict):
    """A differentially private release asked for more epsilon than a contributing dataset has
    left. Its audit entries are kept: the caller commits the transaction before answering."""


@dataclass(frozen=True)
class BudgetState:
    dataset: str
    total: float
    spent: float
    remaining: float
    releases: int


@dataclass(frozen=True)
class Table:
    cells: list[Cell]
    left_out: int = 0  # datasets left out of an exact table: their owners allow only dp


def _budget(session: Session, dataset: DatasetRow) -> tuple[Budget, int]:
    spent, releases = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(PrivacySpendRow.epsilon), 0.0),
            sa.func.count(PrivacySpendRow.id),
        ).where(PrivacySpendRow.dataset_id == dataset.id)
    ).one()
    return Budget(float(dataset.privacy_epsilon), float(spent)), int(releases)


def _state(session: Session, dataset: DatasetRow) -> BudgetState:
    budget, releases = _budget(session, dataset)
    return BudgetState(dataset.id, budget.total, budget.spent, budget.remaining, releases)


def privacy_budget(session: Session, subject: Subject, dataset: str) -> BudgetState:
    """What differentially private releases have spent of an own dataset's budget (for the
    owner's member admins and auditors, like its audit trail)."""
    row = dataset_row(session, dataset)
    owner = row.tenant_id if row is not None else owner_of(session, dataset)
    now = datetime.now(UTC)
    decision = judge(session, subject, Action.AUDIT, Resource(owner, dataset), Purpose.AUDIT, now)
    if row is None or not decision.allowed:
        raise NotFound("no such dataset")
    return _state(session, row)


def set_privacy_budget(
    session: Session, subject: Subject, dataset: str, epsilon: float
) -> BudgetState:
    """The owner's new total; what was spent stays spent (a lower total can end releases)."""
    row = dataset_row(session, dataset)
    owner = row.tenant_id if row is not None else owner_of(session, dataset)
    now = datetime.now(UTC)
    decision = judge(
        session, subject, Action.GRANT, Resource(owner, dataset), Purpose.DATA_MANAGEMENT, now
    )
    if row is None or not decision.allowed:
        raise NotFound("no such dataset")
    row.privacy_epsilon = float(epsilon)
    session.flush()
    return _state(session, row)


def aggregate(
    session: Session,
    subject: Subject,
    *,
    name: str,
    value: str,
    by: Sequence[str],
    purpose: str | None,
    statistic: str = "sum",
    period: str | None = None,
    time: str = "time",
    privacy: Privacy | None = None,
    rules: Rules | None = None,
    now: datetime | None = None,
) -> Table:
    """A cluster-level aggregate of ``value`` over every tenant's dataset called ``name`` that
    the subject may aggregate for ``purpose`` (each decision audited), grouped by ``by``
    (``"sector"`` being the contributor's sector) and by the ``period`` of column ``time``,
    released cell by cell only when safe: at least k companies, none dominant, complementary
    suppression, and (exact sums and means) no company's figures by difference with what was
    released to the tenant before; with ``privacy``, noisy and charged to every contributing
    dataset. Without ``privacy``, datasets whose owners allow only private releases are left
    out (and counted)."""
    now = now or datetime.now(UTC)
    groups = list(dict.fromkeys([*by, *([PERIOD] if period else [])]))
    if value in groups:  # nothing is read: nothing to release or to audit
        return Table([Cell(("total",), None, 0, "the value cannot also be a grouping")])
    joined = {SECTOR, *([PERIOD] if period else [])}  # made by the service, not read from rows
    needed = list(dict.fromkeys([value, *(c for c in by if c not in joined)]))
    if period:
        needed = list(dict.fromkeys([*needed, time]))
    frames: list[pd.DataFrame] = []
    contributing: list[DatasetRow] = []
    left_out = 0
    for row in session.scalars(sa.select(DatasetRow).where(DatasetRow.name == name)):
        decision = judge(
            session, subject, Action.AGGREGATE, Resource(row.tenant_id, row.id), purpose, now
        )
        if not decision.allowed:
            continue
        if privacy is None and row.release == PRIVATE_ONLY:
            left_out += 1
            continue
        version, records = _records(session, row)
        if records is None or any(c not in records.columns for c in needed):
            continue
        frame = records[needed].copy()
        frame[BLOCK] = f"{row.tenant_id}/{row.id}/{version}"
        frame[ROW] = np.arange(len(frame))
        frame[value] = pd.to_numeric(frame[value], errors="coerce")
        if SECTOR in groups:
            tenant = session.get(TenantRow, row.tenant_id)
            frame[SECTOR] = (tenant.sector if tenant else None) or UNSPECIFIED
        if period:
            frame[PERIOD] = bucket(frame[time], period)
        frame = frame.dropna(subset=[value, *([PERIOD] if period else [])])
        if frame.empty:
            continue
        frame["tenant"] = row.tenant_id
        frames.append(frame[["tenant", value, *groups, BLOCK, ROW]])
        contributing.append(row)
    if not frames:
        why = f"fewer than {(rules or Rules()).k} contributors"
        return Table([Cell(("total",), None, 0, why)], left_out)
    if privacy is not None:
        _charge(session, subject, contributing, privacy.epsilon, purpose, now)
    frame = pd.concat(frames, ignore_index=True)
    if not groups:  # one cell: the whole cluster
        frame = frame.assign(cluster="total")
    cells = safe_table(
        frame,
        by=groups or ["cluster"],
        value=value,
        contributor="tenant",
        statistic=statistic,
        rules=rules,
        total=bool(groups),
        privacy=privacy,
        time=time if time in groups else (PERIOD if period else None),
    )
    if privacy is None and statistic in LINEAR:
        cells = audited(session, subject, name=name, value=value, statistic=statistic,
                        frame=frame, groups=groups, cells=cells, now=now)  # fmt: skip
    return Table(cells, left_out)


def _records(session: Session, dataset: DatasetRow) -> tuple[int, pd.DataFrame | None]:
    latest = content(session, dataset)
    if latest is None:
        return 0, None
    return latest.version, pd.DataFrame(latest.rows)


def _charge(  # noqa: PLR0917 - the release's parts, as they are audited
    session: Session,
    subject: Subject,
    datasets: Sequence[DatasetRow],
    epsilon: float,
    purpose: str | None,
    now: datetime,
) -> None:
    """Spend ``epsilon`` of every dataset's budget, or (when one has too little left) none of
    them: the refusal is audited for each dataset short of budget, then raised."""
    budgets = {row.id: _budget(session, row)[0] for row in datasets}
    short = [row for row in datasets if not budgets[row.id].allows(epsilon)]
    for row in short:
        left = budgets[row.id].remaining
        why = f"{EXHAUSTED}: {left:.6g} left, {epsilon:.6g} asked"
        resource = Resource(row.tenant_id, row.id)
        record(session, subject, Action.AGGREGATE, resource, purpose, Decision(False, why), now)
    if short:
        raise BudgetExhausted(
            f"{EXHAUSTED}: a contributing dataset has less than epsilon {epsilon:g} left"
        )
    for row in datasets:
        left = budgets[row.id].remaining - epsilon
        session.add(
            PrivacySpendRow(dataset_id=row.id, tenant_id=row.tenant_id, epsilon=epsilon,
                            spent_by=subject.tenant or "", created_at=now)
        )  # fmt: skip
        why = f"differential privacy: epsilon {epsilon:.6g} spent, {max(left, 0.0):.6g} left"
        resource = Resource(row.tenant_id, row.id)
        record(session, subject, Action.AGGREGATE, resource, purpose, Decision(True, why), now)
