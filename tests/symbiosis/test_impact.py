"""Hand-computed cascades: chains, diamonds, substitutable inputs, buffer days, cycles."""

from __future__ import annotations

import pytest
from small_networks import network_cluster

from clusterhub.errors import NotFound
from clusterhub.symbiosis import Event, ImpactOptions, build_network, criticality, impact


def levels(result: object) -> dict[str, float]:
    return {f.facility: f.level for f in result.facilities}  # type: ignore[attr-defined]


def test_a_chain_goes_down_link_by_link() -> None:
    net = build_network(
        network_cluster(["a", "b", "c"], [("a", "b", "steam", "10 t", "steam"),
                                          ("b", "c", "steam", "10 t", "steam")])
    )  # fmt: skip
    result = impact(net, Event("a"))
    assert levels(result) == {"b": 0.0, "c": 0.0}
    b = result.facilities[0]
    assert b.lost_inputs[0].quantity == pytest.approx(10.0)
    assert b.lost_inputs[0].unit == "t"
    assert b.lost_inputs[0].share_of_need == pytest.approx(1.0)
    assert b.lost_outputs == {"b-out-1": pytest.approx(10.0)}
    assert result.damage == pytest.approx(2.0)


def test_a_diamond_halves_the_sink() -> None:
    # a feeds b and c; b and c each supply half of d's steam. b stops: d runs at 50%.
    flows = [("a", "b", "steam", "10 t", "steam"), ("a", "c", "steam", "10 t", "steam"),
             ("b", "d", "steam", "5 t", "steam"), ("c", "d", "steam", "5 t", "steam")]  # fmt: skip
    net = build_network(network_cluster(["a", "b", "c", "d"], flows))
    assert levels(impact(net, Event("b"))) == {"d": pytest.approx(0.5)}
    d = impact(net, Event("b")).facilities[0]
    assert d.lost_inputs[0].quantity == pytest.approx(5.0)
    assert d.lost_inputs[0].share_of_need == pytest.approx(0.5)
    assert levels(impact(net, Event("a"))) == {"b": 0.0, "c": 0.0, "d": 0.0}
    # a capacity cut at a to 60% passes through at 60%
    cut = impact(net, Event("a", "capacity", level=0.6))
    assert levels(cut) == {
        "b": pytest.approx(0.6),
        "c": pytest.approx(0.6),
        "d": pytest.approx(0.6),
    }


def test_supply_from_outside_the_network_cushions() -> None:
    # d needs 20 t of steam a year; the network brings 10 t, the rest comes from elsewhere
    net = build_network(
        network_cluster(["a", "d"], [("a", "d", "steam", "10 t", "steam")],
                        needs={("d", "steam"): "20 t"})
    )  # fmt: skip
    assert levels(impact(net, Event("a"))) == {"d": pytest.approx(0.5)}


def test_substitutable_inputs_are_bought_in() -> None:
    net = build_network(network_cluster(["a", "b"], [("a", "b", "water", "10 m3", "water")]))
    assert levels(impact(net, Event("a"))) == {}  # water can be bought: nothing stops
    partly = ImpactOptions(by_stream_substitutable={"b-in-water": 0.6})
    result = impact(net, Event("a"), partly)
    assert levels(result) == {"b": pytest.approx(0.6)}
    assert result.facilities[0].lost_inputs[0].share_of_need == pytest.approx(0.4)


def test_buffer_days_delay_and_can_absorb_a_suspension() -> None:
    # gypsum is stockpiled (7 days by default); make it irreplaceable for the test
    options = ImpactOptions(substitutable={"gypsum": 0.0, "steam": 0.0})
    flows = [("a", "b", "gypsum", "100 t", "gypsum"), ("b", "c", "steam", "10 t", "steam")]
    net = build_network(network_cluster(["a", "b", "c"], flows))
    permanent = impact(net, Event("a"), options)
    assert levels(permanent) == {"b": 0.0, "c": 0.0}
    days = {f.facility: f.days_until_impact for f in permanent.facilities}
    assert days == {"b": 7.0, "c": 7.0}
    assert levels(impact(net, Event("a", "suspension", days=5), options)) == {}
    assert levels(impact(net, Event("a", "suspension", days=10), options)) == {"b": 0.0, "c": 0.0}


def test_a_cycle_settles() -> None:
    flows = [("a", "b", "steam", "10 t", "steam"), ("b", "a", "steam", "10 t", "steam"),
             ("b", "c", "heat", "5 MWh", "heat")]  # fmt: skip
    net = build_network(network_cluster(["a", "b", "c"], flows))
    result = impact(net, Event("a", "capacity", level=0.5))
    assert levels(result) == {"b": pytest.approx(0.5), "c": pytest.approx(0.5)}


def test_criticality_ranks_the_head_of_a_chain_first() -> None:
    flows = [("a", "b", "steam", "10 t", "steam"), ("b", "c", "steam", "10 t", "steam"),
             ("d", "c", "water", "1 m3", "water")]  # fmt: skip
    net = build_network(network_cluster(["a", "b", "c", "d"], flows))
    ranked = criticality(net)
    assert [r.facility for r in ranked] == ["a", "b", "d", "c"]
    assert [r.damage for r in ranked] == pytest.approx([2.0, 1.0, 0.0, 0.0])
    # the batch scan agrees with one impact at a time
    for row in ranked:
        assert row.damage == pytest.approx(impact(net, Event(row.facility)).damage)


def test_an_unknown_facility_is_named() -> None:
    net = build_network(network_cluster(["a", "b"], [("a", "b", "steam", "1 t", "steam")]))
    with pytest.raises(NotFound, match="nowhere"):
        impact(net, Event("nowhere"))
