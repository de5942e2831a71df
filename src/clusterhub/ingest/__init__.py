"""Four ways in (file upload, e-mail, REST, MQTT) feeding one idempotent, lossless pipeline.

The channels authenticate the sender as a tenant identity and hand the message to
``pipeline.submit``, which judges, checks and writes it with its receipt and audit record.
"""

from clusterhub.ingest.pipeline import (
    CHANNELS,
    Message,
    Receipt,
    dead_letters,
    receipts,
    replay,
    submit,
    submit_many,
)

__all__ = [
    "CHANNELS",
    "Message",
    "Receipt",
    "dead_letters",
    "receipts",
    "replay",
    "submit",
    "submit_many",
]
