"""An acknowledged MQTT message survives the broker being killed (SIGKILL: no shutdown save),
on a real Mosquitto with the configuration the project generates, a real paho publisher and the
service's Subscriber: every message whose PUBACK the publisher received is committed once.

Why it holds (Mosquitto 2.0): on a QoS 1 PUBLISH the broker first hands the message to every
subscribed session (writing it to a connected subscriber's socket when its in-flight window has
room) and only then sends the PUBACK; and with ``autosave_on_changes true`` /
``autosave_interval 1`` it writes its database at the end of the same loop iteration. So a
message acknowledged while the service is connected is already on its way to the service, and
one acknowledged while the service is away is on disk before the broker reads the next packet.
What remains (said in the README): a kill between a PUBACK and the end of that loop iteration's
save loses that iteration's messages if the service was away (or its window full)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from clusterhub.cli.main import app
from clusterhub.collab import Role, Subject
from clusterhub.ingest.mosquitto import SERVICE_USER, start_broker, write_broker_config
from clusterhub.ingest.mqtt import Subscriber, topic_for
from clusterhub.ingest.publish import publish
from clusterhub.service.data import create_dataset
from clusterhub.service.identity import add_tenant, enter_tenant
from clusterhub.storage import make_engine
from clusterhub.storage.rows import DatasetVersionRow, ReceiptRow

HOST = "127.0.0.1"
TOPIC = topic_for("acme", "acme", "meter")

pytestmark = pytest.mark.skipif(
    not (shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()),
    reason="needs the mosquitto broker installed",
)


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Wait for the asynchronous side; a guard against hanging, not a timing assertion."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout_s} s for {what}")
        time.sleep(0.05)


@dataclass
class Broker:
    engine: sa.Engine
    directory: Path
    port: int
    credentials: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start_broker(self.directory / "mosquitto.conf", self.port)

    def kill(self) -> None:
        """SIGKILL: the broker gets no chance to save anything, as on a crash or power loss."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def receipts(self) -> list[ReceiptRow]:
        with Session(self.engine) as s:
            return list(s.scalars(sa.select(ReceiptRow)))

    def versions(self) -> int:
        with Session(self.engine) as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(DatasetVersionRow)) or 0)


@pytest.fixture
def broker(migrated: str, tmp_path: Path, free_port: Callable[[], int]) -> Iterator[Broker]:
    engine = make_engine(migrated)
    admin = Subject("acme", "acme-admin", frozenset({Role.MEMBER_ADMIN}))
    with Session(engine) as s, s.begin():
        add_tenant(s, "acme", "Acme")
    with Session(engine) as s, s.begin():
        enter_tenant(s, admin)
        create_dataset(s, admin, "meter", "timeseries", {"time": "time", "mw": "number"})
    port = free_port()
    with Session(engine) as s:
        credentials = write_broker_config(s, tmp_path / "broker", port)
    hub = Broker(engine, tmp_path / "broker", port, credentials)
    hub.start()
    yield hub
    hub.terminate()
    engine.dispose()


@dataclass
class Meter:
    """A tenant's publisher on MQTT v5 that remembers which messages the broker acknowledged."""

    client: mqtt.Client
    keys: dict[int, str] = field(default_factory=dict)  # mid -> the message's id
    acked_mids: set[int] = field(default_factory=set)  # paho's thread adds; no lock of ours

    def publish(self, key: str, mw: float) -> mqtt.MQTTMessageInfo:
        payload = json.dumps({"id": key, "rows": [{"time": "2026-11-23T00:00:00Z", "mw": mw}]})
        info = self.client.publish(TOPIC, payload, qos=1)
        self.keys[info.mid] = key  # mids are not reused below 65,535 messages
        return info

    def done(self, infos: list[mqtt.MQTTMessageInfo]) -> bool:
        """All acknowledged (one published while the broker was away is sent on reconnect)."""
        return all(info.mid in self.acked_mids for info in infos)

    @property
    def acked(self) -> set[str]:
        return {self.keys[mid] for mid in set(self.acked_mids)}

    def on_publish(self, _c: Any, _u: Any, mid: int, reason: Any, _p: Any) -> None:
        if not reason.is_failure:  # 0 success, or 16 "no matching subscribers": acknowledged
            self.acked_mids.add(mid)


def _meter(hub: Broker) -> Meter:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="acme-meter",
                         protocol=mqtt.MQTTv5)  # fmt: skip
    client.username_pw_set("acme", hub.credentials["acme"])
    client.max_inflight_messages_set(20)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(1, 2)
    meter = Meter(client)
    client.on_publish = meter.on_publish
    client.connect(HOST, hub.port)
    client.loop_start()
    _until(client.is_connected, "the meter connected")
    return meter


