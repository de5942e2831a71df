"""Capacity tariffs: the highest flow through a meter in each month (or year) is charged, alone
on each member's contract, jointly on the pool; every figure below is computed by hand.

A tariff of T EUR per kW and year charges a month's peak T * 1000 / 12 EUR per MW, times the
share of the month's hours the horizon covers: 223.2 EUR/kW/yr over 4 of January's 744 hours
is 223.2 * 1000 / 12 * 4 / 744 = 100 EUR per MW of peak.
"""

from __future__ import annotations

import pytest

from clusterhub.energy import CoalitionCosts, DispatchOptions, Peak, compare, simulate
from clusterhub.errors import InputError
from clusterhub.model import Cluster, dumps, loads

HEAD = """\
name: Capacity tariff
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: {start}, resolution: 1h, periods: {periods}}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: 50, export_price_eur_per_unit: 40}}
participants:
{participants}
  - {{id: grid-co, name: Grid Co, kind: grid_operator}}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 30
    export_limit_mw: 30
    {tariff}
    contracts: [{contracts}]
"""


def _member(name: str, assets: str) -> str:
    return f"""\
  - id: {name}
    name: {name.upper()}
    nace: C20.14
    sites: [{{id: {name}-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
{assets}"""


def _load(name: str, profile: str) -> str:
    return (
        f"      - {{type: demand, id: {name}-load, site: {name}-site, carrier: electricity,"
        f" profile_mw: {profile}}}\n"
    )


def _battery(name: str, mwh: float, mw: float, charge_efficiency: float = 1.0) -> str:
    return (
        f"      - {{type: storage, id: {name}-bat, technology: battery, site: {name}-site,"
        f" carrier: electricity, energy_capacity_mwh: {mwh}, charge_capacity_mw: {mw},"
        f" discharge_capacity_mw: {mw}, charge_efficiency: {charge_efficiency},"
        " initial_soc_fraction: 0, cyclic: false}\n"
    )


def _cluster(
    members: dict[str, str],
    tariff: str,
    *,
    start: str = "2024-01-01T00:00",
    periods: int = 4,
) -> Cluster:
    return loads(
        HEAD.format(
            start=start,
            periods=periods,
            participants="\n".join(_member(n, a) for n, a in members.items()).rstrip("\n"),
            tariff=tariff,
            contracts=", ".join(
                f"{{participant: {n}, import_mw: 15, export_mw: 15}}" for n in members
            ),
        )
    )


def _shaving(tariff: float = 223.2, charge_efficiency: float = 1.0) -> Cluster:
    """a needs 4, 4, 10 and 4 MW; a 6 MWh, 3 MW battery, empty at the start."""
    return _cluster(
        {"a": _load("a", "[4, 4, 10, 4]") + _battery("a", 6, 3, charge_efficiency)},
        f"import_capacity_tariff_eur_per_kw_year: {tariff}",
    )


def test_a_capacity_tariff_shaves_a_peak_with_storage() -> None:
    """The battery takes 3 MWh before the 10 MW hour and gives it back then: the peak drops to
    7 MW. Energy is the same 22 MWh (1100 EUR) either way; 7 MW of peak at 100 EUR."""
    result = compare(_shaving())
    alone = result.standalone
    assert alone.total_cost_eur == pytest.approx(1100.0 + 700.0)
    assert alone.cost_parts_eur["capacity"] == pytest.approx(700.0)
    assert alone.cost_parts_eur["energy"] == pytest.approx(1100.0)
    [peak] = alone.peaks
    assert (peak.meter, peak.side, peak.period) == ("a@grid", "import", "2024-01")
    assert peak.peak_mw == pytest.approx(7.0)
    assert peak.charge_eur == pytest.approx(700.0)
    assert alone.dispatch.contract_import.max() == pytest.approx(7.0)
    # jointly the pool's meter is charged the same way, and a pays all of it
    assert result.joint.total_cost_eur == pytest.approx(1800.0)
    assert [p.meter for p in result.joint.peaks] == ["grid"]
    assert result.joint.cost_by_participant_eur["a"] == pytest.approx(1800.0)


