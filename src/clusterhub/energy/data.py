"""Everything the dispatch model needs, read from the cluster into labelled arrays.

Why a separate step: the linear program is built from arrays over (asset, time) in a few calls;
gathering and checking the data first keeps that builder free of model navigation, and lets the
rolling horizon cut windows out of one resolved year instead of resolving profiles again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import xarray as xr

from clusterhub.errors import ModelError
from clusterhub.model import Agreement, Cluster, Converter, Demand, Generator, Storage

__all__ = ["DispatchData", "gather", "node_ends"]


def _node(site: str, carrier: str) -> str:
    return f"{site}|{carrier}"


def node_ends(node: str) -> tuple[str, str]:
    """The site and the carrier of a node label made by ``_node``."""
    site, _, carrier = node.partition("|")
    return site, carrier


@dataclass(frozen=True)
class DispatchData:
    """Arrays on the selected time window; item dims are named by the variable they feed."""

    time: pd.DatetimeIndex
    start_step: int
    step_hours: float
    participants: tuple[str, ...]
    nodes: tuple[str, ...]
    node_participant: dict[str, str]
    generators: xr.Dataset  # dim generator
    storage: xr.Dataset  # dim storage
    converters: xr.Dataset  # dim converter
    converter_terms: xr.Dataset  # dim term: converter, node, coefficient (term, time), output
    demands: xr.Dataset  # dim demand
    links: xr.Dataset  # dim link
    purchases: xr.Dataset  # dim purchase: node, price, emission factor
    sales: xr.Dataset  # dim sale
    draws: xr.Dataset  # dim draw: a site's electricity from its connection
    contracts: xr.Dataset  # dim contract: (participant, connection)
    connections: xr.Dataset  # dim connection
    #: dim agreement: seller, buyer, their nodes, the line ("" for none) and the share of what is
    #: sent that arrives, price EUR/MWh, the generator of a pay-as-produced
    #: one ("" for none) and its share, volume_mw and active (1 inside its dates) over time
    agreements: xr.Dataset

    _TIMED = (
        "generators",
        "converters",
        "converter_terms",
        "demands",
        "purchases",
        "sales",
        "contracts",
        "connections",
        "agreements",
    )

    @property
    def agreement_sellers(self) -> xr.Dataset:
        """The agreements with their seller as ``participant``: who owns the delivery out."""
        return self.agreements.assign(participant=self.agreements.seller)

    @property
    def agreement_buyers(self) -> xr.Dataset:
        """The agreements with their buyer as ``participant``: who owns the delivery in."""
        return self.agreements.assign(participant=self.agreements.buyer)

    def agreement_curtailable(self) -> xr.DataArray:
        """Whether each agreement is a share of a curtailable plant (what the buyer cannot take
        of it, the plant does not produce)."""
        g = self.generators
        curtailable = dict(zip(g.generator.values, g.curtailable.values, strict=True))
        return xr.DataArray(
            np.array([bool(curtailable.get(a, False)) for a in self.agreements.asset.values],
                     dtype=bool),
            coords={"agreement": self.agreements.agreement},
        )  # fmt: skip

    def agreement_delivery(self) -> xr.DataArray:
        """MW each agreement delivers in each step: its share of the generator's available
        output (the forecast's, in a rolling window) or its volume, inside its dates."""
        a = self.agreements
        names = list(self.generators.generator.values)
        at = np.array([names.index(g) if g else -1 for g in a.asset.values], dtype=int)
        available = self.generators.available_mw.transpose("generator", "time").values
        produced = np.zeros((len(at), len(self.time)))
        paid = at >= 0
        produced[paid] = available[at[paid]]
        delivery = (a.share.values[:, None] * produced + a.volume_mw.values) * a.active.values
        return xr.DataArray(delivery, coords={"agreement": a.agreement, "time": self.time})

    def window(self, start: int, steps: int) -> DispatchData:
        """Steps ``start .. start+steps`` of this data (positions relative to its first step).

        A window running past the end wraps round to the beginning, as a look-ahead at the end of
        a simulated year needs data it cannot have; its time labels keep counting on.
        """
        positions = (start + np.arange(steps)) % len(self.time)
        step = pd.Timedelta(hours=self.step_hours)
        time = pd.DatetimeIndex(
            self.time[start % len(self.time)] + step * np.arange(steps), name="time"
        )
        cut = {
            name: getattr(self, name).isel(time=positions).assign_coords(time=time)
            for name in self._TIMED
        }
        return replace(self, time=time, start_step=self.start_step + start, **cut)

    def covering(self, start: int, steps: int) -> DispatchData:
        """A copy whose capacity tariffs charge as over a horizon of steps ``start ..
        start+steps`` only: each period pays for the hours of it that horizon covers. A rolling
        horizon's windows then price a peak as the full-horizon optimum over it does."""
        inside = np.zeros(len(self.time), dtype=bool)
        inside[start : start + steps] = True
        c = self.connections
        period = c.capacity_period.transpose("connection", "time").values
        covered = covered_hours(period, self.step_hours, inside)
        return replace(self, connections=c.assign(covered_hours=(("connection", "time"), covered)))

    def with_values(self, **arrays: xr.DataArray) -> DispatchData:
        """A copy with ``generators_available_mw`` / ``demands_profile_mw`` replaced (forecasts)."""
        changes: dict[str, xr.Dataset] = {}
        for key, array in arrays.items():
            dataset, field = key.split("_", 1)
            changes[dataset] = changes.get(dataset, getattr(self, dataset)).assign({field: array})
        return replace(self, **changes)  # type: ignore[arg-type]


def _agreement_arrays(
    rows: list[tuple[Agreement, str, str, float]],
    time: pd.DatetimeIndex,
    volume: np.ndarray,
    active: np.ndarray,
) -> xr.Dataset:
    """The agreements as arrays; ``rows`` hold each with its seller's and buyer's node and the
    share of what the seller sends that the buyer receives (a line's losses)."""
    return xr.Dataset(
        {
            "seller": ("agreement", _text([r[0].seller for r in rows])),
            "buyer": ("agreement", _text([r[0].buyer for r in rows])),
            "seller_node": ("agreement", _text([r[1] for r in rows])),
            "buyer_node": ("agreement", _text([r[2] for r in rows])),
            "efficiency": ("agreement", np.array([r[3] for r in rows], dtype=float)),
            "price": ("agreement", np.array([r[0].price_eur_per_mwh for r in rows], dtype=float)),
            "asset": ("agreement", _text([r[0].asset or "" for r in rows])),
            "link": ("agreement", _text([r[0].link or "" for r in rows])),
            "share": ("agreement", np.array([r[0].share for r in rows], dtype=float)),
            "volume_mw": (("agreement", "time"), volume),
            "active": (("agreement", "time"), active),
        },
        coords={"agreement": _text([r[0].id for r in rows]), "time": time},
    )


def _active(agreement: Agreement, time: pd.DatetimeIndex) -> np.ndarray:
    """1 in the steps inside the agreement's dates (local calendar days), else 0."""
    days = time.tz_localize(None).normalize() if time.tz is not None else time.normalize()
    inside = np.ones(len(time), dtype=bool)
    if agreement.start is not None:
        inside &= days >= pd.Timestamp(agreement.start)
    if agreement.end is not None:
        inside &= days < pd.Timestamp(agreement.end)
    return inside.astype(float)


def _series(cluster: Cluster, series: object, window: slice) -> np.ndarray:
    return np.asarray(cluster.values(series)[window], dtype=float)  # type: ignore[arg-type]


def _text(values: list[str]) -> np.ndarray:
    """Labels as a string array even when empty (an empty list would become float)."""
    return np.array(values, dtype=str)


def _stack(rows: list[np.ndarray], length: int) -> np.ndarray:
    return np.vstack(rows) if rows else np.zeros((0, length))


#: Power below this (MW, a tenth of a watt) is taken as zero. Why: modelled profiles (pvlib's
#: irradiance at dawn) give values like 1e-21 MW; as bounds they make HiGHS warn of excessively
#: small bounds and cost it numerical care, while no meter could tell them from nothing.
NEGLIGIBLE_MW = 1e-7


def _share(limit: np.ndarray, contracted: np.ndarray) -> np.ndarray:
    """The share of the contracts the operator's limit leaves in each step: pro rata when the
    limit is below their sum, none where nothing is contracted."""
    out = np.zeros_like(limit, dtype=float)
    np.divide(limit, contracted, out=out, where=contracted > 0)
    return np.asarray(np.minimum(1.0, out), dtype=float)


def _power(rows: list[np.ndarray], length: int) -> np.ndarray:
    """Stacked power profiles (MW) with negligible values set to zero."""
    stacked = _stack(rows, length)
    return np.where(np.abs(stacked) < NEGLIGIBLE_MW, 0.0, stacked)


#: The arrays of a connection over time (limits MW, shares 0..1, costs EUR/MWh, factor t/MWh;
#: the capacity tariff's period of each step, its length and the hours of it the data covers).
_CONNECTION_FIELDS = ("import_limit_mw", "export_limit_mw", "import_share", "export_share",
                      "import_cost", "export_value", "tariff_in", "tariff_out", "emission_factor",
                      "carbon_cost", "capacity_period", "period_hours",
                      "covered_hours")  # fmt: skip
#: EUR per MW of peak and period, from a tariff in EUR per kW and year.
_PER_PERIOD = {"month": 1000.0 / 12, "year": 1000.0}


def _periods(time: pd.DatetimeIndex, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Each step's calendar period (year*12+month, or the year) in the time's own zone, and
    that period's length in hours (a month with a daylight-saving change has 743 or 745)."""
    label = np.asarray(time.year * 12 + time.month - 1 if kind == "month" else time.year)
    hours = np.zeros(len(time))
    for value in np.unique(label):
        year, month = (int(value) // 12, int(value) % 12 + 1) if kind == "month" else (value, 1)
        begin = pd.Timestamp(year=int(year), month=month, day=1, tz=time.tz)
        end = begin + (pd.DateOffset(months=1) if kind == "month" else pd.DateOffset(years=1))
        hours[label == value] = (end - begin) / pd.Timedelta(hours=1)
    return label.astype(float), hours


def covered_hours(period: np.ndarray, dt: float, inside: np.ndarray | None = None) -> np.ndarray:
    """Per (connection, step), the hours of that step's period among the steps ``inside``
    (default: all of them): what a period the horizon covers only in part pays for."""
    inside = np.ones(period.shape[-1], dtype=bool) if inside is None else inside
    out = np.zeros(period.shape)
    for row in range(period.shape[0]):
        labels, index = np.unique(period[row], return_inverse=True)
        counts = np.bincount(index, weights=inside.astype(float), minlength=len(labels))
        out[row] = dt * counts[index]
    return out


def gather(cluster: Cluster, *, start: int = 0, steps: int | None = None) -> DispatchData:
    """Collect the dispatch data of ``cluster`` for steps ``start .. start+steps``."""
    full = cluster.time_index
    stop = len(full) if steps is None else start + steps
    if not 0 <= start < stop <= len(full):
        raise ModelError(f"window {start}..{stop} lies outside the horizon of {len(full)} steps")
    window = slice(start, stop)
    time = full[window]
    n = len(time)
    dt = cluster.horizon.step_hours
    site_owner = {s.id: p.id for p, s in cluster.iter_sites()}
    site_connection = {s.id: s.connection for _, s in cluster.iter_sites()}
    carriers = {c.id: c for c in cluster.carriers}
    carbon = _series(cluster, cluster.carbon_price_eur_per_t, window)
    nodes: set[str] = set()

    def values(series: object) -> np.ndarray:
        return _series(cluster, series, window)

    # generators
    gens = [(p.id, a) for p, a in cluster.iter_assets() if isinstance(a, Generator)]
    generators = xr.Dataset(
        {
            "available_mw": (
                ("generator", "time"),
                _power([a.capacity_mw * np.clip(values(a.availability), 0, 1) for _, a in gens], n),
            ),
            "marginal_cost": ("generator", [a.marginal_cost_eur_per_mwh for _, a in gens]),
            "curtailable": ("generator", np.array([a.curtailable for _, a in gens], dtype=bool)),
            "node": ("generator", _text([_node(a.site, a.carrier) for _, a in gens])),
            "participant": ("generator", _text([p for p, _ in gens])),
        },
        coords={"generator": _text([a.id for _, a in gens]), "time": time},
    )
    nodes.update(generators["node"].values.tolist())

    stores = [(p.id, a) for p, a in cluster.iter_assets() if isinstance(a, Storage)]
    storage = xr.Dataset(
        {
            "energy_mwh": ("storage", [a.energy_capacity_mwh for _, a in stores]),
            "charge_mw": ("storage", [a.charge_capacity_mw for _, a in stores]),
            "discharge_mw": ("storage", [a.discharge_capacity_mw for _, a in stores]),
            "eta_charge": ("storage", [a.charge_efficiency for _, a in stores]),
            "eta_discharge": ("storage", [a.discharge_efficiency for _, a in stores]),
            "retention": ("storage", [(1 - a.standing_loss_per_hour) ** dt for _, a in stores]),
            "min_soc": ("storage", [a.min_soc_fraction for _, a in stores]),
            "initial_soc": ("storage", [a.initial_soc_fraction for _, a in stores]),
            "cyclic": ("storage", np.array([a.cyclic for _, a in stores], dtype=bool)),
            "node": ("storage", _text([_node(a.site, a.carrier) for _, a in stores])),
            "participant": ("storage", _text([p for p, _ in stores])),
        },
        coords={"storage": _text([a.id for _, a in stores])},
    )
    nodes.update(storage["node"].values.tolist())

    convs = [(p.id, a) for p, a in cluster.iter_assets() if isinstance(a, Converter)]
    converters = xr.Dataset(
        {
            "max_flow_mw": (
                ("converter", "time"),
                _power(
                    [a.capacity_mw * np.clip(values(a.availability), 0, 1) for _, a in convs], n
                ),
            ),
            "variable_cost": ("converter", [a.variable_cost_eur_per_mwh for _, a in convs]),
            "participant": ("converter", _text([p for p, _ in convs])),
            # unit commitment (``model._add_commitment``): capacity MW, minimum load MW, start
            # cost EUR, minimum up and down time in steps, ramp MW per step, state before
            "capacity": ("converter", [a.capacity_mw for _, a in convs]),
            "committed": ("converter", np.array([a.committed for _, a in convs], dtype=bool)),
            "min_load_mw": ("converter", [a.min_load_fraction * a.capacity_mw for _, a in convs]),
            "start_cost": ("converter", [a.start_up_cost_eur for _, a in convs]),
            "min_up_steps": (
                "converter",
                [math.ceil(a.min_up_hours / dt - 1e-9) for _, a in convs],
            ),
            "min_down_steps": (
                "converter",
                [math.ceil(a.min_down_hours / dt - 1e-9) for _, a in convs],
            ),
            "ramp_mw": (
                "converter",
                [
                    np.inf
                    if a.ramp_fraction_per_hour is None
                    # a start or a stop to the minimum load is always within reach
                    else max(a.ramp_fraction_per_hour * dt, a.min_load_fraction) * a.capacity_mw
                    for _, a in convs
                ],
            ),
            "initially_on": ("converter", [float(a.initially_on) for _, a in convs]),
        },
        coords={"converter": _text([a.id for _, a in convs]), "time": time},
    )
    # inputs per unit of the reference flow are numbers; an output may vary in time (a COP)
    terms = [
        (a.id, _node(a.site, carrier), sign * (values(coefficient) + np.zeros(n)), sign > 0)
        for _, a in convs
        for sign, side in ((-1.0, a.inputs), (1.0, a.outputs))
        for carrier, coefficient in side.items()
    ]
    converter_terms = xr.Dataset(
        {
            "converter": ("term", _text([t[0] for t in terms])),
            "node": ("term", _text([t[1] for t in terms])),
            "coefficient": (("term", "time"), _stack([t[2] for t in terms], n)),
            "output": ("term", np.array([t[3] for t in terms], dtype=bool)),
        },
        coords={"time": time},
    )
    nodes.update(t[1] for t in terms)

    dems = [(p.id, a) for p, a in cluster.iter_assets() if isinstance(a, Demand)]
    profiles = _power([np.clip(values(a.profile_mw), 0, None) for _, a in dems], n)
    flex = [a.flexibility for _, a in dems]
    demands = xr.Dataset(
        {
            "profile_mw": (("demand", "time"), profiles),
            "shiftable_share": ("demand", [f.shiftable_share if f else 0.0 for f in flex]),
            "max_increase": ("demand", [f.max_increase_fraction if f else 0.0 for f in flex]),
            "window_steps": (
                "demand",
                [max(1, round(f.window_hours / dt)) if f else 1 for f in flex],
            ),
            "curtailable_share": ("demand", [f.curtailable_share if f else 0.0 for f in flex]),
            # energy moved forward (+) or back (-) in the current shift window before this data's
            # first step, MWh: a rolling horizon carries it from one window to the next
            "backlog_mwh": ("demand", np.zeros(len(dems))),
            "curtailment_penalty": (
                "demand",
                [f.curtailment_penalty_eur_per_mwh if f else 0.0 for f in flex],
            ),
            "node": ("demand", _text([_node(a.site, a.carrier) for _, a in dems])),
            "participant": ("demand", _text([p for p, _ in dems])),
        },
        coords={"demand": _text([a.id for _, a in dems]), "time": time},
    )
    nodes.update(demands["node"].values.tolist())

    link_rows = []
    for link in cluster.links:
        for direction, (a, b) in (
            ("fwd", (link.source, link.target)),
            ("rev", (link.target, link.source)),
        ):
            if direction == "rev" and not link.bidirectional:
                continue
            link_rows.append((f"{link.id}:{direction}", link, a, b))
    links = xr.Dataset(
        {
            "capacity_mw": ("link", [row[1].capacity_mw for row in link_rows]),
            "efficiency": ("link", [1 - row[1].loss_fraction for row in link_rows]),
            "from_node": ("link", _text([_node(row[2], row[1].carrier) for row in link_rows])),
            "to_node": ("link", _text([_node(row[3], row[1].carrier) for row in link_rows])),
            "from_participant": ("link", _text([site_owner[row[2]] for row in link_rows])),
            "to_participant": ("link", _text([site_owner[row[3]] for row in link_rows])),
        },
        coords={"link": _text([row[0] for row in link_rows])},
    )
    nodes.update(links["from_node"].values.tolist())
    nodes.update(links["to_node"].values.tolist())

    # Electricity from connections: every site behind a connection draws from it.
    grid_carrier = {c.id: c.carrier for c in cluster.connections}
    draw_sites = [s for s, c in site_connection.items() if c is not None]
    draws = xr.Dataset(
        {
            "node": (
                "draw",
                _text([_node(s, grid_carrier[str(site_connection[s])]) for s in draw_sites]),
            ),
            "participant": ("draw", _text([site_owner[s] for s in draw_sites])),
            "contract": (
                "draw",
                _text([f"{site_owner[s]}@{site_connection[s]}" for s in draw_sites]),
            ),
        },
        coords={"draw": _text(draw_sites)},
    )
    nodes.update(draws["node"].values.tolist())

    conn_rows = []
    contract_rows: list[tuple[str, str, str, np.ndarray, np.ndarray]] = []
    for connection in cluster.connections:
        carrier = carriers[connection.carrier]
        price = (
            values(carrier.price_eur_per_unit) if carrier.price_eur_per_unit is not None else None
        )
        export = (
            values(carrier.export_price_eur_per_unit)
            if carrier.export_price_eur_per_unit is not None
            else np.zeros(n)
        )
        factor = values(carrier.emission_factor_t_per_unit)
        import_cost = (
            (price if price is not None else np.zeros(n))
            + values(connection.import_tariff_eur_per_mwh)
            + (carbon * factor if carrier.carbon_priced else 0)
        )
        contracted = {k.participant: k for k in connection.contracts}
        behind = sorted({site_owner[s] for s in draw_sites if site_connection[s] == connection.id})
        for participant in behind:
            k = contracted.get(participant)
            name = f"{participant}@{connection.id}"
            if k is None:
                contract_rows.append((name, participant, connection.id, np.zeros(n), np.zeros(n)))
                continue
            # the firm part always, the non-firm part in the share of each step it is there
            there = (
                values(k.non_firm_availability)
                if k.non_firm_import_mw or k.non_firm_export_mw
                else 0.0
            )
            contract_rows.append(
                (
                    name,
                    participant,
                    connection.id,
                    k.import_mw + k.non_firm_import_mw * there + np.zeros(n),
                    k.export_mw + k.non_firm_export_mw * there + np.zeros(n),
                )
            )
        total_import = sum((r[3] for r in contract_rows if r[2] == connection.id), np.zeros(n))
        total_export = sum((r[4] for r in contract_rows if r[2] == connection.id), np.zeros(n))
        limit_in = values(connection.import_limit_mw)
        limit_out = values(connection.export_limit_mw)
        period, period_hours = _periods(time, connection.capacity_period)
        per_period = _PER_PERIOD[connection.capacity_period]
        conn_rows.append(
            {
                "connection": connection.id,
                "capacity_rate_in": per_period * connection.import_capacity_tariff_eur_per_kw_year,
                "capacity_rate_out": per_period * connection.export_capacity_tariff_eur_per_kw_year,
                "capacity_monthly": connection.capacity_period == "month",
                "capacity_period": period,
                "period_hours": period_hours,
                "covered_hours": covered_hours(period[None, :], dt)[0],
                "import_limit_mw": limit_in if price is not None else np.zeros(n),
                "export_limit_mw": limit_out,
                # contracted shares shrink pro rata when the operator's limit drops below their sum
                "import_share": _share(limit_in, total_import),
                "export_share": _share(limit_out, total_export),
                "import_cost": import_cost,
                "export_value": export - values(connection.export_tariff_eur_per_mwh),
                "tariff_in": values(connection.import_tariff_eur_per_mwh),
                "tariff_out": values(connection.export_tariff_eur_per_mwh),
                "emission_factor": factor,
                "carbon_cost": carbon * factor if carrier.carbon_priced else np.zeros(n),
            }
        )
    names = [r["connection"] for r in conn_rows]
    connections = xr.Dataset(
        {
            key: (("connection", "time"), _stack([r[key] for r in conn_rows], n))
            for key in _CONNECTION_FIELDS
        },
        coords={"connection": _text(names), "time": time},
    ).assign(
        {
            key: ("connection", np.array([r[key] for r in conn_rows], dtype=kind))
            for key, kind in (
                ("capacity_rate_in", float),
                ("capacity_rate_out", float),
                ("capacity_monthly", bool),
            )
        }
    )
    contracts = xr.Dataset(
        {
            "participant": ("contract", _text([r[1] for r in contract_rows])),
            "connection": ("contract", _text([r[2] for r in contract_rows])),
            "import_mw": (("contract", "time"), _stack([r[3] for r in contract_rows], n)),
            "export_mw": (("contract", "time"), _stack([r[4] for r in contract_rows], n)),
        },
        coords={"contract": _text([r[0] for r in contract_rows]), "time": time},
    )

    # Markets for other carriers: bought where used, if the carrier has a price.
    grid_carriers = set(grid_carrier.values())
    buy, sell = [], []
    for node in sorted(nodes):
        site, carrier_id = node_ends(node)
        carrier = carriers[carrier_id]
        if carrier_id in grid_carriers:
            continue
        if carrier.price_eur_per_unit is not None:
            factor = values(carrier.emission_factor_t_per_unit)
            buy.append(
                (
                    node,
                    site_owner[site],
                    values(carrier.price_eur_per_unit)
                    + (carbon * factor if carrier.carbon_priced else 0),
                    factor,
                    carbon * factor if carrier.carbon_priced else np.zeros(n),
                )
            )
        if carrier.export_price_eur_per_unit is not None:
            sell.append((node, site_owner[site], values(carrier.export_price_eur_per_unit)))
    purchases = xr.Dataset(
        {
            "node": ("purchase", _text([b[0] for b in buy])),
            "participant": ("purchase", _text([b[1] for b in buy])),
            "cost": (("purchase", "time"), _stack([b[2] for b in buy], n)),
            "emission_factor": (("purchase", "time"), _stack([b[3] for b in buy], n)),
            "carbon_cost": (("purchase", "time"), _stack([b[4] for b in buy], n)),
        },
        coords={"purchase": _text([b[0] for b in buy]), "time": time},
    )
    sales = xr.Dataset(
        {
            "node": ("sale", _text([s[0] for s in sell])),
            "participant": ("sale", _text([s[1] for s in sell])),
            "value": (("sale", "time"), _stack([s[2] for s in sell], n)),
        },
        coords={"sale": _text([s[0] for s in sell]), "time": time},
    )
    # Agreements: between two sites behind the same connection, or over a line
    lines = {k.id: k for k in cluster.links}
    agreement_rows = []
    for agreement in cluster.agreements:
        seller_site, buyer_site = cluster.delivery_sites(agreement)
        line = lines.get(agreement.link or "")
        delivered = line.carrier if line else grid_carrier[str(site_connection[str(seller_site)])]
        agreement_rows.append(
            (
                agreement,
                _node(str(seller_site), delivered),
                _node(str(buyer_site), delivered),
                1.0 - line.loss_fraction if line else 1.0,
            )
        )
        nodes.update(agreement_rows[-1][1:3])
    agreements = _agreement_arrays(
        agreement_rows,
        time,
        _stack(
            [
                np.zeros(n) if a.volume_mw is None else np.clip(values(a.volume_mw), 0, None)
                for a, *_ in agreement_rows
            ],
            n,
        ),
        _stack([_active(a, time) for a, *_ in agreement_rows], n),
    )
    ordered = tuple(sorted(nodes))
    return DispatchData(
        time=time,
        start_step=start,
        step_hours=dt,
        participants=tuple(p.id for p in cluster.participants),
        nodes=ordered,
        node_participant={node: site_owner[node_ends(node)[0]] for node in ordered},
        generators=generators,
        storage=storage,
        converters=converters,
        converter_terms=converter_terms,
        demands=demands,
        links=links,
        purchases=purchases,
        sales=sales,
        draws=draws,
        contracts=contracts,
        connections=connections,
        agreements=agreements,
    )
