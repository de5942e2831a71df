"""Aggregates by sector and calendar period, percentiles, and differentially private releases
charged to each contributing dataset's privacy budget, over HTTP on each backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sectors import SECTORS, Service
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.service import data
from clusterhub.storage import make_engine
from clusterhub.storage.rows import TenantRow

runner = CliRunner()
PURPOSE = "decarbonization-tracking"
#: January per company (two readings of half each); the chemical companies report February too.
JANUARY = {"acme": 10.0, "beta": 12.0, "gamma": 9.0, "delta": 11.0, "epsi": 20.0, "zeta": 22.0}
TOTAL = sum(JANUARY.values()) + sum(v / 2 for t, v in JANUARY.items() if SECTORS[t] == "chemicals")


def _share(service: Service) -> dict[str, str]:
    """Every tenant's "meter" dataset, granted to the cluster for aggregates; the ids by owner."""
    datasets = {}
    for tenant, mw in JANUARY.items():
        admin = service.login(f"{tenant}-admin")
        created = service.client.post("/api/v1/datasets", json={"name": "meter", "kind": "table",
                                      "columns": {"time": "time", "mw": "number",
                                                  "sector": "text"}}, headers=admin)  # fmt: skip
        assert created.status_code == 201, created.text
        dataset = created.json()["id"]
        # the rows' own "sector" says retail: the tenant's registered sector must win
        rows = [{"time": f"2026-01-{day:02d}T10:00", "mw": mw / 2, "sector": "retail"}
                for day in (5, 20)]  # fmt: skip
        if SECTORS[tenant] == "chemicals":
            rows.append({"time": "2026-02-03T00:00+01:00", "mw": mw / 2, "sector": "retail"})
        stored = service.client.post(f"/api/v1/datasets/{dataset}/versions",
                                     json={"rows": rows}, headers=admin)  # fmt: skip
        assert stored.status_code == 201, stored.text
        granted = service.client.post("/api/v1/grants", json={"dataset": dataset,
                                      "grantee_kind": "cluster", "grantee": "cluster",
                                      "purpose": PURPOSE, "form": "aggregate-only"},
                                      headers=admin)  # fmt: skip
        assert granted.status_code == 201, granted.text
        datasets[tenant] = dataset
    return datasets


def _ask(service: Service, user: str, **params: Any) -> Any:
    query = {"name": "meter", "value": "mw", "purpose": PURPOSE, **params}
    return service.client.get("/api/v1/aggregates", params=query, headers=service.login(user))


def test_a_sector_by_month_table_suppresses_a_sector_of_two(service: Service) -> None:
    _share(service)
    answer = _ask(service, "beta-analyst", by="sector", period="month")
    assert answer.status_code == 200, answer.text
    cells = {tuple(c["group"]): c for c in answer.json()}
    assert set(cells) == {("chemicals", "2026-01"), ("chemicals", "2026-02"),
                          ("energy", "2026-01"), ("total",)}  # fmt: skip
    # two energy companies: suppressed, with the reason, and no count shown
    energy = cells[("energy", "2026-01")]
    assert energy["suppressed"]
    assert energy["value"] is None
    assert energy["contributors"] is None
    assert energy["reason"] == "fewer than 3 contributors"
    # one suppressed cell and a released total: the smallest other cell is withheld too
    february = cells[("chemicals", "2026-02")]
    assert february["suppressed"]
    assert "cannot be found from the total" in february["reason"]
    january = cells[("chemicals", "2026-01")]
    assert january["value"] == pytest.approx(10 + 12 + 9 + 11)
    assert january["contributors"] == 4
    assert cells[("total",)]["value"] == pytest.approx(TOTAL)
    assert cells[("total",)]["contributors"] == 6
    assert "retail" not in {c["group"][0] for c in answer.json()}


