"""Throughput and end-to-end latency of the MQTT channel on a real Mosquitto, and of REST and
file uploads through the HTTP server.

Run: ``.venv/bin/python benchmarks/ingest.py [--messages 10000] [--rows 18] [--batch 500]``

A broker of its own (the configuration ``ingest.mosquitto`` generates: per-tenant credentials,
ACLs, persistence on) on a free local port; the subscriber (the service's, QoS 1, persistent
session, acknowledging after each commit) in this process on a fresh SQLite file database; a
publisher in another process sending ``--messages`` QoS 1 messages of about 1 KB (``--rows``
rows each) as fast as the broker takes them. Each message carries its send time; the
subscriber's commit hook notes when the transaction holding it committed.

Prints the messages per second from the first send to the last commit, and the p50 and p95
latency from a message's send to its row's commit.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.ingest import Receipt
from clusterhub.ingest.mosquitto import SERVICE_USER, start_broker, write_broker_config
from clusterhub.ingest.mqtt import Delivery, Subscriber, topic_for
from clusterhub.service.data import create_dataset
from clusterhub.service.identity import add_tenant, add_user, enter_tenant
from clusterhub.storage import make_engine, upgrade

HOST = "127.0.0.1"
PASSWORD = "a benchmark password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Run:
    name: str
    port: int
    password: str  # acme's, on the broker
    messages: int
    rows: int
    rate: float  # messages/s; 0: as fast as the broker takes them


def publish(run: Run) -> None:
    """The plant's historian: QoS 1 messages, each stamped with its send time."""
    port, password, messages, rows, rate = run.port, run.password, run.messages, run.rows, run.rate
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="acme-historian")
    client.username_pw_set("acme", password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(HOST, port)
    client.loop_start()
    topic = topic_for("acme", "acme", "meter")
    block = [{"time": f"2026-11-23T{h:02d}:00:00+00:00", "mw": 4.25 + h} for h in range(rows)]
    infos = []
    start = time.time()
    for i in range(messages):
        if rate and (wait := start + i / rate - time.time()) > 0:
            time.sleep(wait)
        body = {"id": f"{run.name}-{i}", "sent": time.time(), "rows": block}
        infos.append(client.publish(topic, json.dumps(body).encode(), qos=1))
    for info in infos:
        info.wait_for_publish(120)
    client.disconnect()
    client.loop_stop()


class Tally:
    """What the subscriber's commit hook saw: send and commit time of every message."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sent: list[float] = []
        self.committed: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.batches: list[int] = []

    def on_commit(self, deliveries: Sequence[Delivery], receipts: Sequence[Receipt]) -> None:
        now = time.time()
        self.batches.append(len(deliveries))
        for delivery, receipt in zip(deliveries, receipts, strict=True):
            self.statuses[receipt.status] += 1
            self.sent.append(json.loads(delivery.payload)["sent"])
            self.committed.append(now)


def measure(tally: Tally, run: Run) -> str:
    """Publish one run from another process, wait for every commit, and summarise it."""
    tally.reset()
    publisher = multiprocessing.get_context("spawn").Process(target=publish, args=(run,))
    publisher.start()
    publisher.join()
    while sum(tally.statuses.values()) < run.messages:
        time.sleep(0.01)
    latency_ms = (np.array(tally.committed) - np.array(tally.sent)) * 1000
    elapsed_s = max(tally.committed) - min(tally.sent)
    offered = f"{run.rate:,.0f}/s offered" if run.rate else "flat out"
    return (
        f"{run.name:<10} {offered:>15} {run.messages / elapsed_s:>12,.0f} "
        f"{np.percentile(latency_ms, 50):>10,.1f} {np.percentile(latency_ms, 95):>10,.1f} "
        f"{len(tally.batches):>6} {np.mean(tally.batches):>7.0f}  {dict(tally.statuses)}"
    )


def prepare(url: str, directory: Path, port: int) -> dict[str, str]:
    """A tenant with its ``meter`` dataset, and the broker's configuration for it."""
    upgrade(url)
    engine = make_engine(url)
    admin = Subject("acme", "acme-admin", frozenset({Role.MEMBER_ADMIN}))
    with Session(engine) as s, s.begin():
        add_tenant(s, "acme", "Acme")
        add_user(s, "acme", "acme-admin", PASSWORD, (Role.MEMBER_ADMIN,))
    with Session(engine) as s, s.begin():
        enter_tenant(s, admin)
        create_dataset(s, admin, "meter", "timeseries", {"time": "time", "mw": "number"})
    with Session(engine) as s:
        credentials = write_broker_config(s, directory, port)
    engine.dispose()
    return credentials


def _http(url: str, requests: int, files: int, file_rows: int, rows: int) -> list[str]:
    """REST and file upload through the real HTTP server (uvicorn on a free port): one client
    sending one request after another; a request's latency is its send to its answer, which
    comes after the commit."""
    import httpx
    import uvicorn

    from clusterhub.api import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(url, secret="a-benchmark-secret-of-32-bytes-long!"),
                       host=HOST, port=port, log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    lines = []
    try:
        with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=120) as client:
            token = client.post("/api/v1/token",
                                data={"username": "acme-admin", "password": PASSWORD})  # fmt: skip
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

            def timed(
                send: Callable[[int], httpx.Response], count: int
            ) -> tuple[float, np.ndarray]:
                latency = []
                started = time.perf_counter()
                for i in range(count):
                    before = time.perf_counter()
                    answer = send(i)
                    latency.append(time.perf_counter() - before)
                    assert answer.status_code == 201, answer.text
                return time.perf_counter() - started, np.array(latency) * 1000

            def rest(i: int) -> httpx.Response:
                block = [{"time": f"2026-11-24T{h:02d}:00:00+00:00", "mw": i + h / 100}
                         for h in range(rows)]  # fmt: skip
                return client.post("/api/v1/ingest/acme/meter", json={"rows": block},
                                   headers=headers)  # fmt: skip

            def upload(i: int) -> httpx.Response:
                text = "time,mw\n" + "".join(
                    f"2026-11-25T{h % 24:02d}:00:00+00:00,{i + h / 1000}\n"
                    for h in range(file_rows)
                )
                files = {"file": (f"meter-{i}.csv", text, "text/csv")}
                return client.post("/api/v1/ingest/acme/meter/file", headers=headers, files=files)

            for name, send, count, per in (("REST", rest, requests, rows),
                                           ("file", upload, files, file_rows)):  # fmt: skip
                elapsed, latency = timed(send, count)
                lines.append(
                    f"{name:<10} {count:>6} x {per:>6} rows {count / elapsed:>10,.1f}/s "
                    f"{count * per / elapsed:>12,.0f} rows/s {np.percentile(latency, 50):>9,.1f} "
                    f"{np.percentile(latency, 95):>9,.1f}"
                )
    finally:
        server.should_exit = True
        thread.join(10)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=18, help="rows per message (18: ~1 KB)")
    parser.add_argument("--batch", type=int, default=500, help="most messages per transaction")
    parser.add_argument("--rate", type=float, default=300, help="the paced run's messages/s")
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    parser.add_argument("--requests", type=int, default=1000, help="REST messages")
    parser.add_argument("--files", type=int, default=20, help="CSV files uploaded")
    parser.add_argument("--file-rows", type=int, default=10_000, help="rows per file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        port = free_port()
        credentials = prepare(url, Path(folder) / "broker", port)
        broker = start_broker(Path(folder) / "broker" / "mosquitto.conf", port)
        engine = make_engine(url)
        tally = Tally()
        subscriber = Subscriber(
            engine, HOST, port, password=credentials[SERVICE_USER],
            batch_size=args.batch, on_commit=tally.on_commit,
        )  # fmt: skip
        stop = threading.Event()
        thread = threading.Thread(target=subscriber.run, args=(stop,), daemon=True)
        thread.start()
        try:
            assert subscriber.ready.wait(10), "the subscriber never subscribed"
            size = len(json.dumps({"id": "flat-0000", "sent": time.time(), "rows": [
                {"time": "2026-11-23T00:00:00+00:00", "mw": 4.25 + h} for h in range(args.rows)
            ]}))  # fmt: skip
            print(f"MQTT ingestion on {engine.dialect.name}: QoS 1, messages of ~{size} B "
                  f"({args.rows} rows), Mosquitto with persistence, "
                  f"batches of <= {args.batch}")  # fmt: skip
            print(f"{'run':<10} {'publisher':>15} {'messages/s':>12} {'p50 ms':>10} "
                  f"{'p95 ms':>10} {'txns':>6} {'per txn':>7}  receipts")  # fmt: skip
            acme = credentials["acme"]
            print(measure(tally, Run("flat", port, acme, args.messages, args.rows, 0)))
            paced = min(args.messages, int(args.rate * 10))  # ten seconds of it
            print(measure(tally, Run("paced", port, acme, paced, args.rows, args.rate)))
        finally:
            stop.set()
            thread.join(10)
            broker.terminate()
            broker.wait(10)
            engine.dispose()
        print(f"\nREST and file upload on {engine.dialect.name} over HTTP (uvicorn), one client")
        print(f"{'channel':<10} {'messages':>22} {'requests':>12} {'rows':>17} {'p50 ms':>9} "
              f"{'p95 ms':>9}")  # fmt: skip
        for line in _http(url, args.requests, args.files, args.file_rows, args.rows):
            print(line)
    print("throughput: first send to last commit; latency: a message's send to its commit")


if __name__ == "__main__":
    main()
