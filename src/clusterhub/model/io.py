"""Reading and writing cluster files: the model's only contact with the file system.

Why the care with locations: the people who edit cluster files are energy and sustainability
managers, not programmers; an error must say which file, which line and column, which field, what
was expected and what was found, and must name all problems at once. The text itself is parsed
in ``parser``, validated and located in ``validation`` and written out in ``document``; this
module reads and writes the files, the cluster's own and the CSV files its series refer to.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from clusterhub.errors import InputError, Problem
from clusterhub.model.checks import Loc, render_path
from clusterhub.model.cluster import Cluster, Participant
from clusterhub.model.document import dumps, series_files
from clusterhub.model.parser import parse
from clusterhub.model.validation import located, problem_at, validate_document
from clusterhub.model.weather import FORMATS, MAX_WEATHER_CHARS, Weather, read_weather

__all__ = [
    "dumps",
    "loads",
    "read_cluster",
    "read_participant",
    "series_files",
    "validate_document",
    "write_cluster",
]


def read_participant(path: str | os.PathLike[str]) -> Participant:
    """One participant (a new entrant: its sites, assets and streams) from a YAML or JSON
    file, every problem located in that file."""
    file = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise InputError(
            [Problem("a readable participant file", exc.strerror, file=file)]
        ) from None
    data, node = parse(text, file)
    try:
        return Participant.model_validate(data)
    except ValidationError as exc:
        raise InputError(located(exc, data, node, file)) from None


# --- series files ------------------------------------------------------------------------------
def _mappings(data: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Mapping[str, Any]]]:
    """Every mapping in a raw document, with where it is."""
    if isinstance(data, Mapping):
        yield loc, data
        for key, value in data.items():
            yield from _mappings(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _mappings(value, (*loc, i))


def _file_refs(data: Any) -> list[tuple[Loc, str, str]]:
    """(loc, file, column) of every ``{file: ..., column: ...}`` mapping in a raw document."""
    return [
        (loc, m["file"], m["column"])
        for loc, m in _mappings(data)
        if isinstance(m.get("file"), str) and isinstance(m.get("column"), str)
    ]


def _read_series_files(
    data: Any,
    base: Path,
    file: str | None,
    node: yaml.Node | None,
    texts: Mapping[str, str] | None = None,
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """The CSV tables the document refers to, and every problem with them (not raised: the
    document's own problems are found with the tables that could be read, and told with these).
    """
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for loc, name, column in _file_refs(data):
        shown = str(base / name) if texts is None else name
        if name not in tables:
            if Path(name).is_absolute() or ".." in Path(name).parts:
                problems.append(
                    problem_at("a path inside the cluster's folder", repr(name), (*loc, "file"),
                               node, file)
                )  # fmt: skip
                continue
            try:
                text = texts[name] if texts is not None else (base / name).read_text("utf-8")
                tables[name] = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            except (OSError, KeyError, UnicodeDecodeError, pd.errors.ParserError) as exc:
                reason = (
                    "no such file" if isinstance(exc, FileNotFoundError | KeyError) else str(exc)
                )
                problems.append(
                    problem_at("a readable CSV file", f"{name!r}: {reason}", (*loc, "file"),
                               node, file)
                )  # fmt: skip
                continue
        table = tables[name]
        if column not in table.columns:
            expected = f"a column of {name} ({', '.join(map(repr, table.columns))})"
            problems.append(problem_at(expected, repr(column), (*loc, "column"), node, file))
            continue
        numbers = pd.to_numeric(table[column], errors="coerce")
        bad = np.flatnonzero(~np.isfinite(numbers.to_numpy(dtype=float)))
        if len(bad):
            row = int(bad[0])
            problems.append(
                Problem(
                    f"a finite number in column {column!r}",
                    repr(table[column].iloc[row]),
                    render_path(loc),
                    shown,
                    row + 2,
                    list(table.columns).index(column) + 1,
                )
            )
    return tables, problems


def _weather_refs(data: Any) -> list[tuple[Loc, str, str]]:
    """(loc, file, format) of every ``{file: ..., format: epw | tmy3 | pvgis}`` mapping."""
    return [
        (loc, m["file"], str(m["format"]))
        for loc, m in _mappings(data)
        if isinstance(m.get("file"), str) and m.get("format") in FORMATS and "column" not in m
    ]


def _read_weather_files(
    data: Any,
    base: Path,
    file: str | None,
    node: yaml.Node | None,
    texts: Mapping[str, str] | None = None,
) -> tuple[dict[tuple[str, str], Weather], list[Problem]]:
    """The weather years the document refers to, read with pvlib, and every problem with them
    (located at the mapping's ``file``, not raised, as for the CSV series)."""
    years: dict[tuple[str, str], Weather] = {}
    problems: list[Problem] = []
    for loc, name, fmt in _weather_refs(data):
        if (name, fmt) in years:
            continue
        if Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(problem_at("a path inside the cluster's folder", repr(name),
                                       (*loc, "file"), node, file))  # fmt: skip
            continue
        try:
            if texts is not None:
                text = texts[name]
            else:
                path = base / name
                if path.stat().st_size > MAX_WEATHER_CHARS:
                    raise ValueError(f"at most {MAX_WEATHER_CHARS:,} bytes")
                text = path.read_text("utf-8")
            years[(name, fmt)] = read_weather(text, fmt)  # type: ignore[arg-type]
        except (OSError, KeyError, UnicodeDecodeError, ValueError) as exc:
            reason = "no such file" if isinstance(exc, FileNotFoundError | KeyError) else str(exc)
            expected = f"a readable {fmt.upper()} weather file"
            problems.append(problem_at(expected, f"{name!r}: {reason}", (*loc, "file"), node, file))
    return years, problems


# --- public API ---------------------------------------------------------------------------------
def loads(
    text: str,
    *,
    file: str | None = None,
    base_dir: str | os.PathLike[str] | None = None,
    files: Mapping[str, str] | None = None,
) -> Cluster:
    """A cluster from YAML or JSON text; CSV series come from ``base_dir`` or from ``files``
    (relative name -> CSV text, as stored in the database)."""
    data, node = parse(text, file)
    if not isinstance(data, Mapping):
        raise InputError(
            [
                Problem(
                    "a mapping of cluster fields (name, horizon, participants, ...)",
                    type(data).__name__ if data is not None else "an empty document",
                    file=file,
                    line=1,
                    column=1,
                )
            ]
        )
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    tables, problems = _read_series_files(data, base, file, node, files)
    years, weather_problems = _read_weather_files(data, base, file, node, files)
    return validate_document(
        data,
        file=file,
        node=node,
        files=tables,
        weather=years,
        earlier=[*problems, *weather_problems],
    )


def read_cluster(path: str | os.PathLike[str]) -> Cluster:
    """Load and validate a cluster file (YAML or JSON) and the CSV files it refers to."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            [Problem("an existing cluster file", "no such file", file=str(path))]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem("a readable UTF-8 file", str(exc), file=str(path))]) from None
    return loads(text, file=str(path), base_dir=path.parent)


def write_cluster(cluster: Cluster, path: str | os.PathLike[str]) -> list[Path]:
    """Write the cluster file (YAML, or JSON by suffix) and every CSV it refers to; each file is
    written whole or not at all. Returns the paths written."""
    path = Path(path)
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    written = []
    for name, text in series_files(cluster).items():
        written.append(_atomic_write(path.parent / name, text))
    written.append(_atomic_write(path, dumps(cluster, fmt=fmt)))
    return written


def _atomic_write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
