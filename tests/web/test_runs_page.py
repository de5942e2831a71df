"""The Runs page in headless Chromium: harbour members share a day of their energy profiles with
the council (three raw, one aggregate-only), the council's operator starts an energy run from
the page and opens it (figures equal to the engine's on the members that shared, the others
named as left out, the aggregate-only part hidden), reproduces it; a member sees the run with
its own part only; a tenant with no part cannot open it by its id."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from browsing import sign_in
from playwright.sync_api import expect

from clusterhub.energy import DispatchOptions, compare
from clusterhub.examples import load_example
from clusterhub.model import Demand, Generator

START, HOURS = 24 * 150, 24
RAW = {"botlek-chemie": "botlek-admin", "maasmond-fuels": "maasmond-admin",
       "europoort-waterstof": "europoort-admin"}  # fmt: skip
AGGREGATE_ONLY = ("rijnmond-olien", "olien-admin")


def profile_rows(participant: str) -> list[dict[str, object]]:
    """The participant's own profiles in the harbour example, as its meters would send them."""
    cluster = load_example("harbour")
    times = cluster.time_index[START : START + HOURS].tz_convert("UTC")
    rows: list[dict[str, object]] = []
    for asset in cluster.participant(participant).assets:
        if isinstance(asset, Demand):
            mw = cluster.values(asset.profile_mw)[START : START + HOURS]
        elif isinstance(asset, Generator):
            mw = cluster.values(asset.availability)[START : START + HOURS] * asset.capacity_mw
        else:
            continue
        rows += [{"time": t.isoformat(), "asset": asset.id, "mw": float(v)}
                 for t, v in zip(times, mw, strict=True)]  # fmt: skip
    return rows


def share(api: Any, participant: str, user: str, form: str) -> None:
    member = api(user)
    dataset = member.post("/api/v1/datasets", json={"name": "energy-profiles",
                          "kind": "timeseries", "columns": {"time": "time", "asset": "text",
                                                            "mw": "number"}})["id"]  # fmt: skip
    member.post(f"/api/v1/datasets/{dataset}/versions", json={"rows": profile_rows(participant)})
    member.post("/api/v1/grants", json={"dataset": dataset, "grantee_kind": "tenant",
                "grantee": "council", "purpose": "energy-optimization", "form": form})  # fmt: skip


def test_the_operator_runs_the_energy_engine_on_shared_data_and_members_see_their_part(
    page: Any, browser: Any, server: str, api: Any, artifacts: Path
) -> None:
    for participant, user in RAW.items():
        share(api, participant, user, "raw")
    share(api, *AGGREGATE_ONLY, "aggregate-only")

    sign_in(page, "council-operator", "/web/runs")
    form = page.locator("#run-form")
    form.get_by_label("Hours").fill("900")  # more than a run may take: named at its field
    form.get_by_role("button", name="Start the run").click()
    expect(page.locator("#run-hours-error")).to_contain_text("Hours:")
    expect(form.get_by_label("Hours")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Engine").select_option("energy")
    form.get_by_label("Cluster").select_option("harbour")
    form.get_by_label("First hour").fill(str(START))
    form.get_by_label("Hours").fill(str(HOURS))
    form.get_by_role("button", name="Start the run").click()
    heading = page.locator("#open-heading")
    expect(heading).to_contain_text("Energy co-optimisation", timeout=120_000)

    left_out = ["maasvlakte-containers", "waalhaven-staal", "tso", "dso"]
    expected = compare(
        load_example("harbour").without([p for p in left_out if p not in ("tso", "dso")]),
        options=DispatchOptions(start=START, steps=HOURS),
    )
    expect(page.locator("[data-figure=saving_eur]")).to_have_text(
        f"€ {round(expected.saving_eur):,}"
    )
    parts = page.get_by_role("table", name=re.compile("Parts you may see"))
    expect(parts.locator("tbody tr")).to_have_count(len(RAW))
    for participant in RAW:
        expect(parts.get_by_role("cell", name=participant, exact=True)).to_be_visible()
    gone = page.get_by_role("table", name="Members left out of the run, and why")
    expect(gone.get_by_role("cell", name="waalhaven-staal", exact=True)).to_be_visible()
    expect(page.locator("#hidden-parts")).to_contain_text(AGGREGATE_ONLY[0])
    page.screenshot(path=artifacts / "runs-operator.png", full_page=True)

    page.get_by_role("button", name="Reproduce from the same dataset versions").click()
    expect(page.locator("#reproduce-result")).to_have_text(
        "Reproduced: the same inputs give the same result.", timeout=120_000
    )
    run = page.url.split("run=")[1]

    # a member: the run is listed, and opening it shows its own part only
    context = browser.new_context(base_url=server, viewport={"width": 1366, "height": 768})
    member = context.new_page()
    try:
        sign_in(member, "botlek-admin", "/web/runs")
        listed = member.get_by_role("table", name="Runs you can open, newest first")
        expect(listed.locator(f"a[data-run='{run}']")).to_have_count(1)
        listed.locator(f"a[data-run='{run}']").click()
        member.wait_for_selector("#open-section:not([hidden])")
        own = member.get_by_role("table", name=re.compile("Parts you may see"))
        expect(own.locator("tbody tr")).to_have_count(1)
        expect(own.get_by_role("cell", name="botlek-chemie", exact=True)).to_be_visible()
        expect(member.locator("#run-left-out table")).to_have_count(0)
        expect(member.locator("#run-inputs details")).to_have_count(0)
        assert member.locator("#start-section").is_hidden()  # only operators start runs
        member.screenshot(path=artifacts / "runs-member.png", full_page=True)
        # a tenant with no part in it: not listed, and not opened by its id either
        member.get_by_role("button", name="Sign out").click()
        sign_in(member, "beta-admin", f"/web/runs?run={run}")
        expect(member.locator("#open-heading")).to_have_text("No such run")
        expect(member.locator("#run-list")).to_contain_text("No runs yet")
        assert "botlek-chemie" not in member.content()
    finally:
        context.close()
