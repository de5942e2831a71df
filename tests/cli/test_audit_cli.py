"""``clusterhub audit export-head`` and ``audit verify --heads``: exit codes and messages, the
key file made 0600 on first use, entries from before keying accepted only when said so."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.collab import Action, Decision, Resource, Role, Subject
from clusterhub.service import data
from clusterhub.storage import make_engine, upgrade
from clusterhub.storage.rows import AuditRow

runner = CliRunner()
WHO = Subject("acme", "ann", frozenset({Role.MEMBER_ADMIN}))


def _said(output: str) -> str:
    return " ".join(output.split())


def _decisions(url: str, n: int) -> None:
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        for _ in range(n):
            data.record(s, WHO, Action.READ, Resource("acme", "x"), "audit",
                        Decision(True, "own data"), datetime.now(UTC))  # fmt: skip
    engine.dispose()


def test_export_head_then_verify_against_it(migrated: str, tmp_path: Path) -> None:
    heads = tmp_path / "outside" / "heads.jsonl"
    _decisions(migrated, 3)
    first = runner.invoke(app, ["audit", "export-head", str(heads), "--url", migrated])
    assert first.exit_code == 0, first.output
    assert "head at entry 2" in _said(first.output)
    _decisions(migrated, 2)
    assert (
        runner.invoke(app, ["audit", "export-head", str(heads), "--url", migrated]).exit_code == 0
    )
    lines = heads.read_text().splitlines()
    assert [json.loads(line)["index"] for line in lines] == [2, 4]
    ok = runner.invoke(app, ["audit", "verify", "--url", migrated, "--heads", str(heads)])
    assert ok.exit_code == 0, ok.output
    assert "5 entries verified, 5 with their MAC; 2 exported heads" in _said(ok.output)
    # a head file edited to point at another hash proves nothing: its signature fails
    forged = json.loads(lines[0]) | {"hash": "0" * 64}
    heads.write_text(json.dumps(forged) + "\n")
    bad = runner.invoke(app, ["audit", "verify", "--url", migrated, "--heads", str(heads)])
    assert bad.exit_code == 1
    assert "head 1 (index 2" in _said(bad.output)
    assert "signature does not hold" in _said(bad.output)
    heads.write_text("not a head\n")
    broken = runner.invoke(app, ["audit", "verify", "--url", migrated, "--heads", str(heads)])
    assert broken.exit_code == 1
    assert "heads.jsonl:1:expectedasignedhead" in "".join(broken.output.split())


def test_a_cut_tail_below_an_exported_head_is_named(migrated: str, tmp_path: Path) -> None:
    heads = tmp_path / "heads.jsonl"
    _decisions(migrated, 4)
    runner.invoke(app, ["audit", "export-head", str(heads), "--url", migrated])
    engine = make_engine(migrated)
    with engine.begin() as c:
        c.execute(sa.delete(AuditRow).where(AuditRow.position == 3))
    engine.dispose()
    cut = runner.invoke(app, ["audit", "verify", "--url", migrated, "--heads", str(heads)])
    assert cut.exit_code == 1
    assert "exported at index 3 but the chain has 3 entries" in _said(cut.output)


def test_entries_from_before_keying_need_to_be_accepted(migrated: str) -> None:
    _decisions(migrated, 5)
    engine = make_engine(migrated)
    with engine.begin() as c:  # as the entries written before the upgrade look
        c.execute(sa.update(AuditRow).where(AuditRow.position < 2).values(mac=None, key_id=None))
    engine.dispose()
    refused = runner.invoke(app, ["audit", "verify", "--url", migrated])
    assert refused.exit_code == 1
    assert "entries 0-1 carry no MAC" in _said(refused.output)
    assert "--unkeyed 2" in _said(refused.output)
    accepted = runner.invoke(app, ["audit", "verify", "--url", migrated, "--unkeyed", "2"])
    assert accepted.exit_code == 0, accepted.output
    assert "3 with their MAC" in _said(accepted.output)


def test_the_key_file_is_made_private_and_refused_when_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLUSTERHUB_AUDIT_KEY")
    monkeypatch.setenv("CLUSTERHUB_HOME", str(tmp_path / "home"))
    url = f"sqlite:///{tmp_path / 'service.db'}"
    upgrade(url)
    _decisions(url, 2)
    key = tmp_path / "home" / "audit.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert runner.invoke(app, ["audit", "verify", "--url", url]).exit_code == 0
    key.chmod(0o644)
    (tmp_path / "link").symlink_to(tmp_path / "home")  # the same file, read anew
    monkeypatch.setenv("CLUSTERHUB_HOME", str(tmp_path / "link"))
    exposed = runner.invoke(app, ["audit", "verify", "--url", url])
    assert exposed.exit_code == 1
    assert "readable by its owner only" in _said(exposed.output)
    key.chmod(0o600)
    monkeypatch.setenv("CLUSTERHUB_HOME", str(tmp_path / "other-home"))  # another key
    other = runner.invoke(app, ["audit", "verify", "--url", url])
    assert other.exit_code == 1
    assert "not a key given" in _said(other.output)
