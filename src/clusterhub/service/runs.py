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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import Session

from clusterhub.collab import Action, Form, Purpose, Resource, Role, Subject
from clusterhub.collab.audit import canonical
from clusterhub.collab.disclosure import Rules, safe_table
from clusterhub.energy import CollaborationResult, DispatchOptions, prepare
from clusterhub.energy.dispatch import summarize_run
from clusterhub.energy.solver import Run, Solver
from clusterhub.errors import ClusterhubError, InputError, NotFound
from clusterhub.examples import EXAMPLES, load_example
from clusterhub.model import Cluster, Demand, Generator, loads
from clusterhub.service.data import judge, stored_version
from clusterhub.sharing import EnergyGame, Method, allocate
from clusterhub.storage.rows import DatasetRow, RunResultRow, RunRow
from clusterhub.symbiosis.matching import match
from clusterhub.symbiosis.registry import add_streams, streams_from_table

__all__ = ["ENGINES", "RunRequest", "read_run", "reproduce", "start_run"]

#: Engine -> (the purpose its inputs must be granted for, the dataset each member shares).
ENGINES: dict[str, tuple[Purpose, str]] = {
    "energy": (Purpose.ENERGY_OPTIMIZATION, "energy-profiles"),
    "sharing": (Purpose.BENEFIT_SHARING, "energy-profiles"),
    "symbiosis": (Purpose.SYMBIOSIS_MATCHING, "symbiosis-streams"),
}
NOT_SHARED = "no {name} dataset shared with the operator for {purpose}"


@dataclass(frozen=True)
class RunRequest:
    """What the operator asks for. ``cluster`` is a bundled example's name or a cluster
    description (YAML); ``start`` and ``hours`` select the steps of energy and sharing runs."""

    engine: str
    cluster: str
    start: int = 0
    hours: int = 24
    method: str = "shapley"
    top: int = 5

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "cluster": self.cluster,
            "start": self.start,
            "hours": self.hours,
            "method": self.method,
            "top": self.top,
        }


@dataclass(frozen=True)
class _Input:
    participant: str
    dataset: str
    version: int
    sha256: str
    rows: list[dict[str, Any]]
    form: Form


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
) -> _Input | str:
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
    stored = stored_version(session, row.id, version)
    if stored is None:
        return f"{name} has no version" + (f" {version}" if version is not None else "")
    return _Input(
        participant=participant,
        dataset=row.id,
        version=stored.version,
        sha256=stored.sha256,
        rows=json.loads(stored.rows)["rows"],
        form=decision.form,
    )


def _cluster(text: str) -> Cluster:
    if text in EXAMPLES:
        return load_example(text)
    try:
        return loads(text)
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


def _members(cluster: Cluster) -> list[str]:
    return [p.id for p in cluster.participants if p.kind != "grid_operator"]


# --- the engines on what was shared ---------------------------------------------------------------
def _profiles(cluster: Cluster, inputs: Mapping[str, _Input], start: int, hours: int) -> Cluster:
    """``cluster`` with every included member's profiles replaced, on the run's steps, by what
    it shared; a problem in a member's data raises ``InputError`` located in its dataset."""
    index = cluster.time_index[start : start + hours]
    wanted = pd.DatetimeIndex(index).tz_convert("UTC") if index.tz else index.tz_localize("UTC")
    participants = []
    for participant in cluster.participants:
        shared = inputs.get(participant.id)
        if shared is None:
            participants.append(participant)
            continue
        frame = pd.DataFrame(shared.rows, columns=["time", "asset", "mw"])
        where = f"{participant.id}/energy-profiles v{shared.version}"
        try:
            frame["time"] = pd.to_datetime(frame["time"], utc=True)
        except (ValueError, TypeError):
            raise InputError.single(
                "ISO times", "an unreadable time", path=f"{where}.time"
            ) from None
        if frame.duplicated(["time", "asset"]).any():
            first = frame[frame.duplicated(["time", "asset"])].index[0]
            raise InputError.single(
                "one value per asset and time", "a repeat", path=f"{where}.rows[{first}]"
            )
        table = frame.pivot(index="time", columns="asset", values="mw")
        assets = []
        owned = {a.id for a in participant.assets}
        for unknown in sorted(set(table.columns) - owned):
            raise InputError.single(f"an asset of {participant.id}", unknown, path=f"{where}.asset")
        for asset in participant.assets:
            if asset.id not in table.columns or not isinstance(asset, Demand | Generator):
                assets.append(asset)
                continue
            column = table[asset.id].reindex(wanted)
            if column.isna().any():
                missing = column.index[column.isna()][0]
                raise InputError.single(
                    "a value for every step of the run",
                    f"none at {missing.isoformat()}",
                    path=f"{where}.{asset.id}",
                )
            series = asset.profile_mw if isinstance(asset, Demand) else asset.availability
            values = np.array(cluster.values(series), dtype=float)
            mw = column.to_numpy(dtype=float)
            if isinstance(asset, Demand):
                values[start : start + hours] = mw
                assets.append(asset.model_copy(update={"profile_mw": tuple(values.tolist())}))
            else:
                capacity = asset.capacity_mw or 1.0
                values[start : start + hours] = np.clip(mw / capacity, 0.0, 1.0)
                assets.append(asset.model_copy(update={"availability": tuple(values.tolist())}))
        participants.append(participant.model_copy(update={"assets": tuple(assets)}))
    return cluster.model_copy(update={"participants": tuple(participants)})


