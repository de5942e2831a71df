"""YAML and JSON text to a document and its node tree, within bounds, every error located.

Why apart from ``io``: parsing is about text, not files; the same reader serves files, uploads
and the database's copies, and its bounds (size, nesting, aliases) and its YAML 1.2 scalars are
one concern, reviewed on their own.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from clusterhub.errors import InputError, Problem

__all__ = ["MAX_ALIASES", "MAX_CHARS", "MAX_DEPTH", "MAX_NODES", "parse"]

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

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:  # noqa: N803 (PyYAML's name)
        """Refuse deep ``[``/``{`` nesting as it is read, not only as it is composed.

        Why: the scanner reads up to 1024 characters ahead while a simple key may still be
        pending, and every open bracket holds one, so a line of brackets cost a fifth of a second
        (a million key checks) before the composer saw its 65th level."""
        if self.flow_level >= MAX_DEPTH:
            self._refuse(f"at most {MAX_DEPTH} levels of nesting", self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

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


def parse(text: str, file: str | None) -> tuple[Any, yaml.Node | None]:
    """The parsed document and its root node (for positions); any error raised located."""
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
