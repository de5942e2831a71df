"""Database rows of stored clusters: one row per key, one append-only row per version.

Why a version row holds the whole document and its CSV files as text: a stored version must load
back into exactly the cluster that was imported, years later, whatever happened to the files on
disk; and the text is what the content hash covers, so equality is checked without parsing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Base", "ClusterRow", "ClusterVersionRow"]

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
        datetime: sa.DateTime(timezone=True),
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
