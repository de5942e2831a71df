"""The dashboard's charts on plotly.js: the library served by the app from the installed plotly
package (no copy in the repository, cached by browsers), a year of hours zoomed and a hovered
value read off the chart in headless Chromium, the figure and its data downloaded, the network's
facility search, and no violation of the content security policy on any charted page.

The zoom is a drag across the plot and a click on a range button, as a person does it; the
hovered value is the hover label's text, checked against the server's own answer."""

from __future__ import annotations

import csv
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from browsing import expect, needs_browser, plotted, sign_in

from clusterhub.api.headers import HEADERS
from clusterhub.web.library import PLOTLY_PATH, plotly_js
from clusterhub.web.routes import CHARTED
from clusterhub.web.symbiosis import symbiosis_view
from clusterhub.web.year import year_view

#: Records every CSP violation of a page (set before its scripts run).
WATCH_CSP = (
    "window.cspViolations = [];"
    "document.addEventListener('securitypolicyviolation',"
    " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
)
SOURCES = Path(__file__).resolve().parents[2] / "src"


def test_the_library_comes_from_the_installed_package_cached_and_compressed(server: str) -> None:
    answer = httpx.get(server + PLOTLY_PATH, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["content-security-policy"] == HEADERS["Content-Security-Policy"]
    assert answer.content == plotly_js()  # decompressed by httpx: the package's own file
    assert answer.content.startswith(b"/**\n* plotly.js v")
    plain = httpx.get(server + PLOTLY_PATH, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == plotly_js()
    # no copy of a chart library among the package's own files
    assert not [p for p in SOURCES.rglob("*.js") if p.stat().st_size > 100_000]


def test_the_year_is_every_hour_and_every_day_of_the_horizon() -> None:
    year = year_view("harbour")
    assert len(year["hours"]) == 8784  # 2024 is a leap year
    assert len(year["days"]) == 366
    assert year["hours"][0] == "2024-01-01T00:00"
    assert year["days"][-1] == "2024-12-31"
    for carrier in year["carriers"]:
        hourly, daily = carrier["demand_mw"], carrier["daily_mwh"]
        assert len(hourly) == 8784
        assert len(daily) == 366
        assert daily[0] == pytest.approx(sum(hourly[:24]), abs=0.1)
        assert carrier["peak_mw"] == pytest.approx(max(hourly), abs=1e-3)
        assert sum(daily) == pytest.approx(carrier["total_mwh"], rel=1e-6)


def test_the_year_answers_signed_in_users_only(server: str, api: Any) -> None:
    path = "/web/api/clusters/harbour/year"
    assert httpx.get(server + path).status_code == 401
    analyst = api("acme-analyst")
    assert len(analyst.get(path)["hours"]) == 8784
    assert analyst.client.get("/web/api/clusters/kwinana/year").status_code == 409  # no demand
    assert analyst.client.get("/web/api/clusters/Bad!/year").status_code == 422


def _hovered(figure: Any) -> dict[str, Any]:
    """The hover label of an hourly chart with one label for every line (``x unified``): its
    hour and each line's value, read at once (one drawing of the label)."""
    assert expect is not None
    label = figure.locator(".hoverlayer .legend")
    expect(label).to_be_visible()
    hour, lines = label.evaluate(
        "(box) => [box.querySelector('.legendtitletext').textContent,"
        " [...box.querySelectorAll('.legendtext')].map((t) => t.textContent)]"
    )
    values = {}
    for line in lines:
        name, value = re.fullmatch(r"(.+) : ([\d,.]+) MW", line).groups()  # type: ignore[union-attr]
        values[name] = float(value.replace(",", ""))
    return {"hour": hour, "values": values}


def _range_days(figure: Any) -> float:
    start, end = figure.locator(".js-plotly-plot").evaluate("(plot) => plot.layout.xaxis.range")
    parse = lambda text: datetime.fromisoformat(text[:19])  # noqa: E731
    return (parse(end) - parse(start)).total_seconds() / 86400


@needs_browser
def test_a_year_of_hours_zooms_and_a_hovered_value_is_the_datas(page: Any, artifacts: Path) -> None:
    assert expect is not None
    page.add_init_script(WATCH_CSP)
    sign_in(page, "acme-analyst", "/web/energy?cluster=harbour")
    year = year_view("harbour")
    figure = page.get_by_role("figure", name=re.compile("^Demand per carrier over the whole"))
    traces = plotted(figure)
    assert [len(t["y"]) for t in traces] == [8784] * len(year["carriers"])
    assert _range_days(figure) > 365
    figure.scroll_into_view_if_needed()

    # zoom: drag across 3 % of the plot's width (a box zoom along the time axis)
    area = figure.locator(".nsewdrag").first.bounding_box()
    x, y = area["x"] + 0.4 * area["width"], area["y"] + area["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 0.03 * area["width"], y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => { const r = document.getElementById('year').layout.xaxis.range;"
        " return (Date.parse(r[1]) - Date.parse(r[0])) < 30 * 86400e3; }"
    )
    assert 5 < _range_days(figure) < 30

    # hover: the label names an hour and every carrier's demand in it, as the server has it
    page.mouse.move(area["x"] + area["width"] / 2, y, steps=4)
    hovered = _hovered(figure)
    hour = year["hours"].index(hovered["hour"].replace(" ", "T"))
    assert hovered["values"] == {
        c["name"]: round(c["demand_mw"][hour], 1) for c in year["carriers"]
    }
    figure.screenshot(path=artifacts / "energy-year-zoomed.png")

    # the range buttons zoom to a week; the table and the CSV hold the same numbers
    figure.locator(".rangeselector .button", has_text="1 week").click()
    page.wait_for_function(
        "() => { const r = document.getElementById('year').layout.xaxis.range;"
        " return Math.abs((Date.parse(r[1]) - Date.parse(r[0])) - 7 * 86400e3) < 3600e3; }"
    )
    with page.expect_download() as csv_download:
        figure.get_by_role("button", name=re.compile(r"^Data \(CSV\)")).click()
    rows = list(csv.reader(Path(csv_download.value.path()).read_text().splitlines()))
    assert rows[0] == ["Hour", *(c["name"] + " demand (MW)" for c in year["carriers"])]
    assert len(rows) == 1 + 8784
    assert rows[1 + hour] == [year["hours"][hour], *(f"{c['demand_mw'][hour]:g}" for c in
                                                      year["carriers"])]  # fmt: skip
    with page.expect_download() as png_download:
        figure.get_by_role("button", name=re.compile(r"^Figure \(PNG\)")).click()
    assert png_download.value.suggested_filename == "year.png"
    assert Path(png_download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.evaluate("() => window.cspViolations") == []


@needs_browser
@pytest.mark.parametrize("path", sorted(CHARTED))
def test_no_charted_page_breaks_the_content_security_policy(page: Any, path: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(WATCH_CSP)
    sign_in(page, "acme-analyst", path)
    assert page.locator("figure.chart[data-drawn=true]").count() >= 1
    assert page.evaluate("() => window.cspViolations") == []
    assert [e for e in errors if "Content Security Policy" in e or "chart" in e] == []


@needs_browser
def test_the_network_search_finds_a_facility_and_its_exchanges(page: Any, artifacts: Path) -> None:
    assert expect is not None
    sign_in(page, "acme-analyst", "/web/symbiosis?cluster=kwinana")
    view = symbiosis_view("kwinana")
    # a facility with few exchanges (its neighbours close by: the view zooms in to them)
    degree = {n["id"]: n["supplies"] + n["receives"] for n in view["nodes"]}
    facility = min(view["nodes"], key=lambda n: (degree[n["id"]] < 2, degree[n["id"]], n["id"]))
    mine = {e["id"] for e in view["edges"] if facility["id"] in (e["source"], e["target"])}
    page.get_by_role("combobox", name="Find a facility").fill(facility["name"].lower())
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#facility-found")).to_contain_text(
        f"{facility['name']} supplies {facility['supplies']} exchange"
    )
    graph = page.get_by_role("figure", name=re.compile("Exchange network of"))
    page.wait_for_function(
        "() => document.getElementById('network').data"
        ".some((t) => (t.meta || []).includes('found'))"
    )
    traces = plotted(graph)
    shown = {f for t in traces if t["name"].startswith("Exchange of ") for f in t["meta"]}
    assert shown == mine
    found = [
        n for t in traces if t["name"].startswith("Facility")
        for n, state in zip(t["customdata"], t["meta"], strict=True) if state == "found"
    ]  # fmt: skip
    assert found == [facility["id"]]
    width = graph.locator(".js-plotly-plot").evaluate(
        "(plot) => plot.layout.xaxis.range[1] - plot.layout.xaxis.range[0]"
    )
    assert width < view["width"]  # zoomed to the facility and its neighbours
    graph.screenshot(path=artifacts / "symbiosis-kwinana-found.png")
    page.get_by_role("combobox", name="Find a facility").fill("no such plant")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#facility-found")).to_contain_text("is called “no such plant”")
