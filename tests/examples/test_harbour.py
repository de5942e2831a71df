"""The harbour example: valid, plausible against its cited parameters, deterministic, round-trips.

Expected ranges come from energy_parameters.csv as cited in the cluster's ``sources``: PV capacity
factor NL about 0.10-0.11 [B], onshore wind about 0.27 [B], Dutch day-ahead mean about 77 EUR/MWh
in 2024 [B], electrolyser efficiency 0.62-0.70 [V].
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from clusterhub.examples import load_example
from clusterhub.examples.harbour import PRICE_FILE, build, horizon_index, price_table
from clusterhub.model import Cluster, Converter, Demand, Generator, dumps, loads
from clusterhub.model.io import series_files


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_example("harbour")


def _capacity_factor(cluster: Cluster, technology: str) -> float:
    generators = [
        a
        for _, a in cluster.iter_assets()
        if isinstance(a, Generator) and a.technology == technology
    ]
    energy = sum(float(cluster.values(g.availability).sum()) * g.capacity_mw for g in generators)
    return energy / (sum(g.capacity_mw for g in generators) * cluster.horizon.periods)


def test_counts(cluster: Cluster) -> None:
    kinds = [p.kind.value for p in cluster.participants]
    assert kinds.count("company") == 6
    assert kinds.count("grid_operator") == 2
    assert cluster.horizon.periods == 8784  # 2024 is a leap year
    assert cluster.timezone == "Europe/Amsterdam"
    assert {link.kind for link in cluster.links} >= {"steam_line"}
    technologies = {a.technology for _, a in cluster.iter_assets() if not isinstance(a, Demand)}
    assert {"pv", "wind", "battery", "electrolyser", "electric_boiler", "gas_boiler"} <= (
        technologies
    )
    assert any(a.flexibility for _, a in cluster.iter_assets() if isinstance(a, Demand))


def test_capacity_factors(cluster: Cluster) -> None:
    assert 0.09 <= _capacity_factor(cluster, "pv") <= 0.12
    assert 0.25 <= _capacity_factor(cluster, "wind") <= 0.5


def test_parameters_from_sources(cluster: Cluster) -> None:
    electrolysers = [
        a
        for _, a in cluster.iter_assets()
        if isinstance(a, Converter) and a.technology == "electrolyser"
    ]
    assert electrolysers
    assert all(0.62 <= e.outputs["hydrogen"] <= 0.70 for e in electrolysers)
    gas = cluster.carrier("natural_gas")
    assert gas.emission_factor_t_per_unit == 0.202
    assert gas.price_eur_per_unit is not None
    assert 34 <= cluster.values(gas.price_eur_per_unit).mean() <= 41
    assert 65 <= float(cluster.values(cluster.carbon_price_eur_per_t).mean()) <= 84
    assert cluster.carrier("steam").temperature_c is not None


def test_day_ahead_price_shape(cluster: Cluster) -> None:
    series = cluster.carrier("electricity").price_eur_per_unit
    assert series is not None
    price = cluster.values(series)
    assert price.mean() == pytest.approx(77.0, abs=0.01)
    negative = price < 0
    assert 50 <= negative.sum() <= 600
    index = cluster.time_index
    assert set(index[negative].month) <= {4, 5, 6, 7, 8, 9}
    assert set(index[negative].hour) <= set(range(9, 18))
    winter = price[index.month.isin([1, 2, 12])].mean()
    summer = price[index.month.isin([6, 7, 8])].mean()
    assert winter > summer


def test_connections_are_congested(cluster: Cluster) -> None:
    """Contracts behind each connection, and at some hours its members' electric load, exceed
    the import limit: the congestion joint dispatch must work around."""
    assert cluster.connections
    for connection in cluster.connections:
        limit = cluster.values(connection.import_limit_mw)
        contracted = sum(c.import_mw for c in connection.contracts)
        assert (contracted > limit).any(), connection.id
        sites = {s.id for _, s in cluster.iter_sites() if s.connection == connection.id}
        load = sum(
            (
                cluster.values(a.profile_mw)
                for _, a in cluster.iter_assets()
                if isinstance(a, Demand) and a.site in sites and a.carrier == "electricity"
            ),
            start=np.zeros(cluster.horizon.periods),
        )
        electric_converters = sum(
            a.capacity_mw
            for _, a in cluster.iter_assets()
            if isinstance(a, Converter) and a.site in sites and "electricity" in a.inputs
        )
        assert ((load + electric_converters) > limit).any(), connection.id
        assert (load < limit).all(), f"{connection.id}: base load alone must fit"


def test_committed_price_file_regenerates() -> None:
    committed = (
        resources.files("clusterhub.examples")
        .joinpath("data", "harbour", PRICE_FILE)
        .read_text(encoding="utf-8")
    )
    assert price_table(horizon_index()) == committed
    assert len(committed.encode()) < 300_000


def test_deterministic() -> None:
    assert build() == build()


def test_round_trip(cluster: Cluster) -> None:
    again = loads(dumps(cluster), files=series_files(cluster))
    assert again == cluster
    assert dumps(again) == dumps(cluster)


def test_power_price_carries_its_carbon_cost_so_it_is_not_charged_twice() -> None:
    # EU power prices include the ETS cost; the grid factor is for reporting only.
    cluster = load_example("harbour")
    assert cluster.carrier("electricity").carbon_priced is False
    assert cluster.carrier("natural_gas").carbon_priced is True
