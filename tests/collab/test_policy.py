"""The policy decision point: owners by role, everyone else by an active grant for the purpose."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from clusterhub.collab import (
    Action,
    Form,
    Grant,
    GranteeKind,
    Purpose,
    Resource,
    Role,
    Subject,
    decide,
    to_odrl,
)

NOW = datetime(2026, 11, 23, 12, 0)
ENERGY = Purpose.ENERGY_OPTIMIZATION
ACME_METER = Resource("acme", "meter", frozenset({"mw"}), NOW - timedelta(days=7), NOW)
ANALYST = frozenset({Role.ANALYST})


def grant(**changes: object) -> Grant:
    base = {
        "id": "g1", "owner": "acme", "dataset": "meter", "grantee_kind": GranteeKind.TENANT,
        "grantee": "beta", "purpose": ENERGY, "form": Form.RAW,
    }  # fmt: skip
    base.update(changes)
    return Grant(**base)  # type: ignore[arg-type]


def test_owners_read_their_own_data_by_role() -> None:
    assert decide(Subject("acme", "ann", ANALYST), Action.READ, ACME_METER, ENERGY, [], now=NOW)
    auditor = Subject("acme", "aud", frozenset({Role.AUDITOR}))
    assert not decide(auditor, Action.READ, ACME_METER, ENERGY, [], now=NOW)
    assert decide(auditor, Action.AUDIT, ACME_METER, ENERGY, [], now=NOW)
    assert not decide(
        Subject("acme", "ann", ANALYST), Action.GRANT, ACME_METER, ENERGY, [], now=NOW
    )


def test_anonymous_and_purposeless_requests_are_refused() -> None:
    assert not decide(Subject(None), Action.READ, ACME_METER, ENERGY, [grant()], now=NOW)
    beta = Subject("beta", "bob", ANALYST)
    assert decide(beta, Action.READ, ACME_METER, None, [grant()], now=NOW).reason == (
        "every request must state its purpose"
    )
    assert not decide(beta, Action.READ, ACME_METER, "curiosity", [grant()], now=NOW)


def test_a_grant_opens_exactly_what_it_says() -> None:
    beta = Subject("beta", "bob", ANALYST)
    ok = decide(beta, Action.READ, ACME_METER, ENERGY, [grant()], now=NOW)
    assert ok
    assert ok.grant == "g1"
    # another purpose, another tenant, another dataset, writing: refused
    assert not decide(beta, Action.READ, ACME_METER, Purpose.BENEFIT_SHARING, [grant()], now=NOW)
    gamma = Subject("gamma", "gil", ANALYST)
    assert not decide(gamma, Action.READ, ACME_METER, ENERGY, [grant()], now=NOW)
    other = Resource("acme", "production")
    assert not decide(beta, Action.READ, other, ENERGY, [grant()], now=NOW)
    assert not decide(beta, Action.WRITE, ACME_METER, ENERGY, [grant()], now=NOW)


def test_aggregate_only_grants_refuse_raw_reads() -> None:
    beta = Subject("beta", "bob", ANALYST)
    aggregate = grant(form=Form.AGGREGATE)
    assert not decide(beta, Action.READ, ACME_METER, ENERGY, [aggregate], now=NOW)
    allowed = decide(beta, Action.AGGREGATE, ACME_METER, ENERGY, [aggregate], now=NOW)
    assert allowed.form is Form.AGGREGATE


def test_groups_the_cluster_fields_and_time_windows() -> None:
    beta = Subject("beta", "bob", ANALYST, frozenset({"steam-users"}))
    to_group = grant(
        grantee_kind=GranteeKind.GROUP, grantee="steam-users", members=frozenset({"beta"})
    )
    assert decide(beta, Action.READ, ACME_METER, ENERGY, [to_group], now=NOW)
    to_cluster = grant(grantee_kind=GranteeKind.CLUSTER, grantee="harbour")
    assert decide(beta, Action.READ, ACME_METER, ENERGY, [to_cluster], now=NOW, cluster="harbour")
    assert not decide(beta, Action.READ, ACME_METER, ENERGY, [to_cluster], now=NOW, cluster="x")
    narrow = grant(fields=frozenset({"mwh"}))
    assert not decide(beta, Action.READ, ACME_METER, ENERGY, [narrow], now=NOW)
    recent = grant(start=NOW - timedelta(days=1))
    assert not decide(beta, Action.READ, ACME_METER, ENERGY, [recent], now=NOW)


def test_a_group_grant_reaches_only_its_named_members_still_in_the_group() -> None:
    """Joining a group later reaches nothing granted to it before (issue 15 item 2): the grant
    names its members; leaving the group ends the reach even for a named member."""
    joined_later = Subject("gamma", "gil", ANALYST, frozenset({"steam-users"}))
    to_group = grant(
        grantee_kind=GranteeKind.GROUP, grantee="steam-users", members=frozenset({"beta"})
    )
    refused = decide(joined_later, Action.READ, ACME_METER, ENERGY, [to_group], now=NOW)
    assert not refused
    assert "not consented by the owner" in refused.reason
    unnamed = grant(grantee_kind=GranteeKind.GROUP, grantee="steam-users")
    assert not decide(joined_later, Action.READ, ACME_METER, ENERGY, [unnamed], now=NOW)
    left = Subject("beta", "bob", ANALYST)
    assert not decide(left, Action.READ, ACME_METER, ENERGY, [to_group], now=NOW)


def test_revocation_and_expiry_act_on_the_next_request() -> None:
    beta = Subject("beta", "bob", ANALYST)
    revoked = grant(revoked=NOW + timedelta(seconds=1))
    assert decide(beta, Action.READ, ACME_METER, ENERGY, [revoked], now=NOW)
    later = NOW + timedelta(seconds=1)
    refused = decide(beta, Action.READ, ACME_METER, ENERGY, [revoked], now=later)
    assert not refused
    assert "revoked" in refused.reason
    expiring = grant(expires=later)
    assert not decide(beta, Action.READ, ACME_METER, ENERGY, [expiring], now=later)


@given(
    tenant=st.sampled_from(["acme", "beta", "gamma", None]),
    roles=st.sets(st.sampled_from(list(Role))),
    action=st.sampled_from(list(Action)),
    purpose=st.sampled_from([*Purpose, None, "x"]),
)
def test_no_grant_means_only_the_owner(
    tenant: str | None, roles: set[Role], action: Action, purpose: object
) -> None:
    subject = Subject(tenant, "u", frozenset(roles))
    decision = decide(subject, action, ACME_METER, purpose, [], now=NOW)  # type: ignore[arg-type]
    if decision.allowed:
        assert tenant == "acme"


def test_grants_export_as_odrl() -> None:
    policy = to_odrl([grant(expires=NOW)])
    assert policy["@type"] == "Set"
    permission = policy["permission"][0]
    assert permission["assignee"] == "urn:clusterhub:tenant:beta"
    assert {"leftOperand": "purpose", "operator": "eq", "rightOperand": ENERGY.value} in (
        permission["constraint"]
    )
    assert permission["action"] == "use"
    assert json.loads(json.dumps(policy)) == policy  # plain JSON, as exported
