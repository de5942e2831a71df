"""Importing clusters as immutable, numbered versions and reading them back.

Why versions and hashes: a cluster council must be able to say which description a past
calculation used; so nothing is ever overwritten, and re-importing an unchanged file must not
invent a new version that differs only in its number.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.errors import InputError, NotFound, StorageError
from clusterhub.model.cluster import Cluster
from clusterhub.model.io import dumps, loads, series_files
from clusterhub.storage.migrate import require_head, storage_error
from clusterhub.storage.rows import ClusterRow, ClusterVersionRow
from clusterhub.storage.url import make_engine

__all__ = [
    "ClusterVersion",
    "import_cluster",
    "list_clusters",
    "list_versions",
    "load_version",
    "slugify",
]

#: A database URL, or an engine the caller keeps (and disposes of) itself.
Database = str | sa.Engine

#: Keys appear in URLs and file names: the model's id alphabet, without ':'.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class ClusterVersion:
    """What is known about one stored version without loading its document."""

    key: str
    version: int
    name: str
    created_at: datetime
    sha256: str
    source: str
    participants: int
    is_new: bool = False


def slugify(name: str) -> str:
    """A key from a cluster's name, fit for URLs: ``"Port of Rotterdam (2024)"`` becomes
    ``"port-of-rotterdam-2024"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].rstrip("-")


def _check_key(key: str, *, derived: bool) -> str:
    if KEY_PATTERN.match(key):
        return key
    expected = "a key of letters, digits, '-', '_' or '.' (at most 64, starting alphanumeric)"
    if derived:
        expected += "; the cluster's name gives none, so pass one"
    raise InputError.single(expected, repr(key), path="key")


