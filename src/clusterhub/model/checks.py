"""Whole-cluster rules that no single record can check: references, units, lengths.

Why collected, not raised one by one: a council fixing a file wants every broken reference at
once, each located by its field path, so ``find_problems`` returns them all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from clusterhub.model.assets import AMBIENT_HEAT_TECHNOLOGIES, Converter, Demand, Generator, Storage
from clusterhub.model.series import FileSeries, WeatherFile, series_length
from clusterhub.model.streams import RESOURCE_CLASSES
from clusterhub.model.units import dimension_name, parse_quantity

if TYPE_CHECKING:
    from clusterhub.model.cluster import Cluster

__all__ = ["Issue", "find_problems", "iter_series", "render_path"]

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Issue:
    loc: Loc
    expected: str
    found: str

    @property
    def path(self) -> str:
        return render_path(self.loc)


def render_path(loc: Iterable[str | int]) -> str:
    """``("participants", 3, "assets", 1)`` -> ``participants[3].assets[1]``: as users read it."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def iter_series(node: Any, loc: Loc = ()) -> Iterator[tuple[Loc, Any]]:
    """Every series-valued field below ``node`` (inline tuples and file columns) with its loc."""
    if isinstance(node, FileSeries):
        yield loc, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from iter_series(getattr(node, name), (*loc, name))
    elif isinstance(node, tuple) and node and all(isinstance(v, float) for v in node):
        yield loc, node
    elif isinstance(node, tuple | list):
        for i, item in enumerate(node):
            yield from iter_series(item, (*loc, i))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from iter_series(item, (*loc, key))


