"""A dataset version as a CSV or Excel file: ``GET /api/v1/datasets/{dataset}/export``.

Why neutralise text cells: a member's upload may hold a cell such as ``=HYPERLINK(...)`` or
``@SUM(...)``; stored as sent (nothing accepted is changed), it would run as a formula in the
spreadsheet of whoever opens the export. Following OWASP's advice on CSV injection, a text
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
leading single quote, so every spreadsheet shows it as text. Numbers are written as numbers:
a number column's ``-5`` is stored as the number -5 and stays one; only text is quoted.

The read is the same as ``GET /api/v1/datasets/{dataset}``: one decision for the stated
purpose, audited, and a refusal is 404.
"""

# No ``from __future__ import annotations``: FastAPI reads these signatures at run time.
import csv
import io
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query
from fastapi.responses import Response
from openpyxl import Workbook
from sqlalchemy.orm import Session

from clusterhub.collab import Subject
from clusterhub.service import data

__all__ = ["FORMULA_STARTS", "add_export_routes", "neutral", "to_csv", "to_xlsx"]

#: What makes a spreadsheet read a cell as a formula (or hide one behind a control character).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutral(value: Any) -> Any:
    """A cell safe to open: text that a spreadsheet would run is quoted; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _header(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _table(rows: list[dict[str, Any]]) -> Iterable[list[Any]]:
    header = _header(rows)
    yield [neutral(name) for name in header]
    for row in rows:
        yield [neutral(row.get(name)) for name in header]


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in _table(rows):
        writer.writerow(["" if v is None else v for v in line])
    return out.getvalue()


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """One sheet; every text cell explicitly a string (openpyxl would take ``=...`` for a
    formula), besides being neutralised as in the CSV."""
    book = Workbook(write_only=False)
    sheet = book.active
    for r, line in enumerate(_table(rows), start=1):
        for c, value in enumerate(line, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def add_export_routes(
    app: FastAPI,
    session: Callable[..., Any],
    subject: Callable[..., Any],
    now: Callable[[], datetime],
    max_int: int,
) -> None:
    """The export route on ``app``, with the app's session and identity dependencies."""
    db_dep, who_dep = Depends(session, scope="function"), Depends(subject)

    @app.get(
        "/api/v1/datasets/{dataset}/export",
        tags=["datasets"],
        response_class=Response,
        responses={200: {"content": {"text/csv": {}, XLSX: {}},
                         "description": "the version's rows as a file"}},
    )  # fmt: skip
    def export(
        *,
        dataset: str,
        purpose: Annotated[str, Query(min_length=1, max_length=64)],
        format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
        version: Annotated[int | None, Query(ge=1, le=max_int)] = None,
        db: Session = db_dep,
        who: Subject = who_dep,
    ) -> Response:
        """A dataset version's rows as CSV or Excel, text cells that would run as formulas
        quoted; the same read, decision and audit as reading it as JSON."""
        found = data.read_dataset(db, who, dataset, purpose, version=version, now=now())
        name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{found.name}-v{found.version}.{format}")
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        if format == "xlsx":
            return Response(to_xlsx(found.rows), media_type=XLSX, headers=disposition)
        return Response(to_csv(found.rows), media_type="text/csv", headers=disposition)
