"""Matching, the flow allocation LP on a hand-solvable instance, and a new entrant's fit."""

from __future__ import annotations

import pytest

from clusterhub.errors import InputError
from clusterhub.examples import load_example
from clusterhub.model import Cluster, Participant, loads
from clusterhub.symbiosis.allocation import plan_flows
from clusterhub.symbiosis.matching import entrant, evaluate, match

# A pickling line's spent acid (100 t, 50 EUR/t to dispose of) and two neighbours that buy
# acid: B needs 60 t at 30 EUR/t, C 80 t at 20 EUR/t; all within about 1 km, by truck at
# 0.12 EUR/t/km. A CO2 output nobody takes, and C's unrelated steam input.
SMALL = """\
name: Acid exchange
location: {latitude: 51.0, longitude: 4.0}
timezone: UTC
horizon: {start: 2024-01-01T00:00, resolution: 1h, periods: 24}
participants:
  - id: a
    name: A Steel
    nace: C24.10
    sites: [{id: a-site, latitude: 51.0, longitude: 4.0}]
    streams:
      - {id: a-acid, site: a-site, direction: output, name: spent pickling liquor,
         resource_class: acid, annual_quantity: 100 t, fate: disposal, fate_cost: 50 EUR/t,
         provenance: synthetic, source: test}
      - {id: a-co2, site: a-site, direction: output, name: CO2, resource_class: co2,
         annual_quantity: 10 t, fate: emitted, provenance: synthetic, source: test}
  - id: b
    name: B Chemicals
    nace: C20.13
    sites: [{id: b-site, latitude: 51.0, longitude: 4.01}]
    streams:
      - {id: b-acid, site: b-site, direction: input, name: acid, resource_class: acid,
         annual_quantity: 60 t, fate: purchased, fate_cost: 30 EUR/t,
         provenance: synthetic, source: test}
  - id: c
    name: C Fertiliser
    nace: C20.15
    sites: [{id: c-site, latitude: 51.01, longitude: 4.0}]
    streams:
      - {id: c-acid, site: c-site, direction: input, name: acid, resource_class: acid,
         annual_quantity: 80 t, fate: purchased, fate_cost: 20 EUR/t,
         provenance: synthetic, source: test}
      - {id: c-steam, site: c-site, direction: input, name: steam, resource_class: steam,
         annual_quantity: 5 t, provenance: synthetic, source: test}
"""


def test_matches_are_ranked_and_explained() -> None:
    found = match(loads(SMALL), top=5)
    acid = found["a-acid"]
    # both about 1 km away; C's need (80 t) overlaps A's 100 t more than B's (60 t)
    assert [m.receiver for m in acid] == ["c-acid", "b-acid"]
    assert acid[0].parts["quantity"] == pytest.approx(0.8)
    assert acid[1].parts["quantity"] == pytest.approx(0.6)
    b = acid[1]
    assert set(b.parts) == {
        "resource", "quality", "quantity", "distance", "availability", "timing"
    }  # fmt: skip
    assert b.parts["resource"] == 1.0
    assert b.quantity == pytest.approx(60.0)
    assert b.distance_km == pytest.approx(0.70, abs=0.01)
    haul = 60 * b.distance_km * 0.12
    assert b.net_benefit_eur == pytest.approx(60 * 50 + 60 * 30 - haul)
    assert found["a-co2"] == []  # nobody takes CO2
    assert [m.supplier for m in found["c-acid"]] == ["a-acid"]


def test_the_allocation_lp_splits_the_acid_by_value() -> None:
    cluster = loads(SMALL)
    plan = plan_flows(cluster)
    flows = {(f.supplier, f.receiver): f for f in plan.flows}
    # B is worth 50 + 30 per t, C 50 + 20: B takes its 60 t, C the remaining 40 t
    assert flows[("a-acid", "b-acid")].quantity == pytest.approx(60.0)
    assert flows[("a-acid", "c-acid")].quantity == pytest.approx(40.0)
    # mass: never more than the supplier has, nor more than a receiver needs
    assert sum(f.quantity for f in plan.flows if f.supplier == "a-acid") <= 100.0 + 1e-9
    expected = sum(f.quantity * f.benefit_eur_per_unit for f in plan.flows)
    assert plan.total_benefit_eur == pytest.approx(expected)
    b = flows[("a-acid", "b-acid")]
    assert b.benefit_eur_per_unit == pytest.approx(80.0, abs=0.2)  # 50 + 30 less ~1 km haul


