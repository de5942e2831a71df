"""Every carrier's balance in a dispatch, hour by hour, as the Energy page's stacked charts name
it: supply by source, use, and the demand served.

Why only names and order here: the balance itself is the energy engine's
(``DispatchResult.carrier_balance``, summed from every node's); the page words its kinds of flow
and shows electricity first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from clusterhub.energy import DispatchResult

__all__ = ["SUPPLY", "USE", "carrier_balance"]

#: The engine's kinds of supply and of use, in the page's words and order.
SUPPLY = {
    "generation": "Own generation",
    "storage_discharge": "Storage discharge",
    "converter_output": "Converter output",
    "market_purchase": "Market purchase",
    "grid_import": "Grid import",
    "link_inflow": "Link inflow",
    "agreement_delivery": "Bought by agreement",
    "agreement_shortfall": "Agreement not delivered",
}
USE = {
    "storage_charge": "Storage charging",
    "converter_input": "Converter input",
    "link_outflow": "Link outflow",
    "market_sale": "Market sale",
    "grid_export": "Grid export",
    "agreement_sale": "Sold by agreement",
    "agreement_surplus": "Agreement not taken",
}


def carrier_balance(run: DispatchResult) -> dict[str, dict[str, Any]]:
    """Per carrier (in the order of the engine's nodes, electricity first): MW per hour by
    source of supply (``SUPPLY``) and by use (``USE``), each only where the cluster has such an
    item on that carrier, and the demand it served; supply minus use is the demand served.
    """
    balance = run.carrier_balance()
    found = [str(c) for c in balance.carrier.values]
    found.sort(key=lambda c: c != "electricity")

    def present(kinds: dict[str, str], carrier: str) -> dict[str, np.ndarray]:
        """The kinds the carrier has (the engine's NaN: no item of that kind on it)."""
        out = {}
        for kind, label in kinds.items():
            values = np.asarray(balance[kind].sel(carrier=carrier).values, dtype=float)
            if not np.isnan(values).all():
                out[label] = values
        return out

    return {
        c: {
            "supply": present(SUPPLY, c),
            "use": present(USE, c),
            # no demand on the carrier: none served
            "served": np.nan_to_num(balance.served.sel(carrier=c).values.astype(float)),
        }
        for c in found
    }