def _digest(document: str, files: dict[str, str]) -> str:
    """One hash over the document and every file, unambiguous about where each part ends."""
    payload = json.dumps({"document": document, "files": files}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _summary(key: str, row: ClusterVersionRow, *, is_new: bool = False) -> ClusterVersion:
    return ClusterVersion(
        key=key,
        version=row.version,
        name=row.name,
        created_at=row.created_at,
        sha256=row.sha256,
        source=row.source,
        participants=row.participants,
        is_new=is_new,
    )


@contextmanager
def _session(database: Database) -> Iterator[Session]:
    """A session on a schema at head; driver failures become StorageError."""
    engine = make_engine(database) if isinstance(database, str) else database
    try:
        with Session(engine) as session:
            require_head(session.connection())
            yield session
    except sa.exc.IntegrityError:
        raise  # import_cluster retries these
    except sa.exc.DBAPIError as exc:
        raise storage_error(engine.url, exc) from None
    finally:
        if isinstance(database, str):
            engine.dispose()


def _cluster_row(session: Session, key: str) -> ClusterRow | None:
    return session.scalars(sa.select(ClusterRow).where(ClusterRow.key == key)).one_or_none()


def _latest(session: Session, cluster_id: int) -> ClusterVersionRow | None:
    return session.scalars(
        sa.select(ClusterVersionRow)
        .where(ClusterVersionRow.cluster_id == cluster_id)
        .order_by(ClusterVersionRow.version.desc())
        .limit(1)
    ).one_or_none()


def _latest_versions(session: Session, *, digest: str | None = None) -> list[ClusterVersion]:
    """The latest version of every stored cluster, by key; with ``digest``, the first of those
    holding exactly that content: what listing the clusters and finding content stored under
    another key both read."""
    newest = (
        sa.select(
            ClusterVersionRow.cluster_id, sa.func.max(ClusterVersionRow.version).label("version")
        )
        .group_by(ClusterVersionRow.cluster_id)
        .subquery()
    )
    query = (
        sa.select(ClusterRow.key, ClusterVersionRow)
        .join(ClusterVersionRow, ClusterVersionRow.cluster_id == ClusterRow.id)
        .join(
            newest,
            (newest.c.cluster_id == ClusterVersionRow.cluster_id)
            & (newest.c.version == ClusterVersionRow.version),
        )
        .order_by(ClusterRow.key)
    )
    if digest is not None:
        query = query.where(ClusterVersionRow.sha256 == digest).limit(1)
    return [_summary(key, row) for key, row in session.execute(query)]


def _stored_as(session: Session, digest: str) -> ClusterVersion | None:
    """The latest version of another key holding exactly this content, if one does: content
    stored once under one key, whichever command (``demo``, ``import``) stored it first."""
    found = _latest_versions(session, digest=digest)
    return found[0] if found else None


def _import_once(
    database: Database,
    key: str,
    cluster: Cluster,
    document: str,
    files: dict[str, str],
    *,
    digest: str,
    source: str,
    derived: bool,
) -> ClusterVersion:
    with _session(database) as session:
        now = datetime.now(UTC)
        cluster_row = _cluster_row(session, key)
        if cluster_row is None and derived and (same := _stored_as(session, digest)) is not None:
            return same
        latest = None
        if cluster_row is None:
            cluster_row = ClusterRow(key=key, created_at=now)
            session.add(cluster_row)
            session.flush()
        else:
            latest = _latest(session, cluster_row.id)
        if latest is not None and latest.sha256 == digest:
            return _summary(key, latest)
        row = ClusterVersionRow(
            cluster_id=cluster_row.id,
            version=1 if latest is None else latest.version + 1,
            name=cluster.name,
            created_at=now,
            sha256=digest,
            source=source,
            participants=len(cluster.participants),
            document=document,
            files=files,
        )
        session.add(row)
        session.flush()
        stored = _summary(key, row, is_new=True)
        session.commit()
        return stored


def import_cluster(
    url_or_engine: Database, cluster: Cluster, *, key: str | None = None, source: str = ""
) -> ClusterVersion:
    """Store ``cluster`` as the next version of ``key`` (default: a slug of its name), in one
    transaction; an unchanged cluster returns the latest version (``is_new=False``) instead.
    Without an explicit ``key``, content that is already the latest version of another key
    (stored by ``demo`` under an example's name, say) is that version, not a second copy.

    Two imports racing for the same key both pick the same next number; the unique constraint
    rejects one of them, which then retries once on the fresh state.
    """
    derived = key is None
    key = (
        _check_key(slugify(cluster.name), derived=True)
        if key is None
        else _check_key(key, derived=False)
    )
    document = dumps(cluster, fmt="json")
    files = series_files(cluster)
    digest = _digest(document, files)
    for attempt in (1, 2):
        try:
            return _import_once(
                url_or_engine,
                key,
                cluster,
                document,
                files,
                digest=digest,
                source=source,
                derived=derived,
            )
        except sa.exc.IntegrityError as exc:
            if attempt == 2:
                raise StorageError(
                    f"cluster {key!r}: another import of the same key kept winning the race; "
                    f"try again ({exc.orig})"
                ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def list_clusters(url_or_engine: Database) -> list[ClusterVersion]:
    """The latest version of every stored cluster, by key."""
    with _session(url_or_engine) as session:
        return _latest_versions(session)


def _require_cluster(session: Session, key: str) -> ClusterRow:
    cluster_row = _cluster_row(session, key)
    if cluster_row is None:
        raise NotFound(f"cluster {key!r}: expected a stored cluster key, found none")
    return cluster_row


def list_versions(url_or_engine: Database, key: str) -> list[ClusterVersion]:
    """Every version of ``key``, oldest first."""
    with _session(url_or_engine) as session:
        cluster_row = _require_cluster(session, key)
        rows = session.scalars(
            sa.select(ClusterVersionRow)
            .where(ClusterVersionRow.cluster_id == cluster_row.id)
            .order_by(ClusterVersionRow.version)
        )
        return [_summary(key, row) for row in rows]


def load_version(url_or_engine: Database, key: str, version: int | None = None) -> Cluster:
    """The cluster as imported in ``version`` of ``key`` (default: the latest)."""
    with _session(url_or_engine) as session:
        cluster_row = _require_cluster(session, key)
        if version is None:
            row = _latest(session, cluster_row.id)
        else:
            row = session.scalars(
                sa.select(ClusterVersionRow).where(
                    ClusterVersionRow.cluster_id == cluster_row.id,
                    ClusterVersionRow.version == version,
                )
            ).one_or_none()
        if row is None:
            latest = _latest(session, cluster_row.id)
            have = f"versions 1..{latest.version}" if latest is not None else "no versions"
            raise NotFound(f"cluster {key!r}: expected one of {have}, got version {version}")
        document, files = row.document, dict(row.files)
        shown = f"{key}@v{row.version}"
    return loads(document, file=shown, files=files)
