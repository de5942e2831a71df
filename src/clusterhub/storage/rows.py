"""Database rows of stored clusters: one row per key, one append-only row per version.

Why a version row holds the whole document and its CSV files as text: a stored version must load
back into exactly the cluster that was imported, years later, whatever happened to the files on
disk; and the text is what the content hash covers, so equality is checked without parsing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from clusterhub.storage.types import UtcDateTime

__all__ = [
    "ApiKeyRow",
    "AuditHeadRow",
    "AuditRow",
    "Base",
    "ClusterRow",
    "ClusterVersionRow",
    "DatasetRecordRow",
    "DatasetRow",
    "DatasetVersionRow",
    "GrantMemberRow",
    "GrantRow",
    "PrivacySpendRow",
    "ReleaseRow",
    "TenantRow",
    "UserRow",
]

#: Constraint names fixed by convention, so migrations and the ORM name them alike on every
#: database (PostgreSQL and SQLite would otherwise invent different names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012  (SQLAlchemy reads it as a class attribute)
        datetime: UtcDateTime(),  # stored in UTC, read back aware on every database
        dict[str, str]: sa.JSON(),
    }


class ClusterRow(Base):
    """A cluster as the platform knows it: a stable key that its versions hang from."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]

    versions: Mapped[list[ClusterVersionRow]] = relationship(
        back_populates="cluster", order_by="ClusterVersionRow.version"
    )


class ClusterVersionRow(Base):
    """One imported state of a cluster; written once, never updated or deleted."""

    __tablename__ = "cluster_versions"
    __table_args__ = (sa.UniqueConstraint("cluster_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(sa.ForeignKey("clusters.id"))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.Text)
    participants: Mapped[int]
    document: Mapped[str] = mapped_column(sa.Text)
    files: Mapped[dict[str, str]]

    cluster: Mapped[ClusterRow] = relationship(back_populates="versions")


# --- tenancy: who may see which data (the service layer's tables) ------------------------------
class TenantRow(Base):
    """A participant as a tenant of the data service."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text)
    groups: Mapped[str] = mapped_column(sa.Text, default="")  # comma-separated group names
    sector: Mapped[str | None] = mapped_column(sa.String(64), default=None)  # e.g. "chemicals"
    created_at: Mapped[datetime]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(128), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.Text)  # argon2
    roles: Mapped[str] = mapped_column(sa.Text)  # comma-separated
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class ApiKeyRow(Base):
    """A machine's key: the public prefix finds the row, the argon2 hash checks the secret."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)  # the public prefix
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    secret_hash: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    replaced_by: Mapped[str | None] = mapped_column(sa.String(32), default=None)  # on rotation


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    kind: Mapped[str] = mapped_column(sa.String(16))  # timeseries | table
    columns: Mapped[str] = mapped_column(sa.Text)  # JSON: the declared schema
    created_at: Mapped[datetime]
    # the total epsilon its owner allows differentially private releases to spend
    privacy_epsilon: Mapped[float] = mapped_column(sa.Float, default=1.0, server_default="1.0")
    # how a new version relates to the one before: replace | append | upsert (fixed at creation)
    mode: Mapped[str] = mapped_column(sa.String(16), default="replace", server_default="replace")
    key: Mapped[str | None] = mapped_column(sa.Text, default=None)  # JSON list: upsert's key
    # which releases its owner allows: "exact" (safe-table rules, audited) or "private-only"
    release: Mapped[str] = mapped_column(sa.String(16), default="exact", server_default="exact")
    units: Mapped[str | None] = mapped_column(sa.Text, default=None)  # JSON: column -> unit


class DatasetVersionRow(Base):
    """One accepted state of a dataset; written once, never updated or deleted.

    ``rows`` holds what the message brought: the whole content under ``replace``, the rows it
    added or replaced under ``append`` and ``upsert`` (whose content is materialised from
    ``DatasetRecordRow``); ``sha256`` is the hash of that text."""

    __tablename__ = "dataset_versions"
    __table_args__ = (sa.UniqueConstraint("dataset_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(sa.ForeignKey("datasets.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    version: Mapped[int]
    rows: Mapped[str] = mapped_column(sa.Text)  # JSON records
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime]
    row_count: Mapped[int | None] = mapped_column(default=None)  # the content's, at this version


class DatasetRecordRow(Base):
    """One row of an append or upsert dataset, valid from the version that added it until the
    version that replaced it (none: still current). Written with its version; the only change
    ever made is setting ``replaced_in`` once.

    Why rows with a validity range: every version stays readable exactly (a run on version 3
    reproduces after version 10) while a write stores only the message's rows, not a copy of
    the dataset."""

    __tablename__ = "dataset_records"
    __table_args__ = (
        sa.Index("ix_dataset_records_current", "dataset_id", "replaced_in", "ordinal"),
        sa.Index("ix_dataset_records_key", "dataset_id", "key_hash"),
        sa.Index("ix_dataset_records_added", "dataset_id", "added_in"),
    )

    dataset_id: Mapped[str] = mapped_column(sa.ForeignKey("datasets.id"), primary_key=True)
    ordinal: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # its place
    added_in: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # a version
    replaced_in: Mapped[int | None] = mapped_column(default=None)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    key_hash: Mapped[str | None] = mapped_column(sa.String(64), default=None)  # upsert only
    record: Mapped[str] = mapped_column(sa.Text)  # the row as canonical JSON


class GrantRow(Base):
    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)  # owner
    dataset_id: Mapped[str] = mapped_column(sa.ForeignKey("datasets.id"), index=True)
    grantee_kind: Mapped[str] = mapped_column(sa.String(16))
    grantee: Mapped[str] = mapped_column(sa.String(128))
    purpose: Mapped[str] = mapped_column(sa.String(64))
    form: Mapped[str] = mapped_column(sa.String(32))
    fields: Mapped[str | None] = mapped_column(sa.Text, default=None)  # JSON list
    starts: Mapped[datetime | None] = mapped_column(default=None)
    ends: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class GrantMemberRow(Base):
    """A tenant a grant to a group reaches: named when the grant was made (the group's members
    then) or when the owner consented later; ``removed_at`` when it left the group."""

    __tablename__ = "grant_members"

    grant_id: Mapped[str] = mapped_column(sa.ForeignKey("grants.id"), primary_key=True)
    member: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), primary_key=True, index=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)  # owner
    added_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(sa.Text)  # why it was added
    removed_at: Mapped[datetime | None] = mapped_column(default=None)


