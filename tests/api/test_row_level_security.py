"""PostgreSQL row-level security really is on: forced on tenant tables, a service role that
cannot bypass it, the tenant set per transaction, and nothing visible without a tenant."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.service import data, identity
from clusterhub.storage import make_engine, upgrade

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"


@pytest.fixture
def url(postgres_url: str) -> str:
    engine = make_engine(postgres_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    upgrade(postgres_url)
    return postgres_url


def who(tenant: str) -> Subject:
    return Subject(tenant, f"{tenant}-admin", frozenset({Role.MEMBER_ADMIN}))


def test_tenant_tables_force_rls_and_the_role_cannot_bypass_it(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as c:
        flags = dict(
            c.execute(
                sa.text(
                    "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                    "WHERE relname IN "
                    "('datasets', 'dataset_versions', 'dataset_records', 'grants', "
                    "'grant_members', 'runs', 'run_results', 'aggregate_releases')"
                )
            ).all()
        )
        role = c.execute(
            sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
            {"r": identity.SERVICE_ROLE},
        ).one()
        owners = {
            r[0]
            for r in c.execute(
                sa.text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
            )
        }
        audit_rls = c.execute(
            sa.text("SELECT relrowsecurity FROM pg_class WHERE relname = 'audit_entries'")
        ).scalar()
    engine.dispose()
    assert flags == dict.fromkeys(
        ("datasets", "dataset_versions", "dataset_records", "grants", "grant_members", "runs",
         "run_results", "aggregate_releases"), True,
    )  # fmt: skip
    assert tuple(role) == (False, False)
    assert identity.SERVICE_ROLE not in owners
    assert audit_rls is True


def test_the_tenant_setting_never_outlives_its_transaction(url: str) -> None:
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)  # one connection, reused
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta"):
            identity.add_tenant(s, tenant, tenant.title())
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, who("acme"))
        acme_set = data.create_dataset(s, who("acme"), "meter", "table", {"mw": "number"})
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, who("beta"))
        data.create_dataset(s, who("beta"), "meter", "table", {"mw": "number"})

    def visible(tenant: str | None) -> list[str]:
        with Session(engine) as s, s.begin():
            if tenant is None:  # the service role, but no tenant set
                s.execute(sa.text(f"SET LOCAL ROLE {identity.SERVICE_ROLE}"))
            else:
                identity.enter_tenant(s, who(tenant))
            return list(s.scalars(sa.text("SELECT tenant_id FROM datasets")))

    assert visible("acme") == ["acme"]
    assert visible(None) == []  # the same pooled connection: acme's setting is gone
    assert visible("beta") == ["beta"]
    # a grant opens the dataset to beta in the database too, and only that one
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, who("acme"))
        data.create_grant(s, who("acme"), acme_set, grantee_kind="tenant", grantee="beta",
                          purpose="energy-optimization", form="raw")  # fmt: skip
    assert sorted(visible("beta")) == ["acme", "beta"]
    with Session(engine) as s, s.begin():  # beta cannot change acme's rows: none are visible
        identity.enter_tenant(s, who("beta"))
        changed = s.execute(sa.text("UPDATE datasets SET name = 'x' WHERE tenant_id = 'acme'"))
        assert changed.rowcount == 0  # type: ignore[attr-defined]
    insert = sa.text(
        "INSERT INTO dataset_versions (dataset_id, tenant_id, version, rows, sha256, "
        "created_by, created_at) VALUES (:d, 'acme', 9, '{}', 'x', 'b', now())"
    )
    with Session(engine) as s, s.begin():  # nor add a version in acme's name
        identity.enter_tenant(s, who("beta"))
        with pytest.raises(sa.exc.ProgrammingError):
            s.execute(insert, {"d": acme_set})
    engine.dispose()


def test_privacy_spends_and_api_keys_are_isolated_too(url: str) -> None:
    """Spends are forced like the tenant tables (a grantee appends them, nobody changes them);
    keys are checked for every tenant-bound session (signing in with one happens before)."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta", "gamma"):
            identity.add_tenant(s, tenant, tenant.title())
            identity.add_user(s, tenant, f"{tenant}-admin", PASSWORD, (Role.MEMBER_ADMIN,))
        key = identity.issue_key(s, "acme-admin")
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, who("acme"))
        dataset = data.create_dataset(s, who("acme"), "meter", "table", {"mw": "number"})
        data.create_grant(s, who("acme"), dataset, grantee_kind="tenant", grantee="beta",
                          purpose="energy-optimization")  # fmt: skip
    spend = sa.text(
        "INSERT INTO privacy_spends (dataset_id, tenant_id, epsilon, spent_by, created_at) "
        "VALUES (:d, 'acme', 0.1, :by, now())"
    )
    with Session(engine) as s, s.begin():  # beta holds a grant: it may append a spend
        identity.enter_tenant(s, who("beta"))
        s.execute(spend, {"d": dataset, "by": "beta"})
    with Session(engine) as s, s.begin():  # gamma holds none: refused by the database
        identity.enter_tenant(s, who("gamma"))
        with pytest.raises(sa.exc.ProgrammingError):
            s.execute(spend, {"d": dataset, "by": "gamma"})

    def seen(tenant: str, table: str) -> int:
        with Session(engine) as s, s.begin():
            identity.enter_tenant(s, who(tenant))
            return int(s.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)

    assert (seen("acme", "privacy_spends"), seen("beta", "privacy_spends")) == (1, 1)
    assert seen("gamma", "privacy_spends") == 0
    assert (seen("acme", "api_keys"), seen("beta", "api_keys")) == (1, 0)
    with Session(engine) as s, s.begin():  # nobody changes a spend, not even the owner
        identity.enter_tenant(s, who("acme"))
        with pytest.raises(sa.exc.ProgrammingError):
            s.execute(sa.text("UPDATE privacy_spends SET epsilon = 0"))
    with Session(engine) as s:  # signing in with a key still works (before any tenant is set)
        assert identity.subject_from_key(s, identity.Identity("x" * 32), key).tenant == "acme"
    engine.dispose()


