"""The MQTT channel on a real Mosquitto started with the configuration the project generates:
stored exactly once, a tenant confined to its own prefix by the broker and to its own datasets
by the policy point (and audited), and nothing lost across a broker restart and a consumer
killed mid-stream."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.ingest.mosquitto import SERVICE_USER, start_broker, write_broker_config
from clusterhub.ingest.mqtt import Subscriber, topic_for
from clusterhub.service.data import audit_trail, create_dataset
from clusterhub.service.identity import add_tenant, enter_tenant
from clusterhub.storage import make_engine
from clusterhub.storage.rows import DatasetVersionRow, IngestKeyRow, ReceiptRow

pytestmark = pytest.mark.slow  # a real broker per test, restarts, a killed consumer

HOST = "127.0.0.1"
COLUMNS = {"time": "time", "mw": "number"}


# --- a broker of our own -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def mosquitto_installed() -> None:
    """Install Debian's package when the binary is missing, as the setup scripts do. Every
    xdist worker may get here at once: apt-get waits for the other's dpkg lock (up to five
    minutes) instead of failing on it, and then finds the package installed."""
    if shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists():
        return
    apt = shutil.which("apt-get")
    if apt is not None:
        install = [apt, "-o", "DPkg::Lock::Timeout=300", "install", "-y", "mosquitto"]
        subprocess.run(install, check=False, capture_output=True)
    if not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()):
        pytest.skip("mosquitto is not installed and `apt-get install -y mosquitto` failed")


@dataclass
class Hub:
    url: str
    engine: sa.Engine
    directory: Path
    port: int
    credentials: dict[str, str]
    broker: subprocess.Popen[bytes]

    def restart_broker(self) -> None:
        """A clean restart (SIGTERM saves the persistence database), then up again."""
        self.broker.terminate()
        self.broker.wait(timeout=10)
        self.broker = start_broker(self.directory / "mosquitto.conf", self.port)

    def receipts(self) -> list[ReceiptRow]:
        with Session(self.engine) as s:
            return list(s.scalars(sa.select(ReceiptRow).order_by(ReceiptRow.received_at)))

    def count(self, row: type[DatasetVersionRow] | type[IngestKeyRow]) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(row)) or 0)

    def publisher(self, tenant: str, password: str | None = None) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{tenant}-meter")
        client.username_pw_set(tenant, self.credentials[tenant] if password is None else password)
        client.max_inflight_messages_set(200)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(1, 2)
        client.connect(HOST, self.port)
        client.loop_start()
        # publishing before the broker's CONNACK answers "not connected": wait for it
        _until(client.is_connected, f"{tenant} connected")
        return client


@pytest.fixture
def hub(
    migrated: str, tmp_path: Path, mosquitto_installed: None, free_port: Callable[[], int]
) -> Iterator[Hub]:
    engine = make_engine(migrated)
    with Session(engine) as s, s.begin():
        for tenant in ("acme", "beta"):
            add_tenant(s, tenant, tenant.title())
    for tenant in ("acme", "beta"):
        admin = Subject(tenant, f"{tenant}-admin", frozenset({Role.MEMBER_ADMIN}))
        with Session(engine) as s, s.begin():
            enter_tenant(s, admin)
            create_dataset(s, admin, "meter", "timeseries", COLUMNS)
    port = free_port()
    with Session(engine) as s:
        credentials = write_broker_config(s, tmp_path / "broker", port)
    broker = start_broker(tmp_path / "broker" / "mosquitto.conf", port)
    hub = Hub(migrated, engine, tmp_path / "broker", port, credentials, broker)
    yield hub
    hub.broker.terminate()
    hub.broker.wait(timeout=10)
    engine.dispose()


@pytest.fixture
def subscriber(hub: Hub) -> Iterator[Subscriber]:
    """The service's subscriber in a thread of this process, subscribed before it is used."""
    consumer = Subscriber(hub.engine, HOST, hub.port, password=hub.credentials[SERVICE_USER])
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    assert consumer.ready.wait(10), "the subscriber never subscribed"
    yield consumer
    stop.set()
    thread.join(10)


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Wait for the asynchronous side; a guard against hanging, not a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s} s for {what}")
        time.sleep(0.05)


def _payload(mw: float, key: str | None = None) -> bytes:
    document: dict[str, object] = {"rows": [{"time": "2026-11-23T00:00:00Z", "mw": mw}]}
    if key is not None:
        document["id"] = key
    return json.dumps(document).encode()


