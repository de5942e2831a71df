"""The one policy decision point: may this subject do this to this data, for this purpose, now?

Why one pure function: every read of a participant's data (API routes, the CLI, the engines'
data loaders) must be judged by the same rules, and the rules must be testable without a server
or a database. The owner's grants are the only way in for anyone else; a grant names the
dataset (and optionally its fields and time window), the grantee (a tenant, a named group or the
whole cluster), one purpose from a fixed vocabulary, the form (raw, or aggregates only), and an
expiry; revocation is a time stamp, so it takes effect on the very next request. A grant to a
group reaches only the tenants it names (``members``: the group's members when it was made, and
those its owner consented to since) that are still in the group: joining a group later reaches
nothing already granted until the owner consents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Action",
    "Decision",
    "Form",
    "Grant",
    "GranteeKind",
    "Purpose",
    "Resource",
    "Role",
    "Subject",
    "decide",
    "to_odrl",
]


class Purpose(StrEnum):
    ENERGY_OPTIMIZATION = "energy-optimization"
    BENEFIT_SHARING = "benefit-sharing"
    SYMBIOSIS_MATCHING = "symbiosis-matching"
    DECARBONIZATION_TRACKING = "decarbonization-tracking"
    INCIDENT_RESPONSE = "incident-response"
    DATA_MANAGEMENT = "data-management"  # an owner writing or granting its own data
    AUDIT = "audit"  # reading who used one's data


class Form(StrEnum):
    RAW = "raw"
    AGGREGATE = "aggregate-only"


class Action(StrEnum):
    READ = "read"  # raw values
    AGGREGATE = "aggregate"  # a safe aggregate over several owners
    WRITE = "write"  # a new version of one's own dataset
    GRANT = "grant"  # create, change or revoke a grant on one's own dataset
    AUDIT = "audit"  # read the audit trail of one's own data
    COMPUTE = "compute"  # feed an engine run whose results others see as the grant's form allows


class Role(StrEnum):
    MEMBER_ADMIN = "member-admin"
    ANALYST = "analyst"
    CLUSTER_OPERATOR = "cluster-operator"
    AUDITOR = "auditor"


class GranteeKind(StrEnum):
    TENANT = "tenant"
    GROUP = "group"
    CLUSTER = "cluster"


@dataclass(frozen=True)
class Subject:
    """Who asks: a user of a tenant with roles; ``tenant`` None is anonymous."""

    tenant: str | None
    user: str = ""
    roles: frozenset[Role] = frozenset()
    groups: frozenset[str] = frozenset()  # named groups the tenant belongs to


@dataclass(frozen=True)
class Resource:
    """What is asked for: a dataset of an owner, optionally some fields and a time window."""

    owner: str
    dataset: str
    fields: frozenset[str] | None = None  # None: every field
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Grant:
    id: str
    owner: str
    dataset: str
    grantee_kind: GranteeKind
    grantee: str  # tenant id, group name, or the cluster's id
    purpose: Purpose
    form: Form = Form.AGGREGATE
    fields: frozenset[str] | None = None
    start: datetime | None = None  # the data's time window the grant covers
    end: datetime | None = None
    expires: datetime | None = None
    revoked: datetime | None = None
    #: for a group grant, the tenants it reaches (the caller passes those it knows; None: none)
    members: frozenset[str] | None = None

    def active(self, now: datetime) -> bool:
        expired = self.expires is not None and now >= self.expires
        revoked = self.revoked is not None and now >= self.revoked
        return not (expired or revoked)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    form: Form | None = None  # what the subject may see when allowed
    grant: str | None = None  # the grant that allowed it

    def __bool__(self) -> bool:
        return self.allowed


_OWN: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset({Role.MEMBER_ADMIN, Role.ANALYST}),
    Action.AGGREGATE: frozenset({Role.MEMBER_ADMIN, Role.ANALYST}),
    Action.WRITE: frozenset({Role.MEMBER_ADMIN, Role.ANALYST}),
    Action.GRANT: frozenset({Role.MEMBER_ADMIN}),
    Action.AUDIT: frozenset({Role.MEMBER_ADMIN, Role.AUDITOR}),
    Action.COMPUTE: frozenset({Role.MEMBER_ADMIN, Role.ANALYST, Role.CLUSTER_OPERATOR}),
}


def decide(
    subject: Subject,
    action: Action,
    resource: Resource,
    purpose: Purpose | str | None,
    grants: Iterable[Grant],
    *,
    now: datetime,
    cluster: str = "cluster",
) -> Decision:
    """The decision, with its reason. Anonymous subjects and requests without a purpose are
    refused; an owner acts on its own data by role; anyone else only through an active grant of
    the owner for exactly this purpose, covering the fields and time window asked for, in the
    form asked for (a raw read needs a raw grant; an aggregate is allowed by either)."""
    if subject.tenant is None:
        return Decision(False, "not signed in")
    try:
        wanted = Purpose(purpose) if purpose is not None else None
    except ValueError:
        return Decision(False, f"unknown purpose {purpose!r}")
    if wanted is None:
        return Decision(False, "every request must state its purpose")
    if subject.tenant == resource.owner:
        if subject.roles & _OWN[action]:
            return Decision(True, "own data", Form.RAW)
        return Decision(False, f"{action.value} on own data needs one of the roles "
                        + ", ".join(sorted(r.value for r in _OWN[action])))  # fmt: skip
    if action not in (Action.READ, Action.AGGREGATE, Action.COMPUTE):
        return Decision(False, f"only the owner may {action.value}")
    if not subject.roles & {Role.MEMBER_ADMIN, Role.ANALYST, Role.CLUSTER_OPERATOR}:
        return Decision(False, "no role that reads shared data")
    reasons: list[str] = []
    for grant in grants:
        why = _refusal(
            grant,
            subject=subject,
            action=action,
            resource=resource,
            purpose=wanted,
            now=now,
            cluster=cluster,
        )
        if why is None:
            return Decision(True, f"grant {grant.id}", grant.form, grant.id)
        reasons.append(why)
    return Decision(
        False, "no grant allows it" + (f" ({'; '.join(reasons[:3])})" if reasons else "")
    )


def _refusal(
    grant: Grant,
    *,
    subject: Subject,
    action: Action,
    resource: Resource,
    purpose: Purpose,
    now: datetime,
    cluster: str,
) -> str | None:
    if grant.owner != resource.owner or grant.dataset != resource.dataset:
        return f"{grant.id}: another dataset"
    if grant.grantee_kind is GranteeKind.TENANT and grant.grantee != subject.tenant:
        return f"{grant.id}: granted to another tenant"
    if grant.grantee_kind is GranteeKind.GROUP and grant.grantee not in subject.groups:
        return f"{grant.id}: granted to a group the tenant is not in"
    if grant.grantee_kind is GranteeKind.GROUP and subject.tenant not in (grant.members or ()):
        return f"{grant.id}: the tenant joined {grant.grantee} after it, not consented by the owner"
    if grant.grantee_kind is GranteeKind.CLUSTER and grant.grantee != cluster:
        return f"{grant.id}: granted to another cluster"
    if grant.purpose is not purpose:
        return f"{grant.id}: granted for {grant.purpose.value}, not {purpose.value}"
    if not grant.active(now):
        return (
            f"{grant.id}: revoked"
            if grant.revoked and now >= grant.revoked
            else f"{grant.id}: expired"
        )
    if action is Action.READ and grant.form is Form.AGGREGATE:
        return f"{grant.id}: aggregates only"
    if grant.fields is not None:
        asked = resource.fields
        if asked is None or not asked <= grant.fields:
            return f"{grant.id}: fields outside the grant"
    if grant.start is not None and (resource.start is None or resource.start < grant.start):
        return f"{grant.id}: before the granted window"
    if grant.end is not None and (resource.end is None or resource.end > grant.end):
        return f"{grant.id}: after the granted window"
    return None


def to_odrl(grants: Iterable[Grant], *, uid: str = "urn:clusterhub:policy") -> dict[str, Any]:
    """The grants as an ODRL 2.2 policy set (one permission per grant)."""
    permissions = []
    for grant in grants:
        constraints: list[dict[str, Any]] = [
            {"leftOperand": "purpose", "operator": "eq", "rightOperand": grant.purpose.value}
        ]
        if grant.expires is not None:
            constraints.append(
                {"leftOperand": "dateTime", "operator": "lt",
                 "rightOperand": grant.expires.isoformat()}
            )  # fmt: skip
        permission: dict[str, Any] = {
            "uid": f"{uid}:{grant.id}",
            "target": f"urn:clusterhub:dataset:{grant.owner}:{grant.dataset}",
            "assigner": f"urn:clusterhub:tenant:{grant.owner}",
            "assignee": f"urn:clusterhub:{grant.grantee_kind.value}:{grant.grantee}",
            "action": "aggregate" if grant.form is Form.AGGREGATE else "use",
            "constraint": constraints,
        }
        if grant.revoked is not None:
            permission["revoked"] = grant.revoked.isoformat()
        permissions.append(permission)
    return {
        "@context": "http://www.w3.org/ns/odrl.jsonld",
        "@type": "Set",
        "uid": uid,
        "permission": permissions,
    }