def test_a_probe_of_a_hidden_dataset_is_audited_under_its_owner(url: str) -> None:
    """Row-level security hides acme's dataset from beta; beta's read and its attempt to revoke
    acme's grant are still recorded with acme as owner, so acme sees the probes."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta", "gamma"):
            identity.add_tenant(s, tenant, tenant.title())
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, who("acme"))
        dataset = data.create_dataset(s, who("acme"), "meter", "timeseries", {"mw": "number"})
        grant = data.create_grant(
            s, who("acme"), dataset, grantee_kind="tenant", grantee="gamma",
            purpose="energy-optimization",
        )  # fmt: skip
    for attempt in (
        lambda s: data.read_dataset(s, who("beta"), dataset, "energy-optimization"),
        lambda s: data.revoke_grant(s, who("beta"), grant),
    ):
        with Session(engine) as s, s.begin():
            identity.enter_tenant(s, who("beta"))
            with pytest.raises(data.NotFound):
                attempt(s)
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, who("acme"))
        trail = data.audit_trail(s, who("acme"))
    engine.dispose()
    probes = [(e["tenant"], e["action"], e["dataset"], e["allowed"]) for e in trail
              if e["tenant"] == "beta"]  # fmt: skip
    assert probes == [("beta", "read", dataset, False), ("beta", "grant", dataset, False)]


def test_a_group_grant_shows_rows_only_to_the_members_it_names(url: str) -> None:
    """In the database too, a tenant in the group but not named by the grant (it joined later,
    without the owner's consent) sees none of the dataset: not its row, its versions, nor the
    records of an append dataset; the named member sees all three (issue 15 item 2)."""
    engine = make_engine(url)
    acme = who("acme")
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta", "gamma"):
            identity.add_tenant(s, tenant, tenant.title())
    with Session(engine) as s, s.begin():
        identity.enter_tenant(s, acme)
        dataset = data.create_dataset(s, acme, "meter", "timeseries",
                                      {"time": "time", "mw": "number"}, mode="append")  # fmt: skip
        data.add_version(s, acme, dataset, [{"time": "2026-01-01T00:00", "mw": 1.0}])
    with engine.begin() as c:  # the grant as created when only beta was in the group
        c.execute(sa.text(
            "INSERT INTO grants (id, tenant_id, dataset_id, grantee_kind, grantee, purpose, form, "
            "created_at) VALUES ('g1', 'acme', :d, 'group', 'port', 'energy-optimization', "
            "'raw', now())"), {"d": dataset})  # fmt: skip
        c.execute(sa.text(
            "INSERT INTO grant_members (grant_id, member, tenant_id, added_at, reason) "
            "VALUES ('g1', 'beta', 'acme', now(), 'member of port when granted')"))  # fmt: skip

    def seen(tenant: str) -> tuple[int, int, int]:
        subject = Subject(tenant, f"{tenant}-admin", frozenset({Role.MEMBER_ADMIN}),
                          frozenset({"port"}))  # fmt: skip
        with Session(engine) as s, s.begin():
            identity.enter_tenant(s, subject)
            return tuple(  # type: ignore[return-value]
                int(s.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE tenant_id = 'acme'")))
                for table in ("datasets", "dataset_versions", "dataset_records")
            )

    assert seen("beta") == (1, 1, 1)
    assert seen("gamma") == (0, 0, 0)
    engine.dispose()
