"""The API's routes, one module per capability, each an ``APIRouter`` that ``create_app``
includes in the order of ``ROUTERS``; their dependencies are typed in ``api.deps``."""

from fastapi import APIRouter

from clusterhub.api.routes import (
    aggregates,
    audit,
    datasets,
    grants,
    groups,
    identity,
    ingest,
    runs,
    service,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    identity.router,
    datasets.router,
    grants.router,
    audit.router,
    aggregates.router,
    groups.router,
    runs.router,
    ingest.router,
    service.router,
)
