"""A message's payload to the rows of a dataset, every mistake located: CSV and Excel by row and
column as the spreadsheet shows them (row 2 is the first under the header, column B the second),
JSON by field path (``rows[3].mw``).

Why all or none: a file is one reading a member sends; taking its good rows and dropping the bad
would store a reading that silently misses hours. The receipt lists every problem, and nothing
is written until the whole message is right.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from clusterhub.errors import InputError, Problem

__all__ = ["MEDIA_TYPES", "parse"]

CSV, XLSX, JSON = (
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("application/json"),
)
#: What each channel may carry, by media type, and the file suffixes that mean it.
MEDIA_TYPES = {CSV: (".csv",), XLSX: (".xlsx",), JSON: (".json",)}


def media_type_of(filename: str | None, declared: str | None) -> str | None:
    """The media type of a file from its declared type, else from its name's suffix."""
    base = (declared or "").split(";")[0].strip().lower()
    if base in MEDIA_TYPES:
        return base
    name = (filename or "").lower()
    for media, suffixes in MEDIA_TYPES.items():
        if name.endswith(suffixes):
            return media
    return None


def _letter(index: int) -> str:
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell(value: Any, kind: str) -> tuple[Any, str | None]:
    """A cell as the declared kind, or what was wrong with it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "nothing"
    if kind == "number":
        if isinstance(value, bool):
            return None, repr(value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None, repr(str(value)[:40])
        return (number, None) if math.isfinite(number) else (None, repr(str(value)))
    if kind == "time":
        if isinstance(value, datetime):
            return value.isoformat(), None
        text = str(value).strip()
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None, repr(text[:40])
        return text, None
    return str(value), None


def _table(
    header: list[str], body: list[tuple[int, list[Any]]], columns: Mapping[str, str]
) -> list[dict[str, Any]]:
    """``body`` holds each row with its number in the file (blank rows skipped, not renumbered)."""
    problems: list[Problem] = []
    where = {name.strip(): k for k, name in enumerate(header)}
    for k, name in enumerate(header):
        if name.strip() not in columns:
            problems.append(Problem("a declared column (" + ", ".join(columns) + ")", repr(name),
                                    path=f"row 1, column {_letter(k)}"))  # fmt: skip
    for name in columns:
        if name not in where:
            problems.append(Problem(f"a column named {name!r}", "none", path="row 1"))
    rows: list[dict[str, Any]] = []
    if not problems:
        for number, values in body:
            row: dict[str, Any] = {}
            for name, kind in columns.items():
                k = where[name]
                raw = values[k] if k < len(values) else None
                value, wrong = _cell(raw, kind)
                if wrong is not None:
                    problems.append(
                        Problem(f"a {kind} in {name}", wrong,
                                path=f"row {number}, column {_letter(k)} ({name})")
                    )  # fmt: skip
                row[name] = value
            rows.append(row)
    if problems:
        raise InputError(problems)
    if not rows:
        raise InputError.single("at least one row under the header", "none", path="row 2")
    return rows


def _csv(payload: bytes, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            "UTF-8 text", f"byte {exc.start} undecodable", path="file"
        ) from None
    lines = [
        (n, line)
        for n, line in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in line)
    ]
    if not lines:
        raise InputError.single("a header row", "an empty file", path="row 1")
    return _table(lines[0][1], lines[1:], columns)


def _xlsx(payload: bytes, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    try:  # the first sheet, every cell as it is (openpyxl underneath)
        frame = pd.read_excel(io.BytesIO(payload), header=None, dtype=object, sheet_name=0)
    except Exception:
        raise InputError.single(
            "an Excel workbook (.xlsx)", "a file it cannot open", path="file"
        ) from None
    cells = [
        (n, [None if isinstance(c, float) and math.isnan(c) else c for c in line])
        for n, line in enumerate(frame.itertuples(index=False, name=None), start=1)
    ]
    lines = [(n, line) for n, line in cells if any(c is not None and str(c).strip() for c in line)]
    if not lines:
        raise InputError.single("a header row", "an empty sheet", path="row 1")
    return _table([str(c or "") for c in lines[0][1]], lines[1:], columns)


def _json(payload: bytes, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        found = (
            f"{exc.msg} at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "binary"
        )
        raise InputError.single("JSON", found, path="body") from None
    rows = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not rows:
        raise InputError.single(
            '{"rows": [...]} with at least one row', type(rows).__name__, path="rows"
        )
    problems: list[Problem] = []
    out: list[dict[str, Any]] = []
    for i, record in enumerate(rows):
        if not isinstance(record, dict):
            problems.append(
                Problem("an object of columns", type(record).__name__, path=f"rows[{i}]")
            )
            continue
        for name in sorted(set(record) - set(columns)):
            problems.append(Problem("a declared column", repr(name)[:60], path=f"rows[{i}].{name}"))
        row: dict[str, Any] = {}
        for name, kind in columns.items():
            value, wrong = _cell(record.get(name), kind)
            if wrong is not None:
                problems.append(Problem(f"a {kind}", wrong, path=f"rows[{i}].{name}"))
            row[name] = value
        out.append(row)
    if problems:
        raise InputError(problems)
    return out


def parse(payload: bytes, media_type: str, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rows of ``payload`` (CSV, Excel or JSON) typed by the dataset's ``columns``; raises
    ``InputError`` with every problem located."""
    if media_type == CSV:
        return _csv(payload, columns)
    if media_type == XLSX:
        return _xlsx(payload, columns)
    if media_type == JSON:
        return _json(payload, columns)
    raise InputError.single(
        "CSV, Excel (.xlsx) or JSON", media_type or "an unknown type", path="file"
    )
