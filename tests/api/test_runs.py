"""Engines on shared data through the service: only members that granted the run's purpose are
in it (the others are named, with the reason), each member sees its own part, the operator sees
a part only under a raw grant, revocation hides it on the next request, every read is audited,
and a stored run reproduces exactly from the dataset versions it used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from clusterhub.api import create_app
from clusterhub.collab import Role, Subject
from clusterhub.energy import DispatchOptions, compare
from clusterhub.examples import load_example
from clusterhub.model import Demand, Generator
from clusterhub.service import data, identity
from clusterhub.service.energy_game import EnergyGame
from clusterhub.sharing import allocate
from clusterhub.storage import make_engine
from clusterhub.symbiosis.registry import COLUMNS

PASSWORD = "correct horse battery"
START, HOURS = 24 * 150, 24
PROFILE_COLUMNS = {"time": "time", "asset": "text", "mw": "number"}
RAW = ("botlek-chemie", "maasmond-fuels", "europoort-waterstof", "rijnmond-olien")
AGGREGATE_ONLY = "maasvlakte-containers"
SILENT = "waalhaven-staal"  # shares its dataset with nobody


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _subject(tenant: str, role: Role) -> Subject:
    return Subject(tenant=tenant, user=f"{tenant}-user", roles=frozenset({role}))


def profile_rows(participant: str, scale: float = 1.0) -> list[dict[str, object]]:
    """The participant's own profiles in the harbour example, as it would send its readings."""
    cluster = load_example("harbour")
    times = cluster.time_index[START : START + HOURS].tz_convert("UTC")
    rows: list[dict[str, object]] = []
    for asset in cluster.participant(participant).assets:
        if isinstance(asset, Demand):
            mw = cluster.values(asset.profile_mw)[START : START + HOURS] * scale
        elif isinstance(asset, Generator):
            mw = cluster.values(asset.availability)[START : START + HOURS] * asset.capacity_mw
        else:
            continue
        rows += [
            {"time": t.isoformat(), "asset": asset.id, "mw": float(v)}
            for t, v in zip(times, mw, strict=True)
        ]
    return rows


@dataclass
class World:
    client: TestClient
    url: str
    clock: Clock
    datasets: dict[str, str]

    def login(self, user: str) -> dict[str, str]:
        response = self.client.post("/api/v1/token", data={"username": user, "password": PASSWORD})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _share(url: str, purpose: str, grants: dict[str, str]) -> dict[str, str]:
    """Each harbour company's energy-profiles dataset (one version), granted as ``grants`` says
    (participant -> form) to the council for ``purpose``."""
    engine = make_engine(url)
    datasets = {}
    with Session(engine) as s, s.begin():
        for p in (*RAW, AGGREGATE_ONLY, SILENT):
            owner = _subject(p, Role.MEMBER_ADMIN)
            datasets[p] = data.create_dataset(
                s, owner, "energy-profiles", "timeseries", PROFILE_COLUMNS
            )
            data.add_version(s, owner, datasets[p], profile_rows(p))
            if p in grants:
                data.create_grant(
                    s, owner, datasets[p], grantee_kind="tenant", grantee="council",
                    purpose=purpose, form=grants[p],
                )  # fmt: skip
    engine.dispose()
    return datasets


@pytest.fixture
def world(migrated: str) -> Iterator[World]:
    url = migrated
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        identity.add_tenant(s, "council", "Harbour council")
        identity.add_user(s, "council", "operator", PASSWORD, (Role.CLUSTER_OPERATOR,))
        identity.add_user(s, "council", "council-admin", PASSWORD, (Role.MEMBER_ADMIN,))
        for p in (*RAW, AGGREGATE_ONLY, SILENT):
            identity.add_tenant(s, p, p.title())
            identity.add_user(s, p, f"{p}-admin", PASSWORD, (Role.MEMBER_ADMIN,))
        identity.add_tenant(s, "outsider", "Outsider")
        identity.add_user(s, "outsider", "outsider-operator", PASSWORD, (Role.CLUSTER_OPERATOR,))
    engine.dispose()
    grants = dict.fromkeys(RAW, "raw") | {AGGREGATE_ONLY: "aggregate-only"}
    datasets = _share(url, "energy-optimization", grants)
    clock = Clock()
    app = create_app(url, secret="a-test-signing-secret-of-32-bytes-or-more", clock=clock)
    with TestClient(app) as client:
        yield World(client, url, clock, datasets)


