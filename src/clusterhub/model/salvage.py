"""The whole-cluster checks of a document whose records did not all validate.

Why: pydantic runs a model's after-validators only when every field below it is valid, so one
negative capacity would hide every broken reference elsewhere in the file until it is fixed.
Setting the broken records aside (the innermost list item holding each field error) and
validating the rest names those problems too, in the same run. What could only be caused by the
set-aside records (a reference to one of their ids) is not reported: it is not independent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from clusterhub.model.checks import Issue
from clusterhub.model.cluster import Cluster

__all__ = ["held_back"]

Loc = tuple[str | int, ...]

#: Stand-ins for a broken top-level field: none of the cross-record rules reads them, except
#: the horizon's length, whose problems are dropped when the horizon is a stand-in.
_STAND_INS: dict[str, Any] = {
    "schema_version": 1,
    "name": "set aside",
    "description": "",
    "location": {"latitude": 0.0, "longitude": 0.0},
    "timezone": "UTC",
    "horizon": {"start": "2000-01-01T00:00", "resolution": "1h", "periods": 1},
    "carbon_price_eur_per_t": 0.0,
    "sources": [],
}


def held_back(
    data: Mapping[str, Any], error_locs: Iterable[Loc], context: dict[str, Any]
) -> list[Issue]:
    """Cross-record issues of ``data`` once the records at ``error_locs`` (tag-free field paths
    of its validation errors) are set aside; empty when nothing can be checked apart."""
    document = copy.deepcopy(dict(data))
    removed: dict[Loc, set[int]] = {}
    replaced: set[str] = set()
    for loc in error_locs:
        item = _record_of(document, loc)
        if item is not None:
            removed.setdefault(item[:-1], set()).add(int(item[-1]))
        elif loc and isinstance(loc[0], str) and loc[0] in _STAND_INS:
            replaced.add(loc[0])
        elif loc and isinstance(loc[0], str) and loc[0] not in Cluster.model_fields:
            replaced.add(loc[0])  # an unknown key: dropped below
        else:
            return []  # a whole list or a required part is broken: nothing stands apart
    removed = {p: r for p, r in removed.items() if not _inside_removed(p, removed)}
    gone = set(_ids(_at(document, path)[i] for path, rows in removed.items() for i in rows))
    gone |= {i for path in removed for i in _owners(document, path)}
    for key in replaced:
        if key in _STAND_INS:
            document[key] = copy.deepcopy(_STAND_INS[key])
        else:
            document.pop(key, None)
    for path in sorted(removed, key=len, reverse=True):  # inner lists first: outer paths hold
        rows = _at(document, path)
        for i in sorted(removed[path], reverse=True):
            del rows[i]
    try:
        Cluster.model_validate(document, context=context)
    except ValidationError as exc:
        issues = [
            issue
            for error in exc.errors(include_url=False)
            if error["type"] == "cluster_references"
            for issue in (error.get("ctx") or {})["problems"]
        ]
    else:
        return []
    original = {p: len(_at(data, p)) for p in removed}
    return [
        Issue(_original_loc(issue.loc, removed, original), issue.expected, issue.found)
        for issue in issues
        if not any(repr(i) in issue.found for i in gone)
        and not ({"horizon", "timezone"} & replaced and "the horizon's" in issue.expected)
    ]


def _at(document: Any, path: Loc) -> Any:
    for part in path:
        document = document[part]
    return document


def _record_of(document: Any, loc: Loc) -> Loc | None:
    """The path of the innermost record (a mapping in a list) on ``loc``, if any."""
    found: Loc | None = None
    node = document
    for depth, part in enumerate(loc):
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if isinstance(node[part], Mapping):
                found = loc[: depth + 1]
            node = node[part]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            break
    return found


def _owners(document: Any, path: Loc) -> Iterator[str]:
    """The ids of the records holding the list at ``path`` (a site's participant): a rule
    about the owner may fail only because one of its records is set aside."""
    node = document
    for part in path:
        node = node[part]
        if isinstance(node, Mapping) and isinstance(node.get("id"), str):
            yield node["id"]


def _inside_removed(path: Loc, removed: Mapping[Loc, set[int]]) -> bool:
    """Whether ``path`` lies inside a record that is set aside as a whole."""
    for outer, rows in removed.items():
        if len(outer) < len(path) and path[: len(outer)] == outer and path[len(outer)] in rows:
            return True
    return False


def _ids(nodes: Iterable[Any]) -> Iterator[str]:
    """Every id inside ``nodes``: the records they hold are set aside with them."""
    for node in nodes:
        if isinstance(node, Mapping):
            if isinstance(node.get("id"), str):
                yield node["id"]
            yield from _ids(node.values())
        elif isinstance(node, list):
            yield from _ids(node)


def _original_loc(
    loc: Sequence[str | int], removed: Mapping[Loc, set[int]], lengths: Mapping[Loc, int]
) -> Loc:
    """``loc`` in the pruned document, as it was in the file (rows before it counted back)."""
    out: list[str | int] = []
    for part in loc:
        prefix = tuple(out)
        if isinstance(part, int) and prefix in removed:
            kept = [i for i in range(lengths[prefix]) if i not in removed[prefix]]
            out.append(kept[part] if part < len(kept) else part)
        else:
            out.append(part)
    return tuple(out)
