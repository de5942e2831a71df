"""Append and upsert datasets fed one reading per message: cost of a write as the dataset grows,
of reading the newest version and an early one, and what is stored.

Run: ``.venv/bin/python benchmarks/streams.py [--messages 5000] [--batch 500]
[--database-url URL]``

For each mode (append; upsert by ``time`` and ``asset`` with every tenth message correcting an
earlier reading) ``--messages`` single-row messages go through the pipeline as the MQTT channel
sends them (``submit_many``, ``--batch`` messages per transaction), then the last ``--tail``
one by one (``submit``, one transaction each, as REST does). Prints the per-message time of the
first and the last batch (flat when a write costs the message, not the dataset), the one-by-one
time at the end, the time to read the newest version (all rows; through the decision point,
with its audit entry) and, of that, to materialise its rows, the same for version 10, and the
rows stored in ``dataset_records`` against the messages sent. ``replace`` (each version one
reading) is the baseline.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Role, Subject
from clusterhub.ingest import Message, submit, submit_many
from clusterhub.ingest.parse import JSON
from clusterhub.service.data import create_dataset, dataset_row, read_dataset
from clusterhub.service.identity import add_tenant, enter_tenant
from clusterhub.service.streams import content
from clusterhub.storage import make_engine, upgrade
from clusterhub.storage.rows import DatasetRecordRow

ADMIN = Subject("acme", "acme-admin", frozenset({Role.MEMBER_ADMIN}))
SENDER = Subject("acme", "mqtt:acme", frozenset({Role.ANALYST}))
COLUMNS = {"time": "time", "asset": "text", "mw": "number"}
START = datetime(2026, 1, 1, tzinfo=UTC)


def message(dataset: str, i: int, upsert: bool) -> Message:
    hour = i - 1 if upsert and i % 10 == 9 else i  # under upsert: a correction now and then
    moment = START + timedelta(hours=hour)
    row = {"time": moment.isoformat(), "asset": "meter-1", "mw": i / 7}
    return Message(channel="mqtt", target="acme", dataset=dataset, media_type=JSON,
                   payload=json.dumps({"rows": [row]}).encode(), sender="mqtt:acme",
                   idempotency_key=f"{dataset}-{i}")  # fmt: skip


def bench(engine: sa.Engine, mode: str, messages: int, batch: int, tail: int) -> list[str]:
    upsert = mode == "upsert"
    with Session(engine) as s, s.begin():
        enter_tenant(s, ADMIN)
        dataset = create_dataset(s, ADMIN, mode, "timeseries", COLUMNS, mode=mode,
                                 key=["time", "asset"] if upsert else None)  # fmt: skip
    per_batch = []
    for start in range(0, messages - tail, batch):
        chunk = [
            message(mode, i, upsert) for i in range(start, min(start + batch, messages - tail))
        ]
        began = time.perf_counter()
        with Session(engine) as s, s.begin():
            enter_tenant(s, SENDER)
            submit_many(s, SENDER, chunk, now=datetime.now(UTC))
        per_batch.append((time.perf_counter() - began) / len(chunk))
    began = time.perf_counter()
    for i in range(messages - tail, messages):
        with Session(engine) as s, s.begin():
            enter_tenant(s, SENDER)
            submit(s, SENDER, message(mode, i, upsert), now=datetime.now(UTC))
    one_by_one = (time.perf_counter() - began) / max(tail, 1)
    with Session(engine) as s, s.begin():
        enter_tenant(s, ADMIN)
        began = time.perf_counter()
        newest = read_dataset(s, ADMIN, dataset, "data-management")
        read_newest = time.perf_counter() - began
        row = dataset_row(s, dataset)
        assert row is not None
        began = time.perf_counter()
        content(s, row)
        materialise_newest = time.perf_counter() - began
        began = time.perf_counter()
        content(s, row, 10)
        materialise_early = time.perf_counter() - began
        stored = s.scalar(
            sa.select(sa.func.count())
            .select_from(DatasetRecordRow)
            .where(DatasetRecordRow.dataset_id == dataset)
        )
    return [
        mode,
        f"{per_batch[0] * 1e3:.2f}",
        f"{per_batch[-1] * 1e3:.2f}",
        f"{one_by_one * 1e3:.1f}",
        f"{read_newest * 1e3:.1f}",
        f"{materialise_newest * 1e3:.1f}",
        f"{materialise_early * 1e3:.1f}",
        f"{newest.version}",
        f"{len(newest.rows)}",
        f"{stored}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500, help="messages per transaction")
    parser.add_argument("--tail", type=int, default=100, help="last messages one by one")
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'streams.db'}"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine) as s, s.begin():
            add_tenant(s, "acme", "Acme")
        head = ["mode", "first batch ms/msg", "last batch ms/msg", "one by one ms/msg",
                "read newest ms", "of which rows ms", "rows of v10 ms", "versions", "rows",
                "records stored"]  # fmt: skip
        table = [head] + [
            bench(engine, mode, args.messages, args.batch, args.tail)
            for mode in ("replace", "append", "upsert")
        ]
        engine.dispose()
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    print(f"{args.messages} single-row messages on {url.split(':', 1)[0]}")
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
