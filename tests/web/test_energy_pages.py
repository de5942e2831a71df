"""The Energy and Benefit-sharing pages in headless Chromium, for the harbour cluster's first 24
hours: the charts and their tables agree with the server's answer (computed once per process,
so the page and the test see the same figures; the charts' data are read off plotly.js), the
congested hours marked on the connection chart are the ones the dispatch counts, and every
method's shares add up to the saving shown. Without a browser: the answers themselves, and the
refusals the endpoints declare."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browsing import expect, needs_browser, plotted, points, sign_in

from clusterhub.errors import Conflict
from clusterhub.web.energy import METHODS, energy_view, sharing_view
from clusterhub.web.overview import saving


def euros(value: float) -> str:
    return f"€ {round(value):,}"


def test_the_energy_answer_is_consistent_with_the_saving_and_the_dispatch() -> None:
    view = energy_view("harbour")
    assert len(view["hours"]) == 24
    assert view["saving_eur"] == pytest.approx(saving("harbour", 24)["saving_eur"])
    for series in view["supply"]["series"]:
        assert len(series["mw"]) == 24
        assert min(series["mw"]) >= 0
    for c in view["connections"]:
        assert sum(c["congested"]) == c["congested_hours"]  # the page marks what is counted
        for imported, limit, congested in zip(
            c["import_mw"], c["limit_mw"], c["congested"], strict=True
        ):
            assert imported <= limit + 1e-3
            assert not congested or imported == pytest.approx(limit, abs=1e-2)
    assert sum(c["congested_hours"] for c in view["connections"]) >= 1  # harbour's noon peak
    costs = view["costs"]
    assert sum(c["standalone_eur"] for c in costs) == pytest.approx(
        view["standalone_cost_eur"], abs=1
    )
    joint = sum(c["joint_eur"] for c in costs) + view["joint_pooled_eur"]
    assert joint == pytest.approx(view["joint_cost_eur"], abs=1)


def test_every_method_splits_the_whole_saving_and_says_whether_it_is_stable() -> None:
    view = sharing_view("harbour")
    assert [a["method"] for a in view["allocations"]] == list(METHODS)
    assert view["saving_eur"] == pytest.approx(saving("harbour", 24)["saving_eur"], abs=0.01)
    for a in view["allocations"]:
        assert sum(a["shares"].values()) == pytest.approx(view["saving_eur"], abs=0.05)
        assert a["statement"]
    nucleolus = view["allocations"][-1]
    assert nucleolus["stable"]
    assert "No group of members would gain by leaving" in nucleolus["statement"]


def test_the_pages_refuse_clusters_they_cannot_show() -> None:
    with pytest.raises(Conflict, match="no shared grid connection"):
        energy_view("kalundborg")
    with pytest.raises(Conflict, match="participants: splitting its saving takes too long"):
        sharing_view("energy-park")


@needs_browser
def test_energy_page_draws_the_dispatch_the_connections_and_the_costs(
    page: Any, artifacts: Path
) -> None:
    sign_in(page, "acme-analyst", "/web/energy?cluster=harbour")
    view = energy_view("harbour")
    assert expect is not None
    expect(page.get_by_role("heading", level=1)).to_have_text("Energy · Harbour energy cluster")
    expect(page.get_by_role("link", name="Energy")).to_have_attribute("aria-current", "page")
    supply = page.get_by_role("figure", name=re.compile("Electricity supply by source"))
    assert points(plotted(supply)) == 24 * len(view["supply"]["series"])
    rows = page.get_by_role(
        "table", name=re.compile("Electricity supply per hour"), include_hidden=True
    )
    expect(rows.locator("tbody tr")).to_have_count(24)
    total = sum(s["mw"][12] for s in view["supply"]["series"])
    expect(rows.locator("tbody tr").nth(12).locator("td").last).to_have_text(f"{total:,.1f}")

    for c in view["connections"]:
        section = page.locator(f"section[data-connection='{c['id']}']")
        chart = section.get_by_role("figure", name=re.compile("Import through"))
        traces = plotted(chart)
        assert points(traces) == 24
        expect(chart.locator(".barlayer .point")).to_have_count(24)  # drawn, not only given
        (bars,) = (t for t in traces if t["type"] == "bar")
        red = [i for i, colour in enumerate(bars["marker"]["color"]) if colour == "#a40e26"]
        (crosses,) = (t for t in traces if t["name"].startswith("Congested hour"))
        expect(section.locator(".congested-count")).to_have_text(str(round(c["congested_hours"])))
        assert red == crosses["meta"] == [i for i, on in enumerate(c["congested"]) if on]
        assert len(red) == round(c["congested_hours"])
        table = section.get_by_role("table", name=re.compile("Import through"), include_hidden=True)
        yes = table.locator("tbody tr", has=page.locator("td", has_text=re.compile("^yes$")))
        expect(yes).to_have_count(round(c["congested_hours"]))

    expect(page.locator("#energy-saving")).to_have_text(euros(view["saving_eur"]))
    expect(page.locator("#joint-cost")).to_have_text(euros(view["joint_cost_eur"]))
    costs = page.get_by_role("table", name=re.compile("Cost per participant"))
    expect(costs.locator("tbody tr")).to_have_count(len(view["costs"]) + 2)  # pooled, total
    expect(costs.locator("tbody tr").last.locator("td").nth(2)).to_have_text(
        f"{round(view['joint_cost_eur']):,}"
    )
    first = view["costs"][0]
    expect(costs.locator("tbody tr").first).to_contain_text(f"{round(first['standalone_eur']):,}")
    shown = [c for c in view["costs"] if c["standalone_eur"] or c["joint_eur"]]
    bars = page.get_by_role("figure", name=re.compile("Cost per participant over 24 hours"))
    assert points(plotted(bars)) == 2 * len(shown)
    page.screenshot(path=artifacts / "energy-harbour.png", full_page=True)


@needs_browser
def test_sharing_page_shows_each_methods_split_and_its_stability(
    page: Any, artifacts: Path
) -> None:
    sign_in(page, "acme-analyst", "/web/sharing?cluster=harbour")
    view = sharing_view("harbour")
    assert expect is not None
    expect(page.get_by_role("link", name="Benefit sharing")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("progress")).to_have_count(0)  # the progress indicator is gone
    expect(page.locator("#sharing-saving")).to_have_text(euros(view["saving_eur"]))
    grid = page.get_by_role("table", name=re.compile("Share of the saving per participant"))
    expect(grid.locator("thead th")).to_have_count(1 + len(METHODS))
    expect(grid.locator("tbody tr")).to_have_count(len(view["players"]) + 1)
    total_row = grid.locator("tbody tr").last.locator("td")
    for column, allocation in enumerate(view["allocations"], start=1):
        # every method's shares, as shown, add up to the saving shown
        shown = grid.locator("tbody tr").locator(f"td:nth-child({column + 1})").all_inner_texts()
        parsed = [float(text.replace(",", "")) for text in shown[:-1]]
        assert sum(parsed) == pytest.approx(view["saving_eur"], abs=len(parsed))
        expect(total_row.nth(column)).to_have_text(f"{round(view['saving_eur']):,}")
        statement = page.locator(f".statement[data-method='{allocation['method']}']")
        expect(statement.locator("p")).to_have_text(allocation["statement"])
        expect(statement.locator("h3")).to_contain_text(
            "stable" if allocation["stable"] else "not stable"
        )
    chart = page.get_by_role("figure", name="Share of the saving per participant by method")
    assert points(plotted(chart)) == len(METHODS) * len(view["players"])
    page.screenshot(path=artifacts / "sharing-harbour.png", full_page=True)


@needs_browser
def test_the_pages_show_why_a_cluster_cannot_be_shown(page: Any) -> None:
    sign_in(page, "acme-analyst", "/web/energy?cluster=kalundborg")
    assert expect is not None
    expect(page.locator("#energy-status")).to_contain_text("no shared grid connection")
