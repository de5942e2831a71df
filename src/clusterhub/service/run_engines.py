"""The engines on what members shared: their data put into the cluster description, each engine
run on the result, and each member's part of the answer apart from the cluster-level figures.

Why apart from ``runs``: that module decides whose data may be read and stores the run; this
one only turns shared rows into a cluster and an engine's result into parts. It reads nothing
and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clusterhub import sharing
from clusterhub.collab import Form, Rules, safe_table
from clusterhub.energy import DispatchOptions, DispatchResult, compare
from clusterhub.errors import InputError
from clusterhub.model import Cluster, Demand, Generator
from clusterhub.service.energy_game import EnergyGame
from clusterhub.sharing import Method
from clusterhub.symbiosis import add_streams, match, streams_from_table

__all__ = [
    "ENGINE_RUNS",
    "RunRequest",
    "SharedInput",
    "energy_run",
    "member_ids",
    "sharing_run",
    "symbiosis_run",
    "with_profiles",
    "with_streams",
]


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
class SharedInput:
    participant: str
    dataset: str
    version: int
    sha256: str
    rows: list[dict[str, Any]]
    form: Form


def member_ids(cluster: Cluster) -> list[str]:
    return [p.id for p in cluster.participants if p.kind != "grid_operator"]


# --- the engines on what was shared ---------------------------------------------------------------
def with_profiles(
    cluster: Cluster, inputs: Mapping[str, SharedInput], start: int, hours: int
) -> Cluster:
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


def _own_dispatch(run: DispatchResult, participant: str) -> dict[str, Any]:
    """A participant's own dispatch in a run: MWh by kind of flow it had (the engine's
    ``energy_by_participant_mwh``, zeros left out) and its grid draw (MW, positive when
    drawing) step by step."""
    energy = run.energy_by_participant_mwh.get(participant, {})
    return {
        "energy_mwh": {name: mwh for name, mwh in energy.items() if mwh},
        "grid_draw_mw": run.grid_draw_mw.sel(participant=participant).values.tolist(),
    }


def energy_run(cluster: Cluster, request: RunRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    result = compare(cluster, options=DispatchOptions(start=request.start, steps=request.hours))
    alone = result.standalone_cost_eur
    members = [p for p in member_ids(cluster) if p in alone]
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
            "dispatch": _own_dispatch(result.joint, p),
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


def sharing_run(cluster: Cluster, request: RunRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    game = EnergyGame(cluster, options=DispatchOptions(start=request.start, steps=request.hours))
    allocation = sharing.allocate(game, Method(request.method), unit="EUR")
    parts = {
        p: {
            "standalone_cost_eur": game.standalone_cost[p],
            "share_eur": allocation.shares[p],
            "cost_after_sharing_eur": game.standalone_cost[p] - allocation.shares[p],
        }
        for p in allocation.players
        if p in member_ids(cluster)
    }
    summary = _safe_totals(
        {p: game.standalone_cost[p] for p in parts},
        {"saving_eur": allocation.total},
    )
    summary["method"] = allocation.method
    summary["stable"] = allocation.certificate.stable
    return parts, summary


def symbiosis_run(cluster: Cluster, request: RunRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    found = match(cluster, top=request.top)
    owner = {s.id: p.id for p in cluster.participants for s in p.streams}
    streams = {s.id: s for p in cluster.participants for s in p.streams}
    parts: dict[str, Any] = {p: {"matches": []} for p in member_ids(cluster)}
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


def with_streams(cluster: Cluster, inputs: Mapping[str, SharedInput]) -> Cluster:
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


#: Engine name -> the function that runs it on the prepared cluster.
ENGINE_RUNS = {"energy": energy_run, "sharing": sharing_run, "symbiosis": symbiosis_run}
