"""Changing a grant (``PATCH /api/v1/grants/{grant}``) on each backend: the old grant is revoked
and a successor takes its place in one transaction; the grantee's next request is judged by the
new terms; the change is one ``grant.change`` entry in the owner's trail; nobody but the owner's
member admins can change it, and they are told no more than for a grant that does not exist."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sectors import Service
from sqlalchemy.orm import Session

from clusterhub.service import data
from clusterhub.storage import make_engine

PURPOSE = "decarbonization-tracking"
MW = {"acme": 10.0, "beta": 12.0, "gamma": 9.0, "delta": 11.0}


def _share(service: Service) -> tuple[dict[str, str], str]:
    """acme, beta, gamma and delta each have a "meter" dataset; gamma's and delta's are granted
    to the cluster for aggregates, acme's raw to beta. The dataset ids by owner and acme's
    grant id."""
    datasets = {}
    for tenant, mw in MW.items():
        admin = service.login(f"{tenant}-admin")
        created = service.client.post("/api/v1/datasets", json={"name": "meter", "kind": "table",
                                      "columns": {"time": "time", "mw": "number"}},
                                      headers=admin)  # fmt: skip
        assert created.status_code == 201, created.text
        datasets[tenant] = created.json()["id"]
        rows = [{"time": "2026-01-05T10:00", "mw": mw}]
        stored = service.client.post(f"/api/v1/datasets/{datasets[tenant]}/versions",
                                     json={"rows": rows}, headers=admin)  # fmt: skip
        assert stored.status_code == 201, stored.text
    for other in ("gamma", "delta"):
        shared = service.client.post("/api/v1/grants", json={"dataset": datasets[other],
                                     "grantee_kind": "cluster", "grantee": "cluster",
                                     "purpose": PURPOSE, "form": "aggregate-only"},
                                     headers=service.login(f"{other}-admin"))  # fmt: skip
        assert shared.status_code == 201, shared.text
    acme = service.client.post("/api/v1/grants", json={"dataset": datasets["acme"],
                               "grantee_kind": "tenant", "grantee": "beta", "purpose": PURPOSE,
                               "form": "raw"}, headers=service.login("acme-admin"))  # fmt: skip
    assert acme.status_code == 201, acme.text
    return datasets, acme.json()["id"]


def _read(service: Service, dataset: str, user: str = "beta-analyst") -> Any:
    return service.client.get(f"/api/v1/datasets/{dataset}", params={"purpose": PURPOSE},
                              headers=service.login(user))  # fmt: skip


def _total(service: Service, user: str = "beta-analyst") -> dict[str, Any]:
    query = {"name": "meter", "value": "mw", "purpose": PURPOSE}
    answer = service.client.get("/api/v1/aggregates", params=query, headers=service.login(user))
    assert answer.status_code == 200, answer.text
    [cell] = answer.json()
    return dict(cell)


def _patch(service: Service, grant: str, user: str, body: dict[str, Any]) -> Any:
    return service.client.patch(f"/api/v1/grants/{grant}", json=body,
                                headers=service.login(user))  # fmt: skip


def _verified(service: Service) -> bool:
    engine = make_engine(service.url)
    try:
        with Session(engine) as s:
            return data.verify_audit(s).ok
    finally:
        engine.dispose()


def test_raw_to_aggregates_only_takes_effect_on_the_grantees_next_read(service: Service) -> None:
    datasets, grant = _share(service)
    assert _read(service, datasets["acme"]).json()["rows"] == [
        {"time": "2026-01-05T10:00", "mw": 10.0}
    ]
    # acme's raw grant allows aggregates too; beta knows acme's figure and its own, so the
    # total is released only because two others (gamma, delta) remain in it
    assert _total(service)["contributors"] == 4

    changed = _patch(service, grant, "acme-admin", {"form": "aggregate-only"})
    assert changed.status_code == 200, changed.text
    answer = changed.json()
    successor = answer["id"]
    assert successor != grant
    assert answer["replaces"] == grant
    assert answer["before"] == {"form": "raw", "purpose": PURPOSE, "expires": None}
    assert answer["after"] == {"form": "aggregate-only", "purpose": PURPOSE, "expires": None}

    # the very next raw read is refused, exactly like a dataset that does not exist
    refused, missing = _read(service, datasets["acme"]), _read(service, str(uuid.uuid4()))
    assert refused.status_code == missing.status_code == 404
    assert refused.json() == missing.json()
    total = _total(service)  # aggregates still count acme in
    assert total["contributors"] == 4
    assert total["value"] == sum(MW.values())

    listed = {g["id"]: g for g in service.client.get("/api/v1/grants",
              headers=service.login("acme-admin")).json()}  # fmt: skip
    assert listed[grant]["revoked"] is not None
    assert listed[grant]["form"] == "raw"  # the old grant keeps its terms
    assert listed[successor]["revoked"] is None
    assert (listed[successor]["form"], listed[successor]["grantee"]) == ("aggregate-only", "beta")

    trail = service.client.get("/api/v1/audit", headers=service.login("acme-admin")).json()
    [entry] = [e for e in trail if e["action"] == "grant.change"]
    assert (entry["user"], entry["dataset"], entry["allowed"]) == (
        "acme-admin",
        datasets["acme"],
        True,
    )
    assert entry["detail"] == {"grant": grant, "successor": successor,
                               "before": answer["before"], "after": answer["after"]}  # fmt: skip
    beta_reads = [e["allowed"] for e in trail if e["tenant"] == "beta" and e["action"] == "read"]
    assert beta_reads == [True, False]
    assert _verified(service)


def test_purpose_and_expiry_change_and_the_old_terms_stop(service: Service) -> None:
    datasets, grant = _share(service)
    expires = "2027-06-30T00:00:00+00:00"
    changed = _patch(service, grant, "acme-admin",
                     {"purpose": "energy-optimization", "expires": expires})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["after"] == {"form": "raw", "purpose": "energy-optimization",
                                       "expires": expires}  # fmt: skip
    assert _read(service, datasets["acme"]).status_code == 404  # not for the old purpose
    beta = service.login("beta-analyst")
    new = service.client.get(f"/api/v1/datasets/{datasets['acme']}",
                             params={"purpose": "energy-optimization"}, headers=beta)  # fmt: skip
    assert new.status_code == 200, new.text
    # the successor can be changed again (expiry removed); the revoked one no longer
    again = _patch(service, changed.json()["id"], "acme-admin", {"expires": None})
    assert again.status_code == 200, again.text
    assert again.json()["after"]["expires"] is None
    stale = _patch(service, grant, "acme-admin", {"form": "aggregate-only"})
    assert stale.status_code == 409
    assert "revoked" in stale.json()["detail"]
    # an expiry reached: the grant stops at that moment, and is no longer changeable
    short = _patch(service, again.json()["id"], "acme-admin",
                   {"expires": (service.clock.now + timedelta(hours=1)).isoformat()})  # fmt: skip
    assert short.status_code == 200, short.text
    service.clock.now += timedelta(hours=2)
    assert service.client.get(f"/api/v1/datasets/{datasets['acme']}",
                              params={"purpose": "energy-optimization"},
                              headers=service.login("beta-analyst")).status_code == 404  # fmt: skip
    expired = _patch(service, short.json()["id"], "acme-admin", {"form": "aggregate-only"})
    assert expired.status_code == 409
    assert _verified(service)


def test_bad_input_is_422_naming_the_field(service: Service) -> None:
    _, grant = _share(service)

    def fields(body: dict[str, Any]) -> list[list[str]]:
        answer = _patch(service, grant, "acme-admin", body)
        assert answer.status_code == 422, answer.text
        return [p["loc"] for p in answer.json()["detail"]]

    assert fields({"form": "everything"}) == [["body", "form"]]
    assert fields({"form": None}) == [["body", "form"]]
    assert fields({"purpose": "spying"}) == [["body", "purpose"]]
    assert fields({"expires": "next tuesday"}) == [["body", "expires"]]
    assert fields({"expires": "2020-01-01T00:00:00Z"}) == [["body", "expires"]]
    assert fields({"grantee": "gamma"}) == [["body", "grantee"]]  # a new grant, not a change
    assert fields({}) == [["body"]]  # nothing to change
    assert fields({"form": "raw"}) == [["body"]]  # the grant's own terms
    past = _patch(service, grant, "acme-admin", {"expires": "2020-01-01T00:00:00Z"})
    assert past.json()["detail"][0]["expected"].startswith("a time after now")
    # nothing was changed by any of them: the grant is still the only one, still raw
    listed = service.client.get("/api/v1/grants", headers=service.login("acme-admin")).json()
    assert [(g["id"], g["form"], g["revoked"]) for g in listed if g["grantee"] == "beta"] == [
        (grant, "raw", None)
    ]


def test_nobody_else_can_change_a_grant_and_each_attempt_is_audited(service: Service) -> None:
    """The attack: another tenant's admin (and the grantee's, and the owner's analyst) change
    the grant by its id; each gets the 404 of a grant that does not exist, the grant is
    untouched, and acme's trail shows every attempt under its dataset."""
    datasets, grant = _share(service)
    body = {"form": "raw", "purpose": "incident-response"}
    nowhere = _patch(service, str(uuid.uuid4()), "gamma-admin", body)
    assert nowhere.status_code == 404
    for user in ("gamma-admin", "beta-admin", "acme-analyst", "acme-auditor"):
        attempt = _patch(service, grant, user, body)
        assert (attempt.status_code, attempt.json()) == (404, nowhere.json()), user
    junk = _patch(service, "' OR 1=1 --", "gamma-admin", body)
    assert (junk.status_code, junk.json()) == (404, nowhere.json())
    assert _read(service, datasets["acme"]).status_code == 200  # still raw, same purpose
    listed = service.client.get("/api/v1/grants", headers=service.login("acme-admin")).json()
    assert [(g["id"], g["purpose"], g["revoked"]) for g in listed] == [(grant, PURPOSE, None)]
    trail = service.client.get("/api/v1/audit", headers=service.login("acme-admin")).json()
    attempts = [(e["user"], e["dataset"], e["allowed"], e["detail"]["grant"]) for e in trail
                if e["action"] == "grant.change"]  # fmt: skip
    assert attempts == [(user, datasets["acme"], False, grant)
                        for user in ("gamma-admin", "beta-admin", "acme-analyst",
                                     "acme-auditor")]  # fmt: skip
    gamma_trail = service.client.get("/api/v1/audit", headers=service.login("gamma-admin")).json()
    assert not [e for e in gamma_trail if e["action"] == "grant.change"]
    assert _verified(service)
