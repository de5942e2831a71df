"""Resolve any ``Series`` to an array on a horizon: the seeded generators live here.

Why seeded and local: examples and tests must give the same numbers on every machine with no
network, so weather is synthesised (pvlib supplies the sun's geometry and clear-sky irradiance,
demandlib the BDEW load shapes) from a fixed seed.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np
import pandas as pd

from clusterhub.errors import ModelError
from clusterhub.model.series import (
    CopProfile,
    DemandlibProfile,
    FileSeries,
    PvProfile,
    Series,
    ShapeProfile,
    WeatherFile,
    WindProfile,
)
from clusterhub.model.weather import on_horizon

__all__ = ["ar1", "resolve_series"]


def ar1(shocks: np.ndarray, persistence: float) -> np.ndarray:
    """Unit-variance AR(1) noise from white shocks: ``x[t] = phi x[t-1] + sqrt(1-phi^2) e[t]``,
    starting from rest (``x[0] = sqrt(1-phi^2) e[0]``), as ``scipy.signal.lfilter`` computes it.

    Why pandas' exponentially weighted mean and not ``lfilter``: it is the same first-order
    recursion, compiled, in a library every command has already imported, while importing
    ``scipy.signal`` costs about a second: more than solving a day of the harbour cluster.
    """
    if not 0.0 <= persistence < 1.0:
        raise ValueError(f"persistence must be in [0, 1), got {persistence}")
    shocks = np.asarray(shocks, dtype=float)
    gain = float(np.sqrt(1.0 - persistence**2))
    alpha = 1.0 - persistence
    # ewm(adjust=False): y[0] = u[0]; y[t] = (1 - alpha) y[t-1] + alpha u[t].
    driven = gain * shocks / alpha
    if len(driven):
        driven[0] = gain * shocks[0]
    smoothed = pd.Series(driven).ewm(alpha=alpha, adjust=False).mean()
    return np.asarray(smoothed.to_numpy(dtype=float))


def resolve_series(
    series: Series, index: pd.DatetimeIndex, *, latitude: float, longitude: float
) -> np.ndarray:
    """Values of ``series`` on ``index`` as a read-only float array (cached per spec and index)."""
    if isinstance(series, float | int):
        out = np.full(len(index), float(series))
    elif isinstance(series, tuple):
        out = _fixed(np.asarray(series, dtype=float), len(index), "inline values")
    elif isinstance(series, FileSeries):
        if series.values is None:
            raise ModelError(
                f"series from file {series.file!r} was never read: load the cluster with "
                "clusterhub.load_cluster (or read_cluster) so that its files are attached"
            )
        out = _fixed(series.values, len(index), f"file {series.file!r}") * series.scale
    else:
        out = _generated(series, _IndexKey.of(index), latitude, longitude).copy()
    out.setflags(write=False)
    return out


def _fixed(values: np.ndarray, length: int, what: str) -> np.ndarray:
    if len(values) != length:
        raise ModelError(f"{what} has {len(values)} values, the horizon {length}")
    return values.astype(float, copy=True)


class _IndexKey(tuple[str, str, int, str]):
    """Hashable description of a regular DatetimeIndex, for the generator cache."""

    @classmethod
    def of(cls, index: pd.DatetimeIndex) -> _IndexKey:
        step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
        start = index[0].tz_convert("UTC") if index.tz is not None else index[0]
        return cls((start.isoformat(), str(pd.Timedelta(step)), len(index), str(index.tz or "")))

    def to_index(self) -> pd.DatetimeIndex:
        start, step, periods, tz = self
        index = pd.date_range(pd.Timestamp(start), periods=periods, freq=pd.Timedelta(step))
        return index.tz_convert(tz) if tz else index


@lru_cache(maxsize=512)
def _generated(
    spec: PvProfile | WindProfile | DemandlibProfile | ShapeProfile | CopProfile,
    key: _IndexKey,
    latitude: float,
    longitude: float,
) -> np.ndarray:
    index = key.to_index()
    if isinstance(spec, PvProfile):
        return _pv(spec, index, latitude, longitude) * spec.scale
    if isinstance(spec, WindProfile):
        return _wind(spec, index) * spec.scale
    if isinstance(spec, DemandlibProfile):
        return _demandlib(spec, index)
    if isinstance(spec, CopProfile):
        return _cop(spec, index)
    return _shape(spec, index)


def _measured(weather: WeatherFile, index: pd.DatetimeIndex) -> pd.DataFrame:
    if weather.weather is None:
        raise ModelError(
            f"weather file {weather.file!r} was never read: load the cluster with "
            "clusterhub.load_cluster (or read_cluster) so that its files are attached"
        )
    return on_horizon(weather.weather, index)


def _cop(spec: CopProfile, index: pd.DatetimeIndex) -> np.ndarray:
    source = _measured(spec.weather, index)["temp_air"].to_numpy() + 273.15
    sink = spec.sink_celsius + 273.15
    lift = np.maximum(sink - source, 1e-6)
    return np.asarray(np.clip(spec.carnot_efficiency * sink / lift, 1.0, spec.maximum))


def _daily_clearness(index: pd.DatetimeIndex, cloudiness: float, seed: int) -> np.ndarray:
    """Clearness 0..1 per time step: a persistent daily weather state plus hourly flicker."""
    rng = np.random.default_rng(seed)
    days = index.normalize()
    unique_days, day_of_step = np.unique(days.to_numpy(dtype="datetime64[ns]"), return_inverse=True)
    shocks = rng.normal(size=len(unique_days))
    state = np.empty(len(unique_days))
    state[0] = shocks[0]
    for i in range(1, len(unique_days)):  # a loop over days, not steps, and only ~365 of them
        state[i] = 0.6 * state[i - 1] + 0.8 * shocks[i]
    cloudy_day = 1.0 / (1.0 + np.exp(-(state - 1.5 * (0.5 - cloudiness) * 4)))
    flicker = rng.uniform(0.85, 1.0, size=len(index))
    return np.asarray(np.clip((1.0 - 0.8 * cloudy_day[day_of_step]) * flicker, 0.05, 1.0))


def _pv(spec: PvProfile, index: pd.DatetimeIndex, latitude: float, longitude: float) -> np.ndarray:
    import pvlib

    step = index[1] - index[0] if len(index) > 1 else pd.Timedelta(hours=1)
    mid = index + step / 2  # average over the step, not its first instant
    location = pvlib.location.Location(latitude, longitude, tz=str(index.tz or "UTC"))
    solar = location.get_solarposition(mid)
    if spec.weather is not None:
        return _pv_measured(spec, index, mid, solar)
    clear = location.get_clearsky(mid, model="simplified_solis", solar_position=solar)
    clearness = _daily_clearness(index, spec.cloudiness, spec.seed)
    ghi = clear["ghi"].to_numpy() * clearness
    # Erbs splits global into beam and diffuse as the clearness drops.
    erbs = pvlib.irradiance.erbs(ghi, solar["zenith"].to_numpy(), mid)
    poa = pvlib.irradiance.get_total_irradiance(
        spec.tilt_deg,
        spec.azimuth_deg,
        solar["apparent_zenith"].to_numpy(),
        solar["azimuth"].to_numpy(),
        dni=erbs["dni"],
        ghi=ghi,
        dhi=erbs["dhi"],
    )["poa_global"]
    per_unit = np.nan_to_num(np.asarray(poa, dtype=float)) / 1000.0 * (1.0 - spec.losses)
    return np.asarray(np.clip(per_unit, 0.0, 1.0), dtype=float)


def _pv_measured(
    spec: PvProfile, index: pd.DatetimeIndex, mid: pd.DatetimeIndex, solar: pd.DataFrame
) -> np.ndarray:
    """Output per MW from a weather file: its irradiance transposed to the panel (Hay-Davies,
    as PVWatts), the cell temperature by the SAPM model (open rack, glass/glass) from the air
    and the wind, and PVWatts' DC model (-0.4 %/K), less the system losses."""
    import pvlib

    assert spec.weather is not None
    weather = _measured(spec.weather, index)
    extra = pvlib.irradiance.get_extra_radiation(mid).to_numpy()
    poa = pvlib.irradiance.get_total_irradiance(
        spec.tilt_deg,
        spec.azimuth_deg,
        solar["apparent_zenith"].to_numpy(),
        solar["azimuth"].to_numpy(),
        dni=weather["dni"].to_numpy(),
        ghi=weather["ghi"].to_numpy(),
        dhi=weather["dhi"].to_numpy(),
        dni_extra=extra,
        model="haydavies",
    )["poa_global"]
    poa = np.nan_to_num(np.asarray(poa, dtype=float))
    rack = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    cell = pvlib.temperature.sapm_cell(
        poa, weather["temp_air"].to_numpy(), weather["wind_speed"].to_numpy(), **rack
    )
    dc = pvlib.pvsystem.pvwatts_dc(poa, cell, pdc0=1.0, gamma_pdc=-0.004)
    per_unit = np.asarray(dc, dtype=float) * (1.0 - spec.losses)
    return np.asarray(np.clip(np.nan_to_num(per_unit), 0.0, 1.0), dtype=float)


