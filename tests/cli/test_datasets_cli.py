"""Issue 16 item 6: datasets from the command line (declared columns with units), stored cluster
versions, one key per content, and tenant and user creation in the audit chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.errors import InputError
from clusterhub.examples import load_example
from clusterhub.storage import import_cluster, list_clusters, make_engine, upgrade
from clusterhub.storage.rows import AuditRow

runner = CliRunner()
PASSWORD = {"CLUSTERHUB_PASSWORD": "a long passphrase"}


@pytest.fixture
def url(database: str) -> str:
    """An empty database on each backend (PostgreSQL: the CLI under row-level security)."""
    return database


@pytest.fixture
def ann(url: str) -> str:
    """Tenant acme with its member admin ann, made as the README makes them."""
    assert (
        runner.invoke(app, ["tenant", "add", "acme", "Acme Chemicals", "--url", url]).exit_code == 0
    )
    added = runner.invoke(
        app, ["user", "add", "acme", "ann", "--role", "member-admin", "--url", url], env=PASSWORD
    )
    assert added.exit_code == 0, added.output
    return url


def audit_entries(url: str) -> list[dict[str, object]]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.scalars(sa.select(AuditRow).order_by(AuditRow.position))
            return [json.loads(r.payload) for r in rows]
    finally:
        engine.dispose()


def test_create_a_dataset_with_units_then_send_to_it_as_the_readme_does(
    ann: str, tmp_path: Path
) -> None:
    url = ann
    created = runner.invoke(app, ["dataset", "create", "meter", "--as", "ann", "--column",
                                  "time:time", "--column", "mw:number:MW", "--url", url,
                                  "--json", str(tmp_path / "created.json")])  # fmt: skip
    assert created.exit_code == 0, created.output
    made = json.loads((tmp_path / "created.json").read_text())
    assert (made["tenant"], made["kind"], made["mode"]) == ("acme", "timeseries", "replace")
    assert (made["columns"], made["units"]) == ({"time": "time", "mw": "number"}, {"mw": "MW"})
    meter = tmp_path / "meter.csv"
    meter.write_text("time,mw\n2024-01-01T00:00:00Z,1.5\n2024-01-01T01:00:00Z,2.25\n")
    sent = runner.invoke(app, ["ingest", "send", str(meter), "--dataset", "meter", "--as", "ann",
                               "--url", url])  # fmt: skip
    assert sent.exit_code == 0, sent.output
    assert "accepted acme/meter" in sent.output
    shown = runner.invoke(app, ["dataset", "show", "meter", "--as", "ann", "--url", url,
                                "--json", str(tmp_path / "show.json")])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    entry = json.loads((tmp_path / "show.json").read_text())
    assert (entry["id"], entry["units"], entry["versions"]) == (made["id"], {"mw": "MW"}, 1)
    listed = runner.invoke(app, ["dataset", "list", "--as", "ann", "--url", url])
    assert "mw:number:MW" in listed.output
    versions = runner.invoke(app, ["dataset", "versions", "meter", "--as", "ann", "--url", url,
                                   "--json", str(tmp_path / "versions.json")])  # fmt: skip
    assert versions.exit_code == 0, versions.output
    [first] = json.loads((tmp_path / "versions.json").read_text())
    assert (first["version"], first["rows"], first["created_by"]) == (1, 2, "ann")
    # the creation went through the decision point and is in the audit chain as ann's write
    writes = [e for e in audit_entries(url) if e["user"] == "ann" and e["action"] == "write"]
    assert writes[0]["dataset"] == made["id"]
    assert writes[0]["allowed"] is True


def test_a_dataset_of_another_tenant_is_not_shown(ann: str) -> None:
    url = ann
    runner.invoke(app, ["dataset", "create", "meter", "--as", "ann", "--column", "mw:number",
                        "--url", url])  # fmt: skip
    runner.invoke(app, ["tenant", "add", "beta", "Beta", "--url", url])
    runner.invoke(app, ["user", "add", "beta", "bob", "--role", "member-admin", "--url", url],
                  env=PASSWORD)  # fmt: skip
    result = runner.invoke(app, ["dataset", "show", "meter", "--as", "bob", "--url", url])
    assert result.exit_code == 1
    assert "dataset 'meter': expected a dataset of tenant beta, found none" in result.output


def test_bad_columns_and_units_are_named_all_at_once(ann: str) -> None:
    url = ann
    result = runner.invoke(app, ["dataset", "create", "x", "--as", "ann", "--column", "time:time",
                                 "--column", "mw:number:furlongs/zz", "--column", "note:text:MW",
                                 "--url", url])  # fmt: skip
    assert result.exit_code == 1
    assert "units.mw: expected a unit such as MW" in result.output
    assert "units.note: expected a unit on a number column only, got text" in result.output
    from clusterhub.cli.datasets import parse_columns

    with pytest.raises(InputError) as caught:
        parse_columns(["time:tim", "mw", "a:number", "a:text"])
    shown = [str(p) for p in caught.value.problems]
    assert len(shown) == 3
    assert shown[0].startswith("--column[0]: expected NAME:TYPE or NAME:TYPE:UNIT")
    assert "--column[3]: expected each column once" in shown[2]
    unknown = runner.invoke(app, ["dataset", "list", "--as", "nobody", "--url", url])
    assert unknown.exit_code == 1
    assert "--as: expected an enabled user of a tenant, got nobody" in unknown.output


def test_tenant_and_user_creation_are_audited(ann: str) -> None:
    entries = audit_entries(ann)
    made = [(e["action"], e["owner"], e["dataset"], e["user"], e["tenant"]) for e in entries]
    assert made == [
        ("tenant.create", "acme", "tenant:acme", "operator", None),
        ("user.create", "acme", "user:ann", "operator", None),
    ]
    assert entries[1]["detail"] == {"roles": ["member-admin"]}
    assert "a long passphrase" not in json.dumps(entries)
    verified = runner.invoke(app, ["audit", "verify", "--url", ann])
    assert verified.exit_code == 0, verified.output


def test_versions_lists_the_stored_clusters_and_each_keys_versions(
    url: str, tmp_path: Path
) -> None:
    upgrade(url)
    empty = runner.invoke(app, ["versions", "--url", url])
    assert empty.exit_code == 0
    assert "no cluster stored yet" in empty.output
    import_cluster(url, load_example("kwinana"), source="example:kwinana")
    result = runner.invoke(app, ["versions", "--url", url, "--json", str(tmp_path / "v.json")])
    assert result.exit_code == 0, result.output
    [stored] = json.loads((tmp_path / "v.json").read_text())
    assert (stored["version"], stored["source"]) == (1, "example:kwinana")
    one = runner.invoke(app, ["versions", stored["key"], "--url", url])
    assert one.exit_code == 0
    assert stored["sha256"][:12] in one.output
    missing = runner.invoke(app, ["versions", "nowhere", "--url", url])
    assert missing.exit_code == 1
    assert "cluster 'nowhere': expected a stored cluster key" in missing.output


def test_import_after_an_earlier_demo_stores_nothing_twice(url: str, tmp_path: Path) -> None:
    upgrade(url)
    before = import_cluster(url, load_example("harbour"), key="harbour", source="example:harbour")
    exported = tmp_path / "harbour"
    assert runner.invoke(app, ["examples", "export", "harbour", str(exported)]).exit_code == 0
    result = runner.invoke(app, ["import", str(exported / "harbour.yaml"), "--url", url])
    assert result.exit_code == 0, result.output
    assert "harbour: unchanged, already stored as 1" in result.output
    assert [(c.key, c.sha256) for c in list_clusters(url)] == [("harbour", before.sha256)]


@pytest.mark.slow(30)
def test_demo_and_import_store_the_same_content_under_one_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    exported = tmp_path / "harbour"
    assert runner.invoke(app, ["examples", "export", "harbour", str(exported)]).exit_code == 0
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    imported = runner.invoke(app, ["import", str(exported / "harbour.yaml"), "--url", url])
    assert imported.exit_code == 0, imported.output
    demo = runner.invoke(app, ["demo", "--url", url, "--hours", "6"])
    assert demo.exit_code == 0, demo.output
    harbour = [c for c in list_clusters(url) if c.name == load_example("harbour").name]
    assert [(c.key, c.version) for c in harbour] == [("harbour-energy-cluster", 1)]
