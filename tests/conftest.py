"""Suite-wide settings: hypothesis profiles, an isolated clusterhub home, fresh databases, free
ports, and the order in which pytest-xdist hands the tests to its workers.

Why per worker: ``scripts/test.sh`` runs the suite on every core (``pytest -n``). Each worker is
its own pytest session, so it already has its own PostgreSQL database (``postgres_url``) and
homes (``tmp_path``); the ports its servers listen on come from a block of its own
(``free_port``), and environment variables are set per test in the worker's own process.
"""

from __future__ import annotations

import os
import random
import secrets
import socket
from collections.abc import Callable, Iterator
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


@pytest.fixture(autouse=True, scope="session")
def _cheap_argon2() -> Iterator[None]:
    """Passwords and keys stay argon2id hashes in the tests, at the lowest cost argon2 allows
    (1 pass over 1 MiB instead of 3 over 64 MiB): the service hashes on every sign-in and every
    API-key request, and at the production cost those hashes were most of the suite's time.
    Only the in-process service is changed; the CLI's subprocesses hash at the real cost."""
    from argon2 import PasswordHasher

    from clusterhub.service import identity

    production = identity._HASHER  # the one knob, on purpose and only in tests
    identity._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    identity._HASHER = production


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


# --- ports -------------------------------------------------------------------------------------
#: Ports the tests' servers (brokers, SMTP) listen on: below Linux's ephemeral range (32768 and
#: up, where ``bind(0)`` and every outgoing connection take theirs, so a port found free cannot be
#: handed to a client before the server binds it), split into one block per xdist worker, so two
#: workers never pick the same port. Within a block the pick is random (other pytest sessions on
#: the machine use the same blocks) and checked free by binding it.
PORTS = range(20_000, 32_000)
_handed_out: set[int] = set()
_pick = random.Random()  # its own generator: hypothesis seeds the global one inside tests


def _block() -> range:
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    size = len(PORTS) // max(workers, 1)
    return range(PORTS.start + worker * size, PORTS.start + (worker + 1) * size)


def _free_port() -> int:
    block = _block()
    for _ in range(200):
        port = _pick.choice(block)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"ports {block.start}-{block.stop - 1}: expected a free one, found none")


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A function giving a port of 127.0.0.1 free now, never given before in this worker and
    never given to another worker of this run."""
    return _free_port


# --- order -------------------------------------------------------------------------------------
@pytest.hookimpl(trylast=True)  # after pytest grouped the tests by their fixtures' parameters
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, the slow tests first, longest first (``slow(seconds=...)``).

    Why: ``scripts/test.sh`` runs ``--dist loadgroup``, which hands the tests out one at a time
    in this order (a test without a group is a unit of its own). The two five-minute attack
    suites are then the first test of each worker, and the short tests fill in around the slow
    ones instead of one worker ending minutes after the other. Every worker sorts the same way,
    so their collections stay identical, as xdist requires."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def expected_seconds(item: pytest.Item) -> float:
        slow = item.get_closest_marker("slow")
        return 0.0 if slow is None else float(slow.kwargs.get("seconds", 20))

    items.sort(key=expected_seconds, reverse=True)  # stable: otherwise collection order
