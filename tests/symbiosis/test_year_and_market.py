"""Issue 16: one year at a time, plants that run, a market from data, unknowns kept apart.

Hand-computed cases on small networks (``small_networks``) with exchange years and statuses.
"""

from __future__ import annotations

import pytest
from small_networks import network_cluster

from clusterhub.errors import InputError
from clusterhub.model import Cluster
from clusterhub.symbiosis import (
    Event,
    build_network,
    criticality,
    impact,
    market,
    market_rows,
    state,
)


def with_years(cluster: Cluster, years: dict[str, tuple[int | None, int | None]]) -> Cluster:
    exchanges = tuple(
        e.model_copy(update=dict(zip(("start_year", "end_year"), years[e.id], strict=True)))
        if e.id in years
        else e
        for e in cluster.exchanges
    )
    return cluster.model_copy(update={"exchanges": exchanges})


def with_status(cluster: Cluster, status: dict[str, str]) -> Cluster:
    participants = tuple(
        p.model_copy(update={"status": status[p.id]}) if p.id in status else p
        for p in cluster.participants
    )
    return cluster.model_copy(update={"participants": participants})


def levels(result: object) -> dict[str, float]:
    return {f.facility: f.level for f in result.facilities}  # type: ignore[attr-defined]


# --- item 1: the year and the statuses ----------------------------------------------------------


def test_an_exchange_that_ended_carries_no_shutdown_by_default() -> None:
    # a fed b with steam until 2020; c feeds b from 2021. The registry describes up to 2021.
    flows = [("a", "b", "steam", "10 t", "steam"), ("c", "b", "steam", "10 t", "steam")]
    years: dict[str, tuple[int | None, int | None]] = {"x0": (2000, 2020), "x1": (2021, None)}
    cluster = with_years(network_cluster(["a", "b", "c"], flows), years)
    net = build_network(cluster)
    now = impact(net, Event("a"))
    assert now.year == 2021
    assert levels(now) == {}
    assert now.scope is not None
    assert now.scope.inactive_flows == ("x0",)
    assert levels(impact(net, Event("c"))) == {"b": 0.0}
    back = impact(net, Event("a"), year=2020)  # c's supply had not started
    assert back.year == 2020
    assert levels(back) == {"b": 0.0}
    ranking = criticality(net)
    assert ranking.year == 2021
    assert [(r.facility, r.damage) for r in ranking][:1] == [("c", 1.0)]
    assert {r.facility: r.damage for r in criticality(net, year=2020)}["a"] == 1.0


def test_a_shutdown_does_not_reach_a_plant_marked_suspended() -> None:
    flows = [("a", "b", "steam", "10 t", "steam"), ("b", "c", "steam", "10 t", "steam")]
    cluster = with_status(network_cluster(["a", "b", "c"], flows), {"c": "suspended"})
    result = impact(build_network(cluster), Event("a"))
    assert levels(result) == {"b": 0.0}  # c is not running: nothing to lose
    assert result.scope is not None
    assert result.scope.not_running == {"c": "suspended"}
    ranking = criticality(build_network(cluster))
    assert [(r.facility, r.damage, r.running) for r in ranking] == [
        ("a", 1.0, True),
        ("b", 0.0, True),
        ("c", 0.0, False),  # a plant that does not run comes last
    ]
    assert impact(build_network(cluster), Event("c")).not_running


def test_statuses_describe_the_latest_year_not_the_history() -> None:
    flows = [("a", "b", "steam", "10 t", "steam")]
    cluster = with_years(network_cluster(["a", "b"], flows), {"x0": (2004, 2008)})
    cluster = with_status(cluster, {"b": "closed"})
    assert levels(impact(build_network(cluster), Event("a"), year=2006)) == {"b": 0.0}
    latest = impact(build_network(cluster), Event("a"))
    assert latest.year == 2008
    assert levels(latest) == {}


def test_a_network_built_for_one_year_refuses_another() -> None:
    cluster = with_years(
        network_cluster(["a", "b"], [("a", "b", "steam", "1 t", "steam")]), {"x0": (2000, None)}
    )
    with pytest.raises(InputError, match="year 2010, the year the network was built for"):
        impact(build_network(cluster, year=2010), Event("a"), year=2011)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("operating", "running"), ("operating (curtailed)", "running"),
     ("closed (refinery); fuel import terminal operating", "running"),
     ("commissioning", "running"), ("suspended", "stopped"), ("care and maintenance", "stopped"),
     ("closed", "stopped"), ("planned", "planned"), ("unknown after 2021", "unknown")],
)  # fmt: skip
def test_statuses_read_as_free_text(status: str, expected: str) -> None:
    assert state(status) == expected


