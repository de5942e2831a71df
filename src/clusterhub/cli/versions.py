"""``clusterhub versions``: the cluster descriptions stored in the database, by key.

Why a command of its own: ``import`` and ``demo`` store versions, and a council asked "which
description did that calculation use?" must be able to list them without writing SQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli.output import console, shown_url, write_json

if TYPE_CHECKING:
    from clusterhub.storage import ClusterVersion

__all__ = ["versions"]


def versions(
    key: Annotated[
        str | None, typer.Argument(help="a stored cluster's key: its every version")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="database URL (default: $CLUSTERHUB_DATABASE_URL or SQLite)"),
    ] = None,
    json: Annotated[
        Path | None, typer.Option("--json", help="write the machine-readable result to PATH")
    ] = None,
) -> None:
    """Stored cluster versions: the latest of every key, or every version of KEY (oldest
    first), each with its time, source, size and content hash."""
    from clusterhub.storage import database_url, list_clusters, list_versions

    target = database_url(url)
    found = list_clusters(target) if key is None else list_versions(target, key)
    for stored in found:  # one line each, whole however narrow the terminal
        console.print(
            f"{stored.key} v{stored.version}  {stored.created_at:%Y-%m-%d %H:%M}  sha256 "
            f"{stored.sha256[:12]}  {stored.participants} participants  from {stored.source}",
            highlight=False,
            soft_wrap=True,
        )
    if not found:
        console.print(f"no cluster stored yet in {shown_url(target)} (clusterhub import FILE)")
    write_json(json, [_payload(stored) for stored in found])


def _payload(stored: ClusterVersion) -> dict[str, object]:
    return {
        "key": stored.key,
        "version": stored.version,
        "name": stored.name,
        "created_at": stored.created_at.isoformat(),
        "sha256": stored.sha256,
        "source": stored.source,
        "participants": stored.participants,
    }
