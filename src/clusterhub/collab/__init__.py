"""Trusted data collaboration, the pure part: policy decisions, disclosure control, audit chain.

No I/O here: the service layer stores grants and audit entries and calls these functions.
"""

from clusterhub.collab.audit import Entry, Head, Verification, append, verify
from clusterhub.collab.policy import (
    Action,
    Decision,
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

__all__ = [
    "Action",
    "Decision",
    "Entry",
    "Form",
    "Grant",
    "GranteeKind",
    "Head",
    "Purpose",
    "Resource",
    "Role",
    "Subject",
    "Verification",
    "append",
    "decide",
    "to_odrl",
    "verify",
]
