"""Alembic environment: runs on the connection ``clusterhub.storage.migrate`` hands over.

Why also a URL path: developers create new revisions with the ``alembic`` command
(``alembic -c src/clusterhub/storage/alembic.ini revision --autogenerate -m ...``), which starts
from a URL (``-x url=...``, else clusterhub's usual database URL) rather than from a connection.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from clusterhub.storage.rows import Base
from clusterhub.storage.url import database_url, make_engine

target_metadata = Base.metadata


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that
        **kwargs,  # type: ignore[arg-type]
    )


def _run(connection: sa.Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    return database_url(context.get_x_argument(as_dictionary=True).get("url"))


if context.is_offline_mode():
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = context.config.attributes.get("connection")
    if isinstance(given, sa.Connection):
        _run(given)
    else:
        engine = make_engine(_url())
        try:
            with engine.begin() as connection:
                _run(connection)
        finally:
            engine.dispose()
