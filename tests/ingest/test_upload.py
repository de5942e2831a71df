"""File upload and REST into the one pipeline: stored exactly once per message, rejected whole
with row and column, kept as a dead letter and replayed after the fix, never across tenants."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from clusterhub.api import create_app
from clusterhub.cli.main import app as cli
from clusterhub.collab import Role
from clusterhub.service import identity
from clusterhub.storage import make_engine
from clusterhub.storage.rows import DatasetVersionRow

PASSWORD = "correct horse battery"
GOOD = b"time,mw\n2026-11-23T00:00,4.2\n2026-11-23T01:00,3.9\n2026-11-23T02:00,4.0\n"
BAD = b"time,mw\n2026-11-23T00:00,4.2\n\n2026-11-23T01:00,lots\nyesterday,4.0\n"


@dataclass
class World:
    client: TestClient
    url: str

    def login(self, user: str) -> dict[str, str]:
        answer = self.client.post("/api/v1/token", data={"username": user, "password": PASSWORD})
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    def versions(self) -> int:
        engine = make_engine(self.url)
        with Session(engine) as s:
            count = s.scalar(sa.select(sa.func.count()).select_from(DatasetVersionRow)) or 0
        engine.dispose()
        return int(count)


@pytest.fixture
def world(migrated: str) -> Iterator[World]:
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta"):
            identity.add_tenant(s, tenant, tenant.title())
            identity.add_user(s, tenant, f"{tenant}-admin", PASSWORD, (Role.MEMBER_ADMIN,))
    engine.dispose()
    app = create_app(migrated, secret="an-ingest-test-secret-of-32-bytes!!")
    with TestClient(app) as client:
        world = World(client, migrated)
        created = client.post(
            "/api/v1/datasets",
            json={
                "name": "meter",
                "kind": "timeseries",
                "columns": {"time": "time", "mw": "number"},
            },
            headers=world.login("acme-admin"),
        )
        assert created.status_code == 201
        yield world


def _upload(  # type: ignore[no-untyped-def]
    world: World, user: str, content: bytes, name: str = "meter.csv", *,
    tenant: str = "acme", dataset: str = "meter",
):  # fmt: skip
    return world.client.post(
        f"/api/v1/ingest/{tenant}/{dataset}/file",
        files={"file": (name, content, "text/csv")},
        headers=world.login(user),
    )


def test_the_same_file_uploaded_ten_times_is_stored_once(world: World) -> None:
    answers = [_upload(world, "acme-admin", GOOD) for _ in range(10)]
    first = answers[0].json()
    assert answers[0].status_code == 201
    assert first["status"] == "accepted"
    assert first["version"] == 1
    assert first["rows"] == 3
    assert {a.status_code for a in answers[1:]} == {200}
    assert {a.json()["original"] for a in answers[1:]} == {first["id"]}
    assert world.versions() == 1
    statuses = [r["status"] for r in world.client.get(
        "/api/v1/ingest/receipts", headers=world.login("acme-admin")).json()]  # fmt: skip
    assert sorted(statuses) == ["accepted"] + ["duplicate"] * 9


def test_a_malformed_file_is_rejected_whole_with_row_and_column(world: World) -> None:
    answer = _upload(world, "acme-admin", BAD)
    assert answer.status_code == 422
    receipt = answer.json()
    assert receipt["status"] == "rejected"
    assert receipt["version"] is None
    # the blank line 3 keeps its number: the spreadsheet's rows, not the parser's
    assert [(p["where"], p["found"]) for p in receipt["problems"]] == [
        ("row 4, column B (mw)", "'lots'"),
        ("row 5, column A (time)", "'yesterday'"),
    ]
    assert world.versions() == 0
    letters = world.client.get("/api/v1/ingest/dead-letters", headers=world.login("acme-admin"))
    assert [d["receipt"] for d in letters.json()] == [receipt["id"]]
    assert "row 4, column B (mw)" in letters.json()[0]["reason"]


def test_an_excel_workbook_and_rows_as_json(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (("time", "mw"), ("2026-11-23T00:00", 1.5), ("2026-11-23T01:00", 2)):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    excel = world.client.post(
        "/api/v1/ingest/acme/meter/file",
        files={"file": ("meter.xlsx", buffer.getvalue(), "application/octet-stream")},
        headers=world.login("acme-admin"),
    )
    assert excel.status_code == 201, excel.text
    rows = {"rows": [{"time": "2026-11-23T02:00", "mw": 7.0}]}
    headers = world.login("acme-admin") | {"Idempotency-Key": "historian-42"}
    first = world.client.post("/api/v1/ingest/acme/meter", json=rows, headers=headers)
    again = world.client.post("/api/v1/ingest/acme/meter", json=rows, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["version"] == 2
    wrong = world.client.post("/api/v1/ingest/acme/meter", json={"rows": [{"time": "x", "mw": 1}]},
                              headers=world.login("acme-admin"))  # fmt: skip
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["where"] == "rows[0].time"
    assert world.versions() == 2


def test_writing_into_another_tenants_dataset_is_refused_and_audited(world: World) -> None:
    refused = _upload(world, "beta-admin", GOOD)
    missing = _upload(world, "beta-admin", GOOD, dataset="no-such-dataset")
    assert refused.status_code == missing.status_code == 422
    assert refused.json()["problems"][0]["found"] == "none you may write in 'acme'"
    assert world.versions() == 0
    trail = world.client.get("/api/v1/audit", headers=world.login("acme-admin")).json()
    writes = [(e["tenant"], e["action"], e["allowed"]) for e in trail if e["tenant"] == "beta"]
    assert writes == [("beta", "write", False), ("beta", "write", False)]
    # beta's rejected messages are beta's dead letters, not acme's
    acme = world.client.get("/api/v1/ingest/dead-letters", headers=world.login("acme-admin"))
    beta = world.client.get("/api/v1/ingest/dead-letters", headers=world.login("beta-admin"))
    assert acme.json() == []
    assert len(beta.json()) == 2


def test_a_dead_letter_is_replayed_after_the_fix(world: World) -> None:
    early = _upload(world, "acme-admin", GOOD, name="tanks.csv", dataset="tanks")
    assert early.status_code == 422  # the dataset does not exist yet
    world.client.post(
        "/api/v1/datasets",
        json={"name": "tanks", "kind": "timeseries", "columns": {"time": "time", "mw": "number"}},
        headers=world.login("acme-admin"),
    )
    letters = world.client.get("/api/v1/ingest/dead-letters", headers=world.login("acme-admin"))
    letter = letters.json()[0]["id"]
    replayed = world.client.post(f"/api/v1/ingest/dead-letters/{letter}/replay",
                                 headers=world.login("acme-admin"))  # fmt: skip
    assert replayed.status_code == 201
    assert replayed.json()["version"] == 1
    assert world.client.get("/api/v1/ingest/dead-letters",
                            headers=world.login("acme-admin")).json() == []  # fmt: skip
    again = world.client.post(f"/api/v1/ingest/dead-letters/{letter}/replay",
                              headers=world.login("beta-admin"))  # fmt: skip
    assert again.status_code == 404


def test_an_oversized_file_is_refused(world: World) -> None:
    answer = _upload(world, "acme-admin", b"time,mw\n" + b"x" * (20 * 1024 * 1024 + 10))
    assert answer.status_code == 413
    assert world.versions() == 0


def test_the_operator_sends_and_replays_from_the_command_line(world: World, tmp_path: Path) -> None:
    runner = CliRunner()
    good, bad = tmp_path / "meter.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(BAD)
    base = ["--as", "acme-admin", "--url", world.url]
    sent = runner.invoke(cli, ["ingest", "send", str(good), "--dataset", "meter", *base])
    assert sent.exit_code == 0, sent.output
    assert "accepted acme/meter" in sent.output
    assert "version 1" in sent.output
    twice = runner.invoke(cli, ["ingest", "send", str(good), "--dataset", "meter", *base])
    assert "duplicate" in twice.output
    rejected = runner.invoke(cli, ["ingest", "send", str(bad), "--dataset", "meter", *base])
    assert rejected.exit_code == 1
    assert "row 4, column B (mw): expected a number in mw, got 'lots'" in rejected.output
    listed = runner.invoke(cli, ["ingest", "receipts", *base])
    assert listed.exit_code == 0
    assert "rejected" in listed.output
    replay = runner.invoke(cli, ["ingest", "replay", *base])
    assert replay.exit_code == 1  # still malformed: it stays a dead letter
    assert world.versions() == 1


def test_the_upload_form_is_served_with_labelled_fields(world: World) -> None:
    page = world.client.get("/upload")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    for field in ("username", "password", "dataset", "file"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}"' in html
    # the form's script (a file: the CSP allows no inline script) posts where the API takes
    # files, and shows the receipt's problems
    assert '<script src="/upload.js"></script>' in html
    script = world.client.get("/upload.js").text
    assert '"/api/v1/ingest/"' in script
    assert '"/file"' in script
    assert "receipt.problems" in script
    for text in (html, script):
        assert "http://" not in text
        assert "https://" not in text


def test_a_member_admin_registers_senders_from_the_command_line(world: World) -> None:
    runner = CliRunner()
    base = ["--url", world.url]
    added = runner.invoke(cli, ["ingest", "sender", "add", "Ops@Acme.Example", "--as",
                                "acme-admin", *base])  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["ingest", "sender", "list", "--as", "acme-admin", *base])
    assert listed.output.split() == ["ops@acme.example"]
    taken = runner.invoke(cli, ["ingest", "sender", "add", "ops@acme.example", "--as",
                                "beta-admin", *base])  # fmt: skip
    assert taken.exit_code == 1
    gone = runner.invoke(cli, ["ingest", "sender", "remove", "ops@acme.example", "--as",
                               "acme-admin", *base])  # fmt: skip
    assert gone.exit_code == 0, gone.output
    assert (
        runner.invoke(cli, ["ingest", "sender", "list", "--as", "acme-admin", *base]).output == ""
    )


def test_the_broker_configuration_from_the_command_line(world: World, tmp_path: Path) -> None:
    out = tmp_path / "passwords.json"
    made = CliRunner().invoke(cli, [
        "ingest", "mosquitto-config", str(tmp_path / "broker"), "--port", "18830",
        "--json", str(out), "--url", world.url,
    ])  # fmt: skip
    assert made.exit_code == 0, made.output
    passwords = json.loads(out.read_text())
    assert sorted(passwords) == ["acme", "beta", "clusterhub-service"]
    stored = (tmp_path / "broker" / "passwords").read_text()
    assert all(p not in stored for p in passwords.values())  # only hashes are kept
    acl = (tmp_path / "broker" / "acl").read_text()
    assert "topic write clusterhub/acme/#" in acl
    assert "topic write clusterhub/beta/#" in acl
    assert "listener 18830" in (tmp_path / "broker" / "mosquitto.conf").read_text()
    service = (tmp_path / "broker" / "service.password").read_text().strip()
    assert service == passwords["clusterhub-service"]
