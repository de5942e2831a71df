"""Latency of the data service and speed of the audit chain.

Run: ``.venv/bin/python benchmarks/service.py [--requests 500] [--entries 1000000]``

On a fresh SQLite database (in a temporary folder): 4 tenants sharing a ``meter`` dataset
(one month, one value each) by aggregate grants, one raw grant to the reader. Prints the p50
and p95 latency of a policy-checked raw read, of a safe aggregate, of one by sector and month
(sectors joined in, times bucketed) and of a differentially private one (OpenDP noise, a
budget charge and its audit entry per dataset), each through the whole HTTP stack (FastAPI
test client, one transaction, one decision and one audit entry per dataset and request), and
of an audited write (a new dataset version: its entry's hash and MAC, the head's MAC), then the
time to verify a keyed audit chain of ``--entries`` entries (hash, link and MAC of each).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from clusterhub.api import create_app
from clusterhub.collab import Head, Role, append, verify
from clusterhub.collab.audit import head_mac
from clusterhub.service import identity
from clusterhub.storage import make_engine, upgrade

PASSWORD = "benchmark password"
KEY = b"a benchmark audit key of 32 bytes"


def latencies(client: TestClient, path: str, params: dict[str, str], headers: dict[str, str],
              n: int) -> np.ndarray:  # fmt: skip
    times = []
    for _ in range(n):
        started = time.perf_counter()
        answer = client.get(path, params=params, headers=headers)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return np.array(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        tenants = ("acme", "beta", "gamma", "delta")
        with Session(engine) as s, s.begin():
            for t in tenants:
                sector = "energy" if t == "delta" else "chemicals"
                identity.add_tenant(s, t, t.title(), sector=sector)
                identity.add_user(s, t, f"{t}-admin", PASSWORD, (Role.MEMBER_ADMIN,))
        engine.dispose()
        with TestClient(create_app(url, secret="a-benchmark-signing-secret-32-bytes")) as client:
            headers = {}
            for t in tenants:
                form = {"username": f"{t}-admin", "password": PASSWORD}
                token = client.post("/api/v1/token", data=form)
                headers[t] = {"Authorization": f"Bearer {token.json()['access_token']}"}
            datasets = {}
            for i, t in enumerate(tenants):
                d = client.post("/api/v1/datasets", json={"name": "meter", "kind": "table",
                                "columns": {"time": "time", "mw": "number"}},
                                headers=headers[t]).json()["id"]  # fmt: skip
                client.post(f"/api/v1/datasets/{d}/versions",
                            json={"rows": [{"time": "2026-01-15T00:00", "mw": 10.0 + i}]},
                            headers=headers[t])  # fmt: skip
                client.post("/api/v1/grants", json={"dataset": d, "grantee_kind": "cluster",
                            "grantee": "cluster", "purpose": "decarbonization-tracking",
                            "form": "aggregate-only"}, headers=headers[t])  # fmt: skip
                client.put(f"/api/v1/datasets/{d}/budget", json={"epsilon": 100.0},
                           headers=headers[t])  # fmt: skip
                datasets[t] = d
            client.post("/api/v1/grants", json={"dataset": datasets["acme"],
                        "grantee_kind": "tenant", "grantee": "beta",
                        "purpose": "energy-optimization", "form": "raw"},
                        headers=headers["acme"])  # fmt: skip
            path = f"/api/v1/datasets/{datasets['acme']}"
            read = latencies(
                client, path, {"purpose": "energy-optimization"}, headers["beta"], args.requests
            )
            query = {"name": "meter", "value": "mw", "purpose": "decarbonization-tracking"}
            agg = latencies(client, "/api/v1/aggregates", query, headers["beta"], args.requests)
            by_sector = latencies(client, "/api/v1/aggregates",
                                  {**query, "by": "sector", "period": "month"},
                                  headers["beta"], args.requests)  # fmt: skip
            private = {"dp": "true", "epsilon": "0.01", "lower": "0", "upper": "50"}
            noisy = latencies(client, "/api/v1/aggregates", {**query, **private},
                              headers["beta"], args.requests)  # fmt: skip
            writes = []
            for i in range(args.requests):
                started = time.perf_counter()
                answer = client.post(f"/api/v1/datasets/{datasets['acme']}/versions",
                                     json={"rows": [{"time": "2026-01-16T00:00", "mw": i}]},
                                     headers=headers["acme"])  # fmt: skip
                writes.append(time.perf_counter() - started)
                assert answer.status_code == 201, answer.text
            write = np.array(writes) * 1000
    print(f"{'request':>34} {'p50 ms':>8} {'p95 ms':>8}")
    for label, times in (
        ("policy-checked raw read", read),
        ("safe aggregate (4 owners)", agg),
        ("by sector and month", by_sector),
        ("differentially private", noisy),
        ("audited write (new version)", write),
    ):
        p50, p95 = np.percentile(times, [50, 95])
        print(f"{label:>34} {p50:>8.2f} {p95:>8.2f}")
    chain = []
    last = None
    for i in range(args.entries):
        last = append(last, {"time": "2026-11-23T12:00:00", "tenant": "beta", "action": "read",
                             "owner": "acme", "dataset": "meter", "purpose": "energy-optimization",
                             "allowed": True, "i": i}, key=KEY, key_id="bench")  # fmt: skip
        chain.append(last)
    head = Head(len(chain), chain[-1].hash, head_mac(KEY, len(chain), chain[-1].hash), "bench")
    started = time.perf_counter()
    result = verify(chain, head, keys={"bench": KEY})
    seconds = time.perf_counter() - started
    print(f"audit chain: {result.checked:,} entries verified in {seconds:.2f} s ({result.reason})")


if __name__ == "__main__":
    main()
