"""A parsed cluster document validated, every problem located: field path, line and column.

Why apart from ``io``: mapping pydantic's errors back onto the document (its field paths without
union tags, the line and column of each, the problems the field errors hid) is the heart of
"errors name their place", and it holds for a document from anywhere: a file, an upload, the
database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from clusterhub.errors import InputError, Problem
from clusterhub.model.checks import Issue, Loc, render_path
from clusterhub.model.cluster import Cluster
from clusterhub.model.errors import describe
from clusterhub.model.salvage import held_back
from clusterhub.model.weather import Weather

__all__ = ["located", "position", "problem_at", "validate_document"]


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


def position(loc: Loc, node: yaml.Node | None) -> tuple[int | None, int | None]:
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


def problem_at(
    expected: str, found: str | None, loc: Loc, node: yaml.Node | None, file: str | None
) -> Problem:
    """A problem at ``loc`` of the document: its field path, and its line and column in
    ``file`` when the document came with its node tree."""
    line, column = position(loc, node)
    return Problem(expected, found, render_path(loc), file, line, column)


def validate_document(
    data: Any,
    *,
    file: str | None = None,
    node: yaml.Node | None = None,
    files: Mapping[str, pd.DataFrame] | None = None,
    weather: Mapping[tuple[str, str], Weather] | None = None,
    earlier: Sequence[Problem] = (),
) -> Cluster:
    """Validate a parsed cluster document; every problem located, all at once.

    ``files`` holds the CSV tables its file series refer to, read beforehand by the caller.
    ``earlier`` are problems the caller found already (its series files): raised with these.
    """
    context = {"series_files": files or {}, "weather_files": weather or {}}
    try:
        cluster = Cluster.model_validate(data, context=context)
    except ValidationError as exc:
        problems = [*earlier, *located(exc, data, node, file)]
        errors = exc.errors(include_url=False)
        if isinstance(data, Mapping) and all(e["type"] != "cluster_references" for e in errors):
            locs = [_strip_tags(tuple(e["loc"]), data) for e in errors]
            for issue in held_back(data, locs, context):  # what the field errors hid
                problems.append(problem_at(issue.expected, issue.found, issue.loc, node, file))
        raise InputError(problems) from None
    if earlier:
        raise InputError(list(earlier))
    return cluster


def located(
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
                problems.append(problem_at(issue.expected, issue.found, issue.loc, node, file))
            continue
        if "field" in ctx:  # a model's rule naming one of its fields, maybe behind a union tag
            loc = _strip_tags((*error["loc"], ctx["field"]), data)
        else:
            loc = _strip_tags(tuple(error["loc"]), data)
            if error["type"] == "union_tag_invalid" and "discriminator" in ctx:
                loc = (*loc, str(ctx["discriminator"]).strip("'"))
        problems.append(problem_at(*describe(error), loc, node, file))
    return problems
