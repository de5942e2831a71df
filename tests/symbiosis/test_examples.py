"""The bundled symbiosis examples: Kalundborg's history and its most critical facility."""

from __future__ import annotations

import pytest

from clusterhub.examples import load_example
from clusterhub.symbiosis import (
    Event,
    build_network,
    criticality,
    flow_tables,
    impact,
    metrics,
    replay,
)


def test_kalundborg_criticality_puts_asnaes_first() -> None:
    # Chopra & Khanna (2014), Journal of Environmental Management 141, found the coal-fired
    # Asnaes power station the most critical node of the Kalundborg network.
    ranked = criticality(build_network(load_example("kalundborg")))
    assert ranked[0].facility == "asnaes"
    assert ranked[0].damage > ranked[1].damage


def test_kalundborg_replay_counts_the_exchanges_of_each_year() -> None:
    cluster = load_example("kalundborg")
    rows = {r["year"]: r for r in replay(cluster)}
    starts = [e.start_year for e in cluster.exchanges]
    for year in (1961, 1972, 1975, 1982, 1990, 1993, 2000, 2013, 2019):
        assert rows[year]["exchanges"] == sum(1 for s in starts if s is not None and s <= year)
    assert rows[1961]["started"] == ["D1"]
    assert rows[2019]["started"] == ["D20"]
    # the network of a given year holds only the exchanges active then
    assert build_network(cluster, year=1980).size[1] == rows[1980]["exchanges"]


def test_kwinana_impact_of_its_most_critical_facility() -> None:
    net = build_network(load_example("kwinana"))
    worst = criticality(net)[0]
    result = impact(net, Event(worst.facility))
    assert result.damage == pytest.approx(worst.damage)
    assert result.facilities
    for facility in result.facilities:
        assert 0.0 <= facility.level < 1.0 or facility.lost_inputs


def test_metrics_and_sankey_tables_cover_every_flow() -> None:
    net = build_network(load_example("kwinana"))
    m = metrics(net)
    assert sum(d[0] for d in m.degree.values()) == len(net.flows)
    assert all(0.0 < h <= 1.0 for h in m.supplier_hhi.values())
    assert set(m.single_supplier_inputs) <= set(m.supplier_hhi)
    tables = flow_tables(net)
    assert sum(len(rows) for rows in tables.values()) == len(net.flows)
    assert {"source", "target", "value", "unit"} <= set(next(iter(tables.values()))[0])