def _run(w: World, **body: object) -> dict[str, object]:
    response = w.client.post(
        "/api/v1/runs",
        json={"engine": "energy", "cluster": "harbour", "start": START, "hours": HOURS} | body,
        headers=w.login("operator"),
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


@pytest.mark.slow(seconds=60)
def test_an_energy_run_uses_exactly_the_members_that_granted_it(world: World) -> None:
    run = _run(world)
    assert run["left_out"] == {
        SILENT: "no energy-profiles dataset shared with the operator for energy-optimization"
    }
    # the aggregate-only member is in the optimisation but its part is hidden from the operator
    assert sorted(run["results"]) == sorted(RAW)  # type: ignore[arg-type]
    assert run["hidden"] == [AGGREGATE_ONLY]
    expected = compare(
        load_example("harbour").without([SILENT]),
        options=DispatchOptions(start=START, steps=HOURS),
    )
    summary = run["summary"]
    assert isinstance(summary, dict)
    assert summary["released"] is True
    assert summary["saving_eur"] == pytest.approx(expected.saving_eur, rel=1e-6)
    assert summary["joint_cost_eur"] <= summary["standalone_total_eur"] + 1e-6
    parts = run["results"]
    assert isinstance(parts, dict)
    for p in RAW:
        assert parts[p]["standalone_cost_eur"] == pytest.approx(
            expected.standalone_cost_eur[p], rel=1e-6
        )
        # its own dispatch: the hourly grid draw adds up to the energy it drew
        dispatch = parts[p]["dispatch"]
        assert len(dispatch["grid_draw_mw"]) == HOURS
        assert sum(dispatch["grid_draw_mw"]) == pytest.approx(
            dispatch["energy_mwh"].get("grid-draw", 0.0), abs=1e-6
        )
    assert sum(parts[p]["saving_share_eur"] for p in RAW) < summary["saving_eur"] + 1e-6


def test_members_see_their_own_part_and_nobody_elses(world: World) -> None:
    run = _run(world)
    own = world.client.get(f"/api/v1/runs/{run['id']}", headers=world.login("botlek-chemie-admin"))
    assert own.status_code == 200
    body = own.json()
    assert list(body["results"]) == ["botlek-chemie"]
    assert "left_out" not in body
    assert "inputs" not in body
    # the aggregate-only member sees its own part in full
    hidden = world.client.get(
        f"/api/v1/runs/{run['id']}", headers=world.login(f"{AGGREGATE_ONLY}-admin")
    )
    assert list(hidden.json()["results"]) == [AGGREGATE_ONLY]
    # left out, outsider, another operator, a made-up id: all the same 404
    answers = [
        world.client.get(f"/api/v1/runs/{run['id']}", headers=world.login(user))
        for user in (f"{SILENT}-admin", "outsider-operator")
    ]
    answers.append(world.client.get(
        "/api/v1/runs/00000000-0000-0000-0000-000000000000", headers=world.login("operator")
    ))  # fmt: skip
    assert {a.status_code for a in answers} == {404}
    assert len({a.text for a in answers}) == 1


@pytest.mark.slow(seconds=60)
def test_each_tenant_lists_the_runs_it_ran_or_has_a_part_in_and_no_others(world: World) -> None:
    first = _run(world)
    world.clock.now = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    second = _run(world, hours=12)

    def listed(user: str) -> list[dict[str, object]]:
        answer = world.client.get("/api/v1/runs", headers=world.login(user))
        assert answer.status_code == 200, answer.text
        runs: list[dict[str, object]] = answer.json()
        return runs

    operator = listed("operator")
    assert [r["id"] for r in operator] == [second["id"], first["id"]]  # newest first
    assert operator[1]["summary"] == first["summary"]
    assert operator[0]["created_by"] == "operator"
    member = listed("botlek-chemie-admin")
    assert [r["id"] for r in member] == [second["id"], first["id"]]
    assert all(r["created_by"] is None and r["operator"] is False for r in member)
    assert "results" not in member[0]  # no member's part in a listing, not even its own
    # the member that shared nothing, an outsider operator and the council's own admin
    # (its tenant ran them, so it sees them: runs belong to the tenant, not the user)
    assert listed(f"{SILENT}-admin") == []
    assert listed("outsider-operator") == []
    assert len(listed("council-admin")) == 2


def test_only_operators_start_runs(world: World) -> None:
    for user in ("botlek-chemie-admin", "council-admin"):
        response = world.client.post(
            "/api/v1/runs", json={"engine": "energy", "cluster": "harbour"},
            headers=world.login(user),
        )  # fmt: skip
        assert response.status_code == 404


def test_revoking_hides_a_members_part_on_the_next_request(world: World) -> None:
    run = _run(world)
    admin = world.login("maasmond-fuels-admin")
    grants = world.client.get("/api/v1/grants", headers=admin).json()
    grant = next(g for g in grants if g["dataset"] == world.datasets["maasmond-fuels"])
    assert (
        world.client.post(f"/api/v1/grants/{grant['id']}/revoke", headers=admin).status_code == 200
    )
    again = world.client.get(f"/api/v1/runs/{run['id']}", headers=world.login("operator")).json()
    assert "maasmond-fuels" not in again["results"]
    assert "maasmond-fuels" in again["hidden"]


def test_every_read_by_a_run_is_in_the_owners_audit_trail(world: World) -> None:
    _run(world)
    silent = world.client.get("/api/v1/audit", headers=world.login(f"{SILENT}-admin")).json()
    tried = [e for e in silent if e["action"] == "compute"]
    assert len(tried) == 1
    assert tried[0]["tenant"] == "council"
    assert tried[0]["allowed"] is False
    used = world.client.get("/api/v1/audit", headers=world.login("botlek-chemie-admin")).json()
    computed = [e for e in used if e["action"] == "compute"]
    assert computed
    assert all(e["allowed"] and e["purpose"] == "energy-optimization" for e in computed)


@pytest.mark.slow(seconds=60)
def test_a_run_reproduces_from_the_versions_it_used(world: World) -> None:
    run = _run(world)
    # botlek sends a correction: the stored run still reproduces from version 1
    engine = make_engine(world.url)
    with Session(engine) as s, s.begin():
        data.add_version(
            s, _subject("botlek-chemie", Role.MEMBER_ADMIN), world.datasets["botlek-chemie"],
            profile_rows("botlek-chemie", scale=1.3),
        )  # fmt: skip
    engine.dispose()
    operator = world.login("operator")
    again = world.client.post(f"/api/v1/runs/{run['id']}/reproduce", headers=operator)
    assert again.status_code == 200, again.text
    assert again.json()["identical"] is True
    # a new run reads the correction, and its result differs
    newer = _run(world)
    versions = {i["participant"]: i["version"] for i in newer["inputs"]}  # type: ignore[union-attr]
    assert versions["botlek-chemie"] == 2
    summary, before = newer["summary"], run["summary"]
    assert isinstance(summary, dict)
    assert isinstance(before, dict)
    assert summary["standalone_total_eur"] != pytest.approx(before["standalone_total_eur"])
    # once a member revokes, its data can no longer be re-read: the run does not reproduce
    admin = world.login("rijnmond-olien-admin")
    grants = world.client.get("/api/v1/grants", headers=admin).json()
    for g in grants:
        world.client.post(f"/api/v1/grants/{g['id']}/revoke", headers=admin)
    refused = world.client.post(f"/api/v1/runs/{run['id']}/reproduce", headers=operator).json()
    assert refused["identical"] is False
    assert list(refused["unreadable"]) == ["rijnmond-olien"]


def test_a_member_whose_data_does_not_fit_is_left_out_with_the_reason(world: World) -> None:
    rows = [r for r in profile_rows("rijnmond-olien") if not (
        r["asset"] == "olien-power" and str(r["time"]).startswith("2024-05-30T05")
    )]  # fmt: skip
    engine = make_engine(world.url)
    with Session(engine) as s, s.begin():
        data.add_version(
            s, _subject("rijnmond-olien", Role.MEMBER_ADMIN), world.datasets["rijnmond-olien"],
            rows,
        )  # fmt: skip
    engine.dispose()
    run = _run(world)
    reason = run["left_out"]["rijnmond-olien"]  # type: ignore[index]
    assert "olien-power" in reason
    assert "none at 2024-05-30T05:00:00+00:00" in reason
    assert "rijnmond-olien" not in run["results"]  # type: ignore[operator]


def test_benefit_sharing_runs_only_on_benefit_sharing_grants(world: World) -> None:
    # the energy-optimization grants do not cover benefit sharing: nobody is in
    refused = world.client.post(
        "/api/v1/runs",
        json={"engine": "sharing", "cluster": "harbour", "start": START, "hours": HOURS},
        headers=world.login("operator"),
    )
    assert refused.status_code == 422
    engine = make_engine(world.url)
    members = ("botlek-chemie", "maasmond-fuels", "europoort-waterstof")
    with Session(engine) as s, s.begin():
        for p in members:
            data.create_grant(
                s, _subject(p, Role.MEMBER_ADMIN), world.datasets[p], grantee_kind="tenant",
                grantee="council", purpose="benefit-sharing", form="raw",
            )  # fmt: skip
    engine.dispose()
    run = _run(world, engine="sharing", method="shapley")
    assert sorted(run["results"]) == sorted(members)  # type: ignore[arg-type]
    others = [p.id for p in load_example("harbour").participants
              if p.kind != "grid_operator" and p.id not in members]  # fmt: skip
    game = EnergyGame(
        load_example("harbour").without(others), options=DispatchOptions(start=START, steps=HOURS)
    )
    expected = allocate(game, "shapley")
    parts = run["results"]
    assert isinstance(parts, dict)
    shares = np.array([parts[p]["share_eur"] for p in members])
    assert shares == pytest.approx([expected.shares[p] for p in members], rel=1e-6, abs=1e-3)
    assert shares.sum() == pytest.approx(expected.total, rel=1e-6)


def _stream_rows(participant: str) -> list[dict[str, str]]:
    cluster = load_example("kwinana")
    rows = []
    for stream in cluster.participant(participant).streams:
        values = stream.model_dump(mode="json")
        row = {}
        for column in COLUMNS:
            value = values.get(column)
            row[column] = "" if value is None or isinstance(value, dict | list) else str(value)
        rows.append(row)
    return rows


def test_symbiosis_matching_on_shared_registries(migrated: str) -> None:
    members = ("alcoa", "csbp", "tronox", "coogee")
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        identity.add_tenant(s, "council", "Kwinana council")
        identity.add_user(s, "council", "operator", PASSWORD, (Role.CLUSTER_OPERATOR,))
        for p in members:
            identity.add_tenant(s, p, p.title())
            identity.add_user(s, p, f"{p}-admin", PASSWORD, (Role.MEMBER_ADMIN,))
            owner = _subject(p, Role.MEMBER_ADMIN)
            dataset = data.create_dataset(
                s, owner, "symbiosis-streams", "table", dict.fromkeys(COLUMNS, "text")
            )
            data.add_version(s, owner, dataset, _stream_rows(p))
            if p != "coogee":
                data.create_grant(
                    s, owner, dataset, grantee_kind="tenant", grantee="council",
                    purpose="symbiosis-matching", form="raw",
                )  # fmt: skip
    engine.dispose()
    app = create_app(migrated, secret="a-test-signing-secret-of-32-bytes-or-more")
    with TestClient(app) as client:
        w = World(client, migrated, Clock(), {})
        run = _run(w, engine="symbiosis", cluster="kwinana")
        assert "coogee" in run["left_out"]  # type: ignore[operator]
        parts = run["results"]
        assert isinstance(parts, dict)
        assert sorted(parts) == ["alcoa", "csbp", "tronox"]
        own = {s.id for p in ("alcoa", "csbp", "tronox")
               for s in load_example("kwinana").participant(p).streams}  # fmt: skip
        matches = [m for part in parts.values() for m in part["matches"]]
        assert matches
        # only members' streams, matched across companies, never quantities of the other side
        assert all(m["stream"] in own and m["counterpart"] in parts for m in matches)
        assert not any("quantity" in m for m in matches)
        mine = client.get(f"/api/v1/runs/{run['id']}", headers=w.login("csbp-admin")).json()
        assert list(mine["results"]) == ["csbp"]


def test_operators_manage_groups_and_a_group_grant_follows_membership(world: World) -> None:
    operator, admin = world.login("operator"), world.login("botlek-chemie-admin")
    # a member cannot change groups; the attempt is refused like a missing tenant
    refused = world.client.put("/api/v1/groups/refiners/members/outsider", headers=admin)
    assert refused.status_code == 404
    added = world.client.put("/api/v1/groups/refiners/members/outsider", headers=operator)
    assert added.status_code == 200, added.text
    assert added.json() == {"group": "refiners", "members": ["outsider"]}
    assert world.client.get("/api/v1/groups", headers=admin).json() == {"refiners": ["outsider"]}
    # botlek grants raw to the group: outsider reads while it is in it, not after it leaves
    dataset = world.datasets["botlek-chemie"]
    grant = world.client.post(
        "/api/v1/grants",
        json={"dataset": dataset, "grantee_kind": "group", "grantee": "refiners",
              "purpose": "energy-optimization", "form": "raw"},
        headers=admin,
    )  # fmt: skip
    assert grant.status_code == 201, grant.text
    reader = world.login("outsider-operator")
    path, params = f"/api/v1/datasets/{dataset}", {"purpose": "energy-optimization"}
    assert world.client.get(path, params=params, headers=reader).status_code == 200
    gone = world.client.delete("/api/v1/groups/refiners/members/outsider", headers=operator)
    assert gone.json() == {"group": "refiners", "members": []}
    assert world.client.get(path, params=params, headers=reader).status_code == 404
    # the tenant sees both changes (and botlek's refused attempt) in its audit trail
    engine = make_engine(world.url)
    with Session(engine) as s, s.begin():
        trail = data.audit_trail(s, _subject("outsider", Role.MEMBER_ADMIN))
    engine.dispose()
    changes = [(e["tenant"], e["allowed"], e["reason"]) for e in trail if e["action"] == "grant"]
    assert changes == [
        ("botlek-chemie", False, "only a cluster operator changes groups"),
        ("council", True, "added to group refiners"),
        ("council", True, "removed from group refiners"),
    ]
    bad = world.client.put("/api/v1/groups/Bad Name/members/outsider", headers=operator)
    assert bad.status_code == 422
