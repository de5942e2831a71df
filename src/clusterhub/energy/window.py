"""Which steps of the horizon a dispatch covers: a step number or a moment, and a step count.

Why here and not in each face: the CLI, the API and Python callers all say "from 1 June, 48
steps"; the engine turns that into positions once, against the cluster's own time index, so a
date means the same step everywhere. A moment without a time zone is read in the cluster's.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from clusterhub.errors import InputError
from clusterhub.model import Cluster

__all__ = ["Moment", "check_start", "check_steps", "window_steps"]

#: What ``DispatchOptions.start`` accepts: a step number, or a date/time (text, date, datetime).
Moment = int | str | dt.date | dt.datetime | pd.Timestamp


def _timestamp(start: object) -> pd.Timestamp | None:
    """The moment ``start`` names, or None when it is a step number."""
    if isinstance(start, bool):
        raise InputError.single(
            "a step number (an integer >= 0) or a date/time such as 2024-06-01T06:00",
            repr(start),
            path="DispatchOptions.start",
        )
    if isinstance(start, int):
        if start < 0:
            raise InputError.single(
                "a step number >= 0 or a date/time", repr(start), path="DispatchOptions.start"
            )
        return None
    if isinstance(start, str | dt.date | dt.datetime | pd.Timestamp):
        try:
            moment: object = pd.Timestamp(start)
        except (ValueError, TypeError):
            moment = None
        if isinstance(moment, pd.Timestamp) and not pd.isna(moment):
            return moment
    raise InputError.single(
        "a step number (an integer >= 0) or a date/time such as 2024-06-01 or "
        "2024-06-01T06:00+02:00",
        repr(start),
        path="DispatchOptions.start",
    )


def check_start(start: object) -> None:
    """Raise on a start that names neither a step nor a moment (before any cluster is seen)."""
    _timestamp(start)


def check_steps(steps: object) -> None:
    if steps is None:
        return
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise InputError.single(
            "a number of steps (an integer >= 1) or None for the rest of the horizon",
            repr(steps),
            path="DispatchOptions.steps",
        )


def window_steps(cluster: Cluster, start: Moment, steps: int | None) -> tuple[int, int]:
    """The first step and the number of steps, checked against the cluster's horizon."""
    index = cluster.time_index
    moment = _timestamp(start)
    if moment is None:
        first = int(start)  # type: ignore[arg-type]  # an int, checked above
    else:
        moment = moment.tz_localize(index.tz) if moment.tzinfo is None else moment
        first = int(index.searchsorted(moment))
        if first >= len(index) or index[first] != moment:
            raise InputError.single(
                f"a step of the horizon ({index[0]:%Y-%m-%d %H:%M} to "
                f"{index[-1]:%Y-%m-%d %H:%M} {index.tz}, every {cluster.horizon.resolution})",
                repr(start),
                path="DispatchOptions.start",
            )
    count = len(index) - first if steps is None else steps
    if not 0 <= first < len(index) or count < 1 or first + count > len(index):
        raise InputError.single(
            f"a window inside the horizon of {len(index)} steps",
            f"steps {first}..{first + count}",
            path="DispatchOptions.start" if first >= len(index) else "DispatchOptions.steps",
        )
    return first, count