#: Power curve of the wind profiles: cut-in, rated and cut-out speed at the hub (m/s).
CUT_IN, RATED, CUT_OUT = 3.0, 12.0, 25.0


def _wind(spec: WindProfile, index: pd.DatetimeIndex) -> np.ndarray:
    from scipy.special import ndtr  # the standard normal CDF; far lighter than scipy.stats

    if spec.weather is not None:  # the station's 10 m wind at the hub, by the power law
        measured = _measured(spec.weather, index)["wind_speed"].to_numpy()
        return _power_curve(measured * (spec.hub_height_m / 10.0) ** (1.0 / 7.0))
    rng = np.random.default_rng(spec.seed)
    gaussian = ar1(rng.normal(size=len(index)), spec.persistence)
    uniform = ndtr(gaussian)
    scale = spec.mean_speed_m_s / math.gamma(1.0 + 1.0 / spec.weibull_k)
    speed = scale * (-np.log1p(-np.clip(uniform, 0, 1 - 1e-12))) ** (1.0 / spec.weibull_k)
    return _power_curve(speed)


def _power_curve(speed: np.ndarray) -> np.ndarray:
    cut_in, rated, cut_out = CUT_IN, RATED, CUT_OUT
    ramp = np.clip((speed**3 - cut_in**3) / (rated**3 - cut_in**3), 0.0, 1.0)
    return np.asarray(np.where(speed >= cut_out, 0.0, ramp), dtype=float)


