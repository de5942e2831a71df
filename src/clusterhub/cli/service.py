"""``clusterhub serve``, ``tenant``, ``user``, ``key`` and ``audit``: running and administering
the data service from the command line (the operator's tools; members use the API)."""

from __future__ import annotations

import base64
import json as jsonlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli.options import UrlOption
from clusterhub.cli.output import console, shown_url, write_json
from clusterhub.collab import Role
from clusterhub.errors import InputError, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from clusterhub.collab import Subject
    from clusterhub.service.audit_keys import AuditKey

# The service, storage and SQLAlchemy load inside each command: `clusterhub --help` needs none.

__all__ = [
    "audit_app",
    "key_app",
    "member_transaction",
    "serve",
    "subject_of",
    "tenant_app",
    "transaction",
    "user_app",
]

tenant_app = typer.Typer(help="Tenants of the data service (one per participant).")
user_app = typer.Typer(help="Users of a tenant, with roles.")
key_app = typer.Typer(help="API keys for machines.")
audit_app = typer.Typer(help="The audit chain of every decision.")


@contextmanager
def transaction(url: str | None) -> Iterator[Session]:
    """One transaction on the database at ``url``, its schema brought to head first."""
    from sqlalchemy.orm import Session

    from clusterhub.storage import database_url, make_engine, upgrade

    target = database_url(url)
    upgrade(target)
    engine = make_engine(target)
    try:
        with Session(engine) as session, session.begin():
            yield session
    finally:
        engine.dispose()


def subject_of(session: Session, username: str) -> Subject:
    """The user named by ``--as``, as the decision point sees it; an unknown or disabled user
    is a bad option, not a missing object."""
    from clusterhub.service import identity

    try:
        return identity.subject_of_user(session, username)
    except NotFound:
        raise InputError.single("an enabled user of a tenant", username, path="--as") from None


@contextmanager
def member_transaction(url: str | None, username: str) -> Iterator[tuple[Session, Subject]]:
    """One transaction acting as the ``--as`` user, inside its tenant (on PostgreSQL, row-level
    security then shows that tenant's rows and what is granted to it): what every command that
    acts for a member runs in."""
    from clusterhub.service import identity

    with transaction(url) as session:
        subject = subject_of(session, username)
        identity.enter_tenant(session, subject)
        yield session, subject


@tenant_app.command("add")
def tenant_add(
    tenant: Annotated[str, typer.Argument(help="tenant id (the participant's id)")],
    name: Annotated[str, typer.Argument(help="display name")],
    group: Annotated[list[str] | None, typer.Option(help="named groups it belongs to")] = None,
    sector: Annotated[
        str | None,
        typer.Option(help="its sector, e.g. chemicals, energy, logistics (aggregates by sector)"),
    ] = None,
    url: UrlOption = None,
) -> None:
    """Add a tenant."""
    from clusterhub.service import identity

    with transaction(url) as session:
        identity.add_tenant(session, tenant, name, tuple(group or ()), sector=sector)
    console.print(f"tenant {tenant} added")


@user_app.command("add")
def user_add(
    tenant: Annotated[str, typer.Argument()],
    username: Annotated[str, typer.Argument()],
    role: Annotated[list[Role], typer.Option(help="role; repeat for several")],
    url: UrlOption = None,
) -> None:
    """Add a user; the password is read from $CLUSTERHUB_PASSWORD or asked for."""
    from clusterhub.service import identity

    password = os.environ.get("CLUSTERHUB_PASSWORD") or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True
    )
    with transaction(url) as session:
        identity.add_user(session, tenant, username, password, tuple(role))
    console.print(f"user {username} added to {tenant}")


@key_app.command("issue")
def key_issue(username: Annotated[str, typer.Argument()], url: UrlOption = None) -> None:
    """Issue an API key for a user's machine; it is shown once and stored only as a hash."""
    from clusterhub.service import identity

    with transaction(url) as session:
        key = identity.issue_key(session, username)
    console.print(key, highlight=False)


