"""clusterhub: digital collaboration for industrial clusters.

The public names below are pinned by a test; engines live under ``clusterhub.<capability>``.

Why the model's names are loaded on first use: every ``import clusterhub.<anything>`` runs this
file first, and the model pulls pandas and pint. ``clusterhub --help`` or ``import
clusterhub.errors`` should not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clusterhub.errors import ClusterhubError, InputError, ModelError

if TYPE_CHECKING:
    from clusterhub.model import Cluster, dumps, loads, read_cluster, write_cluster

    load_cluster = read_cluster

__all__ = [
    "Cluster",
    "ClusterhubError",
    "InputError",
    "ModelError",
    "__version__",
    "dumps",
    "load_cluster",
    "loads",
    "read_cluster",
    "write_cluster",
]

__version__ = "0.1.0"

_FROM_MODEL = {
    "Cluster": "Cluster",
    "dumps": "dumps",
    "load_cluster": "read_cluster",
    "loads": "loads",
    "read_cluster": "read_cluster",
    "write_cluster": "write_cluster",
}


def __getattr__(name: str) -> Any:
    if name not in _FROM_MODEL:
        raise AttributeError(f"module 'clusterhub' has no attribute {name!r}")
    from clusterhub import model

    value = getattr(model, _FROM_MODEL[name])
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