def _service(hub: Broker) -> tuple[Subscriber, threading.Event, threading.Thread]:
    consumer = Subscriber(hub.engine, HOST, hub.port, password=hub.credentials[SERVICE_USER])
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    assert consumer.ready.wait(10), "the subscriber never subscribed"
    return consumer, stop, thread


def _committed_once(hub: Broker, acked: set[str]) -> None:
    """Every acknowledged message has exactly one accepted receipt and one version."""

    def arrived() -> bool:
        return acked <= {r.idempotency_key for r in hub.receipts() if r.status == "accepted"}

    _until(arrived, f"all {len(acked)} acknowledged messages committed")
    accepted = Counter(r.idempotency_key for r in hub.receipts() if r.status == "accepted")
    assert acked <= set(accepted)
    assert set(accepted.values()) == {1}
    assert hub.versions() == len(accepted)


def test_messages_acknowledged_while_the_service_is_away_survive_a_kill(broker: Broker) -> None:
    # the service has run before: its persistent session is on the broker's disk
    _, stop, thread = _service(broker)
    stop.set()
    thread.join(10)
    broker.terminate()  # a clean stop saves the session
    broker.start()
    meter = _meter(broker)
    infos = [meter.publish(f"away-{i}", float(i)) for i in range(300)]
    _until(lambda: meter.done(infos), "every PUBACK")
    acked = set(meter.acked)
    assert len(acked) == 300
    # the broker reads the next packet only after saving: one more acknowledgement marks it
    meter.publish("marker", -1.0).wait_for_publish(30)
    meter.client.disconnect()
    meter.client.loop_stop()
    broker.kill()
    broker.start()
    _, stop, thread = _service(broker)
    try:
        _committed_once(broker, acked)
    finally:
        stop.set()
        thread.join(10)


def test_every_acknowledged_message_is_committed_once_across_kills_mid_stream(
    broker: Broker,
) -> None:
    _, stop, thread = _service(broker)
    meter = _meter(broker)
    infos = []
    try:
        for i in range(1500):
            infos.append(meter.publish(f"m{i}", float(i)))
            if i % 20 == 19:  # a meter's pace: the service keeps up, its window never fills
                _until(lambda: meter.done(infos[-20:]), "the meter's acks")
            if i in {500, 1000}:
                broker.kill()  # mid-stream: messages in flight both ways
                broker.start()
        # what the meter had in flight at a kill it sends again once reconnected
        _until(lambda: meter.done(infos), "every PUBACK", timeout_s=90)
        assert len(meter.acked) == 1500
        _committed_once(broker, set(meter.acked))
    finally:
        meter.client.disconnect()
        meter.client.loop_stop()
        stop.set()
        thread.join(10)


# --- refusals made visible ---------------------------------------------------------------------
def test_a_publish_the_acl_refuses_is_answered_with_reason_code_135(
    broker: Broker, tmp_path: Path
) -> None:
    """On MQTT v5 the sender learns that the broker dropped its message; the project's own
    publisher (``clusterhub ingest publish``) says so and exits 1."""
    broker.terminate()  # a second tenant: the configuration is generated from the database
    with Session(broker.engine) as s, s.begin():
        add_tenant(s, "beta", "Beta")
    with Session(broker.engine) as s:
        broker.credentials = write_broker_config(s, broker.directory, broker.port)
    broker.start()
    document = tmp_path / "rows.json"
    document.write_text(json.dumps({"rows": [{"time": "2026-11-23T00:00:00Z", "mw": 1.0}]}))
    secret = tmp_path / "beta.password"
    secret.write_text(broker.credentials["beta"])
    own, other = topic_for("beta", "beta", "meter"), topic_for("acme", "acme", "meter")
    login = {"host": HOST, "port": broker.port, "user": "beta", "password": secret.read_text()}
    assert publish(own, document.read_bytes(), **login).code in {0, 16}  # type: ignore[arg-type]
    refused = publish(other, document.read_bytes(), **login)  # type: ignore[arg-type]
    assert (refused.code, refused.refused) == (135, True)
    assert "Not authorized" in refused.reason
    options = ["--tenant", "beta", "--password-file", str(secret), "--port", str(broker.port)]
    result = CliRunner().invoke(app, ["ingest", "publish", str(document), "--dataset", "meter",
                                      "--target", "beta", *options])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "acknowledged" in result.output