@audit_app.command("verify")
def audit_verify(
    url: UrlOption = None,
    heads: Annotated[
        Path | None,
        typer.Option(
            "--heads",
            help="signed heads exported earlier (JSON lines): each must still be in the chain",
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="the public key the heads were signed with (what "
            "GET /api/v1/audit/key answered); default: this host's audit key",
        ),
    ] = None,
    unkeyed: Annotated[
        int,
        typer.Option(
            "--unkeyed",
            min=0,
            help="how many first entries, written before the "
            "chain was keyed, to accept without a MAC",
        ),
    ] = 0,
    json: Annotated[Path | None, typer.Option("--json", help="write the result to PATH")] = None,
) -> None:
    """Check the whole chain: every entry's hash, link and MAC under the audit key, the head,
    and every exported head; an edited, removed or reordered entry, a cut tail, or a rewrite
    (even with every hash recomputed) is named by its index."""
    from clusterhub.service import audit_keys, data

    key = audit_keys.current()
    exported = _exported(heads, public_key, key) if heads is not None else []
    with transaction(url) as session:
        result = data.verify_audit(session, exported=exported)
    write_json(json, result.__dict__)
    if not result.ok:
        raise InputError.single("an intact audit chain", result.reason, path="audit")
    if result.unkeyed is not None and result.unkeyed[1] + 1 > unkeyed:
        first, last = result.unkeyed
        raise InputError.single(
            f"every entry keyed (after the first {unkeyed} accepted with --unkeyed)",
            f"entries {first}-{last} carry no MAC: written before the chain was keyed (accept "
            f"them with --unkeyed {last + 1}) or their MACs removed",
            path="audit",
        )
    console.print(f"audit chain intact: {result.reason}" + (
        f"; {result.heads} exported heads found in it" if heads is not None else ""
    ), highlight=False)  # fmt: skip


def _exported(heads: Path, public_key: Path | None, key: AuditKey) -> list[tuple[int, str]]:
    from clusterhub.collab import exported_hashes, parse_heads

    try:
        lines = heads.read_text(encoding="utf-8").splitlines()
        keys = {key.id: key.public} if public_key is None else _public_keys(public_key)
    except OSError as exc:
        raise InputError.single("a readable file", str(exc), path=str(exc.filename)) from None
    return exported_hashes(parse_heads(lines, source=str(heads)), keys, source=str(heads))


def _public_keys(path: Path) -> dict[str, bytes]:
    try:
        found = jsonlib.loads(path.read_text(encoding="utf-8"))
        return {str(found["key_id"]): base64.b64decode(found["public_key"], validate=True)}
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError.single(
            "the audit public key as JSON (key_id, public_key)", str(exc), path=str(path)
        ) from None


@audit_app.command("export-head")
def audit_export_head(
    file: Annotated[Path, typer.Argument(help="file of signed heads (JSON lines), appended to")],
    url: UrlOption = None,
) -> None:
    """Append the chain's current head, signed with the audit key, to FILE: keep it (and the
    public key, GET /api/v1/audit/key) outside the database, then pass it to verify --heads."""
    from clusterhub.service import audit_keys, chain

    key = audit_keys.current()
    with transaction(url) as session:
        head = chain.signed_head(session, key, datetime.now(UTC))
    file.parent.mkdir(parents=True, exist_ok=True)
    with file.open("a", encoding="utf-8") as out:
        out.write(jsonlib.dumps(head.as_json(), sort_keys=True) + "\n")
    console.print(f"head at entry {head.index} ({head.hash[:16]}...) signed by key {head.key_id}, "
                  f"appended to {file}", highlight=False)  # fmt: skip


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    url: UrlOption = None,
) -> None:
    """Run the data service: the dashboard at /web, the HTTP API under /api/v1 (OpenAPI at
    /openapi.json), the upload form at /upload. Tokens are
    signed with $CLUSTERHUB_SECRET_KEY (a random key when unset: sign-ins end with the process).
    The audit chain is keyed with $CLUSTERHUB_AUDIT_KEY, else audit.key in the clusterhub home
    (made on first use): the same key on every host that writes or verifies the chain."""
    import uvicorn

    from clusterhub.storage import database_url, upgrade
    from clusterhub.web import create_site

    target = database_url(url)
    upgrade(target)
    secret = os.environ.get("CLUSTERHUB_SECRET_KEY")
    console.print(f"serving {shown_url(target)}: dashboard http://{host}:{port}/web, "
                  f"API http://{host}:{port}/api/v1")  # fmt: skip
    uvicorn.run(create_site(target, secret=secret), host=host, port=port, log_level="info")
