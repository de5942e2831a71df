"""Suite-wide settings: hypothesis profiles and an isolated clusterhub home per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Never let a test touch the user's real database or data folder."""
    home = tmp_path_factory.mktemp("clusterhub-home")
    previous = {k: os.environ.get(k) for k in ("CLUSTERHUB_HOME", "CLUSTERHUB_DATABASE_URL")}
    os.environ["CLUSTERHUB_HOME"] = str(home)
    os.environ.pop("CLUSTERHUB_DATABASE_URL", None)
    yield
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
