from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from clusterhub.errors import StorageError
from clusterhub.storage import database_url, make_engine


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTERHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("CLUSTERHUB_HOME", raising=False)


def test_explicit_url_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", "sqlite:///env.db")
    assert database_url("sqlite:///given.db") == "sqlite:///given.db"


def test_environment_url_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERHUB_DATABASE_URL", "sqlite:///env.db")
    assert database_url() == "sqlite:///env.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@localhost/db", "postgresql+psycopg://u:p@localhost/db"),
        ("postgres://u@localhost:5433/db", "postgresql+psycopg://u@localhost:5433/db"),
        ("postgresql+psycopg://u@localhost/db", "postgresql+psycopg://u@localhost/db"),
    ],
)
def test_plain_postgres_urls_get_the_psycopg_driver(given: str, expected: str) -> None:
    assert database_url(given) == expected


def test_clusterhub_home_holds_the_default_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "hub" / "data"
    monkeypatch.setenv("CLUSTERHUB_HOME", str(home))
    assert database_url() == f"sqlite:///{home.resolve() / 'clusterhub.db'}"
    assert home.is_dir()


def test_default_file_is_in_the_users_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / ".local" / "share" / "clusterhub"
    assert database_url() == f"sqlite:///{folder.resolve() / 'clusterhub.db'}"
    assert folder.is_dir()


def test_sqlite_engine_enforces_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fk.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_a_malformed_url_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match="expected a database URL"):
        make_engine("not a url")


def test_engine_for_postgres_uses_psycopg() -> None:
    engine = make_engine(database_url("postgresql://postgres@127.0.0.1:5432/postgres"))
    assert isinstance(engine, sa.Engine)
    assert engine.dialect.driver == "psycopg"
    engine.dispose()