# --- item 2: the market -------------------------------------------------------------------------


def acid_chain() -> Cluster:
    """a sells by-product acid to b, whose product feeds c: the knock-on of the issue."""
    flows = [("a", "b", "acid", "10 t", "acid"), ("b", "c", "steam", "5 t", "steam")]
    return network_cluster(["a", "b", "c"], flows)


def test_the_market_of_the_region_decides_whether_a_lost_input_is_bought_in() -> None:
    net = build_network(acid_chain())
    anywhere = impact(net, Event("a"), market=market(None))
    assert levels(anywhere) == {}
    (bought,) = anywhere.purchases
    assert (bought.facility, bought.stream, bought.share) == ("b", "b-in-acid", 1.0)
    assert bought.quantity == pytest.approx(10.0)
    assert bought.price_eur_per_unit == pytest.approx(150.0)  # market.csv: acid,*
    assert bought.cost_eur == pytest.approx(1500.0)
    assert bought.co2e_t == pytest.approx(1.0)  # 10 t x 0.1 tCO2e/t
    assert anywhere.cost_eur == pytest.approx(1500.0)
    assert "acid/*" in bought.basis
    # Australia: no acid market (CSBP's superphosphate plant, Feb 2025), so b and c stop
    australia = impact(net, Event("a"), market=market("AU"))
    assert levels(australia) == {"b": 0.0, "c": 0.0}
    assert australia.purchases == ()
    # set by class from the caller, and the default for classes without a row
    assert levels(impact(net, Event("a"), market=market("AU", overrides={"acid": 0.5}))) == {
        "b": pytest.approx(0.5),
        "c": pytest.approx(0.5),
    }
    assert market("AU").share("no-such-class") == 0.0
    assert market("AU", default_share=1.0).share("no-such-class") == 1.0


def test_a_class_without_a_market_row_is_not_bought_in_by_default() -> None:
    # before issue 16 every class but four counted as fully buyable
    net = build_network(network_cluster(["a", "b"], [("a", "b", "other", "3 t", "other")]))
    assert levels(impact(net, Event("a"))) == {"b": 0.0}
    assert levels(impact(net, Event("a"), market=market(None, default_share=1.0))) == {}


def test_user_market_rows_replace_the_bundled_and_bad_cells_are_located() -> None:
    rows = market_rows(
        [{"resource_class": "acid", "region": "AU", "buyable_share": "1",
          "price": "90 EUR/t", "emission_factor": "0.2 tCO2e/t", "source": "quote"}]
    )  # fmt: skip
    result = impact(build_network(acid_chain()), Event("a"), market=market("AU", rows=rows))
    assert result.purchases[0].cost_eur == pytest.approx(900.0)
    with pytest.raises(InputError) as caught:
        market_rows(
            [{"resource_class": "acid", "region": "*", "buyable_share": "2", "price": "9 EUR"}],
            file="market.csv",
        )
    text = str(caught.value)
    assert "market.csv:2:3: buyable_share: expected a share from 0 to 1, got '2'" in text
    assert "market.csv:2:4: price" in text


# --- item 3: unknown quantities -----------------------------------------------------------------


def test_unknown_quantities_stay_unknown_and_are_counted_apart() -> None:
    # a -> b (water, no figure anywhere) and b -> c (steam, no figure): a stopping, b buys
    # water of unknown quantity; c stopping leaves b's steam without a taker, amount unknown
    flows = [("a", "b", "water", None, "water"), ("b", "c", "steam", None, "steam")]
    net = build_network(network_cluster(["a", "b", "c"], flows))
    bought = impact(net, Event("a"))
    (purchase,) = bought.purchases
    assert purchase.quantity is None
    assert purchase.cost_eur is None
    assert bought.cost_eur == 0.0
    left = impact(net, Event("c"))
    assert left.diverted == {}
    assert left.diverted_unknown == 1
    assert left.untaken == {"b-out-1": None}


def test_a_lost_input_without_a_figure_has_no_quantity() -> None:
    net = build_network(network_cluster(["a", "b"], [("a", "b", "steam", None, "steam")]))
    (b,) = impact(net, Event("a")).facilities
    (lost,) = b.lost_inputs
    assert lost.quantity is None
    assert (lost.known, lost.unknown_flows) == (False, 1)
