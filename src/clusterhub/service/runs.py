"""Engines on members' shared data: the cluster operator runs the energy co-optimisation, the
benefit sharing or the symbiosis matching on what each member has granted for that purpose.

Why through the service and not the CLI on files: a member's meter readings and stream registry
are its data; the run reads them through the one decision point (each read audited, in the same
transaction as the run), leaves out every member whose data it may not use and says so, and
stores exactly which dataset versions it used, so the result can be reproduced later even after
members have sent corrections.

Conventions (what a member shares, by dataset name):

- ``energy-profiles`` (time series; columns ``time``, ``asset``, ``mw``): the member's demand
  profiles and generators' available output in MW for the run's steps, by asset id of the
  cluster description. The energy and benefit-sharing runs read it.
- ``symbiosis-streams`` (table; the registry's columns, ``clusterhub symbiosis import``): the
  member's inputs and outputs. The symbiosis run reads it.

Who sees what: each member sees its own part in full and the run's cluster-level figures, which
are released only over at least k members none of whom dominates (the safe-aggregate rules). The
operator sees a member's part only while that member's grant for the purpose is raw; under an
aggregate-only grant the member's data is used but its part stays hidden from the operator.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Purpose, Resource, Role, Subject, canonical
from clusterhub.errors import ClusterhubError, InputError, NotFound
from clusterhub.examples import EXAMPLES, load_example
from clusterhub.model import Cluster, loads
from clusterhub.service.data import judge
from clusterhub.service.run_engines import (
    ENGINE_RUNS,
    RunRequest,
    SharedInput,
    member_ids,
    with_profiles,
    with_streams,
)
from clusterhub.service.streams import content
from clusterhub.sharing import Method
from clusterhub.storage.rows import DatasetRow, RunResultRow, RunRow

__all__ = ["ENGINES", "RunRequest", "list_runs", "read_run", "reproduce", "start_run"]

#: Engine -> (the purpose its inputs must be granted for, the dataset each member shares).
ENGINES: dict[str, tuple[Purpose, str]] = {
    "energy": (Purpose.ENERGY_OPTIMIZATION, "energy-profiles"),
    "sharing": (Purpose.BENEFIT_SHARING, "energy-profiles"),
    "symbiosis": (Purpose.SYMBIOSIS_MATCHING, "symbiosis-streams"),
}
NOT_SHARED = "no {name} dataset shared with the operator for {purpose}"


# --- reading members' data through the decision point -------------------------------------------
def _member_input(
    session: Session,
    subject: Subject,
    participant: str,
    *,
    name: str,
    purpose: Purpose,
    now: datetime,
    version: int | None = None,
) -> SharedInput | str:
    """The member's dataset version for the run, or why it is left out. Every attempt is
    judged and audited, also when the dataset does not exist or is invisible to the operator
    (row-level security): the member then sees the attempt in its audit trail."""
    row = session.scalar(
        sa.select(DatasetRow).where(DatasetRow.tenant_id == participant, DatasetRow.name == name)
    )
    resource = Resource(participant, row.id if row is not None else f"name:{name}")
    decision = judge(session, subject, Action.COMPUTE, resource, purpose, now)
    if row is None or not decision.allowed or decision.form is None:
        return NOT_SHARED.format(name=name, purpose=purpose.value)
    stored = content(session, row, version)
    if stored is None:
        return f"{name} has no version" + (f" {version}" if version is not None else "")
    return SharedInput(
        participant=participant,
        dataset=row.id,
        version=stored.version,
        sha256=stored.sha256,
        rows=stored.rows,
        form=decision.form,
    )


def _cluster(text: str) -> Cluster:
    if text in EXAMPLES:
        return load_example(text)
    try:
        # a posted cluster is self-contained: no file it names is read (files={}), or it could
        # read whatever lies in the service's working directory into a run's results
        return loads(text, files={})
    except InputError as error:
        first = error.problems[0]
        where = ", ".join(p for p in (first.path, f"line {first.line}" if first.line else "") if p)
        raise InputError.single(
            "a bundled example's name or a valid cluster description (YAML): "
            + (f"{where}: " if where else "")
            + f"expected {first.expected}",
            first.found,
            path="cluster",
        ) from None
    except ClusterhubError as error:
        raise InputError.single(
            "a bundled example's name or a valid cluster description (YAML)",
            str(error)[:300],
            path="cluster",
        ) from None


# --- runs -----------------------------------------------------------------------------------------
def _execute(
    session: Session,
    subject: Subject,
    request: RunRequest,
    now: datetime,
    pinned: Mapping[str, int] | None = None,
) -> tuple[dict[str, SharedInput], dict[str, str], dict[str, Any], dict[str, Any], str]:
    if request.engine not in ENGINES:
        raise InputError.single(f"one of {', '.join(ENGINES)}", request.engine, path="engine")
    if request.engine == "sharing":
        try:
            Method(request.method)
        except ValueError:
            raise InputError.single(
                f"one of {', '.join(m.value for m in Method)}", request.method, path="method"
            ) from None
    purpose, name = ENGINES[request.engine]
    cluster = _cluster(request.cluster)
    steps = len(cluster.time_index)
    fits = request.start >= 0 and 1 <= request.hours <= 24 * 31
    if request.engine != "symbiosis" and not (fits and request.start + request.hours <= steps):
        raise InputError.single(
            f"start and hours within the cluster's {steps} steps, at most a month",
            f"start {request.start}, hours {request.hours}",
            path="hours",
        )
    inputs: dict[str, SharedInput] = {}
    left_out: dict[str, str] = {}
    for participant in member_ids(cluster):
        if pinned is not None and participant not in pinned:
            left_out[participant] = "left out of the run being reproduced"
            continue
        version = pinned.get(participant) if pinned is not None else None
        found = _member_input(
            session, subject, participant, name=name, purpose=purpose, now=now, version=version
        )
        if isinstance(found, str):
            left_out[participant] = found
        else:
            inputs[participant] = found
    # a member whose shared data does not fit the description is left out, with the reason
    while True:
        kept = {p: i for p, i in inputs.items() if p not in left_out}
        try:
            base = cluster.without(left_out)
            if request.engine == "symbiosis":
                ready = with_streams(base, kept)
            else:
                ready = with_profiles(base, kept, request.start, request.hours)
            break
        except ValueError as error:  # a reference into a left-out member the model cannot cut
            raise InputError.single(
                "a cluster whose members can be left out", str(error)[:300], path="cluster"
            ) from None
        except InputError as error:
            problem = error.problems[0]
            culprit = str(problem.path).split("/", 1)[0]
            if culprit not in kept:
                raise
            left_out[culprit] = (
                f"its data: {problem.path}: expected {problem.expected}, got {problem.found}"
            )
    if not kept:
        raise InputError.single(
            "at least one member sharing its data for " + purpose.value,
            "none",
            path="cluster",
        )
    engine = ENGINE_RUNS[request.engine]
    parts, summary = engine(ready, request)
    return kept, left_out, parts, summary, purpose.value


def start_run(
    session: Session, subject: Subject, request: RunRequest, *, now: datetime | None = None
) -> str:
    """Run ``request``'s engine on what the members shared and store it; the run's id."""
    now = now or datetime.now(UTC)
    if subject.tenant is None or Role.CLUSTER_OPERATOR not in subject.roles:
        raise NotFound("no such route")
    inputs, left_out, parts, summary, purpose = _execute(session, subject, request, now)
    run = str(uuid.uuid4())
    session.add(
        RunRow(
            id=run,
            tenant_id=subject.tenant,
            engine=request.engine,
            purpose=purpose,
            request=canonical(request.as_dict()),
            cluster=request.cluster,
            inputs=json.dumps(
                [
                    {
                        "participant": i.participant,
                        "dataset": i.dataset,
                        "version": i.version,
                        "sha256": i.sha256,
                    }
                    for i in inputs.values()
                ],
                sort_keys=True,
            ),
            left_out=canonical(left_out),
            summary=canonical(summary),
            created_by=subject.user,
            created_at=now,
        )
    )
    session.flush()
    for participant, part in parts.items():
        session.add(
            RunResultRow(
                run_id=run,
                tenant_id=participant,
                operator=subject.tenant,
                dataset_id=inputs[participant].dataset,
                payload=canonical(part),
            )
        )
    return run


def _run_row(session: Session, subject: Subject, run: str) -> RunRow:
    try:
        valid = str(uuid.UUID(run)) == run
    except (ValueError, TypeError, AttributeError):
        valid = False
    row = session.get(RunRow, run) if valid else None
    if row is None or subject.tenant is None:
        raise NotFound("no such run")
    member = session.get(RunResultRow, (run, subject.tenant)) is not None
    if row.tenant_id != subject.tenant and not member:
        raise NotFound("no such run")
    return row


def read_run(
    session: Session, subject: Subject, run: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The run as ``subject`` may see it: the cluster-level figures, its own part, and (for the
    operator) each member's part that the member's grant still shows raw, judged now."""
    now = now or datetime.now(UTC)
    row = _run_row(session, subject, run)
    purpose = Purpose(row.purpose)
    operator = row.tenant_id == subject.tenant
    results: dict[str, Any] = {}
    hidden: list[str] = []
    for part in session.scalars(
        sa.select(RunResultRow).where(RunResultRow.run_id == run).order_by(RunResultRow.tenant_id)
    ):
        if part.tenant_id != subject.tenant and not operator:
            continue  # row-level security hides these on PostgreSQL; SQLite relies on this
        resource = Resource(part.tenant_id, part.dataset_id)
        decision = judge(session, subject, Action.READ, resource, purpose, now)
        if decision.allowed:
            results[part.tenant_id] = json.loads(part.payload)
        else:
            hidden.append(part.tenant_id)
    out: dict[str, Any] = {
        "id": row.id,
        "engine": row.engine,
        "purpose": row.purpose,
        "created_at": row.created_at.isoformat(),
        "request": json.loads(row.request),
        "summary": json.loads(row.summary),
        "results": results,
    }
    if operator:
        out["left_out"] = json.loads(row.left_out)
        out["inputs"] = json.loads(row.inputs)
        out["hidden"] = hidden
    return out


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-6)
    return bool(a == b)


