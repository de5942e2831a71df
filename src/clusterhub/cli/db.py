"""``clusterhub db``: the database schema, migrated with Alembic."""

from __future__ import annotations

from typing import Annotated

import typer

from clusterhub.cli.output import console, shown_url

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_(
    url: Annotated[str | None, typer.Option("--url", help="database URL")] = None,
) -> None:
    """Migrate the database to the latest schema (creates the SQLite file if needed)."""
    from clusterhub.storage import database_url, upgrade

    target = database_url(url)
    head = upgrade(target)
    console.print(f"database at revision {head}: {shown_url(target)}")
