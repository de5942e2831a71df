"""Issue 16 item 5: a bundled example's name and a path of the same name never collide silently.

The rule: an explicit path (with a folder separator, or a cluster file's suffix) is a file; a
bare word naming a bundled example is that example, with a note when a file or folder of that
name exists too; any other bare word is a file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clusterhub.cli.main import app

runner = CliRunner()


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The README's order: ``examples export harbour ./harbour`` in the current folder."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["examples", "export", "harbour", "./harbour"])
    assert result.exit_code == 0, result.output
    return tmp_path / "harbour"


def test_the_example_name_is_the_example_after_exporting_it_to_a_folder_of_that_name(
    exported: Path,
) -> None:
    assert exported.is_dir()
    result = runner.invoke(app, ["validate", "harbour"])
    assert result.exit_code == 0, result.output  # today: "Is a directory", exit 1
    assert "valid" in result.stdout
    # not silent: the note names both and how to pick the folder's file
    assert "bundled example harbour" in result.stderr
    assert "./harbour/harbour.yaml" in result.stderr


def test_an_explicit_path_is_always_the_path(exported: Path) -> None:
    assert runner.invoke(app, ["validate", "./harbour/harbour.yaml"]).exit_code == 0
    result = runner.invoke(app, ["validate", "./harbour"])
    assert result.exit_code == 1
    assert "harbour" in result.output
    assert "Traceback" not in result.output


def test_a_file_named_like_an_example_is_read_when_written_as_a_path(
    exported: Path, data_dir: Path
) -> None:
    shutil.copy(data_dir / "small" / "prices.csv", "prices.csv")
    shutil.copy(data_dir / "small" / "cluster.yaml", "kwinana")
    as_path = runner.invoke(app, ["validate", "./kwinana"])
    assert as_path.exit_code == 0, as_path.output
    as_name = runner.invoke(app, ["validate", "kwinana"])
    assert as_name.exit_code == 0, as_name.output
    assert as_path.stdout != as_name.stdout  # the small file, then the bundled Kwinana
    assert "the file ./kwinana is not read (write ./kwinana to read it)" in as_name.stderr


def test_a_bare_word_that_is_no_example_is_a_file(
    tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(data_dir / "small" / "prices.csv", "prices.csv")
    shutil.copy(data_dir / "small" / "cluster.yaml", "mine")
    result = runner.invoke(app, ["validate", "mine"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    missing = runner.invoke(app, ["validate", "nowhere"])
    assert missing.exit_code == 1
    assert "an existing cluster file or an example name" in missing.output


@pytest.mark.parametrize(
    ("argument", "explicit"),
    [
        ("harbour", False),
        ("./harbour", True),
        ("a/b", True),
        ("harbour.yaml", True),
        ("x.JSON", True),
        ("energy-park", False),
    ],
)
def test_what_counts_as_an_explicit_path(argument: str, explicit: bool) -> None:
    from clusterhub.cli.source import is_explicit_path

    assert is_explicit_path(argument) is explicit
