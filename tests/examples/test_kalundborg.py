"""The Kalundborg Symbiosis: exchanges D1–D20 with their start years, replayable by year.

Expected values cite the reference table of Kalundborg exchanges (NAP 1994, IISD, symbiosis.dk,
Equinor, Ørsted) and the 2018 LCA headline figures.
"""

from __future__ import annotations

import pytest

from clusterhub.examples.kalundborg import build
from clusterhub.model import Cluster, dumps, loads
from clusterhub.model.units import parse_quantity


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    return build()


def test_twenty_exchanges_in_start_order(cluster: Cluster) -> None:
    assert {e.id for e in cluster.exchanges} == {f"D{i}" for i in range(1, 21)}
    years = [e.start_year for e in cluster.exchanges if e.start_year is not None]
    assert len(years) == 20
    assert years[0] == 1961
    assert years == sorted(years)


@pytest.mark.parametrize(
    ("year", "active"),
    [(1960, 0), (1975, 3), (1990, 13), (2020, 20)],
)
def test_network_replayed_by_year(cluster: Cluster, year: int, active: int) -> None:
    assert sum(e.active_in(year) for e in cluster.exchanges) == active


def test_start_year_readings(cluster: Cluster) -> None:
    exchanges = {e.id: e for e in cluster.exchanges}
    assert exchanges["D6"].start_year == 1980  # "1980/89"
    assert "1989" in exchanges["D6"].description
    assert exchanges["D11"].start_year == 1990  # "c. 1990"
    assert exchanges["D16"].start_year == 1990  # "1990s"
    assert "approximate" in exchanges["D16"].description
    assert exchanges["D20"].start_year == 2019  # "commissioned 2019–20"


def test_gypsum_figures(cluster: Cluster) -> None:
    d14 = next(e for e in cluster.exchanges if e.id == "D14")
    assert d14.annual_quantity is not None
    assert parse_quantity(d14.annual_quantity).to("t").magnitude == pytest.approx(150_000)
    for other in ("80,000 t", "200,000 t", "250 t per 24 h"):
        assert other in d14.description
    gypsum = next(s for _, s in cluster.iter_streams() if s.id == d14.supplier)
    assert gypsum.ewc_code == "10 01 05"


def test_benefits_state_their_baseline(cluster: Cluster) -> None:
    text = cluster.description + " ".join(cluster.sources)
    for figure in ("635 kt", "3.6 Mm3", "87 kt", "EUR 24 M", "275 kt", "586 kt", "baseline"):
        assert figure in text


def test_every_record_cites(cluster: Cluster) -> None:
    assert all(e.provenance == "verified" and e.source for e in cluster.exchanges)
    assert all(s.source for _, s in cluster.iter_streams())
    assert all(p.nace for p in cluster.participants)
    assert cluster.timezone == "Europe/Copenhagen"


def test_deterministic_and_round_trip(cluster: Cluster) -> None:
    assert build() == cluster
    assert loads(dumps(cluster)) == cluster
