"""One direction per meter and hour: where export pays more than import costs, the optimum must
not import and export through one meter at once for a profit no plant earns.

The hand cases: company a, import 50 and export 80 EUR/MWh, a 1 MW load, a contract of 6 MW in
and 5 MW out, 3 hours; company b, a 0.5 MW load on 2 MW in. As two plain flows the linear
program would import 6 and export 5 through a's meter every hour (3 x (300 - 400) = -300 EUR
for a alone); physically a imports the 1 MW it uses (+150 EUR). With PV at a (3, 1.5, 0 MW) the
direction is a real choice, and a binary must make it.
"""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.energy import DispatchOptions, compare, simulate
from clusterhub.energy.data import gather
from clusterhub.energy.meters import BINARIES
from clusterhub.energy.model import build
from clusterhub.energy.solver import Run, Solver
from clusterhub.model import Cluster, loads

TOL = 1e-6
HEAD = """\
name: Arbitrage
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: 1h, periods: {periods}}}
"""


def _arbitrage(
    *,
    import_price: str = "50",
    export_price: str = "80",
    pv: str = "",
    periods: int = 3,
    load: str = "1",
) -> Cluster:
    body = f"""\
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: {import_price},
     export_price_eur_per_unit: {export_price}}}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: a-load, site: a-site, carrier: electricity, profile_mw: {load}}}
{pv}
  - id: b
    name: B
    nace: C24.10
    sites: [{{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: b-load, site: b-site, carrier: electricity, profile_mw: 0.5}}
  - {{id: grid-co, name: Grid Co, kind: grid_operator}}
connections:
  - id: grid
    operator: grid-co
    import_limit_mw: 8
    export_limit_mw: 5
    contracts: [{{participant: a, import_mw: 6, export_mw: 5}}, {{participant: b, import_mw: 2}}]
"""
    made = loads(HEAD.format(periods=periods) + body)
    return made


PV = (
    "      - {type: generator, id: a-pv, site: a-site, technology: pv, capacity_mw: 3,\n"
    "         availability: [1, 0.5, 0]}"
)


def _both_ways(solver: Solver, run: Run) -> float:
    """The most any meter imports and exports at once in ``run``, from the solver's columns."""
    worst = 0.0
    for _, inflow, outflow in BINARIES:
        both = np.minimum(solver.values(run, inflow), solver.values(run, outflow))
        worst = max(worst, float(both.max()) if both.size else 0.0)
    return worst


def _solved(made: Cluster) -> tuple[Solver, Run, Run]:
    solver = Solver(build(gather(made)))
    return solver, solver.joint(), solver.standalone()


def test_a_load_behind_a_rewarding_meter_imports_only_what_it_uses() -> None:
    result = compare(_arbitrage())
    # 1.5 MW of load at 50 EUR for 3 h jointly; alone, a's 1 MW and b's 0.5 MW the same
    assert result.joint.total_cost_eur == pytest.approx(225.0)
    assert result.standalone.total_cost_eur == pytest.approx(225.0)
    assert result.joint.one_way_hours == {"grid": 3.0}
    assert result.standalone.one_way_hours == {"a@grid": 3.0}
    solver, joint, alone = _solved(_arbitrage())
    assert _both_ways(solver, joint) <= TOL
    assert _both_ways(solver, alone) <= TOL


