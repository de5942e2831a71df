"""My data, second part, in headless Chromium: an owner changes a grant to beta from raw to
aggregates only (a wrong expiry named at its field first), after which beta's raw read is
refused; rejected files wait as dead letters, and replaying one shows its receipt, its row and
column problem again while it is still wrong, or its new version once the cause is fixed. The
page with the new parts open passes axe-core (WCAG 2.1 AA). Screenshots go to the artefacts.

These tests run on a database of their own (the ``server`` below): their grants to beta must not
meet the other files' tests, which look for "the grant to tenant beta" on the shared one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from browsing import serving, sign_in, violations

from clusterhub.collab import Role

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - a dev dependency; CI must have it
    if os.environ.get("CI"):
        raise
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

PURPOSE = "energy-optimization"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The dashboard on a database of this module: acme and beta with an admin each."""
    with serving({t: {f"{t}-admin": (Role.MEMBER_ADMIN,)} for t in ("acme", "beta")}) as url:
        yield url


def fetch_status(page: Any, path: str) -> int:
    """The status of a GET the signed-in tab makes with its own token."""
    status: int = page.evaluate(
        "async (path) => (await fetch(path, {headers: {Authorization: 'Bearer ' +"
        " sessionStorage.getItem('clusterhub.token')}})).status",
        path,
    )
    return status


def test_an_owner_changes_a_grant_to_aggregates_only_and_raw_reads_stop(
    page: Any, browser: Any, server: str, artifacts: Path, api: Any
) -> None:
    sign_in(page, "acme-admin", "/web/data")
    page.get_by_text("New dataset").click()
    form = page.locator("#dataset-form")
    form.get_by_label("Name", exact=True).fill("furnace")
    form.get_by_role("button", name="Create dataset").click()
    datasets = page.get_by_role("table", name="Datasets of acme")
    expect(datasets.get_by_role("cell", name="furnace", exact=True)).to_be_visible()
    acme = api("acme-admin")
    [furnace] = [d["id"] for d in acme.get("/web/api/datasets") if d["name"] == "furnace"]
    rows = [{"time": "2026-11-23T00:00:00Z", "mw": 7.5}]
    acme.post(f"/api/v1/datasets/{furnace}/versions", json={"rows": rows})

    grant = page.locator("#grant-form")
    grant.get_by_label("Dataset").select_option(label="furnace")
    grant.get_by_label("Grantee (tenant id").fill("beta")
    grant.get_by_label("Form").select_option("raw")
    grant.get_by_role("button", name="Create grant").click()
    grants = page.get_by_role("table", name="Grants given by acme")
    row = grants.locator("tbody tr", has_text="tenant beta")
    expect(row).to_contain_text("raw")
    raw_read = f"/api/v1/datasets/{furnace}?purpose={PURPOSE}"
    assert api("beta-admin").get(raw_read)["rows"] == rows  # raw, as granted

    # Edit: a past expiry is named at its field, and nothing changes
    row.get_by_role("button", name=re.compile("Edit the grant of furnace to tenant beta")).click()
    edit = page.locator("#grant-edit-form")
    expect(edit).to_be_visible()
    expect(page.locator("#grant-edit-about")).to_contain_text("furnace to tenant beta")
    expect(edit.get_by_label("Form")).to_have_value("raw")
    edit.get_by_label("Expires").fill("2020-01-01")
    edit.get_by_role("button", name="Save change").click()
    expect(page.locator("#grant-edit-expires-error")).to_contain_text(
        "Expires (empty: never): expected a time after now"
    )
    expect(edit.get_by_label("Expires")).to_have_attribute("aria-invalid", "true")
    expect(row).to_contain_text("active")
    page.screenshot(path=artifacts / "my-data-grant-edit-error.png", full_page=True)
    assert violations(page, report=artifacts / "axe-data-grant-edit.json") == []

    # to aggregates only: the old grant is revoked, its successor is the active row
    edit.get_by_label("Expires").fill("")
    edit.get_by_label("Form").select_option("aggregate-only")
    edit.get_by_role("button", name="Save change").click()
    expect(page.locator("#grant-edit-status")).to_contain_text(
        "is now aggregate-only for energy-optimization, expiring never"
    )
    expect(edit).to_be_hidden()
    active = grants.locator("tbody tr", has_text="tenant beta").filter(has_text="active")
    expect(active).to_have_count(1)
    expect(active).to_contain_text("aggregate-only")
    old = grants.locator("tbody tr", has_text="tenant beta").filter(has_text="revoked")
    expect(old).to_have_count(1)
    expect(old).to_contain_text("raw")
    expect(old.get_by_role("button")).to_have_count(0)
    audit = page.get_by_role("table", name=re.compile("Decisions on acme's data"))
    change = audit.locator("tbody tr", has_text="grant.change").first
    expect(change).to_contain_text("allowed")
    expect(change).to_contain_text("form raw → aggregate-only")
    page.screenshot(path=artifacts / "my-data-grant-edited.png", full_page=True)

    # beta, in a fresh tab of its own: the raw read is refused now, like a missing dataset
    context = browser.new_context(base_url=server, viewport={"width": 1366, "height": 768})
    try:
        beta = context.new_page()
        sign_in(beta, "beta-admin", "/web/data")
        assert fetch_status(beta, raw_read) == 404
        assert fetch_status(beta, f"/api/v1/datasets/{furnace[::-1]}?purpose={PURPOSE}") == 404
        assert "furnace" not in beta.inner_text("body")
        beta.screenshot(path=artifacts / "my-data-beta-after-edit.png", full_page=True)
    finally:
        context.close()


