"""Issue 16 item 4: the knock-ons the Kwinana registry records, tested from its records.

Every exchange of the sourced backbone (provenance verified or background) that runs in a year
between plants that run must show up both ways: stopping its supplier costs its receiver that
input (lost, or bought in), and stopping its receiver leaves the supplier's output without that
taker. And nothing else may: no loss rides on an exchange that ended, none reaches a plant the
registry marks suspended or closed. The story a council knows follows: Nickel West's Kalgoorlie
acid kept CSBP's superphosphate plant going, whose fluorosilicic acid fluoridated Perth's water
(K13, K5); since the suspension (Oct 2024) stopping Nickel West changes nothing; the refinery
and cogeneration exchanges that ended in 2021 rank nobody.
"""

from __future__ import annotations

from functools import cache

import pytest

from clusterhub.examples import load_example
from clusterhub.model import Cluster
from clusterhub.symbiosis import Event, Network, build_network, criticality, impact, scoped
from clusterhub.symbiosis.allocation import plan_flows
from clusterhub.symbiosis.status import state


@cache
def kwinana() -> tuple[Cluster, Network]:
    cluster = load_example("kwinana")
    return cluster, build_network(cluster)


def site_of(cluster: Cluster) -> dict[str, str]:
    return {s.id: s.site for _, s in cluster.iter_streams()}


def status_of(cluster: Cluster) -> dict[str, str]:
    return {site.id: p.status for p in cluster.participants for site in p.sites}


@pytest.mark.parametrize("year", [2008, 2021, 2024, 2025])
def test_every_recorded_exchange_knocks_on_both_ways_and_nothing_else(year: int) -> None:
    cluster, net = kwinana()
    site, status = site_of(cluster), status_of(cluster)
    latest = net.latest_year
    assert latest == 2025
    idle = {s for s, text in status.items() if year >= latest and state(text) != "running"}
    idle -= {s for s, text in status.items() if state(text) == "unknown"}
    live = [
        e
        for e in cluster.exchanges
        if e.provenance != "synthetic"
        and e.active_in(year)
        and site[e.supplier] not in idle
        and site[e.receiver] not in idle
    ]
    assert live  # the backbone has exchanges in each of these years
    for e in live:
        down = impact(net, Event(site[e.supplier]), year=year)
        assert down.year == year
        lost = {x.stream for f in down.facilities for x in f.lost_inputs}
        bought = {x.stream for x in down.purchases}
        assert e.receiver in lost | bought, (e.id, year)
        up = impact(net, Event(site[e.receiver]), year=year)
        stopped = {f.facility for f in up.facilities if f.level == 0.0}
        assert e.supplier in up.untaken or site[e.supplier] in stopped, (e.id, year)
    # and the other way round: every loss rides on an exchange active then, between running
    # plants (for the whole registry, synthetic fill included)
    network, scope = scoped(net, year)
    active = set(network.flows)
    by_id = {e.id: e for e in cluster.exchanges}
    assert all(by_id[k].active_in(year) for k in active)
    receivers = {by_id[k].receiver for k in active}
    for facility in {site[e.supplier] for e in live}:
        result = impact(net, Event(facility), year=year)
        assert not {f.facility for f in result.facilities} & set(scope.not_running)
        assert {x.stream for f in result.facilities for x in f.lost_inputs} <= receivers
        assert {x.stream for x in result.purchases} <= receivers


def test_the_acid_chain_the_council_knows() -> None:
    _, net = kwinana()
    # 2024: Kalgoorlie's sulphuric acid (K13) has no replacement in Australia (market.csv, from
    # CSBP's release of 26 Feb 2025): the superphosphate plant stops, and with it the
    # fluorosilicic acid for drinking-water fluoridation (K5)
    acid = impact(net, Event("nickel-west-kalgoorlie"), year=2024)
    assert {f.facility: f.level for f in acid.facilities} == {
        "csbp-ssp": 0.0,
        "water-treatment": 0.0,
    }
    ssp = next(f for f in acid.facilities if f.facility == "csbp-ssp")
    assert [x.stream for x in ssp.lost_inputs] == ["csbp-sulphuric-acid"]
    assert ssp.lost_inputs[0].quantity is None  # the registry gives no figure
    # 2025, the registry's present: Nickel West is suspended, so stopping it takes nothing
    now = impact(net, Event("nickel-west-kalgoorlie"))
    assert now.year == 2025
    assert now.not_running
    assert now.facilities == ()


def test_the_n1_ranking_describes_the_present() -> None:
    cluster, net = kwinana()
    ranking = criticality(net)
    assert ranking.year == 2025
    rows = {r.facility: r for r in ranking}
    # the refinery's and the cogeneration plant's exchanges (K8, K9, K15) ended in 2021; the
    # cogeneration plant led the ranking over all years at once before issue 16 (it stopped
    # the refinery's steam and power in 2020)
    assert {"K8", "K9", "K15-steam", "K15-power"} <= set(ranking.scope.inactive_flows)
    assert rows["kwinana-cogen"].damage == 0.0
    assert {r.facility: r.damage for r in criticality(net, year=2020)}["kwinana-cogen"] >= 2.0
    # Coogee's chlorine is piped to Tronox's pigment plant (K7), which cannot buy it in
    assert ranking[0].facility == "coogee-kwinana"
    tronox = impact(net, Event("coogee-kwinana"))
    assert {f.facility: f.level for f in tronox.facilities}["tronox-kwinana"] == 0.0
    # plants the registry marks suspended or closed rank last and cost nothing
    idle = {s for s, text in status_of(cluster).items() if state(text) == "stopped"}
    assert idle == {"nickel-west-kwinana", "nickel-west-kalgoorlie", "hismelt-kwinana"}
    assert {r.facility for r in ranking.rows[-len(idle) :]} == idle
    assert all(not rows[s].running and rows[s].damage == 0.0 for s in idle)


def test_the_plan_sends_nothing_to_or_from_a_plant_that_does_not_run() -> None:
    cluster, _ = kwinana()
    site, status = site_of(cluster), status_of(cluster)
    plan = plan_flows(cluster)
    touched = {site[f.supplier] for f in plan.flows} | {site[f.receiver] for f in plan.flows}
    stopped = {s for s, text in status.items() if state(text) == "stopped"}
    assert not touched & stopped  # before issue 16: recycled water to Nickel West's refinery
    assert set(plan.left_out) == stopped
    assert plan.year == 2025
    existing = {(f.supplier, f.receiver) for f in plan.flows if f.existing}
    active = {(e.supplier, e.receiver) for e in cluster.exchanges if e.active_in(2025)}
    assert existing <= active
