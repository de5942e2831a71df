"""Publishing rows to the MQTT channel as a tenant, on MQTT v5, so that a refusal is seen.

Why v5: Mosquitto drops a publish its ACL refuses (another tenant's prefix) in both protocol
versions, but tells only a v5 client: its PUBACK carries reason code 135, "not authorized". A
v3.1.1 client gets a plain PUBACK, so its refused message vanishes without a trace. The broker
does not tell the tenant whose prefix was aimed at either (it logs denied publishes only at
``log_type debug``), and the refused message never reaches the service, so no receipt or audit
record can exist for it: the sender's reason code is the only trace there is.

``publish`` is what ``clusterhub ingest publish`` runs, and the reference for a publisher's own
client: MQTT v5, QoS 1, and a PUBACK reason code checked on every message.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

__all__ = ["Published", "publish"]


@dataclass(frozen=True)
class Published:
    """The broker's answer to one QoS 1 publish: its PUBACK reason code."""

    topic: str
    code: int  # 0 success, 16 no subscriber (the service is away; kept for its session),
    reason: str  # >= 128 refused: 135 not authorized (the ACL), 151 quota exceeded, ...

    @property
    def refused(self) -> bool:
        return self.code >= 128


def publish(
    topic: str,
    payload: bytes,
    *,
    host: str,
    port: int,
    user: str,
    password: str,
    timeout_s: float = 30.0,
) -> Published:
    """Publish ``payload`` to ``topic`` with QoS 1 as ``user`` and return the broker's verdict.
    Raises ConnectionError when the broker refuses the login or does not answer in time."""
    answered = threading.Event()
    connected: list[ReasonCode] = []
    acks: list[ReasonCode] = []

    def on_connect(_c: mqtt.Client, _u: object, _f: object, code: ReasonCode, _p: object) -> None:
        connected.append(code)
        answered.set()

    def on_publish(_c: mqtt.Client, _u: object, _m: int, code: ReasonCode, _p: object) -> None:
        acks.append(code)
        answered.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    client.on_connect, client.on_publish = on_connect, on_publish
    client.connect(host, port)
    client.loop_start()
    try:
        if not answered.wait(timeout_s) or connected[0].is_failure:
            why = str(connected[0]) if connected else "no answer"
            raise ConnectionError(f"MQTT broker {host}:{port}: expected a login as {user}, "
                                  f"got {why}")  # fmt: skip
        answered.clear()
        client.publish(topic, payload, qos=1)
        if not answered.wait(timeout_s):
            raise ConnectionError(f"MQTT broker {host}:{port}: no PUBACK for {topic}")
        return Published(topic, acks[0].value, str(acks[0]))
    finally:
        client.disconnect()
        client.loop_stop()
