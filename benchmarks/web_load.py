"""Load time of every dashboard page in a real browser, for each cluster asked for.

Run: ``.venv/bin/python benchmarks/web_load.py [--clusters harbour kwinana] [--tsv PATH]``.
Needs Debian's Chromium (``sudo scripts/ensure-browser.sh``; another one with
``CLUSTERHUB_CHROMIUM``). Serves the dashboard as the browser tests do (``tests/web/browsing.py``:
uvicorn on a free port of 127.0.0.1, a fresh SQLite database), signs in as a member admin, then
opens every page of the navigation twice per cluster and times navigation to the page marking
itself drawn (``main[data-ready=true]``). The first load includes computing the cluster on the
server (optimisations, matching; in this process), the second is what a user sees afterwards.
Prints one row per page and cluster; ``--tsv`` also writes them tab-separated.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "web"))

from browsing import serving, sign_in  # the browser tests' own helpers
from playwright.sync_api import sync_playwright

from clusterhub.collab import Role
from clusterhub.web.routes import PAGES

CHROMIUM = os.environ.get("CLUSTERHUB_CHROMIUM", "/usr/bin/chromium")
USERS = {"acme": {"acme-admin": (Role.MEMBER_ADMIN,)}}


def _ready_ms(page: Any, url: str) -> float:
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("main[data-ready=true]", timeout=300_000)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clusters", nargs="+", default=["harbour", "kwinana"])
    parser.add_argument("--tsv", type=Path, help="also write the rows to this file")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM}: expected Chromium there; run `sudo scripts/ensure-browser.sh`")
    paths = [path for path, (_, _, label) in PAGES.items() if label]
    rows: list[tuple[str, str, float, float]] = []
    header = f"{'page':<16} {'cluster':<12} {'first ms':>9} {'again ms':>9}"
    print(header)
    print("-" * len(header))
    with serving(USERS) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 768})
        context.set_default_timeout(60_000)
        page = context.new_page()
        sign_in(page, "acme-admin", "/web/data")
        for path in paths:
            for cluster in args.clusters:
                first = _ready_ms(page, f"{path}?cluster={cluster}")
                again = _ready_ms(page, f"{path}?cluster={cluster}")
                rows.append((path, cluster, first, again))
                print(f"{path:<16} {cluster:<12} {first:>9.0f} {again:>9.0f}", flush=True)
        browser.close()
    if args.tsv is not None:
        lines = ["page\tcluster\tfirst ms\tagain ms"]
        lines += [f"{p}\t{c}\t{first:.0f}\t{again:.0f}" for p, c, first, again in rows]
        args.tsv.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
