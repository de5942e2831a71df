"""Receding-horizon operation: equal to the optimum when it sees everything, never better."""

from __future__ import annotations

import pytest

from clusterhub.energy import DispatchOptions
from clusterhub.energy.rolling import simulate
from clusterhub.errors import ModelError
from clusterhub.examples import load_example
from clusterhub.model import loads

TWO_DAYS = DispatchOptions(start=24 * 150, steps=48)
ONE_DAY = DispatchOptions(start=24 * 150, steps=24)


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


SHIFT_ONLY = """\
name: shift only
location: {latitude: 51.9, longitude: 4.1}
timezone: UTC
horizon: {start: 2024-01-01T00:00, resolution: 1h, periods: 8}
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: [100, 100, 20, 20, 100, 100, 20, 20]}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: demand, id: load, site: a-site, carrier: electricity, profile_mw: 4,
         flexibility: {shiftable_share: 0.5, window_hours: 4, max_increase_fraction: 1.0}}
  - {id: grid-co, name: Grid Co, kind: grid_operator}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 100
    export_limit_mw: 0
    contracts: [{participant: a, import_mw: 100}]
"""


@pytest.mark.parametrize("commit", [1, 2, 3, 4])
def test_hourly_commits_carry_shifted_energy_to_the_next_window(commit: int) -> None:
    """In each 4-hour shift window 2 MW move from the two dear hours to the two cheap ones:
    2 x 2 x 100 + 2 x 6 x 20 = 640 EUR per window, 1,280 over both. A commit that ends inside
    a shift window carries the deferred energy on; perfect forecasts then lose nothing."""
    result = simulate(loads(SHIFT_ONLY), window_hours=4, commit_hours=commit, kind="perfect")
    assert result.windows == -(-8 // commit)
    assert result.perfect_foresight_cost_eur == pytest.approx(1280.0, rel=1e-9)
    assert result.realized_cost_eur == pytest.approx(1280.0, rel=1e-9)


def test_a_window_starting_inside_a_shift_window_closes_it_on_time() -> None:
    """From hour 1 the first shift window has three hours left. 2 MW of hour 1 (100 EUR/MWh)
    move into the cheap hours 2-3: 2 x 100 + 2 x 5 x 20 = 400 EUR; hours 4-7 as before, 640 EUR;
    1,040 EUR in all, with hourly commits as with foresight."""
    options = DispatchOptions(start=1, steps=7)
    result = simulate(
        loads(SHIFT_ONLY), window_hours=4, commit_hours=1, kind="perfect", options=options
    )
    assert result.realized_cost_eur == pytest.approx(1040.0, rel=1e-9)
    assert result.perfect_foresight_cost_eur == pytest.approx(1040.0, rel=1e-9)


@pytest.mark.slow(seconds=60)
def test_hourly_commits_on_forecasts_stay_feasible_and_never_beat_foresight() -> None:
    """Noisy demand forecasts plan shifts the actual demand cannot always honour: the carried
    backlog is clipped to what can be reached, so every window settles."""
    for kind in ("noisy", "persistence"):
        result = simulate(
            load_example("harbour"), window_hours=12, commit_hours=1, kind=kind, options=ONE_DAY
        )
        assert result.windows == 24
        assert result.regret_eur >= -1e-6 * abs(result.perfect_foresight_cost_eur)
        assert result.regret_pct < 10.0


def test_a_commit_longer_than_the_window_is_refused() -> None:
    with pytest.raises(ModelError, match="commit <= window"):
        simulate(load_example("harbour"), window_hours=12, commit_hours=24, options=TWO_DAYS)
