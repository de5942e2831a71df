"""Where a command's cluster comes from: a file, or a bundled example by name."""

from __future__ import annotations

from pathlib import Path

from clusterhub.errors import InputError, Problem
from clusterhub.examples import EXAMPLES, load_example
from clusterhub.model import Cluster, read_cluster


def cluster_from(file: str) -> Cluster:
    """A path wins over an example of the same name, so a local file is never shadowed."""
    path = Path(file)
    if path.exists():
        return read_cluster(path)
    if file in EXAMPLES:
        return load_example(file)
    known = ", ".join(EXAMPLES)
    raise InputError(
        [
            Problem(
                f"an existing cluster file or an example name ({known})", "no such file", file=file
            )
        ]
    )
