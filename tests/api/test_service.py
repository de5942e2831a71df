"""The data service end to end over HTTP: owners, grants for a purpose, revocation on the next
request, uniform 404s, and an audit chain that records every decision and catches tampering."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from clusterhub.api import create_app
from clusterhub.collab import Role
from clusterhub.service import data, identity
from clusterhub.storage import make_engine
from clusterhub.storage.rows import AuditRow

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(migrated: str) -> Iterator[tuple[TestClient, str, Clock]]:
    """The service on a fresh database of each backend (SQLite, PostgreSQL), 3 tenants."""
    url = migrated
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta", "gamma"):
            identity.add_tenant(s, tenant, tenant.title())
            identity.add_user(s, tenant, f"{tenant}-admin", PASSWORD, (Role.MEMBER_ADMIN,))
            identity.add_user(s, tenant, f"{tenant}-analyst", PASSWORD, (Role.ANALYST,))
    engine.dispose()
    clock = Clock()
    with TestClient(
        create_app(url, secret="a-test-signing-secret-of-32-bytes-or-more", clock=clock)
    ) as client:
        yield client, url, clock


def login(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/v1/token", data={"username": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_the_grant_lifecycle(world: tuple[TestClient, str, Clock]) -> None:
    client, url, clock = world
    acme, beta = login(client, "acme-admin"), login(client, "beta-analyst")
    created = client.post(
        "/api/v1/datasets",
        json={"name": "meter", "kind": "timeseries", "columns": {"time": "time", "mw": "number"}},
        headers=acme,
    )
    assert created.status_code == 201, created.text
    dataset = created.json()["id"]
    rows = [{"time": "2026-11-23T00:00", "mw": 4.2}, {"time": "2026-11-23T01:00", "mw": 3.9}]
    assert client.post(f"/api/v1/datasets/{dataset}/versions", json={"rows": rows},
                       headers=acme).json() == {"version": 1}  # fmt: skip
    # the owner reads; beta cannot, and cannot tell it from a dataset that does not exist
    own = client.get(f"/api/v1/datasets/{dataset}", params={"purpose": "energy-optimization"},
                     headers=acme)  # fmt: skip
    assert own.json()["rows"] == rows
    denied = client.get(f"/api/v1/datasets/{dataset}", params={"purpose": "energy-optimization"},
                        headers=beta)  # fmt: skip
    missing = client.get("/api/v1/datasets/nope", params={"purpose": "energy-optimization"},
                         headers=beta)  # fmt: skip
    assert denied.status_code == missing.status_code == 404
    assert denied.json() == missing.json()
    # a raw grant for energy optimisation, to beta only
    grant = client.post(
        "/api/v1/grants",
        json={"dataset": dataset, "grantee_kind": "tenant", "grantee": "beta",
              "purpose": "energy-optimization", "form": "raw"},
        headers=acme,
    ).json()["id"]  # fmt: skip
    read = client.get(f"/api/v1/datasets/{dataset}", params={"purpose": "energy-optimization"},
                      headers=beta)  # fmt: skip
    assert read.status_code == 200
    assert read.json()["rows"] == rows
    other_purpose = client.get(f"/api/v1/datasets/{dataset}",
                               params={"purpose": "benefit-sharing"}, headers=beta)  # fmt: skip
    assert other_purpose.status_code == 404
    gamma = login(client, "gamma-admin")
    assert client.get(f"/api/v1/datasets/{dataset}", params={"purpose": "energy-optimization"},
                      headers=gamma).status_code == 404  # fmt: skip
    # beta may not revoke or grant acme's data; acme revokes: the very next request is refused
    assert client.post(f"/api/v1/grants/{grant}/revoke", headers=beta).status_code == 404
    assert client.post(f"/api/v1/grants/{grant}/revoke", headers=acme).status_code == 200
    clock.now += timedelta(microseconds=1)
    after = client.get(f"/api/v1/datasets/{dataset}", params={"purpose": "energy-optimization"},
                       headers=beta)  # fmt: skip
    assert after.status_code == 404
    # the owner sees every decision on its data, allowed and refused, with the purpose
    trail = client.get("/api/v1/audit", headers=acme).json()
    beta_reads = [e for e in trail if e["tenant"] == "beta" and e["action"] == "read"]
    # on PostgreSQL row-level security hides acme's dataset from beta before the grant; that
    # probe is still audited under acme, so both backends give the same trail
    probes = [False, True, False, False]
    assert [e["allowed"] for e in beta_reads] == probes
    assert {e["purpose"] for e in beta_reads} == {"energy-optimization", "benefit-sharing"}
    assert client.get("/api/v1/audit", headers=beta).status_code == 404  # an analyst: no audit
    beta_admin = login(client, "beta-admin")
    beta_trail = client.get("/api/v1/audit", headers=beta_admin).json()
    actions = [e["action"] for e in beta_trail]
    assert actions[0] == "tenant.create"  # its creation and its users' are in its trail (i16)
    made = ("tenant.create", "user.create")
    assert [a for a in actions if a not in made] == ["audit", "audit"]  # nobody read beta's data
    odrl = client.get("/api/v1/grants/odrl", headers=acme).json()
    assert odrl["permission"][0]["revoked"]
    engine = make_engine(url)
    with Session(engine) as s:
        assert data.verify_audit(s).ok
    with engine.begin() as c:  # someone edits one entry in the database
        c.execute(sa.update(AuditRow).where(AuditRow.position == 3)
                  .values(payload=AuditRow.payload + " "))  # fmt: skip
    with Session(engine) as s:
        broken = data.verify_audit(s)
    engine.dispose()
    assert not broken.ok
    assert broken.first_bad == 3


def test_sign_in_failures(world: tuple[TestClient, str, Clock]) -> None:
    client, _, clock = world
    assert client.get("/api/v1/me").status_code == 401
    bad = client.post("/api/v1/token", data={"username": "acme-admin", "password": "wrong" * 3})
    assert bad.status_code == 401
    token = login(client, "acme-admin")
    assert client.get("/api/v1/me", headers=token).json()["tenant"] == "acme"
    forged = token["Authorization"][:-2] + (
        "AA" if not token["Authorization"].endswith("AA") else "BB"
    )
    assert client.get("/api/v1/me", headers={"Authorization": forged}).status_code == 401
    clock.now += timedelta(minutes=16)  # tokens live 15 minutes
    assert client.get("/api/v1/me", headers=token).status_code == 401
    for _ in range(5):
        client.post("/api/v1/token", data={"username": "beta-admin", "password": "x" * 12})
    # this client is throttled on this account: even the right password is not judged (429)
    limited = client.post("/api/v1/token", data={"username": "beta-admin", "password": PASSWORD})
    assert limited.status_code == 429
    assert "too many" in limited.json()["detail"]
    assert int(limited.headers["Retry-After"]) >= 1


def test_api_keys_and_their_revocation(world: tuple[TestClient, str, Clock]) -> None:
    client, url, clock = world
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        key = identity.issue_key(s, "acme-analyst")
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/me", headers=headers).json()["user"] == "acme-analyst"
    assert client.get("/api/v1/me", headers={"X-API-Key": key[:-1] + "x"}).status_code == 401
    with Session(engine) as s, s.begin():
        identity.revoke_key(s, key.split(".")[0], "acme", when=clock.now)
    engine.dispose()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_bad_version_is_refused_whole(world: tuple[TestClient, str, Clock]) -> None:
    client, _, _ = world
    acme = login(client, "acme-admin")
    dataset = client.post("/api/v1/datasets", json={"name": "kpi", "kind": "table",
                          "columns": {"name": "text", "value": "number"}},
                          headers=acme).json()["id"]  # fmt: skip
    bad = client.post(f"/api/v1/datasets/{dataset}/versions",
                      json={"rows": [{"name": "a", "value": 1}, {"name": "b", "value": "x"}]},
                      headers=acme)  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "rows[1].value"]
    read = client.get(f"/api/v1/datasets/{dataset}", params={"purpose": "data-management"},
                      headers=acme)  # fmt: skip
    assert read.status_code == 404  # no version was stored


def test_safe_aggregates_across_tenants(world: tuple[TestClient, str, Clock]) -> None:
    client, url, _ = world
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        identity.add_tenant(s, "delta", "Delta")
        identity.add_user(s, "delta", "delta-admin", PASSWORD, (Role.MEMBER_ADMIN,))
    engine.dispose()
    values = {"acme": 10.0, "beta": 12.0, "gamma": 9.0, "delta": 11.0}
    for tenant, mw in values.items():
        admin = login(client, f"{tenant}-admin")
        dataset = client.post("/api/v1/datasets", json={"name": "meter", "kind": "table",
                              "columns": {"month": "text", "mw": "number"}},
                              headers=admin).json()["id"]  # fmt: skip
        rows = [{"month": "2026-01", "mw": mw}]
        if tenant in ("acme", "beta"):  # only two report February
            rows.append({"month": "2026-02", "mw": mw / 2})
        client.post(f"/api/v1/datasets/{dataset}/versions", json={"rows": rows}, headers=admin)
        if tenant != "delta":  # delta shares nothing
            client.post("/api/v1/grants", json={"dataset": dataset, "grantee_kind": "cluster",
                        "grantee": "cluster", "purpose": "decarbonization-tracking",
                        "form": "aggregate-only"}, headers=admin)  # fmt: skip
    beta = login(client, "beta-analyst")
    cells = client.get("/api/v1/aggregates", params={"name": "meter", "value": "mw",
                       "by": "month", "purpose": "decarbonization-tracking"},
                       headers=beta).json()  # fmt: skip
    by_month = {c["group"][0]: c for c in cells}
    # February has two companies only: suppressed; January is then withheld too, since the
    # total minus January would give February; the total (3 companies, none above 60%) is out
    assert by_month["2026-02"]["suppressed"]
    assert "fewer than 3" in by_month["2026-02"]["reason"]
    assert by_month["2026-01"]["suppressed"]
    assert "cannot be found from the total" in by_month["2026-01"]["reason"]
    assert by_month["total"]["value"] == pytest.approx(15 + 18 + 9)
    assert by_month["total"]["contributors"] == 3
    # an aggregate-only grant never opens the raw rows
    acme_dataset = next(
        e["dataset"]
        for e in client.get("/api/v1/audit", headers=login(client, "acme-admin")).json()
        if e["action"] == "aggregate"
    )
    raw = client.get(f"/api/v1/datasets/{acme_dataset}",
                     params={"purpose": "decarbonization-tracking"}, headers=beta)  # fmt: skip
    assert raw.status_code == 404
    # another purpose: nobody's data counts, so nothing is released
    other = client.get("/api/v1/aggregates", params={"name": "meter", "value": "mw",
                       "purpose": "benefit-sharing"}, headers=beta).json()  # fmt: skip
    assert all(c["suppressed"] for c in other)
