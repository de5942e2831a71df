"""The energy-park example: valid, plausible against its cited parameters, deterministic.

Expected ranges: about 80% of the park's electricity from local wind and PV (China Daily,
18 Aug 2022 [V]); Inner Mongolia wind capacity factor about 0.30 and PV about 0.16-0.18 [B];
electrolyser efficiency 0.62-0.70 (PyPSA technology-data [V]).
"""

from __future__ import annotations

import numpy as np
import pytest

from clusterhub.examples import load_example
from clusterhub.examples.energy_park import build
from clusterhub.model import Cluster, Converter, Demand, Generator, dumps, loads


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return load_example("energy-park")


def _annual_mwh(cluster: Cluster, values: np.ndarray) -> float:
    return float(values.sum()) * cluster.horizon.step_hours


def _generation_mwh(cluster: Cluster, technology: str) -> tuple[float, float]:
    """Annual available output and installed capacity of one technology."""
    generators = [
        a
        for _, a in cluster.iter_assets()
        if isinstance(a, Generator) and a.technology == technology
    ]
    energy = sum(
        _annual_mwh(cluster, cluster.values(g.availability)) * g.capacity_mw for g in generators
    )
    return energy, sum(g.capacity_mw for g in generators)


def _electricity_demand_mwh(cluster: Cluster) -> float:
    return sum(
        _annual_mwh(cluster, cluster.values(a.profile_mw))
        for _, a in cluster.iter_assets()
        if isinstance(a, Demand) and a.carrier == "electricity"
    )


def test_counts(cluster: Cluster) -> None:
    companies = [p for p in cluster.participants if p.kind.value == "company"]
    assert len(companies) == 46
    assert all(p.nace for p in companies)
    assert any(p.kind.value == "grid_operator" for p in cluster.participants)
    assert cluster.horizon.periods == 8784
    assert cluster.timezone == "Asia/Shanghai"
    demands = [a for _, a in cluster.iter_assets() if isinstance(a, Demand)]
    assert sum(1 for d in demands if d.flexibility is not None) >= 30  # demand response
    storage = {a.technology for _, a in cluster.iter_assets() if a.type == "storage"}
    assert {"battery", "hydrogen", "heat"} <= storage
    assert all(c.contracts for c in cluster.connections)


def test_capacity_factors(cluster: Cluster) -> None:
    hours = cluster.horizon.periods * cluster.horizon.step_hours
    wind_mwh, wind_mw = _generation_mwh(cluster, "wind")
    pv_mwh, pv_mw = _generation_mwh(cluster, "pv")
    assert 0.27 <= wind_mwh / (wind_mw * hours) <= 0.33
    assert 0.16 <= pv_mwh / (pv_mw * hours) <= 0.18


def test_local_renewable_share(cluster: Cluster) -> None:
    """Annual wind and PV output over annual electricity demand: about 0.8 (China Daily)."""
    renewable = _generation_mwh(cluster, "wind")[0] + _generation_mwh(cluster, "pv")[0]
    demand = _electricity_demand_mwh(cluster)
    assert 0.7 <= renewable / demand <= 0.9
    assert 4e6 <= demand <= 1e7  # MWh/yr: a GW-scale park, as assumed


def test_parameters_from_sources(cluster: Cluster) -> None:
    electrolysers = [
        a
        for _, a in cluster.iter_assets()
        if isinstance(a, Converter) and a.technology == "electrolyser"
    ]
    assert electrolysers
    assert all(0.62 <= e.outputs["hydrogen"] <= 0.70 for e in electrolysers)
    assert cluster.carrier("natural_gas").emission_factor_t_per_unit == 0.202
    assert any("China Daily" in s for s in cluster.sources)


def test_park_contracts_are_firm_and_the_data_centre_feeder_is_congested(
    cluster: Cluster,
) -> None:
    contracted = {c.id: sum(k.import_mw for k in c.contracts) for c in cluster.connections}
    limits = {c.id: cluster.values(c.import_limit_mw) for c in cluster.connections}
    assert (limits["park-220kv"] >= contracted["park-220kv"]).all()
    assert (limits["dc-110kv"] < contracted["dc-110kv"]).any()


def test_hydrogen_demand_can_be_met(cluster: Cluster) -> None:
    """The electrolysers' full output covers the peak hydrogen demand (trucked hydrogen is the
    costly fallback)."""
    supply = sum(
        a.capacity_mw * a.outputs["hydrogen"]
        for _, a in cluster.iter_assets()
        if isinstance(a, Converter) and "hydrogen" in a.outputs
    )
    demand = sum(
        (
            cluster.values(a.profile_mw)
            for _, a in cluster.iter_assets()
            if isinstance(a, Demand) and a.carrier == "hydrogen"
        ),
        start=np.zeros(cluster.horizon.periods),
    )
    assert demand.max() < supply


def test_deterministic(cluster: Cluster) -> None:
    assert build() == build() == cluster


def test_round_trip(cluster: Cluster) -> None:
    assert loads(dumps(cluster)) == cluster