def iter_weather(node: Any) -> Iterator[WeatherFile]:
    """Every weather file below ``node`` (inside the generators that read one)."""
    if isinstance(node, WeatherFile):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from iter_weather(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from iter_weather(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from iter_weather(item)


def unread(series: object) -> bool:
    """Whether a series needs a file that has not been read (or could not be: its problem is
    reported where the file is named)."""
    if isinstance(series, FileSeries):
        return series.values is None
    return any(source.weather is None for source in iter_weather(series))


def find_problems(cluster: Cluster) -> list[Issue]:
    problems: list[Issue] = []
    problems += _unique_ids(cluster)
    problems += _references(cluster)
    problems += _converters(cluster)
    problems += _streams(cluster)
    problems += _agreements(cluster)
    problems += _series_lengths(cluster)
    if not problems:  # the series resolve on the horizon only when their lengths are right
        problems += _non_firm(cluster)
        problems += _volumes(cluster)
        problems += _converters(cluster, timed=True)
    return problems


def _non_firm(cluster: Cluster) -> Iterator[Issue]:
    """A non-firm part is there in a share of each step: 0..1, not more than all of it."""
    for i, connection in enumerate(cluster.connections):
        for j, contract in enumerate(connection.contracts):
            series = contract.non_firm_availability
            if unread(series):
                continue  # not read yet: checked when the cluster is loaded with its files
            values = np.asarray(cluster.values(contract.non_firm_availability), dtype=float)
            wrong = np.flatnonzero((values < 0) | (values > 1))
            if len(wrong):
                step = int(wrong[0])
                yield Issue(
                    ("connections", i, "contracts", j, "non_firm_availability"),
                    "a share between 0 and 1 in every step",
                    f"{values[step]:g} in step {step + 1}",
                )


def _duplicates(items: Iterable[tuple[Loc, str]], kind: str) -> Iterator[Issue]:
    seen: Counter[str] = Counter()
    for loc, ident in items:
        seen[ident] += 1
        if seen[ident] == 2:
            yield Issue(loc, f"a {kind} id not used before", repr(ident))


def _unique_ids(cluster: Cluster) -> Iterator[Issue]:
    yield from _duplicates(
        ((("carriers", i, "id"), c.id) for i, c in enumerate(cluster.carriers)), "carrier"
    )
    yield from _duplicates(
        ((("participants", i, "id"), p.id) for i, p in enumerate(cluster.participants)),
        "participant",
    )
    for kind, attr in (("site", "sites"), ("asset", "assets"), ("stream", "streams")):
        yield from _duplicates(
            (
                (("participants", i, attr, j, "id"), item.id)
                for i, p in enumerate(cluster.participants)
                for j, item in enumerate(getattr(p, attr))
            ),
            kind,
        )
    for kind, attr in (
        ("connection", "connections"),
        ("link", "links"),
        ("exchange", "exchanges"),
        ("agreement", "agreements"),
    ):
        yield from _duplicates(
            (((attr, i, "id"), item.id) for i, item in enumerate(getattr(cluster, attr))), kind
        )


def _missing(loc: Loc, kind: str, value: str, known: Iterable[str]) -> Issue:
    choices = sorted(known)
    hint = ", ".join(repr(c) for c in choices[:8]) + (", ..." if len(choices) > 8 else "")
    return Issue(
        loc,
        f"one of the {kind} ids ({hint})" if choices else f"a {kind} id (none defined)",
        repr(value),
    )


def _references(cluster: Cluster) -> Iterator[Issue]:
    carriers = {c.id for c in cluster.carriers}
    participants = {p.id: p for p in cluster.participants}
    sites = {s.id for _, s in cluster.iter_sites()}
    connections = {c.id for c in cluster.connections}
    for i, participant in enumerate(cluster.participants):
        own_sites = {s.id for s in participant.sites}
        for j, site in enumerate(participant.sites):
            if site.connection is not None and site.connection not in connections:
                yield _missing(
                    ("participants", i, "sites", j, "connection"),
                    "connection",
                    site.connection,
                    connections,
                )
        for j, asset in enumerate(participant.assets):
            loc: Loc = ("participants", i, "assets", j)
            if asset.site not in own_sites:
                yield _missing((*loc, "site"), f"site of {participant.id!r}", asset.site, own_sites)
            if isinstance(asset, Generator | Storage | Demand) and asset.carrier not in carriers:
                yield _missing((*loc, "carrier"), "carrier", asset.carrier, carriers)
            if isinstance(asset, Converter):
                for side in ("inputs", "outputs"):
                    for carrier in getattr(asset, side):
                        if carrier not in carriers:
                            yield _missing((*loc, side, carrier), "carrier", carrier, carriers)
            if (
                isinstance(asset, Generator)
                and asset.carrier in carriers
                and cluster.carrier(asset.carrier).kind.value != "electricity"
            ):
                yield Issue(
                    (*loc, "carrier"),
                    "an electricity carrier for a generator",
                    repr(asset.carrier),
                )
        for j, stream in enumerate(participant.streams):
            if stream.site not in own_sites:
                yield _missing(
                    ("participants", i, "streams", j, "site"),
                    f"site of {participant.id!r}",
                    stream.site,
                    own_sites,
                )
    for i, connection in enumerate(cluster.connections):
        loc = ("connections", i)
        if connection.carrier not in carriers:
            yield _missing((*loc, "carrier"), "carrier", connection.carrier, carriers)
        if connection.operator is not None:
            operator = participants.get(connection.operator)
            if operator is None:
                yield _missing((*loc, "operator"), "participant", connection.operator, participants)
            elif operator.kind.value != "grid_operator":
                yield Issue(
                    (*loc, "operator"),
                    "a participant of kind 'grid_operator'",
                    f"{connection.operator!r} of kind {operator.kind.value!r}",
                )
        behind = {p.id for p, s in cluster.iter_sites() if s.connection == connection.id}
        seen: set[str] = set()
        for j, contract in enumerate(connection.contracts):
            cloc: Loc = (*loc, "contracts", j, "participant")
            if contract.participant not in participants:
                yield _missing(cloc, "participant", contract.participant, participants)
            elif contract.participant in seen:
                yield Issue(cloc, "one contract per participant", repr(contract.participant))
            elif contract.participant not in behind:
                yield Issue(
                    cloc,
                    "a participant with a site behind this connection",
                    repr(contract.participant),
                )
            seen.add(contract.participant)
    for i, link in enumerate(cluster.links):
        if link.carrier not in carriers:
            yield _missing(("links", i, "carrier"), "carrier", link.carrier, carriers)
        for end in ("source", "target"):
            if (value := getattr(link, end)) not in sites:
                yield _missing(("links", i, end), "site", value, sites)
        if link.source == link.target:
            yield Issue(("links", i, "target"), "a site other than the source", repr(link.target))
        if link.owner is not None and link.owner not in participants:
            yield _missing(("links", i, "owner"), "participant", link.owner, participants)


def _agreements(cluster: Cluster) -> Iterator[Issue]:
    """Each agreement between two members, of the seller's generator, at two sites behind one
    connection (delivered over the cluster's own network), with a volume that is not negative."""
    participants = {p.id: p for p in cluster.participants}
    site_connection = {s.id: (p.id, s.connection) for p, s in cluster.iter_sites()}
    for i, agreement in enumerate(cluster.agreements):
        loc: Loc = ("agreements", i)
        known = True
        for party in ("seller", "buyer"):
            if (value := getattr(agreement, party)) not in participants:
                known = False
                yield _missing((*loc, party), "participant", value, participants)
        if not known:
            continue
        if agreement.buyer == agreement.seller:
            yield Issue((*loc, "buyer"), "a participant other than the seller",
                        repr(agreement.buyer))  # fmt: skip
            continue
        seller = participants[agreement.seller]
        if agreement.asset is not None:
            asset = next((a for a in seller.assets if a.id == agreement.asset), None)
            if not isinstance(asset, Generator):
                generators = [a.id for a in seller.assets if isinstance(a, Generator)]
                yield _missing((*loc, "asset"), f"generator of {seller.id!r}", agreement.asset,
                               generators)  # fmt: skip
                continue
        if agreement.link is not None:
            yield from _over_line(cluster, agreement, loc)
            continue
        if agreement.asset is not None:
            yield from _plant_behind(cluster, agreement, loc)
        ends = cluster.delivery_sites(agreement)
        connections = []
        for party, site in zip(("seller", "buyer"), ends, strict=True):
            owner = getattr(agreement, party)
            own = [s for s, (p, c) in site_connection.items() if p == owner and c]
            named = getattr(agreement, f"{party}_site")
            if site is None:
                yield Issue((*loc, f"{party}_site"),
                            f"one of {owner!r}'s sites behind a connection ({', '.join(own)})"
                            if own else f"a site of {owner!r} behind a connection (it has none)",
                            "several to choose from" if own else "nothing")  # fmt: skip
            elif site not in site_connection or site_connection[site][0] != owner:
                yield _missing(
                    (*loc, f"{party}_site"),
                    f"site of {owner!r}",
                    site,
                    [s for s, (p, _) in site_connection.items() if p == owner],
                )
            elif site_connection[site][1] is None:
                yield Issue(
                    (*loc, f"{party}_site" if named else "asset"),
                    "a site behind a shared connection",
                    f"site {site!r} behind none",
                )
            else:
                connections.append(site_connection[site][1])
        if len(connections) == 2 and connections[0] != connections[1]:
            yield Issue((*loc, "buyer_site"),
                        f"a site behind {connections[0]!r}, as the seller's (an agreement is "
                        "delivered over the cluster's own network)",
                        f"a site behind {connections[1]!r}")  # fmt: skip


def _plant_behind(cluster: Cluster, agreement: Any, loc: Loc) -> Iterator[Issue]:
    """A pay-as-produced agreement behind a connection: the plant is at the seller's delivery
    site and makes the connection's carrier."""
    asset = next(a for p, a in cluster.iter_assets() if a.id == agreement.asset)
    site = agreement.seller_site
    if site is not None and site != asset.site:
        yield Issue((*loc, "seller_site"), f"the site of {agreement.asset!r} ({asset.site!r}), "
                    "where its output is delivered from", repr(site))  # fmt: skip
    connection = next((s.connection for _, s in cluster.iter_sites() if s.id == asset.site), None)
    carrier = next((c.carrier for c in cluster.connections if c.id == connection), None)
    if carrier is not None and getattr(asset, "carrier", carrier) != carrier:
        yield Issue((*loc, "asset"), f"a generator of the connection's carrier {carrier!r}",
                    f"{agreement.asset!r} of {getattr(asset, 'carrier', None)!r}")  # fmt: skip


def _over_line(cluster: Cluster, agreement: Any, loc: Loc) -> Iterator[Issue]:
    """An agreement over a line: the line joins the seller's site to the buyer's and carries
    the delivery in that direction."""
    links = {k.id: k for k in cluster.links}
    line = links.get(agreement.link)
    if line is None:
        yield _missing((*loc, "link"), "link", agreement.link, links)
        return
    owners = {s.id: p.id for p, s in cluster.iter_sites()}
    ends = {line.source, line.target}
    for party in ("seller", "buyer"):  # a named site must be the party's own end of the line
        named = getattr(agreement, f"{party}_site")
        if named is not None and (named not in ends or owners.get(named) != getattr(
                agreement, party)):  # fmt: skip
            yield Issue((*loc, f"{party}_site"), f"the end of line {line.id!r} that is "
                        f"{getattr(agreement, party)!r}'s ({line.source!r} or {line.target!r})",
                        repr(named))  # fmt: skip
            return
    seller_site, buyer_site = cluster.delivery_sites(agreement)
    if seller_site is None or buyer_site is None or seller_site == buyer_site:
        yield Issue((*loc, "link"), f"a line between a site of {agreement.seller!r} and one of "
                    f"{agreement.buyer!r}", f"{line.source!r} to {line.target!r}")  # fmt: skip
    elif seller_site == line.target and not line.bidirectional:
        yield Issue((*loc, "link"), f"a line from the seller's site {seller_site!r} (this one "
                    "runs the other way only)", f"{line.source!r} to {line.target!r}")  # fmt: skip
    elif agreement.asset is not None:
        asset = next(a for p, a in cluster.iter_assets() if a.id == agreement.asset)
        made = getattr(asset, "carrier", None)
        if made != line.carrier:
            yield Issue((*loc, "asset"), f"a generator of the line's carrier {line.carrier!r}",
                        f"{agreement.asset!r} of {made!r}")  # fmt: skip


def _volumes(cluster: Cluster) -> Iterator[Issue]:
    """An agreement's volume is delivered, never taken back: 0 MW or more in every step, and
    within the capacity of the line it is delivered over (a plant's share at its capacity)."""
    capacity = {k.id: k.capacity_mw for k in cluster.links}
    plants = {a.id: a for _, a in cluster.iter_assets() if isinstance(a, Generator)}
    for i, agreement in enumerate(cluster.agreements):
        plant = plants.get(agreement.asset or "")
        line = capacity.get(agreement.link or "")
        if plant is not None and line is not None and agreement.share * plant.capacity_mw > line:
            yield Issue(("agreements", i, "share"),
                        f"at most the {line:g} MW the line {agreement.link!r} carries",
                        f"{agreement.share:g} x {plant.capacity_mw:g} MW")  # fmt: skip
        if agreement.volume_mw is None or unread(agreement.volume_mw):
            continue
        volume = np.asarray(cluster.values(agreement.volume_mw), dtype=float)
        if len(volume) and float(volume.min()) < 0:
            step = int(np.argmin(volume))
            yield Issue(("agreements", i, "volume_mw"), "a volume of 0 MW or more in every step",
                        f"{volume[step]:g} in step {step + 1}")  # fmt: skip
        limit = capacity.get(agreement.link or "", np.inf)
        if len(volume) and float(volume.max()) > limit + 1e-9:
            step = int(np.argmax(volume))
            yield Issue(("agreements", i, "volume_mw"),
                        f"at most the {limit:g} MW the line {agreement.link!r} carries",
                        f"{volume[step]:g} in step {step + 1}")  # fmt: skip


def _energy(cluster: Cluster, carrier_id: str) -> bool:
    try:
        return cluster.carrier(carrier_id).unit == "MWh"
    except KeyError:
        return False


def _converters(cluster: Cluster, *, timed: bool = False) -> Iterator[Issue]:
    """A heat pump's COP at most 10, any other energy output an efficiency, and the energy
    outputs of a non-heat-pump no more than its energy input. Outputs given as numbers are
    checked at once (``timed=False``); a converter with an output that varies in time is
    checked step by step once the series fit the horizon (``timed=True``)."""
    for i, participant in enumerate(cluster.participants):
        for j, asset in enumerate(participant.assets):
            if not isinstance(asset, Converter):
                continue
            varying = any(not isinstance(v, float | int) for v in asset.outputs.values())
            if varying != timed:
                continue
            loc: Loc = ("participants", i, "assets", j, "outputs")
            energy_in = sum(v for c, v in asset.inputs.items() if _energy(cluster, c))
            energy_out: dict[str, np.ndarray] = {}
            for carrier, value in asset.outputs.items():
                values = _coefficients(cluster, value)
                if values is None:
                    break  # a file not read yet: checked when the cluster is loaded with it
                wrong = np.flatnonzero(values <= 0)
                if len(wrong):
                    yield Issue(
                        (*loc, carrier), "a positive value in every step", _at(values, wrong)
                    )
                    break
                if _energy(cluster, carrier):
                    energy_out[carrier] = values
            else:
                yield from _energy_outputs(asset, loc, energy_in, energy_out)


def _coefficients(cluster: Cluster, value: object) -> np.ndarray | None:
    if isinstance(value, float | int):
        return np.array([float(value)])
    if unread(value):
        return None
    return np.asarray(cluster.values(value), dtype=float)  # type: ignore[arg-type]


def _at(values: np.ndarray, steps: np.ndarray) -> str:
    """The first offending value, with its step when the value is a series."""
    step = int(steps[0])
    return f"{values[step]:g}" if len(values) == 1 else f"{values[step]:g} in step {step + 1}"


def _energy_outputs(
    asset: Converter, loc: Loc, energy_in: float, energy_out: dict[str, np.ndarray]
) -> Iterator[Issue]:
    if asset.technology in AMBIENT_HEAT_TECHNOLOGIES:
        for carrier, cop in energy_out.items():
            if (over := np.flatnonzero(cop > 10)).size:
                yield Issue((*loc, carrier), "a coefficient of performance <= 10", _at(cop, over))
        return
    above = False
    for carrier, efficiency in energy_out.items():
        if (over := np.flatnonzero(efficiency > 1)).size:
            above = True
            yield Issue((*loc, carrier), "an efficiency in (0, 1]", _at(efficiency, over))
    if above or not energy_out or not energy_in:
        return
    total = np.sum(np.broadcast_arrays(*energy_out.values()), axis=0)
    if (over := np.flatnonzero(total > energy_in + 1e-9)).size:
        yield Issue(
            loc,
            f"energy outputs summing to at most the energy input ({energy_in})",
            _at(total, over),
        )


def _streams(cluster: Cluster) -> Iterator[Issue]:
    streams = {}
    for i, participant in enumerate(cluster.participants):
        for j, stream in enumerate(participant.streams):
            loc: Loc = ("participants", i, "streams", j)
            streams[stream.id] = stream
            allowed = RESOURCE_CLASSES[stream.resource_class]
            dim = None
            if stream.annual_quantity is not None:
                dim = dimension_name(parse_quantity(stream.annual_quantity))
                if dim not in allowed:
                    yield Issue(
                        (*loc, "annual_quantity"),
                        f"a {' or '.join(sorted(allowed))} for {stream.resource_class!r}",
                        f"{stream.annual_quantity!r} ({dim})",
                    )
            for field, numerator in (("fate_cost", "money"), ("emission_factor", "emissions")):
                text = getattr(stream, field)
                if text is None:
                    continue
                found = dimension_name(parse_quantity(text))
                dims = [dim] if dim in allowed else sorted(allowed)
                wanted = [f"{numerator} / {d}" for d in dims]
                if found not in wanted:
                    example = "EUR/t" if numerator == "money" else "tCO2e/t"
                    yield Issue(
                        (*loc, field),
                        f"{' or '.join(wanted)} (e.g. {example})",
                        f"{text!r} ({found})",
                    )
    outputs = {s for s, v in streams.items() if v.direction == "output"}
    inputs = {s for s, v in streams.items() if v.direction == "input"}
    for i, exchange in enumerate(cluster.exchanges):
        loc = ("exchanges", i)
        supplier = streams.get(exchange.supplier)
        receiver = streams.get(exchange.receiver)
        if supplier is None or supplier.direction != "output":
            yield _missing((*loc, "supplier"), "output stream", exchange.supplier, outputs)
        if receiver is None or receiver.direction != "input":
            yield _missing((*loc, "receiver"), "input stream", exchange.receiver, inputs)
        if supplier is None or receiver is None:
            continue
        if supplier.resource_class != receiver.resource_class and not exchange.treatment:
            yield Issue(
                (*loc, "treatment"),
                f"a treatment step, since {supplier.resource_class!r} is delivered as "
                f"{receiver.resource_class!r}",
                "none",
            )
        if exchange.annual_quantity is not None:
            dim = dimension_name(parse_quantity(exchange.annual_quantity))
            allowed = RESOURCE_CLASSES[supplier.resource_class]
            if supplier.annual_quantity is not None:
                allowed = frozenset({dimension_name(parse_quantity(supplier.annual_quantity))})
            if dim not in allowed:
                yield Issue(
                    (*loc, "annual_quantity"),
                    f"a {' or '.join(sorted(allowed))} like the supplier stream",
                    f"{exchange.annual_quantity!r} ({dim})",
                )


def _series_lengths(cluster: Cluster) -> Iterator[Issue]:
    periods = cluster.horizon.periods
    for loc, series in iter_series(cluster):
        length = series_length(series)
        if length is not None and length != periods:
            what = f"file {series.file!r}" if isinstance(series, FileSeries) else "values"
            yield Issue(loc, f"{periods} values (the horizon's periods)", f"{length} {what}")
        elif isinstance(series, FileSeries) and series.times is not None:
            expected = cluster.time_index.tz_convert("UTC")
            wrong = np.flatnonzero(series.times != expected)
            if len(wrong):
                row = int(wrong[0])
                yield Issue(
                    loc,
                    f"time {expected[row].isoformat()} in row {row + 2} of "
                    f"{series.file!r} (the horizon's step {row + 1})",
                    repr(str(series.times[row])),
                )
