"""``clusterhub optimize`` through Typer's runner: table, JSON keys, and located bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli.main import app

runner = CliRunner()

KEYS = {
    "joint_cost_eur",
    "standalone_cost_eur",
    "standalone_total_eur",
    "saving_eur",
    "saving_pct",
    "emissions_t",
    "congested_hours",
    "build_seconds",
    "solve_seconds",
}


def test_optimize_prints_the_saving_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "harbour.json"
    result = runner.invoke(
        app, ["optimize", "harbour", "--start", "2024-06-08", "--hours", "24", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "saving" in result.output
    assert "2024-06-08 00:00 + 24 h" in result.output
    payload = json.loads(out.read_text())
    assert set(payload) >= KEYS
    assert set(payload["standalone_cost_eur"]) >= {"botlek-chemie", "maasmond-fuels"}
    total = sum(payload["standalone_cost_eur"].values())
    assert total == pytest.approx(payload["standalone_total_eur"])
    assert payload["saving_eur"] == pytest.approx(
        payload["standalone_total_eur"] - payload["joint_cost_eur"]
    )
    assert payload["saving_eur"] >= 0


def test_optimize_says_where_the_saving_comes_from(tmp_path: Path) -> None:
    out = tmp_path / "causes.json"
    result = runner.invoke(
        app,
        ["optimize", "harbour", "--start", "2024-06-08", "--hours", "24", "--causes",
         "--json", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "where the saving comes from" in result.output
    assert "lines between members" in result.output
    payload = json.loads(out.read_text())
    split = payload["saving_by_cause_eur"]
    assert set(split) >= {"netting", "congestion relief", "converter sharing"}
    assert sum(split.values()) == pytest.approx(payload["saving_eur"], rel=1e-6)
    parts = payload["saving_by_cost_part_eur"]
    assert sum(parts.values()) == pytest.approx(payload["saving_eur"], rel=1e-6)
    assert payload["saving_pct_of_bills"] == pytest.approx(payload["saving_pct"])  # no producer


def test_optimize_rolling_on_learned_forecasts_names_the_forecaster(tmp_path: Path) -> None:
    out = tmp_path / "learned.json"
    result = runner.invoke(
        app,
        ["optimize", "harbour", "--start", "2024-03-01", "--hours", "24", "--rolling",
         "--forecast", "learned", "--json", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "skill" in result.output
    rolling = json.loads(out.read_text())["rolling"]
    assert rolling["forecast"] == "learned"
    assert len(rolling["forecaster_version"]) == 16
    assert rolling["backtest"]["overall_skill"] > 0
    assert rolling["regret_eur"] >= -1e-6 * abs(rolling["perfect_foresight_cost_eur"])


def test_optimize_rolling_reports_regret(tmp_path: Path) -> None:
    out = tmp_path / "rolling.json"
    result = runner.invoke(
        app,
        [
            "optimize",
            "harbour",
            "--start",
            "2024-03-01",
            "--hours",
            "48",
            "--rolling",
            "--window",
            "36",
            "--commit",
            "24",
            "--forecast",
            "persistence",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "regret" in result.output
    rolling = json.loads(out.read_text())["rolling"]
    assert rolling["windows"] == 2
    assert rolling["forecast"] == "persistence"
    assert rolling["realized_cost_eur"] >= rolling["perfect_foresight_cost_eur"] - 1e-6
    assert rolling["regret_eur"] == pytest.approx(
        rolling["realized_cost_eur"] - rolling["perfect_foresight_cost_eur"]
    )


def test_rolling_commits_one_hour_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "hourly.json"
    result = runner.invoke(
        app,
        ["optimize", "harbour", "--hours", "6", "--rolling", "--window", "12", "--commit", "1",
         "--json", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rolling = json.loads(out.read_text())["rolling"]
    assert rolling["windows"] == 6
    # the look-ahead runs past the six hours, so it keeps energy stored that foresight spends
    assert rolling["realized_cost_eur"] >= rolling["perfect_foresight_cost_eur"] - 1e-6


def test_rolling_with_a_commit_beyond_the_window_says_why() -> None:
    result = runner.invoke(
        app,
        ["optimize", "harbour", "--hours", "48", "--rolling", "--window", "12", "--commit", "24"],
    )
    assert result.exit_code == 1
    assert "commit <= window" in result.output.replace("\n", " ")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--start", "2030-01-01"], "--start: expected a step of the horizon"),
        (["--start", "soon"], "--start: expected a date such as 2024-06-01"),
        (["--hours", "100000"], "--hours: expected hours that fit the horizon"),
    ],
)
def test_bad_window_is_refused_with_its_option_named(options: list[str], message: str) -> None:
    result = runner.invoke(app, ["optimize", "harbour", *options])
    assert result.exit_code == 1
    assert message in result.output.replace("\n", " ")


def test_optimize_shows_the_peaks_a_capacity_tariff_charged(tmp_path: Path) -> None:
    """The pooling case of ``tests/energy/test_capacity_tariff.py``: alone 10 + 10 MW of peak
    at 100 EUR, together one 13 MW peak."""
    from clusterhub.cli.energy import peak_line
    from clusterhub.energy import compare
    from clusterhub.model import read_cluster

    source = Path(__file__).parents[1] / "data" / "energy" / "peaks.yaml"
    out = tmp_path / "peaks.json"
    result = runner.invoke(app, ["optimize", str(source), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "capacity-tariff" in result.output  # the table's row (wrapped at 80 columns)
    payload = json.loads(out.read_text())
    [joint] = payload["capacity_peaks"]["joint"]
    assert (joint["meter"], joint["period"], joint["peak_mw"]) == ("grid", "2024-01", 13.0)
    assert joint["charge_eur"] == pytest.approx(1300.0)
    assert payload["joint_cost_parts_eur"]["capacity"] == pytest.approx(1300.0)
    alone = payload["capacity_peaks"]["standalone"]
    assert sorted(p["meter"] for p in alone) == ["a@grid", "b@grid"]
    compared = compare(read_cluster(source))
    assert peak_line(compared.standalone) == "import 20.0 MW, 2,000 EUR"
    assert peak_line(compared.joint) == "import 13.0 MW, 1,300 EUR"


def test_optimize_with_unit_commitment_says_how_units_ran(tmp_path: Path) -> None:
    """The minimum-load case of ``tests/energy/test_unit_commitment.py`` (730 EUR with binaries,
    560 relaxed), from ``tests/data/energy/unit-commitment.yaml``."""
    source = Path(__file__).parents[1] / "data" / "energy" / "unit-commitment.yaml"
    for flags, cost, how in (([], 560.0, "relaxed"), (["--unit-commitment"], 730.0, "binary")):
        out = tmp_path / f"uc-{how}.json"
        result = runner.invoke(app, ["optimize", str(source), *flags, "--json", str(out)])
        assert result.exit_code == 0, result.output
        payload = json.loads(out.read_text())
        assert payload["unit_commitment"] == how
        assert payload["standalone_total_eur"] == pytest.approx(cost)
