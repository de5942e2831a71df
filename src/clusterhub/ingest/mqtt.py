"""The MQTT channel: a subscriber on the project's Mosquitto broker feeding the one pipeline.

Topics read ``clusterhub/<sender tenant>/<target tenant>/<dataset name>``; the broker's ACL lets
a tenant publish only under its own prefix, so the first level is the authenticated sender. The
payload is the pipeline's JSON, ``{"id": "<optional idempotency key>", "rows": [...]}``.

Why nothing is lost: the subscription is QoS 1 on a persistent session (``clean_session`` off,
a stable client id), and a message is acknowledged only after the transaction that processed it
has committed. A crash before the commit leaves the message unacknowledged, so the broker sends
it again; a crash between the commit and the acknowledgement sends again one already stored,
which the pipeline's idempotency key turns into a ``duplicate`` receipt that stores nothing.

Why batches: one commit per message caps throughput at the disk's flush rate; messages are
gathered for a few milliseconds (up to ``batch_size``) and processed in one transaction per
sender (on PostgreSQL the tenant is set per transaction for row-level security), then all acked.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import sqlalchemy as sa
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.ingest.mosquitto import PREFIX, SERVICE_USER, write_broker_config
from clusterhub.ingest.pipeline import Message, Receipt, submit_many
from clusterhub.service.identity import enter_tenant
from clusterhub.storage import make_engine
from clusterhub.storage.rows import TenantRow

__all__ = [
    "CLIENT_ID",
    "Delivery",
    "Subscriber",
    "run_subscriber",
    "topic_for",
    "write_broker_config",
]

log = logging.getLogger(__name__)

CLIENT_ID = "clusterhub-ingest"  # stable: the broker keeps this session's messages while away
MEDIA_TYPE = "application/json"
ATTEMPTS = 3  # a batch whose transaction fails this often stops the subscriber (nothing acked)


def topic_for(sender: str, target: str, dataset: str) -> str:
    """Where ``sender`` publishes rows for ``target``'s dataset named ``dataset``."""
    return f"{PREFIX}/{sender}/{target}/{dataset}"


@dataclass(frozen=True)
class Delivery:
    """One message as the broker delivered it, with what is needed to acknowledge it."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    connection: int  # which connection it came on: an ack is only valid on that one


def _key_of(payload: bytes) -> str | None:
    """The sender's idempotency key (``"id"``), if the payload is an object that has one."""
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    key = document.get("id") if isinstance(document, dict) else None
    return str(key) if isinstance(key, str | int) and not isinstance(key, bool) else None


def _message(delivery: Delivery) -> tuple[str, Message] | None:
    """The sender and the pipeline message of a delivery; None without a sender. A topic
    missing its target or dataset still makes a message (into the sender's own tenant) that
    the pipeline rejects with a receipt and a dead letter, so the sender's accounting holds."""
    levels = delivery.topic.split("/", 3)
    if len(levels) < 2 or levels[0] != PREFIX or not levels[1]:
        return None
    sender = levels[1]
    target = levels[2] if len(levels) > 2 and levels[2] else sender
    message = Message(
        channel="mqtt", target=target, dataset=levels[3] if len(levels) > 3 else "",
        payload=delivery.payload, media_type=MEDIA_TYPE, sender=f"mqtt:{sender}",
        idempotency_key=_key_of(delivery.payload),
    )  # fmt: skip
    return sender, message


def _subject(tenant: str) -> Subject:
    """The identity the broker authenticated: the tenant, as its MQTT user, writing data."""
    return Subject(tenant, f"mqtt:{tenant}", frozenset({Role.ANALYST}))


