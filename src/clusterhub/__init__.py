"""clusterhub: digital collaboration for industrial clusters.

The public names below are pinned by a test; engines live under ``clusterhub.<capability>``.
"""

from clusterhub.errors import ClusterhubError, InputError, ModelError
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
