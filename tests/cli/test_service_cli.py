"""Administering the data service from the command line, and ``audit verify`` catching an edit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.collab import Action, Decision, Resource, Role, Subject
from clusterhub.service import data
from clusterhub.storage import make_engine
from clusterhub.storage.rows import AuditRow

runner = CliRunner()


def test_tenants_users_keys_and_the_audit_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'service.db'}"
    assert runner.invoke(app, ["tenant", "add", "acme", "Acme", "--url", url]).exit_code == 0
    monkeypatch.setenv("CLUSTERHUB_PASSWORD", "a long enough password")
    added = runner.invoke(
        app, ["user", "add", "acme", "ann", "--role", "member-admin", "--url", url]
    )
    assert added.exit_code == 0, added.output
    key = runner.invoke(app, ["key", "issue", "ann", "--url", url])
    assert key.exit_code == 0
    assert key.output.strip().startswith("chk_")
    again = runner.invoke(app, ["tenant", "add", "acme", "Acme", "--url", url])
    assert again.exit_code == 1
    # some decisions in the chain, then verify, then tamper
    engine = make_engine(url)
    with sa.orm.Session(engine) as s, s.begin():
        who = Subject("acme", "ann", frozenset({Role.MEMBER_ADMIN}))
        for _ in range(3):
            data.record(s, who, Action.READ, Resource("acme", "x"), "audit",
                        Decision(True, "own data"), datetime.now(UTC))  # fmt: skip
    ok = runner.invoke(app, ["audit", "verify", "--url", url])
    assert ok.exit_code == 0, ok.output
    assert "5 entries" in ok.output  # the tenant's and the user's creation (item 6), then 3
    with engine.begin() as c:
        c.execute(sa.delete(AuditRow).where(AuditRow.position == 1))
    engine.dispose()
    bad = runner.invoke(app, ["audit", "verify", "--url", url])
    assert bad.exit_code == 1
    assert "entry 1" in bad.output
