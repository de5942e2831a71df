"""The column type of every moment the database keeps: stored in UTC, read back aware, in UTC.

Why a type and not a helper at each read: SQLite keeps no time zone (it hands back naive times,
and it would store an aware time's wall clock without its offset), PostgreSQL's ``timestamptz``
hands back times in the session's zone. Each reader used to make its own "naive means UTC"
repair, and a reader that forgot compared a naive time with an aware one. The column is still
``DateTime(timezone=True)``: the schema, and so the migrations, are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

import sqlalchemy as sa

__all__ = ["UtcDateTime", "utc"]


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
@overload
def utc(moment: datetime | None) -> datetime | None: ...
def utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; a naive one is taken to be UTC already (what SQLite returns, and what
    a client's time without an offset means here)."""
    if moment is None:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that writes UTC and reads back aware UTC on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return utc(value)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return utc(value)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
