"""The Energy page's chosen window: every carrier's supply by source and use, jointly and with
every company alone, computed in a background job whose stages the page shows.

Without a browser: each carrier's energy balance closes hour by hour (supply minus use is the
demand it served), going alone never costs less than the joint dispatch, a window outside the
horizon is refused naming its field, a job passes through its stages to done, and another
tenant's job is not found. In headless Chromium: a window of 48 hours drawn for every carrier
after the progress shown, the stand-alone toggle, and a length of 500 hours refused next to its
field. Screenshots and load times go to ``artifacts``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browsing import expect, needs_browser, plotted, points, sign_in

from clusterhub.energy import DispatchOptions, compare
from clusterhub.errors import InputError, ModelError, NotFound
from clusterhub.examples import load_example
from clusterhub.web.energy import MAX_HOURS, carrier_balance, energy_view, window
from clusterhub.web.jobs import Jobs

#: The carriers each example has nodes of (from its assets, links and connections).
CARRIERS = {
    "harbour": {"electricity", "natural_gas", "steam", "hydrogen"},
    "energy-park": {"electricity", "natural_gas", "process_heat", "hydrogen"},
}
#: Windows no other test asks for, so the page's job really computes (not from the cache).
WINDOWS = {"harbour": date(2024, 6, 3), "energy-park": date(2024, 3, 4)}


# --- without a browser ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "start", "hours"), [("harbour", 0, 24), ("energy-park", 24, 48)])
def test_every_carriers_supply_minus_use_is_the_demand_it_served(
    name: str, start: int, hours: int
) -> None:
    cluster = load_example(name)
    result = compare(cluster, options=DispatchOptions(start=start, steps=hours))
    for run in (result.joint, result.standalone):
        balance = carrier_balance(run)
        assert set(balance) == CARRIERS[name]
        assert next(iter(balance)) == "electricity"
        for carrier, parts in balance.items():
            supply = sum(parts["supply"].values(), np.zeros(hours))
            use = sum(parts["use"].values(), np.zeros(hours))
            scale = np.maximum(1.0, np.maximum(supply, use))
            gap = np.abs(supply - use - parts["served"]) / scale
            assert gap.max() <= 1e-6, f"{name} {carrier}: the balance is off by {gap.max():.2e}"
            assert supply.max() > 0, f"{name} {carrier}: nothing supplied"


def test_the_view_shows_both_dispatches_of_every_carrier() -> None:
    view = energy_view("energy-park", date(2024, 1, 2), 48)
    assert view["start_date"] == "2024-01-02"
    assert view["start"] == 24
    assert view["length_hours"] == 48
    assert len(view["hours"]) == 48
    assert view["hours"][0].startswith("2024-01-02T00:00")
    assert {c["carrier"] for c in view["carriers"]} == CARRIERS["energy-park"]
    hydrogen = next(c for c in view["carriers"] if c["carrier"] == "hydrogen")
    assert hydrogen["name"] == "Hydrogen"
    for carrier in view["carriers"]:
        for mode in ("joint", "standalone"):
            run = carrier[mode]
            for series in [*run["supply"], *run["use"]]:
                assert len(series["mw"]) == 48
                assert min(series["mw"]) >= 0
            # rounded to 1 kW per series: the balance still closes to a few kW
            for i in range(48):
                supply = sum(s["mw"][i] for s in run["supply"])
                use = sum(u["mw"][i] for u in run["use"])
                assert supply - use == pytest.approx(run["served_mw"][i], abs=0.01)
    electricity = view["carriers"][0]
    assert view["supply"]["series"] == electricity["joint"]["supply"]
    assert not electricity["idle"]
    march = energy_view("energy-park", date(2024, 3, 4), 48)
    for carrier in march["carriers"]:
        values = [
            v
            for run in (carrier["joint"], carrier["standalone"])
            for series in [*run["supply"], *run["use"], {"mw": run["served_mw"]}]
            for v in series["mw"]
        ]
        assert carrier["idle"] == (max(values) == 0)  # a chart of zeros is said in words
    gas = next(c for c in march["carriers"] if c["carrier"] == "natural_gas")
    # no one burns gas in these hours jointly; alone, some company does
    assert max(gas["joint"]["supply"][0]["mw"]) == 0 < max(gas["standalone"]["supply"][0]["mw"])
    assert not gas["idle"]


@pytest.mark.parametrize("name", ["harbour", "energy-park"])
def test_going_alone_never_costs_less_than_the_joint_dispatch(name: str) -> None:
    view = energy_view(name, date(2024, 1, 2), 48)
    assert view["standalone_cost_eur"] >= view["joint_cost_eur"] - 0.01
    assert view["saving_eur"] >= -0.01
    assert sum(c["standalone_eur"] for c in view["costs"]) == pytest.approx(
        view["standalone_cost_eur"], abs=1
    )


def test_the_default_window_is_the_first_day() -> None:
    assert energy_view("harbour") is energy_view("harbour", date(2024, 1, 1), 24)
    assert window(load_example("harbour")) == 0


@pytest.mark.parametrize(
    ("start", "hours", "field", "expected"),
    [
        (date(2025, 1, 1), 24, "start", "a date from 2024-01-01 to 2024-12-31"),
        (date(2023, 12, 31), 24, "start", "a date from 2024-01-01 to 2024-12-31"),
        (None, 500, "hours", f"a whole number of hours from 1 to {MAX_HOURS}"),
        (None, 0, "hours", f"a whole number of hours from 1 to {MAX_HOURS}"),
        (date(2024, 12, 31), 48, "hours", "at most 24 hours from 2024-12-31"),
    ],
)
def test_a_window_outside_the_horizon_is_refused_naming_the_field(
    start: date | None, hours: int, field: str, expected: str
) -> None:
    with pytest.raises(InputError) as refused:
        energy_view("harbour", start, hours)
    (problem,) = refused.value.problems
    assert problem.path == field
    assert problem.expected.startswith(expected)
    assert str(refused.value).startswith(f"{field}: expected {expected}")


def test_the_endpoints_refuse_a_bad_window_naming_the_field(api: Any) -> None:
    client = api("acme-analyst").client
    answer = client.get("/web/api/clusters/harbour/energy")  # the plain answer, as before
    assert answer.status_code == 200
    assert answer.json() == energy_view("harbour")
    assert answer.json()["length_hours"] == 24
    answer = client.get("/web/api/clusters/harbour/energy", params={"hours": 500})
    assert answer.status_code == 422
    assert [p["loc"] for p in answer.json()["detail"]] == [["query", "hours"]]
    answer = client.post("/web/api/clusters/harbour/energy/jobs", params={"hours": 0})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["query", "hours"]
    answer = client.post("/web/api/clusters/harbour/energy/jobs", params={"start": "2024-13-01"})
    assert answer.json()["detail"][0]["loc"] == ["query", "start"]
    answer = client.post(
        "/web/api/clusters/harbour/energy/jobs", params={"start": "2030-01-01", "hours": 24}
    )
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "start"]
    assert problem["expected"] == "a date from 2024-01-01 to 2024-12-31"
    answer = client.post("/web/api/clusters/kalundborg/energy/jobs")
    assert answer.status_code == 409
    assert "no shared grid connection" in answer.json()["detail"]


def test_a_job_passes_through_its_stages_to_done(api: Any) -> None:
    client = api("acme-analyst").client
    started = client.post(
        "/web/api/clusters/energy-park/energy/jobs", params={"start": "2024-02-05", "hours": 48}
    )
    assert started.status_code == 202
    job = started.json()
    assert job["state"] in ("queued", "running")
    assert set(job) == {"id", "state", "stage", "fraction"}
    seen = [job]
    deadline = time.monotonic() + 300  # a bound on waiting, not a speed test
    while seen[-1]["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"the job did not finish: {seen[-1]}"
        time.sleep(0.05)
        answer = client.get(f"/web/api/energy/jobs/{job['id']}")
        assert answer.status_code == 200
        seen.append(answer.json())
    done = seen[-1]
    assert done["state"] == "done"
    assert done["fraction"] == 1.0
    fractions = [s["fraction"] for s in seen]
    assert fractions == sorted(fractions)  # never goes back
    stages = [s["stage"] for s in seen if s["state"] == "running"]
    order = [
        "gathering data",
        "building the model",
        "solving jointly",
        "solving each company alone",
        "preparing charts",
    ]
    known = [s for s in dict.fromkeys(stages) if s in order]
    assert known == sorted(known, key=order.index)
    assert "building the model" in known  # the longest stage is seen while polling
    assert done["result"] == energy_view("energy-park", date(2024, 2, 5), 48)


def test_another_tenants_job_is_not_found(api: Any) -> None:
    mine = api("acme-analyst").client
    job = mine.post("/web/api/clusters/harbour/energy/jobs").json()
    assert mine.get(f"/web/api/energy/jobs/{job['id']}").status_code == 200
    other = api("beta-admin").client
    refused = other.get(f"/web/api/energy/jobs/{job['id']}")
    unknown = other.get(f"/web/api/energy/jobs/{'0' * 32}")
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()  # the same answer: nothing learnt about the id


def test_jobs_report_their_state_and_keep_a_failure() -> None:
    jobs = Jobs(workers=1)
    go, reached = threading.Event(), threading.Event()

    def work(progress: Any) -> dict[str, Any]:
        progress("first", 0.4)
        reached.set()
        go.wait(10)
        progress("second", 0.2)  # a fraction never goes back
        return {"answer": 42}

    job = jobs.submit("acme", work)
    assert reached.wait(10)
    running = jobs.get("acme", job.id)
    assert (running["state"], running["stage"], running["fraction"]) == ("running", "first", 0.4)
    queued = jobs.submit("acme", lambda progress: {})
    assert jobs.get("acme", queued.id)["state"] == "queued"  # one worker: it waits its turn
    with pytest.raises(NotFound):
        jobs.get("beta", job.id)
    go.set()

    def failing(progress: Any) -> dict[str, Any]:
        raise ModelError("window 0..9000 lies outside the horizon of 8784 steps")

    failed = jobs.submit("acme", failing)
    deadline = time.monotonic() + 120  # a bound on waiting, not a speed test
    while jobs.get("acme", failed.id)["state"] != "failed":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert jobs.get("acme", job.id) == {
        "id": job.id, "state": "done", "stage": "done", "fraction": 1.0, "result": {"answer": 42}
    }  # fmt: skip
    assert jobs.get("acme", failed.id)["error"].startswith("window 0..9000 lies outside")
    assert "result" not in jobs.get("acme", failed.id)
    jobs.shutdown()


# --- in the browser -------------------------------------------------------------------------


def _check_carriers(page: Any, view: dict[str, Any], mode: str) -> None:
    """Every carrier's chart and tables on the page agree with ``view``'s ``mode`` dispatch."""
    assert expect is not None
    hours = len(view["hours"])
    what = {"joint": "joint dispatch", "standalone": "every company alone"}[mode]
    expect(page.locator("section.carrier")).to_have_count(len(view["carriers"]))
    for carrier in view["carriers"]:
        run = carrier[mode]
        section = page.locator(f"section.carrier[data-carrier='{carrier['carrier']}']")
        expect(section).to_have_attribute("data-mode", mode)
        if carrier["idle"]:  # nothing to chart: said in words
            expect(section.locator("p.idle")).to_contain_text("Nothing was supplied or used")
            expect(section.get_by_role("figure")).to_have_count(0)
            continue
        name = carrier["name"]
        chart = section.get_by_role("figure", name=f"{name} supply by source, {what}, ")
        traces = plotted(chart)
        assert points(traces) == hours * len(run["supply"])
        served = [t for t in traces if t["name"] == "Demand served"]  # the dashed line
        assert [t["y"] for t in served] == [run["served_mw"]]
        supply, use = (
            section.get_by_role("table", name=f"{name} {kind} per hour (MW), {what}",
                                include_hidden=True)
            for kind in ("supply", "use")
        )  # fmt: skip
        expect(supply.locator("tbody tr")).to_have_count(hours)
        expect(use.locator("tbody tr")).to_have_count(hours)
        last = hours - 1
        total = sum(s["mw"][last] for s in run["supply"])
        expect(supply.locator("tbody tr").nth(last).locator("td").last).to_have_text(
            f"{total:,.1f}"
        )
        cell = use.locator("tbody tr").nth(last).locator("td").nth(1)
        expect(cell).to_have_text(f"{run['served_mw'][last]:,.1f}")


@needs_browser
@pytest.mark.parametrize("name", ["harbour", "energy-park"])
def test_a_chosen_window_shows_progress_then_every_carrier(
    page: Any, artifacts: Path, name: str
) -> None:
    assert expect is not None
    sign_in(page, "acme-analyst", "/web/energy?cluster=harbour")
    page.get_by_label("Cluster", exact=True).select_option(name)
    page.get_by_label("Start date").fill(WINDOWS[name].isoformat())
    page.get_by_label("Length in hours").fill("48")
    page.get_by_role("button", name="Show").click()
    progress = page.locator("#energy-status progress")
    expect(progress).to_be_visible(timeout=30_000)
    expect(page.locator("#energy-status")).to_contain_text(re.compile(r"[A-Z][a-z ]+…"))
    page.wait_for_selector("main[data-ready=true]", timeout=60_000)
    expect(progress).to_have_count(0)
    assert f"start={WINDOWS[name].isoformat()}" in page.url
    view = energy_view(name, WINDOWS[name], 48)  # the server's answer, from its cache
    expect(page.locator("#energy-window")).to_contain_text(
        f"48 hours from {WINDOWS[name].isoformat()}"
    )
    expect(page.get_by_label("Start date")).to_have_value(WINDOWS[name].isoformat())
    _check_carriers(page, view, "joint")
    for c in view["connections"]:
        chart = page.locator(f"section[data-connection='{c['id']}']").get_by_role("figure")
        assert points(plotted(chart)) == 48
    costs = page.get_by_role("table", name=re.compile("Cost per participant, 48 hours from"))
    expect(costs.locator("tbody tr").last.locator("td").nth(2)).to_have_text(
        f"{round(view['joint_cost_eur']):,}"
    )
    page.screenshot(path=artifacts / f"energy-carriers-{name}.png", full_page=True)


@needs_browser
def test_the_toggle_shows_every_company_alone(page: Any, artifacts: Path) -> None:
    assert expect is not None
    sign_in(page, "acme-analyst", "/web/energy?cluster=harbour")
    view = energy_view("harbour")
    _check_carriers(page, view, "joint")
    toggle = page.get_by_role("group", name="Dispatch shown in these charts")
    toggle.get_by_role("radio", name="Every company alone").check()
    _check_carriers(page, view, "standalone")
    assert "mode=standalone" in page.url
    page.screenshot(path=artifacts / "energy-standalone-harbour.png", full_page=True)
    page.reload()  # the choice is kept in the address
    page.wait_for_selector("main[data-ready=true]", timeout=60_000)
    expect(toggle.get_by_role("radio", name="Every company alone")).to_be_checked()
    _check_carriers(page, view, "standalone")
    toggle.get_by_role("radio", name=re.compile("^Joint")).check()
    _check_carriers(page, view, "joint")


@needs_browser
def test_a_window_too_long_is_refused_next_to_its_field(page: Any, artifacts: Path) -> None:
    assert expect is not None
    sign_in(page, "acme-analyst", "/web/energy?cluster=harbour")
    page.get_by_label("Length in hours").fill("500")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"hours=500"))
    page.wait_for_selector("main[data-ready=true]", timeout=60_000)
    hours = page.get_by_label("Length in hours")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(hours).to_be_focused()
    expect(page.locator("#energy-hours-error")).to_have_text(
        "Length in hours: Input should be less than or equal to 168"
    )
    expect(page.locator("#energy-start-error")).to_be_empty()
    expect(page.locator("#energy-status")).to_contain_text("see the form above")
    expect(page.locator("section.carrier")).to_have_count(0)
    page.screenshot(path=artifacts / "energy-hours-refused.png", full_page=True)

    page.get_by_label("Length in hours").fill("24")
    page.get_by_label("Start date").fill("2030-01-01")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"start=2030-01-01"))
    page.wait_for_selector("main[data-ready=true]", timeout=60_000)
    expect(page.locator("#energy-start-error")).to_have_text(
        "Start date: expected a date from 2024-01-01 to 2024-12-31, found 2030-01-01"
    )
    expect(page.get_by_label("Start date")).to_have_attribute("aria-invalid", "true")


@needs_browser
def test_load_times_of_the_energy_page(page: Any, artifacts: Path) -> None:
    """Navigation to ``main[data-ready=true]``, with the window new to the server (optimised by
    the job) and again (from the cache); written to ``energy-load-times.json``."""
    sign_in(page, "acme-analyst", "/web/energy?cluster=harbour")
    times: dict[str, float] = {}
    for name, start, hours in (("harbour", "2024-09-02", 24), ("energy-park", "2024-09-02", 48)):
        for run in ("new", "cached"):
            page.goto(f"/web/energy?cluster={name}&start={start}&hours={hours}")
            # performance.now() counts from the navigation's start; read when the page is ready
            ready = page.wait_for_function(
                "() => document.getElementById('main').dataset.ready === 'true'"
                " && performance.now()",
                timeout=60_000,
            )
            seconds = ready.json_value() / 1000
            assert page.locator("section.carrier").count() == len(CARRIERS[name])
            times[f"{name} {hours} h from {start}, {run}"] = round(seconds, 2)
    (artifacts / "energy-load-times.json").write_text(json.dumps(times, indent=1))
    print(times)
    assert all(t < 30 for t in times.values()), times


def test_the_view_says_where_a_meter_was_held_to_one_way() -> None:
    """In two summer days of the energy park the renewables' export price is above the valley
    tariff: the view counts those hours per connection, and the gap of the cost."""
    engine = compare(load_example("energy-park"), options=DispatchOptions(start=24 * 180, steps=48))
    view = energy_view("energy-park", date(2024, 6, 29), 48)
    held = {c["id"]: c["one_way_hours"] for c in view["connections"]}
    assert held == {c: engine.joint.one_way_hours.get(c, 0.0) for c in held}
    assert sum(held.values()) > 0
    assert all(c["gap_pct"] == engine.joint.gap_pct for c in view["connections"])


def test_the_view_shows_what_capacity_tariffs_charge_each_way() -> None:
    """The pooling case of ``tests/energy/test_capacity_tariff.py``: 2,000 EUR for the members'
    own peaks alone, 1,300 for the pool's."""
    from clusterhub.model import read_cluster
    from clusterhub.web.energy import _view

    cluster = read_cluster(Path(__file__).parents[1] / "data" / "energy" / "peaks.yaml")
    view = _view("peaks", cluster, 0, 2, lambda stage, fraction: None)
    [connection] = view["connections"]
    assert connection["capacity_eur"] == {"joint": 1300.0, "standalone": 2000.0}
