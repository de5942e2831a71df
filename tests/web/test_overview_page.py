"""The overview in headless Chromium beyond its first part: data freshness per member (a
harbour member's tenant sends data, every signed-in user sees when, nobody sees what), the
kwinana map's inset for its crowded core with numbered sites, and emissions beside the saving."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from browsing import plotted, sign_in
from playwright.sync_api import expect

from clusterhub.web.overview import example_overview, saving


def test_every_member_sees_when_a_member_last_sent_data_but_not_what(
    page: Any, api: Any, artifacts: Path
) -> None:
    olien = api("olien-admin")
    dataset = olien.post("/api/v1/datasets", json={"name": "olien-confidential-meter",
                         "kind": "table", "columns": {"mw": "number"}})["id"]  # fmt: skip
    for mw in (41.5, 42.5):
        olien.post(f"/api/v1/datasets/{dataset}/versions", json={"rows": [{"mw": mw}]})
    sign_in(page, "acme-analyst", "/web/overview?cluster=harbour")
    members = page.get_by_role("table", name="Members of Harbour energy cluster")
    row = members.locator("tr", has_text="Rijnmond")
    fresh = re.compile(r"UTC \(\d+ min ago; 2 versions\)")
    expect(row.locator(".freshness")).to_contain_text(fresh)
    expect(row.locator(".freshness time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(members.locator(".freshness")).to_have_count(8)  # every member has its cell
    content = page.content()
    assert "olien-confidential-meter" not in content
    assert "41.5" not in content
    page.screenshot(path=artifacts / "overview-freshness.png", full_page=True)


def test_kwinana_core_is_enlarged_on_an_inset_with_numbered_sites(
    page: Any, artifacts: Path
) -> None:
    view = example_overview("kwinana")
    inset = view["inset"]
    sign_in(page, "acme-analyst", "/web/overview?cluster=kwinana")
    main_map = page.get_by_role("figure", name=re.compile("^Map of the sites"))
    small = page.get_by_role("figure", name=re.compile("^Enlarged map of the core"))
    sites = {  # site -> the text on its marker, per map
        name: {
            s: text
            for t in plotted(figure)
            if "customdata" in t
            for s, text in zip(t["customdata"], t["text"], strict=True)
        }
        for name, figure in (("main", main_map), ("inset", small))
    }
    assert sorted(sites["inset"]) == sorted(s["id"] for s in inset["sites"])
    assert len(sites["main"]) == len(view["sites"]) - len(inset["sites"])
    shapes = main_map.locator(".js-plotly-plot").evaluate("(plot) => plot.layout.shapes")
    assert [s.get("name") for s in shapes].count("inset-box") == 1
    expect(page.locator("#inset-scale-label")).to_have_text(f"{inset['scale_km']:g} km")
    # numbered markers, and a key listing every number
    page.get_by_text("The numbered sites").click()
    key = page.get_by_role("table", name="Sites on the map by number")
    expect(key.locator("tbody tr")).to_have_count(len(view["sites"]))
    first = inset["sites"][0]["id"]
    number = next(s["number"] for s in view["sites"] if s["id"] == first)
    assert sites["inset"][first] == str(number)
    page.screenshot(path=artifacts / "overview-kwinana-inset.png", full_page=True)


def test_the_headline_figures_fill_in_the_saving_and_the_emissions(page: Any) -> None:
    sign_in(page, "acme-analyst", "/web/overview?cluster=harbour")
    result = saving("harbour", 24)
    expect(page.locator("#headline-saving")).to_have_text(
        f"€ {round(result['saving_eur']):,} ({result['saving_pct']:.1f} %)", timeout=60_000
    )
    expect(page.locator("#headline-emissions")).to_have_text(
        f"{result['joint_emissions_t']:,.1f} t CO₂"
    )
    page.goto("/web/overview?cluster=kwinana")  # no shared connection: nothing to optimise
    page.wait_for_selector("main[data-ready=true]")
    expect(page.locator("#headline-saving")).to_have_text("no shared connection")


def test_the_saving_comes_with_the_emissions_joint_and_alone(page: Any) -> None:
    sign_in(page, "acme-analyst", "/web/overview?cluster=harbour")
    page.get_by_role("button", name="Run a 24-hour optimisation").click()
    result = saving("harbour", 24)
    expect(page.locator("#joint-emissions")).to_have_text(
        f"{result['joint_emissions_t']:,.1f} t CO₂", timeout=60_000
    )
    expect(page.locator("#standalone-emissions")).to_have_text(
        f"{result['standalone_emissions_t']:,.1f} t CO₂"
    )
