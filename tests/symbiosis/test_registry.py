"""Registry tables: a good CSV or Excel sheet imports whole; one bad row imports nothing and
every problem names its row and column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.errors import InputError
from clusterhub.examples import load_example
from clusterhub.model import read_cluster
from clusterhub.symbiosis.registry import ewc_codes, streams_from_table

runner = CliRunner()

HEADER = "id,site,direction,name,resource_class,annual_quantity,ewc_code,provenance,source\n"
GOOD = (
    HEADER
    + "gyproc-offcuts,gyproc,output,plasterboard offcuts,gypsum,4 kt,17 08 02,synthetic,test\n"
    + "kemira-acid-out,kemira,output,spent acid,acid,1200 t,,synthetic,test\n"
)


def test_a_good_table_becomes_streams() -> None:
    frame = pd.read_csv(pd.io.common.StringIO(GOOD), dtype=str, keep_default_na=False)
    streams = streams_from_table(frame, file="r.csv", cluster=load_example("kalundborg"))
    assert [s.id for s in streams] == ["gyproc-offcuts", "kemira-acid-out"]
    assert streams[0].annual_quantity == "4 kt"
    assert streams[0].ewc_code == "17 08 02"


def test_every_bad_cell_is_located() -> None:
    bad = (
        HEADER
        + "ok-1,gyproc,output,fine,gypsum,4 kt,,synthetic,test\n"
        + "bad-1,gyproc,sideways,x,gypsum,4 kt,,synthetic,test\n"  # direction
        + "bad-2,nowhere,output,x,gypsum,4 lightyears,,synthetic,test\n"  # site, quantity
        + "ok-1,gyproc,output,dup,gypsum,,,synthetic,test\n"  # duplicate id
        + "bad-3,gyproc,output,x,gypsum,,17 08 02*,guessed,test\n"  # hazard mark, provenance
    )
    frame = pd.read_csv(pd.io.common.StringIO(bad), dtype=str, keep_default_na=False)
    with pytest.raises(InputError) as caught:
        streams_from_table(frame, file="r.csv", cluster=load_example("kalundborg"))
    where = {(p.line, p.path) for p in caught.value.problems}
    assert (3, "direction") in where
    assert (4, "annual_quantity") in where
    assert (5, "id") in where
    assert (6, "provenance") in where
    columns = {p.path: p.column for p in caught.value.problems}
    assert columns["direction"] == 3
    assert columns["annual_quantity"] == 6
    assert all(p.file == "r.csv" for p in caught.value.problems)
    assert (4, "site") in where  # beside the bad quantity on the same row
    if ewc_codes():  # the bundled List of Waste knows 17 08 02 is not hazardous
        assert (6, "ewc_code") in where  # beside the bad provenance: not held back


def test_header_and_row_problems_come_in_one_run() -> None:
    """A misspelt column, an unclassifiable name, a number without unit and a site that is
    not in the cluster: each is independent of the others, so one run names them all."""
    table = (
        "id,site,direction,name,provenance,source,annual_quantity,colour\n"
        "a-1,nowhere,output,zzz qqq,synthetic,test,,red\n"
        "a-2,gyproc,output,x,synthetic,test,12,blue\n"
    )
    frame = pd.read_csv(pd.io.common.StringIO(table), dtype=str, keep_default_na=False)
    frame["annual_quantity"] = [None, 12.0]
    with pytest.raises(InputError) as caught:
        streams_from_table(frame, file="r.csv", cluster=load_example("kalundborg"))
    where = [(p.line, p.path) for p in caught.value.problems]
    assert (1, "column H") in where
    assert (2, "resource_class") in where
    assert (2, "site") in where
    assert (3, "annual_quantity") in where
    assert len(where) == len(set(where))  # nothing named twice


def test_the_ewc_list_is_bundled() -> None:
    codes = ewc_codes()
    assert len(codes) > 800
    assert codes["11 01 05"][0] is True  # pickling acids: hazardous
    assert codes["10 01 02"][0] is False  # coal fly ash
    assert "municipal" in codes["20 03 01"][1]


def test_unknown_columns_are_refused_with_their_letter() -> None:
    frame = pd.DataFrame({"id": ["a"], "colour": ["red"]})
    with pytest.raises(InputError) as caught:
        streams_from_table(frame, file="r.csv")
    problems = caught.value.problems
    assert any(p.path == "column B" and p.line == 1 for p in problems)
    assert any(p.path == "site" for p in problems)  # required, missing


def test_cli_import_is_all_or_nothing(tmp_path: Path) -> None:
    out = tmp_path / "kalundborg.yaml"
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "x,gyproc,output,x,gypsum,4 kt,,made-up,test\n")
    result = runner.invoke(
        app, ["symbiosis", "import", "kalundborg", "--streams", str(bad), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "bad.csv:4" in result.output
    assert not out.exists()  # nothing written
    good = tmp_path / "good.xlsx"
    pd.read_csv(pd.io.common.StringIO(GOOD), dtype=str).to_excel(good, index=False)
    result = runner.invoke(
        app, ["symbiosis", "import", "kalundborg", "--streams", str(good), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    cluster = read_cluster(out)
    ids = {s.id for _, s in cluster.iter_streams()}
    assert {"gyproc-offcuts", "kemira-acid-out"} <= ids
    assert len(ids) == len({s.id for _, s in load_example("kalundborg").iter_streams()}) + 2
