"""The European List of Waste, bundled as package data (see ``data/README.md`` for its source)."""

from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

__all__ = ["ewc_codes"]


@lru_cache(maxsize=1)
def ewc_codes() -> dict[str, tuple[bool, str]]:
    """The European List of Waste (Decision 2000/532/EC as amended): code -> (hazardous,
    description), from the package data; empty when the list is not bundled."""
    try:
        text = resources.files("clusterhub.symbiosis").joinpath("data/ewc.csv").read_text("utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return {}
    rows = csv.DictReader(text.splitlines())
    return {r["code"]: (r["hazardous"] == "1", r["description"]) for r in rows}
