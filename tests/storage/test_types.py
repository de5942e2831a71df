"""Every stored moment reads back aware and in UTC on each backend (``storage.types``): written
naive (taken as UTC), aware in UTC or aware in another zone; through the ORM, a bulk insert, an
aggregate over the column and a raw query typed with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.storage import make_engine
from clusterhub.storage.rows import ClusterRow
from clusterhub.storage.types import UtcDateTime, utc

NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
WRITTEN = {
    "naive": NOON.replace(tzinfo=None),
    "utc": NOON,
    "plus-two": NOON.astimezone(timezone(timedelta(hours=2))),
}


def test_moments_read_back_aware_in_utc(migrated: str) -> None:
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        s.add_all(ClusterRow(key=key, created_at=moment) for key, moment in WRITTEN.items())
        s.execute(sa.insert(ClusterRow), [{"key": "bulk", "created_at": WRITTEN["plus-two"]}])
    with Session(engine) as s:
        read = dict(s.execute(sa.select(ClusterRow.key, ClusterRow.created_at)).tuples().all())
        latest = s.scalar(sa.select(sa.func.max(ClusterRow.created_at)))
        raw = s.execute(
            sa.text("SELECT created_at FROM clusters WHERE key = 'plus-two'").columns(
                created_at=UtcDateTime()
            )
        ).scalar_one()
        # a query's bound moment is compared in UTC too
        later = s.scalars(
            sa.select(ClusterRow.key).where(
                ClusterRow.created_at > WRITTEN["plus-two"] - timedelta(minutes=1)
            )
        ).all()
    engine.dispose()
    for moment in [*read.values(), latest, raw]:
        assert moment == NOON
        assert moment is not None
        assert moment.utcoffset() == timedelta(0)
    assert sorted(later) == ["bulk", "naive", "plus-two", "utc"]


def test_utc_takes_a_naive_time_as_utc() -> None:
    assert utc(None) is None
    assert utc(NOON.replace(tzinfo=None)) == NOON
    assert utc(WRITTEN["plus-two"]).tzinfo is UTC