def _safe_totals(values: Mapping[str, float], figures: dict[str, float]) -> dict[str, Any]:
    """Cluster-level figures, released when the members behind them pass the safe-aggregate
    rules (at least k members, none above p% of the total of ``values``)."""
    frame = pd.DataFrame({"tenant": list(values), "value": [abs(v) for v in values.values()]})
    frame["cluster"] = "total"
    cell = safe_table(frame, by=["cluster"], value="value", contributor="tenant", rules=Rules())[0]
    if cell.suppressed:
        return {"released": False, "reason": cell.reason}
    return {"released": True, **{k: float(v) for k, v in figures.items()}}


#: A member's own dispatch in an energy run: MWh over the run of each of its kinds of column.
OWN_ENERGY = (
    "generator-output",
    "storage-charge",
    "storage-discharge",
    "converter-flow",
    "demand-shift-up",
    "demand-shift-down",
    "demand-curtailment",
    "demand-lost",
    "market-buy",
    "market-sell",
    "grid-draw",
)


def _own_dispatch(solver: Solver, run: Run) -> dict[str, dict[str, Any]]:
    """Each participant's own dispatch in a run: MWh by kind of column and its grid draw (MW,
    positive when drawing) step by step."""
    data = solver.built.data
    dt = data.step_hours
    n = len(solver.participants)
    totals: dict[str, np.ndarray] = {}
    for name in OWN_ENERGY:
        if name not in solver.built.model.variables:
            continue
        columns = solver.columns(name)
        owners = solver.col_owner[columns]
        keep = owners >= 0
        totals[name] = dt * np.bincount(
            owners[keep], weights=run.columns[columns][keep], minlength=n
        )
    draw = solver.values(run, "grid-draw")
    by_participant = draw.groupby(data.draws.participant.rename("participant")).sum()
    out: dict[str, dict[str, Any]] = {}
    for i, p in enumerate(solver.participants):
        profile = (
            by_participant.sel(participant=p).values.tolist()
            if p in by_participant.participant.values
            else [0.0] * len(data.time)
        )
        out[p] = {
            "energy_mwh": {name: float(v[i]) for name, v in totals.items() if v[i]},
            "grid_draw_mw": profile,
        }
    return out


