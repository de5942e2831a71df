"""``clusterhub symbiosis`` network, impact and criticality through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from clusterhub.cli.main import app

runner = CliRunner()


def flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


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


# --- issue 16 -------------------------------------------------------------------------------


def test_criticality_says_its_year_and_leaves_idle_plants_out(tmp_path: Path) -> None:
    out = tmp_path / "criticality.json"
    result = runner.invoke(app, ["symbiosis", "criticality", "kwinana", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["year"] == 2025
    assert payload["not_running"]["nickel-west-kwinana"] == "suspended"
    assert payload["rows"][0]["facility"] == "coogee-kwinana"  # kwinana-cogen before issue 16
    assert "in 2025" in flat(result.output)
    assert "the latest the registry describes" in flat(result.output)
    assert "K8" in payload["inactive_flows"]  # BP's hydrogen, ended 2021
    ranked = [r["facility"] for r in payload["rows"] if r["running"]]
    assert "nickel-west-kwinana" not in ranked
    earlier = runner.invoke(app, ["symbiosis", "criticality", "kwinana", "--year", "2020"])
    assert "in 2020" in flat(earlier.output)
    assert "not applied to an earlier one" in flat(earlier.output)


def test_impact_reports_what_it_assumed_bought_in(tmp_path: Path) -> None:
    out = tmp_path / "impact.json"
    args = ["symbiosis", "impact", "kwinana", "--shutdown", "nickel-west-kalgoorlie"]
    result = runner.invoke(app, [*args, "--year", "2024", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert payload["year"] == 2024
    levels = {f["facility"]: f["level"] for f in payload["facilities"]}
    assert levels == {"csbp-ssp": 0.0, "water-treatment": 0.0}  # no acid market in AU
    assert payload["market"]["region"] == "AU"
    assert payload["market"]["rows"]["acid"]["region"] == "AU"
    assert "classes without a row: 0% buyable" in flat(result.output)
    # set from the command line: acid can be bought after all, and the report says so
    bought = runner.invoke(
        app, [*args, "--year", "2024", "--buyable", "acid=1", "--json", str(out)]
    )
    assert bought.exit_code == 0, bought.output
    payload = json.loads(out.read_text())
    assert payload["facilities"] == []
    streams = {x["stream"]: x for x in payload["purchases"]}
    assert streams["csbp-sulphuric-acid"]["basis"] == "set by the user"
    assert streams["csbp-sulphuric-acid"]["quantity"] is None  # no figure in the registry
    assert "assumed bought in" in flat(bought.output)
    assert "1 purchases of unknown quantity not counted" in flat(bought.output)
    # now, the registry's present: the plant is suspended
    now = runner.invoke(app, args)
    assert "does not run in 2025 (status: suspended)" in flat(now.output)


def test_a_market_table_from_a_file_and_a_bad_one(tmp_path: Path) -> None:
    table = tmp_path / "market.csv"
    table.write_text(
        "resource_class,region,buyable_share,price,emission_factor,source\n"
        "acid,AU,1,200 EUR/t,0.2 tCO2e/t,supplier quote\n"
    )
    args = ["symbiosis", "impact", "kwinana", "--shutdown", "coogee-kwinana"]
    out = tmp_path / "impact.json"
    result = runner.invoke(app, [*args, "--market", str(table), "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    hcl = {x["stream"]: x for x in payload["purchases"]}["tianqi-hcl-in"]
    assert hcl["price_eur_per_unit"] == 200.0
    assert hcl["cost_eur"] == hcl["quantity"] * 200.0
    assert "supplier quote" in hcl["basis"]
    table.write_text("resource_class,region,buyable_share\nacid,AU,lots\n")
    bad = runner.invoke(app, [*args, "--market", str(table)])
    assert bad.exit_code == 1
    assert "market.csv:2:3: buyable_share: expected a share from 0 to 1, got 'lots'" in bad.output


def test_unknown_quantities_never_print_as_one_unit() -> None:
    result = runner.invoke(
        app,
        ["symbiosis", "impact", "kwinana", "--shutdown", "nickel-west-kwinana", "--year", "2024"],
    )
    assert result.exit_code == 0, result.output
    assert "units/yr" not in result.output  # before issue 16: "1 units/yr"
    assert "1 flow of unknown quantity" in flat(result.output)


def test_plan_leaves_out_plants_that_do_not_run(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(app, ["symbiosis", "plan", "kwinana", "--json", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    receivers = {f["receiver"] for f in payload["flows"]}
    assert "nickel-west-water-in" not in receivers  # recycled water to a suspended refinery
    assert payload["left_out"]["nickel-west-kwinana"] == "suspended"
    assert "nickel-west-kwinana (suspended)" in flat(result.output)


def test_the_readme_kwinana_symbiosis_examples_run(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    commands = [
        line.split("#")[0].split()[1:]
        for line in readme.splitlines()
        if line.startswith("clusterhub symbiosis ") and " kwinana" in line
        and " match " not in line and " plan " not in line  # slow; covered above
    ]  # fmt: skip
    assert len(commands) >= 3
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command, result.output)
        assert "as of 20" in flat(result.output)
    assert commands[0][:4] == ["symbiosis", "impact", "kwinana", "--shutdown"]
    assert commands[0][4] == "nickel-west-kalgoorlie"
    out = tmp_path / "story.json"
    runner.invoke(app, [*commands[0], "--json", str(out)])  # Kalgoorlie's acid in 2024
    stopped = {f["facility"] for f in json.loads(out.read_text())["facilities"]}
    assert stopped == {"csbp-ssp", "water-treatment"}


def test_a_lost_input_without_a_figure_reads_quantity_unknown() -> None:
    from rich.console import Console

    from clusterhub.cli.symbiosis_report import impact_table, purchases_table
    from clusterhub.examples import load_example
    from clusterhub.symbiosis import Event, build_network, impact, market

    net = build_network(load_example("kwinana"))
    result = impact(net, Event("nickel-west-kalgoorlie"), year=2024)
    console = Console(record=True, width=300)
    console.print(impact_table(result, "t"))
    assert "csbp-sulphuric-acid 100% of need (quantity unknown)" in console.export_text()
    bought = impact(net, Event("nickel-west-kalgoorlie"), year=2024, market=market(None))
    console.print(purchases_table(bought))
    assert "quantity unknown" in console.export_text()
