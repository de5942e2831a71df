from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from clusterhub.errors import InputError, NotFound, StorageError
from clusterhub.model import Cluster, FileSeries
from clusterhub.model.io import dumps, series_files
from clusterhub.storage import (
    import_cluster,
    list_clusters,
    list_versions,
    load_version,
    make_engine,
    repository,
)


def _same(a: Cluster, b: Cluster) -> bool:
    """Equal as documents and as files: ``==`` cannot compare clusters holding file series (the
    loaded numpy arrays make pydantic's comparison ambiguous)."""
    return dumps(a, fmt="json") == dumps(b, fmt="json") and series_files(a) == series_files(b)


def test_import_then_load_round_trips(migrated: str, cluster: Cluster) -> None:
    stored = import_cluster(migrated, cluster, source="harbour.yaml")
    assert (stored.key, stored.version, stored.is_new) == ("test-harbour", 1, True)
    assert (stored.name, stored.participants, stored.source) == ("Test Harbour", 2, "harbour.yaml")
    assert stored.created_at.utcoffset() is not None
    assert len(stored.sha256) == 64
    assert load_version(migrated, "test-harbour") == cluster


def test_a_cluster_with_csv_series_round_trips(migrated: str, file_cluster: Cluster) -> None:
    import_cluster(migrated, file_cluster)
    loaded = load_version(migrated, "file-harbour", 1)
    assert _same(loaded, file_cluster)
    load = loaded.participants[0].assets[0].profile_mw  # type: ignore[union-attr]
    assert isinstance(load, FileSeries)
    assert load.values is not None
    np.testing.assert_array_equal(load.values, [1.5, 2, 2.25, 3.125])
    price = loaded.carriers[0].price_eur_per_unit
    assert isinstance(price, FileSeries)
    np.testing.assert_array_equal(loaded.values(price), [81.25, 79.5, -3.75, 0.1])


def test_identical_content_makes_no_new_version(migrated: str, cluster: Cluster) -> None:
    first = import_cluster(migrated, cluster)
    again = import_cluster(migrated, cluster, source="other.yaml")
    assert not again.is_new
    assert (again.version, again.sha256, again.created_at) == (
        first.version,
        first.sha256,
        first.created_at,
    )
    assert [v.version for v in list_versions(migrated, "test-harbour")] == [1]


def test_changed_content_is_a_new_version_and_the_old_one_stays(
    migrated: str, cluster: Cluster, changed_cluster: Cluster
) -> None:
    first = import_cluster(migrated, cluster)
    second = import_cluster(migrated, changed_cluster)
    assert (second.version, second.is_new) == (2, True)
    assert second.sha256 != first.sha256
    versions = list_versions(migrated, "test-harbour")
    assert [v.version for v in versions] == [1, 2]
    assert versions[0] == first.__class__(**{**first.__dict__, "is_new": False})
    assert load_version(migrated, "test-harbour", 1) == cluster
    assert load_version(migrated, "test-harbour", 2) == changed_cluster
    assert load_version(migrated, "test-harbour") == changed_cluster
    # going back to the first content is a change too: history is never rewritten
    third = import_cluster(migrated, cluster)
    assert (third.version, third.sha256) == (3, first.sha256)


def test_explicit_key(migrated: str, cluster: Cluster) -> None:
    stored = import_cluster(migrated, cluster, key="harbour-2024")
    assert stored.key == "harbour-2024"
    assert load_version(migrated, "harbour-2024") == cluster


@pytest.mark.parametrize("key", ["", "has space", "-leading", "x" * 65, "a/b"])
def test_a_bad_key_is_an_input_error(migrated: str, cluster: Cluster, key: str) -> None:
    with pytest.raises(InputError, match="key: expected a key of letters"):
        import_cluster(migrated, cluster, key=key)


def test_a_name_without_letters_needs_a_key(migrated: str, cluster: Cluster) -> None:
    nameless = cluster.model_copy(update={"name": "東京"})
    with pytest.raises(InputError, match="pass one"):
        import_cluster(migrated, nameless)


def test_import_before_upgrade_refuses_and_writes_nothing(database: str, cluster: Cluster) -> None:
    with pytest.raises(StorageError, match="run `clusterhub db upgrade`"):
        import_cluster(database, cluster)
    engine = make_engine(database)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "call",
    [
        list_clusters,
        lambda url: list_versions(url, "test-harbour"),
        lambda url: load_version(url, "test-harbour"),
    ],
)
def test_reads_before_upgrade_name_the_command(database: str, call: Callable[[str], Any]) -> None:
    with pytest.raises(StorageError, match="run `clusterhub db upgrade`"):
        call(database)


