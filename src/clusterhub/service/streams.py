"""How a new version of a dataset relates to the one before: its write mode, fixed at creation.

- ``replace`` (the default; a monthly report): each version is the rows its message brought.
- ``append`` (a meter's readings): each version is the one before plus the message's rows.
- ``upsert`` with ``key`` columns (readings that may be corrected): a row whose key is already
  there replaces it in its place, a row with a new key is added at the end.

Why versions stay immutable and cheap: every message still makes a new version (its receipt,
audit record and idempotency key are as under ``replace``), and the version's row keeps exactly
what the message brought. The content of append and upsert datasets is held once, as records
valid from the version that added them until the one that replaced them (``DatasetRecordRow``),
so a write stores the message's rows only, and any version, the newest or one a run pinned long
ago, is one indexed query. A version's SHA-256 is taken over its content as read (the canonical
JSON ``{"rows": [...]}``, as under ``replace``), so a run's recorded hash is checked against what
a reproduction actually reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import canonical
from clusterhub.errors import InputError, Problem
from clusterhub.storage.rows import DatasetRecordRow, DatasetRow, DatasetVersionRow

__all__ = [
    "MODES",
    "Content",
    "Writer",
    "Written",
    "check_message",
    "check_mode",
    "content",
    "key_of",
]

MODES = ("replace", "append", "upsert")


def check_mode(columns: Mapping[str, str], mode: str, key: Sequence[str] | None) -> list[str]:
    """The key to store for ``mode`` (empty unless upsert); every problem located (``mode``,
    ``key``, ``key[1]``)."""
    if mode not in MODES:
        raise InputError.single(f"one of {', '.join(MODES)}", mode, path="mode")
    if mode != "upsert":
        if key:
            raise InputError.single("no key (a key belongs to mode upsert)", str(list(key)),
                                    path="key")  # fmt: skip
        return []
    if not key:
        raise InputError.single("one or more declared columns as the upsert key", "none",
                                path="key")  # fmt: skip
    problems = [
        Problem("a declared column", name, f"key[{i}]")
        for i, name in enumerate(key)
        if name not in columns
    ] + [
        Problem("each key column once", name, f"key[{i}]")
        for i, name in enumerate(key)
        if name in key[:i]
    ]
    if problems:
        raise InputError(problems)
    return list(key)


def key_of(dataset: DatasetRow) -> list[str]:
    return list(json.loads(dataset.key)) if dataset.key else []


def _key_hash(row: Mapping[str, Any], key: Sequence[str]) -> str:
    """The key's values as one digest; numbers as floats, so 1 and 1.0 are the same key."""
    values = [float(v) if isinstance(v, int | float) else v for v in (row[k] for k in key)]
    return hashlib.sha256(canonical({"key": values}).encode()).hexdigest()


def check_message(dataset: DatasetRow, rows: Sequence[Mapping[str, Any]]) -> None:
    """What ``check_rows`` does not see: under upsert, one message naming a key twice (which of
    the two would win is a guess), every repeat located (``rows[3]``)."""
    key = key_of(dataset)
    if dataset.mode != "upsert":
        return
    first: dict[str, int] = {}
    problems = []
    for i, row in enumerate(rows):
        digest = _key_hash(row, key)
        if digest in first:
            shown = ", ".join(f"{k}={row[k]!r}" for k in key)
            problems.append(Problem(f"a key not already in rows[{first[digest]}]", shown,
                                    f"rows[{i}]"))  # fmt: skip
        else:
            first[digest] = i
    if problems:
        raise InputError(problems)


@dataclass(frozen=True)
class Content:
    """A version as read: its rows in order, the SHA-256 of their canonical JSON."""

    version: int
    rows: list[dict[str, Any]]
    sha256: str
    created_at: datetime
    row_count: int


def content(session: Session, dataset: DatasetRow, version: int | None = None) -> Content | None:
    """Version ``version`` of ``dataset`` (the newest when None), materialised; no decision
    here: callers judge."""
    query = sa.select(DatasetVersionRow).where(DatasetVersionRow.dataset_id == dataset.id)
    query = (
        query.where(DatasetVersionRow.version == version)
        if version is not None
        else query.order_by(DatasetVersionRow.version.desc())
    )
    stored = session.scalars(query.limit(1)).first()
    if stored is None:
        return None
    if dataset.mode == "replace":
        rows = json.loads(stored.rows)["rows"]
        return Content(stored.version, rows, stored.sha256, stored.created_at, len(rows))
    records = sa.select(DatasetRecordRow.record).where(DatasetRecordRow.dataset_id == dataset.id)
    newest = session.scalar(
        sa.select(sa.func.max(DatasetVersionRow.version)).where(
            DatasetVersionRow.dataset_id == dataset.id
        )
    )
    if stored.version == newest:
        records = records.where(DatasetRecordRow.replaced_in.is_(None))
    else:
        records = records.where(
            DatasetRecordRow.added_in <= stored.version,
            sa.or_(
                DatasetRecordRow.replaced_in.is_(None),
                DatasetRecordRow.replaced_in > stored.version,
            ),
        )
    # each record is canonical JSON, so joining them is the canonical JSON of the whole
    text = '{"rows":[' + ",".join(session.scalars(records.order_by(DatasetRecordRow.ordinal)))
    text += "]}"
    rows = json.loads(text)["rows"]
    return Content(stored.version, rows, hashlib.sha256(text.encode()).hexdigest(),
                   stored.created_at, len(rows))  # fmt: skip


