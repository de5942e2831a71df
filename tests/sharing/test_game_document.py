"""GAME.json: the exact format of the issue, and every mistake located by its path."""

from __future__ import annotations

import pytest

from clusterhub.errors import InputError
from clusterhub.sharing import game_from_document


def test_a_valid_document() -> None:
    game = game_from_document(
        {
            "players": ["a", "b", "c"],
            "values": [
                {"coalition": ["a", "b"], "value": 3.0},
                {"coalition": ["a", "b", "c"], "value": 6},
            ],
        }
    )
    assert game.players == ("a", "b", "c")
    assert game.value(["b", "a"]) == 3.0
    assert game.value(["c"]) == 0.0  # not listed: worth 0


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (
            {"players": ["a", "b"], "values": [{"coalition": ["a", "x"], "value": 1}]},
            "values[0].coalition[1]",
        ),
        ({"players": ["a", "a"], "values": []}, "players[1]"),
        ({"players": ["a"], "values": [{"coalition": ["a"], "value": "3"}]}, "values[0].value"),
        ({"players": ["a"], "values": [{"coalition": ["a"]}]}, "values[0]"),
        ({"players": ["a", "b"], "values": [{"coalition": ["a"], "value": 1}]}, "values"),
        ({"players": [], "values": []}, "players"),
        ({"players": ["a"], "values": [], "extra": 1}, "extra"),
        (
            {
                "players": ["a"],
                "values": [{"coalition": ["a"], "value": 1}, {"coalition": ["a"], "value": 2}],
            },
            "values[1].coalition",
        ),
    ],
)
def test_mistakes_are_located(document: object, path: str) -> None:
    with pytest.raises(InputError) as caught:
        game_from_document(document, file="game.json")
    paths = [p.path for p in caught.value.problems]
    assert path in paths
    assert all(p.file == "game.json" for p in caught.value.problems)
