"""The data service's use cases: identity, datasets, grants, reads and the audit trail.

Each function works in the caller's transaction (one request, one transaction), judges the
request with ``clusterhub.collab.decide`` and records the decision in the audit chain.
"""
