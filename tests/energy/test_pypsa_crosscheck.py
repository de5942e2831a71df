"""An independent check: the same small cluster as a PyPSA network gives the same optimal cost.

PyPSA is a test dependency only; the network is written here by hand from the cluster's data,
so a mistake in clusterhub's model builder cannot repeat itself in the reference.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from clusterhub.energy import optimize
from clusterhub.model import Cluster

pypsa = pytest.importorskip("pypsa")


def _network(snapshots: int) -> pypsa.Network:
    logging.getLogger("pypsa").setLevel(logging.ERROR)
    logging.getLogger("linopy").setLevel(logging.ERROR)
    n = pypsa.Network()
    n.set_snapshots(pd.RangeIndex(snapshots))
    return n


def test_storage_and_boilers_match_pypsa(storage_and_boilers: Cluster) -> None:
    # Written from tests/energy/conftest.py STORAGE_AND_BOILERS: prices 20/100/90 EUR/MWh, gas
    # 40 EUR/MWh + 0.2 t/MWh x 50 EUR/t, loads 5 MW electric and 9 MW steam.
    n = _network(3)
    for bus in ("electricity", "gas", "steam"):
        n.add("Bus", bus)
    n.add(
        "Generator",
        "grid",
        bus="electricity",
        p_nom=100,
        marginal_cost=pd.Series([20.0, 100.0, 90.0], index=n.snapshots),
    )
    n.add("Generator", "gas-supply", bus="gas", p_nom=1000, marginal_cost=40.0 + 0.2 * 50)
    n.add("Load", "load", bus="electricity", p_set=5.0)
    n.add("Load", "steam-load", bus="steam", p_set=9.0)
    n.add(
        "StorageUnit",
        "battery",
        bus="electricity",
        p_nom=5,
        max_hours=2,
        efficiency_store=1.0,
        efficiency_dispatch=1.0,
        cyclic_state_of_charge=False,
        state_of_charge_initial=0.0,
    )
    n.add("Link", "e-boiler", bus0="electricity", bus1="steam", p_nom=20, efficiency=0.9)
    n.add("Link", "gas-boiler", bus0="gas", bus1="steam", p_nom=20, efficiency=0.9)
    status, _ = n.optimize(
        solver_name="highs", solver_options={"output_flag": False}, include_objective_constant=False
    )
    assert status == "ok"
    ours = optimize(storage_and_boilers).total_cost_eur
    assert ours == pytest.approx(n.objective, rel=1e-6)


def test_steam_line_joint_matches_pypsa(steam_line: Cluster) -> None:
    # STEAM_LINE together: A's gas boiler feeds B over a line losing 10%; B also has an
    # electric boiler on 100 EUR/MWh power.
    n = _network(3)
    for bus in ("a-gas", "a-steam", "b-steam", "b-electricity"):
        n.add("Bus", bus)
    n.add("Generator", "gas-supply", bus="a-gas", p_nom=1000, marginal_cost=40.0)
    n.add("Generator", "grid", bus="b-electricity", p_nom=100, marginal_cost=100.0)
    n.add("Link", "a-boiler", bus0="a-gas", bus1="a-steam", p_nom=50, efficiency=0.9)
    n.add("Link", "b-e-boiler", bus0="b-electricity", bus1="b-steam", p_nom=50, efficiency=0.99)
    n.add("Link", "line", bus0="a-steam", bus1="b-steam", p_nom=20, efficiency=0.9)
    n.add("Load", "b-steam", bus="b-steam", p_set=9.0)
    status, _ = n.optimize(
        solver_name="highs", solver_options={"output_flag": False}, include_objective_constant=False
    )
    assert status == "ok"
    ours = optimize(steam_line).total_cost_eur
    assert ours == pytest.approx(n.objective, rel=1e-6)