@dataclass
class _State:
    version: int
    count: int
    live: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # key -> ordinal, since


@dataclass(frozen=True)
class Written:
    version: int
    row_count: int  # the dataset's, after this version


class Writer:
    """Versions of one tenant's datasets written in one transaction, the statements collected
    and sent in bulk by ``flush`` (the ingest pipeline's batches); one message at a time gives
    exactly the same rows. Rows must have passed ``check_rows`` and ``check_message``."""

    def __init__(self, session: Session, user: str, now: datetime) -> None:
        self.session, self.user, self.now = session, user, now
        self._states: dict[str, _State] = {}
        self._versions: list[dict[str, Any]] = []
        self._records: dict[tuple[str, int, int], dict[str, Any]] = {}
        self._closed: list[dict[str, Any]] = []

    def prime(self, datasets: Sequence[DatasetRow]) -> None:
        """The newest version and row count of each of ``datasets`` in one query."""
        wanted = [d.id for d in datasets if d.id not in self._states]
        if not wanted:
            return
        newest = (
            sa.select(
                DatasetVersionRow.dataset_id, sa.func.max(DatasetVersionRow.version).label("v")
            )
            .where(DatasetVersionRow.dataset_id.in_(wanted))
            .group_by(DatasetVersionRow.dataset_id)
            .subquery()
        )
        found = self.session.execute(
            sa.select(DatasetVersionRow.dataset_id, DatasetVersionRow.version,
                      DatasetVersionRow.row_count)
            .join(newest, sa.and_(newest.c.dataset_id == DatasetVersionRow.dataset_id,
                                  newest.c.v == DatasetVersionRow.version))
        )  # fmt: skip
        for dataset, version, count in found:
            self._states[dataset] = _State(version, count or 0)
        for dataset in wanted:
            self._states.setdefault(dataset, _State(0, 0))

    def add(self, dataset: DatasetRow, rows: Sequence[Mapping[str, Any]]) -> Written:
        """The next version of ``dataset`` made of ``rows`` as its mode says."""
        self.prime([dataset])
        state = self._states[dataset.id]
        state.version += 1
        version = state.version
        text = canonical({"rows": list(rows)})
        if dataset.mode == "replace":
            state.count = len(rows)
        elif dataset.mode == "append":
            for row in rows:
                self._insert(dataset, state.count, version, None, row)
                state.count += 1
        else:
            self._upsert(dataset, state, version, rows)
        self._versions.append(
            {"dataset_id": dataset.id, "tenant_id": dataset.tenant_id, "version": version,
             "rows": text, "sha256": hashlib.sha256(text.encode()).hexdigest(),
             "created_by": self.user, "created_at": self.now, "row_count": state.count}
        )  # fmt: skip
        return Written(version, state.count)

    def _insert(
        self, dataset: DatasetRow, ordinal: int, version: int, key: str | None, row: Any
    ) -> None:
        self._records[(dataset.id, ordinal, version)] = {
            "dataset_id": dataset.id, "ordinal": ordinal, "added_in": version,
            "replaced_in": None, "tenant_id": dataset.tenant_id, "key_hash": key,
            "record": canonical(row),
        }  # fmt: skip

    def _upsert(
        self, dataset: DatasetRow, state: _State, version: int, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        key = key_of(dataset)
        hashes = [_key_hash(row, key) for row in rows]
        unknown = sorted({h for h in hashes if h not in state.live})
        for start in range(0, len(unknown), 500):
            chunk = unknown[start : start + 500]
            for digest, ordinal, since in self.session.execute(
                sa.select(DatasetRecordRow.key_hash, DatasetRecordRow.ordinal,
                          DatasetRecordRow.added_in)
                .where(DatasetRecordRow.dataset_id == dataset.id,
                       DatasetRecordRow.key_hash.in_(chunk),
                       DatasetRecordRow.replaced_in.is_(None))
            ):  # fmt: skip
                state.live[str(digest)] = (ordinal, since)
            for digest in chunk:
                state.live.setdefault(digest, None)
        for digest, row in zip(hashes, rows, strict=True):
            current = state.live[digest]
            if current is None:
                ordinal, state.count = state.count, state.count + 1
            else:
                ordinal, since = current
                pending = self._records.get((dataset.id, ordinal, since))
                if pending is not None:
                    pending["replaced_in"] = version
                else:
                    self._closed.append({"dataset_id": dataset.id, "ordinal": ordinal,
                                         "added_in": since, "replaced_in": version})  # fmt: skip
            self._insert(dataset, ordinal, version, digest, row)
            state.live[digest] = (ordinal, version)

    def flush(self) -> None:
        """Send what was collected: versions, records, then the records they replaced."""
        for table, values in ((DatasetVersionRow, self._versions),
                              (DatasetRecordRow, list(self._records.values()))):  # fmt: skip
            if values:
                self.session.execute(sa.insert(table), values)
        if self._closed:  # by primary key, in bulk
            self.session.execute(sa.update(DatasetRecordRow), self._closed)
        self._versions, self._records, self._closed = [], {}, []