class PrivacySpendRow(Base):
    """One differentially private release charged to one dataset; appended, never changed."""

    __tablename__ = "privacy_spends"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(sa.ForeignKey("datasets.id"), index=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)  # owner
    epsilon: Mapped[float] = mapped_column(sa.Float)
    spent_by: Mapped[str] = mapped_column(sa.String(64))  # the tenant that asked
    created_at: Mapped[datetime]


class ReleaseRow(Base):
    """One exact cell released to a tenant: what it said and exactly which rows of which
    dataset versions it covered (``{"tenant/dataset/version": [[start, stop], ...]}``), so that
    later releases of the same data to the same tenant are audited against it; appended only."""

    __tablename__ = "aggregate_releases"
    __table_args__ = (sa.Index("ix_aggregate_releases_data", "tenant_id", "name", "value_column"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"))  # who was told
    name: Mapped[str] = mapped_column(sa.String(128))  # the datasets' name
    value_column: Mapped[str] = mapped_column(sa.String(128))
    statistic: Mapped[str] = mapped_column(sa.String(16))
    cell: Mapped[str] = mapped_column(sa.Text)  # JSON: the cell's group
    value: Mapped[float] = mapped_column(sa.Float)
    atoms: Mapped[str] = mapped_column(sa.Text)  # JSON, as above
    created_at: Mapped[datetime]


class AuditRow(Base):
    """One link of the audit chain (see ``clusterhub.collab.audit``)."""

    __tablename__ = "audit_entries"

    position: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    owner: Mapped[str | None] = mapped_column(sa.String(64), index=True)  # whose data it was
    payload: Mapped[str] = mapped_column(sa.Text)
    previous: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    mac: Mapped[str | None] = mapped_column(sa.String(64))  # None: written before keying
    key_id: Mapped[str | None] = mapped_column(sa.String(16))


class AuditHeadRow(Base):
    """The chain's head, kept apart from the entries: a truncated tail shows against it."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.String(64))
    mac: Mapped[str | None] = mapped_column(sa.String(64))
    key_id: Mapped[str | None] = mapped_column(sa.String(16))


class RunRow(Base):
    """An engine run on members' shared data, with exactly what it read (dataset versions and
    their hashes), whom it left out and why, and its cluster-level summary; written once."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    engine: Mapped[str] = mapped_column(sa.String(32))
    purpose: Mapped[str] = mapped_column(sa.String(64))
    request: Mapped[str] = mapped_column(sa.Text)  # JSON: what was asked, the cluster's hash
    cluster: Mapped[str] = mapped_column(sa.Text)  # the cluster description as run (YAML)
    inputs: Mapped[str] = mapped_column(sa.Text)  # JSON: dataset id, owner, version, sha256
    left_out: Mapped[str] = mapped_column(sa.Text)  # JSON: participant -> reason
    summary: Mapped[str] = mapped_column(sa.Text)  # JSON: safe cluster-level figures
    created_by: Mapped[str] = mapped_column(sa.String(128))
    created_at: Mapped[datetime]


class RunResultRow(Base):
    """One member's part of a run's result: its own figures in full, for it and (as its grant's
    form allows) for the operator who ran it."""

    __tablename__ = "run_results"

    run_id: Mapped[str] = mapped_column(sa.ForeignKey("runs.id"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), primary_key=True)
    operator: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(sa.String(36))  # the input its visibility follows
    payload: Mapped[str] = mapped_column(sa.Text)  # JSON


class ReceiptRow(Base):
    """What became of one message from any channel: accepted (with the version it made),
    rejected (with every problem located) or a duplicate of an accepted one; written once."""

    __tablename__ = "ingest_receipts"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)  # sender
    target: Mapped[str] = mapped_column(sa.String(64), index=True)  # the dataset's tenant
    dataset: Mapped[str] = mapped_column(sa.String(128))  # its name
    channel: Mapped[str] = mapped_column(sa.String(16))
    idempotency_key: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[int | None] = mapped_column(default=None)
    rows: Mapped[int] = mapped_column(default=0)
    dataset_rows: Mapped[int | None] = mapped_column(default=None)  # the dataset's, after it
    problems: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON
    sender: Mapped[str] = mapped_column(sa.String(256))
    original: Mapped[str | None] = mapped_column(sa.String(36), default=None)  # of a duplicate
    received_at: Mapped[datetime]


