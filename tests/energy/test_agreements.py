"""Power purchase agreements between members: a fixed delivery at its price when the parties
act apart, a payment between them when they act together. Every figure is computed by hand.

The cluster: A owns a 10 MW wind farm (available 1.0 then 0.5) and no load; B has an 8 MW
load. Electricity costs 100 EUR/MWh to import and earns 30 to export; A may export 20 MW and
import 5, B import 20 and export 5.

- Without an agreement, alone: A exports 15 MWh (-450), B imports 16 MWh (1,600): 1,150.
  Jointly the wind serves B: export 2 MWh in hour 1 (-60), import 3 in hour 2 (300): 240.
- Pay-as-produced, all of the farm at 50 EUR/MWh: B receives 10 then 5 MW. A alone earns
  15 * 50 = 750 (-750); B pays 750, exports 2 MWh (-60) and imports 3 (300): 990. Alone
  total 240 = the joint cost: the agreement already gives B the wind, the saving is 0.
- A 6 MW baseload at 60: A delivers 6 from its wind in hour 1 (exports 4: -120) and imports
  1 MWh in hour 2 (100), earns 720: -740; B pays 720 and imports 2 + 2 MWh (400): 1,120.
"""

from __future__ import annotations

import pytest

from clusterhub.energy import CoalitionCosts, compare
from clusterhub.errors import InputError
from clusterhub.model import Cluster, loads

BASE = """\
name: Agreements
location: {{latitude: 51.9, longitude: 4.1}}
timezone: UTC
horizon: {{start: 2024-01-01T00:00, resolution: {resolution}, periods: 2}}
carriers:
  - {{id: electricity, kind: electricity, price_eur_per_unit: 100, export_price_eur_per_unit: 30}}
participants:
  - id: a
    name: A
    nace: D35.11
    sites: [{{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: generator, id: wind, technology: wind, site: a-site, capacity_mw: 10,
         availability: [1.0, 0.5]}}
  - id: b
    name: B
    nace: C20.14
    sites: [{{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}}]
    assets:
      - {{type: demand, id: b-load, site: b-site, carrier: electricity, profile_mw: 8}}
connections:
  - id: grid
    import_limit_mw: 40
    export_limit_mw: 40
    contracts:
      - {{participant: a, import_mw: 5, export_mw: 20}}
      - {{participant: b, import_mw: 20, export_mw: {b_export}}}
"""


def _cluster(agreements: str = "", *, resolution: str = "1h", b_export: float = 5) -> Cluster:
    text = BASE.format(resolution=resolution, b_export=b_export)
    return loads(text + (f"agreements:\n{agreements}" if agreements else ""))


AS_PRODUCED = "  - {id: wind-ppa, seller: a, buyer: b, asset: wind, price_eur_per_mwh: 50}\n"
BASELOAD = "  - {id: base-ppa, seller: a, buyer: b, volume_mw: 6, price_eur_per_mwh: 60}\n"


def test_without_an_agreement_the_wind_is_exported_alone() -> None:
    result = compare(_cluster())
    assert result.standalone.total_cost_eur == pytest.approx(1150)
    assert result.joint.total_cost_eur == pytest.approx(240)
    assert result.standalone.cost_by_participant_eur["a"] == pytest.approx(-450)


