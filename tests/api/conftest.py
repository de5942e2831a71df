"""Fixtures of the API tests: a service with six tenants in two sectors on each backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sectors import Service, running


@pytest.fixture
def service(migrated: str) -> Iterator[Service]:
    with running(migrated) as started:
        yield started