def test_list_clusters_gives_the_latest_of_each_key(
    migrated: str, cluster: Cluster, changed_cluster: Cluster, file_cluster: Cluster
) -> None:
    assert list_clusters(migrated) == []
    import_cluster(migrated, cluster)
    import_cluster(migrated, file_cluster)
    import_cluster(migrated, changed_cluster)
    listed = list_clusters(migrated)
    assert [(c.key, c.version, c.name) for c in listed] == [
        ("file-harbour", 1, "File Harbour"),
        ("test-harbour", 2, "Test Harbour"),
    ]
    assert not any(c.is_new for c in listed)


def test_unknown_key_or_version_is_not_found(migrated: str, cluster: Cluster) -> None:
    with pytest.raises(NotFound, match="'nowhere'"):
        list_versions(migrated, "nowhere")
    with pytest.raises(NotFound, match="'nowhere'"):
        load_version(migrated, "nowhere")
    import_cluster(migrated, cluster)
    with pytest.raises(NotFound, match=r"expected one of versions 1\.\.1, got version 7"):
        load_version(migrated, "test-harbour", 7)


def test_an_engine_may_be_passed_instead_of_a_url(migrated: str, cluster: Cluster) -> None:
    engine = make_engine(migrated)
    try:
        assert import_cluster(engine, cluster).version == 1
        assert [c.key for c in list_clusters(engine)] == ["test-harbour"]
        assert load_version(engine, "test-harbour") == cluster
    finally:
        engine.dispose()


# --- racing imports -------------------------------------------------------------------------------
def _race(
    monkeypatch: pytest.MonkeyPatch, url: str, step: str, clusters: list[Cluster]
) -> tuple[list[Any], int]:
    """Run one import per cluster in threads that all pass ``step`` before any of them writes,
    so that they are bound to pick the same key row or version number; returns what each import
    gave and how many attempts they made together."""
    attempts = []
    import_once = repository._import_once

    def counted(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        return import_once(*args, **kwargs)

    monkeypatch.setattr(repository, "_import_once", counted)
    barrier = threading.Barrier(len(clusters), timeout=20)
    original = getattr(repository, step)
    waited: set[int] = set()

    def in_step(*args: Any) -> Any:
        result = original(*args)
        if threading.get_ident() not in waited:  # only the first attempt waits
            waited.add(threading.get_ident())
            barrier.wait()
        return result

    monkeypatch.setattr(repository, step, in_step)
    outcomes: list[Any] = [None] * len(clusters)

    def run(i: int) -> None:
        try:
            outcomes[i] = import_cluster(url, clusters[i], key="race")
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clusters))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    monkeypatch.setattr(repository, step, original)
    return outcomes, len(attempts)


def test_racing_imports_of_a_new_key_both_land(
    monkeypatch: pytest.MonkeyPatch, migrated: str, cluster: Cluster, changed_cluster: Cluster
) -> None:
    outcomes, attempts = _race(monkeypatch, migrated, "_cluster_row", [cluster, changed_cluster])
    assert attempts == 3  # the loser retried once
    assert sorted(o.version for o in outcomes) == [1, 2], outcomes
    assert [v.version for v in list_versions(migrated, "race")] == [1, 2]


def test_racing_imports_get_distinct_version_numbers(
    monkeypatch: pytest.MonkeyPatch,
    migrated: str,
    cluster: Cluster,
    changed_cluster: Cluster,
    file_cluster: Cluster,
) -> None:
    import_cluster(migrated, cluster, key="race")
    outcomes, attempts = _race(monkeypatch, migrated, "_latest", [changed_cluster, file_cluster])
    assert attempts == 3
    assert sorted(o.version for o in outcomes) == [2, 3], outcomes
    stored = {v.version: v.name for v in list_versions(migrated, "race")}
    assert stored[1] == "Test Harbour"
    assert sorted(stored) == [1, 2, 3]


def test_racing_identical_imports_make_one_version(
    monkeypatch: pytest.MonkeyPatch, migrated: str, cluster: Cluster
) -> None:
    outcomes, attempts = _race(monkeypatch, migrated, "_cluster_row", [cluster, cluster])
    assert attempts == 3
    assert sorted((o.version, o.is_new) for o in outcomes) == [(1, False), (1, True)], outcomes
    assert [v.version for v in list_versions(migrated, "race")] == [1]
