"""``clusterhub dataset``: a tenant's datasets from the operator's command line. Create one with
its declared columns and their units, list them, show one, list its versions.

Why as a named user (``--as``): a dataset belongs to a tenant, and its creation is a write the
decision point judges and the audit chain records, as when the user calls the API; the
operator only acts for that user, next to the service, as ``clusterhub ingest send`` does.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clusterhub.cli.options import JsonOption, UrlOption, UserOption
from clusterhub.cli.output import Table, console, write_json
from clusterhub.cli.service import member_transaction
from clusterhub.errors import InputError, Problem

__all__ = ["app", "parse_columns"]

app = typer.Typer(help="A tenant's datasets: create (columns and units), list, show, versions.")

COLUMN_TYPES = ("number", "text", "time")


def parse_columns(specs: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """``NAME:TYPE`` or ``NAME:TYPE:UNIT`` each (``time:time``, ``mw:number:MW``): the declared
    columns (name -> type) and the units of those that have one. Every bad one named at once."""
    columns: dict[str, str] = {}
    units: dict[str, str] = {}
    problems = []
    for i, spec in enumerate(specs):
        name, _, rest = spec.partition(":")
        kind, _, unit = rest.partition(":")
        where = f"--column[{i}]"
        if not name or kind not in COLUMN_TYPES:
            expected = f"NAME:TYPE or NAME:TYPE:UNIT, TYPE one of {', '.join(COLUMN_TYPES)}"
            problems.append(Problem(expected, repr(spec), where))
        elif name in columns:
            problems.append(Problem("each column once", repr(name), where))
        else:
            columns[name] = kind
            if unit:
                units[name] = unit
    if problems:
        raise InputError(problems)
    return columns, units


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="the dataset's name, unique in its tenant")],
    user: UserOption,
    column: Annotated[
        list[str],
        typer.Option(help="NAME:TYPE[:UNIT], TYPE number, text or time; repeat for each column"),
    ],
    kind: Annotated[
        str | None,
        typer.Option(help="timeseries or table (default: timeseries when a column is a time)"),
    ] = None,
    mode: Annotated[
        str, typer.Option(help="a new version replaces, appends to or upserts into the last")
    ] = "replace",
    key: Annotated[
        list[str] | None, typer.Option(help="upsert: the key columns; repeat for several")
    ] = None,
    url: UrlOption = None,
    json: JsonOption = None,
) -> None:
    """Create a dataset of the user's tenant, judged and audited like the API's POST."""
    from clusterhub.service import data

    columns, units = parse_columns(column)
    chosen = kind or ("timeseries" if "time" in columns.values() else "table")
    with member_transaction(url, user) as (session, subject):
        dataset = data.create_dataset(
            session, subject, name, chosen, columns, mode=mode, key=key, units=units
        )
    shown = ", ".join(
        f"{c} {t}" + (f" [{units[c]}]" if c in units else "") for c, t in columns.items()
    )
    console.print(f"dataset {subject.tenant}/{name} created ({chosen}, {mode}): {shown}",
                  highlight=False)  # fmt: skip
    write_json(json, {"id": dataset, "tenant": subject.tenant, "name": name, "kind": chosen,
                      "columns": columns, "units": units, "mode": mode})  # fmt: skip


@app.command("list")
def list_(user: UserOption, url: UrlOption = None, json: JsonOption = None) -> None:
    """The datasets of the user's tenant: columns with units, mode, how many versions."""
    from clusterhub.service import catalogue

    with member_transaction(url, user) as (session, subject):
        found = catalogue.datasets_of(session, subject)
    table = Table("name", "kind", "columns", "mode", "versions")
    for entry in found:
        table.add_row(entry["name"], entry["kind"], _columns(entry), entry["mode"],
                      str(entry["versions"]))  # fmt: skip
    console.print(table)
    write_json(json, found)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="the dataset's name")],
    user: UserOption,
    url: UrlOption = None,
    json: JsonOption = None,
) -> None:
    """One dataset of the user's tenant: id, kind, columns with units, mode, versions."""
    from clusterhub.service import catalogue

    with member_transaction(url, user) as (session, subject):
        entry = catalogue.dataset_named(session, subject, name)
    table = Table("field", "value", show_header=False)
    for field in ("id", "name", "kind", "mode", "versions", "created_at"):
        table.add_row(field, str(entry[field]))
    table.add_row("columns", _columns(entry))
    if entry["key"]:
        table.add_row("key", ", ".join(entry["key"]))
    console.print(table)
    write_json(json, entry)


@app.command("versions")
def versions(
    name: Annotated[str, typer.Argument(help="the dataset's name")],
    user: UserOption,
    url: UrlOption = None,
    json: JsonOption = None,
) -> None:
    """Every version of one dataset of the user's tenant, oldest first, without its rows."""
    from clusterhub.service import catalogue

    with member_transaction(url, user) as (session, subject):
        found = catalogue.versions_of(session, subject, name)
    table = Table("version", "created", "by", "rows", "sha256")
    for entry in found:
        table.add_row(str(entry["version"]), entry["created_at"][:19], entry["created_by"],
                      "" if entry["rows"] is None else str(entry["rows"]),
                      entry["sha256"][:12])  # fmt: skip
    console.print(table if found else f"dataset {name}: no versions yet")
    write_json(json, found)


def _columns(entry: dict[str, Any]) -> str:
    units = entry.get("units") or {}
    return ", ".join(
        f"{c}:{t}" + (f":{units[c]}" if c in units else "") for c, t in entry["columns"].items()
    )
