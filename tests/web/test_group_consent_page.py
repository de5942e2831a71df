"""My data shows whom a group grant reaches and who joined the group since, and lets the
owner's admin let a newcomer in (issue 15 item 2: a group grant names its members; a tenant
added to the group later reaches the data only with the owner's consent)."""

from __future__ import annotations

import re
from typing import Any

from browsing import expect, needs_browser, sign_in


@needs_browser
def test_the_owner_sees_a_newcomer_waiting_and_lets_it_in(page: Any, api: Any) -> None:
    council, acme = api("council-operator"), api("acme-admin")
    council.client.put("/api/v1/groups/quayside/members/beta").raise_for_status()
    dataset = acme.post("/api/v1/datasets", json={"name": "quay-cranes", "kind": "table",
                        "columns": {"crane": "text", "mw": "number"}})["id"]  # fmt: skip
    acme.post("/api/v1/grants", json={"dataset": dataset, "grantee_kind": "group",
              "grantee": "quayside", "purpose": "energy-optimization", "form": "raw"})  # fmt: skip
    council.client.put("/api/v1/groups/quayside/members/botlek-chemie").raise_for_status()

    sign_in(page, "acme-admin", "/web/data")
    grants = page.get_by_role("table", name="Grants given by acme")
    row = grants.locator("tbody tr", has_text="quay-cranes")
    assert expect is not None
    expect(row).to_contain_text("group quayside (reaches beta; waiting: botlek-chemie)")
    row.get_by_role("button", name=re.compile("Let botlek-chemie in")).click()
    expect(row).to_contain_text("group quayside (reaches beta, botlek-chemie)")
    expect(row.get_by_role("button", name=re.compile("Let "))).to_have_count(0)
    listed = {g["id"]: g for g in acme.get("/api/v1/grants")}
    [grant] = [g for g in listed.values() if g["dataset"] == dataset]
    assert grant["members"] == ["beta", "botlek-chemie"]
    assert grant["pending"] == []