def test_a_producer_exports_its_surplus_and_nothing_more() -> None:
    """a's PV gives 3, 1.5 and 0 MW: a exports 2 and 0.5 MW (-160, -40 EUR) and imports 1 MW
    in the last hour (+50): -150 EUR alone; b adds 75 EUR alone. Jointly b uses a's surplus
    first: net exports 1.5 and 0 MW, then 1.5 MW imported: -120 + 0 + 75 = -45 EUR."""
    result = compare(_arbitrage(pv=PV))
    assert result.standalone.total_cost_eur == pytest.approx(-150.0 + 75.0)
    assert result.joint.total_cost_eur == pytest.approx(-45.0)
    for run in (result.joint, result.standalone):
        assert run.one_way_method in {"relaxation", "rounded", "branch-and-bound"}
        assert run.gap_pct is not None
        assert run.gap_pct <= 0.01
        assert run.lower_bound_eur is not None
        assert run.upper_bound_eur is not None
        assert run.lower_bound_eur <= run.total_cost_eur + TOL
        assert run.upper_bound_eur == pytest.approx(run.total_cost_eur)
    solver, joint, alone = _solved(_arbitrage(pv=PV))
    assert joint.integral.size  # binaries where both ways could pay
    assert alone.integral.size
    assert _both_ways(solver, joint) <= TOL
    assert _both_ways(solver, alone) <= TOL


def test_the_reported_flows_are_net_and_balance() -> None:
    result = compare(_arbitrage(pv=PV))
    d = result.joint.dispatch
    both = np.minimum(d.connection_import, d.connection_export)
    assert float(both.max()) <= TOL
    # a exports its surplus over b's load: 3 - 1.5 and 1.5 - 1.5 MW, then imports 1.5 MW
    np.testing.assert_allclose(
        (d.connection_import - d.connection_export).sum("connection").values,
        [-1.5, 0.0, 1.5],
        atol=TOL,
    )


def test_prices_that_cannot_reward_both_ways_keep_a_linear_program() -> None:
    """Export at the import price, or below it: netting costs nothing, no binary is built."""
    for export in ("50", "30"):
        made = _arbitrage(export_price=export, pv=PV)
        built = build(gather(made))
        assert not any(binary in built.model.variables for binary, _, _ in BINARIES)
        result = compare(made)
        assert result.joint.one_way_hours == {}
        assert result.joint.gap_pct is None
        assert (
            float(
                np.minimum(
                    result.joint.dispatch.connection_import, result.joint.dispatch.connection_export
                ).max()
            )
            <= TOL
        )


def test_only_the_hours_whose_prices_reward_both_ways_get_a_binary() -> None:
    """Import 50, 100, 20 against export 60: hours 1 and 3 reward both ways, hour 2 does not."""
    made = _arbitrage(import_price="[50, 100, 20]", export_price="60", pv=PV.replace("0]", "0.8]"))
    built = build(gather(made))
    binary = built.model.variables["connection-exporting"]
    assert (binary.labels.values >= 0).sum() == 2
    result = compare(made)
    assert result.joint.one_way_hours == {"grid": 2.0}
    solver, joint, alone = _solved(made)
    assert _both_ways(solver, joint) <= TOL
    assert _both_ways(solver, alone) <= TOL


def test_a_rolling_horizon_keeps_each_meter_one_way() -> None:
    """Two 3-hour windows, each the PV case with a's load halved in its last hour: the hour
    without PV draws less than the horizon's most, room a relaxed binary would use to import
    and export at once. Per window: -120 (1.5 MW out), 0, +50 (1 MW in)."""
    made = _arbitrage(
        pv=PV.replace("[1, 0.5, 0]", "[1, 0.5, 0, 1, 0.5, 0]"),
        periods=6,
        load="[1, 1, 0.5, 1, 1, 0.5]",
    )
    rolled = simulate(made, window_hours=3, commit_hours=3, kind="perfect")
    assert rolled.perfect_foresight_cost_eur == pytest.approx(-140.0)
    assert rolled.window_costs_eur == pytest.approx((-70.0, -70.0))
    assert rolled.realized_cost_eur == pytest.approx(-140.0)


def test_a_start_and_steps_keep_it_too() -> None:
    made = _arbitrage(pv=PV)
    result = compare(made, options=DispatchOptions(start=1, steps=2))
    # a: export 0.5 at 80 (-40), import 1 at 50; b: 0.5 MW a hour at 50 -> jointly 0 and 1.5 MW
    assert result.joint.total_cost_eur == pytest.approx(75.0)
