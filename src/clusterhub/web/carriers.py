"""Every carrier's balance in a dispatch, hour by hour: supply by source, use, and the demand
served, for the Energy page's stacked charts.

Why from the dispatch arrays and the data's node labels (``site|carrier``) rather than from the
solver's rows: the page shows what each kind of item did, and the balance "supply minus use is
the demand served" is then a check on the dispatch (the tests make it), not an identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from clusterhub.energy.data import DispatchData

__all__ = ["SUPPLY", "USE", "carrier_balance"]

SUPPLY = ("Own generation", "Storage discharge", "Converter output", "Market purchase",
          "Grid import", "Link inflow")  # fmt: skip
USE = ("Storage charging", "Converter input", "Link outflow", "Market sale", "Grid export")


def carrier_balance(data: DispatchData, dispatch: xr.Dataset) -> dict[str, dict[str, Any]]:
    """Per carrier (in the order of ``data.nodes``' carriers, electricity first): MW per hour by
    source of supply (``SUPPLY``) and by use (``USE``), each only where the cluster has such an
    item on that carrier, and the demand it served; supply minus use is the demand served.
    """
    n = len(data.time)

    def carrier(nodes: Any) -> np.ndarray:
        return np.array([str(x).split("|", 1)[1] for x in np.asarray(nodes)], dtype=str)

    def total(values: xr.DataArray, dim: str, where: np.ndarray) -> np.ndarray | None:
        """The sum over ``dim`` of the items ``where`` is true; None when there are none."""
        if not where.any():
            return None
        picked = values.isel({dim: np.flatnonzero(where)}).sum(dim)
        return np.asarray(picked.transpose("time").values, dtype=float)

    d, g, s, k = data.demands, data.generators, data.storage, data.converter_terms
    flows = dispatch.converter_flow.sel(converter=k.converter) * k.coefficient
    links = data.links
    arriving = dispatch.link_flow * links.efficiency
    draw = dispatch.grid_draw
    served = (
        d.profile_mw
        - dispatch.demand_shift_down
        + dispatch.demand_shift_up
        - dispatch.demand_curtailment
        - dispatch.demand_lost
    )
    on = {
        "generator": carrier(g.node),
        "storage": carrier(s.node),
        "term": carrier(k.node),
        "link_in": carrier(links.to_node),
        "link_out": carrier(links.from_node),
        "purchase": carrier(data.purchases.node),
        "sale": carrier(data.sales.node),
        "draw": carrier(data.draws.node),
        "demand": carrier(d.node),
    }
    coefficient = np.asarray(k.coefficient.values, dtype=float)
    found = [str(c) for c in dict.fromkeys(carrier(data.nodes))]
    found.sort(key=lambda c: c != "electricity")
    out: dict[str, dict[str, Any]] = {}
    for c in found:
        supply = dict(
            zip(
                SUPPLY,
                (
                    total(dispatch.generator_output, "generator", on["generator"] == c),
                    total(dispatch.storage_discharge, "storage", on["storage"] == c),
                    total(flows, "term", (on["term"] == c) & (coefficient > 0)),
                    total(dispatch.market_buy, "purchase", on["purchase"] == c),
                    total(draw.clip(min=0.0), "draw", on["draw"] == c),
                    total(arriving, "link", on["link_in"] == c),
                ),
                strict=True,
            )
        )
        use = dict(
            zip(
                USE,
                (
                    total(dispatch.storage_charge, "storage", on["storage"] == c),
                    total(-flows, "term", (on["term"] == c) & (coefficient < 0)),
                    total(dispatch.link_flow, "link", on["link_out"] == c),
                    total(dispatch.market_sell, "sale", on["sale"] == c),
                    total(-draw.clip(max=0.0), "draw", on["draw"] == c),
                ),
                strict=True,
            )
        )
        demand = total(served, "demand", on["demand"] == c)
        out[c] = {
            "supply": {key: v for key, v in supply.items() if v is not None},
            "use": {key: v for key, v in use.items() if v is not None},
            "served": demand if demand is not None else np.zeros(n),
        }
    return out
