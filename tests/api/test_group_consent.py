"""Issue 15 items 2 and 12 on each backend: a grant to a group names its members when it is
made, a tenant that joins later reaches it only once the owner consents, a cluster operator
never changes its own tenant's groups, owners are told of every change to a group they granted
to; and a grant that could reach no one or nothing is refused with the field named."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sectors import PASSWORD, Service, running
from sqlalchemy.orm import Session

from clusterhub.collab import Role
from clusterhub.service import data, identity
from clusterhub.storage import make_engine

PURPOSE = "energy-optimization"
ROWS = [{"time": "2026-01-05T10:00", "mw": 10.0}]


@pytest.fixture
def service(migrated: str) -> Iterator[Service]:
    """The six tenants of ``sectors``, each with a cluster operator too."""
    with running(migrated) as started:
        engine = make_engine(migrated)
        with Session(engine) as s, s.begin():
            for tenant in ("acme", "beta", "gamma", "delta"):
                identity.add_user(s, tenant, f"{tenant}-operator", PASSWORD,
                                  (Role.CLUSTER_OPERATOR,))  # fmt: skip
        engine.dispose()
        yield started


def _call(service: Service, method: str, path: str, user: str, **kwargs: Any) -> Any:
    return getattr(service.client, method)(path, headers=service.login(user), **kwargs)


def _dataset(service: Service) -> str:
    created = _call(service, "post", "/api/v1/datasets", "acme-admin", json={
        "name": "meter", "kind": "table", "columns": {"time": "time", "mw": "number"}})  # fmt: skip
    assert created.status_code == 201, created.text
    dataset = created.json()["id"]
    stored = _call(service, "post", f"/api/v1/datasets/{dataset}/versions", "acme-admin",
                   json={"rows": ROWS})  # fmt: skip
    assert stored.status_code == 201, stored.text
    return str(dataset)


def _member(service: Service, group: str, tenant: str, operator: str, *, join: bool = True) -> Any:
    path = f"/api/v1/groups/{group}/members/{tenant}"
    return _call(service, "put" if join else "delete", path, operator)


def _grant_to_refiners(service: Service) -> tuple[str, str]:
    """acme's meter granted raw to the group ``refiners``, whose only member is beta."""
    assert _member(service, "refiners", "beta", "delta-operator").status_code == 200
    dataset = _dataset(service)
    granted = _call(service, "post", "/api/v1/grants", "acme-admin", json={
        "dataset": dataset, "grantee_kind": "group", "grantee": "refiners",
        "purpose": PURPOSE, "form": "raw"})  # fmt: skip
    assert granted.status_code == 201, granted.text
    return dataset, str(granted.json()["id"])


def _read(service: Service, dataset: str, user: str) -> Any:
    return _call(service, "get", f"/api/v1/datasets/{dataset}", user, params={"purpose": PURPOSE})


def _trail(service: Service, user: str = "acme-admin") -> list[dict[str, Any]]:
    answer = _call(service, "get", "/api/v1/audit", user)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _verified(service: Service) -> bool:
    engine = make_engine(service.url)
    try:
        with Session(engine) as s:
            return data.verify_audit(s).ok
    finally:
        engine.dispose()


def test_an_operator_cannot_add_its_own_tenant_to_a_group_and_read(service: Service) -> None:
    """The escalation of the issue: gamma's operator adds gamma to the group acme granted raw
    rows to, then reads them. Refused (403, said why), audited, and nothing is read."""
    dataset, _ = _grant_to_refiners(service)
    answer = _member(service, "refiners", "gamma", "gamma-operator")
    assert answer.status_code == 403, answer.text
    assert "its own tenant" in answer.json()["detail"]
    assert _read(service, dataset, "gamma-analyst").status_code == 404
    assert _read(service, dataset, "gamma-operator").status_code == 404
    groups = _call(service, "get", "/api/v1/groups", "gamma-admin").json()
    assert groups == {"refiners": ["beta"]}
    refused = [e for e in _trail(service, "gamma-admin") if e["user"] == "gamma-operator"]
    assert [(e["dataset"], e["allowed"]) for e in refused] == [("group:refiners", False)]
    assert "separation of duties" in refused[0]["reason"]
    assert _member(service, "refiners", "gamma", "gamma-operator", join=False).status_code == 403


def test_a_tenant_joining_later_reaches_the_grant_only_after_consent(service: Service) -> None:
    """Another member's operator adds gamma: gamma still reads nothing of acme's; acme is told
    in its trail, sees gamma pending, consents, and only then gamma reads."""
    dataset, grant = _grant_to_refiners(service)
    assert _read(service, dataset, "beta-analyst").json()["rows"] == ROWS
    assert _member(service, "refiners", "gamma", "delta-operator").status_code == 200
    assert _read(service, dataset, "gamma-analyst").status_code == 404
    told = [e for e in _trail(service) if e["action"] == "group.membership"]
    assert [e["reason"] for e in told] == [
        f"gamma joined group refiners; your grant {grant} does not reach gamma until you consent"
    ]
    assert told[0]["detail"] == {"grant": grant, "group": "refiners", "tenant": "gamma",
                                 "change": "joined"}  # fmt: skip
    [listed] = _call(service, "get", "/api/v1/grants", "acme-admin").json()
    assert (listed["members"], listed["pending"]) == (["beta"], ["gamma"])
    # only acme's member admins consent; anyone else learns nothing
    for user in ("gamma-admin", "gamma-operator", "acme-analyst", "delta-operator"):
        refused = _call(service, "post", f"/api/v1/grants/{grant}/members/gamma", user)
        assert refused.status_code == 404, (user, refused.text)
    assert _read(service, dataset, "gamma-analyst").status_code == 404
    consented = _call(service, "post", f"/api/v1/grants/{grant}/members/gamma", "acme-admin")
    assert consented.status_code == 200, consented.text
    assert consented.json()["members"] == ["beta", "gamma"]
    assert _read(service, dataset, "gamma-analyst").json()["rows"] == ROWS
    [listed] = _call(service, "get", "/api/v1/grants", "acme-admin").json()
    assert (listed["members"], listed["pending"]) == (["beta", "gamma"], [])
    consents = [e for e in _trail(service) if e["action"] == "grant.consent"]
    assert [(e["user"], e["allowed"]) for e in consents] == [
        ("gamma-admin", False), ("gamma-operator", False), ("acme-analyst", False),
        ("delta-operator", False), ("acme-admin", True)]  # fmt: skip
    # a tenant not in the group: nothing to consent to
    outside = _call(service, "post", f"/api/v1/grants/{grant}/members/zeta", "acme-admin")
    assert outside.status_code == 409, outside.text
    assert _verified(service)


