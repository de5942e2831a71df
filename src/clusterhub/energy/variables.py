"""The model's blocks of columns in one table: each one's unit, who owns its items, and what a
result reports of it.

Why one table: the solver needs the owners (a coalition run zeroes the absent members' columns),
a result copies the dispatch variables with their units, and each participant's energy adds up
the flows it owns; written as three lists, the three drifted apart.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DISPATCH", "OWNED", "OWN_ENERGY", "ROLES", "VARIABLES", "Variable"]


@dataclass(frozen=True)
class Variable:
    """One linopy variable of the dispatch model.

    ``owner`` names the ``DispatchData`` dataset whose ``participant`` owns each item (None:
    nobody owns it, as a connection's pooled import); ``shown`` puts it in a result's dispatch,
    the owner as the coordinate ``<item>_<role>``; ``energy`` counts it, in MWh, in each
    owner's own energy.
    """

    name: str
    unit: str = "MW"
    owner: str | None = None
    shown: bool = True
    energy: bool = False
    #: the owner's role, naming its coordinate in a result (an agreement has two owners)
    role: str = "participant"


VARIABLES = (
    Variable("generator-output", owner="generators", energy=True),
    Variable("storage-charge", owner="storage", energy=True),
    Variable("storage-discharge", owner="storage", energy=True),
    Variable("storage-soc", unit="MWh", owner="storage"),
    Variable("converter-flow", owner="converters", energy=True),
    # unit commitment (``model._add_commitment``): on (a share, or binary on request), starts
    Variable("converter-on", unit="1", owner="converters", shown=False),
    Variable("converter-start", unit="1", owner="converters", shown=False),
    Variable("demand-shift-down", owner="demands", energy=True),
    Variable("demand-shift-up", owner="demands", energy=True),
    Variable("demand-curtailment", owner="demands", energy=True),
    Variable("demand-lost", owner="demands", energy=True),
    # only in a rolling model (``build(carry_shift=True)``), never in a result
    Variable("demand-backlog", unit="MWh", owner="demands", shown=False),
    Variable("demand-backlog-waived-up", unit="MWh", owner="demands", shown=False),
    Variable("demand-backlog-waived-down", unit="MWh", owner="demands", shown=False),
    Variable("link-flow"),
    Variable("market-buy", owner="purchases", energy=True),
    Variable("market-sell", owner="sales", energy=True),
    Variable("grid-draw", owner="draws", energy=True),
    Variable("contract-import", owner="contracts"),
    Variable("contract-export", owner="contracts"),
    Variable("contract-pool", owner="contracts"),
    Variable("connection-import"),
    Variable("connection-export"),
    # agreements (``model.AGREEMENT_COLUMNS``): zero when both parties act together
    Variable("agreement-out", owner="agreement_sellers", role="seller"),
    Variable("agreement-in", owner="agreement_buyers", role="buyer"),
    Variable("agreement-shortfall", owner="agreement_sellers", role="seller"),
    Variable("agreement-surplus", owner="agreement_buyers", role="buyer"),
    # a meter's running peak under a capacity tariff (``model._add_peaks``); results report the
    # peaks themselves (``DispatchResult.peaks``)
    Variable("connection-import-peak", shown=False),
    Variable("connection-export-peak", shown=False),
    Variable("contract-import-peak", owner="contracts", shown=False),
    Variable("contract-export-peak", owner="contracts", shown=False),
)

#: Variable name -> the dataset whose ``participant`` owns its items.
OWNED = {v.name: v.owner for v in VARIABLES if v.owner is not None}
#: Variable name -> the role of its owner (the coordinate ``<item>_<role>`` in a result).
ROLES = {v.name: v.role for v in VARIABLES if v.owner is not None}
#: The variables a result's dispatch holds, in this order, with their units.
DISPATCH = {v.name: v.unit for v in VARIABLES if v.shown}
#: The flows counted in each participant's own energy (MWh over the run).
OWN_ENERGY = tuple(v.name for v in VARIABLES if v.energy)
