"""The roles the migrations create belong to the PostgreSQL server, not to one database: two
databases migrating at once (the test workers, or two deployments on one server) must both
succeed, whichever of them creates the role first."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from clusterhub.storage import make_engine
from clusterhub.storage.migrate import alembic_config

pytestmark = pytest.mark.postgres


@pytest.fixture
def role(postgres_url: str) -> Iterator[str]:
    """A role name no one uses; the role is dropped afterwards, whoever made it."""
    name = f"clusterhub_test_{secrets.token_hex(5)}"
    yield name
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
    engine.dispose()


def _waits_for_a_lock(engine: sa.Engine, pid: int) -> bool:
    with engine.connect() as connection:
        query = "SELECT count(*) FROM pg_locks WHERE pid = %(pid)s AND NOT granted"
        return bool(connection.exec_driver_sql(query, {"pid": pid}).scalar())


@pytest.mark.parametrize("revision", ["0003", "0005"])
def test_two_databases_creating_one_role_at_once_both_succeed(
    postgres_url: str, role: str, revision: str
) -> None:
    migration = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    assert migration is not None
    statements = migration.module.server_role(role, "NOLOGIN")
    first = make_engine(postgres_url)
    other = make_engine(sa.make_url(postgres_url).set(database="postgres"))
    outcome: list[str] = []

    def second_migration(pid: list[int]) -> None:
        try:
            with other.begin() as connection:
                pid.append(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                for statement in statements:
                    connection.exec_driver_sql(statement)
            outcome.append("committed")
        except sa.exc.DBAPIError as exc:
            outcome.append(str(exc.orig).splitlines()[0])

    try:
        with first.begin() as connection:  # the first migration made the role, not committed
            for statement in statements:
                connection.exec_driver_sql(statement)
            pid: list[int] = []
            second = threading.Thread(target=second_migration, args=(pid,))
            second.start()
            deadline = time.monotonic() + 30
            while not (pid and _waits_for_a_lock(first, pid[0])):  # it waits for the first
                assert second.is_alive(), outcome  # it may not finish before the first did
                assert time.monotonic() < deadline, "the second migration never waited"
                time.sleep(0.02)
        second.join(timeout=30)
        assert outcome == ["committed"]
        with first.connect() as connection:
            member = "SELECT pg_has_role(CURRENT_USER, %(role)s, 'MEMBER')"
            assert connection.exec_driver_sql(member, {"role": role}).scalar() is True
    finally:
        first.dispose()
        other.dispose()
