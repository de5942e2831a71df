"""Differencing attacks on exact aggregates (issue 15): each table is safe alone, but what a
tenant was told before, set against what it is told now, must not give one company's figures;
a time series must not show one member's profile; and an owner may allow private releases only.
Over HTTP on each backend."""

from __future__ import annotations

from typing import Any

import pytest
from sectors import SECTORS, Service

PURPOSE = "decarbonization-tracking"
LEAK = "together with earlier releases it would reveal a single company's figures"
OTHERS = [t for t in SECTORS if t != "zeta"]  # acme ... epsi; zeta is the one to single out


def _share(service: Service, rows: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """Each tenant's "plant" dataset with ``rows``, granted to the cluster for aggregates."""
    datasets = {}
    for tenant, records in rows.items():
        admin = service.login(f"{tenant}-admin")
        created = service.client.post("/api/v1/datasets", json={"name": "plant", "kind": "table",
                                      "columns": {"time": "time", "asset": "text",
                                                  "mw": "number"}}, headers=admin)  # fmt: skip
        assert created.status_code == 201, created.text
        datasets[tenant] = created.json()["id"]
        _version(service, tenant, datasets[tenant], records)
        granted = service.client.post("/api/v1/grants", json={"dataset": datasets[tenant],
                                      "grantee_kind": "cluster", "grantee": "cluster",
                                      "purpose": PURPOSE, "form": "aggregate-only"},
                                      headers=admin)  # fmt: skip
        assert granted.status_code == 201, granted.text
    return datasets


def _version(service: Service, tenant: str, dataset: str, rows: list[dict[str, Any]]) -> None:
    stored = service.client.post(f"/api/v1/datasets/{dataset}/versions", json={"rows": rows},
                                 headers=service.login(f"{tenant}-admin"))  # fmt: skip
    assert stored.status_code == 201, stored.text


def _ask(service: Service, user: str = "beta-analyst", **params: Any) -> dict[tuple[str, ...], Any]:
    query = {"name": "plant", "value": "mw", "purpose": PURPOSE, **params}
    answer = service.client.get("/api/v1/aggregates", params=query, headers=service.login(user))
    assert answer.status_code == 200, answer.text
    return {tuple(c["group"]): c for c in answer.json()}


def _row(day: int, asset: str, mw: float, hour: int = 0) -> dict[str, Any]:
    return {"time": f"2026-01-{day:02d}T{hour:02d}:00", "asset": asset, "mw": mw}


def test_a_two_way_table_and_the_cluster_total_do_not_give_a_lone_asset(
    service: Service,
) -> None:
    """zeta alone runs a turbine: the cells by asset and day over the others, and the total,
    would give zeta's turbine output by subtraction."""
    rows = {t: [_row(d, a, base * m + d) for d in (5, 6) for a, m in (("boiler", 1), ("chp", 2))]
            for t, base in zip(OTHERS, (10, 12, 9, 11, 14), strict=True)}  # fmt: skip
    rows["zeta"] = [_row(5, "turbine", 7.0), _row(6, "turbine", 9.0)]
    _share(service, rows)
    table = _ask(service, by="asset", period="day")
    assert table[("turbine", "2026-01-05")]["reason"] == "fewer than 3 contributors"
    released = [c["value"] for g, c in table.items() if g != ("total",) and not c["suppressed"]]
    total = table[("total",)]
    assert total["suppressed"]  # else total - released cells = zeta's turbine, 16
    assert total["reason"] == LEAK
    assert len(released) == 4  # the cells over five companies stay
    cluster = _ask(service)[("total",)]  # the cluster total asked apart
    assert cluster["suppressed"]
    assert cluster["reason"] == LEAK
    colleague = _ask(service, "beta-admin")[("total",)]  # the ledger is the tenant's, not a user's
    assert colleague["suppressed"]
    assert colleague["reason"] == LEAK
    # another tenant was told nothing yet: the same total is released to it
    assert _ask(service, "gamma-analyst")[("total",)]["value"] == pytest.approx(
        sum(r["mw"] for records in rows.values() for r in records)
    )


def test_b_a_period_total_minus_its_released_days_gives_nothing(service: Service) -> None:
    """zeta alone reports on the 25th and the 27th: January minus the days released to
    the same tenant would be zeta's two lone days."""
    rows = {t: [_row(5, "boiler", 10.0 + i), _row(20, "boiler", 11.0 + i)]
            for i, t in enumerate(OTHERS)}  # fmt: skip
    rows["zeta"] = [_row(5, "boiler", 12.0), _row(20, "boiler", 12.0),
                    _row(25, "boiler", 3.0), _row(27, "boiler", 4.0)]  # fmt: skip
    _share(service, rows)
    month = _ask(service, period="month")
    assert not month[("2026-01",)]["suppressed"]
    days = _ask(service, period="day")
    assert days[("2026-01-25",)]["suppressed"]
    assert days[("2026-01-27",)]["suppressed"]
    fifth, twentieth = days[("2026-01-05",)], days[("2026-01-20",)]
    assert fifth["suppressed"] or twentieth["suppressed"]  # else January - both = 3 + 4
    assert LEAK in {fifth["reason"], twentieth["reason"]}
    # asked again, the same withheld cell stays withheld
    again = _ask(service, period="day")
    assert [c["suppressed"] for c in again.values()] == [c["suppressed"] for c in days.values()]


def test_c_a_correction_is_not_differenced_against_the_earlier_release(
    service: Service,
) -> None:
    rows = {t: [_row(5, "boiler", 10.0 + i)] for i, t in enumerate(SECTORS)}
    datasets = _share(service, rows)
    first = _ask(service)[("total",)]
    assert first["value"] == pytest.approx(sum(10.0 + i for i in range(6)))
    _version(service, "zeta", datasets["zeta"], [_row(5, "boiler", 40.0)])  # a correction
    second = _ask(service)[("total",)]
    assert second["suppressed"]  # else second - first = zeta's correction, 25
    assert second["reason"] == LEAK
    # once every other company has sent a new version too, no difference singles one out
    for i, tenant in enumerate(OTHERS):
        _version(service, tenant, datasets[tenant], [_row(5, "boiler", 20.0 + i)])
    third = _ask(service)[("total",)]
    assert third["value"] == pytest.approx(40.0 + sum(20.0 + i for i in range(5)))


def test_d_an_hourly_table_does_not_show_one_members_profile(service: Service) -> None:
    """The others are flat; zeta's output moves. Every hourly cell passes k and dominance,
    yet the series minus a constant would be zeta's profile."""
    profile = [2.0, 9.0, 4.0, 12.0, 3.0, 8.0]
    rows = {t: [_row(5, "boiler", 10.0, h) for h in range(6)] for t in OTHERS}
    rows["zeta"] = [_row(5, "boiler", mw, h) for h, mw in enumerate(profile)]
    _share(service, rows)
    hourly = _ask(service, by="time")
    hours = [c for g, c in hourly.items() if g != ("total",)]
    assert len(hours) == 6
    assert all(c["suppressed"] for c in hours)
    assert "ups and downs" in hours[0]["reason"]
    assert hourly[("total",)]["value"] == pytest.approx(5 * 60 + sum(profile))


def test_e_a_private_only_dataset_is_left_out_of_exact_answers(service: Service) -> None:
    rows = {t: [_row(5, "boiler", 10.0 + i)] for i, t in enumerate(SECTORS)}
    datasets = _share(service, rows)
    zeta = datasets["zeta"]
    path = f"/api/v1/datasets/{zeta}/release"
    for user in ("beta-admin", "zeta-analyst", "zeta-auditor"):  # only the owner's admin sets
        refused = service.client.put(path, json={"release": "private-only"},
                                     headers=service.login(user))  # fmt: skip
        assert refused.status_code == 404
    assert service.client.get(path, headers=service.login("zeta-auditor")).json() == {
        "dataset": zeta, "release": "exact"}  # fmt: skip
    set_ = service.client.put(path, json={"release": "private-only"},
                              headers=service.login("zeta-admin"))  # fmt: skip
    assert set_.json() == {"dataset": zeta, "release": "private-only"}
    bad = service.client.put(
        path, json={"release": "whatever"}, headers=service.login("zeta-admin")
    )
    assert bad.status_code == 422
    exact = _ask(service)[("total",)]
    assert exact["value"] == pytest.approx(sum(10.0 + i for i in range(5)))  # zeta's 15 left out
    assert exact["contributors"] == 5
    assert exact["left_out"] == 1
    assert "allow only differentially private releases" in exact["left_out_reason"]
    private = _ask(service, dp="true", epsilon="0.5", lower="0", upper="50")[("total",)]
    assert private["contributors"] == 6  # noisy releases use it
    assert private["left_out"] == 0
    trail = service.client.get("/api/v1/audit", headers=service.login("zeta-admin")).json()
    grants = [e for e in trail if e["action"] == "grant"]
    # the refused attempts and the change are on the owner's trail, as asked
    assert any(e["user"] == "beta-admin" and not e["allowed"] for e in grants)
    assert any(e["user"] == "zeta-analyst" and not e["allowed"] for e in grants)
    changes = [e for e in grants if e["user"] == "zeta-admin" and e["allowed"]]
    assert len(changes) == 2  # its grant in _share and the change (a bad value never gets there)


def test_f_rows_read_raw_through_a_grant_are_known_to_the_requester(service: Service) -> None:
    """Only acme, beta and zeta report on the 7th. beta may read acme's rows raw: the cell of
    the 7th minus its own and acme's figures would be zeta's, so beta is not told it, nor
    anything that gives it back (the January total minus the other days). gamma, which knows
    only its own rows, is told the cell."""
    rows = {t: [_row(5, "boiler", 10.0 + i)] for i, t in enumerate(SECTORS)}
    for tenant, mw in (("acme", 8.0), ("beta", 9.0), ("zeta", 7.0)):
        rows[tenant].append(_row(7, "boiler", mw))
    datasets = _share(service, rows)
    raw = service.client.post("/api/v1/grants", json={"dataset": datasets["acme"],
                              "grantee_kind": "tenant", "grantee": "beta", "purpose": PURPOSE,
                              "form": "raw"}, headers=service.login("acme-admin"))  # fmt: skip
    assert raw.status_code == 201, raw.text
    read = service.client.get(f"/api/v1/datasets/{datasets['acme']}", params={"purpose": PURPOSE},
                              headers=service.login("beta-analyst"))  # fmt: skip
    assert read.status_code == 200, read.text  # beta does know acme's figures
    seventh = ("2026-01-07",)
    days = _ask(service, "beta-analyst", period="day")
    assert days[seventh]["suppressed"]
    assert days[seventh]["reason"] == LEAK
    month = _ask(service, "beta-analyst", period="month")
    assert all(c["suppressed"] for c in month.values()) or days[("2026-01-05",)]["suppressed"]
    told = _ask(service, "gamma-analyst", period="day")
    assert told[seventh]["value"] == pytest.approx(8.0 + 9.0 + 7.0)
