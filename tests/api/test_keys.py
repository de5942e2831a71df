"""API keys through the API: issue, rotate (at once or after a grace period), revoke and list;
never across tenants, where another tenant's key looks exactly like one that does not exist."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sectors import Service

NOT_FOUND = {"detail": "not found"}
NO_SUCH_KEY = "chk_0123456789abcdef"


def _issue(service: Service, headers: dict[str, str], user: str | None = None) -> Any:
    body = {} if user is None else {"user": user}
    return service.client.post("/api/v1/keys", json=body, headers=headers)


def _me(service: Service, key: str) -> int:
    return service.client.get("/api/v1/me", headers={"X-API-Key": key}).status_code


def test_issue_for_oneself_and_as_member_admin_within_the_tenant(service: Service) -> None:
    admin, analyst = service.login("acme-admin"), service.login("acme-analyst")
    own = _issue(service, analyst)
    assert own.status_code == 201, own.text
    key = own.json()["key"]
    assert key.startswith(own.json()["prefix"] + ".")
    assert service.client.get("/api/v1/me", headers={"X-API-Key": key}).json()["user"] == (
        "acme-analyst"
    )
    for_analyst = _issue(service, admin, "acme-analyst")
    assert for_analyst.status_code == 201
    # an analyst may not issue for a colleague; nobody for another tenant's user
    for headers, user in ((analyst, "acme-admin"), (admin, "beta-analyst"),
                          (admin, "nobody-at-all")):  # fmt: skip
        refused = _issue(service, headers, user)
        assert refused.status_code == 404
        assert refused.json() == NOT_FOUND
    # a key signs in to issue another; no sign-in, no key
    assert _issue(service, {"X-API-Key": key}).status_code == 201
    assert service.client.post("/api/v1/keys", json={}).status_code == 401


def test_rotation_replaces_the_key_atomically(service: Service) -> None:
    analyst = service.login("acme-analyst")
    first = _issue(service, analyst).json()
    rotated = service.client.post(f"/api/v1/keys/{first['prefix']}/rotate", headers=analyst)
    assert rotated.status_code == 201, rotated.text
    second = rotated.json()
    assert second["replaces"] == first["prefix"]
    assert second["prefix"] != first["prefix"]
    assert _me(service, second["key"]) == 200
    assert _me(service, first["key"]) == 401  # no grace: revoked at once
    again = service.client.post(f"/api/v1/keys/{first['prefix']}/rotate", headers=analyst)
    assert again.status_code == 409  # a replaced key is not rotated twice
    listed = {k["prefix"]: k for k in service.client.get("/api/v1/keys", headers=analyst).json()}
    assert listed[first["prefix"]]["state"] == "revoked"
    assert listed[first["prefix"]]["replaced_by"] == second["prefix"]
    assert listed[second["prefix"]]["state"] == "active"


def test_a_grace_period_keeps_the_old_key_for_a_while(service: Service) -> None:
    admin = service.login("acme-admin")
    old = _issue(service, admin, "acme-analyst").json()
    new = service.client.post(f"/api/v1/keys/{old['prefix']}/rotate",
                              json={"grace_seconds": 300}, headers=admin).json()  # fmt: skip
    assert _me(service, old["key"]) == _me(service, new["key"]) == 200
    listed = {k["prefix"]: k for k in service.client.get("/api/v1/keys", headers=admin).json()}
    assert listed[old["prefix"]]["state"] == "expiring"
    service.clock.now += timedelta(seconds=300)
    assert _me(service, old["key"]) == 401
    assert _me(service, new["key"]) == 200
    too_long = service.client.post(f"/api/v1/keys/{new['prefix']}/rotate",
                                   json={"grace_seconds": 86_400}, headers=admin)  # fmt: skip
    assert too_long.status_code == 422


def test_revocation_ends_a_grace_period_and_is_idempotent(service: Service) -> None:
    analyst = service.login("acme-analyst")
    old = _issue(service, analyst).json()
    service.client.post(f"/api/v1/keys/{old['prefix']}/rotate", json={"grace_seconds": 600},
                        headers=analyst)  # fmt: skip
    assert _me(service, old["key"]) == 200
    for _ in range(2):
        revoked = service.client.post(f"/api/v1/keys/{old['prefix']}/revoke", headers=analyst)
        assert revoked.status_code == 200
        assert revoked.json()["state"] == "revoked"
    assert _me(service, old["key"]) == 401


@pytest.mark.parametrize("action", ["rotate", "revoke"])
def test_no_tenant_touches_another_tenants_key(service: Service, action: str) -> None:
    key = _issue(service, service.login("acme-analyst")).json()
    nothing = service.client.post(f"/api/v1/keys/{NO_SUCH_KEY}/{action}",
                                  headers=service.login("beta-admin"))  # fmt: skip
    assert nothing.status_code == 404
    for user in ("beta-admin", "beta-analyst", "acme-auditor"):  # and no colleague but an admin
        answer = service.client.post(f"/api/v1/keys/{key['prefix']}/{action}",
                                     headers=service.login(user))  # fmt: skip
        assert answer.status_code == 404
        assert answer.json() == nothing.json() == NOT_FOUND
    beta = service.login("beta-admin")
    for junk in ("not-a-key", "chk_' OR 1=1 --", "%00"):
        assert service.client.post(f"/api/v1/keys/{junk}/{action}", headers=beta).status_code == 404
    assert _me(service, key["key"]) == 200  # untouched
    beta_keys = service.client.get("/api/v1/keys", headers=service.login("beta-admin")).json()
    assert key["prefix"] not in {k["prefix"] for k in beta_keys}
    # acme's member admin manages it
    mine = service.client.post(f"/api/v1/keys/{key['prefix']}/{action}",
                               headers=service.login("acme-admin"))  # fmt: skip
    assert mine.status_code in (200, 201)
    assert _me(service, key["key"]) == 401


def test_listing_shows_no_secrets_and_only_what_one_manages(service: Service) -> None:
    admin, analyst = service.login("acme-admin"), service.login("acme-analyst")
    own = _issue(service, analyst).json()
    colleague = _issue(service, admin, "acme-auditor").json()
    _issue(service, service.login("beta-admin"))
    seen_by_admin = service.client.get("/api/v1/keys", headers=admin).json()
    assert {k["prefix"] for k in seen_by_admin} == {own["prefix"], colleague["prefix"]}
    assert {k["user"] for k in seen_by_admin} == {"acme-analyst", "acme-auditor"}
    seen_by_analyst = service.client.get("/api/v1/keys", headers=analyst).json()
    assert [k["prefix"] for k in seen_by_analyst] == [own["prefix"]]
    text = str(seen_by_admin)
    assert own["key"].partition(".")[2] not in text
    assert "argon2" not in text
    assert set(seen_by_admin[0]) == {"prefix", "user", "created_at", "revoked_at",
                                     "replaced_by", "state"}  # fmt: skip


def test_key_management_is_in_the_tenants_audit_trail(service: Service) -> None:
    admin, outsider = service.login("acme-admin"), service.login("beta-admin")
    issued = _issue(service, admin).json()
    rotated = service.client.post(f"/api/v1/keys/{issued['prefix']}/rotate", headers=admin).json()
    # beta tries acme's new key: refused like a missing key, and acme sees the attempt
    assert (
        service.client.post(
            f"/api/v1/keys/{rotated['prefix']}/revoke", headers=outsider
        ).status_code
        == 404
    )
    trail = service.client.get("/api/v1/audit", headers=admin).json()
    keys = [(e["tenant"], e["dataset"], e["allowed"], e["reason"]) for e in trail
            if str(e["dataset"]).startswith("key:")]  # fmt: skip
    assert keys == [
        ("acme", f"key:{issued['prefix']}", True, "key issued for acme-admin"),
        ("acme", f"key:{issued['prefix']}", True, "key rotated for acme-admin"),
        ("beta", f"key:{rotated['prefix']}", False, "refused: revoked"),
    ]


def test_passwords_and_key_secrets_are_stored_only_as_argon2id_hashes(service: Service) -> None:
    """The README's claim, read off the database itself: every user's password and every key's
    secret is an argon2id hash, and neither the password nor the secret appears anywhere in
    the rows."""
    import sqlalchemy as sa
    from sectors import PASSWORD

    from clusterhub.storage import make_engine

    key = _issue(service, service.login("acme-analyst")).json()["key"]
    secret = key.partition(".")[2]
    engine = make_engine(service.url)
    try:
        with engine.connect() as c:
            users = c.execute(sa.text("SELECT * FROM users")).all()
            keys = c.execute(sa.text("SELECT * FROM api_keys")).all()
            hashes = [r.password_hash for r in users] + [r.secret_hash for r in keys]
    finally:
        engine.dispose()
    assert users
    assert keys
    assert all(h.startswith("$argon2id$") for h in hashes)
    dumped = repr(users) + repr(keys)
    assert PASSWORD not in dumped
    assert secret not in dumped
