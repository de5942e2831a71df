"""Six tenants in two sectors on a running service, for the aggregate and key tests (the older
tests build their own three-tenant world). A plain module, importable from the tests beside it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from clusterhub.api import create_app
from clusterhub.collab import Role
from clusterhub.service import identity
from clusterhub.storage import make_engine

PASSWORD = "correct horse battery"
#: Four chemical companies, two energy companies.
SECTORS = {
    "acme": "chemicals",
    "beta": "chemicals",
    "gamma": "chemicals",
    "delta": "chemicals",
    "epsi": "energy",
    "zeta": "energy",
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Service:
    client: TestClient
    url: str
    clock: Clock

    def login(self, user: str) -> dict[str, str]:
        answer = self.client.post("/api/v1/token", data={"username": user, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


@contextmanager
def running(url: str) -> Iterator[Service]:
    """The service on the migrated database at ``url``, with the tenants of ``SECTORS``."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        for tenant, sector in SECTORS.items():
            identity.add_tenant(s, tenant, tenant.title(), sector=sector)
            for role in (Role.MEMBER_ADMIN, Role.ANALYST, Role.AUDITOR):
                name = f"{tenant}-{role.value.removeprefix('member-')}"
                identity.add_user(s, tenant, name, PASSWORD, (role,))
    engine.dispose()
    clock = Clock()
    app = create_app(url, secret="a-test-signing-secret-of-32-bytes-or-more", clock=clock)
    with TestClient(app) as client:
        yield Service(client, url, clock)
