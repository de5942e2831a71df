"""Forecasts learned from the cluster's own history: every load and every plant's availability.

Why mlforecast with scikit-learn's histogram gradient boosting: one global model learns all of a
cluster's series at once (dozens of loads and plants, each scaled to itself), from lags of a
step, a day and a week and the local hour and weekday, which is what industrial loads and
renewables repeat; mlforecast builds those features the same way for training, rolling-origin
backtests and forecasts from fresh history without refitting, and the regressor is LightGBM's
algorithm in a wheel that brings its own OpenMP runtime (no system library to install).

A series the backtest finds the model no better on than persistence (the same time the day
before the forecast) keeps persistence: PV's daily shape, say, repeats too well to learn more
from a few weeks. So the forecaster is never worse than persistence on the history it was
judged on, and says per series which it uses (``chosen``).

Reproducible: a forecaster is trained from fixed seeds on the steps before ``until``; its
``version`` digests what it was trained on (every series' values and times), the settings and
the libraries' versions, so a run names the forecaster it used and the same data gives the same
version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib.metadata import version as installed
from typing import Any

import numpy as np
import pandas as pd

from clusterhub.energy.data import DispatchData
from clusterhub.errors import ModelError

__all__ = ["Backtest", "LearnedForecaster", "backtest", "train"]

#: Days of history a forecaster needs before its first forecast: its weekly lag twice over.
MIN_HISTORY_DAYS = 14
#: How many daily rolling origins the backtest judges each series on.
BACKTEST_WINDOWS = 14
SEED = 0
#: Boosting settings (what ``version`` digests with the data).
SETTINGS: dict[str, Any] = {"max_iter": 200, "learning_rate": 0.1, "random_state": SEED}


def _series(data: DispatchData, until: int) -> pd.DataFrame:
    """Steps ``0 .. until`` of every plant's availability and every load, in the long form
    mlforecast reads (``unique_id``, ``ds`` as UTC without a zone, ``y`` MW) with the kind of
    series as a static feature (0 load, 1 PV or other plant, 2 wind)."""
    ds = pd.DatetimeIndex(data.time[:until]).tz_convert("UTC").tz_localize(None)
    frames = []
    for array, dim in (
        (data.generators.available_mw, "generator"),
        (data.demands.profile_mw, "demand"),
    ):
        values = array.transpose(dim, "time").values[:, :until]
        for row, item in enumerate(array[dim].values):
            kind = 0 if dim == "demand" else (2 if "wind" in str(item) else 1)
            frames.append(
                pd.DataFrame(
                    {"unique_id": f"{dim}:{item}", "ds": ds, "y": values[row], "kind": kind}
                )
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _per_day(data: DispatchData) -> int:
    """Steps in a day (the daily lag, the persistence look-back)."""
    return max(1, round(24 / data.step_hours))


def _calendar(timezone: str) -> list[Any]:
    """The local hour and weekday of a UTC step (mlforecast calls them on its ``ds``)."""

    def hour(ds: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(pd.DatetimeIndex(ds).tz_localize("UTC").tz_convert(timezone).hour)

    def weekday(ds: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(pd.DatetimeIndex(ds).tz_localize("UTC").tz_convert(timezone).dayofweek)

    return [hour, weekday]


def _model(data: DispatchData) -> Any:
    from mlforecast import MLForecast
    from mlforecast.target_transforms import LocalStandardScaler
    from sklearn.ensemble import HistGradientBoostingRegressor

    per_day = _per_day(data)
    return MLForecast(
        models={"learned": HistGradientBoostingRegressor(**SETTINGS)},
        freq=f"{round(data.step_hours * 60)}min",
        lags=[1, per_day, 7 * per_day],
        date_features=_calendar(str(data.time.tz or "UTC")),
        target_transforms=[LocalStandardScaler()],
    )


def _lead(cv: pd.DataFrame, dt: float) -> np.ndarray:
    """Steps ahead of each backtest row (1 for the first step after its origin)."""
    seconds = (cv.ds - cv.cutoff).dt.total_seconds().to_numpy()
    return np.round(seconds / (3600.0 * dt)).astype(int)


def _persistence(frame: pd.DataFrame, cv: pd.DataFrame, per_day: int, dt: float) -> np.ndarray:
    """Persistence's forecast for each backtest row: the value at the same time on the last
    day before the forecast's origin."""
    lead_steps = _lead(cv, dt)
    back = pd.to_timedelta((np.ceil(lead_steps / per_day) * 24).astype(int), unit="h")
    look = frame.set_index(["unique_id", "ds"]).y
    index = pd.MultiIndex.from_arrays([cv.unique_id, cv.ds - back])
    return np.asarray(look.reindex(index).values, dtype=float)


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin backtest: daily origins over the last ``windows`` days before ``until``,
    ``horizon`` steps ahead. MAE in MW per series for the model and for persistence, skill =
    1 - MAE(model) / MAE(persistence), and the MAE by lead time (steps ahead, 1-based) over all
    series."""

    mae_mw: dict[str, float]
    persistence_mae_mw: dict[str, float]
    skill: dict[str, float]
    overall_skill: float
    mae_by_lead_mw: dict[int, float]
    persistence_mae_by_lead_mw: dict[int, float]
    horizon: int
    windows: int


def backtest(
    data: DispatchData, *, until: int, horizon: int | None = None, windows: int = BACKTEST_WINDOWS
) -> Backtest:
    """Judge the model on the history before ``until`` (no step at or after it is read)."""
    per_day = _per_day(data)
    horizon = horizon or per_day
    _check_history(data, until, extra=windows * per_day)
    frame = _series(data, until)
    cv = _model(data).cross_validation(
        frame,
        n_windows=windows,
        h=horizon,
        step_size=per_day,
        refit=False,
        static_features=["kind"],
    )
    cv["learned"] = cv.learned.clip(lower=0.0)
    cv["persistence"] = _persistence(frame, cv, per_day, data.step_hours)
    cv["lead"] = _lead(cv, data.step_hours)
    model_error = (cv.learned - cv.y).abs()
    persistence_error = (cv.persistence - cv.y).abs()
    errors = cv.assign(model=model_error, naive=persistence_error)
    by_series = errors.groupby("unique_id")[["model", "naive"]].mean()
    by_lead = errors.groupby("lead")[["model", "naive"]].mean()
    skill = 1 - by_series.model / by_series.naive.where(by_series.naive > 0, np.nan)
    return Backtest(
        mae_mw=by_series.model.to_dict(),
        persistence_mae_mw=by_series.naive.to_dict(),
        skill=skill.fillna(0.0).to_dict(),
        overall_skill=float(1 - model_error.sum() / max(float(persistence_error.sum()), 1e-12)),
        mae_by_lead_mw={int(k): float(v) for k, v in by_lead.model.items()},
        persistence_mae_by_lead_mw={int(k): float(v) for k, v in by_lead.naive.items()},
        horizon=horizon,
        windows=windows,
    )


def _check_history(data: DispatchData, until: int, *, extra: int = 0) -> None:
    per_day = _per_day(data)
    need = MIN_HISTORY_DAYS * per_day + extra
    if until < need:
        raise ModelError(
            f"learned forecasts need {need} steps of history before the first forecast "
            f"({MIN_HISTORY_DAYS} days, and the backtest's {extra // per_day} days); "
            f"got {until}: start the rolling operation later in the horizon"
        )


@dataclass(frozen=True)
class LearnedForecaster:
    """A trained forecaster: the model, which series use it (else persistence), its backtest
    and the ``version`` of what it was trained on."""

    model: Any = field(repr=False)
    until: int
    chosen: dict[str, str]
    judged: Backtest
    version: str
    per_day: int

    def predict(self, data: DispatchData, *, start: int, steps: int) -> DispatchData:
        """The window ``start .. start+steps`` of ``data`` with availability and loads as this
        forecaster sees them from the steps before ``start`` (only those are read)."""
        window = data.window(start, steps)
        if start < self.per_day * 8:
            raise ModelError(f"a learned forecast at step {start} has no week of history")
        recent = _series(data, start)
        recent = recent[recent.ds >= recent.ds.max() - pd.Timedelta(days=MIN_HISTORY_DAYS)]
        predicted = self.model.predict(h=steps, new_df=recent).set_index(["unique_id", "ds"])
        times = pd.DatetimeIndex(window.time).tz_convert("UTC").tz_localize(None)
        lead = np.arange(steps)
        back = (lead // self.per_day + 1) * self.per_day  # persistence: the last day's value

        def values(array: Any, dim: str, observed: Any) -> np.ndarray:
            out = np.zeros((array.sizes[dim], steps))
            history = observed.transpose(dim, "time").values  # the whole data: only its past
            for row, item in enumerate(array[dim].values):
                key = f"{dim}:{item}"
                if self.chosen.get(key) == "learned":
                    index = pd.MultiIndex.from_arrays([[key] * steps, times])
                    out[row] = predicted.learned.reindex(index).to_numpy(dtype=float)
                else:
                    out[row] = history[row, (start + lead - back) % history.shape[1]]
            return np.nan_to_num(out)

        generators = window.generators.available_mw
        ceiling = data.generators.available_mw.isel(time=slice(0, start)).max("time")
        learned_generators = generators.copy(
            data=values(generators, "generator", data.generators.available_mw)
        )
        learned_demands = window.demands.profile_mw.copy(
            data=values(window.demands.profile_mw, "demand", data.demands.profile_mw)
        )
        return window.with_values(
            generators_available_mw=np.minimum(learned_generators.clip(min=0.0), ceiling),
            demands_profile_mw=learned_demands.clip(min=0.0),
        )


def train(data: DispatchData, *, until: int) -> LearnedForecaster:
    """Backtest on the history before ``until``, choose model or persistence per series, and
    fit the model on all of that history."""
    per_day = _per_day(data)
    judged = backtest(data, until=until)
    chosen = {s: "learned" if judged.skill[s] > 0 else "persistence" for s in judged.skill}
    frame = _series(data, until)
    model = _model(data)
    model.fit(frame, static_features=["kind"])
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    # the settings, the features' time zone and lags, and how the backtest chose
    digest.update(repr(sorted(SETTINGS.items())).encode())
    digest.update(f"{data.time.tz}|{per_day}|{BACKTEST_WINDOWS}|{sorted(chosen.items())}".encode())
    for library in ("mlforecast", "scikit-learn"):
        digest.update(f"{library}={installed(library)}".encode())
    return LearnedForecaster(
        model=model,
        until=until,
        chosen=chosen,
        judged=judged,
        version=digest.hexdigest()[:16],
        per_day=per_day,
    )
