"""What a dispatch tells its users: costs, emissions, each participant's energy and grid draw,
every node's balance and each connection's congestion, as one frozen result.

Why all of it here: the command line, the dashboard and the service's runs all show parts of one
joint-against-alone comparison; computed once by the engine, no face re-derives it from the
solver or the model's labels, and every face shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["CollaborationResult", "DispatchResult", "Peak", "tidy"]


@dataclass(frozen=True)
class Peak:
    """The highest flow through one meter in one period of its capacity tariff, and what it
    costs: ``meter`` is a connection's id (the pool) or a contract's ``participant@connection``
    (a member alone), ``side`` import or export, ``period`` ``2024-06`` (monthly) or ``2024``
    (yearly) in the cluster's time zone, ``at`` the step (UTC) it was reached, ``charge_eur``
    the peak's share of the tariff for the hours of the period the run covers."""

    meter: str
    side: str
    period: str
    peak_mw: float
    at: pd.Timestamp
    charge_eur: float


@dataclass(frozen=True)
class DispatchResult:
    """One optimal dispatch: costs in EUR over the window, emissions in t, arrays over time.

    ``dispatch`` holds one array per variable over its own item dimension and ``time`` (UTC),
    with its unit in ``attrs["units"]`` and the owner in a ``participant`` coordinate; its
    dimensions differ, so ``to_dataframe()`` gives the tidy long form (one row per variable,
    item and step). ``cost_by_participant_eur`` adds up to ``total_cost_eur`` by
    ``attribution.RULE``.

    ``energy_by_participant_mwh`` is each participant's own flows over the window (MWh by
    variable, every participant and every flow variable listed); ``grid_draw_mw`` its sites' draw
    from their connections over (participant, time), positive when drawing. ``balance`` is every
    node's supply and use over (node, time), MW, with the node's ``site`` and ``carrier`` as
    coordinates: each variable's ``attrs["side"]`` is ``supply``, ``use`` or ``served`` (the
    demand served), supply minus use is the demand served at every node and step, and a kind
    of flow is NaN at a node that has no item of that kind (absent, not zero).
    ``congestion`` is each connection's pooled import over (connection, time): ``import_mw``
    (pool and own contracts), ``limit_mw`` (what the run could import: the contracts pooled, cut
    to the operator's limit) and ``congested`` (the pool at that limit), whose hours are
    ``congested_hours``.

    ``one_way_hours`` is, per meter (a connection's id for the pool, a contract's
    ``participant@connection`` for a participant alone), the hours in which export paid more
    than import cost, so that only an on/off choice kept the meter to one direction (empty: the
    run was a linear program). Then ``one_way_method`` says how the run kept them so
    (``relaxation``: the linear program's optimum already did, so it is exact; ``rounded``: its
    directions, fixed; ``branch-and-bound``), and ``lower_bound_eur`` and ``upper_bound_eur``
    bound the optimal objective (the upper is this schedule's), ``gap_pct`` their distance in
    % of the upper; all None for a linear program, which is exact. Imports and exports are
    reported net: no meter does both in one step.

    ``peaks`` lists, for every meter a capacity tariff charges and that the run used, the peak
    of each period and its charge (``Peak``); they add up to ``cost_parts_eur["capacity"]``.

    ``unit_commitment`` says how converters with a minimum load, start-up cost or minimum
    times were run: ``binary`` (on or off in each step, a mixed-integer program: exact),
    ``relaxed`` (on/off as a share: the linear relaxation, a lower bound on their cost that
    can run a unit below its minimum load), None (no such converter); their start-up costs are
    ``cost_parts_eur["start-up"]``.
    """

    total_cost_eur: float
    cost_parts_eur: dict[str, float]
    emissions_t: float
    cost_by_participant_eur: dict[str, float]
    dispatch: xr.Dataset
    connection_value_eur_per_mwh: xr.DataArray
    congested_hours: dict[str, float]
    solve_seconds: float
    energy_by_participant_mwh: dict[str, dict[str, float]]
    grid_draw_mw: xr.DataArray
    balance: xr.Dataset
    congestion: xr.Dataset
    one_way_hours: dict[str, float] = field(default_factory=dict)
    one_way_method: str | None = None
    gap_pct: float | None = None
    lower_bound_eur: float | None = None
    upper_bound_eur: float | None = None
    peaks: tuple[Peak, ...] = ()
    unit_commitment: str | None = None

    def to_dataframe(self) -> pd.DataFrame:
        """Tidy: columns variable, dimension, item, participant, time (UTC, aware), value, unit;
        variables without items (no links, say) contribute no rows instead of emptying all."""
        return tidy(self.dispatch)

    def carrier_balance(self) -> xr.Dataset:
        """``balance`` summed over each carrier's nodes, over (carrier, time); carriers in the
        order of their first node; NaN where no node of the carrier has an item of that kind."""
        carriers = list(dict.fromkeys(self.balance.carrier.values.tolist()))
        if not carriers:
            return self.balance.drop_vars(["carrier", "site"]).rename(node="carrier")
        summed = self.balance.groupby("carrier").sum(min_count=1, keep_attrs=True)
        return summed.reindex(carrier=carriers)


