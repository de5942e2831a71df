"""Small symbiosis networks built from a compact spec, for hand-computed cascades."""

from __future__ import annotations

from datetime import datetime

from clusterhub.model import (
    Cluster,
    Exchange,
    Horizon,
    Location,
    Participant,
    Site,
    Stream,
)

#: (supplier, receiver, resource class, quantity, receiving input's name)
Flow = tuple[str, str, str, str | None, str]


def network_cluster(
    facilities: list[str], flows: list[Flow], needs: dict[tuple[str, str], str] | None = None
) -> Cluster:
    """One participant per facility (one site each); each flow gets its own output stream and
    feeds the named input stream of the receiver (flows into one input share it)."""
    needs = needs or {}
    streams: dict[str, list[Stream]] = {f: [] for f in facilities}
    exchanges = []
    inputs: dict[tuple[str, str], str] = {}
    for k, (supplier, receiver, resource, quantity, input_name) in enumerate(flows):
        out_id = f"{supplier}-out-{k}"
        streams[supplier].append(
            Stream(id=out_id, site=supplier, direction="output", name=f"{resource} {k}",
                   resource_class=resource, provenance="synthetic", source="test")
        )  # fmt: skip
        key = (receiver, input_name)
        if key not in inputs:
            inputs[key] = f"{receiver}-in-{input_name}"
            streams[receiver].append(
                Stream(id=inputs[key], site=receiver, direction="input", name=input_name,
                       resource_class=resource, annual_quantity=needs.get(key),
                       provenance="synthetic", source="test")
            )  # fmt: skip
        exchanges.append(
            Exchange(id=f"x{k}", supplier=out_id, receiver=inputs[key], annual_quantity=quantity,
                     provenance="synthetic", source="test")
        )  # fmt: skip
    participants = [
        Participant(
            id=f,
            name=f.upper(),
            nace="C20.14",
            sites=(Site(id=f, latitude=0.0, longitude=0.0),),
            streams=tuple(streams[f]),
        )
        for f in facilities
    ]
    return Cluster(
        name="test network",
        location=Location(latitude=0.0, longitude=0.0),
        timezone="UTC",
        horizon=Horizon(start=datetime(2024, 1, 1), resolution="1h", periods=24),
        participants=tuple(participants),
        exchanges=tuple(exchanges),
    )
