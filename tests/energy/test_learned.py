"""Forecasts learned from the cluster's own history (``energy.learned``) on the harbour's seeded
year: loads with daily and weekly patterns, wind and PV. The forecaster must beat persistence in
a rolling-origin backtest, read nothing at or after the step it forecasts from, say which series
it learned, be reproducible by version, and plan a rolling operation whose regret is reported.
"""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.energy import DispatchOptions, simulate
from clusterhub.energy.data import DispatchData, gather
from clusterhub.energy.learned import LearnedForecaster, backtest, train
from clusterhub.errors import ModelError
from clusterhub.examples import load_example

UNTIL = 24 * 60  # trained on January and February


@pytest.fixture(scope="module")
def data() -> DispatchData:
    return gather(load_example("harbour"))


@pytest.fixture(scope="module")
def forecaster(data: DispatchData) -> LearnedForecaster:
    return train(data, until=UNTIL)


def test_the_learned_forecaster_beats_persistence_in_the_backtest(
    forecaster: LearnedForecaster,
) -> None:
    judged = forecaster.judged
    assert judged.overall_skill > 0.1, judged.overall_skill
    # loads with a weekly rhythm are learned; a series without skill keeps persistence
    assert forecaster.chosen["demand:staal-power"] == "learned"
    for series, use in forecaster.chosen.items():
        assert (use == "learned") == (judged.skill[series] > 0), series
    # MAE by lead time covers the day ahead, for both
    assert set(judged.mae_by_lead_mw) == set(range(1, 25))
    assert set(judged.persistence_mae_by_lead_mw) == set(range(1, 25))


def test_a_forecast_reads_nothing_from_its_own_future(
    data: DispatchData, forecaster: LearnedForecaster
) -> None:
    start = UNTIL + 48
    before = forecaster.predict(data, start=start, steps=36)
    future = data.demands.profile_mw.copy()
    future[:, start:] = 1000.0  # what happens from the forecast's first step on
    plants = data.generators.available_mw.copy()
    plants[:, start:] = 0.0
    changed = data.with_values(demands_profile_mw=future, generators_available_mw=plants)
    after = forecaster.predict(changed, start=start, steps=36)
    for kind in ("demands", "generators"):  # learned and persistence series alike
        first, second = getattr(before, kind), getattr(after, kind)
        name = "profile_mw" if kind == "demands" else "available_mw"
        np.testing.assert_allclose(first[name].values, second[name].values, rtol=1e-12)
    assert float(before.demands.profile_mw.min()) >= 0.0
    ceiling = data.generators.available_mw.max("time")
    assert bool((before.generators.available_mw <= ceiling + 1e-9).all())


def test_the_version_names_what_it_was_trained_on(
    data: DispatchData, forecaster: LearnedForecaster
) -> None:
    again = train(data, until=UNTIL)
    assert again.version == forecaster.version
    profile = data.demands.profile_mw.copy()
    profile[0, 10] += 1.0
    other = train(data.with_values(demands_profile_mw=profile), until=UNTIL)
    assert other.version != forecaster.version


def test_too_little_history_is_refused(data: DispatchData) -> None:
    with pytest.raises(ModelError, match="history"):
        backtest(data, until=24 * 10)


def test_rolling_on_learned_forecasts_reports_its_forecaster_and_regret() -> None:
    cluster = load_example("harbour")
    options = DispatchOptions(start=UNTIL, steps=72)
    result = simulate(cluster, kind="learned", options=options)
    assert result.forecaster_version is not None
    assert result.backtest is not None
    assert result.backtest.overall_skill > 0
    assert result.windows == 3
    # operating on a forecast never beats perfect foresight
    assert result.regret_eur >= -1e-6 * abs(result.perfect_foresight_cost_eur)
