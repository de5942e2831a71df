"""Suite-wide settings: hypothesis profiles, an isolated clusterhub home, fresh databases."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True, scope="session")
def _audit_key() -> Iterator[None]:
    """One audit key for the whole session, set before any fixture writes to the chain (some
    build a database once per module, outside a test's own home): no test writes a key file
    into the user's real home. The tests of the key file itself unset it."""
    previous = os.environ.get("CLUSTERHUB_AUDIT_KEY")
    os.environ["CLUSTERHUB_AUDIT_KEY"] = secrets.token_hex(32)
    yield
    if previous is None:
        os.environ.pop("CLUSTERHUB_AUDIT_KEY", None)
    else:
        os.environ["CLUSTERHUB_AUDIT_KEY"] = previous


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Never let a test touch the user's real database or data folder."""
    home = tmp_path_factory.mktemp("clusterhub-home")
    previous = {k: os.environ.get(k) for k in ("CLUSTERHUB_HOME", "CLUSTERHUB_DATABASE_URL")}
    os.environ["CLUSTERHUB_HOME"] = str(home)
    os.environ.pop("CLUSTERHUB_DATABASE_URL", None)
    yield
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"


POSTGRES_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


# --- databases ---------------------------------------------------------------------------------
def _server_url() -> str:
    return os.environ.get("CLUSTERHUB_TEST_POSTGRES_URL") or POSTGRES_SERVER_URL


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the test server for this session, dropped at the end."""
    server = sa.make_url(_server_url())
    admin = sa.create_engine(
        server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"clusterhub_test_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        admin.dispose()
        shown = server.render_as_string(hide_password=True)
        message = (
            f"PostgreSQL at {shown} is unreachable ({str(exc.orig).strip()}); "
            "run `sudo scripts/ensure-postgres.sh` (or point CLUSTERHUB_TEST_POSTGRES_URL at a "
            "server), or set CLUSTERHUB_SKIP_POSTGRES=1 to skip the PostgreSQL tests"
        )
        if os.environ.get("CLUSTERHUB_SKIP_POSTGRES") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _reset_postgres(url: str) -> None:
    """Empty the session database, so each test starts from a database never migrated."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of an empty, never migrated database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'clusterhub.db'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def migrated(database: str) -> str:
    """URL of an empty database whose schema is at head."""
    from clusterhub.storage import upgrade

    upgrade(database)
    return database
