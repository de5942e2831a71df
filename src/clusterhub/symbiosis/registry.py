"""The input/output registry from a table: one stream per row, every mistake located, all or none.

Why all or none: a registry table comes from a spreadsheet someone filled in by hand; importing
the good rows and dropping the bad ones would leave a registry that silently misses a company's
outputs. Every problem of every row is reported with its row and column (as the spreadsheet shows
them: row 2 is the first under the header) and nothing is imported until the whole table is
right. The caller reads the file (CSV or Excel) into a DataFrame; this module does no I/O.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from pydantic import ValidationError

from clusterhub.errors import InputError, Problem
from clusterhub.model import Cluster, Stream
from clusterhub.model.errors import describe
from clusterhub.model.streams import RESOURCE_CLASSES
from clusterhub.model.units import dimension_name, parse_quantity
from clusterhub.symbiosis.classify import classify
from clusterhub.symbiosis.ewc import ewc_codes

__all__ = ["COLUMNS", "add_streams", "ewc_codes", "streams_from_table"]  # ewc_codes re-exported

#: Columns a registry table may have; the first six are required on every row.
COLUMNS = (
    "id",
    "site",
    "direction",
    "name",
    "resource_class",
    "provenance",
    "source",
    "annual_quantity",
    "ewc_code",
    "fate",
    "fate_cost",
    "emission_factor",
    "description",
)
#: ``resource_class`` may be left empty: it is then read from the name and description.
REQUIRED = ("id", "site", "direction", "name", "provenance", "source")


def _letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def streams_from_table(
    frame: pd.DataFrame, *, file: str | None = None, cluster: Cluster | None = None
) -> list[Stream]:
    """Streams from a table (header row, then one stream per row). With ``cluster``, sites
    must exist in it and ids must be new. Raises one ``InputError`` listing every problem."""
    problems: list[Problem] = []
    columns = [str(c).strip() for c in frame.columns]
    where = {name: k for k, name in enumerate(columns)}

    def at(row: int, column: str | None, expected: str, found: object) -> None:
        k = where.get(column) if column else None
        problems.append(
            Problem(
                expected,
                None if found is None else repr(found),
                path=column or "",
                file=file,
                line=row,
                column=k + 1 if k is not None else None,
            )
        )

    for k, name in enumerate(columns):
        if name not in COLUMNS:
            problems.append(
                Problem(
                    f"a column among {', '.join(COLUMNS)}",
                    repr(name),
                    path=f"column {_letter(k)}",
                    file=file,
                    line=1,
                    column=k + 1,
                )
            )
    missing = [c for c in REQUIRED if c not in where]
    for name in missing:
        problems.append(Problem(f"a column named {name}", None, path=name, file=file, line=1))
    # A header problem does not stop the rows from being checked: each row is checked in the
    # columns it has, and a problem already named once (the missing column) is not repeated.
    sites = {s.id for p in cluster.participants for s in p.sites} if cluster else None
    taken = {s.id for _, s in cluster.iter_streams()} if cluster else set()
    codes = ewc_codes()
    streams: list[Stream] = []
    seen: dict[str, int] = {}
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        row = index + 2  # the header is row 1
        record: dict[str, Any] = {}
        for name, value in zip(columns, values, strict=True):
            if _blank(value) or name not in COLUMNS:
                continue
            record[name] = value.strip() if isinstance(value, str) else value
        if not record:
            continue  # an empty line
        told = set(missing)  # columns whose problem on this row is already named
        if "resource_class" not in record and "name" in record:
            words = f"{record['name']} {record.get('description', '')}"
            guess = classify(words)
            if guess.resource_class == "other":
                at(row, "resource_class", "a resource class (the name does not say one)", None)
                told.add("resource_class")
            else:
                record["resource_class"] = guess.resource_class
        if "annual_quantity" in record and not isinstance(record["annual_quantity"], str):
            at(row, "annual_quantity", "a quantity with its unit, such as '70 kt'",
               record.pop("annual_quantity"))  # fmt: skip
            told.add("annual_quantity")
        stream: Stream | None = None
        try:
            stream = Stream.model_validate(record)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                column = str(error["loc"][0]) if error["loc"] else None
                if column in told:
                    continue
                expected, found = describe(error)
                at(row, column, expected, found)
                told.add(str(column))
        if stream is not None and stream.annual_quantity is not None:
            dimension = dimension_name(parse_quantity(stream.annual_quantity))
            allowed = RESOURCE_CLASSES[stream.resource_class]
            if dimension not in allowed:
                at(row, "annual_quantity",
                   f"a {' or '.join(sorted(allowed))} for {stream.resource_class}",
                   stream.annual_quantity)  # fmt: skip
        # the checks against other rows and the cluster read the cells they need, so they
        # run whether or not another cell of the row is wrong
        ident, site, ewc = (
            record.get(c) if c not in told else None for c in ("id", "site", "ewc_code")
        )
        if isinstance(ident, str):
            if ident in seen:
                at(row, "id", f"an id not already on row {seen[ident]}", ident)
            elif ident in taken:
                at(row, "id", "an id not already in the cluster", ident)
            seen.setdefault(ident, row)
        if sites is not None and isinstance(site, str) and site not in sites:
            at(row, "site", "a site of the cluster", site)
        if codes and isinstance(ewc, str):
            code = ewc.rstrip("*")
            if code not in codes:
                at(row, "ewc_code", "a code of the European List of Waste", ewc)
            elif codes[code][0] != ewc.endswith("*"):
                mark = "with" if codes[code][0] else "without"
                at(row, "ewc_code", f"{code} {mark} the hazardous mark *", ewc)
        if stream is not None:
            streams.append(stream)
    if problems:
        raise InputError(problems)
    return streams


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def add_streams(cluster: Cluster, streams: list[Stream]) -> Cluster:
    """``cluster`` with ``streams`` given to the participants owning their sites (sites and ids
    were checked against the cluster by ``streams_from_table``)."""
    owner = {s.id: p.id for p in cluster.participants for s in p.sites}
    by_participant: dict[str, list[Stream]] = {}
    for stream in streams:
        by_participant.setdefault(owner[stream.site], []).append(stream)
    participants = tuple(
        p.model_copy(update={"streams": (*p.streams, *by_participant.get(p.id, ()))})
        for p in cluster.participants
    )
    return cluster.model_copy(update={"participants": participants})
