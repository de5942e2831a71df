"""Where the database is and how to open it.

Why one place: the CLI, the API and the tests must agree on the same default file and on the same
connection settings (SQLite only enforces foreign keys when asked, on every connection).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from clusterhub.errors import StorageError

__all__ = ["ENV_HOME", "ENV_URL", "data_dir", "database_url", "make_engine", "safe_url"]

ENV_URL = "CLUSTERHUB_DATABASE_URL"
ENV_HOME = "CLUSTERHUB_HOME"

#: Plain PostgreSQL schemes people paste from their provider, mapped to the driver we ship.
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def data_dir() -> Path:
    """The clusterhub home: ``$CLUSTERHUB_HOME``, else the user's data folder (not created)."""
    home = os.environ.get(ENV_HOME)
    if home:
        return Path(home).expanduser()
    return Path.home() / ".local" / "share" / "clusterhub"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit``, else ``$CLUSTERHUB_DATABASE_URL``, else a SQLite file in the
    user's data folder (created), so that a laptop needs no server at all."""
    url = explicit or os.environ.get(ENV_URL) or None
    if url is None:
        folder = data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"{folder}: cannot create the data folder: {exc}") from None
        return f"sqlite:///{(folder / 'clusterhub.db').resolve()}"
    for scheme in _POSTGRES_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def safe_url(url: str | sa.URL) -> str:
    """The URL with its password masked, fit for error messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str) -> sa.Engine:
    """An engine for ``url``; on SQLite every connection enforces foreign keys."""
    try:
        engine = sa.create_engine(url)
    except ArgumentError as exc:
        raise StorageError(f"{safe_url(url)}: expected a database URL, got: {exc}") from None
    except (NoSuchModuleError, ImportError) as exc:
        hint = " (install clusterhub[postgres])" if url.startswith("postgresql") else ""
        raise StorageError(f"{safe_url(url)}: no database driver{hint}: {exc}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine
