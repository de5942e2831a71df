"""Time-series fields: a constant, inline values, a CSV column, or a seeded generator.

Why four forms: a cluster file must stay small and readable (constants and generators), must take
measured data (CSV next to the file) and must round-trip exactly (inline values). Every form
resolves to one float array on the cluster's horizon; engines never see the difference.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    FiniteFloat,
    PrivateAttr,
    Tag,
    ValidationInfo,
    model_validator,
)

from clusterhub.model.weather import Weather

__all__ = [
    "CopProfile",
    "DemandlibProfile",
    "FileSeries",
    "GeneratedSeries",
    "PvProfile",
    "Series",
    "ShapeProfile",
    "WeatherFile",
    "WindProfile",
    "series_length",
]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Loaded:
    """Values read from a series file, compared by content so that equal clusters are equal."""

    __slots__ = ("times", "values")

    def __init__(self, values: np.ndarray, times: pd.DatetimeIndex | None) -> None:
        values = np.asarray(values, dtype=float).copy()
        values.setflags(write=False)
        self.values = values
        self.times = times

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Loaded):
            return NotImplemented
        same_times = (self.times is None) == (other.times is None) and (
            self.times is None or other.times is None or self.times.equals(other.times)
        )
        return same_times and np.array_equal(self.values, other.values)

    __hash__ = None  # type: ignore[assignment]


class FileSeries(_Spec):
    """A column of a CSV file, given relative to the cluster file.

    The file is read by ``model.io`` when the cluster is loaded (engines do no I/O); the values are
    then held here and written back next to the cluster file by ``write_cluster``.
    """

    file: str = Field(min_length=1, description="CSV path relative to the cluster file")
    column: str = Field(min_length=1, description="column holding the values")
    scale: FiniteFloat = Field(1.0, description="multiplier applied to the column")
    _loaded: _Loaded | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _attach(self, info: ValidationInfo) -> Self:
        """Take the column from the tables the loader read (the model itself reads no file)."""
        tables = (info.context or {}).get("series_files") or {}
        table = tables.get(self.file)
        if table is not None and self.column in table.columns:
            values = pd.to_numeric(table[self.column], errors="coerce").to_numpy(dtype=float)
            times = None
            if "time" in table.columns:
                times = pd.DatetimeIndex(
                    pd.to_datetime(table["time"], utc=True, errors="coerce", format="ISO8601")
                )
            self._loaded = _Loaded(values, times)
        return self

    @property
    def values(self) -> np.ndarray | None:
        """The loaded column, or None when the file has not been read yet."""
        return None if self._loaded is None else self._loaded.values

    @property
    def times(self) -> pd.DatetimeIndex | None:
        """The file's ``time`` column (UTC), when it has one."""
        return None if self._loaded is None else self._loaded.times

    def with_values(self, values: np.ndarray) -> FileSeries:
        """A copy holding ``values``, for series built in code rather than read from a file."""
        copy = self.model_copy()
        copy._loaded = _Loaded(values, None)
        return copy


class WeatherFile(_Spec):
    """A measured or typical weather year: an EPW, TMY3 or PVGIS TMY (CSV) file next to the
    cluster file, read by ``model.io`` with pvlib's iotools when the cluster is loaded."""

    file: str = Field(min_length=1, description="weather file path relative to the cluster file")
    format: Literal["epw", "tmy3", "pvgis"]
    _loaded: Weather | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _attach(self, info: ValidationInfo) -> Self:
        """Take the table the loader read (the model itself reads no file)."""
        found = ((info.context or {}).get("weather_files") or {}).get((self.file, self.format))
        if found is not None:
            self._loaded = found
        return self

    @property
    def weather(self) -> Weather | None:
        """The year read from the file, or None when it has not been read yet."""
        return self._loaded

    def with_weather(self, weather: Weather) -> WeatherFile:
        """A copy holding ``weather``, for a year built in code rather than read from a file."""
        copy = self.model_copy()
        copy._loaded = weather
        return copy


class PvProfile(_Spec):
    """Photovoltaic output per MW installed (0..1), from pvlib's solar position and clear sky.

    Clouds are a seeded, day-to-day persistent clearness index, since no weather data may be
    fetched; the default ``cloudiness`` 0.45 gives the Netherlands' capacity factor of about
    10.5%, 0.2 a sunny continental climate (about 15%).
    """

    generator: Literal["pv"]
    tilt_deg: float = Field(30.0, ge=0, le=90)
    azimuth_deg: float = Field(180.0, ge=0, lt=360)
    losses: float = Field(0.14, ge=0, lt=1, description="system losses (PVWatts default 14%)")
    cloudiness: float = Field(0.45, ge=0, le=1)
    seed: int = Field(0, ge=0)
    scale: FiniteFloat = 1.0
    weather: WeatherFile | None = Field(
        None,
        description="measured irradiance, temperature and wind instead of seeded clouds: "
        "transposed to the panel with pvlib, cell temperature by the SAPM model, PVWatts DC",
    )


