"""Receding-horizon operation: equal to the optimum when it sees everything, never better."""

from __future__ import annotations

import pytest

from clusterhub.energy import DispatchOptions
from clusterhub.energy.rolling import simulate
from clusterhub.errors import ModelError
from clusterhub.examples import load_example

TWO_DAYS = DispatchOptions(start=24 * 150, steps=48)


def test_one_window_over_the_whole_period_is_the_optimum() -> None:
    result = simulate(
        load_example("harbour"), window_hours=48, commit_hours=48, kind="perfect", options=TWO_DAYS
    )
    assert result.windows == 1
    assert result.realized_cost_eur == pytest.approx(result.perfect_foresight_cost_eur, rel=1e-9)


@pytest.mark.parametrize("kind", ["perfect", "persistence", "noisy"])
def test_operating_window_by_window_never_beats_perfect_foresight(kind: str) -> None:
    result = simulate(
        load_example("harbour"), window_hours=36, commit_hours=24, kind=kind, options=TWO_DAYS
    )
    assert result.windows == 2
    assert len(result.window_costs_eur) == 2
    assert result.regret_eur >= -1e-6 * abs(result.perfect_foresight_cost_eur)
    assert result.regret_pct < 5.0  # two summer days: a poor forecast costs, but not wildly


def test_noisy_forecasts_are_seeded() -> None:
    cluster = load_example("harbour")
    a = simulate(cluster, window_hours=36, commit_hours=24, kind="noisy", seed=4, options=TWO_DAYS)
    b = simulate(cluster, window_hours=36, commit_hours=24, kind="noisy", seed=4, options=TWO_DAYS)
    assert a.realized_cost_eur == b.realized_cost_eur


def test_a_commit_that_cuts_demand_shift_windows_is_refused() -> None:
    with pytest.raises(ModelError, match="multiple of every flexible demand's window"):
        simulate(load_example("harbour"), window_hours=36, commit_hours=1, options=TWO_DAYS)
