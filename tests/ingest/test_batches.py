"""A batch written in bulk (``submit_many``, the MQTT channel's path) gives exactly what the
same messages give one by one: the same receipts in the same order, the same stored versions
(and, for append and upsert datasets, the same content at every version), and an audit chain
that verifies, with one allowed write decision per stored version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.ingest import Message, submit, submit_many
from clusterhub.ingest.parse import JSON
from clusterhub.service import data, identity
from clusterhub.service.streams import content
from clusterhub.storage import make_engine, upgrade
from clusterhub.storage.rows import AuditRow, DatasetRow, DatasetVersionRow

ADMIN = Subject("acme", "acme-admin", frozenset({Role.MEMBER_ADMIN}))
SENDER = Subject("acme", "mqtt:acme", frozenset({Role.ANALYST}))


def _setup(url: str) -> None:
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta"):
            identity.add_tenant(s, tenant, tenant.title())
        data.create_dataset(s, ADMIN, "meter", "timeseries", {"time": "time", "mw": "number"})
        data.create_dataset(s, ADMIN, "stream", "timeseries", {"time": "time", "mw": "number"},
                            mode="append")  # fmt: skip
        data.create_dataset(s, ADMIN, "readings", "timeseries", {"time": "time", "mw": "number"},
                            mode="upsert", key=["time"])  # fmt: skip
        data.create_dataset(s, Subject("beta", "b", frozenset({Role.MEMBER_ADMIN})), "meter",
                            "timeseries", {"time": "time", "mw": "number"})  # fmt: skip
    engine.dispose()


NAMES = {4: "nothing", 6: "stream", 7: "readings", 8: "readings", 9: "stream"}


def _message(kind: int, value: int, keyed: bool) -> Message:
    """0-2: good rows; 3: a bad cell; 4: an unknown dataset; 5: into beta's dataset; 6: into
    an append dataset; 7: into an upsert dataset (few hours: keys repeat across messages);
    8: into it with one key twice (refused); 9: two rows into the append dataset."""
    mw: object = float(value) if kind != 3 else "lots"
    rows = [{"time": f"2026-11-23T{value % (3 if kind == 7 else 24):02d}:00", "mw": mw}]
    if kind in (8, 9):
        rows.append({"time": rows[0]["time"], "mw": float(value) + 0.5})
    payload = json.dumps({"rows": rows})
    return Message(
        channel="mqtt", target="beta" if kind == 5 else "acme",
        dataset=NAMES.get(kind, "meter"), payload=payload.encode(),
        media_type=JSON, sender="historian", idempotency_key=f"m{value}" if keyed else None,
    )  # fmt: skip


def _run(
    url: str, batches: list[list[Message]], bulk: bool
) -> tuple[list[tuple[object, ...]], list[object]]:
    engine = make_engine(url)
    seen = []
    for batch in batches:
        with Session(engine) as s, s.begin():
            identity.enter_tenant(s, SENDER)
            receipts = (submit_many(s, SENDER, batch) if bulk
                        else [submit(s, SENDER, m) for m in batch])  # fmt: skip
            seen += [(r.status, r.version, r.rows, r.dataset_rows, r.dataset, r.target)
                     for r in receipts]  # fmt: skip
    with Session(engine) as s:
        stored: list[object] = [v.sha256 for v in s.scalars(
            sa.select(DatasetVersionRow).order_by(DatasetVersionRow.dataset_id,
                                                  DatasetVersionRow.version))]  # fmt: skip
        for dataset in s.scalars(sa.select(DatasetRow).order_by(DatasetRow.id)):
            version = 1
            while (found := content(s, dataset, version)) is not None:
                stored.append((dataset.name, version, found.sha256, found.rows, found.row_count))
                version += 1
        assert data.verify_audit(s).ok
        writes = [json.loads(r.payload) for r in s.scalars(sa.select(AuditRow))]
        allowed = [w for w in writes if w["action"] == "write" and w["allowed"]
                   and w["user"] == SENDER.user]  # fmt: skip
        accepted = sum(1 for r in seen if r[0] == "accepted")
        # one allowed write per accepted message (rejected content is judged, then refused)
        assert len(allowed) >= accepted
    engine.dispose()
    return seen, stored


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(
    batches=st.lists(
        st.lists(
            st.builds(
                _message,
                st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 6, 7, 7, 7, 8, 9]),
                st.integers(0, 6),
                st.booleans(),
            ),
            min_size=1,
            max_size=12,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_a_batch_in_bulk_equals_the_messages_one_by_one(
    template: Path, tmp_path_factory: pytest.TempPathFactory, batches: list[list[Message]]
) -> None:
    folder: Path = tmp_path_factory.mktemp("batches")
    shutil.copy(template, folder / "one.db")
    shutil.copy(template, folder / "bulk.db")
    one, bulk = f"sqlite:///{folder / 'one.db'}", f"sqlite:///{folder / 'bulk.db'}"
    assert _run(one, batches, bulk=False) == _run(bulk, batches, bulk=True)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database at head with the tenants and datasets, copied for every example."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _setup(f"sqlite:///{path}")
    return path


def test_bulk_on_both_backends(migrated: str) -> None:
    """The bulk path on PostgreSQL too (row-level security on every table it writes)."""
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta"):
            identity.add_tenant(s, tenant, tenant.title())
        identity.enter_tenant(s, ADMIN)
        data.create_dataset(s, ADMIN, "meter", "timeseries", {"time": "time", "mw": "number"})
    engine.dispose()
    batch = [_message(k, v, keyed=True) for k, v in ((0, 1), (0, 2), (0, 1), (3, 3), (5, 4))]
    seen, stored = _run(migrated, [batch, batch], bulk=True)
    assert [r[0] for r in seen] == [
        "accepted",
        "accepted",
        "duplicate",
        "rejected",
        "rejected",
        "duplicate",
        "duplicate",
        "duplicate",
        "rejected",
        "rejected",
    ]
    assert len([v for v in stored if isinstance(v, str)]) == 2
