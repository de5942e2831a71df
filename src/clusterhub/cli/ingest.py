"""``clusterhub ingest``: the operator's view of the ingest pipeline. Send a file as a tenant's
user, list receipts (or watch them arrive), list dead letters and replay them after a fix.

Why on the server's database and not over HTTP: the operator runs these next to the service,
as ``clusterhub tenant add`` does; every write still goes through the pipeline, the decision
point and the audit chain, as the named user.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli.options import UrlOption, UserOption
from clusterhub.cli.output import Table, console, write_json
from clusterhub.cli.service import member_transaction, transaction
from clusterhub.errors import InputError, NotFound

if TYPE_CHECKING:
    from clusterhub.ingest import Receipt

# The pipeline, its channels and the database load inside each command: `clusterhub --help`
# needs none of them.

__all__ = ["app"]

app = typer.Typer(help="Send files, watch receipts, replay dead letters.")


def _show(receipt: Receipt) -> None:
    colour = {"accepted": "green", "duplicate": "yellow", "rejected": "red"}[receipt.status]
    where = f"{receipt.target}/{receipt.dataset}"
    line = f"[{colour}]{receipt.status}[/] {where} receipt {receipt.id}"
    if receipt.version is not None:
        line += f", version {receipt.version} ({receipt.rows} rows)"
    if receipt.original:
        line += f", same as receipt {receipt.original}"
    console.print(line)
    for problem in receipt.problems:
        console.print(
            f"  {problem['where']}: expected {problem['expected']}, got {problem['found']}"
        )


@app.command("send")
def send(
    file: Annotated[Path, typer.Argument(help="a CSV, Excel (.xlsx) or JSON file", exists=True)],
    dataset: Annotated[str, typer.Option(help="the dataset's name")],
    user: UserOption,
    tenant: Annotated[
        str | None, typer.Option(help="the dataset's tenant (default: the user's)")
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="idempotency key (default: the content's hash)")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Send a file through the pipeline as ``--as`` user; exit 1 when it is rejected."""
    from clusterhub.ingest import Message, submit
    from clusterhub.ingest.parse import media_type_of

    media = media_type_of(file.name, None)
    if media is None:
        raise InputError.single("a .csv, .xlsx or .json file", file.name, file=str(file))
    with member_transaction(url, user) as (session, subject):
        receipt = submit(session, subject, Message(
            channel="file", target=tenant or subject.tenant or "", dataset=dataset,
            payload=file.read_bytes(), media_type=media, sender=user, idempotency_key=key,
            filename=file.name))  # fmt: skip
    _show(receipt)
    if receipt.status == "rejected":
        raise typer.Exit(1)


@app.command("receipts")
def list_receipts(
    user: UserOption,
    watch: Annotated[bool, typer.Option(help="keep listing new receipts until Ctrl-C")] = False,
    interval: Annotated[float, typer.Option(help="seconds between looks when watching")] = 2.0,
    url: UrlOption = None,
) -> None:
    """Receipts of what the user's tenant sent or received, newest first; with --watch, as
    they arrive until Ctrl-C, which ends the watch normally (exit 0)."""
    with contextlib.suppress(KeyboardInterrupt):
        _receipts(user, watch=watch, interval=interval, url=url)


def _receipts(user: str, *, watch: bool, interval: float, url: str | None) -> None:
    from clusterhub.ingest import receipts

    seen: set[str] = set()
    while True:
        with member_transaction(url, user) as (session, subject):
            found = receipts(session, subject)
        fresh = [r for r in reversed(found) if r.id not in seen]
        if not watch:
            table = Table("received", "channel", "dataset", "status", "version", "problems")
            for r in found:
                table.add_row(r.received_at.strftime("%Y-%m-%d %H:%M:%S"), r.channel,
                              f"{r.target}/{r.dataset}", r.status, str(r.version or ""),
                              str(len(r.problems) or ""))  # fmt: skip
            console.print(table)
            return
        for receipt in fresh:
            _show(receipt)
            seen.add(receipt.id)
        time.sleep(interval)


