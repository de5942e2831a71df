"""The arguments and options many commands share, declared once so that ``FILE``, ``--json``,
``--url`` and ``--as`` read and behave the same in every command that takes them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["FileArgument", "JsonOption", "UrlOption", "UserOption"]

FileArgument = Annotated[
    str, typer.Argument(help="a cluster file (YAML or JSON), or the name of a bundled example")
]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="write the machine-readable result to PATH")
]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="database URL (default: $CLUSTERHUB_DATABASE_URL or SQLite)"),
]
UserOption = Annotated[str, typer.Option("--as", help="the tenant user acting (e.g. acme-admin)")]
