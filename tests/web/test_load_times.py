"""Page load times of every dashboard page for the harbour and kwinana examples, measured in
the browser from navigation to the page marking itself drawn (``main[data-ready=true]``): the
first load of a cluster includes computing it on the server (optimisations, matching), the
second is what a user sees afterwards. Written to ``load-times-pages.tsv`` among the artefacts
for the release notes; the test asserts only that each page finishes, never a duration."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from browsing import sign_in

from clusterhub.web.routes import PAGES


def test_every_page_loads_for_harbour_and_kwinana(page: Any, artifacts: Path) -> None:
    sign_in(page, "acme-admin", "/web/data")
    lines = ["page\tcluster\tload\tready ms"]
    for path in [p for p, (_, _, label) in PAGES.items() if label]:
        for cluster in ("harbour", "kwinana"):
            for attempt in ("first", "again"):
                started = time.perf_counter()
                page.goto(f"{path}?cluster={cluster}")
                page.wait_for_selector("main[data-ready=true]", timeout=120_000)
                ms = (time.perf_counter() - started) * 1000
                lines.append(f"{path}\t{cluster}\t{attempt}\t{ms:.0f}")
    (artifacts / "load-times-pages.tsv").write_text("\n".join(lines) + "\n")
    assert len(lines) == 1 + 4 * len([p for p in PAGES.values() if p[2]])