@app.command("dead-letters")
def list_dead_letters(user: UserOption, url: UrlOption = None) -> None:
    """Rejected messages of the user's tenant, not yet replayed, with their reasons."""
    from clusterhub.ingest import dead_letters

    with member_transaction(url, user) as (session, subject):
        letters = dead_letters(session, subject)
    table = Table("id", "received", "channel", "dataset", "reason")
    for letter in letters:
        table.add_row(letter["id"], letter["received_at"][:19], letter["channel"],
                      f"{letter['target']}/{letter['dataset']}", letter["reason"])  # fmt: skip
    console.print(table)


@app.command("replay")
def replay_letters(
    user: UserOption,
    letter: Annotated[list[str] | None, typer.Argument(help="dead letters (default: all)")] = None,
    url: UrlOption = None,
) -> None:
    """Send dead letters through the pipeline again, after the dataset or the data was fixed."""
    from clusterhub.ingest import dead_letters, replay

    failed = 0
    with member_transaction(url, user) as (session, subject):
        chosen = letter or [d["id"] for d in dead_letters(session, subject)]
        for one in chosen:
            try:
                receipt = replay(session, subject, one)
            except NotFound:
                console.print(f"[red]no dead letter {one} of {subject.tenant}[/]")
                failed += 1
                continue
            _show(receipt)
            failed += receipt.status == "rejected"
    if failed:
        raise typer.Exit(1)


sender_app = typer.Typer(help="E-mail addresses a tenant accepts data from.")
app.add_typer(sender_app, name="sender")


@sender_app.command("add")
def sender_add(address: str, user: UserOption, url: UrlOption = None) -> None:
    """Register ``address`` as a sender of the user's tenant (a member admin)."""
    from clusterhub.ingest import senders

    with member_transaction(url, user) as (session, subject):
        stored = senders.register_sender(session, subject, address)
    console.print(f"{stored} now sends for {subject.tenant}")


@sender_app.command("remove")
def sender_remove(address: str, user: UserOption, url: UrlOption = None) -> None:
    """Stop accepting mail from ``address``."""
    from clusterhub.ingest import senders

    with member_transaction(url, user) as (session, subject):
        senders.remove_sender(session, subject, address)
    console.print(f"{address} no longer sends for {subject.tenant}")


@sender_app.command("list")
def sender_list(user: UserOption, url: UrlOption = None) -> None:
    """The user's tenant's registered senders."""
    from clusterhub.ingest import senders

    with member_transaction(url, user) as (session, subject):
        for address in senders.senders_of(session, subject):
            console.print(address)


