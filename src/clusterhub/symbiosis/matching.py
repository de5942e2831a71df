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
from dataclasses import dataclass, field

import numpy as np

from clusterhub.errors import InputError, Problem
from clusterhub.model import Cluster, Participant, Stream
from clusterhub.model.streams import Fate, QualityRange
from clusterhub.model.units import AMOUNT_DIMENSIONS, dimension_name, parse_quantity

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

#: Treatments that turn one resource class into another: (from, to) -> (treatment, cost in EUR
#: per unit delivered, kgCO2e per unit). Indicative figures; an exchange's own ``treatment``
#: in the cluster file is the authority for existing pairs.
BRIDGES: dict[tuple[str, str], tuple[str, float, float]] = {
    ("heat", "steam"): ("heat pump / mechanical vapour recompression", 15.0, 20.0),
    ("steam", "heat"): ("heat exchanger (steam to hot water)", 2.0, 0.0),
    ("acid", "salt"): ("neutralisation", 30.0, 5.0),
    ("acid", "fertiliser"): ("neutralisation with ammonia", 40.0, 10.0),
    ("alkali", "salt"): ("neutralisation", 30.0, 5.0),
    ("wastewater", "water"): ("water treatment", 0.8, 0.5),
    ("sludge", "fertiliser"): ("stabilisation and drying", 35.0, 15.0),
    ("sludge", "biogas"): ("anaerobic digestion", 25.0, 10.0),
    ("biomass", "biogas"): ("anaerobic digestion", 20.0, 10.0),
    ("biomass", "fuel"): ("drying and pelleting", 25.0, 15.0),
    ("wood", "fuel"): ("chipping", 10.0, 5.0),
    ("wood", "biomass"): ("chipping", 10.0, 5.0),
    ("fuel_gas", "natural_gas"): ("gas conditioning", 2.0, 1.0),
    ("biogas", "natural_gas"): ("upgrading to biomethane", 15.0, 5.0),
    ("co2", "chemical"): ("purification and liquefaction", 25.0, 20.0),
    ("ash", "mineral_residue"): ("screening", 5.0, 2.0),
    ("slag", "mineral_residue"): ("crushing and screening", 5.0, 2.0),
    ("mineral_residue", "gypsum"): ("gypsum recovery", 20.0, 5.0),
    ("oil", "fuel"): ("re-refining", 60.0, 100.0),
    ("solvent", "chemical"): ("distillation", 80.0, 50.0),
    ("plastic", "fuel"): ("pyrolysis", 120.0, 300.0),
}

#: Classes that move by pipe when close: they are fluids (or energy) with no trucking option.
PIPED = frozenset(
    {"steam", "heat", "water", "wastewater", "hydrogen", "natural_gas", "fuel_gas", "biogas",
     "co2", "oxygen", "nitrogen"}
)  # fmt: skip

#: Transport: (EUR per unit per km, kgCO2e per unit per km), the unit being t (m3 and MWh
#: treated alike; piped energy has no per-km haul cost beyond the pipe, counted here).
TRANSPORT: dict[str, tuple[float, float]] = {
    "pipeline": (0.02, 0.005),
    "truck": (0.12, 0.10),
    "rail": (0.05, 0.03),
    "ship": (0.03, 0.015),
}

#: Fates of an output that leave it free to take (it is wasted, or kept for lack of a taker).
FREE = frozenset(
    {Fate.LANDFILL, Fate.DISPOSAL, Fate.DISCHARGE, Fate.INCINERATION, Fate.EMITTED, Fate.FLARED,
     Fate.STOCKPILED, Fate.NONE}
)  # fmt: skip

FEATURES = ("resource", "quality", "quantity", "distance", "availability", "timing")


def _timing(status: str) -> float:
    """Whether the participant's facility runs now, from its free-text status: an exchange
    with a plant that is closed, suspended or only planned is less likely, or later."""
    text = status.lower()
    if text.startswith(("operating", "commissioning")) or "operating" in text:
        return 1.0 if "curtailed" not in text else 0.8
    if "planned" in text or "construction" in text:
        return 0.6
    if "suspended" in text or "care and maintenance" in text:
        return 0.3
    if "closed" in text:
        return 0.1
    return 0.5