def test_a_fixed_cost_per_link_leaves_out_the_small_one() -> None:
    plan = plan_flows(loads(SMALL), fixed_cost_eur=3000.0)
    # both links: 60 x 80 + 40 x 70 - 6,000 = 1,600; B alone: 4,800 - 3,000 = 1,800;
    # C alone takes 80 t: 80 x 70 - 3,000 = 2,600, the best (haulage of ~0.1 EUR/t aside)
    assert [(f.receiver, round(f.quantity)) for f in plan.flows] == [("c-acid", 80)]
    assert plan.new_links == 1
    assert plan.total_benefit_eur == pytest.approx(80 * 70 - 3000, abs=15)


def test_a_new_entrant_finds_its_fit() -> None:
    cluster = loads(SMALL)
    newcomer = Participant.model_validate(
        {
            "id": "d",
            "name": "D Acid Recovery",
            "nace": "E38.32",
            "sites": [{"id": "d-site", "latitude": 51.0, "longitude": 4.005}],
            "streams": [
                {"id": "d-acid-in", "site": "d-site", "direction": "input", "name": "acid",
                 "resource_class": "acid", "annual_quantity": "50 t",
                 "provenance": "synthetic", "source": "test"},
                {"id": "d-steam", "site": "d-site", "direction": "output", "name": "steam",
                 "resource_class": "steam", "annual_quantity": "5 t",
                 "provenance": "synthetic", "source": "test"},
            ],
        }
    )  # fmt: skip
    fit = entrant(cluster, newcomer)
    assert [m.supplier for m in fit.absorbs["d-acid-in"]] == ["a-acid"]
    assert [m.receiver for m in fit.supplies["d-steam"]] == ["c-steam"]


def test_held_out_exchanges_come_back() -> None:
    # Kalundborg's 20 exchanges hidden and searched for again among all inputs
    result = evaluate(load_example("kalundborg"))
    assert result.exchanges == 20
    assert result.recall_at[5] >= 0.9
    assert result.precision_at[1] >= 0.6
    assert set(result.without) == {
        "resource", "quality", "quantity", "distance", "availability", "timing"
    }  # fmt: skip


def _with_fate_cost(cluster: Cluster, stream_id: str, fate_cost: str) -> Cluster:
    """The cluster with one stream's fate cost replaced (the model is frozen: copies)."""
    participants = []
    for p in cluster.participants:
        streams = tuple(
            s.model_copy(update={"fate_cost": fate_cost}) if s.id == stream_id else s
            for s in p.streams
        )
        participants.append(p.model_copy(update={"streams": streams}))
    return cluster.model_copy(update={"participants": tuple(participants)})


def test_a_price_in_a_unit_that_does_not_fit_the_stream_is_named_not_zeroed() -> None:
    """A fate cost per MWh on a stream counted in tonnes used to become an unknown price, so
    the match's avoided cost silently read 0 EUR (issue 17 part 2): now the matcher names the
    stream and the field, and what it expected."""
    cluster = load_example("kwinana")
    counted = [
        s
        for _, s in cluster.iter_streams()
        if s.annual_quantity and s.annual_quantity.strip().endswith(("kt", " t")) and s.fate_cost
    ]
    stream = counted[0]
    broken = _with_fate_cost(cluster, stream.id, "45 EUR/MWh")
    with pytest.raises(InputError) as raised:
        match(broken)
    [problem] = raised.value.problems
    assert problem.path == f"streams[{stream.id}].fate_cost"
    assert problem.expected.startswith("EUR per t")
    assert problem.found == "'45 EUR/MWh'"
    assert match(cluster)  # the bundled registry's own units all fit
