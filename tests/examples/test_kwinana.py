"""The Kwinana registry: public counts reached, sourced facts kept apart from synthetic fill.

Expected values cite the reference table of public Kwinana exchanges (K1–K17) and facilities.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from clusterhub.examples.kwinana import build
from clusterhub.model import Cluster, ParticipantKind, dumps, loads
from clusterhub.model.units import parse_quantity

#: Every facility of the reference facility table, by the site id that stands for it.
FACILITY_SITES = {
    "Kwinana alumina refinery": "alcoa-kwinana",
    "Kwinana chemical and fertiliser complex": "csbp-kwinana",
    "Kwinana single superphosphate plant": "csbp-ssp",
    "Kwinana nickel refinery": "nickel-west-kwinana",
    "Kwinana pigment plant": "tronox-kwinana",
    "Kwinana chlor-alkali plant": "coogee-kwinana",
    "Kwinana air separation unit": "air-liquide-kwinana",
    "Kwinana Water Reclamation Plant": "kwrp",
    "Perth Seawater Desalination Plant": "psdp",
    "Kwinana fuel import terminal (former refinery)": "bp-kwinana",
    "Munster lime and cement works": "munster",
    "Kwinana lithium hydroxide plant": "tianqi-kwinana",
    "Kwinana lithium hydroxide refinery": "covalent-kwinana",
    "Kwinana waste-to-energy plant": "avertas-kwinana",
    "Kwinana power station site and battery": "synergy-kwinana",
    "Kwinana Bulk Terminal and Jetty": "kwinana-bulk-terminal",
    "Kwinana grain terminal": "cbh-kwinana",
    "HIsmelt Kwinana": "hismelt-kwinana",
}
BACKBONE = {
    "K1", "K2", "K2-feed", "K3", "K4", "K5", "K6", "K7-chlorine", "K7-caustic", "K8", "K9",
    "K10", "K11-oxygen", "K11-nitrogen", "K12", "K13", "K14-steam", "K14-hypochlorite",
    "K15-steam", "K15-power", "K16", "K17",
}  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return build()


def records(cluster: Cluster) -> list[tuple[str, str | None, str]]:
    rows: list[tuple[str, str | None, str]] = [
        (p.id, p.provenance, p.source) for p in cluster.participants
    ]
    rows += [(s.id, s.provenance.value, s.source) for _, s in cluster.iter_streams()]
    rows += [(e.id, e.provenance.value, e.source) for e in cluster.exchanges]
    return rows


def test_public_counts(cluster: Cluster) -> None:
    # Public record (2021): over 150 documented exchanges, 54 companies.
    assert len(cluster.participants) == 54
    assert len(cluster.exchanges) >= 150
    assert {e.id for e in cluster.exchanges} >= BACKBONE


def test_every_reference_facility_is_a_site(cluster: Cluster) -> None:
    sites = {site.id for _, site in cluster.iter_sites()}
    assert set(FACILITY_SITES.values()) <= sites


def test_companies_have_sectors(cluster: Cluster) -> None:
    for participant in cluster.participants:
        assert participant.nace is not None, participant.id
    assert sum(p.kind is ParticipantKind.COMPANY for p in cluster.participants) >= 48


def test_verified_records_cite_and_synthetic_records_say_so(cluster: Cluster) -> None:
    for ident, provenance, source in records(cluster):
        assert provenance is not None, ident
        if provenance == "verified":
            assert source.strip(), ident
        if provenance == "synthetic":
            assert source.startswith("synthetic:"), ident
        else:
            assert "synthetic" not in source, ident


def test_only_sourced_figures_are_verified(cluster: Cluster) -> None:
    # Absent is not zero: verified exchanges carry a quantity only where the source gives one.
    quantified = {
        e.id for e in cluster.exchanges if e.provenance == "verified" and e.annual_quantity
    }
    assert quantified == {"K1", "K3", "K11-oxygen"}
    assert all(e.provenance == "synthetic" for e in cluster.exchanges if e.id not in BACKBONE)


def test_known_facts(cluster: Cluster) -> None:
    exchanges = {e.id: e for e in cluster.exchanges}
    # K1: about 70,000 t CO2/yr from CSBP to Alcoa's residue carbonation.
    k1 = exchanges["K1"]
    assert parse_quantity(k1.annual_quantity).to("t").magnitude == pytest.approx(70_000)
    # K11: about 900 t O2 per day to HIsmelt, i.e. about 328 kt/yr.
    k11 = parse_quantity(exchanges["K11-oxygen"].annual_quantity).to("kt").magnitude
    assert k11 == pytest.approx(900 * 365 / 1000, rel=0.01)
    # K2: sources disagree (5 vs 6 GL/yr); both values are kept.
    assert "5 vs 6 GL/yr" in exchanges["K2"].description
    # Statuses: Nickel West suspended Oct 2024, BP refinery closed Mar 2021, HIsmelt closed.
    assert cluster.participant("nickel-west").status == "suspended"
    assert cluster.participant("hismelt").status == "closed"
    assert exchanges["K8"].end_year == 2021
    assert exchanges["K13"].end_year == 2024
    assert not exchanges["K8"].active_in(2022)
    residue = next(s for _, s in cluster.iter_streams() if s.id == "alcoa-residue")
    assert residue.ewc_code == "01 03 09"


def test_synthetic_flows_stay_inside_supply(cluster: Cluster) -> None:
    streams = {s.id: s for _, s in cluster.iter_streams()}
    delivered: defaultdict[str, float] = defaultdict(float)
    for exchange in cluster.exchanges:
        if exchange.provenance != "synthetic":
            continue
        assert exchange.distance_km is not None
        assert exchange.distance_km < 20  # within the KIA and its Munster neighbour
        supplier = streams[exchange.supplier]
        assert exchange.annual_quantity is not None
        if supplier.annual_quantity is None:
            continue
        supply = parse_quantity(supplier.annual_quantity)
        delivered[supplier.id] += parse_quantity(exchange.annual_quantity).to(supply.units).m
        assert delivered[supplier.id] <= supply.m * (1 + 1e-3), supplier.id
    for participant in cluster.participants:
        if participant.provenance == "synthetic":
            (site,) = participant.sites
            assert -32.28 <= site.latitude <= -32.18
            assert 115.76 <= site.longitude <= 115.82


def test_deterministic(cluster: Cluster) -> None:
    again = build()
    assert again == cluster
    assert dumps(again) == dumps(cluster)


def test_round_trip(cluster: Cluster) -> None:
    assert loads(dumps(cluster)) == cluster