def test_without_a_tariff_the_peak_stays() -> None:
    alone = compare(_shaving(tariff=0.0)).standalone
    assert alone.total_cost_eur == pytest.approx(1100.0)
    assert alone.peaks == ()
    assert alone.cost_parts_eur["capacity"] == 0.0
    assert alone.dispatch.contract_import.max() == pytest.approx(10.0)


def _diverse() -> Cluster:
    """a needs 10 then 3 MW, b 2 then 10; 446.4 EUR/kW/yr over 2 hours: 100 EUR per MW."""
    return _cluster(
        {"a": _load("a", "[10, 3]"), "b": _load("b", "[2, 10]")},
        "import_capacity_tariff_eur_per_kw_year: 446.4",
        periods=2,
    )


def test_pooling_pays_one_peak_instead_of_each_members() -> None:
    """Alone a pays 650 + 1000 and b 600 + 1000; the pool draws 12 then 13 MW and pays 1300 for
    its peak, shared at the step of that peak: a drew 3 of the 13 MW then, b 10."""
    result = compare(_diverse())
    assert result.standalone_cost_eur["a"] == pytest.approx(1650.0)
    assert result.standalone_cost_eur["b"] == pytest.approx(1600.0)
    assert result.joint.total_cost_eur == pytest.approx(2550.0)
    assert result.saving_eur == pytest.approx(700.0)
    assert result.joint.cost_by_participant_eur["a"] == pytest.approx(650.0 + 300.0)
    assert result.joint.cost_by_participant_eur["b"] == pytest.approx(600.0 + 1000.0)
    [peak] = result.joint.peaks
    assert peak.peak_mw == pytest.approx(13.0)
    assert peak.at.hour == 1
    costs = CoalitionCosts(_diverse())
    assert costs(["a"]) == pytest.approx(1650.0)
    assert costs(["a", "b"]) == pytest.approx(2550.0)


def test_each_month_pays_its_own_peak() -> None:
    """Two hours of January, two of February (2024: 696 hours): 9 MW in January, 6 in
    February; each month pays a twelfth of 100 EUR/kW/yr for its part of the month. Were the
    running peak carried across the month's end, February would pay for 9."""
    cluster = _cluster(
        {"a": _load("a", "[5, 9, 6, 4]")},
        "import_capacity_tariff_eur_per_kw_year: 100",
        start="2024-01-31T22:00",
    )
    month = 100 * 1000 / 12
    expected = 9 * month * 2 / 744 + 6 * month * 2 / 696
    alone = compare(cluster).standalone
    assert alone.cost_parts_eur["capacity"] == pytest.approx(expected)
    assert alone.total_cost_eur == pytest.approx(24 * 50 + expected)
    assert [(p.period, round(p.peak_mw, 6)) for p in alone.peaks] == [
        ("2024-01", 9.0),
        ("2024-02", 6.0),
    ]
    assert sum(p.charge_eur for p in alone.peaks) == pytest.approx(expected)


def test_a_yearly_export_tariff_caps_the_feed_in() -> None:
    """PV of 8 MW, available 0, 1 and 3/8 in three hours, sells at 40 EUR/MWh; 60 EUR per MW
    of the year's export peak (175.68 EUR/kW/yr over 3 of 2024's 8784 hours). Each MW of peak
    above 3 earns 40 EUR in one hour only, less than its 60: the feed-in is cut to 3 MW."""
    per_mw = 60.0
    tariff = per_mw * 8784 / 3 / 1000  # EUR/kW/yr that charge 60 EUR/MW over 3 hours of 2024
    pv = (
        "      - {type: generator, id: a-pv, technology: pv, site: a-site, capacity_mw: 8,"
        " availability: [0, 1, 0.375]}\n"
    )
    cluster = _cluster(
        {"a": pv},
        f"export_capacity_tariff_eur_per_kw_year: {tariff}\n    capacity_period: year",
        periods=3,
    )
    alone = compare(cluster).standalone
    assert alone.total_cost_eur == pytest.approx(-(6 * 40.0) + 3 * per_mw)
    [peak] = alone.peaks
    assert (peak.side, peak.period, round(peak.peak_mw, 6)) == ("export", "2024", 3.0)


