"""What an owner allows of its dataset's releases, and the ledger of exact cells released to
each tenant, against which every new exact cell is audited (``clusterhub.collab.differencing``).

Why per tenant and not per user: users of one tenant share what they are told. Why "the same
data" is the datasets' name and the value column: sums and means of one column are linear in
the same rows whatever the grouping (the number of companies per cell is published), while
another column is other figures. Why rows of a dataset *version*: a correction sent as a new
version must not be set against a release of the earlier one either; the audit takes every
version's rows as figures of their own, which can only make it stricter. The ledger is written
in the same transaction as the release's audit entries; on PostgreSQL the audit head's row lock
(taken by the request's first decision) serialises two releases to the same tenant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Cell, Form, GranteeKind, Purpose, Resource, Subject
from clusterhub.collab import audit_differencing as audit
from clusterhub.errors import NotFound
from clusterhub.service.data import dataset_row, judge, owner_of
from clusterhub.storage.rows import DatasetRow, GrantMemberRow, GrantRow, ReleaseRow

__all__ = [
    "BLOCK",
    "EXACT",
    "LEFT_OUT",
    "LINEAR",
    "PRIVATE_ONLY",
    "RELEASES",
    "audited",
    "release_rule",
    "set_release_rule",
]

EXACT = "exact"
PRIVATE_ONLY = "private-only"
RELEASES = (EXACT, PRIVATE_ONLY)
LEFT_OUT = "their owners allow only differentially private releases"
#: The statistics whose exact cells are linear in the rows (a mean: the count is public).
LINEAR = ("sum", "mean")
#: The frame columns naming each row's block ("tenant/dataset/version") and its row number.
BLOCK, ROW = "_block", "_row"


def release_rule(session: Session, subject: Subject, dataset: str) -> str:
    """Which releases the owner allows (for its member admins and auditors)."""
    return str(_owned(session, subject, dataset, Action.AUDIT, Purpose.AUDIT).release)


def set_release_rule(session: Session, subject: Subject, dataset: str, release: str) -> str:
    """The owner's member admin sets which releases it allows; the change is audited as a
    grant-type decision on the dataset, like its privacy budget."""
    if release not in RELEASES:
        raise ValueError(f"release must be one of {', '.join(RELEASES)}, got {release!r}")
    row = _owned(session, subject, dataset, Action.GRANT, Purpose.DATA_MANAGEMENT)
    row.release = release
    session.flush()
    return str(row.release)


def _owned(
    session: Session, subject: Subject, dataset: str, action: Action, purpose: Purpose
) -> DatasetRow:
    row = dataset_row(session, dataset)
    owner = row.tenant_id if row is not None else owner_of(session, dataset)
    now = datetime.now(UTC)
    decision = judge(session, subject, action, Resource(owner, dataset), purpose, now)
    if row is None or not decision.allowed:
        raise NotFound("no such dataset")
    return row


def audited(
    session: Session,
    subject: Subject,
    *,
    name: str,
    value: str,
    statistic: str,
    frame: pd.DataFrame,
    groups: Sequence[str],
    cells: list[Cell],
    now: datetime,
) -> list[Cell]:
    """The table's cells with those withheld that, together with every exact cell released to
    the subject's tenant before over the same data, would reveal one company's figures; the
    released ones are added to the ledger."""
    tenant = subject.tenant or ""
    earlier = session.scalars(
        sa.select(ReleaseRow)
        .where(ReleaseRow.tenant_id == tenant, ReleaseRow.name == name,
               ReleaseRow.value_column == value)
        .order_by(ReleaseRow.id)
    ).all()  # fmt: skip
    members = _members(frame, groups, cells)
    released = [i for i, c in enumerate(cells) if not c.suppressed]
    new = [_ranges(frame, members[i]) for i in released]
    old = [json.loads(r.atoms) for r in earlier]
    blocks = sorted({b for cell in (*old, *new) for b in cell})
    size = dict.fromkeys(blocks, 0)
    for cell in (*old, *new):
        for b, spans in cell.items():
            size[b] = max(size[b], *(stop for _, stop in spans))
    offset = dict(zip(blocks, np.cumsum([0, *(size[b] for b in blocks)]).tolist(), strict=False))
    tenant_of = {b: b.rsplit("/", 2)[0] for b in blocks}  # dataset ids and versions have no /
    companies = sorted(set(tenant_of.values()))
    owners = np.repeat([companies.index(tenant_of[b]) for b in blocks],
                       [size[b] for b in blocks]).astype(np.int64)  # fmt: skip
    requester = companies.index(tenant) if tenant in companies else -1
    readable = _readable(session, tenant, value, {b.rsplit("/", 2)[1] for b in blocks})
    known = np.repeat([b.rsplit("/", 2)[1] in readable for b in blocks],
                      [size[b] for b in blocks]).astype(bool)  # fmt: skip
    reasons = audit([_ids(c, offset) for c in old], [_ids(c, offset) for c in new], owners,
                    requester=requester, known=known)  # fmt: skip
    out = list(cells)
    for index, reason, atoms in zip(released, reasons, new, strict=True):
        cell = cells[index]
        if reason:
            out[index] = replace(cell, value=None, reason=reason)
            continue
        session.add(
            ReleaseRow(tenant_id=tenant, name=name, value_column=value, statistic=statistic,
                       cell=json.dumps([str(g) for g in cell.group]),
                       value=float(cell.value or 0.0), atoms=json.dumps(atoms, sort_keys=True),
                       created_at=now)
        )  # fmt: skip
    return out


def _readable(session: Session, tenant: str, value: str, datasets: set[str]) -> set[str]:
    """Which of ``datasets`` (other owners') ``tenant`` may read, or could have read, raw with
    the ``value`` column: a raw grant to it, to the cluster, or to a group naming it, live or
    not (what it read while a grant lasted, it still knows). Any purpose, any time window: the
    stricter side. On PostgreSQL row-level security hides grants whose group membership has
    ended; those rows then count as unknown."""
    if not datasets:
        return set()
    grants = session.scalars(
        sa.select(GrantRow).where(
            GrantRow.dataset_id.in_(sorted(datasets)),
            GrantRow.tenant_id != tenant,
            GrantRow.form == Form.RAW.value,
        )
    ).all()
    groups = [g.id for g in grants if g.grantee_kind == GranteeKind.GROUP.value]
    named = set(
        session.scalars(
            sa.select(GrantMemberRow.grant_id).where(
                GrantMemberRow.grant_id.in_(groups), GrantMemberRow.member == tenant
            )
        )
    ) if groups else set()  # fmt: skip
    out = set()
    for grant in grants:
        fields = json.loads(grant.fields) if grant.fields else None
        if fields is not None and value not in fields:
            continue  # the rows without the value column tell nothing of the sums
        kind = grant.grantee_kind
        if (
            kind == GranteeKind.CLUSTER.value
            or (kind == GranteeKind.TENANT.value and grant.grantee == tenant)
            or (kind == GranteeKind.GROUP.value and grant.id in named)
        ):
            out.add(grant.dataset_id)
    return out


def _members(frame: pd.DataFrame, groups: Sequence[str], cells: list[Cell]) -> list[np.ndarray]:
    """Each cell's rows of ``frame`` (positions); the table's last cell is its total."""
    everything = np.arange(len(frame))
    if not groups:
        return [everything]
    # the same sorted grouping as the table's own: the i-th group is the i-th cell (a key
    # that is missing, NaN, would not be found again by value)
    number = frame.groupby(list(groups), dropna=False, sort=True).ngroup().to_numpy()
    order = np.argsort(number, kind="stable")
    bounds = np.searchsorted(number[order], np.arange(len(cells)))
    parts = np.split(order, bounds[1:])
    return [everything if i == len(cells) - 1 else parts[i] for i in range(len(cells))]


def _ranges(frame: pd.DataFrame, positions: np.ndarray) -> dict[str, list[list[int]]]:
    """A cell's rows as runs of row numbers per block, for the ledger."""
    part = frame.iloc[positions][[BLOCK, ROW]].sort_values([BLOCK, ROW])
    out: dict[str, list[list[int]]] = {}
    for block, rows in part.groupby(BLOCK, sort=True)[ROW]:  # a handful of datasets
        numbers = rows.to_numpy(dtype=np.int64)
        breaks = np.flatnonzero(np.diff(numbers) != 1) + 1
        starts = numbers[np.r_[0, breaks]]
        stops = numbers[np.r_[breaks - 1, len(numbers) - 1]] + 1
        out[str(block)] = np.column_stack([starts, stops]).tolist()
    return out


def _ids(cell: dict[str, list[list[int]]], offset: dict[str, int]) -> np.ndarray:
    """A ledger cell's atoms as global ids (every run expanded without a loop over rows)."""
    spans = [
        (offset[b] + start, offset[b] + stop) for b, runs in cell.items() for start, stop in runs
    ]
    if not spans:
        return np.zeros(0, dtype=np.int64)
    starts, stops = (np.array(side, dtype=np.int64) for side in zip(*spans, strict=True))
    lengths = stops - starts
    firsts = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    return firsts + np.arange(int(lengths.sum()), dtype=np.int64)
