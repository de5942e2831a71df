"""Trusted data collaboration, the pure part: policy decisions, disclosure control, audit chain.

No I/O here: the service layer stores grants and audit entries and calls these functions.

This package is the engine's door: code outside it imports only the names below (an
import-linter contract keeps it so). Why the disclosure, period, signed-head and differencing
names load on first use: they pull pandas, numpy and cryptography, and the command line imports
this package (for ``Role``) before it prints its help; the policy, audit-chain and privacy
names are light and load at once.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from clusterhub.collab.audit import (
    GENESIS,
    Entry,
    Head,
    Verification,
    append,
    canonical,
    head_mac,
    mac,
    seal,
    verify,
)
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
from clusterhub.collab.privacy import DP_STATISTICS, Budget, Privacy

if TYPE_CHECKING:
    from clusterhub.collab.differencing import audit as audit_differencing
    from clusterhub.collab.disclosure import Cell, Rules, safe_table
    from clusterhub.collab.heads import (
        ALGORITHM,
        SignedHead,
        exported_hashes,
        key_id_of,
        parse_heads,
        sign_head,
    )
    from clusterhub.collab.period import bucket

__all__ = [
    "ALGORITHM",
    "DP_STATISTICS",
    "GENESIS",
    "Action",
    "Budget",
    "Cell",
    "Decision",
    "Entry",
    "Form",
    "Grant",
    "GranteeKind",
    "Head",
    "Privacy",
    "Purpose",
    "Resource",
    "Role",
    "Rules",
    "SignedHead",
    "Subject",
    "Verification",
    "append",
    "audit_differencing",
    "bucket",
    "canonical",
    "decide",
    "exported_hashes",
    "head_mac",
    "key_id_of",
    "mac",
    "parse_heads",
    "safe_table",
    "seal",
    "sign_head",
    "to_odrl",
    "verify",
]

#: Name -> "module" or "module:name there" (``audit_differencing``: the differencing check is
#: called ``audit`` in its module, which the audit-chain module's name already takes here).
_HOMES = {
    "ALGORITHM": "heads",
    "Cell": "disclosure",
    "Rules": "disclosure",
    "SignedHead": "heads",
    "audit_differencing": "differencing:audit",
    "bucket": "period",
    "exported_hashes": "heads",
    "key_id_of": "heads",
    "parse_heads": "heads",
    "safe_table": "disclosure",
    "sign_head": "heads",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, _, attribute = _HOMES[name].partition(":")
    value = getattr(import_module(f"{__name__}.{module}"), attribute or name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
