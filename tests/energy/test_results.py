"""What a dispatch result tells a user: who pays what, in which unit, over which steps."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from clusterhub.energy import COST_RULE, DispatchOptions, compare, optimize
from clusterhub.errors import InputError
from clusterhub.examples import load_example
from clusterhub.model import Cluster


def test_every_euro_of_the_joint_cost_is_assigned(shared_connection: Cluster) -> None:
    """Together A and B import 10 MW at 50 EUR/MWh (A 8 MW, B 2 MW through the pool) and A
    curtails 1 MW at 300: A pays 3 h x (8 x 50 + 300) = 2,100, B 3 h x 2 x 50 = 300 by the
    rule (each pays the connection's price for its net draw), 2,400 in all."""
    joint = compare(shared_connection).joint
    assert joint.cost_by_participant_eur["a"] == pytest.approx(2100.0)
    assert joint.cost_by_participant_eur["b"] == pytest.approx(300.0)
    assert joint.cost_by_participant_eur["grid-co"] == pytest.approx(0.0)
    assert sum(joint.cost_by_participant_eur.values()) == pytest.approx(joint.total_cost_eur)
    assert "net draw" in COST_RULE


@pytest.mark.slow(seconds=15)
@pytest.mark.parametrize("name", ["harbour", "energy-park"])
def test_parts_sum_to_the_total_on_the_bundled_examples(name: str) -> None:
    result = compare(load_example(name), options=DispatchOptions(start=24 * 150, steps=48))
    for run in (result.joint, result.standalone):
        parts = run.cost_by_participant_eur
        assert sum(parts.values()) == pytest.approx(run.total_cost_eur, rel=1e-7)
    # every member that consumes pays something together, as it did alone
    alone, together = (
        result.standalone.cost_by_participant_eur,
        result.joint.cost_by_participant_eur,
    )
    for participant, cost in alone.items():
        if cost > 0:
            assert together[participant] != 0.0, participant


def test_a_date_or_a_time_selects_the_step(shared_connection: Cluster) -> None:
    """The small cluster runs 2024-01-01 00:00-02:00 UTC; each spelling names hour 1."""
    for start in (
        1,
        "2024-01-01T01:00",
        "2024-01-01T02:00+01:00",
        dt.datetime(2024, 1, 1, 1, tzinfo=dt.UTC),
        pd.Timestamp("2024-01-01 01:00", tz="UTC"),
    ):
        result = optimize(shared_connection, options=DispatchOptions(start=start, steps=2))
        first = pd.Timestamp(result.dispatch.time.values[0])
        assert first == pd.Timestamp("2024-01-01 01:00"), start
        assert result.total_cost_eur == pytest.approx(2 * 800.0)
    whole_day = optimize(shared_connection, options=DispatchOptions(start=dt.date(2024, 1, 1)))
    assert whole_day.dispatch.sizes["time"] == 3


@pytest.mark.parametrize(
    ("options", "path", "found"),
    [
        ({"start": "first of June"}, "DispatchOptions.start", "'first of June'"),
        ({"start": -1}, "DispatchOptions.start", "-1"),
        ({"start": [1]}, "DispatchOptions.start", "[1]"),
        ({"steps": 0}, "DispatchOptions.steps", "0"),
        ({"steps": 2.5}, "DispatchOptions.steps", "2.5"),
    ],
)
def test_a_start_or_steps_that_is_neither_is_named(
    options: dict[str, object], path: str, found: str
) -> None:
    with pytest.raises(InputError) as caught:
        DispatchOptions(**options)  # type: ignore[arg-type]
    problem = caught.value.problems[0]
    assert problem.path == path
    assert problem.found == found


def test_a_moment_off_the_horizon_names_the_horizon(shared_connection: Cluster) -> None:
    with pytest.raises(InputError, match=r"a step of the horizon \(2024-01-01 00:00"):
        optimize(shared_connection, options=DispatchOptions(start="2024-01-01T00:30"))
    with pytest.raises(InputError, match="inside the horizon of 3 steps"):
        optimize(shared_connection, options=DispatchOptions(start=1, steps=5))


def test_results_are_tidy_with_units(shared_connection: Cluster) -> None:
    result = optimize(shared_connection)
    frame = result.to_dataframe()
    assert list(frame.columns) == [
        "variable",
        "dimension",
        "item",
        "participant",
        "time",
        "value",
        "unit",
    ]
    assert len(frame) > 0
    assert str(frame.time.dt.tz) == "UTC"
    imports = frame[frame.variable == "connection_import"]
    assert imports.value.tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert set(imports.unit) == {"MW"}
    draws = frame[frame.variable == "grid_draw"]
    assert set(draws.participant) == {"a", "b"}
    assert draws.groupby("participant").value.sum().to_dict() == pytest.approx(
        {"a": 24.0, "b": 6.0}
    )
    # no link in this cluster: that variable adds no rows and empties nothing
    assert result.dispatch["link_flow"].size == 0
    assert "link_flow" not in set(frame.variable)
    for name, array in result.dispatch.data_vars.items():
        assert array.attrs["units"] == ("MWh" if name == "storage_soc" else "MW")
    value = result.connection_value_eur_per_mwh
    assert value.name == "connection_value"
    assert value.attrs["units"] == "EUR/MWh"


def test_each_participants_energy_draw_and_node_balance(shared_connection: Cluster) -> None:
    """Together A draws 8 MW of its 9 (1 MW curtailed, the connection's 10 MW full) and B its
    2 MW, for 3 h: 24 and 6 MWh from the grid, 3 MWh curtailed; each site's only supply is the
    grid, and what it draws is the demand it served."""
    joint = compare(shared_connection).joint
    assert joint.energy_by_participant_mwh["a"]["grid-draw"] == pytest.approx(24.0)
    assert joint.energy_by_participant_mwh["a"]["demand-curtailment"] == pytest.approx(3.0)
    assert joint.energy_by_participant_mwh["b"]["grid-draw"] == pytest.approx(6.0)
    assert joint.energy_by_participant_mwh["grid-co"]["grid-draw"] == 0.0
    draw = joint.grid_draw_mw
    assert draw.sel(participant="a").values == pytest.approx([8.0, 8.0, 8.0])
    assert draw.sel(participant="b").values == pytest.approx([2.0, 2.0, 2.0])
    assert draw.sel(participant="grid-co").values == pytest.approx([0.0, 0.0, 0.0])
    node = joint.balance.sel(node="a-site|electricity")
    assert (str(node.site.values), str(node.carrier.values)) == ("a-site", "electricity")
    assert node.grid_import.values == pytest.approx([8.0, 8.0, 8.0])
    assert node.served.values == pytest.approx([8.0, 8.0, 8.0])
    assert bool(node.generation.isnull().all())  # no generator there: absent, not zero
    assert joint.balance.grid_import.attrs["side"] == "supply"
    electricity = joint.carrier_balance().sel(carrier="electricity")
    assert electricity.served.values == pytest.approx([10.0, 10.0, 10.0])


def test_the_congestion_figures_are_the_counted_hours(shared_connection: Cluster) -> None:
    """The pooled 10 MW meet the connection's 10 MW limit in each of the 3 hours."""
    joint = compare(shared_connection).joint
    grid = joint.congestion.sel(connection="grid")
    assert grid.import_mw.values == pytest.approx([10.0, 10.0, 10.0])
    assert grid.limit_mw.values == pytest.approx([10.0, 10.0, 10.0])
    assert grid.congested.values.tolist() == [True, True, True]
    assert joint.congested_hours["grid"] == pytest.approx(float(grid.congested.sum()))


def test_compare_tells_its_stages_in_order(shared_connection: Cluster) -> None:
    told: list[tuple[str, float]] = []
    compare(shared_connection, progress=lambda stage, fraction: told.append((stage, fraction)))
    assert [stage for stage, _ in told] == [
        "gathering data",
        "building the model",
        "solving jointly",
        "solving each company alone",
    ]
    fractions = [fraction for _, fraction in told]
    assert fractions == sorted(fractions)
    assert all(0.0 <= f < 1.0 for f in fractions)