class Subscriber:
    """Consumes ``clusterhub/#`` into the database until ``stop`` is set.

    ``on_commit`` (for instrumentation, e.g. end-to-end latency) is called after each commit
    with the deliveries and the receipts that transaction made, before they are acknowledged.
    """

    def __init__(
        self,
        engine: sa.Engine,
        host: str,
        port: int,
        username: str = SERVICE_USER,
        password: str = "",
        *,
        client_id: str = CLIENT_ID,
        batch_size: int = 500,
        batch_wait_s: float = 0.01,
        on_commit: Callable[[Sequence[Delivery], Sequence[Receipt]], None] | None = None,
    ) -> None:
        self.engine = engine
        self.host, self.port = host, port
        self.batch_size, self.batch_wait_s = batch_size, batch_wait_s
        self.on_commit = on_commit
        self.ready = threading.Event()  # connected and subscribed
        self._inbox: queue.Queue[Delivery] = queue.Queue()
        self._connection = 0
        self._tenants: set[str] = set()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            protocol=mqtt.MQTTv311,
        )
        self.client.username_pw_set(username, password)
        self.client.manual_ack_set(True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # --- the network thread: only hands deliveries over ------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s:%s refused the connection: %s", self.host, self.port, reason)
            return
        self._connection += 1
        client.subscribe(f"{PREFIX}/#", qos=1)

    def _on_subscribe(self, _c: mqtt.Client, _u: Any, _m: int, _r: Any, _p: Any) -> None:
        self.ready.set()

    def _on_disconnect(self, _c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.ready.clear()
        if reason.is_failure:  # not our own disconnect: paho's loop reconnects
            log.warning("MQTT broker %s:%s gone (%s); reconnecting", self.host, self.port, reason)

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        delivery = Delivery(msg.topic, bytes(msg.payload), msg.mid, msg.qos, self._connection)
        self._inbox.put(delivery)

    # --- the worker: batch, commit, then acknowledge ----------------------------------------
    def _batch(self) -> list[Delivery]:
        try:
            batch = [self._inbox.get(timeout=0.1)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_size:
            try:
                batch.append(self._inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return batch

    def _ack(self, deliveries: Sequence[Delivery]) -> None:
        """Acknowledge on the connection they came on only; after a reconnect the broker sends
        them again (and the pipeline finds them duplicates)."""
        for delivery in deliveries:
            if delivery.qos and delivery.connection == self._connection:
                self.client.ack(delivery.mid, delivery.qos)

    def _known(self, tenant: str) -> bool:
        if tenant not in self._tenants:  # a tenant added since: look again
            with Session(self.engine) as session:
                self._tenants = set(session.scalars(sa.select(TenantRow.id)))
        return tenant in self._tenants

    def process(self, batch: Sequence[Delivery]) -> list[Receipt]:
        """Process ``batch`` in one transaction per sender, acknowledging each after its commit.

        A delivery whose topic names no sender tenant (one deleted since the broker's
        configuration was written) has no tenant to keep a receipt for: it is logged and
        acknowledged."""
        by_sender: dict[str, list[tuple[Delivery, Message]]] = {}
        unusable = []
        for delivery in batch:
            parsed = _message(delivery)
            if parsed is None or not self._known(parsed[0]):
                unusable.append(delivery)
                log.warning("MQTT topic %r: expected clusterhub/<tenant>/... from a known "
                            "tenant; dropped", delivery.topic)  # fmt: skip
                continue
            by_sender.setdefault(parsed[0], []).append((delivery, parsed[1]))
        self._ack(unusable)
        made: list[Receipt] = []
        for sender, items in by_sender.items():
            receipts = self._commit(_subject(sender), items)
            if self.on_commit is not None:
                self.on_commit([d for d, _ in items], receipts)
            self._ack([d for d, _ in items])
            made += receipts
        return made

    def _commit(self, subject: Subject, items: Sequence[tuple[Delivery, Message]]) -> list[Receipt]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with Session(self.engine) as session, session.begin():
                    enter_tenant(session, subject)
                    now = datetime.now(UTC)
                    return submit_many(session, subject, [m for _, m in items], now=now)
            except sa.exc.SQLAlchemyError:
                if attempt == ATTEMPTS:
                    raise  # nothing acked: the broker keeps them for the next run
                log.exception("MQTT batch of %s: transaction failed, retrying", subject.tenant)
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def run(self, stop: threading.Event | None = None) -> None:
        """Connect (and keep reconnecting) and consume until ``stop`` is set. Deliveries still
        waiting when it stops are not acknowledged: the broker keeps them for the next run."""
        stop = stop or threading.Event()
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.is_set():
                if batch := self._batch():
                    self.process(batch)
        finally:
            self.client.disconnect()
            self.client.loop_stop()


def run_subscriber(
    url: str,
    host: str,
    port: int,
    username: str = SERVICE_USER,
    password: str = "",
    *,
    stop_event: threading.Event | None = None,
) -> None:
    """Consume the broker at ``host:port`` into the database at ``url`` until ``stop_event``
    is set (forever without one). Raises if the database keeps failing: the messages not yet
    committed stay with the broker for the next run."""
    engine = make_engine(url)
    try:
        Subscriber(engine, host, port, username, password).run(stop_event)
    finally:
        engine.dispose()