def test_leaving_ends_the_reach_and_joining_again_needs_consent_again(service: Service) -> None:
    dataset, grant = _grant_to_refiners(service)
    assert _member(service, "refiners", "beta", "gamma-operator", join=False).status_code == 200
    assert _read(service, dataset, "beta-analyst").status_code == 404
    left = [e["reason"] for e in _trail(service) if e["action"] == "group.membership"]
    assert left == [f"beta left group refiners; your grant {grant} no longer reaches beta"]
    assert _member(service, "refiners", "beta", "gamma-operator").status_code == 200
    assert _read(service, dataset, "beta-analyst").status_code == 404
    [listed] = _call(service, "get", "/api/v1/grants", "acme-admin").json()
    assert (listed["members"], listed["pending"]) == ([], ["beta"])
    consented = _call(service, "post", f"/api/v1/grants/{grant}/members/beta", "acme-admin")
    assert consented.status_code == 200, consented.text
    assert _read(service, dataset, "beta-analyst").json()["rows"] == ROWS


def test_a_changed_group_grant_reaches_whom_it_reached(service: Service) -> None:
    """PATCH makes a successor: it names the same members, and a pending tenant stays pending."""
    dataset, grant = _grant_to_refiners(service)
    assert _member(service, "refiners", "gamma", "delta-operator").status_code == 200
    later = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    changed = _call(service, "patch", f"/api/v1/grants/{grant}", "acme-admin",
                    json={"expires": later})  # fmt: skip
    assert changed.status_code == 200, changed.text
    successor = changed.json()["id"]
    assert _read(service, dataset, "beta-analyst").json()["rows"] == ROWS
    assert _read(service, dataset, "gamma-analyst").status_code == 404
    listed = {g["id"]: g for g in _call(service, "get", "/api/v1/grants", "acme-admin").json()}
    assert (listed[successor]["members"], listed[successor]["pending"]) == (["beta"], ["gamma"])


def test_a_grant_to_a_group_of_today_names_todays_members(service: Service) -> None:
    """A grant made after gamma joined names gamma at once: the owner saw the members."""
    assert _member(service, "refiners", "beta", "delta-operator").status_code == 200
    assert _member(service, "refiners", "gamma", "delta-operator").status_code == 200
    dataset = _dataset(service)
    granted = _call(service, "post", "/api/v1/grants", "acme-admin", json={
        "dataset": dataset, "grantee_kind": "group", "grantee": "refiners",
        "purpose": PURPOSE, "form": "raw"})  # fmt: skip
    assert granted.status_code == 201, granted.text
    assert _read(service, dataset, "gamma-analyst").json()["rows"] == ROWS
    [listed] = _call(service, "get", "/api/v1/grants", "acme-admin").json()
    assert (listed["members"], listed["pending"]) == (["beta", "gamma"], [])


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"grantee": "nobody"}, "grantee", "a tenant that exists"),
        ({"grantee_kind": "group", "grantee": "no-such-group"}, "grantee",
         "a group with at least one member"),
        ({"fields": ["mw", "secret"]}, "fields[1]", "a column of the dataset (mw, time)"),
        ({"fields": []}, "fields", "at least one column"),
        ({"expires": "2020-01-01T00:00:00+00:00"}, "expires", "a time after now"),
        ({"grantee_kind": "cluster", "grantee": "elsewhere"}, "grantee", "this cluster"),
    ],
)  # fmt: skip
def test_a_grant_that_reaches_no_one_or_nothing_is_refused(
    service: Service, changes: dict[str, Any], field: str, expected: str
) -> None:
    dataset = _dataset(service)
    body = {"dataset": dataset, "grantee_kind": "tenant", "grantee": "beta",
            "purpose": PURPOSE, "form": "raw"} | changes  # fmt: skip
    answer = _call(service, "post", "/api/v1/grants", "acme-admin", json=body)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["body", field]
    assert problem["expected"].startswith(expected)
    assert _call(service, "get", "/api/v1/grants", "acme-admin").json() == []


def test_every_problem_of_a_grant_is_named_at_once(service: Service) -> None:
    dataset = _dataset(service)
    answer = _call(service, "post", "/api/v1/grants", "acme-admin", json={
        "dataset": dataset, "grantee_kind": "tenant", "grantee": "nobody", "purpose": PURPOSE,
        "fields": ["time", "x"], "expires": "2020-01-01T00:00:00Z"})  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert [p["loc"][1] for p in answer.json()["detail"]] == ["grantee", "fields[1]", "expires"]
