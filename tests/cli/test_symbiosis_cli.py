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
    payload = json.loads(out.read_text())
    assert payload["rows"][0]["facility"] == "asnaes"
    assert payload["year"] == 2019  # the latest year Kalundborg describes (D20)


def test_an_unknown_facility_exits_1() -> None:
    result = runner.invoke(app, ["symbiosis", "impact", "kalundborg", "--shutdown", "nowhere"])
    assert result.exit_code == 1
    assert "nowhere" in result.output


def test_match_with_the_evaluation(tmp_path: Path) -> None:
    out = tmp_path / "match.json"
    result = runner.invoke(
        app, ["symbiosis", "match", "kalundborg", "--top", "3", "--evaluate", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["evaluation"]["exchanges"] == 20
    assert "precision@5" in result.output
    some = next(v for v in payload["matches"].values() if v)
    assert {"supplier", "receiver", "score", "parts", "net_benefit_eur"} <= set(some[0])


def test_plan_flows(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["symbiosis", "plan", "kwinana", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["total_benefit_eur"] > 0
    assert payload["flows"]


def test_an_entrant_from_a_file_and_a_broken_one(tmp_path: Path) -> None:
    good = tmp_path / "new.yaml"
    good.write_text(
        "id: newco\nname: NewCo Fish Farm\nnace: A03.22\n"
        "sites: [{id: newco-site, latitude: 55.68, longitude: 11.09}]\n"
        "streams:\n"
        "  - {id: newco-heat, site: newco-site, direction: input, name: warm water,\n"
        "     resource_class: heat, provenance: synthetic, source: test}\n"
    )
    out = tmp_path / "fit.json"
    result = runner.invoke(
        app, ["symbiosis", "entrant", "kalundborg", "--facility", str(good), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    sources = json.loads(out.read_text())["absorbs"]["newco-heat"]
    assert sources
    assert all(s["receiver"] == "newco-heat" for s in sources)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: newco\nname: NewCo\nsites: [{id: s, latitude: 95, longitude: 0}]\n")
    result = runner.invoke(app, ["symbiosis", "entrant", "kalundborg", "--facility", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml:3" in result.output
    assert "sites[0].latitude" in result.output