def list_runs(session: Session, subject: Subject, *, limit: int = 50) -> list[dict[str, Any]]:
    """The runs ``subject``'s tenant may open, newest first: those it ran (as the operator) and
    those holding a part of its own. Each with its cluster-level summary only; opening one
    (``read_run``) judges and audits every member's part."""
    if subject.tenant is None:
        return []
    mine = sa.select(RunResultRow.run_id).where(RunResultRow.tenant_id == subject.tenant)
    rows = session.scalars(
        sa.select(RunRow)
        .where((RunRow.tenant_id == subject.tenant) | RunRow.id.in_(mine))
        .order_by(RunRow.created_at.desc(), RunRow.id)
        .limit(limit)
    )
    return [
        {
            "id": row.id,
            "engine": row.engine,
            "purpose": row.purpose,
            "created_at": row.created_at.isoformat(),
            "created_by": row.created_by if row.tenant_id == subject.tenant else None,
            "operator": row.tenant_id == subject.tenant,
            "request": json.loads(row.request),
            "summary": json.loads(row.summary),
        }
        for row in rows
    ]


def reproduce(
    session: Session, subject: Subject, run: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Run a stored run again on exactly the dataset versions it used (each read judged and
    audited again: a member that has revoked its grant since cannot be re-read) and compare."""
    now = now or datetime.now(UTC)
    row = _run_row(session, subject, run)
    if row.tenant_id != subject.tenant:
        raise NotFound("no such run")
    stored = json.loads(row.request)
    request = RunRequest(**stored)
    pinned = {i["participant"]: int(i["version"]) for i in json.loads(row.inputs)}
    hashes = {i["participant"]: i["sha256"] for i in json.loads(row.inputs)}
    inputs, left_out, parts, summary, _ = _execute(session, subject, request, now, pinned)
    unreadable = sorted(set(pinned) - set(inputs))
    changed = sorted(p for p, i in inputs.items() if i.sha256 != hashes[p])
    before = {
        p.tenant_id: json.loads(p.payload)
        for p in session.scalars(sa.select(RunResultRow).where(RunResultRow.run_id == run))
    }
    identical = (
        not unreadable
        and not changed
        and _close(summary, json.loads(row.summary))
        and _close(parts, before)
    )
    return {
        "run": run,
        "identical": identical,
        "unreadable": {p: left_out.get(p, "") for p in unreadable},
        "changed": changed,
    }
