"""Leaving participants out of a cluster: what they own goes, references to them are cut."""

from __future__ import annotations

from clusterhub.examples import load_example
from clusterhub.model.checks import find_problems


def test_leaving_out_removes_their_assets_contracts_links_and_exchanges() -> None:
    kalundborg = load_example("kalundborg")
    gone = kalundborg.participants[0].id
    kept = kalundborg.without([gone])
    assert gone not in {p.id for p in kept.participants}
    assert len(kept.participants) == len(kalundborg.participants) - 1
    sites = {s.id for s in kalundborg.participant(gone).sites}
    streams = {s.id for s in kalundborg.participant(gone).streams}
    assert not any(link.source in sites or link.target in sites for link in kept.links)
    assert not any(e.supplier in streams or e.receiver in streams for e in kept.exchanges)
    assert len(kept.exchanges) < len(kalundborg.exchanges)
    assert not any(k.participant == gone for c in kept.connections for k in c.contracts)
    assert find_problems(kept) == []
    assert kalundborg.without([]) is kalundborg


def test_every_company_of_the_harbour_can_be_left_out() -> None:
    harbour = load_example("harbour")
    for participant in harbour.participants:
        assert find_problems(harbour.without([participant.id])) == []
