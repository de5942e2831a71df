"""What the commands show and write: ids whole in every table, ``show`` naming the ids the next
command takes, and ``--json`` carrying the cluster, the window and every participant's cost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.examples import load_example

runner = CliRunner()  # not a terminal: rich draws 80 columns wide


@pytest.fixture
def small(data_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "small"
    shutil.copytree(data_dir / "small", folder)
    return folder / "cluster.yaml"


def test_show_lists_participant_and_facility_ids(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = runner.invoke(app, ["show", str(small), "--json", str(out)])
    assert result.exit_code == 0, result.output
    for ident in ("acme", "bolt", "acme-plant", "bolt-works"):
        assert ident in result.output
    payload = json.loads(out.read_text())
    assert payload["cluster"] == "Small test cluster"
    assert payload["participants"] == 3  # the count stays where it was
    assert payload["participant_ids"][:2] == ["acme", "bolt"]
    assert {"id": "acme-plant", "participant": "acme"} in payload["facilities"]
    acme = payload["members"][0]
    assert acme["facilities"] == ["acme-plant"]
    assert "acme-pv" in acme["assets"]


def test_show_of_a_large_cluster_keeps_every_id_whole() -> None:
    """Kwinana: 30-odd participants with long site ids, at 80 columns."""
    result = runner.invoke(app, ["show", "kwinana"])
    assert result.exit_code == 0, result.output
    cluster = load_example("kwinana")
    for participant, site in cluster.iter_sites():
        assert participant.id in result.output
        assert site.id in result.output
    assert "…" not in result.output


def test_tables_fold_instead_of_cutting_ids() -> None:
    result = runner.invoke(app, ["symbiosis", "match", "kwinana", "--top", "1"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output  # rich's ellipsis: a cut cell


def test_optimize_json_carries_cluster_window_and_joint_cost_per_participant(
    tmp_path: Path,
) -> None:
    out = tmp_path / "o.json"
    result = runner.invoke(
        app, ["optimize", "harbour", "--start", "2024-06-08", "--hours", "24", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["cluster"] == load_example("harbour").name
    assert payload["window"]["start"].startswith("2024-06-08T00:00:00")
    assert payload["window"]["hours"] == 24
    joint = payload["joint_cost_by_participant_eur"]
    assert set(joint) == set(payload["standalone_cost_eur"])
    # every euro assigned (energy.COST_RULE): the shared connection's too
    assert sum(joint.values()) == pytest.approx(payload["joint_cost_eur"], abs=1e-3)
    assert "together, EUR" in result.output


def test_share_json_carries_cluster_and_window(tmp_path: Path) -> None:
    out = tmp_path / "sh.json"
    result = runner.invoke(
        app, ["share", "harbour", "--method", "equal", "--hours", "6", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["cluster"] == load_example("harbour").name
    assert payload["window"]["hours"] == 6
    assert "allocation" in payload


def test_validate_json_writes_every_problem_of_an_invalid_file(small: Path, tmp_path: Path) -> None:
    text = small.read_text().replace("capacity_mw: 5\n", "capacity_mw: -5\n", 1)
    small.write_text(text.replace("target: bolt-works", "target: elsewhere", 1))
    out = tmp_path / "v.json"
    result = runner.invoke(app, ["validate", str(small), "--json", str(out)])
    assert result.exit_code == 1
    payload = json.loads(out.read_text())
    assert payload["valid"] is False
    paths = {p["path"] for p in payload["problems"]}
    assert paths == {"participants[0].assets[0].capacity_mw", "links[0].target"}
    first = payload["problems"][0]
    assert first["line"] == 26
    assert first["message"].endswith("expected a number >= 0, got -5")
    assert "links[0].target" in result.output  # the terminal shows both too


@pytest.mark.parametrize(
    "args",
    [
        ["symbiosis", "network", "kalundborg"],
        ["symbiosis", "match", "kalundborg", "--top", "1"],
        ["symbiosis", "plan", "kalundborg"],
        ["symbiosis", "impact", "kalundborg", "--shutdown", "asnaes"],
        ["symbiosis", "criticality", "kalundborg"],
    ],
)
def test_symbiosis_json_names_the_cluster(args: list[str], tmp_path: Path) -> None:
    """Issue 16 item 9: a --json file read on its own says which cluster it describes."""
    out = tmp_path / "out.json"
    result = runner.invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["cluster"] == load_example("kalundborg").name