class IngestKeyRow(Base):
    """An accepted message's idempotency key: the same message again is a duplicate."""

    __tablename__ = "ingest_keys"

    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    receipt_id: Mapped[str] = mapped_column(sa.String(36))


class DeadLetterRow(Base):
    """A rejected message kept whole, with its reason, until it is replayed after a fix."""

    __tablename__ = "dead_letters"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)  # sender
    receipt_id: Mapped[str] = mapped_column(sa.String(36))
    channel: Mapped[str] = mapped_column(sa.String(16))
    target: Mapped[str] = mapped_column(sa.String(64))
    dataset: Mapped[str] = mapped_column(sa.String(128))
    media_type: Mapped[str] = mapped_column(sa.String(128))
    filename: Mapped[str | None] = mapped_column(sa.String(256), default=None)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), default=None)
    payload: Mapped[bytes] = mapped_column(sa.LargeBinary)
    reason: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime]
    replayed_at: Mapped[datetime | None] = mapped_column(default=None)
    replay_receipt: Mapped[str | None] = mapped_column(sa.String(36), default=None)


class SenderRow(Base):
    """An e-mail address registered by a tenant as one of its senders."""

    __tablename__ = "ingest_senders"

    address: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(sa.ForeignKey("tenants.id"), index=True)
    created_at: Mapped[datetime]
