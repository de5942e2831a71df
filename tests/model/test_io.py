"""Loading, dumping and writing cluster files: round trips and located errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from clusterhub import InputError, dumps, load_cluster, loads, read_cluster, write_cluster
from clusterhub.model import Cluster, FileSeries
from clusterhub.model.io import series_files


@pytest.fixture
def small(data_dir: Path) -> Cluster:
    return read_cluster(data_dir / "small" / "cluster.yaml")


def test_small_cluster_loads_with_its_csv(small: Cluster) -> None:
    price = small.carriers[0].price_eur_per_unit
    assert isinstance(price, FileSeries)
    values = small.values(price)
    assert values.shape == (48,)
    assert values[0] == pytest.approx(70.0)
    assert values[1] == pytest.approx(75.18)
    assert not values.flags.writeable


def test_horizon_spans_the_daylight_saving_change(small: Cluster) -> None:
    index = small.time_index
    # 2024-03-31 02:00 does not exist in Amsterdam: 48 steps of one hour still, offsets change.
    assert len(index) == 48
    assert (index[1:] - index[:-1]).unique().tolist() == [np.timedelta64(3600, "s")]
    assert index[0].utcoffset().total_seconds() == 3600
    assert index[-1].utcoffset().total_seconds() == 7200


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_dump_load_round_trip_keeps_everything(small: Cluster, fmt: str) -> None:
    text = dumps(small, fmt=fmt)
    again = loads(text, files=series_files(small))
    assert again == small
    assert np.array_equal(
        again.values(again.carriers[0].price_eur_per_unit),
        small.values(small.carriers[0].price_eur_per_unit),
    )


def test_write_cluster_writes_referenced_files(small: Cluster, tmp_path: Path) -> None:
    written = write_cluster(small, tmp_path / "out" / "small.yaml")
    assert {p.name for p in written} == {"small.yaml", "prices.csv"}
    assert read_cluster(tmp_path / "out" / "small.yaml") == small
    write_cluster(small, tmp_path / "json" / "small.json")
    assert json.loads((tmp_path / "json" / "small.json").read_text())["name"] == small.name
    assert read_cluster(tmp_path / "json" / "small.json") == small


def test_json_errors_are_located_even_with_tab_indentation(small: Cluster, tmp_path: Path) -> None:
    document = json.loads(dumps(small, fmt="json"))
    document["participants"][0]["assets"][0]["capacity_mw"] = -5
    path = tmp_path / "small.json"
    path.write_text(json.dumps(document, indent="\t"))
    write_cluster(small, tmp_path / "csv" / "x.yaml")
    shutil.copy(tmp_path / "csv" / "prices.csv", tmp_path / "prices.csv")
    [problem] = _problems(path)
    line, column = next(
        (i, text.index('"capacity_mw"') + 1)
        for i, text in enumerate(path.read_text().splitlines(), 1)
        if '"capacity_mw": -5' in text
    )
    assert problem.startswith(f"{path}:{line}:{column}: participants[0].assets[0].capacity_mw:")


def test_load_cluster_is_read_cluster() -> None:
    assert load_cluster is read_cluster


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_cluster(path)
    return [str(p) for p in caught.value.problems]


def _broken(data_dir: Path, tmp_path: Path, old: str, new: str) -> Path:
    shutil.copy(data_dir / "small" / "prices.csv", tmp_path / "prices.csv")
    text = (data_dir / "small" / "cluster.yaml").read_text()
    assert old in text
    target = tmp_path / "cluster.yaml"
    target.write_text(text.replace(old, new, 1))
    return target


def test_error_names_file_line_column_field_expected_and_found(
    data_dir: Path, tmp_path: Path
) -> None:
    path = _broken(data_dir, tmp_path, "capacity_mw: 5\n", "capacity_mw: -5\n")
    [problem] = _problems(path)
    assert problem == (
        f"{path}:26:9: participants[0].assets[0].capacity_mw: expected a number >= 0, got -5"
    )


def test_all_problems_are_reported_at_once(data_dir: Path, tmp_path: Path) -> None:
    path = _broken(data_dir, tmp_path, "capacity_mw: 5\n", "capacity_mw: lots\n")
    path.write_text(path.read_text().replace("charge_efficiency: 0.95", "charge_efficiency: 2"))
    problems = _problems(path)
    assert len(problems) == 3  # the capacity, and both efficiencies (each was 0.95)
    assert "participants[0].assets[0].capacity_mw: expected a number, got 'lots'" in problems[0]
    assert "assets[0].charge_efficiency: expected a number <= 1, got 2" in problems[1]
    assert "assets[0].discharge_efficiency: expected a number <= 1, got 2" in problems[2]


def test_reference_problems_wait_for_field_problems(data_dir: Path, tmp_path: Path) -> None:
    """Whole-cluster checks need valid records, so a file with both kinds shows the field
    problems first; the references are reported once the fields are mended."""
    path = _broken(data_dir, tmp_path, "capacity_mw: 5\n", "capacity_mw: lots\n")
    broken_site = path.read_text().replace(
        "site: bolt-works\n        technology", "site: nowhere\n        technology"
    )
    path.write_text(broken_site)
    assert [p for p in _problems(path) if "capacity_mw" in p]
    path.write_text(broken_site.replace("capacity_mw: lots\n", "capacity_mw: 5\n"))
    [problem] = _problems(path)
    assert "participants[1].assets[0].site: expected one of the site of 'bolt' ids" in problem


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nparticipants: [a, b\n")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:3:1:")


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("name: x\nname: y\n")
    [problem] = _problems(path)
    assert problem == f"{path}:2:1: expected each key once in a mapping, got 'name' again"


def test_country_code_no_is_not_a_boolean(small: Cluster) -> None:
    text = dumps(small).replace("country: NL", "country: NO")
    assert loads(text, files=series_files(small)).location.country == "NO"


def test_missing_file_and_column_are_located(data_dir: Path, tmp_path: Path) -> None:
    path = _broken(data_dir, tmp_path, "column: price_eur_per_mwh", "column: price")
    [problem] = _problems(path)
    assert problem.startswith(f"{path}:11:")
    assert "carriers[0].price_eur_per_unit.column: expected a column of prices.csv" in problem
    (tmp_path / "prices.csv").unlink()
    [problem] = _problems(path)
    assert "got 'prices.csv': no such file" in problem


def test_bad_csv_cell_names_the_csv_row_and_column(data_dir: Path, tmp_path: Path) -> None:
    path = _broken(data_dir, tmp_path, "capacity_mw: 5\n", "capacity_mw: 5\n")
    csv = tmp_path / "prices.csv"
    lines = csv.read_text().splitlines()
    lines[5] = lines[5].split(",")[0] + ",n/a"
    csv.write_text("\n".join(lines) + "\n")
    [problem] = _problems(path)
    assert problem == (
        f"{csv}:6:2: carriers[0].price_eur_per_unit: "
        "expected a finite number in column 'price_eur_per_mwh', got 'n/a'"
    )


def test_short_series_fails_with_the_horizon_length(data_dir: Path, tmp_path: Path) -> None:
    path = _broken(data_dir, tmp_path, "capacity_mw: 5\n", "capacity_mw: 5\n")
    csv = tmp_path / "prices.csv"
    csv.write_text("\n".join(csv.read_text().splitlines()[:-2]) + "\n")
    [problem] = _problems(path)
    assert problem == (
        f"{path}:11:5: carriers[0].price_eur_per_unit: expected 48 values (the horizon's "
        "periods), got 46 file 'prices.csv'"
    )


def test_csv_times_must_match_the_horizon(data_dir: Path, tmp_path: Path) -> None:
    path = _broken(data_dir, tmp_path, "start: 2024-03-30T00:00", "start: 2024-03-30T01:00")
    [problem] = _problems(path)
    assert "carriers[0].price_eur_per_unit: expected time 2024-03-30T00:00:00+00:00" in problem
    assert "row 2 of 'prices.csv'" in problem


def test_csv_outside_the_cluster_folder_is_refused(data_dir: Path, tmp_path: Path) -> None:
    path = _broken(data_dir, tmp_path, "file: prices.csv", "file: ../prices.csv")
    [problem] = _problems(path)
    assert "expected a path inside the cluster's folder, got '../prices.csv'" in problem


def test_missing_cluster_file(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path / "absent.yaml")
    assert (
        problem
        == f"{tmp_path / 'absent.yaml'}: expected an existing cluster file, got no such file"
    )


def test_document_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    [problem] = _problems(path)
    assert "expected a mapping of cluster fields" in problem


def test_deep_brackets_are_refused_as_they_are_read() -> None:
    """The 65th open bracket is refused where it stands, before the reader looks further ahead:
    a character no token may start, past it, would otherwise be the error reported (the
    scanner reads ahead while a key may be pending, a million checks for a line of brackets)."""
    with pytest.raises(InputError) as caught:
        loads("[" * 100 + "@" + "]" * 100)
    problem = caught.value.problems[0]
    assert "levels of nesting" in problem.expected
    assert (problem.line, problem.column) == (1, 65)
