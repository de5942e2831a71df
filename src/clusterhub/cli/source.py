"""Where a command's cluster comes from: a file, or a bundled example by name."""

from __future__ import annotations

from pathlib import Path

from clusterhub.cli.output import errors
from clusterhub.errors import InputError, Problem
from clusterhub.examples import EXAMPLES, load_example
from clusterhub.model import Cluster, read_cluster

#: Suffixes that make an argument a file even without a folder in it (``cluster.yaml``).
CLUSTER_SUFFIXES = (".yaml", ".yml", ".json")


def is_explicit_path(argument: str) -> bool:
    """A path written as one: with a folder separator (``./harbour``, ``a/b.yaml``) or a cluster
    file's suffix (``harbour.yaml``); a bare word such as ``harbour`` is not."""
    return "/" in argument or "\\" in argument or argument.lower().endswith(CLUSTER_SUFFIXES)


def cluster_from(file: str) -> Cluster:
    """The rule, the same for every command: an explicit path (``./harbour/harbour.yaml``,
    ``cluster.yaml``) is read as a file; a bare word that names a bundled example is that
    example, and when a file or folder of the same name exists too, a note on stderr says
    which one was taken and how to ask for the other (``./harbour``). A bare word that is no
    example is read as a file. Why not "a path wins": after ``examples export harbour
    ./harbour`` the folder ``./harbour`` would shadow the example and fail as "Is a
    directory", and what a command reads must not depend on the current folder unannounced."""
    path = Path(file)
    if not is_explicit_path(file) and file in EXAMPLES:
        if path.exists():
            other = (
                f"the folder ./{file} is not read (name a file in it, ./{file}/{file}.yaml)"
                if path.is_dir()
                else f"the file ./{file} is not read (write ./{file} to read it)"
            )
            errors.print(
                f"note: {file!r} is the bundled example {file}; {other}",
                highlight=False,
                soft_wrap=True,
            )
        return load_example(file)
    if path.exists():
        return read_cluster(path)
    known = ", ".join(EXAMPLES)
    raise InputError(
        [
            Problem(
                f"an existing cluster file or an example name ({known})", "no such file", file=file
            )
        ]
    )
