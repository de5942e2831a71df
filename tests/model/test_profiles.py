"""Seeded generators: plausible against published capacity factors, exact where they must be."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterhub import ModelError
from clusterhub.model import (
    DemandlibProfile,
    FileSeries,
    PvProfile,
    ShapeProfile,
    WindProfile,
    ar1,
)
from clusterhub.model.profiles import resolve_series

YEAR = pd.date_range(pd.Timestamp("2024-01-01", tz="Europe/Amsterdam"), periods=8784, freq="1h")
ROTTERDAM = {"latitude": 51.9, "longitude": 4.1}


def test_pv_capacity_factor_matches_the_netherlands() -> None:
    # energy_parameters.csv: PV capacity factor Netherlands about 0.10-0.11 (typical, B).
    values = resolve_series(PvProfile(generator="pv"), YEAR, **ROTTERDAM)
    assert 0.095 <= values.mean() <= 0.115
    assert values.min() == 0.0
    assert values.max() <= 1.0
    night = YEAR.hour.isin([0, 1, 2, 3, 22, 23])
    assert values[night].max() == 0.0


def test_pv_summer_beats_winter_and_sunnier_climates_beat_cloudier() -> None:
    values = resolve_series(PvProfile(generator="pv"), YEAR, **ROTTERDAM)
    assert values[YEAR.month == 6].mean() > 3 * values[YEAR.month == 12].mean()
    sunny = resolve_series(PvProfile(generator="pv", cloudiness=0.2), YEAR, **ROTTERDAM)
    assert sunny.mean() > values.mean()


@pytest.mark.parametrize(("speed", "low", "high"), [(6.5, 0.22, 0.30), (9.5, 0.42, 0.52)])
def test_wind_capacity_factor(speed: float, low: float, high: float) -> None:
    # energy_parameters.csv: NL wind onshore about 0.27, offshore about 0.45 (typical, B).
    values = resolve_series(WindProfile(generator="wind", mean_speed_m_s=speed), YEAR, **ROTTERDAM)
    assert low <= values.mean() <= high
    assert values.min() >= 0.0
    assert values.max() <= 1.0
    # hour-to-hour persistence: wind does not jump from calm to full every hour
    assert np.corrcoef(values[1:], values[:-1])[0, 1] > 0.8


@pytest.mark.parametrize("profile", ["industrial", "g0", "h0"])
def test_demandlib_profile_delivers_the_annual_energy(profile: str) -> None:
    spec = DemandlibProfile(generator="demandlib", profile=profile, annual_mwh=12_000)
    values = resolve_series(spec, YEAR, **ROTTERDAM)
    assert values.sum() == pytest.approx(12_000, rel=1e-3)
    assert values.min() >= 0


def test_shape_profile_is_seeded_and_bounded() -> None:
    spec = ShapeProfile(
        generator="shape", mean=80, daily_amplitude=0.3, noise=0.2, seed=7, minimum=-50, maximum=300
    )
    a = resolve_series(spec, YEAR, **ROTTERDAM)
    b = resolve_series(spec, YEAR, **ROTTERDAM)
    assert np.array_equal(a, b)
    assert a.mean() == pytest.approx(80, rel=0.05)
    other = resolve_series(spec.model_copy(update={"seed": 8}), YEAR, **ROTTERDAM)
    assert not np.array_equal(a, other)
    assert a.min() >= -50
    assert a.max() <= 300


def test_weekend_factor_and_peak_hour() -> None:
    spec = ShapeProfile(
        generator="shape", mean=10, daily_amplitude=0.5, peak_hour=18, weekend_factor=0.5
    )
    values = resolve_series(spec, YEAR, **ROTTERDAM)
    weekday = YEAR.dayofweek < 5
    assert values[~weekday].mean() == pytest.approx(0.5 * values[weekday].mean(), rel=0.02)
    assert YEAR[int(np.argmax(values))].hour == 18


def test_constants_and_inline_values() -> None:
    index = YEAR[:3]
    assert resolve_series(4.0, index, **ROTTERDAM).tolist() == [4.0, 4.0, 4.0]
    assert resolve_series((1.0, 2.0, 3.0), index, **ROTTERDAM).tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ModelError, match="inline values has 2 values, the horizon 3"):
        resolve_series((1.0, 2.0), index, **ROTTERDAM)


def test_a_file_series_never_read_is_an_error_not_zeros() -> None:
    spec = FileSeries(file="x.csv", column="v")
    with pytest.raises(ModelError, match="never read"):
        resolve_series(spec, YEAR[:2], **ROTTERDAM)
    loaded = spec.with_values(np.array([1.0, 2.0]))
    assert resolve_series(loaded, YEAR[:2], **ROTTERDAM).tolist() == [1.0, 2.0]
    assert loaded == spec.with_values(np.array([1.0, 2.0]))
    assert loaded != spec.with_values(np.array([1.0, 3.0]))


@pytest.mark.parametrize("persistence", [0.0, 0.5, 0.85, 0.99])
def test_ar1_is_the_first_order_filter_from_rest(persistence: float) -> None:
    """``ar1`` replaces ``scipy.signal.lfilter`` (a second of import time) bit for bit, up to
    rounding: the bundled examples' seeded profiles keep their values."""
    from scipy.signal import lfilter

    shocks = np.random.default_rng(7).normal(size=2000)
    gain = np.sqrt(1 - persistence**2)
    expected = lfilter([gain], [1.0, -persistence], shocks)
    np.testing.assert_allclose(ar1(shocks, persistence), expected, rtol=0, atol=1e-12)


def test_ar1_refuses_a_persistence_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="persistence"):
        ar1(np.zeros(3), 1.0)
