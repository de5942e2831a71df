"""Bundled example clusters: small files and seeded generators, the same on every machine.

Why bundled: a new user runs ``clusterhub demo`` and sees real-looking clusters at once, and every
engine's tests and benchmarks share the same realistic cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import import_module, resources

from clusterhub.errors import NotFound
from clusterhub.model import Cluster, loads

__all__ = ["EXAMPLES", "Example", "load_example", "load_packaged"]


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    description: str
    module: str

    def build(self) -> Cluster:
        builder: Callable[[], Cluster] = import_module(f"clusterhub.examples.{self.module}").build
        return builder()


EXAMPLES: dict[str, Example] = {
    example.name: example
    for example in (
        Example(
            "harbour",
            "Harbour energy cluster",
            "A port cluster like Rotterdam's Starlings pilot: six companies, two grid "
            "operators, a congested shared connection; one year hourly.",
            "harbour",
        ),
        Example(
            "energy-park",
            "Renewable energy park",
            "A renewable-heavy park like Ordos-Envision: 46 companies, storage and demand "
            "response; one year hourly.",
            "energy_park",
        ),
        Example(
            "kwinana",
            "Kwinana Industrial Area symbiosis registry",
            "54 companies and 150+ exchanges; the verified public exchanges form the "
            "backbone, the rest synthetic and tagged so.",
            "kwinana",
        ),
        Example(
            "kalundborg",
            "Kalundborg Symbiosis",
            "The Kalundborg exchanges with the year each began, 1961 onward.",
            "kalundborg",
        ),
    )
}


@cache
def load_example(name: str) -> Cluster:
    """The named example, built once per process (clusters are immutable)."""
    try:
        example = EXAMPLES[name]
    except KeyError:
        raise NotFound(f"no example named {name!r}; known: {', '.join(EXAMPLES)}") from None
    return example.build()


def load_packaged(folder: str, filename: str) -> Cluster:
    """Load a cluster file shipped under ``examples/data/<folder>/`` with the CSVs beside it."""
    root = resources.files("clusterhub.examples").joinpath("data", folder)
    files = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in root.iterdir()
        if entry.name.endswith(".csv")
    }
    text = root.joinpath(filename).read_text(encoding="utf-8")
    return loads(text, file=f"{folder}/{filename}", files=files)