@dataclass(frozen=True)
class CollaborationResult:
    """Joint against stand-alone: what collaborating is worth over the window.

    ``saving_by_cause_eur`` (asked for: ``compare(causes=True)``) splits the saving by the
    decisions members take differently together (``causes``: netting, congestion relief,
    shared storage, converter sharing, demand response, renewables, lines between members);
    ``saving_by_cost_part_eur`` by what got cheaper (energy, network, capacity, carbon ...).
    Both add up to ``saving_eur``."""

    joint: DispatchResult
    standalone: DispatchResult
    build_seconds: float
    saving_by_cause_eur: dict[str, float] | None = None

    @property
    def saving_by_cost_part_eur(self) -> dict[str, float]:
        alone = self.standalone.cost_parts_eur
        return {
            part: alone.get(part, 0.0) - cost for part, cost in self.joint.cost_parts_eur.items()
        }

    @property
    def paying_cost_eur(self) -> float:
        """What the members that pay alone (a positive stand-alone cost) pay: their bills,
        without what a producer among them earns."""
        return sum(max(cost, 0.0) for cost in self.standalone.cost_by_participant_eur.values())

    @property
    def saving_pct_of_bills(self) -> float:
        """The saving against the paying members' bills alone, as clusters report it ("10% off
        the companies' electricity cost"); ``saving_pct`` is against the cluster's net cost,
        which a producer's revenue lowers."""
        base = self.paying_cost_eur
        return 100.0 * self.saving_eur / base if base else 0.0

    @property
    def standalone_cost_eur(self) -> dict[str, float]:
        return self.standalone.cost_by_participant_eur

    @property
    def saving_eur(self) -> float:
        return self.standalone.total_cost_eur - self.joint.total_cost_eur

    @property
    def saving_pct(self) -> float:
        base = self.standalone.total_cost_eur
        return 100.0 * self.saving_eur / base if base else 0.0

    @property
    def solve_seconds(self) -> float:
        return self.joint.solve_seconds + self.standalone.solve_seconds


def tidy(dispatch: xr.Dataset) -> pd.DataFrame:
    """The long form of a dispatch dataset (see ``DispatchResult.to_dataframe``)."""
    columns = ["variable", "dimension", "item", "participant", "time", "value", "unit"]
    frames = []
    for name, array in dispatch.data_vars.items():
        if not array.size:
            continue
        dimension = next(d for d in array.dims if d != "time")
        # the owner's coordinate: <item>_participant, or its role (an agreement's seller, buyer)
        owner = str(array.attrs.get("owner", f"{dimension}_participant"))
        participant = (
            array[owner].values if owner in array.coords else np.full(array.sizes[dimension], None)
        )
        values = array.transpose(dimension, "time")
        items, steps = values.sizes[dimension], values.sizes["time"]
        frames.append(
            pd.DataFrame(
                {
                    "variable": str(name),
                    "dimension": str(dimension),
                    "item": np.repeat(values[dimension].values.astype(str), steps),
                    "participant": np.repeat(participant, steps),
                    "time": np.tile(values.time.values, items),
                    "value": values.values.ravel(),
                    "unit": array.attrs.get("units", ""),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(frames, ignore_index=True)
    frame["time"] = pd.to_datetime(frame["time"]).dt.tz_localize("UTC")
    return frame[columns]
