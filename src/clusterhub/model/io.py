"""Reading and writing cluster files: the model's only contact with the file system.

Why the care with locations: the people who edit cluster files are energy and sustainability
managers, not programmers; an error must say which file, which line and column, which field, what
was expected and what was found, and must name all problems at once.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import ValidationError

from clusterhub.errors import InputError, Problem
from clusterhub.model.checks import Issue, iter_series, render_path
from clusterhub.model.cluster import Cluster, Participant
from clusterhub.model.errors import describe
from clusterhub.model.salvage import held_back
from clusterhub.model.series import FileSeries

__all__ = ["dumps", "loads", "read_cluster", "validate_document", "write_cluster"]

Loc = tuple[str | int, ...]


# --- YAML with positions ---------------------------------------------------------------------
#: Bounds of a document, whoever sent it: its length, its nesting, its aliases, and its nodes
#: counted as if every alias were written out. Why count the expansion: a few lines of aliases
#: of aliases ("billion laughs") compose quickly but make a tree whose every later walk never
#: ends; refused while composing, parse time stays linear in the length.
MAX_CHARS = 4_000_000
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_NODES = 1_000_000


class _Loader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys, reads only true/false as booleans and keeps within
    the bounds above.

    Why: YAML 1.1 turns the country code ``NO`` into ``False``; and a repeated key silently
    dropping the first value is exactly the kind of silent wrong answer the model forbids.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._nodes = 0
        self._sizes: dict[int, int] = {}  # id(node) -> its nodes with aliases written out

    def _refuse(self, expected: str, mark: yaml.Mark | None) -> None:
        raise yaml.composer.ComposerError(None, None, f"expected {expected}", mark)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._refuse(f"at most {MAX_DEPTH} levels of nesting", mark)
        first = self._nodes
        alias = self.check_event(yaml.AliasEvent)
        node = super().compose_node(parent, index)
        if alias:
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                self._refuse(f"at most {MAX_ALIASES} aliases", mark)
            if id(node) not in self._sizes:  # its anchor is still open: a cycle
                self._refuse("an alias of a finished node, not of one enclosing it", mark)
            self._nodes += self._sizes[id(node)]
        else:
            self._nodes += 1
            self._sizes[id(node)] = self._nodes - first
        if self._nodes > MAX_NODES:
            self._refuse(f"at most {MAX_NODES:,} values, aliases written out", mark)
        self._depth -= 1
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"expected each key once in a mapping, got {key!r} again",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 (core schema) scalars: JSON's "1e5" is a number; "NO" and "12:30" stay text.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regex)
        for tag, regex in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:int")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?"""
        r"""|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"""
    ),
    list("-+0123456789."),
)


def _parse(text: str, file: str | None) -> tuple[Any, yaml.Node | None]:
    if len(text) > MAX_CHARS:
        found = f"{len(text):,} characters"
        raise InputError([Problem(f"a document of at most {MAX_CHARS:,} characters", found,
                                  file=file)])  # fmt: skip
    if text.lstrip().startswith(("{", "[")):
        # JSON, read by the YAML parser for its positions; YAML refuses tabs between tokens,
        # JSON allows them and forbids them inside strings, so a space is an exact stand-in.
        text = text.replace("\t", " ")
    try:  # the reader checks the characters as it is created
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        found = str(exc).splitlines()[0] if str(exc) else "unreadable text"
        raise InputError([Problem("valid YAML or JSON", found, file=file)]) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            [
                Problem(
                    expected=(exc.problem or "valid YAML or JSON").removeprefix("expected "),
                    found=None
                    if exc.problem and exc.problem.startswith("expected")
                    else "a syntax error",
                    file=file,
                    line=mark.line + 1 if mark else None,
                    column=mark.column + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem("valid YAML or JSON", str(exc), file=file)]) from None
    finally:
        loader.dispose()
    return data, node


def _strip_tags(loc: Loc, data: Any) -> Loc:
    """Drop the discriminator tags pydantic adds to error locations, keeping real keys."""
    kept: list[str | int] = []
    for i, part in enumerate(loc):
        if isinstance(data, Mapping):
            if part in data:
                kept.append(part)
                data = data[part]
            elif i == len(loc) - 1:
                kept.append(part)  # a missing field: it is named although absent
            # else: a union tag, not a key
        elif isinstance(data, list | tuple) and isinstance(part, int) and 0 <= part < len(data):
            kept.append(part)
            data = data[part]
        elif isinstance(part, int) or i == len(loc) - 1:
            kept.append(part)
            data = None
    return tuple(kept)


def _mark(loc: Loc, node: yaml.Node | None) -> tuple[int | None, int | None]:
    """Line and column (1-based) of the deepest node of ``loc`` that exists."""
    if node is None:
        return None, None
    best = node.start_mark
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == part:
                    best, node = key_node.start_mark, value_node
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            best = node.start_mark
        else:
            break
    return best.line + 1, best.column + 1


