"""Measured weather years from the standard files (EPW, TMY3, PVGIS TMY), read by pvlib's iotools.

Why these three: they are what a site's energy manager can get for any place (EnergyPlus's EPW
library, NREL's TMY3, the EU's PVGIS), and pvlib reads each with its own conventions; here they
become one hourly table in UTC (interval starts) with the variables the profiles need, and a
typical year is laid on any horizon by its month, day and hour.
"""

from __future__ import annotations

import hashlib
import io
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["FORMATS", "MAX_WEATHER_CHARS", "VARIABLES", "Weather", "on_horizon", "read_weather"]

FORMATS = ("epw", "tmy3", "pvgis")
WeatherFormat = Literal["epw", "tmy3", "pvgis"]
#: The variables kept: irradiance W/m2 (global horizontal, direct normal, diffuse horizontal),
#: air temperature degC and wind speed m/s at the station's height (10 m in all three formats).
VARIABLES = ("ghi", "dni", "dhi", "temp_air", "wind_speed")
#: A year of hourly EPW is about 1.5 million characters; bigger is not a weather year.
MAX_WEATHER_CHARS = 16_000_000
#: Physical bounds: a value outside is a broken file, not weather.
_BOUNDS = {
    "ghi": (0.0, 1500.0),
    "dni": (0.0, 1500.0),
    "dhi": (0.0, 1000.0),
    "temp_air": (-90.0, 60.0),
    "wind_speed": (0.0, 120.0),
}


class Weather:
    """A weather year read from a file: the table, and the text it came from (written back next
    to the cluster, and stored with it), compared by the text's digest."""

    __slots__ = ("digest", "frame", "text")

    def __init__(self, text: str, frame: pd.DataFrame) -> None:
        self.text = text
        self.frame = frame
        self.digest = hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Weather):
            return NotImplemented
        return self.digest == other.digest

    def __hash__(self) -> int:
        return hash(self.digest)


def read_weather(text: str, fmt: WeatherFormat) -> Weather:
    """The hourly table of a weather file's text; ``ValueError`` saying what is wrong with it.

    Labels become interval starts in UTC: EPW's hour 1 is 00:00-01:00 (pvlib labels it 00:00),
    TMY3 labels the end of each hour (shifted back one), PVGIS gives UTC interval starts."""
    if len(text) > MAX_WEATHER_CHARS:
        raise ValueError(f"at most {MAX_WEATHER_CHARS:,} characters, got {len(text):,}")
    from pvlib import iotools

    buffer = io.StringIO(text)
    try:
        if fmt == "epw":
            data, _ = iotools.read_epw(buffer, coerce_year=2023)
        elif fmt == "tmy3":
            data, _ = iotools.read_tmy3(buffer, coerce_year=2023, map_variables=True)
            data.index = data.index - pd.Timedelta(hours=1)
        else:
            data, *_ = iotools.read_pvgis_tmy(buffer, pvgis_format="csv", map_variables=True)
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"a {fmt.upper()} weather file ({reason[:200]})") from None
    missing = [v for v in VARIABLES if v not in data.columns]
    if missing:
        raise ValueError(f"the variables {', '.join(VARIABLES)}; missing {', '.join(missing)}")
    frame = data[list(VARIABLES)].apply(pd.to_numeric, errors="coerce").astype(float)
    index = pd.DatetimeIndex(frame.index).tz_convert("UTC")
    if len(frame) not in (8760, 8784):
        raise ValueError(f"a year of hourly rows (8760), got {len(frame)}")
    for name, (low, high) in _BOUNDS.items():
        values = frame[name].to_numpy()
        bad = np.flatnonzero(~np.isfinite(values) | (values < low) | (values > high))
        if len(bad):
            row = int(bad[0])
            raise ValueError(
                f"{name} between {low:g} and {high:g} in every hour, "
                f"got {float(values[row])!r} at {index[row]:%m-%d %H:%M} UTC"
            )
    frame.index = index
    return Weather(text, frame)


def on_horizon(weather: Weather, index: pd.DatetimeIndex) -> pd.DataFrame:
    """The weather year laid on ``index``: each step takes the file's hour with the same month,
    day and hour (UTC); 29 February takes the 28th where the year has none. Why by calendar
    position: a typical year stands for any year, and a horizon may start in any one."""
    frame = weather.frame
    utc = index.tz_convert("UTC") if index.tz is not None else index.tz_localize("UTC")

    def keys(times: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(times.month * 10_000 + times.day * 100 + times.hour)

    table = frame.groupby(keys(pd.DatetimeIndex(frame.index))).mean()
    wanted = keys(utc)
    leap = (utc.month == 2) & (utc.day == 29)
    fallback = np.where(leap & ~np.isin(wanted, table.index.to_numpy()), wanted - 100, wanted)
    found = table.reindex(fallback)
    if found.isna().any().any():  # a gap no typical year has: the nearest hour before it
        found = found.ffill().bfill()
    found.index = index
    return found
