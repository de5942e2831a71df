"""The Kwinana Industrial Area symbiosis registry: a published backbone plus seeded synthetic fill.

Why two parts: the public record names 54 companies and over 150 exchanges but documents only a
few of them; an engine needs the full-sized network to be tested at its real scale, while a council
must never mistake a made-up flow for a fact. So the backbone (``data/kwinana/backbone.yaml``)
holds only what sources say, each record with its citation, and this module adds plausible
companies and exchanges from a fixed seed, each tagged ``synthetic`` with the generator and seed
as its source. The generator's parameters (stream templates, sector pairings, plant years) live
in ``data/kwinana/synthetic.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

from clusterhub.examples import load_packaged
from clusterhub.model import (
    Cluster,
    Exchange,
    Participant,
    Provenance,
    Site,
    Stream,
    TransportMode,
)
from clusterhub.model.units import parse_quantity

__all__ = ["build"]

#: Road and pipe routes are longer than the straight line between two sites.
_ROUTE_FACTOR = {"truck": 1.3, "pipeline": 1.1}
#: At most this many receivers per synthetic supply and suppliers per synthetic demand: a real
#: registry has a few partners per stream, not a complete graph.
_MAX_RECEIVERS = 3
_MAX_SUPPLIERS = 6


def build() -> Cluster:
    """The registry at the public scale: backbone facts plus synthetic fill from a fixed seed."""
    backbone = load_packaged("kwinana", "backbone.yaml")
    text = resources.files("clusterhub.examples").joinpath("data", "kwinana", "synthetic.yaml")
    parameters = yaml.load(text.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return _Generator(backbone, parameters).cluster()


@dataclass
class _Slot:
    """A stream open to synthetic exchanges, with what is left of its (drawn) annual amount."""

    participant: Participant
    site: Site
    stream_id: str
    name: str
    unit: str
    capacity: float
    opened: int
    closed: int | None
    remaining: float = 0.0
    partners: int = 0

    def __post_init__(self) -> None:
        self.remaining = self.capacity


class _Generator:
    """Draws synthetic companies, streams and exchanges, always in the same order from one seed."""

    def __init__(self, backbone: Cluster, parameters: dict[str, Any]) -> None:
        self.backbone = backbone
        self.p = parameters
        self.templates: dict[str, dict[str, Any]] = parameters["streams"]
        self.rng = np.random.default_rng(parameters["seed"])
        self.source: str = parameters["source"]
        self.outputs: dict[str, list[_Slot]] = {}
        self.inputs: dict[str, list[_Slot]] = {}

    def cluster(self) -> Cluster:
        participants = [self._extend(p) for p in self.backbone.participants]
        participants += self._companies()
        exchanges = (*self.backbone.exchanges, *self._exchanges())
        fields = {name: getattr(self.backbone, name) for name in Cluster.model_fields}
        return Cluster.model_validate(
            {**fields, "participants": tuple(participants), "exchanges": exchanges}
        )

    # --- streams --------------------------------------------------------------------------------
    def _draw(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def _stream(
        self,
        participant: Participant,
        site: Site,
        key: str,
        *,
        size: float,
        opened: int,
        closed: int | None,
    ) -> Stream:
        template = self.templates[key]
        unit: str = template["unit"]
        amount = self._draw(*template["range"]) * size
        record: dict[str, Any] = {
            "id": f"{participant.id}-{key}",
            "site": site.id,
            "direction": template["direction"],
            "name": template["name"],
            "resource_class": template["class"],
            "ewc_code": template.get("ewc"),
            "annual_quantity": _amount(amount, unit),
            "fate": template["fate"],
            "provenance": "synthetic",
            "source": self.source,
        }
        if "cost" in template:
            record["fate_cost"] = _amount(self._draw(*template["cost"]), f"EUR/{unit}")
        if "ef" in template:
            record["emission_factor"] = _amount(self._draw(*template["ef"]), f"tCO2e/{unit}")
        stream = Stream.model_validate(record)
        self._offer(participant, site, stream.id, key, amount=amount, opened=opened, closed=closed)
        return stream

    def _offer(
        self,
        participant: Participant,
        site: Site,
        stream_id: str,
        key: str,
        *,
        amount: float,
        opened: int,
        closed: int | None,
    ) -> None:
        template = self.templates[key]
        slot = _Slot(
            participant, site, stream_id, template["name"], template["unit"], amount, opened, closed
        )
        side = self.outputs if template["direction"] == "output" else self.inputs
        side.setdefault(key, []).append(slot)

    def _extend(self, participant: Participant) -> Participant:
        """Backbone participants get synthetic side streams (scrap, oil, water ...) beside their
        sourced ones; sourced streams with no public amount join with a drawn, unwritten one."""
        plan = self.p["backbone"].get(participant.id)
        if plan is None:
            return participant
        sites = {site.id: site for site in participant.sites}
        opened: int = plan["open"]
        added = []
        for entry in plan["streams"]:
            key, _, closed_text = entry.partition("/")
            key, _, site_id = key.partition("@")
            site = sites[site_id] if site_id else participant.sites[0]
            closed = int(closed_text) if closed_text else plan.get("close")
            added.append(
                self._stream(
                    participant, site, key, size=plan["size"], opened=opened, closed=closed
                )
            )
        streams = {stream.id: stream for stream in participant.streams}
        for stream_id, key in plan.get("map", {}).items():
            stream = streams[stream_id]
            template = self.templates[key]
            if stream.annual_quantity is None:
                amount = self._draw(*template["range"]) * plan["size"]
            else:
                amount = _convert(stream.annual_quantity, template["unit"])
            self._offer(
                participant,
                sites[stream.site],
                stream.id,
                key,
                amount=amount,
                opened=opened,
                closed=plan.get("close"),
            )
        return participant.model_copy(update={"streams": (*participant.streams, *added)})

    # --- companies ------------------------------------------------------------------------------
    def _companies(self) -> list[Participant]:
        """Every archetype once, the rest drawn by weight, so each sector pairing has partners."""
        archetypes: dict[str, dict[str, Any]] = self.p["archetypes"]
        names = list(archetypes)
        weights = np.array([self.p["weights"][name] for name in names], dtype=float)
        extra = self.rng.choice(
            names, size=self.p["companies"] - len(names), p=weights / weights.sum()
        )
        chosen = [names[i] for i in self.rng.permutation(len(names))] + [str(n) for n in extra]
        box = self.p["site_box"]
        companies = []
        for number, kind in enumerate(chosen, start=1):
            archetype = archetypes[kind]
            ident = f"s{number:02d}-{kind}"
            site = Site(
                id=ident,
                name=f"{archetype['label']} site (synthetic)",
                latitude=round(self._draw(box["south"], box["north"]), 4),
                longitude=round(self._draw(box["west"], box["east"]), 4),
            )
            company = Participant(
                id=ident,
                name=f"S{number:02d} {archetype['label']} (synthetic)",
                nace=archetype["nace"],
                description="Synthetic company standing in for an unnamed member of the "
                "registry; not a real firm.",
                sites=(site,),
                provenance="synthetic",
                source=self.source,
            )
            opened = int(self.rng.integers(1975, 2019))
            size = self._draw(*archetype["size"])
            streams = tuple(
                self._stream(company, site, key, size=size, opened=opened, closed=None)
                for key in archetype["streams"]
            )
            companies.append(company.model_copy(update={"streams": streams}))
        return companies

    # --- exchanges ------------------------------------------------------------------------------
    def _exchanges(self) -> list[Exchange]:
        """Round-robin over the sector pairings so that no one kind of flow fills the registry."""
        queues = []
        for rule in self.p["rules"]:
            out_key, in_key, mode = rule[:3]
            pairs = [
                (supplier, receiver)
                for supplier in self.outputs.get(out_key, [])
                for receiver in self.inputs.get(in_key, [])
                if supplier.participant.id != receiver.participant.id
            ]
            order = self.rng.permutation(len(pairs))
            queues.append(([pairs[i] for i in order], mode, rule[3] if len(rule) > 3 else None))
        target: int = self.p["exchanges"]
        exchanges: list[Exchange] = []
        progress = True
        while progress and len(exchanges) < target:
            progress = False
            for pairs, mode, treatment in queues:
                while pairs and len(exchanges) < target:
                    supplier, receiver = pairs.pop()
                    made = self._exchange(len(exchanges) + 1, supplier, receiver, mode, treatment)
                    if made is not None:
                        exchanges.append(made)
                        progress = True
                        break
        return exchanges

    def _exchange(
        self, number: int, supplier: _Slot, receiver: _Slot, mode: str, treatment: str | None
    ) -> Exchange | None:
        first = max(supplier.opened, receiver.opened, self.p["first_year"])
        closes = [c for c in (supplier.closed, receiver.closed) if c is not None]
        last = min([*closes, self.p["last_year"]])
        if first > last or supplier.partners >= _MAX_RECEIVERS:
            return None
        if receiver.partners >= _MAX_SUPPLIERS:
            return None
        wanted = receiver.remaining * _convert(f"1 {receiver.unit}", supplier.unit)
        room = min(supplier.remaining, wanted)
        if room < 0.05 * min(supplier.capacity, wanted + 1e-9) or room <= 0:
            return None
        amount = self._draw(0.3, 0.9) * room
        supplier.remaining -= amount
        receiver.remaining -= amount * _convert(f"1 {supplier.unit}", receiver.unit)
        supplier.partners += 1
        receiver.partners += 1
        start = int(self.rng.integers(first, last + 1))
        end = min(closes) if closes else None
        if end is None and start < 2023 and self.rng.random() < self.p["ended_share"]:
            end = int(self.rng.integers(start + 1, 2024))
        straight = _distance_km(supplier.site, receiver.site)
        return Exchange(
            id=f"S{number:03d}",
            supplier=supplier.stream_id,
            receiver=receiver.stream_id,
            description=f"Synthetic: {supplier.name} from {supplier.participant.name} "
            f"to {receiver.participant.name}.",
            mode=TransportMode(mode),
            distance_km=round(straight * _ROUTE_FACTOR.get(mode, 1.0), 1),
            annual_quantity=_amount(amount, supplier.unit),
            treatment=treatment,
            start_year=start,
            end_year=end,
            provenance=Provenance.SYNTHETIC,
            source=self.source,
        )


def _amount(value: float, unit: str) -> str:
    """Three significant figures, no exponent: synthetic figures should not look precise."""
    if value <= 0:
        return f"0 {unit}"
    places = 2 - math.floor(math.log10(value))
    rounded = round(value, places)
    return f"{rounded:.{max(places, 0)}f} {unit}"


def _convert(quantity: str, unit: str) -> float:
    return float(parse_quantity(quantity).to(unit).magnitude)


def _distance_km(a: Site, b: Site) -> float:
    """Great-circle distance; enough at the scale of an industrial area."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))