def validate_document(
    data: Any,
    *,
    file: str | None = None,
    node: yaml.Node | None = None,
    files: Mapping[str, pd.DataFrame] | None = None,
    earlier: Sequence[Problem] = (),
) -> Cluster:
    """Validate a parsed cluster document; every problem located, all at once.

    ``files`` holds the CSV tables its file series refer to, read beforehand by the caller.
    ``earlier`` are problems the caller found already (its series files): raised with these.
    """
    context = {"series_files": files or {}}
    try:
        cluster = Cluster.model_validate(data, context=context)
    except ValidationError as exc:
        problems = [*earlier, *_located(exc, data, node, file)]
        errors = exc.errors(include_url=False)
        if isinstance(data, Mapping) and all(e["type"] != "cluster_references" for e in errors):
            locs = [_strip_tags(tuple(e["loc"]), data) for e in errors]
            for issue in held_back(data, locs, context):  # what the field errors hid
                line, col = _mark(issue.loc, node)
                problems.append(Problem(issue.expected, issue.found, issue.path, file, line, col))
        raise InputError(problems) from None
    if earlier:
        raise InputError(list(earlier))
    return cluster


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
    data, node = _parse(text, file)
    try:
        return Participant.model_validate(data)
    except ValidationError as exc:
        raise InputError(_located(exc, data, node, file)) from None


def _located(
    exc: ValidationError, data: Any, node: yaml.Node | None, file: str | None
) -> list[Problem]:
    """pydantic's errors as problems with their field path, line and column."""
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    for error in errors:
        ctx = error.get("ctx") or {}
        here = tuple(error["loc"])
        if error["type"] == "too_short" and any(
            len(other) > len(here) and other[: len(here)] == here for other in locs
        ):
            continue  # a list emptied by its own broken items: the items say why
        if error["type"] == "cluster_references":
            issues: list[Issue] = ctx["problems"]
            for issue in issues:
                line, column = _mark(issue.loc, node)
                problems.append(
                    Problem(issue.expected, issue.found, issue.path, file, line, column)
                )
            continue
        if "field" in ctx:  # a model's rule naming one of its fields, maybe behind a union tag
            loc = _strip_tags((*error["loc"], ctx["field"]), data)
        else:
            loc = _strip_tags(tuple(error["loc"]), data)
            if error["type"] == "union_tag_invalid" and "discriminator" in ctx:
                loc = (*loc, str(ctx["discriminator"]).strip("'"))
        expected, found = describe(error)
        line, column = _mark(loc, node)
        problems.append(Problem(expected, found, render_path(loc), file, line, column))
    return problems


# --- series files ------------------------------------------------------------------------------
def _file_refs(data: Any, loc: Loc = ()) -> list[tuple[Loc, str, str]]:
    """(loc, file, column) of every ``{file: ..., column: ...}`` mapping in a raw document."""
    refs: list[tuple[Loc, str, str]] = []
    if isinstance(data, Mapping):
        if isinstance(data.get("file"), str) and isinstance(data.get("column"), str):
            refs.append((loc, data["file"], data["column"]))
        for key, value in data.items():
            refs += _file_refs(value, (*loc, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            refs += _file_refs(value, (*loc, i))
    return refs


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
                line, col = _mark((*loc, "file"), node)
                problems.append(
                    Problem(
                        "a path inside the cluster's folder",
                        repr(name),
                        render_path((*loc, "file")),
                        file,
                        line,
                        col,
                    )
                )
                continue
            try:
                text = texts[name] if texts is not None else (base / name).read_text("utf-8")
                tables[name] = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
            except (OSError, KeyError, UnicodeDecodeError, pd.errors.ParserError) as exc:
                line, col = _mark((*loc, "file"), node)
                reason = (
                    "no such file" if isinstance(exc, FileNotFoundError | KeyError) else str(exc)
                )
                problems.append(
                    Problem(
                        "a readable CSV file",
                        f"{name!r}: {reason}",
                        render_path((*loc, "file")),
                        file,
                        line,
                        col,
                    )
                )
                continue
        table = tables[name]
        if column not in table.columns:
            line, col = _mark((*loc, "column"), node)
            problems.append(
                Problem(
                    f"a column of {name} ({', '.join(map(repr, table.columns))})",
                    repr(column),
                    render_path((*loc, "column")),
                    file,
                    line,
                    col,
                )
            )
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
    data, node = _parse(text, file)
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
    return validate_document(data, file=file, node=node, files=tables, earlier=problems)


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


def to_document(cluster: Cluster) -> dict[str, Any]:
    """The plain document of a cluster: defaults left out, so files stay short."""
    document: dict[str, Any] = cluster.model_dump(mode="json", exclude_defaults=True)
    for p, participant in enumerate(cluster.participants):
        for a, asset in enumerate(participant.assets):
            fields = document["participants"][p]["assets"][a]
            document["participants"][p]["assets"][a] = {"type": asset.type, **fields}
    return {"schema_version": cluster.schema_version, **document}


class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flow = bool(value) and all(isinstance(v, int | float | str) for v in value) and len(value) > 1
    flow = flow and all(not isinstance(v, str) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def dumps(cluster: Cluster, *, fmt: str = "yaml") -> str:
    """The cluster file's text; ``loads(dumps(c))`` equals ``c`` (file series need their files)."""
    document = to_document(cluster)
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def series_files(cluster: Cluster) -> dict[str, str]:
    """CSV text of every file the cluster's series refer to (one file may hold several columns)."""
    columns: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for _, series in iter_series(cluster):
        if isinstance(series, FileSeries) and series.values is not None:
            columns[series.file][series.column] = np.asarray(series.values)
    out = {}
    index = cluster.time_index
    for name, cols in sorted(columns.items()):
        table = pd.DataFrame({"time": index.map(lambda t: t.isoformat()), **cols})
        out[name] = table.to_csv(index=False, lineterminator="\n")
    return out


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
