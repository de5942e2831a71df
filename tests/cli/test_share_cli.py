"""``clusterhub share`` on an explicit game and on the harbour cluster, through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli.main import app

runner = CliRunner()

KEYS = {"allocation", "total", "method", "stable", "max_excess", "blocking_coalition", "proven"}


def write_game(path: Path) -> Path:
    # the glove game: a has the left glove, b and c a right one each
    path.write_text(
        json.dumps(
            {
                "players": ["a", "b", "c"],
                "values": [
                    {"coalition": ["a", "b"], "value": 1.0},
                    {"coalition": ["a", "c"], "value": 1.0},
                    {"coalition": ["a", "b", "c"], "value": 1.0},
                ],
            }
        )
    )
    return path


def test_share_an_explicit_game(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    game = write_game(tmp_path / "game.json")
    result = runner.invoke(
        app, ["share", "--game", str(game), "--method", "shapley", "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    assert set(payload) >= KEYS
    assert payload["allocation"]["a"] == pytest.approx(4 / 6)
    assert payload["stable"] is False
    assert payload["blocking_coalition"] in (["a", "b"], ["a", "c"])
    assert payload["proven"] is True
    assert "would gain" in result.output


def test_sampled_shapley_reports_intervals(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    game = write_game(tmp_path / "game.json")
    result = runner.invoke(
        app,
        [
            "share",
            "--game",
            str(game),
            "--method",
            "shapley",
            "--samples",
            "200",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    low, high = payload["ci95"]["a"]
    assert low <= payload["allocation"]["a"] <= high
    assert sum(payload["allocation"].values()) == pytest.approx(1.0)


def test_share_the_harbour_saving_by_two_rules(tmp_path: Path) -> None:
    out = tmp_path / "harbour.json"
    result = runner.invoke(
        app,
        [
            "share",
            "harbour",
            "--hours",
            "24",
            "--method",
            "shapley",
            "--method",
            "nucleolus",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(out.read_text())
    nucleolus = payload["allocations"]["nucleolus"]
    assert set(nucleolus) >= KEYS
    assert nucleolus["stable"] is True
    assert nucleolus["proven"] is True
    assert sum(nucleolus["allocation"].values()) == pytest.approx(payload["total"])
    assert "No group of members would gain by leaving" in result.output
    # the nucleolus after Shapley solves no new coalition LP and says what it reused
    assert payload["allocations"]["nucleolus"]["diagnostics"]["coalition_solves"] == 0
    assert "reused)" in result.output


def test_a_broken_game_file_names_line_and_column(tmp_path: Path) -> None:
    game = tmp_path / "game.json"
    game.write_text('{"players": ["a",\n  ]}')
    result = runner.invoke(app, ["share", "--game", str(game)])
    assert result.exit_code == 1
    assert "game.json" in result.output
    assert ":2:" in result.output or "line 2" in result.output


def test_a_game_with_an_unknown_member_is_refused_with_its_path(tmp_path: Path) -> None:
    game = tmp_path / "game.json"
    game.write_text(json.dumps({"players": ["a"], "values": [{"coalition": ["z"], "value": 1}]}))
    result = runner.invoke(app, ["share", "--game", str(game)])
    assert result.exit_code == 1
    assert "values[0].coalition[0]" in result.output


def test_file_or_game_not_both() -> None:
    result = runner.invoke(app, ["share"])
    assert result.exit_code == 1