class WindProfile(_Spec):
    """Wind output per MW installed (0..1): seeded, autocorrelated Weibull wind through a power
    curve (cut-in 3 m/s, rated 12 m/s, cut-out 25 m/s), or a weather file's measured wind taken
    from the station's 10 m to the hub by the power law (exponent 1/7)."""

    generator: Literal["wind"]
    weather: WeatherFile | None = None
    hub_height_m: float = Field(100.0, gt=0, le=300)
    mean_speed_m_s: float = Field(7.5, gt=0, le=20)
    weibull_k: float = Field(2.0, gt=0.5, le=5)
    persistence: float = Field(0.97, ge=0, lt=1, description="hour-to-hour autocorrelation")
    seed: int = Field(0, ge=0)
    scale: FiniteFloat = 1.0


class DemandlibProfile(_Spec):
    """A BDEW standard load profile (demandlib) or its simple industrial profile, scaled to an
    annual energy, in MW."""

    generator: Literal["demandlib"]
    profile: Literal["h0", "g0", "g1", "g2", "g3", "g4", "g5", "g6", "l0", "l1", "l2", "industrial"]
    annual_mwh: float = Field(ge=0)
    noise: float = Field(0.0, ge=0, le=1, description="relative standard deviation of noise")
    seed: int = Field(0, ge=0)


class ShapeProfile(_Spec):
    """A hand-shaped series: mean with daily, weekly and seasonal swings and seeded noise.

    Why: prices, steam demand of a continuous plant or a tariff are easier to state by their
    shape than to ship as data.
    """

    generator: Literal["shape"]
    mean: FiniteFloat
    daily_amplitude: float = Field(0.0, ge=0, description="relative, peak at ``peak_hour``")
    peak_hour: float = Field(12.0, ge=0, lt=24)
    weekend_factor: float = Field(1.0, ge=0, description="multiplier on Saturdays and Sundays")
    seasonal_amplitude: float = Field(0.0, ge=-1, le=1, description="relative, peak in January")
    noise: float = Field(0.0, ge=0, description="relative standard deviation of noise")
    persistence: float = Field(0.0, ge=0, lt=1, description="hour-to-hour noise correlation")
    minimum: FiniteFloat | None = None
    maximum: FiniteFloat | None = None
    seed: int = Field(0, ge=0)


class CopProfile(_Spec):
    """A heat pump's coefficient of performance in each step, from a weather file's outside air
    temperature: ``carnot_efficiency`` times the Carnot COP between the air and ``sink_celsius``,
    at most ``maximum`` (a source as warm as the sink would give an infinite one)."""

    generator: Literal["cop"]
    weather: WeatherFile
    sink_celsius: float = Field(gt=-50, le=250, description="supply temperature, degC")
    carnot_efficiency: float = Field(0.45, gt=0, le=1)
    maximum: float = Field(8.0, gt=1, le=10)


GeneratedSeries = Annotated[
    Annotated[PvProfile, Tag("pv")]
    | Annotated[WindProfile, Tag("wind")]
    | Annotated[DemandlibProfile, Tag("demandlib")]
    | Annotated[ShapeProfile, Tag("shape")]
    | Annotated[CopProfile, Tag("cop")],
    Discriminator("generator"),
]


def _series_tag(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "constant"
    if isinstance(value, list | tuple):
        return "values"
    if isinstance(value, FileSeries):
        return "file"
    if isinstance(value, BaseModel):
        return str(getattr(value, "generator", None))
    if isinstance(value, dict):
        if "file" in value:
            return "file"
        generator = value.get("generator")
        return str(generator) if generator is not None else None
    return None


_SERIES_FORMS = (
    "a number, a list of numbers, {file: ..., column: ...} "
    "or {generator: pv | wind | demandlib | shape | cop, ...}"
)

#: Any time-series field. Units are those of the field that holds it (``price_eur_per_mwh``...).
Series = Annotated[
    Annotated[FiniteFloat, Tag("constant")]
    | Annotated[tuple[FiniteFloat, ...], Tag("values")]
    | Annotated[FileSeries, Tag("file")]
    | Annotated[PvProfile, Tag("pv")]
    | Annotated[WindProfile, Tag("wind")]
    | Annotated[DemandlibProfile, Tag("demandlib")]
    | Annotated[ShapeProfile, Tag("shape")]
    | Annotated[CopProfile, Tag("cop")],
    Discriminator(
        _series_tag,
        custom_error_type="series_form",
        custom_error_message=f"expected {_SERIES_FORMS}",
    ),
]


def series_length(series: Any) -> int | None:
    """Number of values a series fixes by itself (inline or loaded file), or None."""
    if isinstance(series, tuple):
        return len(series)
    if isinstance(series, FileSeries) and series.values is not None:
        return len(series.values)
    return None
