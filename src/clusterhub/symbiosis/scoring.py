"""The matcher's scoring, shared by matching (ranked candidates) and allocation (the plan).

Why a module of its own: both need the same compatibility, distance, quality and timing parts
and the same transport and treatment figures; allocation used to import the matcher's private
names, so a change to one would silently change the other.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from clusterhub.errors import InputError, Problem
from clusterhub.model import Cluster, Stream
from clusterhub.model.streams import Fate, QualityRange
from clusterhub.model.units import AMOUNT_DIMENSIONS, dimension_name, parse_quantity

__all__ = [
    "BRIDGES",
    "FEATURES",
    "FREE",
    "TRANSPORT",
    "MatchOptions",
    "Scored",
    "Side",
    "nan0",
    "score_matches",
    "transport_mode",
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
class Side:
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


def side(streams: list[Stream], sites: dict[str, int], classes: dict[str, int]) -> Side:
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
    return Side(
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
class Scored:
    outputs: Side
    inputs: Side
    score: np.ndarray  # outputs x inputs (0 where not compatible)
    parts: dict[str, np.ndarray]
    bridge: dict[tuple[int, int], tuple[str, float, float]]
    distance: np.ndarray
    class_names: list[str]


def score_matches(cluster: Cluster, options: MatchOptions) -> Scored:
    site_list = [site for p in cluster.participants for site in p.sites]
    sites = {s.id: i for i, s in enumerate(site_list)}
    class_names: list[str] = sorted({str(s.resource_class) for _, s in cluster.iter_streams()})
    classes = {c: i for i, c in enumerate(class_names)}
    all_streams = [s for _, s in cluster.iter_streams()]
    outputs = side([s for s in all_streams if s.direction == "output"], sites, classes)
    inputs = side([s for s in all_streams if s.direction == "input"], sites, classes)
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
    return Scored(outputs, inputs, np.asarray(score), parts, bridge, distance_km, class_names)


def transport_mode(resource: str, km: float) -> str:
    if resource in PIPED and km <= 10.0:
        return "pipeline"
    if km > 300.0:
        return "ship"
    return "rail" if km > 100.0 else "truck"


def nan0(value: float) -> float:
    return 0.0 if not math.isfinite(value) else float(value)