def _energy(cluster: Cluster, request: RunRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    options = DispatchOptions(start=request.start, steps=request.hours)
    solver = prepare(cluster, options=options)
    joint_run = solver.joint()
    joint = summarize_run(solver, joint_run)
    standalone = summarize_run(solver, solver.standalone())
    result = CollaborationResult(joint=joint, standalone=standalone, build_seconds=0.0)
    dispatch = _own_dispatch(solver, joint_run)
    alone = result.standalone_cost_eur
    members = [p for p in _members(cluster) if p in alone]
    total_alone = sum(alone[p] for p in members)
    # each member's part of the saving in proportion to its stand-alone cost (the simple,
    # published rule; the sharing engine offers the stable ones)
    parts: dict[str, Any] = {}
    for p in members:
        share = result.saving_eur * alone[p] / total_alone if total_alone else 0.0
        parts[p] = {
            "standalone_cost_eur": alone[p],
            "saving_share_eur": share,
            "joint_cost_eur": alone[p] - share,
            "dispatch": dispatch[p],
        }
    summary = _safe_totals(
        {p: alone[p] for p in members},
        {
            "joint_cost_eur": result.joint.total_cost_eur,
            "standalone_total_eur": result.standalone.total_cost_eur,
            "saving_eur": result.saving_eur,
            "saving_pct": result.saving_pct,
            "emissions_t": result.joint.emissions_t,
            "congested_hours": sum(result.joint.congested_hours.values()),
        },
    )
    return parts, summary


def _sharing(cluster: Cluster, request: RunRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    game = EnergyGame(cluster, options=DispatchOptions(start=request.start, steps=request.hours))
    allocation = allocate(game, Method(request.method), unit="EUR")
    parts = {
        p: {
            "standalone_cost_eur": game.standalone_cost[p],
            "share_eur": allocation.shares[p],
            "cost_after_sharing_eur": game.standalone_cost[p] - allocation.shares[p],
        }
        for p in allocation.players
        if p in _members(cluster)
    }
    summary = _safe_totals(
        {p: game.standalone_cost[p] for p in parts},
        {"saving_eur": allocation.total},
    )
    summary["method"] = allocation.method
    summary["stable"] = allocation.certificate.stable
    return parts, summary


def _symbiosis(cluster: Cluster, request: RunRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    found = match(cluster, top=request.top)
    owner = {s.id: p.id for p in cluster.participants for s in p.streams}
    streams = {s.id: s for p in cluster.participants for s in p.streams}
    parts: dict[str, Any] = {p: {"matches": []} for p in _members(cluster)}
    pairs = set()
    for stream, candidates in found.items():
        for m in candidates:
            other = m.receiver if m.supplier == stream else m.supplier
            if owner[other] == owner[stream]:
                continue
            pairs.add((m.supplier, m.receiver))
            # the counterpart's company, resource and the fit; not its quantities or prices
            parts[owner[stream]]["matches"].append(
                {
                    "stream": stream,
                    "counterpart": owner[other],
                    "counterpart_resource": streams[other].resource_class,
                    "score": m.score,
                    "distance_km": m.distance_km,
                    "mode": m.mode,
                    "treatment": m.treatment,
                }
            )
    counts = {p: float(len(v["matches"])) for p, v in parts.items()}
    summary = _safe_totals(counts, {"candidate_pairs": len(pairs)})
    return parts, summary


def _symbiosis_cluster(cluster: Cluster, inputs: Mapping[str, _Input]) -> Cluster:
    """The cluster with each included member's streams as it shared them."""
    cleared = cluster.model_copy(
        update={
            "participants": tuple(
                p.model_copy(update={"streams": ()}) if p.id in inputs else p
                for p in cluster.participants
            ),
            "exchanges": (),
        }
    )
    streams = []
    for participant, shared in inputs.items():
        where = f"{participant}/symbiosis-streams v{shared.version}"
        own = {s.id for s in cleared.participant(participant).sites}
        try:
            found = streams_from_table(pd.DataFrame(shared.rows), cluster=cleared)
        except InputError as error:
            first = error.problems[0]
            at = f"row {first.line}, column {first.column}" if first.line else first.path
            raise InputError.single(first.expected, first.found, path=f"{where}: {at}") from None
        for stream in found:
            if stream.site not in own:
                raise InputError.single(
                    f"a site of {participant}", stream.site, path=f"{where}.site"
                )
        streams.extend(found)
    return add_streams(cleared, streams)


# --- runs -----------------------------------------------------------------------------------------
def _execute(
    session: Session,
    subject: Subject,
    request: RunRequest,
    now: datetime,
    pinned: Mapping[str, int] | None = None,
) -> tuple[dict[str, _Input], dict[str, str], dict[str, Any], dict[str, Any], str]:
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
    inputs: dict[str, _Input] = {}
    left_out: dict[str, str] = {}
    for participant in _members(cluster):
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
                ready = _symbiosis_cluster(base, kept)
            else:
                ready = _profiles(base, kept, request.start, request.hours)
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
    engine = {"energy": _energy, "sharing": _sharing, "symbiosis": _symbiosis}[request.engine]
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