def _demandlib(spec: DemandlibProfile, index: pd.DatetimeIndex) -> np.ndarray:
    values = _demandlib_unit(spec.profile, _IndexKey.of(index)) * spec.annual_mwh
    if spec.noise:
        rng = np.random.default_rng(spec.seed)
        values = values * np.clip(1.0 + spec.noise * rng.normal(size=len(values)), 0.0, None)
    return values


@lru_cache(maxsize=64)
def _demandlib_unit(profile: str, key: _IndexKey) -> np.ndarray:
    """MW per MWh/yr of one BDEW profile on the horizon; cached, since 46 companies sharing
    a profile differ only in their annual energy."""
    from demandlib import bdew, particular_profiles

    index = key.to_index()
    local = index.tz_localize(None) if index.tz is not None else index
    parts = []
    # demandlib flips the global warnings filter to "error"; keep that inside this block.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for year in sorted(set(local.year)):
            slp = bdew.ElecSlp(year)
            if profile == "industrial":
                quarter = particular_profiles.IndustrialLoadProfile(
                    slp.date_time_index, holidays={}
                ).simple_profile(1.0)
                power = quarter / quarter.sum() * 4.0  # MW per MWh/yr on 15-min steps
            else:
                power = slp.get_scaled_power_profiles({profile: 1.0})[profile]
            parts.append(power.astype(float))
    quarter_hourly = pd.concat(parts)
    step = local[1] - local[0] if len(local) > 1 else pd.Timedelta(hours=1)
    on_horizon = quarter_hourly.resample(step).mean().reindex(local, method="nearest")
    # demandlib scales each calendar year to 1 MWh: MW per MWh/yr.
    return np.asarray(on_horizon.to_numpy(dtype=float))


def _shape(spec: ShapeProfile, index: pd.DatetimeIndex) -> np.ndarray:
    hour = index.hour.to_numpy() + index.minute.to_numpy() / 60.0
    daily = spec.daily_amplitude * np.cos(2 * np.pi * (hour - spec.peak_hour) / 24.0)
    seasonal = spec.seasonal_amplitude * np.cos(
        2 * np.pi * (index.dayofyear.to_numpy() - 15) / 365.25
    )
    weekend = np.where(index.dayofweek.to_numpy() >= 5, spec.weekend_factor, 1.0)
    values = spec.mean * (1.0 + daily) * (1.0 + seasonal) * weekend
    if spec.noise:
        rng = np.random.default_rng(spec.seed)
        shocks = ar1(rng.normal(size=len(index)), spec.persistence)
        values = values + abs(spec.mean) * spec.noise * shocks
    if spec.minimum is not None or spec.maximum is not None:
        values = np.clip(values, spec.minimum, spec.maximum)
    return np.asarray(values, dtype=float)