def _publish(client: mqtt.Client, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
    return client.publish(topic, payload, qos=1)


# --- exactly once ------------------------------------------------------------------------------
def test_a_message_is_stored_once_however_often_it_arrives(
    hub: Hub, subscriber: Subscriber
) -> None:
    acme = hub.publisher("acme")
    topic = topic_for("acme", "acme", "meter")
    _publish(acme, topic, _payload(4.2, key="reading-1")).wait_for_publish(10)
    _until(lambda: len(hub.receipts()) == 1, "the first receipt")
    [first] = hub.receipts()
    assert (first.status, first.tenant_id, first.target, first.channel) == (
        "accepted", "acme", "acme", "mqtt"
    )  # fmt: skip
    assert first.idempotency_key == "reading-1"
    assert hub.count(DatasetVersionRow) == 1  # acme's meter, version 1

    for _ in range(2):  # the same message again: redelivered or re-sent, it is the same reading
        _publish(acme, topic, _payload(4.2, key="reading-1")).wait_for_publish(10)
    for _ in range(3):  # no "id": the payload's hash is the key
        _publish(acme, topic, _payload(3.9)).wait_for_publish(10)
    _until(lambda: len(hub.receipts()) == 6, "six receipts")
    statuses = Counter(r.status for r in hub.receipts())
    assert statuses == {"accepted": 2, "duplicate": 4}
    assert hub.count(DatasetVersionRow) == 2
    acme.disconnect()


# --- tenants confined ----------------------------------------------------------------------------
def test_a_tenant_writes_only_its_own_datasets(hub: Hub, subscriber: Subscriber) -> None:
    beta = hub.publisher("beta")
    # under acme's prefix: the broker's ACL drops it, so it never reaches the service
    beta.publish(topic_for("acme", "acme", "meter"), _payload(1.0), qos=1).wait_for_publish(10)
    # under its own prefix into acme's dataset: reaches the service, refused by the policy point
    beta.publish(topic_for("beta", "acme", "meter"), _payload(2.0), qos=1).wait_for_publish(10)
    _until(lambda: len(hub.receipts()) >= 1, "beta's receipt")
    [receipt] = hub.receipts()  # the first message never arrived, the second came after it
    assert (receipt.status, receipt.tenant_id, receipt.target) == ("rejected", "beta", "acme")
    assert hub.count(DatasetVersionRow) == 0

    acme_admin = Subject("acme", "acme-admin", frozenset({Role.MEMBER_ADMIN}))
    with Session(hub.engine) as s, s.begin():
        enter_tenant(s, acme_admin)
        trail = audit_trail(s, acme_admin)
    denied = [e for e in trail if e["tenant"] == "beta" and e["action"] == "write"]
    assert len(denied) == 1
    assert denied[0]["allowed"] is False
    assert denied[0]["user"] == "mqtt:beta"
    # a topic without a dataset is refused with a receipt too, into the sender's own tenant
    beta.publish("clusterhub/beta/beta", _payload(3.0), qos=1).wait_for_publish(10)
    _until(lambda: len(hub.receipts()) == 2, "the second receipt")
    last = next(r for r in hub.receipts() if r.id != receipt.id)
    assert (last.status, last.tenant_id, last.target, last.dataset) == (
        "rejected",
        "beta",
        "beta",
        "",
    )
    beta.disconnect()

    # and a wrong password never gets in
    answers: list[ReasonCode] = []
    intruder = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="intruder")
    intruder.username_pw_set("beta", "not-the-password")
    intruder.on_connect = lambda _c, _u, _f, reason, _p: answers.append(reason)
    intruder.connect(HOST, hub.port)
    intruder.loop_start()
    _until(lambda: bool(answers), "the broker's answer")
    intruder.loop_stop()
    assert answers[0].is_failure


# --- nothing lost --------------------------------------------------------------------------------
SUBSCRIBER_PROCESS = (
    "import os, sys\n"
    "from clusterhub.ingest.mqtt import run_subscriber\n"
    "run_subscriber(sys.argv[1], sys.argv[2], int(sys.argv[3]),"
    " password=os.environ['CLUSTERHUB_MQTT_PASSWORD'])\n"
)


def _service_process(hub: Hub) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CLUSTERHUB_MQTT_PASSWORD": hub.credentials[SERVICE_USER]}
    return subprocess.Popen(
        [sys.executable, "-c", SUBSCRIBER_PROCESS, hub.url, HOST, str(hub.port)], env=env
    )