def test_the_rolling_horizon_carries_the_peak_a_month_already_has() -> None:
    """a needs 10, 4, 9 and 4 MW with an empty battery that loses a tenth of what it takes: the
    10 MW hour sets the month's peak; shaving the 9 later would cost losses and save nothing.
    Planned two hours ahead, one at a time, the month's peak so far is the floor of every
    window's: the operation is optimal. Without any look-ahead the 10 MW peak is paid too."""
    cluster = _cluster(
        {"a": _load("a", "[10, 4, 9, 4]") + _battery("a", 3, 3, charge_efficiency=0.9)},
        "import_capacity_tariff_eur_per_kw_year: 223.2",
    )
    rolled = simulate(cluster, window_hours=2, commit_hours=1)
    assert rolled.perfect_foresight_cost_eur == pytest.approx(27 * 50 + 10 * 100.0)
    assert rolled.realized_cost_eur == pytest.approx(rolled.perfect_foresight_cost_eur)
    assert rolled.capacity_cost_eur == pytest.approx(1000.0)
    assert sum(rolled.window_costs_eur) == pytest.approx(27 * 50)


def test_rolling_pays_each_period_once_on_what_was_operated() -> None:
    """With no look-ahead nothing is shaved (1100 + 1000); two hours ahead the battery is
    charged in time (the optimum, 1800); every period is charged once, not per window. The
    last window looks past the horizon's end: nothing happens there, so nothing is bought in
    the last hour for it (it was: the year's first hours, wrapped round, looked real)."""
    blind = simulate(_shaving(), window_hours=1, commit_hours=1)
    assert blind.realized_cost_eur == pytest.approx(2100.0)
    assert blind.capacity_cost_eur == pytest.approx(1000.0)
    for window in (2, 3):  # two hours ahead is enough: the battery charges in the second
        ahead = simulate(_shaving(), window_hours=window, commit_hours=1)
        assert ahead.realized_cost_eur == pytest.approx(1800.0)
        assert ahead.capacity_cost_eur == pytest.approx(700.0)
    whole = simulate(_shaving(), window_hours=4, commit_hours=4)
    assert whole.realized_cost_eur == pytest.approx(whole.perfect_foresight_cost_eur)


def test_a_horizon_inside_the_data_charges_its_own_share() -> None:
    """Optimised over its last two hours only, the shaving case pays 2/744 of the month:
    50 EUR per MW on a 10 MW peak the battery (empty) cannot shave; rolling agrees."""
    options = DispatchOptions(start=2, steps=2)
    alone = compare(_shaving(), options=options).standalone
    assert alone.cost_parts_eur["capacity"] == pytest.approx(10 * 50.0)
    rolled = simulate(_shaving(), window_hours=2, commit_hours=2, options=options)
    assert rolled.perfect_foresight_cost_eur == pytest.approx(alone.total_cost_eur)
    assert rolled.realized_cost_eur == pytest.approx(alone.total_cost_eur)


def test_the_tariff_round_trips_and_bad_values_are_refused() -> None:
    cluster = _diverse()
    again = loads(dumps(cluster))
    assert again.connections[0].import_capacity_tariff_eur_per_kw_year == 446.4
    assert again == cluster
    members = {"a": _load("a", "[10, 3]")}
    for tariff, field in (
        ("import_capacity_tariff_eur_per_kw_year: 5\n    capacity_period: week", "capacity_period"),
        ("import_capacity_tariff_eur_per_kw_year: -1", "import_capacity_tariff_eur_per_kw_year"),
    ):
        with pytest.raises(InputError) as caught:
            _cluster(members, tariff, periods=2)
        assert f"connections[0].{field}" in str(caught.value)


def test_the_peaks_are_the_public_peak_type() -> None:
    assert all(isinstance(p, Peak) for p in compare(_diverse()).joint.peaks)


def test_the_bundled_copy_for_the_other_faces_is_this_case() -> None:
    """``tests/data/energy/peaks.yaml`` (read by the command-line, dashboard and service tests)
    is the pooling case above."""
    from pathlib import Path

    from clusterhub.model import read_cluster

    path = Path(__file__).parents[1] / "data" / "energy" / "peaks.yaml"
    assert read_cluster(path) == _diverse()