def test_pay_as_produced_gives_the_buyer_the_wind_alone() -> None:
    result = compare(_cluster(AS_PRODUCED))
    alone = result.standalone
    assert alone.cost_by_participant_eur["a"] == pytest.approx(-750)
    assert alone.cost_by_participant_eur["b"] == pytest.approx(990)
    assert alone.total_cost_eur == pytest.approx(240)
    # together the agreement moves nothing: the same joint cost, split by the payment
    assert result.joint.total_cost_eur == pytest.approx(240)
    assert result.saving_eur == pytest.approx(0, abs=1e-6)
    # settled as contracted: each member's joint figure is its stand-alone one (B's pool
    # draw beyond the agreement: -2 MWh at 30 and +3 at 100; A only the agreement's 750)
    joint = result.joint.cost_by_participant_eur
    assert joint["a"] == pytest.approx(-750)
    assert joint["b"] == pytest.approx(990)
    # the delivery shows in the nodes' balance: into B's node, out of A's
    balance = alone.balance
    assert balance.agreement_delivery.sel(
        node="b-site|electricity"
    ).values.tolist() == pytest.approx([10, 5])
    assert balance.agreement_sale.sel(node="a-site|electricity").values.tolist() == pytest.approx(
        [10, 5]
    )
    # in the tidy dispatch the delivery in is the buyer's, the delivery out the seller's
    rows = alone.to_dataframe()
    owners = rows.groupby("variable").participant.first()
    assert owners["agreement_in"] == "b"
    assert owners["agreement_out"] == "a"
    together = result.joint.balance.agreement_delivery.fillna(0)
    assert float(together.sum()) == pytest.approx(0)


def test_a_baseload_agreement_is_delivered_from_the_sellers_own_imports_when_short() -> None:
    result = compare(_cluster(BASELOAD))
    alone = result.standalone.cost_by_participant_eur
    assert alone["a"] == pytest.approx(-740)
    assert alone["b"] == pytest.approx(1120)
    assert result.joint.total_cost_eur == pytest.approx(240)
    assert result.saving_eur == pytest.approx(380 - 240)


def test_a_coalition_of_one_party_keeps_the_agreement_at_its_price() -> None:
    costs = CoalitionCosts(_cluster(AS_PRODUCED))
    assert costs(["a"]) == pytest.approx(-750)
    assert costs(["b"]) == pytest.approx(990)
    assert costs(["a", "b"]) == pytest.approx(240)
    assert costs.standalone() == pytest.approx({"a": -750, "b": 990})


def test_what_a_buyer_cannot_take_of_a_plant_is_curtailed_there() -> None:
    # B may not export: of hour 1's 10 MW it uses 8, and the wind farm does not produce the
    # other 2 (no cost; still paid: 750 + 300 for hour 2's import = 1,050)
    result = compare(_cluster(AS_PRODUCED, b_export=0))
    alone = result.standalone
    assert alone.cost_parts_eur["penalties"] == pytest.approx(0)
    assert alone.cost_by_participant_eur["b"] == pytest.approx(1050)
    surplus = alone.balance.agreement_surplus.sel(node="b-site|electricity")
    assert surplus.values.tolist() == pytest.approx([2, 0])


def test_a_volume_the_buyer_cannot_take_alone_is_penalised_not_infeasible() -> None:
    # 9 MW to a buyer using 8 that may not export: 1 MW in each hour at the lost-load penalty
    volume = BASELOAD.replace("volume_mw: 6", "volume_mw: 9")
    result = compare(_cluster(volume, b_export=0))
    assert result.standalone.cost_parts_eur["penalties"] == pytest.approx(2 * 10_000)
    assert result.joint.cost_parts_eur["penalties"] == pytest.approx(0)


def test_an_agreement_delivers_only_inside_its_dates() -> None:
    # daily steps: 1 Jan and 2 Jan; the agreement starts on 2 Jan, so only day 2 is delivered
    dated = "  - {id: base-ppa, seller: a, buyer: b, volume_mw: 6, price_eur_per_mwh: 60, " + (
        "start: 2024-01-02}\n"
    )
    alone = compare(_cluster(dated, resolution="24h")).standalone.balance
    assert alone.agreement_delivery.sel(node="b-site|electricity").values.tolist() == pytest.approx(
        [0, 6]
    )


