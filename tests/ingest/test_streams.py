"""Streams: a dataset declares at creation whether a message replaces its content (``replace``,
the default), adds its rows (``append``) or replaces rows by a declared key (``upsert``).

The issue: a meter sending one reading per message (REST or MQTT) was left with a dataset of
one row. Every message still makes its own immutable version (receipt, audit, idempotency as
before), version v is the content after messages 1..v, a write stores only the message's rows,
and a run on an earlier version reproduces after later appends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from clusterhub.api import create_app
from clusterhub.collab import Role, Subject
from clusterhub.examples import load_example
from clusterhub.ingest import Message, submit_many
from clusterhub.ingest.parse import JSON
from clusterhub.model import Demand
from clusterhub.service import data, identity
from clusterhub.service.catalogue import datasets_of
from clusterhub.storage import make_engine
from clusterhub.storage.rows import AuditRow, DatasetRecordRow, DatasetVersionRow

PASSWORD = "correct horse battery"
METER = {"time": "time", "asset": "text", "mw": "number"}
SENDER = Subject("acme", "mqtt:acme", frozenset({Role.ANALYST}))


def reading(hour: int, mw: float, asset: str = "boiler") -> dict[str, object]:
    return {"time": f"2026-11-23T{hour:02d}:00:00+00:00", "asset": asset, "mw": mw}


@dataclass
class World:
    client: TestClient
    url: str

    def login(self, user: str) -> dict[str, str]:
        answer = self.client.post("/api/v1/token", data={"username": user, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def create(self, name: str, **declared: object) -> str:
        body = {"name": name, "kind": "timeseries", "columns": METER} | declared
        answer = self.client.post("/api/v1/datasets", json=body, headers=self.login("acme-admin"))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def send(
        self, dataset: str, rows: list[dict[str, object]], key: str | None = None
    ) -> dict[str, Any]:
        headers = self.login("acme-admin") | ({"Idempotency-Key": key} if key else {})
        answer = self.client.post(f"/api/v1/ingest/acme/{dataset}", json={"rows": rows},
                                  headers=headers)  # fmt: skip
        assert answer.status_code in (200, 201, 422), answer.text
        result: dict[str, Any] = answer.json()
        return result

    def read(self, dataset: str, version: int | None = None) -> dict[str, Any]:
        query = {"purpose": "data-management"} | ({"version": version} if version else {})
        answer = self.client.get(f"/api/v1/datasets/{dataset}", params=query,
                                 headers=self.login("acme-admin"))  # fmt: skip
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def count(self, table: type[DatasetRecordRow] | type[DatasetVersionRow]) -> int:
        engine = make_engine(self.url)
        with Session(engine) as s:
            found = s.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        engine.dispose()
        return int(found)


@pytest.fixture
def world(migrated: str) -> Iterator[World]:
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        identity.add_tenant(s, "acme", "Acme")
        identity.add_user(s, "acme", "acme-admin", PASSWORD, (Role.MEMBER_ADMIN,))
    engine.dispose()
    app = create_app(migrated, secret="a-streams-test-secret-of-32-bytes!!")
    with TestClient(app) as client:
        yield World(client, migrated)


# --- the meter ---------------------------------------------------------------------------
def test_a_meter_sending_one_reading_per_message_keeps_every_reading(world: World) -> None:
    dataset = world.create("meter", mode="append")
    for hour in range(24):
        receipt = world.send("meter", [reading(hour, 4.0 + hour)], key=f"m{hour}")
        assert (receipt["status"], receipt["version"]) == ("accepted", hour + 1)
        assert (receipt["rows"], receipt["dataset_rows"]) == (1, hour + 1)
    newest = world.read(dataset)
    assert (newest["mode"], newest["version"]) == ("append", 24)
    assert newest["rows"] == [reading(h, 4.0 + h) for h in range(24)]
    # each version is the content after its messages, in arrival order
    assert world.read(dataset, 5)["rows"] == [reading(h, 4.0 + h) for h in range(5)]
    # the same message again stores nothing
    again = world.send("meter", [reading(3, 7.0)], key="m3")
    assert (again["status"], again["dataset_rows"]) == ("duplicate", None)
    assert world.read(dataset)["version"] == 24
    # a write stores the message's rows only, not a copy of the dataset
    assert world.count(DatasetRecordRow) == 24
    engine = make_engine(world.url)
    with Session(engine) as s:
        listed = datasets_of(s, Subject("acme", "acme-admin", frozenset({Role.MEMBER_ADMIN})))
    engine.dispose()
    assert [(d["name"], d["mode"], d["key"], d["versions"]) for d in listed] == [
        ("meter", "append", [], 24)
    ]


def test_mqtt_batches_of_single_readings_keep_every_reading(world: World) -> None:
    """The MQTT channel's path (``submit_many``): batches of one-reading messages, with a
    redelivered message inside a batch and across batches."""
    dataset = world.create("meter", mode="append")
    engine = make_engine(world.url)
    messages = [
        Message(channel="mqtt", target="acme", dataset="meter", media_type=JSON,
                payload=json.dumps({"id": f"r{h}", "rows": [reading(h, float(h))]}).encode(),
                sender="mqtt:acme", idempotency_key=f"r{h}")
        for h in range(12)
    ]  # fmt: skip
    receipts = []
    for batch in (messages[:5], [messages[4], *messages[5:9]], [messages[0], *messages[9:]]):
        with Session(engine) as s, s.begin():
            identity.enter_tenant(s, SENDER)
            receipts += submit_many(s, SENDER, batch, now=datetime.now(UTC))
    statuses = [r.status for r in receipts]
    assert statuses.count("accepted") == 12
    assert statuses.count("duplicate") == 2
    assert [r.dataset_rows for r in receipts if r.status == "accepted"] == list(range(1, 13))
    with Session(engine) as s:
        writes = [json.loads(r.payload) for r in s.scalars(sa.select(AuditRow))]
        assert data.verify_audit(s).ok
    engine.dispose()
    assert sum(1 for w in writes if w["user"] == SENDER.user and w["allowed"]) == 12
    assert world.read(dataset)["rows"] == [reading(h, float(h)) for h in range(12)]


# --- upsert and replace --------------------------------------------------------------------------
def test_upsert_replaces_a_corrected_reading_in_its_place(world: World) -> None:
    dataset = world.create("readings", mode="upsert", key=["time", "asset"])
    first = world.send("readings", [reading(0, 1.0), reading(1, 2.0), reading(1, 9.0, "pump")])
    assert (first["version"], first["dataset_rows"]) == (1, 3)
    corrected = world.send("readings", [reading(1, 2.5), reading(2, 3.0)])
    assert (corrected["status"], corrected["rows"], corrected["dataset_rows"]) == (
        "accepted", 2, 4,
    )  # fmt: skip
    newest = world.read(dataset)
    assert (newest["mode"], newest["key"]) == ("upsert", ["time", "asset"])
    assert newest["rows"] == [reading(0, 1.0), reading(1, 2.5), reading(1, 9.0, "pump"),
                              reading(2, 3.0)]  # fmt: skip
    # version 1 is still what it was
    assert world.read(dataset, 1)["rows"] == [reading(0, 1.0), reading(1, 2.0),
                                              reading(1, 9.0, "pump")]  # fmt: skip
    # one message naming a key twice: which would win is a guess, so it is refused whole
    twice = world.send("readings", [reading(5, 1.0), reading(6, 1.0), reading(5, 2.0)])
    assert twice["status"] == "rejected"
    assert [p["where"] for p in twice["problems"]] == ["rows[2]"]
    assert "rows[0]" in twice["problems"][0]["expected"]
    assert world.read(dataset)["version"] == 2


def test_replace_stays_the_default(world: World) -> None:
    dataset = world.create("report")
    world.send("report", [reading(0, 1.0), reading(1, 2.0)])
    world.send("report", [reading(2, 3.0)])
    newest = world.read(dataset)
    assert (newest["mode"], newest["version"]) == ("replace", 2)
    assert newest["rows"] == [reading(2, 3.0)]
    assert world.read(dataset, 1)["rows"] == [reading(0, 1.0), reading(1, 2.0)]
    assert world.count(DatasetRecordRow) == 0


@pytest.mark.parametrize(
    ("declared", "where"),
    [
        ({"mode": "upsert", "key": ["time", "site"]}, ["body", "key[1]"]),
        ({"mode": "upsert"}, ["body", "key"]),
        ({"mode": "upsert", "key": ["time", "time"]}, ["body", "key[1]"]),
        ({"mode": "append", "key": ["time"]}, ["body", "key"]),
        ({"mode": "merge"}, ["body", "mode"]),
    ],
)
def test_a_bad_mode_or_key_is_refused_naming_the_field(
    world: World, declared: dict[str, object], where: list[str]
) -> None:
    body = {"name": "meter", "kind": "timeseries", "columns": METER} | declared
    answer = world.client.post("/api/v1/datasets", json=body, headers=world.login("acme-admin"))
    assert answer.status_code == 422
    assert where in [problem["loc"] for problem in answer.json()["detail"]]


# --- reproducibility -----------------------------------------------------------------------------
def test_earlier_versions_read_exactly_as_before_after_later_messages(world: World) -> None:
    streams = {
        "meter": world.create("meter", mode="append"),
        "readings": world.create("readings", mode="upsert", key=["time", "asset"]),
    }
    for name in streams:
        for hour in range(3):
            world.send(name, [reading(hour, float(hour))])
    before = {name: world.read(d, 3) for name, d in streams.items()}
    for name in streams:
        for hour in range(3, 10):  # v4..v10, correcting hour 1 under upsert each time
            world.send(name, [reading(hour, float(hour)), reading(1, 10.0 + hour)])
    for name, dataset in streams.items():
        assert world.read(dataset, 3) == before[name]
        assert world.read(dataset)["sha256"] != before[name]["sha256"]
    assert len(world.read(streams["meter"])["rows"]) == 3 + 7 * 2
    readings = world.read(streams["readings"])["rows"]
    assert readings == [reading(0, 0.0), reading(1, 19.0), *(reading(h, h) for h in range(2, 10))]


def _profile_rows(participant: str, start: int, hours: int) -> list[dict[str, object]]:
    cluster = load_example("harbour")
    times = cluster.time_index[start : start + hours].tz_convert("UTC")
    rows: list[dict[str, object]] = []
    for asset in cluster.participant(participant).assets:
        if isinstance(asset, Demand):
            mw = cluster.values(asset.profile_mw)[start : start + hours]
            rows += [{"time": t.isoformat(), "asset": asset.id, "mw": float(v)}
                     for t, v in zip(times, mw, strict=True)]  # fmt: skip
    return rows


def test_a_run_on_version_3_reproduces_after_versions_4_to_10(migrated: str) -> None:
    """botlek-chemie streams its profiles (upsert by time and asset); a run on version 3
    reproduces after seven more messages that correct the run's hours and add later ones."""
    start, hours, member = 24 * 150, 24, "botlek-chemie"
    engine = make_engine(migrated)
    owner = Subject(member, f"{member}-admin", frozenset({Role.MEMBER_ADMIN}))
    with Session(engine) as s, s.begin():
        identity.add_tenant(s, "council", "Harbour council")
        identity.add_user(s, "council", "operator", PASSWORD, (Role.CLUSTER_OPERATOR,))
        identity.add_tenant(s, member, "Botlek")
        dataset = data.create_dataset(s, owner, "energy-profiles", "timeseries", METER,
                                      mode="upsert", key=["time", "asset"])  # fmt: skip
        rows = _profile_rows(member, start, hours)
        for part in (rows[0::3], rows[1::3], rows[2::3]):
            data.add_version(s, owner, dataset, part)
        data.create_grant(s, owner, dataset, grantee_kind="tenant", grantee="council",
                          purpose="energy-optimization", form="raw")  # fmt: skip
    engine.dispose()
    app = create_app(migrated, secret="a-streams-test-secret-of-32-bytes!!")
    with TestClient(app) as client:
        token = client.post("/api/v1/token", data={"username": "operator", "password": PASSWORD})
        operator = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {"engine": "energy", "cluster": "harbour", "start": start, "hours": hours}
        run = client.post("/api/v1/runs", json=body, headers=operator)
        assert run.status_code == 201, run.text
        used = {i["participant"]: i["version"] for i in run.json()["inputs"]}
        assert used == {member: 3}
        engine = make_engine(migrated)
        with Session(engine) as s, s.begin():
            for step in range(7):  # v4..v10: corrections in the run's hours, and later hours
                later = _profile_rows(member, start + hours + step, 1)
                data.add_version(s, owner, dataset,
                                 [{**r, "mw": float(r["mw"]) * 1.3} for r in rows[step::7]]  # type: ignore[arg-type]
                                 + later)  # fmt: skip
            assert data.read_dataset(s, owner, dataset, "data-management").version == 10
        engine.dispose()
        again = client.post(f"/api/v1/runs/{run.json()['id']}/reproduce", headers=operator)
        assert again.status_code == 200, again.text
        assert again.json()["identical"] is True
        assert again.json()["changed"] == []
        newer = client.post("/api/v1/runs", json=body, headers=operator).json()
        assert newer["inputs"][0]["version"] == 10
        assert newer["inputs"][0]["sha256"] != run.json()["inputs"][0]["sha256"]
