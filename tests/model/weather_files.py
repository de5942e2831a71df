"""Weather years written as EPW and TMY3 text, from arrays over the 8760 hours of a typical year
(index 0 is 1 January 00:00-01:00 in the file's own time zone), for the weather tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

HOURS = pd.date_range("2023-01-01", periods=8760, freq="h")  # interval starts, file time


def _full(value: float | np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), (8760,))


def _year(
    ghi: float | np.ndarray = 0.0,
    dni: float | np.ndarray = 0.0,
    dhi: float | np.ndarray = 0.0,
    temp_air: float | np.ndarray = 10.0,
    wind_speed: float | np.ndarray = 5.0,
) -> tuple[np.ndarray, ...]:
    """The five variables over the year, in this order, from numbers or arrays."""
    return tuple(_full(v) for v in (ghi, dni, dhi, temp_air, wind_speed))


def epw(*, tz: float = 0.0, **values: float | np.ndarray) -> str:
    """EPW labels each hour by its number (1 for 00:00-01:00); ``values`` as ``_year`` takes."""
    lines = [
        f"LOCATION,Rotterdam,ZH,NLD,Test,063440,51.95,4.45,{tz:g},-4.0",
        *(["DESIGN CONDITIONS,0"] + ["COMMENTS,synthetic"] * 6),
    ]
    g, b, d, t, w = _year(**values)
    for k, start in enumerate(HOURS):
        fields = [2005, start.month, start.day, start.hour + 1, 60, "?9", t[k], 0, 80, 101300,
                  0, 0, 300, g[k], b[k], d[k], 0, 0, 0, 0, 180, w[k], 5, 5, 10, 77777, 9,
                  999999999, 10, 0.1, 0, 88, 0.2, 0, 1]  # fmt: skip
        lines.append(",".join(str(f) for f in fields))
    return "\n".join(lines) + "\n"


def tmy3(*, tz: float = 0.0, **values: float | np.ndarray) -> str:
    """TMY3 labels each hour by its end: 01:00 for 00:00-01:00, 24:00 for the day's last."""
    lines = [
        f"690150,ROTTERDAM,ZH,{tz:g},51.95,4.45,-4",
        "Date (MM/DD/YYYY),Time (HH:MM),GHI (W/m^2),DNI (W/m^2),DHI (W/m^2),Dry-bulb (C),"
        "Wspd (m/s)",
    ]
    g, b, d, t, w = _year(**values)
    for k, start in enumerate(HOURS):
        lines.append(f"{start:%m/%d/%Y},{start.hour + 1:02d}:00,{g[k]},{b[k]},{d[k]},{t[k]},{w[k]}")
    return "\n".join(lines) + "\n"
