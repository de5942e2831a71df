"""Storage of clusters in SQLite or PostgreSQL: SQLAlchemy rows, repositories, Alembic migrations.

Why a small function API over sessions: the CLI and the service call one function per use case and
need not know about sessions, transactions or which database is behind the URL.
"""

from clusterhub.storage.migrate import current_revision, head_revision, upgrade
from clusterhub.storage.repository import (
    ClusterVersion,
    import_cluster,
    list_clusters,
    list_versions,
    load_version,
)
from clusterhub.storage.url import database_url, make_engine

__all__ = [
    "ClusterVersion",
    "current_revision",
    "database_url",
    "head_revision",
    "import_cluster",
    "list_clusters",
    "list_versions",
    "load_version",
    "make_engine",
    "upgrade",
]
