"""A dataset version's rows as a CSV or Excel file, for ``GET /api/v1/datasets/{dataset}/export``
(``routes.datasets``).

Why neutralise text cells: a member's upload may hold a cell such as ``=HYPERLINK(...)`` or
``@SUM(...)``; stored as sent (nothing accepted is changed), it would run as a formula in the
spreadsheet of whoever opens the export. Following OWASP's advice on CSV injection, a text
cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
leading single quote, so every spreadsheet shows it as text. Numbers are written as numbers:
a number column's ``-5`` is stored as the number -5 and stays one; only text is quoted.

The read is the same as ``GET /api/v1/datasets/{dataset}``: one decision for the stated
purpose, audited, and a refusal is 404.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook

__all__ = ["FORMULA_STARTS", "XLSX", "neutral", "to_csv", "to_xlsx"]

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
