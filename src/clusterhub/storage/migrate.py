"""Alembic, driven from code: the schema is only ever created or changed by migrations.

Why programmatic: ``clusterhub db upgrade`` must work from an installed wheel, with no
``alembic.ini`` on disk and whatever database URL the user gave; and every repository call checks
that the schema is at head before touching a table, so an old database fails with a clear message
instead of half-working or having tables made behind the migrations' back.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from clusterhub.errors import StorageError
from clusterhub.storage.url import make_engine, safe_url

__all__ = [
    "alembic_config",
    "current_revision",
    "head_revision",
    "require_head",
    "storage_error",
    "upgrade",
]

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic configuration pointing at the bundled migrations; ``connection`` is handed to
    ``env.py``, which then runs on it instead of opening its own."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    """The revision a database must be at for this version of clusterhub."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise StorageError(f"{MIGRATIONS}: expected database migrations, found none")
    return head


def storage_error(url: str | sa.URL, exc: sa.exc.DBAPIError) -> StorageError:
    """A driver failure told in our words: which database, and what the driver said."""
    reason = str(exc.orig).strip() or type(exc.orig).__name__
    return StorageError(f"{safe_url(url)}: the database cannot serve the request: {reason}")


def upgrade(url: str) -> str:
    """Bring the schema at ``url`` to the newest revision in one transaction; returns it."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
    except sa.exc.DBAPIError as exc:
        raise storage_error(url, exc) from None
    finally:
        engine.dispose()
    return head_revision()


def _revision_of(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at; None when it was never migrated."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return _revision_of(connection)
    except sa.exc.DBAPIError as exc:
        raise storage_error(url, exc) from None
    finally:
        engine.dispose()


def require_head(connection: sa.Connection) -> None:
    """Refuse to work on a schema other than the one this code was written for."""
    current = _revision_of(connection)
    head = head_revision()
    if current != head:
        found = "no clusterhub schema" if current is None else f"schema revision {current}"
        raise StorageError(
            f"{safe_url(connection.engine.url)}: expected database schema revision {head}, "
            f"found {found}; run `clusterhub db upgrade` first"
        )