@dataclass(frozen=True)
class MatchOptions:
    weights: Mapping[str, float] = field(
        default_factory=lambda: {
            "resource": 0.35,
            "quality": 0.10,
            "quantity": 0.15,
            "distance": 0.20,
            "availability": 0.10,
            "timing": 0.10,
        }
    )
    distance_scale_km: float = 15.0  # distance score halves every ~10 km
    bridges: Mapping[tuple[str, str], tuple[str, float, float]] = field(
        default_factory=lambda: dict(BRIDGES)
    )


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


@dataclass(frozen=True)
class _Side:
    streams: list[Stream]
    site: np.ndarray  # index into sites
    cls: np.ndarray  # class code
    amount: np.ndarray  # base-unit magnitude, NaN unknown
    dim: np.ndarray  # dimension code, -1 unknown
    price: np.ndarray  # EUR per base unit (disposal fee for outputs, purchase for inputs), NaN
    emission: np.ndarray  # tCO2e per base unit, NaN


def _per_base(
    stream: Stream, field: str, numerator: str, base: str | None, problems: list[Problem]
) -> float:
    """The stream's price or emission factor per base unit of its amount (per tonne when the
    amount is unknown); NaN when not given. Why a problem and not NaN for a unit that does not
    fit the stream's own amount: a price per MWh on a stream counted in tonnes is a mistake in
    the data, and read as unknown it would silently drop out of the benefit (as zero)."""
    text = getattr(stream, field)
    if text is None:
        return float("nan")
    try:
        return float(parse_quantity(text).to(f"{numerator} / {base or 't'}").magnitude)
    except (ValueError, TypeError):  # unreadable, or pint's DimensionalityError (a TypeError)
        if base is not None:
            problems.append(
                Problem(
                    f"{numerator} per {base}, as the stream's quantity is counted in {base}",
                    repr(text),
                    f"streams[{stream.id}].{field}",
                )
            )
        return float("nan")


def _side(streams: list[Stream], sites: dict[str, int], classes: dict[str, int]) -> _Side:
    dims = list(AMOUNT_DIMENSIONS)
    amount, dim, price, emission = [], [], [], []
    problems: list[Problem] = []
    for s in streams:
        base = None
        if s.annual_quantity is not None:
            q = parse_quantity(s.annual_quantity)
            name = dimension_name(q)
            if name in AMOUNT_DIMENSIONS:
                base = AMOUNT_DIMENSIONS[name]
                amount.append(float(q.to(base).magnitude))
                dim.append(dims.index(name))
            else:
                amount.append(np.nan)
                dim.append(-1)
        else:
            amount.append(np.nan)
            dim.append(-1)
        price.append(_per_base(s, "fate_cost", "EUR", base, problems))
        emission.append(_per_base(s, "emission_factor", "tCO2e", base, problems))
    if problems:
        raise InputError(problems)
    return _Side(
        streams=streams,
        site=np.array([sites[s.site] for s in streams], dtype=np.int64),
        cls=np.array([classes[s.resource_class] for s in streams], dtype=np.int64),
        amount=np.array(amount, dtype=float),
        dim=np.array(dim, dtype=np.int64),
        price=np.array(price, dtype=float),
        emission=np.array(emission, dtype=float),
    )


def _quality(output: Stream, receiver: Stream) -> float:
    """Share of the receiver's specification the supplier is known to meet (unknown: half)."""
    spec = receiver.quality
    if not spec:
        return 1.0
    met = 0.0
    for key, wanted in spec.items():
        have = output.quality.get(key)
        if have is None:
            met += 0.5
        elif isinstance(wanted, QualityRange) and isinstance(have, int | float):
            low = wanted.min if wanted.min is not None else -math.inf
            high = wanted.max if wanted.max is not None else math.inf
            met += 1.0 if low <= have <= high else 0.0
        else:
            met += 1.0 if have == wanted else 0.0
    return met / len(spec)


def _haversine(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat), np.radians(lon)
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


@dataclass(frozen=True)
class _Scored:
    outputs: _Side
    inputs: _Side
    score: np.ndarray  # outputs x inputs (0 where not compatible)
    parts: dict[str, np.ndarray]
    bridge: dict[tuple[int, int], tuple[str, float, float]]
    distance: np.ndarray
    class_names: list[str]


