"""The rewrite attack on the audit chain, done directly in the database on each backend: an
entry changed, every hash after it and the head recomputed with the public
``clusterhub.collab.audit`` functions (the attack of issue 15). Without the audit key the MACs
give it away at the rewritten entry; with the key (the service's host) a head a member exported
before the rewrite gives it away at the head's index; a head is signed only while its MAC holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sectors import Service
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.collab.audit import Entry, append
from clusterhub.service import data
from clusterhub.storage import make_engine
from clusterhub.storage.rows import AuditHeadRow, AuditRow

runner = CliRunner()


def _activity(service: Service, name: str = "meter") -> None:
    """Some decisions in the chain: a dataset, a version, a refused read by another tenant."""
    owner = service.login("acme-admin")
    columns = {"time": "time", "mw": "number"}
    body = {"name": name, "kind": "timeseries", "columns": columns}
    made = service.client.post("/api/v1/datasets", headers=owner, json=body)
    assert made.status_code == 201, made.text
    dataset = made.json()["id"]
    rows = {"rows": [{"time": "2026-11-23T00:00", "mw": 4.0}]}
    version = service.client.post(f"/api/v1/datasets/{dataset}/versions", json=rows, headers=owner)
    assert version.status_code == 201, version.text
    refused = service.client.get(f"/api/v1/datasets/{dataset}",
                                 params={"purpose": "energy-optimization"},
                                 headers=service.login("beta-analyst"))  # fmt: skip
    assert refused.status_code == 404


def _rewrite(url: str, position: int, *, with_key: bool = False, strip: bool = False) -> None:
    """The attacker with write access: entry ``position`` now says the read was someone
    else's and allowed; every later hash and the head recomputed so that the hashes link."""
    engine = make_engine(url)
    key = None
    if with_key:  # the attacker holds the service's audit key too (its host)
        from clusterhub.service import audit_keys

        key = audit_keys.current()
    with engine.begin() as c:
        stored = c.execute(sa.select(AuditRow.position, AuditRow.payload)
                           .order_by(AuditRow.position)).all()  # fmt: skip
        last: Entry | None = None
        for at, payload in stored:
            record = json.loads(payload)
            if at == position:
                record |= {"user": "someone-else", "allowed": not record["allowed"]}
            last = (append(last, record) if key is None
                    else append(last, record, key=key.mac, key_id=key.id))  # fmt: skip
            if at < position:
                continue
            values = {"payload": last.payload, "previous": last.previous, "hash": last.hash}
            if key is not None:
                values |= {"mac": last.mac, "key_id": last.key_id}
            if strip:
                values |= {"mac": None, "key_id": None}
            c.execute(sa.update(AuditRow).where(AuditRow.position == at).values(**values))
        assert last is not None
        head = {"count": len(stored), "hash": last.hash}
        if key is not None:
            from clusterhub.collab.audit import head_mac

            head |= {"mac": head_mac(key.mac, len(stored), last.hash)}
        c.execute(sa.update(AuditHeadRow).where(AuditHeadRow.id == 1).values(**head))
    engine.dispose()


def _verify(url: str) -> data.Verification:
    engine = make_engine(url)
    with Session(engine) as s:
        result = data.verify_audit(s)
    engine.dispose()
    return result


def test_a_rewrite_without_the_key_is_reported_at_the_rewritten_entry(service: Service) -> None:
    _activity(service)
    assert _verify(service.url).ok
    _rewrite(service.url, 1)
    result = _verify(service.url)
    assert not result.ok
    assert result.first_bad == 1
    assert "entry 1 was rewritten" in result.reason
    cli = runner.invoke(app, ["audit", "verify", "--url", service.url])
    assert cli.exit_code == 1
    assert "entry 1 was rewritten" in " ".join(cli.output.split())
    # the service signs no head whose MAC does not hold
    head = service.client.get("/api/v1/audit/head", headers=service.login("beta-auditor"))
    assert head.status_code == 409


def test_removing_the_macs_with_the_rewrite_is_reported_too(service: Service) -> None:
    _activity(service)
    _rewrite(service.url, 2, strip=True)
    result = _verify(service.url)
    assert (result.ok, result.first_bad) == (False, 2)
    assert "MAC was removed" in result.reason


def test_a_rewrite_by_the_key_holder_is_proven_by_a_head_a_member_exported(
    service: Service, tmp_path: Path
) -> None:
    _activity(service)
    member = service.login("beta-analyst")
    head = service.client.get("/api/v1/audit/head", headers=member)
    key = service.client.get("/api/v1/audit/key", headers=member)
    assert head.status_code == key.status_code == 200
    exported = head.json()
    assert set(exported) == {"index", "count", "hash", "time", "key_id", "algorithm", "signature"}
    assert exported["key_id"] == key.json()["key_id"]
    heads, public = tmp_path / "heads.jsonl", tmp_path / "audit-key.json"
    heads.write_text(json.dumps(exported) + "\n")
    public.write_text(json.dumps(key.json()))
    _activity(service, "meter-2")  # the chain grows after the export
    verify = ["audit", "verify", "--url", service.url, "--heads", str(heads),
              "--public-key", str(public)]  # fmt: skip
    intact = runner.invoke(app, verify)
    assert intact.exit_code == 0, intact.output
    assert "1 exported heads found" in " ".join(intact.output.split())
    _rewrite(service.url, 1, with_key=True)
    # with the key every MAC is remade: the chain alone cannot tell (the trust that remains) ...
    assert _verify(service.url).ok
    # ... but the member's signed head can
    index = exported["index"]
    caught = runner.invoke(app, verify)
    assert caught.exit_code == 1
    said = " ".join(caught.output.split())  # as printed, wrapped to the terminal
    assert f"entry {index} is not the one in the signed head" in said
    assert f"at or before {index} was rewritten" in said


def test_the_head_and_key_need_a_signed_in_user_and_reveal_no_tenant_data(
    service: Service,
) -> None:
    assert service.client.get("/api/v1/audit/head").status_code == 401
    assert service.client.get("/api/v1/audit/key").status_code == 401
    _activity(service)
    head = service.client.get("/api/v1/audit/head", headers=service.login("zeta-auditor")).json()
    assert head["count"] == head["index"] + 1 == _verify(service.url).checked
    assert "acme" not in json.dumps(head)
