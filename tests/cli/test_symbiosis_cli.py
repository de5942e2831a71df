"""``clusterhub symbiosis`` network, impact and criticality through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clusterhub.cli.main import app

runner = CliRunner()


def test_network_metrics_and_replay(tmp_path: Path) -> None:
    out = tmp_path / "network.json"
    result = runner.invoke(app, ["symbiosis", "network", "kalundborg", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["flows"] == 20
    assert payload["replay"][0]["year"] == 1961
    assert "asnaes" in payload["betweenness"]
    assert "exchanges by year" in result.output


def test_impact_of_a_suspension(tmp_path: Path) -> None:
    out = tmp_path / "impact.json"
    result = runner.invoke(
        app,
        ["symbiosis", "impact", "kalundborg", "--shutdown", "asnaes", "--days", "3",
         "--json", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["event"] == {"facility": "asnaes", "kind": "suspension", "days": 3.0,
                                "level": 0.0}  # fmt: skip
    hit = {f["facility"]: f for f in payload["facilities"]}
    assert hit["fish-farm"]["level"] == 0.0
    assert hit["refinery"]["lost_inputs"][0]["stream"] == "refinery-process-steam"


def test_criticality_ranks_asnaes_first(tmp_path: Path) -> None:
    out = tmp_path / "criticality.json"
    result = runner.invoke(app, ["symbiosis", "criticality", "kalundborg", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())[0]["facility"] == "asnaes"


def test_an_unknown_facility_exits_1() -> None:
    result = runner.invoke(app, ["symbiosis", "impact", "kalundborg", "--shutdown", "nowhere"])
    assert result.exit_code == 1
    assert "nowhere" in result.output