def _score(cluster: Cluster, options: MatchOptions) -> _Scored:
    site_list = [site for p in cluster.participants for site in p.sites]
    sites = {s.id: i for i, s in enumerate(site_list)}
    class_names: list[str] = sorted({str(s.resource_class) for _, s in cluster.iter_streams()})
    classes = {c: i for i, c in enumerate(class_names)}
    all_streams = [s for _, s in cluster.iter_streams()]
    outputs = _side([s for s in all_streams if s.direction == "output"], sites, classes)
    inputs = _side([s for s in all_streams if s.direction == "input"], sites, classes)
    distance_km = _haversine(
        np.array([s.latitude for s in site_list]), np.array([s.longitude for s in site_list])
    )[outputs.site[:, None], inputs.site[None, :]]
    # resource: same class 1, a bridge 0.7, else 0
    same = outputs.cls[:, None] == inputs.cls[None, :]
    resource = same.astype(float)
    bridge: dict[tuple[int, int], tuple[str, float, float]] = {}
    for (a, b), how in options.bridges.items():
        if a in classes and b in classes:
            hit = (outputs.cls[:, None] == classes[a]) & (inputs.cls[None, :] == classes[b])
            resource = np.where(hit, 0.7, resource)
            bridge[(classes[a], classes[b])] = how
    # EWC: a code match confirms the class; a mismatch within a class lowers it a little
    for i, out in enumerate(outputs.streams):
        if out.ewc_code is None:
            continue
        for j, inp in enumerate(inputs.streams):
            if inp.ewc_code is not None and resource[i, j] > 0:
                resource[i, j] *= 1.0 if out.ewc_code[:8] == inp.ewc_code[:8] else 0.9
    own = outputs.site[:, None] == inputs.site[None, :]
    resource = np.where(own, 0.0, resource)  # a site does not match itself
    quality = np.ones_like(resource)
    for i, out in enumerate(outputs.streams):
        for j in np.flatnonzero(resource[i] > 0).tolist():
            quality[i, j] = _quality(out, inputs.streams[j])
    both = np.isfinite(outputs.amount)[:, None] & np.isfinite(inputs.amount)[None, :]
    comparable = both & (outputs.dim[:, None] == inputs.dim[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.minimum(outputs.amount[:, None], inputs.amount[None, :]) / np.maximum(
            outputs.amount[:, None], inputs.amount[None, :]
        )
    quantity = np.where(comparable, np.nan_to_num(ratio, nan=0.0), 0.5)
    distance = np.exp(-distance_km / options.distance_scale_km)
    availability = np.array([1.0 if s.fate in FREE else 0.3 for s in outputs.streams])[:, None]
    availability = np.broadcast_to(availability, resource.shape)
    status = {s.id: _timing(p.status) for p in cluster.participants for s in p.sites}
    timing = np.minimum(
        np.array([status[s.site] for s in outputs.streams])[:, None],
        np.array([status[s.site] for s in inputs.streams])[None, :],
    )
    parts = {
        "resource": resource,
        "quality": quality,
        "quantity": quantity,
        "distance": distance,
        "availability": availability,
        "timing": timing,
    }
    w = options.weights
    score = sum(w.get(k, 0.0) * v for k, v in parts.items())
    score = np.where(resource > 0, score, 0.0)
    return _Scored(outputs, inputs, np.asarray(score), parts, bridge, distance_km, class_names)


def _mode(resource: str, km: float) -> str:
    if resource in PIPED and km <= 10.0:
        return "pipeline"
    if km > 300.0:
        return "ship"
    return "rail" if km > 100.0 else "truck"


def _match(s: _Scored, i: int, j: int) -> Match:
    out, inp = s.outputs.streams[i], s.inputs.streams[j]
    km = float(s.distance[i, j])
    mode = _mode(out.resource_class, km)
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
            "avoided_disposal": float(quantity * _nan0(s.outputs.price[i]))
            if out.fate in FREE
            else 0.0,
            "avoided_purchase": float(quantity * _nan0(s.inputs.price[j])),
            "transport": float(-quantity * km * haul),
            "treatment": float(-quantity * treatment_cost),
        }
        benefit = float(sum(parts.values()))
        co2e = float(
            quantity * (_nan0(s.inputs.emission[j]) + _nan0(s.outputs.emission[i]))
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


def _nan0(value: float) -> float:
    return 0.0 if not math.isfinite(value) else float(value)


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
    scored = _score(cluster, options or MatchOptions())
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
    scored = _score(cluster, options)
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
    scored = _score(cluster, options or MatchOptions())
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
    scored = _score(grown, options or MatchOptions())
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
