"""What the operator believes about a window when it plans: perfect, persistence, noisy or
learned from the history before it (``learned``).

Why only availability and demand: day-ahead prices, tariffs and connection limits are known when
a day is planned; what is uncertain is how much wind and sun there will be and how much the
plants will draw.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from clusterhub.energy.data import DispatchData
from clusterhub.energy.kinds import Forecast
from clusterhub.energy.learned import LearnedForecaster
from clusterhub.errors import ModelError

__all__ = ["Forecast", "forecast"]


def forecast(
    actual: DispatchData,
    *,
    start: int,
    steps: int,
    kind: Forecast,
    noise: float = 0.1,
    seed: int = 0,
    learned: LearnedForecaster | None = None,
) -> DispatchData:
    """The window ``start .. start+steps`` of ``actual`` as forecast at its first step.

    - perfect: the actual values;
    - persistence: each step takes the value observed at the same time of day on the last day
      before the forecast was made;
    - noisy: actual values times (1 + noise * sqrt(lead / 24 h) * e), e standard normal from
      ``seed`` and the window's start, so the error grows with the lead time;
    - learned: ``learned``'s forecast from the steps before ``start`` (``energy.learned``).
    """
    if kind == "learned":
        if learned is None:
            raise ModelError("a learned forecast needs a trained forecaster (learned.train)")
        return learned.predict(actual, start=start, steps=steps)
    window = actual.window(start, steps)
    if kind == "perfect":
        return window
    per_day = max(1, round(24 / actual.step_hours))
    lead = np.arange(steps)
    if kind == "persistence":
        days_back = lead // per_day + 1
        observed = actual.window(0, len(actual.time))
        positions = (start + lead - days_back * per_day) % len(actual.time)
        generators = observed.generators.available_mw.isel(time=positions)
        demands = observed.demands.profile_mw.isel(time=positions)
        return window.with_values(
            generators_available_mw=generators.assign_coords(time=window.time),
            demands_profile_mw=demands.assign_coords(time=window.time),
        )
    rng = np.random.default_rng([seed, start])
    scale = noise * np.sqrt((lead + 1) * actual.step_hours / 24.0)

    def noisy(values: xr.DataArray) -> xr.DataArray:
        error = 1.0 + scale * rng.standard_normal(values.shape)
        result: xr.DataArray = (values * error).clip(min=0.0)
        return result

    available = window.generators.available_mw
    ceiling = actual.generators.available_mw.max("time")
    return window.with_values(
        generators_available_mw=np.minimum(noisy(available), ceiling),
        demands_profile_mw=noisy(window.demands.profile_mw),
    )