@pytest.mark.parametrize(
    ("agreement", "path", "expected"),
    [
        ("{id: p, seller: a, buyer: a, asset: wind, price_eur_per_mwh: 5}", "agreements[0].buyer",
         "other than the seller"),
        ("{id: p, seller: a, buyer: z, asset: wind, price_eur_per_mwh: 5}", "agreements[0].buyer",
         "participant ids"),
        ("{id: p, seller: b, buyer: a, asset: wind, price_eur_per_mwh: 5}", "agreements[0].asset",
         "generator of 'b'"),
        ("{id: p, seller: a, buyer: b, price_eur_per_mwh: 5}", "agreements[0].asset", "volume_mw"),
        ("{id: p, seller: a, buyer: b, volume_mw: [1, -1], price_eur_per_mwh: 5}",
         "agreements[0].volume_mw", "0 MW or more"),
        ("{id: p, seller: a, buyer: b, volume_mw: 1, price_eur_per_mwh: 5, start: 2024-02-01,"
         " end: 2024-01-01}", "agreements[0].end", "an end after"),
    ],
)  # fmt: skip
def test_a_wrong_agreement_is_refused_where_it_is_wrong(
    agreement: str, path: str, expected: str
) -> None:
    with pytest.raises(InputError) as caught:
        _cluster(f"  - {agreement}\n")
    problems = caught.value.problems
    assert any(p.path == path and expected in p.expected for p in problems), problems


def test_the_parties_must_share_a_connection() -> None:
    text = (
        BASE.format(resolution="1h", b_export=5)
        .replace(
            "{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}",
            "{id: b-site, latitude: 51.9, longitude: 4.1, connection: other}",
        )
        .replace(
            "      - {participant: b, import_mw: 20, export_mw: 5}\n",
            "  - {id: other, import_limit_mw: 40, export_limit_mw: 40}\n",
        )
    )
    with pytest.raises(InputError) as caught:
        loads(text + "agreements:\n" + AS_PRODUCED)
    assert any(p.path == "agreements[0].buyer_site" for p in caught.value.problems)


def test_an_agreement_is_written_back_as_read() -> None:
    from clusterhub.model import dumps

    cluster = _cluster(AS_PRODUCED + BASELOAD.replace("base-ppa", "base"))
    assert loads(dumps(cluster)) == cluster


LINE = """\
name: Steam contract
location: {latitude: 51.9, longitude: 4.1}
timezone: UTC
horizon: {start: 2024-01-01T00:00, resolution: 1h, periods: 1}
carriers:
  - {id: electricity, kind: electricity, price_eur_per_unit: 100}
  - {id: gas, kind: natural_gas, price_eur_per_unit: 40}
  - {id: steam, kind: steam, temperature_c: 180}
connections:
  - {id: grid, import_limit_mw: 10, export_limit_mw: 0,
     contracts: [{participant: a, import_mw: 10}]}
participants:
  - id: a
    name: A
    nace: C20.14
    sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}]
    assets:
      - {type: converter, id: a-boiler, site: a-site, technology: gas_boiler,
         capacity_mw: 50, inputs: {gas: 1}, outputs: {steam: 0.9}}
  - id: b
    name: B
    nace: C20.16
    sites: [{id: b-site, latitude: 51.9, longitude: 4.1}]
    assets:
      - {type: demand, id: b-steam, site: b-site, carrier: steam, profile_mw: 5}
      - {type: converter, id: b-boiler, site: b-site, technology: gas_boiler,
         capacity_mw: 50, inputs: {gas: 1}, outputs: {steam: 0.8}}
links:
  - {id: steam-line, kind: steam_line, carrier: steam, source: a-site, target: b-site,
     capacity_mw: 10, loss_fraction: 0.1}
agreements:
  - {id: steam-supply, seller: a, buyer: b, link: steam-line, volume_mw: 5,
     price_eur_per_mwh: 30}
"""


