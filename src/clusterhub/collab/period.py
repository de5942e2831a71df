"""Calendar periods for aggregates: a time column bucketed into days, weeks, months, quarters or
years, labelled so that labels sort in time order and read the same on every machine.

Why labels and not time stamps: a cell's group is published as text, and "2026-03" or
"2026-W09" says which period it covers without a time zone to guess. Times are read as UTC
(naive ones are taken to be UTC already); an unreadable time drops its row rather than the whole
aggregate, since one member's bad row must not decide what the others see.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PERIODS", "bucket"]

PERIODS = ("day", "week", "month", "quarter", "year")


def bucket(times: pd.Series, period: str) -> pd.Series:
    """Each time's period label (``<NA>`` where the time cannot be read): ``2026-03-05``,
    ``2026-W10`` (ISO week), ``2026-03``, ``2026-Q1`` or ``2026``."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    moments = pd.to_datetime(times, errors="coerce", utc=True, format="ISO8601")
    if period == "day":
        labels = moments.dt.strftime("%Y-%m-%d")
    elif period == "week":
        iso = moments.dt.isocalendar()
        labels = iso["year"].astype("string") + "-W" + iso["week"].astype("string").str.zfill(2)
    elif period == "month":
        labels = moments.dt.strftime("%Y-%m")
    elif period == "quarter":
        labels = (
            moments.dt.year.astype("Int64").astype("string")
            + "-Q"
            + (moments.dt.quarter.astype("Int64").astype("string"))
        )
    else:
        labels = moments.dt.year.astype("Int64").astype("string")
    return labels.astype("string").where(moments.notna())
