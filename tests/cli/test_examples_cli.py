"""Every bundled example: exported, validated, shown, broken on purpose, and the demo end to end."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.examples import EXAMPLES, load_example
from clusterhub.model import read_cluster
from clusterhub.storage import list_clusters, upgrade

runner = CliRunner()
NAMES = sorted(EXAMPLES)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("examples")
    paths = {}
    for name in NAMES:
        result = runner.invoke(app, ["examples", "export", name, str(root / name)])
        assert result.exit_code == 0, result.output
        paths[name] = root / name / f"{name}.yaml"
    return paths


@pytest.mark.parametrize("name", NAMES)
def test_exported_example_validates_and_equals_the_bundled_one(
    name: str, exported: dict[str, Path]
) -> None:
    result = runner.invoke(app, ["validate", str(exported[name])])
    assert result.exit_code == 0, result.output
    assert read_cluster(exported[name]) == load_example(name)


def _edit(path: Path, target: Path, change: Callable[[dict[str, Any]], str]) -> tuple[Path, str]:
    """Copy an exported example with one change; returns the copy and the field path broken."""
    document = yaml.safe_load(path.read_text())
    field = change(document)
    for csv in path.parent.glob("*.csv"):
        (target / csv.name).write_text(csv.read_text())
    copy = target / path.name
    copy.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    return copy, field


def _wrong_type(d: dict[str, Any]) -> str:
    d["participants"][0]["sites"][0]["latitude"] = "north"
    return "participants[0].sites[0].latitude: expected a number, got 'north'"


def _unknown_id(d: dict[str, Any]) -> str:
    for i, participant in enumerate(d["participants"]):
        for key in ("assets", "streams"):
            if participant.get(key):
                participant[key][0]["site"] = "atlantis"
                return f"participants[{i}].{key}[0].site: expected one of the site"
    raise AssertionError("example without assets or streams")


def _bad_unit(d: dict[str, Any]) -> str:
    for i, participant in enumerate(d["participants"]):
        for j, stream in enumerate(participant.get("streams", [])):
            if stream.get("annual_quantity"):
                stream["annual_quantity"] = "12 parsec"
                return f"participants[{i}].streams[{j}].annual_quantity: expected a"
    for i, carrier in enumerate(d["carriers"]):
        if carrier["kind"] == "electricity":
            carrier["unit"] = "t"
            return f"carriers[{i}].unit: expected unit 'MWh' for a electricity carrier, got 't'"
    raise AssertionError("example without quantities or an electricity carrier")


def _short_series(d: dict[str, Any]) -> str:
    periods = d["horizon"]["periods"]
    d["carbon_price_eur_per_t"] = [65.0] * (periods - 1)
    return f"carbon_price_eur_per_t: expected {periods} values (the horizon's periods)"


BREAKS = {
    "wrong-type": _wrong_type,
    "unknown-id": _unknown_id,
    "bad-unit": _bad_unit,
    "short-series": _short_series,
}


@pytest.mark.parametrize("breakage", sorted(BREAKS))
@pytest.mark.parametrize("name", NAMES)
def test_broken_copy_fails_located_and_writes_nothing(
    name: str, breakage: str, exported: dict[str, Path], tmp_path: Path
) -> None:
    copy, field = _edit(exported[name], tmp_path, BREAKS[breakage])
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    for command in (["validate", str(copy)], ["import", str(copy), "--url", url]):
        result = runner.invoke(app, command)
        output = result.output.replace("\n", "")
        assert result.exit_code == 1, output
        assert "Traceback" not in output
        assert f"{copy}:" in output  # the file, then line:column
        assert field in output, output
    assert list_clusters(url) == []


def test_demo_loads_validates_summarises_and_stores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    command = ["demo", "--url", url, "--hours", "24"]
    result = runner.invoke(app, [*command, "--json", str(tmp_path / "demo.json")])
    assert result.exit_code == 0, result.output
    payload = json.loads((tmp_path / "demo.json").read_text())
    assert sorted(payload) == NAMES
    assert all(entry["stored"] == {"version": 1, "new": True} for entry in payload.values())
    saving = payload["harbour"]["optimize"]
    assert saving["joint_cost_eur"] <= saving["standalone_total_eur"]
    assert "saving" in result.output
    # the same saving split by Shapley and by the nucleolus, side by side, each certified
    shared = payload["harbour"]["share"]
    assert set(shared["allocations"]) == {"shapley", "nucleolus"}
    saved = saving["standalone_total_eur"] - saving["joint_cost_eur"]
    for split in shared["allocations"].values():
        assert sum(split["allocation"].values()) == pytest.approx(saved, rel=1e-6)
        assert split["proven"] is True
    assert shared["allocations"]["nucleolus"]["stable"] is True
    assert "nucleolus" in result.output
    # and the shutdown of Kwinana's most critical facility
    shutdown = payload["kwinana"]["shutdown"]
    assert shutdown["facilities"]
    assert shutdown["damage_facility_equivalents"] > 0
    again = runner.invoke(app, [*command, "--json", str(tmp_path / "again.json")])
    assert again.exit_code == 0
    payload = json.loads((tmp_path / "again.json").read_text())
    assert all(entry["stored"] == {"version": 1, "new": False} for entry in payload.values())
    assert payload["kwinana"]["summary"]["participants"] >= 54
