"""Load + validate time of every bundled example, and the time to resolve all its profiles.

Run: ``.venv/bin/python benchmarks/model_load.py [--repeat N]``. Prints one row per example:
sizes, then the median of N runs of (a) build = parse/generate + validate, (b) reading the
exported cluster file back from disk (YAML parse, CSV read, validation), (c) resolving every
time series on the horizon (the summary's annual energies), caches cleared before each run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from clusterhub.examples import EXAMPLES
from clusterhub.model import profiles, read_cluster, summarize, write_cluster


def _median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        profiles._generated.cache_clear()
        profiles._demandlib_unit.cache_clear()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = (
        f"{'example':<12} {'partic.':>7} {'sites':>5} {'assets':>6} {'streams':>7} "
        f"{'exch.':>5} {'steps':>5} {'build s':>8} {'read s':>7} {'profiles s':>10}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for name, example in EXAMPLES.items():
            cluster = example.build()
            path = Path(tmp) / name / f"{name}.yaml"
            write_cluster(cluster, path)
            size = summarize(cluster, energy=False)
            build = _median_seconds(example.build, args.repeat)
            read = _median_seconds(lambda p=path: read_cluster(p), args.repeat)
            resolve = _median_seconds(lambda c=cluster: summarize(c), args.repeat)
            print(
                f"{name:<12} {size.participants:>7} {size.sites:>5} {size.assets:>6} "
                f"{size.streams:>7} {size.exchanges:>5} {cluster.horizon.periods:>5} "
                f"{build:>8.3f} {read:>7.3f} {resolve:>10.3f}"
            )


if __name__ == "__main__":
    main()