def test_dead_letters_are_listed_and_replayed_with_their_receipt(
    page: Any, artifacts: Path, api: Any
) -> None:
    acme = api("acme-admin")
    columns = {"time": "time", "mw": "number"}
    acme.post("/api/v1/datasets", json={"name": "kiln", "kind": "timeseries", "columns": columns})
    bad = b"time,mw\n2026-01-01T00:00:00Z,3.5\n2026-01-01T01:00:00Z,lots\n"
    good = b"time,mw\n2026-01-01T00:00:00Z,3.5\n2026-01-01T01:00:00Z,4\n"
    for dataset, name, body in (("kiln", "kiln-bad.csv", bad), ("kiln-2027", "kiln.csv", good)):
        answer = acme.client.post(f"/api/v1/ingest/acme/{dataset}/file",
                                  files={"file": (name, body, "text/csv")})  # fmt: skip
        assert answer.status_code == 422, answer.text  # rejected whole: kept as a dead letter

    sign_in(page, "acme-admin", "/web/data")
    letters = page.get_by_role("table", name="Rejected messages of acme, oldest first")
    expect(letters.locator("tbody tr")).to_have_count(2)
    still_bad = letters.locator("tbody tr", has_text="kiln-bad.csv")
    expect(still_bad).to_contain_text("row 3, column B (mw)")
    missing = letters.locator("tbody tr", has_text="kiln-2027")
    expect(missing).to_contain_text("a dataset of yours named 'kiln-2027'")
    page.screenshot(path=artifacts / "my-data-dead-letters.png", full_page=True)

    # replaying the still-wrong file: rejected again, the same row and column named
    still_bad.get_by_role("button", name=re.compile("Replay the file message kiln-bad.csv")).click()
    receipt = page.locator("#replay-receipt")
    expect(receipt).to_contain_text("Replayed kiln-bad.csv to kiln: still rejected")
    problems = receipt.get_by_role("table", name="Problems in the replay of kiln-bad.csv to kiln")
    expect(problems.locator("tbody tr td").nth(0)).to_have_text("row 3, column B (mw)")
    expect(letters.locator("tbody tr")).to_have_count(2)  # it stays until it is accepted

    # the cause of the other fixed (its dataset created): replayed, accepted, gone from the list
    page.get_by_text("New dataset").click()
    form = page.locator("#dataset-form")
    form.get_by_label("Name", exact=True).fill("kiln-2027")
    form.get_by_role("button", name="Create dataset").click()
    datasets = page.get_by_role("table", name="Datasets of acme")
    expect(datasets.get_by_role("cell", name="kiln-2027", exact=True)).to_be_visible()
    missing.get_by_role("button", name=re.compile("Replay the file message kiln.csv")).click()
    expect(receipt).to_contain_text(
        "Replayed kiln.csv to kiln-2027: accepted as version 1 (2 rows)"
    )
    expect(letters.locator("tbody tr")).to_have_count(1)
    expect(letters).not_to_contain_text("kiln-2027")
    created = datasets.locator("tbody tr", has_text="kiln-2027")
    expect(created.locator("td").nth(3)).to_have_text("replace")
    expect(created.locator("td").nth(4)).to_have_text("1")
    receipts = page.get_by_role("table", name="Receipts, newest first")
    expect(receipts.locator("tbody tr").first).to_contain_text("accepted")
    page.screenshot(path=artifacts / "my-data-dead-letter-replayed.png", full_page=True)
    assert violations(page, report=artifacts / "axe-data-dead-letters.json") == []


def test_a_dataset_is_created_with_its_write_mode_and_a_missing_key_is_named(page: Any) -> None:
    """My data declares how each new message relates to the dataset (issue 15 item 4): an
    upsert dataset without key columns is refused under the key field, then made with one."""
    sign_in(page, "acme-admin", "/web/data")
    page.get_by_text("New dataset").click()
    form = page.locator("#dataset-form")
    form.get_by_label("Name", exact=True).fill("assets-register")
    form.get_by_label("Kind").select_option("table")
    form.locator("#dataset-columns").fill("asset:text, mw:number")
    form.get_by_label("Each new message").select_option("upsert")
    form.get_by_role("button", name="Create dataset").click()
    expect(page.locator("#dataset-key-error")).to_contain_text("upsert key")
    form.get_by_label("Key columns").fill("asset")
    form.get_by_role("button", name="Create dataset").click()
    datasets = page.get_by_role("table", name="Datasets of acme")
    made = datasets.locator("tbody tr", has_text="assets-register")
    expect(made.locator("td").nth(3)).to_have_text("upsert by asset")


def test_a_grant_may_expire_today_at_the_end_of_the_day(page: Any) -> None:
    """The date picker's day is the last day of access (to 23:59:59 UTC): today is accepted."""
    sign_in(page, "acme-admin", "/web/data")
    page.get_by_text("New dataset").click()
    form = page.locator("#dataset-form")
    form.get_by_label("Name", exact=True).fill("dryer")
    form.get_by_role("button", name="Create dataset").click()
    datasets = page.get_by_role("table", name="Datasets of acme")
    expect(datasets.get_by_role("cell", name="dryer", exact=True)).to_be_visible()
    today = datetime.now(UTC).date().isoformat()
    grant = page.locator("#grant-form")
    grant.get_by_label("Dataset").select_option(label="dryer")
    grant.get_by_label("Grantee (tenant id").fill("beta")
    grant.get_by_label("Expires").fill(today)
    grant.get_by_role("button", name="Create grant").click()
    grants = page.get_by_role("table", name="Grants given by acme")
    expect(grants.locator("tbody tr", has_text="dryer")).to_contain_text(today)