def test_sector_and_period_groupings_and_percentiles(service: Service) -> None:
    _share(service)
    by_sector = {c["group"][0]: c for c in _ask(service, "acme-analyst", by="sector").json()}
    assert by_sector["energy"]["reason"] == "fewer than 3 contributors"
    assert by_sector["chemicals"]["suppressed"]  # the complement of the energy cell
    by_quarter = {c["group"][0]: c for c in _ask(service, "acme-analyst", period="quarter").json()}
    assert by_quarter["2026-Q1"]["value"] == pytest.approx(TOTAL)
    assert by_quarter["2026-Q1"]["contributors"] == 6
    by_week = [c["group"][0] for c in _ask(service, "acme-analyst", period="week").json()]
    assert by_week == ["2026-W02", "2026-W04", "2026-W06", "total"]
    # a median over 6 companies is released; the p25 needs 12, the p90 30
    totals = sorted([v * 1.5 if SECTORS[t] == "chemicals" else v for t, v in JANUARY.items()])
    median = _ask(service, "acme-analyst", statistic="p50").json()[0]
    assert median["value"] == pytest.approx((totals[2] + totals[3]) / 2)
    quartile = _ask(service, "acme-analyst", statistic="p25").json()[0]
    assert quartile["reason"] == "a p25 needs at least 12 contributors"
    unknown = _ask(service, "acme-analyst", period="fortnight")
    assert unknown.status_code == 422
    missing = _ask(service, "acme-analyst", period="month", time="when")  # no such column
    assert [c["suppressed"] for c in missing.json()] == [True]


def _budget(service: Service, dataset: str, user: str = "acme-admin") -> Any:
    return service.client.get(f"/api/v1/datasets/{dataset}/budget",
                              headers=service.login(user))  # fmt: skip


def test_private_releases_spend_the_budget_until_refused_and_audited(service: Service) -> None:
    datasets = _share(service)
    acme = datasets["acme"]
    fresh = _budget(service, acme).json()
    assert fresh == {"dataset": acme, "epsilon_total": 1.0, "epsilon_spent": 0.0,
                     "epsilon_remaining": 1.0, "releases": 0}  # fmt: skip
    private = {"dp": "true", "epsilon": "0.4", "lower": "0", "upper": "50"}
    for spent in (0.4, 0.8):
        answer = _ask(service, "beta-analyst", **private)
        assert answer.status_code == 200, answer.text
        [cell] = answer.json()
        assert cell["epsilon"] == pytest.approx(0.4)
        # one company's total may move anywhere in [0, 50]: Laplace scale 50 / 0.4
        assert cell["noise_scale"] == pytest.approx(125.0, rel=1e-6)
        assert cell["value"] != pytest.approx(TOTAL, abs=1e-9)
        assert abs(cell["value"] - TOTAL) < 40 * 125  # e^-40: never, for Laplace noise
        for tenant in ("acme", "zeta"):  # every contributing dataset pays
            budget = _budget(service, datasets[tenant], f"{tenant}-admin").json()
            assert budget["epsilon_spent"] == pytest.approx(spent)
            assert budget["epsilon_remaining"] == pytest.approx(1.0 - spent)
    # 0.2 left everywhere: refused whole, nothing charged; acme raising its own total does
    # not help while the others' budgets are short
    raised = service.client.put(f"/api/v1/datasets/{acme}/budget", json={"epsilon": 2.0},
                                headers=service.login("acme-admin"))  # fmt: skip
    assert raised.json()["epsilon_remaining"] == pytest.approx(1.2)
    refused = _ask(service, "beta-analyst", **private)
    assert refused.status_code == 409
    assert "privacy budget exhausted" in refused.json()["detail"]
    assert _budget(service, datasets["zeta"], "zeta-admin").json()["releases"] == 2
    assert _budget(service, acme).json()["epsilon_spent"] == pytest.approx(0.8)
    # the refusal is in the owners' audit trails, and the chain is intact
    trail = service.client.get("/api/v1/audit", headers=service.login("zeta-admin")).json()
    refusals = [e for e in trail if not e["allowed"] and e["tenant"] == "beta"]
    assert len(refusals) == 1
    assert refusals[0]["reason"].startswith("privacy budget exhausted: 0.2 left, 0.4 asked")
    charges = [e for e in trail if e["reason"].startswith("differential privacy: epsilon 0.4")]
    assert len(charges) == 2
    engine = make_engine(service.url)
    with Session(engine) as s:
        assert data.verify_audit(s).ok
    engine.dispose()
    # releases without noise do not touch the budget
    exact = _ask(service, "beta-analyst").json()
    assert exact[0]["value"] == pytest.approx(TOTAL)
    assert exact[0]["epsilon"] is None
    assert _budget(service, datasets["zeta"], "zeta-admin").json()["releases"] == 2


