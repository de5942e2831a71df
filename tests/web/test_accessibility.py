"""Every dashboard page audited by axe-core (the engine behind most accessibility checkers) in
headless Chromium, once drawn: no violation of WCAG 2.1 A or AA may be found, on any page in
``PAGES`` (a new page is audited without touching this file), for a member admin (who sees every
form) and on the sign-in page before anyone signs in. The full axe report of each page is written
next to the screenshots, so a reviewer can read what passed and what axe could not decide.

axe-core comes inside the ``axe-playwright-python`` package: nothing is fetched at run time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browsing import sign_in, violations

from clusterhub.web.routes import PAGES


def audit(page: Any, artifacts: Path, name: str) -> list[str]:
    """axe-core's violations on the page as drawn, its full report kept beside the screenshots."""
    return violations(page, report=artifacts / f"axe-{name}.json")


def test_the_sign_in_page_has_no_accessibility_violations(page: Any, artifacts: Path) -> None:
    page.goto("/web/sign-in")
    page.get_by_label("User name").wait_for()
    assert audit(page, artifacts, "sign-in") == []


@pytest.mark.parametrize("path", [p for p, (_, _, label) in PAGES.items() if label])
def test_every_page_has_no_accessibility_violations(page: Any, artifacts: Path, path: str) -> None:
    sign_in(page, "acme-admin", path)
    assert audit(page, artifacts, path.rsplit("/", 1)[-1]) == []
