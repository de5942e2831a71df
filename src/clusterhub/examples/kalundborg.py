"""The Kalundborg Symbiosis: the documented exchanges D1–D20, each with the year it began.

Why a hand-written file and no generator: every record is a published fact (with its source and,
where sources disagree, every value in the description); nothing needs filling in, and a council
reading the example must be able to check each line against its citation.
"""

from __future__ import annotations

from clusterhub.examples import load_packaged
from clusterhub.model import Cluster

__all__ = ["build"]


def build() -> Cluster:
    """The Kalundborg cluster as documented; exchanges ordered by start year for replay."""
    return load_packaged("kalundborg", "kalundborg.yaml")
