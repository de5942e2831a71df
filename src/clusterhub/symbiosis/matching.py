"""Who could use whose output: candidate matches with an explainable score and their value.

Why a transparent score rather than a learned recommender: a council has to defend each
suggestion to two companies, so every match carries its parts (is it the same resource or can a
treatment bridge the two, does the quality fit the receiver's specification, do the quantities
overlap, how far apart are they, is the output free today) and its annual net benefit in EUR
(avoided disposal + avoided purchase - transport - treatment) and avoided CO2e; timing comes from
the two facilities' status (operating, planned, suspended, closed). The weights were
chosen by hand and are checked by ``evaluate``: hide known exchanges, see whether they come back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from clusterhub.errors import InputError, Problem
from clusterhub.model import Cluster, Participant
from clusterhub.model.units import AMOUNT_DIMENSIONS
from clusterhub.symbiosis.scoring import (
    BRIDGES,
    FEATURES,
    FREE,
    TRANSPORT,
    MatchOptions,
    Scored,
    nan0,
    score_matches,
    transport_mode,
)

__all__ = [
    "BRIDGES",
    "FEATURES",
    "EntrantFit",
    "Evaluation",
    "Match",
    "MatchOptions",
    "entrant",
    "evaluate",
    "match",
    "replacements",
]


@dataclass(frozen=True)
class Match:
    """One candidate: an output that could feed an input, why, and what it would be worth."""

    supplier: str  # output stream
    receiver: str  # input stream
    supplier_site: str
    receiver_site: str
    score: float
    parts: dict[str, float]  # feature -> score in [0, 1]
    treatment: str | None
    distance_km: float
    mode: str
    quantity: float | None  # the overlap per year, in ``unit``
    unit: str
    net_benefit_eur: float | None  # per year; None where quantities or prices are missing
    benefit_parts_eur: dict[str, float]
    avoided_co2e_t: float | None


def _match(s: Scored, i: int, j: int) -> Match:
    out, inp = s.outputs.streams[i], s.inputs.streams[j]
    km = float(s.distance[i, j])
    mode = transport_mode(out.resource_class, km)
    how = s.bridge.get((int(s.outputs.cls[i]), int(s.inputs.cls[j])))
    treatment_cost, treatment_co2 = (how[1], how[2] / 1000.0) if how else (0.0, 0.0)
    comparable = (
        np.isfinite(s.outputs.amount[i])
        and np.isfinite(s.inputs.amount[j])
        and s.outputs.dim[i] == s.inputs.dim[j]
    )
    quantity = min(s.outputs.amount[i], s.inputs.amount[j]) if comparable else None
    unit = list(AMOUNT_DIMENSIONS.values())[s.outputs.dim[i]] if s.outputs.dim[i] >= 0 else ""
    benefit = None
    co2e = None
    parts: dict[str, float] = {}
    if quantity is not None:
        haul, haul_co2 = TRANSPORT[mode]
        parts = {
            "avoided_disposal": float(quantity * nan0(s.outputs.price[i]))
            if out.fate in FREE
            else 0.0,
            "avoided_purchase": float(quantity * nan0(s.inputs.price[j])),
            "transport": float(-quantity * km * haul),
            "treatment": float(-quantity * treatment_cost),
        }
        benefit = float(sum(parts.values()))
        co2e = float(
            quantity * (nan0(s.inputs.emission[j]) + nan0(s.outputs.emission[i]))
            - quantity * km * haul_co2 / 1000.0
            - quantity * treatment_co2
        )
    return Match(
        supplier=out.id,
        receiver=inp.id,
        supplier_site=out.site,
        receiver_site=inp.site,
        score=float(s.score[i, j]),
        parts={k: float(v[i, j]) for k, v in s.parts.items()},
        treatment=how[0] if how else None,
        distance_km=km,
        mode=mode,
        quantity=float(quantity) if quantity is not None else None,
        unit=unit,
        net_benefit_eur=benefit,
        benefit_parts_eur=parts,
        avoided_co2e_t=co2e,
    )


def match(
    cluster: Cluster,
    *,
    top: int = 5,
    options: MatchOptions | None = None,
    existing: bool = False,
) -> dict[str, list[Match]]:
    """For every output stream, its ``top`` candidate inputs, best first (and, under the
    input's id, its ``top`` candidate sources). Pairs already exchanged are left out unless
    ``existing``."""
    scored = score_matches(cluster, options or MatchOptions())
    known = {(e.supplier, e.receiver) for e in cluster.exchanges}
    result: dict[str, list[Match]] = {}
    score = scored.score.copy()
    if not existing:
        for i, out in enumerate(scored.outputs.streams):
            for j, inp in enumerate(scored.inputs.streams):
                if (out.id, inp.id) in known:
                    score[i, j] = 0.0
    for i, out in enumerate(scored.outputs.streams):
        order = np.argsort(-score[i], kind="stable")[:top]
        result[out.id] = [_match(scored, i, int(j)) for j in order if score[i, j] > 0]
    for j, inp in enumerate(scored.inputs.streams):
        order = np.argsort(-score[:, j], kind="stable")[:top]
        result[inp.id] = [_match(scored, int(i), j) for i in order if score[i, j] > 0]
    return result


@dataclass(frozen=True)
class Evaluation:
    """Known exchanges hidden: does the matcher bring them back?

    Each output stream with known receivers is a query; its known receivers are the relevant
    answers, all hidden (every pair is scored as if no exchange were known). Ties count against
    the matcher (a receiver tied with others is ranked after all of them)."""

    queries: int
    exchanges: int
    recall_at: dict[int, float]  # k -> share of a query's receivers found in its top k (mean)
    precision_at: dict[int, float]  # k -> receivers in the top k / k (mean)
    unreachable: int  # known exchanges the matcher scores 0 (incompatible classes, no bridge)
    without: dict[str, dict[int, float]]  # feature left out -> precision at k


def evaluate(
    cluster: Cluster, *, ks: Sequence[int] = (1, 5, 10), options: MatchOptions | None = None
) -> Evaluation:
    """Score the hidden exchanges, then again with each scoring feature left out (its weight
    set to 0; the resource feature stays a gate, since an incompatible pair is never shown)."""
    options = options or MatchOptions()
    queries, exchanges, recall, precision, unreachable = _retrieval(cluster, ks, options)
    without = {}
    for feature in FEATURES:
        weights = dict(options.weights)
        weights[feature] = 1e-9 if feature == "resource" else 0.0
        ablated = MatchOptions(weights, options.distance_scale_km, options.bridges)
        without[feature] = _retrieval(cluster, ks, ablated)[3]
    return Evaluation(queries, exchanges, recall, precision, unreachable, without)


def _retrieval(
    cluster: Cluster, ks: Sequence[int], options: MatchOptions
) -> tuple[int, int, dict[int, float], dict[int, float], int]:
    scored = score_matches(cluster, options)
    out_index = {s.id: i for i, s in enumerate(scored.outputs.streams)}
    in_index = {s.id: j for j, s in enumerate(scored.inputs.streams)}
    relevant: dict[int, set[int]] = {}
    for exchange in cluster.exchanges:
        relevant.setdefault(out_index[exchange.supplier], set()).add(in_index[exchange.receiver])
    recall: dict[int, list[float]] = {k: [] for k in ks}
    precision: dict[int, list[float]] = {k: [] for k in ks}
    unreachable = 0
    for i, answers in relevant.items():
        row = scored.score[i]
        # pessimistic rank of each input: how many score at least as high
        rank = {j: int(np.sum(row >= row[j])) if row[j] > 0 else math.inf for j in answers}
        unreachable += sum(1 for r in rank.values() if r == math.inf)
        for k in ks:
            found = sum(1 for r in rank.values() if r <= k)
            recall[k].append(found / len(answers))
            precision[k].append(found / k)
    exchanges = sum(len(a) for a in relevant.values())
    return (
        len(relevant),
        exchanges,
        {k: float(np.mean(v)) if v else 0.0 for k, v in recall.items()},
        {k: float(np.mean(v)) if v else 0.0 for k, v in precision.items()},
        unreachable,
    )


def replacements(
    cluster: Cluster,
    lost: Mapping[str, str],
    down: set[str],
    *,
    top: int = 3,
    options: MatchOptions | None = None,
) -> dict[str, list[Match]]:
    """For each lost input (input stream -> its facility), the best sources at facilities that
    keep running (``down`` are the sites the event stops or slows)."""
    scored = score_matches(cluster, options or MatchOptions())
    in_index = {s.id: j for j, s in enumerate(scored.inputs.streams)}
    running = np.array([s.site not in down for s in scored.outputs.streams])
    result: dict[str, list[Match]] = {}
    for stream in lost:
        j = in_index.get(stream)
        if j is None:
            continue
        column = np.where(running, scored.score[:, j], 0.0)
        order = np.argsort(-column, kind="stable")[:top]
        result[stream] = [_match(scored, int(i), j) for i in order if column[i] > 0]
    return result


@dataclass(frozen=True)
class EntrantFit:
    """What a new facility would find: outputs of the cluster its inputs could take, and
    inputs of the cluster its outputs could feed."""

    participant: str
    absorbs: dict[str, list[Match]]  # entrant's input stream -> sources in the cluster
    supplies: dict[str, list[Match]]  # entrant's output stream -> receivers in the cluster


def entrant(
    cluster: Cluster, participant: Participant, *, top: int = 5, options: MatchOptions | None = None
) -> EntrantFit:
    """The fit of ``participant`` (with its sites and streams) if it joined ``cluster``."""
    problems = []
    taken_sites = {s.id for p in cluster.participants for s in p.sites}
    taken_streams = {s.id for _, s in cluster.iter_streams()}
    own_sites = {s.id for s in participant.sites}
    if participant.id in {p.id for p in cluster.participants}:
        problems.append(Problem("a participant id not yet in the cluster", participant.id, "id"))
    for k, site in enumerate(participant.sites):
        if site.id in taken_sites:
            problems.append(Problem("a site id not yet in the cluster", site.id, f"sites[{k}].id"))
    for k, stream in enumerate(participant.streams):
        if stream.id in taken_streams:
            problems.append(
                Problem("a stream id not yet in the cluster", stream.id, f"streams[{k}].id")
            )
        if stream.site not in own_sites:
            problems.append(
                Problem(f"one of the entrant's sites ({', '.join(sorted(own_sites))})",
                        stream.site, f"streams[{k}].site")
            )  # fmt: skip
    if problems:
        raise InputError(problems)
    grown = cluster.model_copy(update={"participants": (*cluster.participants, participant)})
    scored = score_matches(grown, options or MatchOptions())
    absorbs: dict[str, list[Match]] = {}
    supplies: dict[str, list[Match]] = {}
    for j, inp in enumerate(scored.inputs.streams):
        if inp.site in own_sites:
            column = scored.score[:, j]
            order = np.argsort(-column, kind="stable")[:top]
            absorbs[inp.id] = [_match(scored, int(i), j) for i in order if column[i] > 0]
    for i, out in enumerate(scored.outputs.streams):
        if out.site in own_sites:
            row = scored.score[i]
            order = np.argsort(-row, kind="stable")[:top]
            supplies[out.id] = [_match(scored, i, int(j)) for j in order if row[j] > 0]
    return EntrantFit(participant.id, absorbs, supplies)
