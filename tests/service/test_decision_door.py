"""One door for participant data: every decision on a sender, a grant's change or consent and an
ingested message is made by ``service.decision`` (``judge``, or its ``batch``) and written to
the audit chain by it, in the trail of the right owner.

Why a spy on the decision point's own names: a use case that called ``collab.decide`` and the
audit writer by hand would still write entries, but not through these; the entries written and
the decisions the door made would then disagree.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import clusterhub
from clusterhub.collab import Role, Subject
from clusterhub.errors import Conflict, Forbidden, NotFound
from clusterhub.ingest import Message, submit_many
from clusterhub.ingest.parse import JSON
from clusterhub.ingest.senders import register_sender, remove_sender
from clusterhub.service import data, decision, identity
from clusterhub.service.grants import change_grant, consent
from clusterhub.storage import make_engine
from clusterhub.storage.rows import AuditRow

SOURCE = Path(clusterhub.__file__).parent
DOOR = SOURCE / "service" / "decision.py"


def admin(tenant: str) -> Subject:
    return Subject(tenant, f"{tenant}-admin", frozenset({Role.MEMBER_ADMIN}))


@dataclass
class Door:
    """What went through the decision point: its decisions, and the entries it wrote."""

    decided: int = 0
    written: list[tuple[str, str]] = field(default_factory=list)  # (action, owner)


def _entries(engine: sa.Engine, since: int) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.scalars(
            sa.select(AuditRow).where(AuditRow.position >= since).order_by(AuditRow.position)
        )
        return [json.loads(r.payload) | {"trail": r.owner} for r in rows]


def _head(engine: sa.Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(AuditRow)) or 0)


def test_senders_grants_and_ingest_are_judged_and_audited_by_the_door(
    migrated: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta", "gamma"):
            identity.add_tenant(s, tenant, tenant.title(), groups=("refiners",))
        meter = data.create_dataset(s, admin("acme"), "meter", "timeseries",
                                    {"time": "time", "mw": "number"})  # fmt: skip
        grant = data.create_grant(s, admin("acme"), meter, grantee_kind="group",
                                  grantee="refiners", purpose="energy-optimization")  # fmt: skip
    since = _head(engine)
    analyst = Subject("acme", "ann", frozenset({Role.ANALYST}))
    rows = json.dumps({"rows": [{"time": "2026-11-23T00:00", "mw": 1.0}]}).encode()
    bad = json.dumps({"rows": [{"time": "2026-11-23T01:00", "mw": "lots"}]}).encode()
    batch = [
        Message("mqtt", "acme", "meter", rows, JSON, idempotency_key="a"),
        Message("mqtt", "acme", "meter", bad, JSON, idempotency_key="b"),
    ]
    steps: list[tuple[Any, type[Exception] | None]] = [
        (lambda s: register_sender(s, admin("acme"), "meter@acme.example"), None),
        (lambda s: register_sender(s, admin("beta"), "meter@acme.example"), Conflict),
        (lambda s: register_sender(s, analyst, "other@acme.example"), Forbidden),
        (lambda s: remove_sender(s, admin("beta"), "meter@acme.example"), NotFound),
        (lambda s: change_grant(s, admin("beta"), grant, form="raw"), NotFound),
        (lambda s: consent(s, admin("beta"), grant, "gamma"), NotFound),
        (lambda s: submit_many(s, analyst, batch), None),
        (lambda s: change_grant(s, admin("acme"), grant, form="raw"), None),
        (lambda s: remove_sender(s, admin("acme"), "meter@acme.example"), None),
    ]
    seen = Door()
    with monkeypatch.context() as patch:
        for name, spy in _spies(seen).items():
            patch.setattr(decision, name, spy)
        for step, raises in steps:
            with Session(engine) as s, s.begin():
                if raises is None:
                    step(s)
                else:
                    with pytest.raises(raises):
                        step(s)
    entries = _entries(engine, since)
    # every entry written was a decision of the door, and written by it
    assert [(e["action"], e["trail"]) for e in entries] == seen.written
    assert seen.decided == len(entries)
    # each in the trail of the owner of what was asked for: acme's senders and grant, acme's data
    assert [(e["action"], e["trail"], e["allowed"]) for e in entries] == [
        ("grant", "acme", True),
        ("grant", "acme", False),  # beta registering acme's address: acme learns of it
        ("grant", "acme", False),
        ("grant", "acme", False),  # beta removing acme's address
        ("grant.change", "acme", False),
        ("grant.consent", "acme", False),
        ("write", "acme", True),
        ("write", "acme", True),  # judged, then rejected as content: a dead letter
        ("grant.change", "acme", True),
        ("grant", "acme", True),
    ]
    change = entries[8]["detail"]
    assert change["grant"] == grant
    assert change["successor"] != grant
    assert entries[4]["detail"] == {"grant": grant}
    with Session(engine) as s:
        assert data.verify_audit(s).ok
    engine.dispose()


def _spies(seen: Door) -> dict[str, Any]:
    decide, record, record_many = decision.decide, decision.record, decision.record_many

    def counted(*args: Any, **kwargs: Any) -> Any:
        seen.decided += 1
        return decide(*args, **kwargs)

    def one(session: Session, subject: Subject, action: Any, resource: Any, *rest: Any) -> None:
        seen.written.append((str(action), resource.owner))
        record(session, subject, action, resource, *rest)

    def many(session: Session, subject: Subject, action: Any, purpose: Any, done: Any,
             **kwargs: Any) -> None:  # fmt: skip
        seen.written += [(str(action), resource.owner) for resource, _ in done]
        record_many(session, subject, action, purpose, done, **kwargs)

    return {"decide": counted, "record": one, "record_many": many}


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        if path != DOOR and SOURCE / "collab" not in path.parents:
            yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_decision_point_calls_decide_and_writes_batches() -> None:
    """``collab.decide`` is called by ``service.decision`` alone (the engines' own ``collab``
    package aside); so is ``record_many``. ``record`` remains for audit events that no policy
    decides (a tenant made, a key issued, a group changed by a cluster operator)."""
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "clusterhub.collab"
            ):
                found += [f"{path.name}: imports decide" for a in node.names if a.name == "decide"]
            if isinstance(node, ast.Attribute) and node.attr in {"decide", "record_many"}:
                found.append(f"{path.name}:{node.lineno}: {node.attr}")
            if isinstance(node, ast.alias) and node.name == "record_many":
                found.append(f"{path.name}: imports record_many")
    assert found == []