def test_private_releases_need_bounds_and_a_sum_or_mean(service: Service) -> None:
    _share(service)
    no_bounds = _ask(service, "beta-analyst", dp="true", epsilon="0.1")
    assert no_bounds.status_code == 200
    assert (
        no_bounds.json()[0]["reason"] == "differential privacy needs bounds with lower below upper"
    )
    median = _ask(service, "beta-analyst", dp="true", lower="0", upper="1", statistic="median")
    assert "covers sum and mean only" in median.json()[0]["reason"]
    mean = _ask(service, "beta-analyst", dp="true", lower="0", upper="60", statistic="mean",
                epsilon="0.5").json()  # fmt: skip
    assert mean[0]["noise_scale"] == pytest.approx(60 / 6 / 0.5, rel=1e-6)
    assert _ask(service, "beta-analyst", epsilon="0").status_code == 422
    twice = service.client.get(
        "/api/v1/aggregates?name=meter&value=mw&purpose=audit&dp=true&epsilon=0.1&epsilon=5",
        headers=service.login("beta-admin"),
    )
    assert twice.status_code == 422  # a repeated parameter is refused, not read as its last


def test_only_the_owner_reads_and_sets_a_budget(service: Service) -> None:
    datasets = _share(service)
    acme = datasets["acme"]
    assert _budget(service, acme, "acme-auditor").status_code == 200
    nothing = _budget(service, "00000000-0000-0000-0000-000000000000", "beta-admin")
    for user in ("beta-admin", "acme-analyst"):
        denied = _budget(service, acme, user)
        assert denied.status_code == 404
        assert denied.json() == nothing.json()
    for user in ("beta-admin", "acme-analyst", "acme-auditor"):
        changed = service.client.put(f"/api/v1/datasets/{acme}/budget", json={"epsilon": 9.0},
                                     headers=service.login(user))  # fmt: skip
        assert changed.status_code == 404
    bad = service.client.put(f"/api/v1/datasets/{acme}/budget", json={"epsilon": 0},
                             headers=service.login("acme-admin"))  # fmt: skip
    assert bad.status_code == 422
    assert _budget(service, acme).json()["epsilon_total"] == 1.0
    repeated = service.client.get(f"/api/v1/datasets/{acme}/budget?x=1&x=2",
                                  headers=service.login("acme-admin"))  # fmt: skip
    assert repeated.status_code == 422


def test_the_operator_registers_a_tenants_sector(tmp_path: Path) -> None:
    """``clusterhub tenant add --sector`` (the CLI test for the option, kept beside its use)."""
    url = f"sqlite:///{tmp_path / 'sectors.db'}"
    added = runner.invoke(app, ["tenant", "add", "acme", "Acme", "--sector", "chemicals",
                                "--url", url])  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "tenant acme added" in added.output
    blank = runner.invoke(app, ["tenant", "add", "beta", "Beta", "--sector", " ", "--url", url])
    assert blank.exit_code == 1
    assert "sector" in blank.output
    engine = make_engine(url)
    with Session(engine) as s:
        assert s.get(TenantRow, "acme").sector == "chemicals"  # type: ignore[union-attr]
        assert s.get(TenantRow, "beta") is None
    engine.dispose()