@app.command("smtp")
def smtp(
    domain: Annotated[str, typer.Option(help="mail to <tenant>@DOMAIN is ingested")],
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 2525,
    max_mb: Annotated[float, typer.Option(help="largest message accepted, MB")] = 10.0,
    relay: Annotated[
        str | None, typer.Option(help="HOST:PORT of an SMTP relay for receipt e-mails")
    ] = None,
    authenticate: Annotated[
        str,
        typer.Option(
            help="dkim (verify the From domain's DKIM signature), relay (trust "
            "--trusted-relay's Authentication-Results) or none (tests only)"
        ),
    ] = "dkim",
    dkim_keys: Annotated[
        Path | None,
        typer.Option(
            help="pinned DKIM keys, 'selector._domainkey.domain TXT' a line, instead of DNS",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    trusted_relay: Annotated[
        str | None, typer.Option(help="authserv-id of the mail server in front (relay mode)")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Receive data by e-mail until Ctrl-C: attachments from registered senders whose From
    header is authenticated go through the pipeline; each sender gets the receipts in the SMTP
    answer (and by mail via --relay)."""
    from clusterhub.ingest import mail, mailauth
    from clusterhub.storage import database_url, upgrade

    auth = mailauth.Authenticator(
        authenticate,  # type: ignore[arg-type]  # checked by Authenticator itself
        keys=mailauth.load_keys(dkim_keys) if dkim_keys is not None else None,
        trusted_relay=trusted_relay,
    )
    if auth.mode == "none":
        console.print(
            "[bold red]WARNING: --authenticate none: anyone who knows a registered address "
            "can send data as its tenant. For tests and local trials only.[/]"
        )
    target = database_url(url)
    upgrade(target)
    relay_to = None
    if relay:
        relay_host, _, relay_port = relay.rpartition(":")
        if not relay_host or not relay_port.isdigit():
            raise InputError.single("HOST:PORT", relay, path="--relay")
        relay_to = (relay_host, int(relay_port))
    receiver = mail.start_receiver(target, host, port, domain=domain,
                                   max_bytes=int(max_mb * 1024 * 1024), relay=relay_to,
                                   auth=auth)  # fmt: skip
    console.print(f"receiving mail for <tenant>@{domain} on {host}:{port} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        receiver.stop()


@app.command("mosquitto-config")
def mosquitto_config(
    directory: Annotated[
        Path, typer.Argument(help="where to write mosquitto.conf, passwords, acl")
    ],
    port: Annotated[int, typer.Option(help="the broker's port")] = 1883,
    host: Annotated[str, typer.Option(help="the broker's listening address")] = "127.0.0.1",
    json_out: Annotated[
        Path | None, typer.Option("--json", help="also write the new passwords to this file")
    ] = None,
    url: UrlOption = None,
) -> None:
    """Write a Mosquitto configuration for the tenants in the database: one user per tenant
    that may publish only under clusterhub/<tenant>/, and the service's user that reads all.
    The fresh passwords are shown once; only their hashes are kept in the password file."""
    from clusterhub.ingest import mosquitto

    with transaction(url) as session:
        passwords = mosquitto.write_broker_config(session, directory, port, host=host)
    # the service's own password, for `clusterhub ingest mqtt --password-file`
    service = directory / "service.password"
    service.touch(mode=0o600)
    service.write_text(passwords[mosquitto.SERVICE_USER] + "\n", encoding="utf-8")
    table = Table("MQTT user", "password (shown once)")
    for user, password in sorted(passwords.items()):
        table.add_row(user, password)
    console.print(table)
    console.print(f"start it with: mosquitto -c {directory / 'mosquitto.conf'}; the service's "
                  f"password is in {service}")  # fmt: skip
    console.print("publishers: connect with MQTT v5 (QoS 1), the only version the broker tells "
                  "that it refused a publish (PUBACK reason code 135); see `clusterhub ingest "
                  "publish`")  # fmt: skip
    if json_out is not None:
        write_json(json_out, passwords)


@app.command("mqtt")
def mqtt_subscriber(
    password_file: Annotated[
        Path, typer.Option(help="a file holding the service user's broker password")
    ],
    host: Annotated[str, typer.Option(help="the broker's address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the broker's port")] = 1883,
    url: UrlOption = None,
) -> None:
    """Consume clusterhub/<sender>/<tenant>/<dataset> from the broker into the pipeline until
    Ctrl-C (QoS 1, persistent session, acknowledged only after each commit)."""
    from clusterhub.ingest import mosquitto, mqtt
    from clusterhub.storage import database_url, upgrade

    target = database_url(url)
    upgrade(target)
    password = password_file.read_text(encoding="utf-8").strip()
    console.print(f"consuming MQTT from {host}:{port} into the pipeline (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        mqtt.run_subscriber(target, host, port, mosquitto.SERVICE_USER, password)


@app.command("publish")
def mqtt_publish(
    file: Annotated[
        Path,
        typer.Argument(help='a JSON file: {"id": ..., "rows": [...]}', exists=True, dir_okay=False),
    ],
    tenant: Annotated[str, typer.Option(help="the publishing tenant (its MQTT user)")],
    dataset: Annotated[str, typer.Option(help="the dataset's name")],
    password_file: Annotated[Path, typer.Option(help="a file holding the tenant's password")],
    target: Annotated[
        str | None, typer.Option(help="the dataset's tenant (default: the publisher)")
    ] = None,
    host: Annotated[str, typer.Option(help="the broker's address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the broker's port")] = 1883,
) -> None:
    """Publish a file's rows over MQTT v5 (QoS 1) and show the broker's answer; exit 1 when it
    refuses (reason code 135: the topic is outside the tenant's prefix). A v3.1.1 client would
    not be told."""
    from clusterhub.ingest import mqtt, publish

    topic = mqtt.topic_for(tenant, target or tenant, dataset)
    password = password_file.read_text(encoding="utf-8").strip()
    answer = publish.publish(
        topic, file.read_bytes(), host=host, port=port, user=tenant, password=password
    )
    if answer.refused:
        console.print(f"[red]refused by the broker[/] {topic}: {answer.reason} ({answer.code})")
        raise typer.Exit(1)
    console.print(f"[green]acknowledged[/] {topic}: {answer.reason} ({answer.code}); the "
                  "receipt follows from the service (clusterhub ingest receipts)")  # fmt: skip
