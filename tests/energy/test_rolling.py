"""Receding-horizon operation: equal to the optimum when it sees everything, never better."""

from __future__ import annotations

import pytest

from clusterhub.energy import DispatchOptions, optimize, simulate
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


def test_progress_is_told_every_window() -> None:
    told: list[tuple[str, float]] = []
    simulate(
        load_example("harbour"),
        window_hours=36,
        commit_hours=24,
        options=TWO_DAYS,
        progress=lambda stage, fraction: told.append((stage, fraction)),
    )
    assert told == [
        ("finding the perfect-foresight optimum", 0.0),
        ("window 1 of 2", 0.0),
        ("window 2 of 2", 0.5),
    ]


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


def test_rolling_is_measured_against_the_optimum_printed_beside_it() -> None:
    """Same problem on both sides: the regret is against ``optimize`` for the same options (its
    stores cyclic, its shifted demand settled by the end), so a perfect forecast over one window
    covering the horizon gives the optimum itself and shorter windows never beat it."""
    cluster = load_example("harbour")
    optimum = optimize(cluster, options=TWO_DAYS).total_cost_eur
    whole = simulate(cluster, window_hours=48, commit_hours=48, kind="perfect", options=TWO_DAYS)
    assert whole.perfect_foresight_cost_eur == pytest.approx(optimum, rel=1e-9)
    assert whole.realized_cost_eur >= optimum - 1e-6 * abs(optimum)
    assert whole.realized_cost_eur == pytest.approx(optimum, rel=1e-7)
    daily = simulate(cluster, window_hours=36, commit_hours=24, kind="perfect", options=TWO_DAYS)
    assert daily.perfect_foresight_cost_eur == pytest.approx(optimum, rel=1e-9)
    assert daily.realized_cost_eur >= optimum - 1e-6 * abs(optimum)


CYCLIC_BATTERY = """\
name: cyclic battery
location: {latitude: 51.9, longitude: 4.1}
timezone: UTC
horizon: {start: 2024-01-01T00:00, resolution: 1h, periods: 4}
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: [100, 20, 100, 100]}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: demand, id: load, site: a-site, carrier: electricity, profile_mw: 4}
      - {type: storage, id: battery, site: a-site, technology: battery, carrier: electricity,
         energy_capacity_mwh: 4, charge_capacity_mw: 4, discharge_capacity_mw: 4,
         initial_soc_fraction: 1.0, cyclic: true}
  - {id: grid-co, name: Grid Co, kind: grid_operator}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 100
    export_limit_mw: 0
    contracts: [{participant: a, import_mw: 100}]
"""


@pytest.mark.parametrize("commit", [1, 2, 4])
def test_a_cyclic_store_is_not_emptied_for_free_by_the_rolling_horizon(commit: int) -> None:
    """4 MW each hour; the lossless 4 MWh battery is cyclic: it must end where it starts, so it
    can move one hour of load from a dear hour (100) to the cheap one (20): 20 x 8 + 100 x 8 =
    960 EUR. Emptying the full battery in hour 0, refilling it in hour 1 and emptying it again
    in hour 2 would read 160 + 400 = 560 EUR: cheaper only by ending the horizon empty."""
    result = simulate(loads(CYCLIC_BATTERY), window_hours=4, commit_hours=commit, kind="perfect")
    assert result.perfect_foresight_cost_eur == pytest.approx(960.0, rel=1e-9)
    assert result.realized_cost_eur >= 960.0 - 1e-6
    if commit == 4:  # one window over the horizon: the optimum itself
        assert result.realized_cost_eur == pytest.approx(960.0, rel=1e-9)


def test_nothing_is_stored_for_hours_after_the_horizon() -> None:
    """The COP case of ``test_time_varying_cop.py`` with a heat store, three hours ahead: the
    last plans look past the end, where the first hours' load would come round again; filling
    the store for them cost 75 EUR more than the optimum with perfect forecasts."""
    from test_time_varying_cop import _cluster

    rolled = simulate(_cluster(store=True), window_hours=3, commit_hours=1)
    assert rolled.realized_cost_eur == pytest.approx(300.0)
    assert rolled.regret_eur == pytest.approx(0.0, abs=1e-6)