def test_nothing_is_lost_across_a_broker_restart_and_a_consumer_crash(hub: Hub) -> None:
    sent = 2000
    bad = {i for i in range(sent) if i % 50 == 7}  # rejected: "mw" is no number
    resent = {i for i in range(sent) if i % 100 == 3}  # published twice on purpose
    topic = topic_for("acme", "acme", "meter")

    def message(i: int) -> bytes:
        row = {"time": "2026-11-23T00:00:00Z", "mw": "lots" if i in bad else float(i)}
        return json.dumps({"id": f"m{i}", "rows": [row]}).encode()

    # the service has run before: its persistent session exists, so the broker keeps its messages
    stop = threading.Event()
    first_run = Subscriber(hub.engine, HOST, hub.port, password=hub.credentials[SERVICE_USER])
    thread = threading.Thread(target=first_run.run, args=(stop,), daemon=True)
    thread.start()
    assert first_run.ready.wait(10)
    stop.set()
    thread.join(10)

    consumer = _service_process(hub)
    acme = hub.publisher("acme")
    infos: list[mqtt.MQTTMessageInfo] = []
    published = 0
    try:
        for i in range(sent):
            infos.append(acme.publish(topic, message(i), qos=1))
            published += 1
            if i in resent:
                infos.append(acme.publish(topic, message(i), qos=1))
                published += 1
            if i == 600:  # the consumer dies mid-stream: whatever it had not acked comes again
                # the consumer is a new Python process: on cores shared with other test
                # workers its imports alone may take most of the default 30 s
                _until(lambda: len(hub.receipts()) > 100, "the consumer at work", timeout_s=120)
                consumer.send_signal(signal.SIGKILL)
                consumer.wait(10)
            if i == 1200:  # the broker restarts with the consumer away: its queue must survive
                hub.restart_broker()
                # the meter reconnects before it sends on (what it sent meanwhile it resends)
                time.sleep(0.5)
                _until(acme.is_connected, "the meter back on the broker", timeout_s=30)
            if i == 1500:
                consumer = _service_process(hub)
        # acknowledged by the broker: a message published while the meter was reconnecting
        # reports "not connected" but is queued and sent after the reconnect
        _until(lambda: all(info.is_published() for info in infos), "every PUBACK", timeout_s=60)

        good = set(range(sent)) - bad

        def accounted() -> bool:
            keys = {r.idempotency_key for r in hub.receipts() if r.status != "duplicate"}
            return len(keys) == sent

        _until(accounted, "every message's receipt", timeout_s=60)
        time.sleep(1.0)  # let any last redelivery arrive before counting
    finally:
        acme.disconnect()
        acme.loop_stop()
        consumer.terminate()
        consumer.wait(10)

    receipts = hub.receipts()
    accepted = Counter(r.idempotency_key for r in receipts if r.status == "accepted")
    rejected = {r.idempotency_key for r in receipts if r.status == "rejected"}
    duplicates = [r.idempotency_key for r in receipts if r.status == "duplicate"]
    # every good message stored exactly once, every bad one rejected, nothing else
    assert set(accepted) == {f"m{i}" for i in good}
    assert set(accepted.values()) == {1}
    assert rejected == {f"m{i}" for i in bad}
    assert set(duplicates) <= set(accepted)
    assert hub.count(DatasetVersionRow) == hub.count(IngestKeyRow) == len(good)
    with Session(hub.engine) as s:
        stored = [
            json.loads(v)["rows"][0]["mw"] for v in s.scalars(sa.select(DatasetVersionRow.rows))
        ]
    assert sorted(stored) == sorted(float(i) for i in good)
    # the accounting: what was published is stored, rejected or dropped as a duplicate; the
    # broker's at-least-once redeliveries (after the crash) only add duplicates
    redelivered = len(receipts) - published
    assert redelivered >= 0
    assert published == len(accepted) + len(rejected) + len(resent)  # 0 lost
    assert len(duplicates) >= len(resent - bad)
    print(
        f"published {published}: accepted {len(accepted)}, rejected {len(rejected)}, "
        f"duplicates {len(duplicates)} ({len(resent)} re-sent, {redelivered} redelivered), lost 0"
    )


def test_a_crash_between_commit_and_ack_gives_a_duplicate_not_a_second_record(hub: Hub) -> None:
    """The one window at-least-once delivery leaves: stored, not yet acknowledged."""

    def crash(_deliveries: object, _receipts: object) -> None:
        raise KeyboardInterrupt  # the process dies right after the commit

    password = hub.credentials[SERVICE_USER]
    doomed = Subscriber(hub.engine, HOST, hub.port, password=password, on_commit=crash)
    died = threading.Event()

    def run_until_crash() -> None:
        try:
            doomed.run()
        except KeyboardInterrupt:
            died.set()

    threading.Thread(target=run_until_crash, daemon=True).start()
    assert doomed.ready.wait(10)
    acme = hub.publisher("acme")
    acme.publish(topic_for("acme", "acme", "meter"), _payload(5.0, key="once"), qos=1)
    assert died.wait(30), "the subscriber never committed"
    acme.disconnect()
    assert [r.status for r in hub.receipts()] == ["accepted"]

    survivor = Subscriber(hub.engine, HOST, hub.port, password=password)
    stop = threading.Event()
    thread = threading.Thread(target=survivor.run, args=(stop,), daemon=True)
    thread.start()
    _until(lambda: len(hub.receipts()) == 2, "the redelivery")
    stop.set()
    thread.join(10)
    assert sorted(r.status for r in hub.receipts()) == ["accepted", "duplicate"]
    assert hub.count(DatasetVersionRow) == 1
