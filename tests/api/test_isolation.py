"""A stateful attack suite: tenants and their users create, grant, revoke and read while the
attacker swaps ids, purposes, tokens and payloads; not one cross-tenant read may succeed.

The reference model below knows every dataset, its owner and every grant, every API key and
group, and the tenants each grant to a group names (its members when granted, and those the
owner consented to since; a tenant that leaves is struck off); after each request the service's
answer must agree with it: a read succeeds only for the owner or under an active raw grant for
exactly the stated purpose to the reader's tenant, or to a group the reader is in and named by,
and every refusal looks the same (404) whether or not the object exists (the one 403: an operator
changing its own tenant's groups). The suite runs at least 10,000 requests on each backend
(SQLite and PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import jwt
import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.orm import Session

from clusterhub.api import create_app
from clusterhub.collab import Role
from clusterhub.service import identity
from clusterhub.storage import make_engine

TENANTS = ("acme", "beta", "gamma")
PURPOSES = ("energy-optimization", "benefit-sharing", "symbiosis-matching", "incident-response")
PASSWORD = "correct horse battery"
INJECTIONS = ("' OR 1=1 --", "../../etc/passwd", "%00", "acme'; DROP TABLE datasets; --", "🙂" * 50)
STEPS_PER_EXAMPLE = 50
#: Which dataset a request aims at: (kind, index into the known ones, a random uuid, junk).
AIM = st.tuples(
    st.integers(0, 9), st.integers(0, 10**6), st.uuids().map(str), st.sampled_from(INJECTIONS)
)
SECRET = "an-attack-suite-secret-of-32-bytes!!"
_NOW = int(time.time())
#: Well-formed tokens for a real admin that must still fail: signed with another secret, expired
#: an hour ago, naming the admin under another tenant, and with the algorithm set to none.
CRAFTED = tuple(
    "Bearer " + token
    for token in (
        jwt.encode({"sub": "acme-member-admin", "tenant": "acme", "exp": _NOW + 3600},
                   "not-the-service-secret-but-32-bytes!", algorithm="HS256"),
        jwt.encode({"sub": "acme-member-admin", "tenant": "acme", "exp": _NOW - 3600},
                   SECRET, algorithm="HS256"),
        jwt.encode({"sub": "acme-member-admin", "tenant": "beta", "exp": _NOW + 3600},
                   SECRET, algorithm="HS256"),
        jwt.encode({"sub": "acme-member-admin", "tenant": "acme", "exp": _NOW + 3600},
                   None, algorithm="none"),
    )
)  # fmt: skip
EXAMPLES = 230  # examples end at random lengths: about 11,000 requests per backend


@dataclass
class World:
    client: TestClient
    tokens: dict[str, dict[str, str]]  # user -> auth header
    users: dict[str, tuple[str, frozenset[Role]]]  # user -> (tenant, roles)
    datasets: dict[str, str] = field(default_factory=dict)  # id -> owner
    rows: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # id -> latest rows
    grants: dict[str, tuple[str, str, str, str, bool]] = field(default_factory=dict)
    # grant id -> (dataset, grantee tenant, purpose, form, revoked)
    keys: dict[str, tuple[str, bool]] = field(default_factory=dict)  # prefix -> (user, live)
    groups: dict[str, set[str]] = field(default_factory=dict)  # group -> tenants
    group_grants: dict[str, tuple[str, str, str, str, bool]] = field(default_factory=dict)
    # grant id -> (dataset, group, purpose, form, revoked)
    reach: dict[str, set[str]] = field(default_factory=dict)  # group grant -> tenants named
    requests: int = 0
    leaks: list[str] = field(default_factory=list)
    # issue 15 item 1: each tenant's "agg-meter" dataset and the rows of each of its versions,
    # and every exact cell told to each tenant: (its rows as (tenant, version, row), value)
    meters: dict[str, str] = field(default_factory=dict)
    versions: dict[str, list[list[dict[str, object]]]] = field(default_factory=dict)
    told: dict[str, list[tuple[frozenset[tuple[str, int, int]], float]]] = field(
        default_factory=dict
    )
    signed_in: dict[str, float] = field(default_factory=dict)  # user -> when (monotonic)

    def auth(self, user: str) -> dict[str, str]:
        """The user's auth header, signed in again once its token is ten minutes old: tokens last
        15, and on a busy machine (or a worker sharing its cores) the suite runs longer."""
        if time.monotonic() - self.signed_in.get(user, 0.0) > 600 or user not in self.tokens:
            form = {"username": user, "password": PASSWORD}
            answer = self.client.post("/api/v1/token", data=form)
            self.tokens[user] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
            self.signed_in[user] = time.monotonic()
        return self.tokens[user]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    from clusterhub.storage import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('attack') / 'attack.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        with engine.begin() as connection:  # a schema never migrated, as on a new server
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    users: dict[str, tuple[str, frozenset[Role]]] = {}
    with Session(engine) as s, s.begin():
        for tenant in TENANTS:
            identity.add_tenant(s, tenant, tenant.title())
            for role in (Role.MEMBER_ADMIN, Role.ANALYST, Role.AUDITOR, Role.CLUSTER_OPERATOR):
                name = f"{tenant}-{role.value}"
                identity.add_user(s, tenant, name, PASSWORD, (role,))
                users[name] = (tenant, frozenset({role}))
    engine.dispose()
    with TestClient(create_app(url, secret=SECRET)) as client:
        state = World(client, {}, users)
        for name in users:
            state.auth(name)
        yield state
    assert state.requests >= 10_000
    assert state.leaks == []


def make_machine(world: World) -> type[RuleBasedStateMachine]:
    users = sorted(world.users)
    admins = [u for u in users if u.endswith(Role.MEMBER_ADMIN.value)]

    class Attack(RuleBasedStateMachine):
        @initialize(owner=st.sampled_from(admins))
        def seed(self, owner: str) -> None:
            self._create(owner)

        def _create(self, owner: str) -> None:
            answer = self._call("post", "/api/v1/datasets", owner, json={
                "name": f"d{len(world.datasets)}-{world.requests}", "kind": "table",
                "columns": {"name": "text", "value": "number"}})  # fmt: skip
            assert answer.status_code == 201, answer.text
            dataset = answer.json()["id"]
            world.datasets[dataset] = world.users[owner][0]
            rows = [{"name": f"secret of {world.users[owner][0]}", "value": 42.0}]
            version = self._call("post", f"/api/v1/datasets/{dataset}/versions", owner,
                                 json={"rows": rows})  # fmt: skip
            assert version.status_code == 201
            world.rows[dataset] = rows

        def _call(self, method: str, path: str, user: str | None, **kwargs: object):  # type: ignore[no-untyped-def]
            world.requests += 1
            headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
            if user is not None:
                headers.update(world.auth(user))
            return getattr(world.client, method)(path, headers=headers, **kwargs)

        @staticmethod
        def _dataset(aim: tuple[int, int, str, str]) -> str:
            """A known dataset (7 in 10), a random uuid, or an injection string; drawn without
            looking at the state, so that Hypothesis can replay the draws."""
            kind, pick, guess, junk = aim
            known = sorted(world.datasets)
            if kind < 7 and known:
                return known[pick % len(known)]
            return guess if kind < 9 else quote(junk, safe="")  # as a client would send it

        @rule(owner=st.sampled_from(admins))
        def create(self, owner: str) -> None:
            self._create(owner)

        @rule(user=st.sampled_from(users), aim=AIM)
        def write_anywhere(self, user: str, aim: tuple[int, int, str, str]) -> None:
            dataset = self._dataset(aim)
            answer = self._call("post", f"/api/v1/datasets/{dataset}/versions", user,
                                json={"rows": [{"name": "overwrite", "value": 1.0}]})  # fmt: skip
            owner = world.datasets.get(dataset)
            tenant, roles = world.users[user]
            may = owner == tenant and bool(roles & {Role.MEMBER_ADMIN, Role.ANALYST})
            if answer.status_code == 201:
                if not may:
                    world.leaks.append(f"write by {user} into {owner}'s {dataset}")
                world.rows[dataset] = [{"name": "overwrite", "value": 1.0}]
            else:
                assert answer.status_code == 404, answer.text

        @rule(user=st.sampled_from(users), grantee=st.sampled_from(TENANTS),
              purpose=st.sampled_from(PURPOSES), form=st.sampled_from(["raw", "aggregate-only"]),
              aim=AIM)  # fmt: skip
        def grant(
            self, user: str, grantee: str, purpose: str, form: str, aim: tuple[int, int, str, str]
        ) -> None:
            dataset = self._dataset(aim)
            answer = self._call("post", "/api/v1/grants", user, json={
                "dataset": dataset, "grantee_kind": "tenant", "grantee": grantee,
                "purpose": purpose, "form": form})  # fmt: skip
            tenant, roles = world.users[user]
            may = world.datasets.get(dataset) == tenant and Role.MEMBER_ADMIN in roles
            if answer.status_code == 201:
                if not may:
                    world.leaks.append(f"grant by {user} on {dataset}")
                world.grants[answer.json()["id"]] = (dataset, grantee, purpose, form, False)
            else:
                assert answer.status_code in (404, 422), answer.text

        @rule(user=st.sampled_from(users), pick=st.integers(0, 10**6))
        def revoke(self, user: str, pick: int) -> None:
            if not world.grants:
                return
            grant = sorted(world.grants)[pick % len(world.grants)]
            dataset, grantee, purpose, form, _ = world.grants[grant]
            answer = self._call("post", f"/api/v1/grants/{grant}/revoke", user)
            tenant, roles = world.users[user]
            may = world.datasets[dataset] == tenant and Role.MEMBER_ADMIN in roles
            if answer.status_code == 200:
                if not may:
                    world.leaks.append(f"revoke by {user} of {grant}")
                world.grants[grant] = (dataset, grantee, purpose, form, True)
            else:
                assert answer.status_code == 404

        @rule(user=st.sampled_from(users), pick=st.integers(0, 10**6),
              purpose=st.sampled_from(PURPOSES),
              form=st.sampled_from(["raw", "aggregate-only"]))  # fmt: skip
        def change_grant(self, user: str, pick: int, purpose: str, form: str) -> None:
            """PATCH a grant by its id: only its owner's admin may, and then the old grant
            stops and its successor carries the new terms from the next request."""
            if not world.grants:
                return
            grant = sorted(world.grants)[pick % len(world.grants)]
            dataset, grantee, old_purpose, old_form, revoked = world.grants[grant]
            answer = self._call("patch", f"/api/v1/grants/{grant}", user,
                                json={"purpose": purpose, "form": form})  # fmt: skip
            tenant, roles = world.users[user]
            may = world.datasets[dataset] == tenant and Role.MEMBER_ADMIN in roles
            if answer.status_code == 200:
                if not may or revoked:
                    world.leaks.append(f"change by {user} of {grant}")
                world.grants[grant] = (dataset, grantee, old_purpose, old_form, True)
                world.grants[answer.json()["id"]] = (dataset, grantee, purpose, form, False)
            elif answer.status_code in (409, 422):  # revoked or expired; or no change at all
                if not may:
                    world.leaks.append(f"{user} learnt the state of {grant}")
            else:
                assert answer.status_code == 404, answer.text

        @rule(user=st.one_of(st.sampled_from(users), st.none()),
              purpose=st.one_of(st.sampled_from(PURPOSES), st.none(), st.sampled_from(INJECTIONS)),
              spoof=st.sampled_from([None, *TENANTS]), aim=AIM)  # fmt: skip
        def read(self, user: str | None, purpose: str | None, spoof: str | None,
                 aim: tuple[int, int, str, str]) -> None:  # fmt: skip
            dataset = self._dataset(aim)
            params = {"purpose": purpose} if purpose is not None else {}
            headers = {"X-Tenant": spoof} if spoof else {}  # a header the service must ignore
            answer = self._call("get", f"/api/v1/datasets/{dataset}", user,
                                params=params, headers=headers)  # fmt: skip
            if user is None:
                assert answer.status_code in (401, 404, 422)
                return
            if purpose is None:  # every request states its purpose: malformed without one
                assert answer.status_code in (404, 422), answer.text
                return
            tenant, roles = world.users[user]
            owner = world.datasets.get(dataset)
            readers = {Role.MEMBER_ADMIN, Role.ANALYST, Role.CLUSTER_OPERATOR}
            granted = any(
                g[0] == dataset and g[1] == tenant and g[2] == purpose and g[3] == "raw"
                and not g[4]
                for g in world.grants.values()
            ) or self._group_granted(dataset, tenant, purpose)  # fmt: skip
            own = owner == tenant and bool(roles & {Role.MEMBER_ADMIN, Role.ANALYST})
            known_purpose = purpose in PURPOSES or purpose == "data-management"
            if owner == tenant:  # the owner's own data: by role, never by grant
                may = known_purpose and own
            else:
                may = owner is not None and known_purpose and granted and bool(roles & readers)
            if answer.status_code == 200:
                body = answer.json()
                if not may or body["owner"] != owner or body["rows"] != world.rows[dataset]:
                    world.leaks.append(f"read by {user} of {owner}'s {dataset} for {purpose}")
            else:
                assert answer.status_code == 404, answer.text
                assert answer.json() == {"detail": "not found"}
                if may:
                    world.leaks.append(f"refused a permitted read by {user} of {dataset}")

        @rule(token=st.sampled_from(["", "Bearer", "Bearer x.y.z", "Bearer " + "A" * 300,
                                     "Basic YWNtZTpwYXNz", *CRAFTED]), aim=AIM)  # fmt: skip
        def forged(self, token: str, aim: tuple[int, int, str, str]) -> None:
            dataset = self._dataset(aim)
            answer = self._call("get", f"/api/v1/datasets/{dataset}", None,
                                params={"purpose": "energy-optimization"},
                                headers={"Authorization": token})  # fmt: skip
            # 401; or 404 when the junk id leaves the route before any sign-in is looked at
            assert answer.status_code in (401, 404), answer.text
            assert answer.status_code == 401 or answer.json() == {"detail": "not found"}

        @rule(user=st.sampled_from(admins),
              junk=st.sampled_from(["{", "[]", '{"rows": "x"}', '{"rows": [1, 2]}',
                                    '{"rows": [{"name": 1, "value": "x"}]}']))  # fmt: skip
        def malformed(self, user: str, junk: str) -> None:
            owned = [d for d, o in world.datasets.items() if o == world.users[user][0]]
            if not owned:
                return
            path = f"/api/v1/datasets/{owned[0]}/versions"
            answer = self._call("post", path, user, content=junk,
                                headers={"Content-Type": "application/json"})  # fmt: skip
            assert answer.status_code == 422, answer.text

        @rule(user=st.sampled_from(users))
        def issue_key(self, user: str) -> None:
            answer = self._call("post", "/api/v1/keys", user)
            assert answer.status_code == 201, answer.text
            world.keys[answer.json()["prefix"]] = (user, True)

        @rule(user=st.sampled_from(users), pick=st.integers(0, 10**6),
              action=st.sampled_from(["rotate", "revoke"]),
              junk=st.sampled_from(INJECTIONS))  # fmt: skip
        def key_attack(self, user: str, pick: int, action: str, junk: str) -> None:
            """Rotate or revoke a known key (or a junk prefix): only its user or a member admin
            of its tenant may; anyone else gets the same 404 as for no key at all."""
            known = sorted(world.keys)
            prefix = known[pick % len(known)] if known and pick % 5 else quote(junk, safe="")
            answer = self._call("post", f"/api/v1/keys/{prefix}/{action}", user)
            owner, live = world.keys.get(prefix, ("", False))
            tenant, roles = world.users[user]
            may = bool(owner) and (owner == user or (
                world.users[owner][0] == tenant and Role.MEMBER_ADMIN in roles))  # fmt: skip
            if answer.status_code in (200, 201):
                if not may:
                    world.leaks.append(f"{action} by {user} of {owner}'s key {prefix}")
                if action == "rotate":
                    world.keys[answer.json()["prefix"]] = (owner, True)
                world.keys[prefix] = (owner, False)
            elif answer.status_code == 409:  # rotating a key already revoked: its owner's side
                if not may or live:
                    world.leaks.append(f"409 to {user} about {owner}'s key {prefix}")
            else:
                assert answer.status_code == 404, answer.text

        @rule(user=st.sampled_from(users))
        def list_keys(self, user: str) -> None:
            answer = self._call("get", "/api/v1/keys", user)
            assert answer.status_code == 200, answer.text
            tenant, roles = world.users[user]
            for key in answer.json():
                owner = world.keys.get(key["prefix"], ("?", False))[0]
                if (
                    owner == "?"
                    or world.users[owner][0] != tenant
                    or (Role.MEMBER_ADMIN not in roles and owner != user)
                ):
                    world.leaks.append(f"{user} listed {owner}'s key {key['prefix']}")

        @rule(user=st.sampled_from(users), aim=AIM, write=st.booleans())
        def budget(self, user: str, aim: tuple[int, int, str, str], write: bool) -> None:
            dataset = self._dataset(aim)
            path = f"/api/v1/datasets/{dataset}/budget"
            answer = (self._call("put", path, user, json={"epsilon": 2.0}) if write
                      else self._call("get", path, user))  # fmt: skip
            tenant, roles = world.users[user]
            allowed = {Role.MEMBER_ADMIN} if write else {Role.MEMBER_ADMIN, Role.AUDITOR}
            may = world.datasets.get(dataset) == tenant and bool(roles & allowed)
            if answer.status_code == 200:
                if not may:
                    world.leaks.append(f"budget of {dataset} to {user} (write={write})")
            else:
                assert answer.status_code == 404, answer.text
                if may:
                    world.leaks.append(f"refused {user} the budget of its own {dataset}")

        @rule(user=st.one_of(st.sampled_from(users), st.none()), aim=AIM)
        def runs(self, user: str | None, aim: tuple[int, int, str, str]) -> None:
            """No run exists here: every id, known dataset ids included, is not found; only an
            operator may start one."""
            answer = self._call("get", f"/api/v1/runs/{self._dataset(aim)}", user)
            assert answer.status_code in ((401, 404) if user is None else (404,)), answer.text
            if user is not None and Role.CLUSTER_OPERATOR not in world.users[user][1]:
                started = self._call("post", "/api/v1/runs", user,
                                     json={"engine": "energy", "cluster": "harbour"})  # fmt: skip
                assert started.status_code == 404, started.text

        @rule(user=st.sampled_from(users), group=st.sampled_from(["refiners", "port"]),
              tenant=st.sampled_from(TENANTS), join=st.booleans())  # fmt: skip
        def group(self, user: str, group: str, tenant: str, join: bool) -> None:
            path = f"/api/v1/groups/{group}/members/{tenant}"
            answer = self._call("put" if join else "delete", path, user)
            operator = Role.CLUSTER_OPERATOR in world.users[user][1]
            own = operator and world.users[user][0] == tenant  # separation of duties: 403
            may = operator and not own
            if answer.status_code == 200:
                if not may:
                    world.leaks.append(f"group change by {user}")
                members = world.groups.setdefault(group, set())
                (members.add if join else members.discard)(tenant)
                if not join:  # leaving: no grant to the group reaches it any more
                    for grant, (_, to, *_rest) in world.group_grants.items():
                        if to == group:
                            world.reach[grant].discard(tenant)
            elif answer.status_code == 403:
                assert own, answer.text
                assert "own tenant" in answer.json()["detail"], answer.text
            else:
                assert answer.status_code == 404, answer.text
                if may:
                    world.leaks.append(f"refused {user} a group change of {tenant}")
            listed = self._call("get", "/api/v1/groups", user).json()
            assert listed == {g: sorted(t) for g, t in sorted(world.groups.items()) if t}

        # --- issue 15 item 1: differencing exact aggregates across queries ---------------------
        # The three tenants' "agg-meter" datasets live apart from the datasets above (the other
        # moves neither aim at them nor change their grants): the model below knows every
        # version's rows, and from everything the service told a tenant it solves for each
        # other tenant's figures (a version's total, one day of it) as an attacker would.
        def _meters(self) -> None:
            for tenant in TENANTS:
                if tenant in world.meters:
                    continue
                admin = f"{tenant}-{Role.MEMBER_ADMIN.value}"
                made = self._call("post", "/api/v1/datasets", admin, json={
                    "name": "agg-meter", "kind": "table",
                    "columns": {"time": "time", "asset": "text", "value": "number"}})  # fmt: skip
                assert made.status_code == 201, made.text
                world.meters[tenant] = made.json()["id"]
                world.versions[tenant] = []
                self._upload(tenant, 7 + TENANTS.index(tenant))
                granted = self._call("post", "/api/v1/grants", admin, json={
                    "dataset": world.meters[tenant], "grantee_kind": "cluster",
                    "grantee": "cluster", "purpose": PURPOSES[0],
                    "form": "aggregate-only"})  # fmt: skip
                assert granted.status_code == 201, granted.text

        def _upload(self, tenant: str, seed: int) -> None:
            rng = np.random.default_rng(seed)
            rows: list[dict[str, object]] = [
                {"time": f"2026-01-0{int(rng.integers(1, 4))}T10:00",
                 "asset": str(rng.choice(["x", "y", "z"])), "value": float(rng.integers(1, 50))}
                for _ in range(int(rng.integers(1, 5)))
            ]  # fmt: skip
            admin = f"{tenant}-{Role.MEMBER_ADMIN.value}"
            answer = self._call("post", f"/api/v1/datasets/{world.meters[tenant]}/versions",
                                admin, json={"rows": rows})  # fmt: skip
            assert answer.status_code == 201, answer.text
            world.versions[tenant].append(rows)

        @rule(user=st.sampled_from(users), seed=st.integers(0, 10**6),
              move=st.sampled_from(["upload", "total", "day", "asset", "asset-day",
                                    "month"]))  # fmt: skip
        def aggregate_differencing(self, user: str, seed: int, move: str) -> None:
            """Overlapping exact aggregates (the total, by day, by asset, by both, by month),
            and new versions between them: no other tenant's figure may follow from all that
            the asking tenant was told, by subtraction or by solving the system."""
            self._meters()
            tenant = world.users[user][0]
            if move == "upload":
                self._upload(tenant, seed)
                return
            params = {"total": {}, "day": {"period": "day"}, "asset": {"by": "asset"},
                      "asset-day": {"by": "asset", "period": "day"},
                      "month": {"period": "month"}}[move]  # fmt: skip
            query = {"name": "agg-meter", "value": "value", "purpose": PURPOSES[0], **params}
            answer = self._call("get", "/api/v1/aggregates", user, params=query)
            assert answer.status_code == 200, answer.text
            atoms = {(t, len(v) - 1, i): r for t, v in world.versions.items()
                     for i, r in enumerate(v[-1])}  # fmt: skip

            def key(row: dict[str, object]) -> list[str]:
                day = str(row["time"])[:10]
                return {
                    "total": [],
                    "day": [day],
                    "asset": [str(row["asset"])],
                    "asset-day": [str(row["asset"]), day],
                    "month": [day[:7]],
                }[move]

            cells = answer.json()
            told = world.told.setdefault(tenant, [])
            hidden: set[tuple[str, int, int]] = set()
            for index, cell in enumerate(cells):
                last = index == len(cells) - 1
                rows = frozenset(a for a, r in atoms.items() if last or key(r) == cell["group"])
                if cell["suppressed"]:
                    hidden |= rows
                    continue
                truth = sum(float(atoms[a]["value"]) for a in rows)  # type: ignore[arg-type]
                assert cell["value"] == pytest.approx(truth), (cell, move)  # the model is right
                told.append((rows, float(cell["value"])))
            # the direct attack: a released total minus the released cells is the hidden rest
            owners = {a[0] for a in hidden} - {tenant}
            if cells and not cells[-1]["suppressed"] and len(cells) > 1 and len(owners) == 1:
                world.leaks.append(f"{tenant} subtracts to {owners.pop()}'s hidden cells ({move})")
            self._solve(tenant)

        def _solve(self, tenant: str) -> None:
            """Every other tenant's version totals and single days, against the row space of
            all cells told to ``tenant`` (its own rows known to it): determined means leaked."""
            told = world.told.get(tenant, [])
            columns = sorted({a for rows, _ in told for a in rows if a[0] != tenant})
            if not told or not columns:
                return
            where = {a: j for j, a in enumerate(columns)}
            matrix = np.zeros((len(told), len(columns)))
            for i, (rows, _) in enumerate(told):
                matrix[i, [where[a] for a in rows if a in where]] = 1.0
            figures, names = [], []
            for other, versions in world.versions.items():
                for v, rows in enumerate(versions):
                    days = {str(r["time"])[:10] for r in rows}
                    for part in [None, *sorted(days)]:
                        members = [(other, v, i) for i, r in enumerate(rows)
                                   if part in (None, str(r["time"])[:10])]  # fmt: skip
                        if other == tenant or any(a not in where for a in members):
                            continue  # a row in no cell told leaves the figure open
                        figure = np.zeros(len(columns))
                        figure[[where[a] for a in members]] = 1.0
                        figures.append(figure)
                        names.append(f"{other} v{v} {part or 'total'}")
            if not figures:
                return
            _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
            basis = vt[singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))]
            stack = np.array(figures)
            residual = np.linalg.norm(stack - (stack @ basis.T) @ basis, axis=1)
            for name, left in zip(names, residual, strict=True):
                if left < 1e-6:
                    world.leaks.append(f"{tenant} solves for {name}")

        # --- issue 15 item 2: grants to groups name their members; joining needs consent ------
        def _group_granted(self, dataset: str, tenant: str, purpose: str) -> bool:
            """A raw grant to a group the tenant is in now, naming the tenant (a member when it
            was granted or consented to by the owner since, and not left since)."""
            return any(
                g[0] == dataset and g[2] == purpose and g[3] == "raw" and not g[4]
                and tenant in world.groups.get(g[1], set()) and tenant in world.reach[grant]
                for grant, g in world.group_grants.items()
            )  # fmt: skip

        @rule(user=st.sampled_from(users), group=st.sampled_from(["refiners", "port", "none"]),
              purpose=st.sampled_from(PURPOSES), form=st.sampled_from(["raw", "aggregate-only"]),
              aim=AIM)  # fmt: skip
        def group_grant(
            self, user: str, group: str, purpose: str, form: str, aim: tuple[int, int, str, str]
        ) -> None:
            """A grant to a group reaches the group's members of that moment; a group without
            members is refused (422, the grantee named)."""
            dataset = self._dataset(aim)
            answer = self._call("post", "/api/v1/grants", user, json={
                "dataset": dataset, "grantee_kind": "group", "grantee": group,
                "purpose": purpose, "form": form})  # fmt: skip
            tenant, roles = world.users[user]
            may = world.datasets.get(dataset) == tenant and Role.MEMBER_ADMIN in roles
            members = set(world.groups.get(group, set()))
            if answer.status_code == 201:
                if not may or not members:
                    world.leaks.append(f"group grant by {user} on {dataset} to {group}")
                grant = answer.json()["id"]
                world.group_grants[grant] = (dataset, group, purpose, form, False)
                world.reach[grant] = members
            elif answer.status_code == 422:  # a junk id, or (the owner's) a group without members
                if answer.json()["detail"][0]["loc"] == ["body", "grantee"]:
                    if not may:
                        world.leaks.append(f"{user} learnt of {dataset} through a 422")
                    assert not members, answer.text
                else:
                    assert not may, answer.text
            else:
                assert answer.status_code == 404, answer.text
                if may and members:
                    world.leaks.append(f"refused {user} a grant of its own {dataset}")

        @rule(user=st.sampled_from(users), pick=st.integers(0, 10**6),
              tenant=st.sampled_from(TENANTS), revoke=st.booleans())  # fmt: skip
        def group_consent(self, user: str, pick: int, tenant: str, revoke: bool) -> None:
            """The owner's admin lets a group grant reach a tenant that joined later (or revokes
            the grant); anyone else gets 404, and a tenant outside the group 409."""
            if not world.group_grants:
                return
            grant = sorted(world.group_grants)[pick % len(world.group_grants)]
            dataset, group, purpose, form, revoked = world.group_grants[grant]
            owner, roles = world.users[user][0], world.users[user][1]
            may = world.datasets[dataset] == owner and Role.MEMBER_ADMIN in roles
            if revoke:
                answer = self._call("post", f"/api/v1/grants/{grant}/revoke", user)
                if answer.status_code == 200:
                    if not may:
                        world.leaks.append(f"revoke by {user} of {grant}")
                    world.group_grants[grant] = (dataset, group, purpose, form, True)
                else:
                    assert answer.status_code == 404, answer.text
                return
            answer = self._call("post", f"/api/v1/grants/{grant}/members/{tenant}", user)
            inside = tenant in world.groups.get(group, set())
            if answer.status_code == 200:
                if not may or revoked or not inside:
                    world.leaks.append(f"consent by {user} to {grant} reaching {tenant}")
                world.reach[grant].add(tenant)
                assert answer.json()["members"] == sorted(world.reach[grant])
            elif answer.status_code == 409:
                if not may or (inside and not revoked):
                    world.leaks.append(f"409 to {user} about {grant} reaching {tenant}")
            else:
                assert answer.status_code == 404, answer.text
                if may:
                    world.leaks.append(f"refused {user} consent on its own {grant}")

        @rule(user=st.sampled_from(admins))
        def group_grants_listed(self, user: str) -> None:
            """The owner sees whom each of its group grants reaches and who waits for consent."""
            tenant = world.users[user][0]
            answer = self._call("get", "/api/v1/grants", user)
            assert answer.status_code == 200, answer.text
            for listed in answer.json():
                if listed["grantee_kind"] != "group":
                    continue
                grant = listed["id"]
                if world.datasets[world.group_grants[grant][0]] != tenant:
                    world.leaks.append(f"{user} listed {grant}")
                group = world.group_grants[grant][1]
                assert listed["members"] == sorted(world.reach[grant])
                assert listed["pending"] == sorted(world.groups.get(group, set())
                                                   - world.reach[grant])  # fmt: skip

        @invariant()
        def nothing_leaked(self) -> None:
            assert world.leaks == []

        # --- issue 15 item 9: oversized and hostile bodies ---------------------------------
        @rule(user=st.one_of(st.sampled_from(users), st.none()),
              path=st.sampled_from(["/api/v1/datasets", "/api/v1/grants", "/api/v1/keys",
                                    "/api/v1/token"]),
              chunked=st.booleans())  # fmt: skip
        def oversized(self, user: str | None, path: str, chunked: bool) -> None:
            """Over 1 MiB to a route of the default limit, declared or streamed without a
            length: 413 before anything is read further, nothing created."""
            before = len(world.datasets)
            body = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'

            def chunks() -> Iterator[bytes]:
                yield from (body[i : i + 65536] for i in range(0, len(body), 65536))

            form = path == "/api/v1/token"  # a form route reads only a form
            kind = "application/x-www-form-urlencoded" if form else "application/json"
            answer = self._call("post", path, user, content=chunks() if chunked else body,
                                headers={"Content-Type": kind})  # fmt: skip
            assert answer.status_code == 413, answer.text
            assert "1 MiB" in answer.json()["detail"]
            assert len(world.datasets) == before

        @rule(user=st.sampled_from(users),
              document=st.sampled_from([
                  "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
                      f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n"
                      for i in range(6)),
                  "[" * 3000 + "]" * 3000, "a: &a [1, *a]\n", "{" * 70 + "}" * 70]))  # fmt: skip
        def hostile_cluster(self, user: str, document: str) -> None:
            """An alias bomb, deep nesting or a cycle as a run's cluster: an operator gets a
            422 naming the line, anyone else the same 404 as for any run."""
            answer = self._call("post", "/api/v1/runs", user,
                                json={"engine": "energy", "cluster": document})  # fmt: skip
            if Role.CLUSTER_OPERATOR in world.users[user][1]:
                assert answer.status_code == 422, answer.text
                assert "line" in answer.json()["detail"][0]["msg"]
            else:
                assert answer.status_code == 404, answer.text

        @rule(user=st.sampled_from(admins), junk=st.sampled_from(INJECTIONS),
              big=st.sampled_from([2**70, -(2**70), 2**31]))  # fmt: skip
        def no_echo(self, user: str, junk: str, big: int) -> None:
            """A rejected body is never echoed; an integer out of range is a 422 naming it."""
            marker = "ECHO-" + junk
            answer = self._call("post", "/api/v1/grants", user, json={
                "dataset": marker * 20, "grantee_kind": marker, "grantee": marker,
                "purpose": marker})  # fmt: skip
            assert answer.status_code == 422, answer.text
            assert "ECHO-" not in answer.text
            known = sorted(world.datasets)
            dataset = known[big % len(known)] if known else "none"
            read = self._call("get", f"/api/v1/datasets/{dataset}", user,
                              params={"purpose": PURPOSES[0], "version": big})  # fmt: skip
            assert read.status_code == 422, read.text
            assert read.json()["detail"][0]["loc"] == ["query", "version"]

        # --- issue 15 item 11: exports pass the same door as reads -------------------------
        @rule(user=st.sampled_from(users), purpose=st.sampled_from(PURPOSES),
              fmt=st.sampled_from(["csv", "xlsx"]), aim=AIM)  # fmt: skip
        def export(self, user: str, purpose: str, fmt: str, aim: tuple[int, int, str, str]) -> None:
            dataset = self._dataset(aim)
            answer = self._call("get", f"/api/v1/datasets/{dataset}/export", user,
                                params={"purpose": purpose, "format": fmt})  # fmt: skip
            tenant, roles = world.users[user]
            owner = world.datasets.get(dataset)
            granted = any(
                g[:4] == (dataset, tenant, purpose, "raw") and not g[4]
                for g in world.grants.values()
            ) or self._group_granted(dataset, tenant, purpose)  # as a read: group grants count
            if owner == tenant:
                may = bool(roles & {Role.MEMBER_ADMIN, Role.ANALYST})
            else:
                readers = {Role.MEMBER_ADMIN, Role.ANALYST, Role.CLUSTER_OPERATOR}
                may = owner is not None and granted and bool(roles & readers)
            if answer.status_code == 200:
                if not may:
                    world.leaks.append(f"export by {user} of {owner}'s {dataset} for {purpose}")
            else:
                assert answer.status_code == 404, answer.text
                if may:
                    world.leaks.append(f"refused a permitted export by {user} of {dataset}")

    return Attack


@pytest.mark.slow(seconds=300)
def test_no_request_crosses_a_tenant(world: World) -> None:
    machine = make_machine(world)
    machine.TestCase.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS_PER_EXAMPLE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a leak is reported unshrunk
    )
    machine.TestCase().runTest()
