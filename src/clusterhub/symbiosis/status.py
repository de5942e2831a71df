"""Whether a facility runs, from the free-text status its participant records.

Why one reading for every engine: the impact scan, the N-1 ranking and the flow plan must agree
on which plants take part; a plant in care and maintenance neither loses an input nor takes a
new flow. Statuses are free text in registries ("operating (curtailed)", "closed (refinery);
fuel import terminal operating", "unknown after 2021"), so the reading is by words: any mention
of operating or commissioning runs (a site that is partly closed still runs what is left);
suspended, care and maintenance, mothballed, idle, closed, decommissioned do not; planned, proposed
or under construction do not run yet; anything else is unknown and taken to run, since its
exchanges are the better record.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["State", "state"]

State = Literal["running", "stopped", "planned", "unknown"]

_STOPPED = ("suspended", "care and maintenance", "mothballed", "idle", "closed",
            "decommissioned", "demolished", "shut down", "shutdown")  # fmt: skip
_PLANNED = ("planned", "proposed", "construction")


def state(status: str) -> State:
    text = status.lower()
    if "operating" in text or "commissioning" in text or "running" in text:
        return "running"
    if any(word in text for word in _STOPPED):
        return "stopped"
    if any(word in text for word in _PLANNED):
        return "planned"
    return "unknown"
