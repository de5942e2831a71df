"""The command line through Typer's runner: exit codes, output, and nothing written on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.examples import EXAMPLES
from clusterhub.storage import list_clusters, list_versions, upgrade

runner = CliRunner()


@pytest.fixture
def small(data_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "small"
    shutil.copytree(data_dir / "small", folder)
    return folder / "cluster.yaml"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_validate_ok_with_json(small: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(small), "--json", str(tmp_path / "v.json")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output
    assert "Small test cluster" in result.output
    payload = json.loads((tmp_path / "v.json").read_text())
    assert payload["valid"] is True
    assert payload["summary"]["participants"] == 3


def test_validate_error_is_located_without_traceback(small: Path) -> None:
    small.write_text(small.read_text().replace("capacity_mw: 5\n", "capacity_mw: -5\n"))
    result = runner.invoke(app, ["validate", str(small)])
    assert result.exit_code == 1
    assert (
        f"{small}:26:9: participants[0].assets[0].capacity_mw: expected a number >= 0, got -5"
        in result.output.replace("\n", "")
    )
    assert "Traceback" not in result.output


def test_validate_missing_file() -> None:
    result = runner.invoke(app, ["validate", "no/such/file.yaml"])
    assert result.exit_code == 1
    assert "expected an existing cluster file or an example name" in result.output


def test_show_prints_the_summary(small: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["show", str(small), "--json", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "participants" in result.output
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["assets_by_type"] == {"generator": 1, "demand": 2, "converter": 1, "storage": 1}
    assert summary["demand_mwh_by_carrier"]["steam"] == pytest.approx(6 * 48)


def test_examples_list() -> None:
    result = runner.invoke(app, ["examples", "list"])
    assert result.exit_code == 0
    for name in EXAMPLES:
        assert name in result.output


def test_examples_export_unknown_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["examples", "export", "atlantis", str(tmp_path)])
    assert result.exit_code == 1
    assert "no example named 'atlantis'" in result.output


def test_db_upgrade_then_import_versions(small: Path, db_url: str) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--url", db_url])
    assert result.exit_code == 0, result.output
    assert "database at revision" in result.output
    first = runner.invoke(app, ["import", str(small), "--url", db_url])
    assert first.exit_code == 0, first.output
    assert "new version 1" in first.output
    again = runner.invoke(app, ["import", str(small), "--url", db_url])
    assert "unchanged, already stored as 1" in again.output
    small.write_text(small.read_text().replace("capacity_mw: 5\n", "capacity_mw: 6\n"))
    changed = runner.invoke(app, ["import", str(small), "--url", db_url])
    assert "new version 2" in changed.output
    [stored] = list_clusters(db_url)
    assert [v.version for v in list_versions(db_url, stored.key)] == [1, 2]


def test_import_of_a_broken_file_writes_nothing(small: Path, db_url: str) -> None:
    upgrade(db_url)
    small.write_text(
        small.read_text().replace(
            "site: bolt-works\n        technology", "site: nowhere\n        technology"
        )
    )
    result = runner.invoke(app, ["import", str(small), "--url", db_url])
    assert result.exit_code == 1
    assert "participants[1].assets[0].site" in result.output
    assert list_clusters(db_url) == []


def test_import_before_upgrade_says_what_to_do(small: Path, db_url: str) -> None:
    result = runner.invoke(app, ["import", str(small), "--url", db_url])
    assert result.exit_code == 1
    assert "clusterhub db upgrade" in result.output


def test_version_flag() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "clusterhub" in result.output