def test_a_supply_contract_over_a_line_delivers_less_its_losses() -> None:
    # A sends 5 MW of steam, B receives 4.5 and pays 4.5 * 30 = 135, raising the last 0.5 MW
    # itself (0.5 / 0.8 * 40 = 25): B 160; A burns 5 / 0.9 * 40 = 222.22 and earns 135: 87.22.
    # Jointly all of B's steam comes over the line: 5 / 0.9 / 0.9 * 40 = 246.91.
    result = compare(loads(LINE))
    alone = result.standalone.cost_by_participant_eur
    assert alone["b"] == pytest.approx(160)
    assert alone["a"] == pytest.approx(5 / 0.9 * 40 - 135)
    assert result.joint.total_cost_eur == pytest.approx(5 / 0.9 / 0.9 * 40)
    # together the line carries the steam and B still pays A the contract's 135
    joint = result.joint.cost_by_participant_eur
    assert joint["b"] == pytest.approx(135)
    assert joint["a"] == pytest.approx(5 / 0.9 / 0.9 * 40 - 135)
    steam = result.standalone.balance.sel(node="b-site|steam")
    assert steam.agreement_delivery.values.tolist() == pytest.approx([4.5])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"volume_mw: 5": "volume_mw: 12"}, "at most the 10 MW"),
        ({"source: a-site, target: b-site": "source: b-site, target: a-site"}, "other way"),
        ({"link: steam-line": "link: nowhere"}, "link ids"),
    ],
)
def test_a_wrong_line_contract_is_refused(change: dict[str, str], expected: str) -> None:
    text = LINE
    for old, new in change.items():
        text = text.replace(old, new)
    with pytest.raises(InputError) as caught:
        loads(text)
    assert any(expected in p.expected for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("change", "path", "expected"),
    [
        ({"link: steam-line,": "link: steam-line, seller_site: b-site,"},
         "agreements[0].seller_site", "the end of line"),
        ({"link: steam-line,": "link: steam-line, buyer_site: nowhere,"},
         "agreements[0].buyer_site", "the end of line"),
    ],
)  # fmt: skip
def test_a_named_site_must_be_the_partys_end_of_the_line(
    change: dict[str, str], path: str, expected: str
) -> None:
    text = LINE
    for old, new in change.items():
        text = text.replace(old, new)
    with pytest.raises(InputError) as caught:
        loads(text)
    assert any(p.path == path and expected in p.expected for p in caught.value.problems)


def test_a_pay_as_produced_share_is_delivered_from_its_plants_site() -> None:
    text = BASE.format(resolution="1h", b_export=5).replace(
        "sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid}]",
        "sites: [{id: a-site, latitude: 51.9, longitude: 4.1, connection: grid},\n"
        "            {id: a-yard, latitude: 51.9, longitude: 4.1, connection: grid}]",
    )
    agreement = AS_PRODUCED.replace("asset: wind,", "asset: wind, seller_site: a-yard,")
    with pytest.raises(InputError) as caught:
        loads(text + "agreements:\n" + agreement)
    assert any(p.path == "agreements[0].seller_site" for p in caught.value.problems)


def test_a_plants_share_over_a_cable_must_fit_the_cable() -> None:
    # B's site behind no connection, fed over a 4 MW private cable: a full share of A's 10 MW
    # wind farm would not fit it; 0.4 of it does
    text = (
        BASE.format(resolution="1h", b_export=5)
        .replace(
            "{id: b-site, latitude: 51.9, longitude: 4.1, connection: grid}",
            "{id: b-site, latitude: 51.9, longitude: 4.1}",
        )
        .replace("      - {participant: b, import_mw: 20, export_mw: 5}\n", "")
    )
    cable = (
        "links:\n  - {id: cable, kind: cable, carrier: electricity, source: a-site, target: b-site,"
        " capacity_mw: 4}\n"
    )
    over = "  - {id: p, seller: a, buyer: b, asset: wind, link: cable, price_eur_per_mwh: 50}\n"
    with pytest.raises(InputError) as caught:
        loads(text + cable + "agreements:\n" + over)
    assert any(
        p.path == "agreements[0].share" and "at most the 4 MW" in p.expected
        for p in caught.value.problems
    )
    fits = over.replace("asset: wind,", "asset: wind, share: 0.4,")
    alone = compare(loads(text + cable + "agreements:\n" + fits)).standalone.balance
    delivered = alone.agreement_delivery.sel(node="b-site|electricity").values.tolist()
    assert delivered == pytest.approx([4, 2])
