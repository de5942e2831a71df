from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from clusterhub.errors import StorageError
from clusterhub.storage import current_revision, head_revision, make_engine, upgrade
from clusterhub.storage.migrate import alembic_config
from clusterhub.storage.rows import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_fresh_database_has_no_revision(database: str) -> None:
    assert current_revision(database) is None


def test_upgrade_brings_the_schema_to_head(database: str) -> None:
    assert upgrade(database) == head_revision()
    assert current_revision(database) == head_revision()
    assert {"clusters", "cluster_versions", "alembic_version"} <= _tables(database)


def test_upgrade_twice_changes_nothing(database: str) -> None:
    upgrade(database)
    assert upgrade(database) == head_revision()
    assert current_revision(database) == head_revision()


def test_migrations_build_exactly_the_orm_schema(migrated: str) -> None:
    engine = make_engine(migrated)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table(migrated: str) -> None:
    engine = make_engine(migrated)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
    finally:
        engine.dispose()
    assert _tables(migrated) <= {"alembic_version"}
    assert current_revision(migrated) is None


def test_an_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'folder' / 'clusterhub.db'}"
    with pytest.raises(StorageError, match="cannot serve the request"):
        upgrade(url)
    with pytest.raises(StorageError, match="cannot serve the request"):
        current_revision(url)
