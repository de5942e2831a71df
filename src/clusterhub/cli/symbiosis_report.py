"""What ``clusterhub symbiosis impact`` and ``criticality`` print and write: the tables, the
sentences saying which year and which market a result assumes, and the JSON payloads.

Why apart from the commands: the demo (``cli/main.py``) prints the same impact, and the
commands module stays a list of commands.
"""

from __future__ import annotations

import math
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pandas as pd

from clusterhub import symbiosis
from clusterhub.cli.output import Table
from clusterhub.errors import InputError, Problem
from clusterhub.model.streams import RESOURCE_CLASSES
from clusterhub.symbiosis import Impact, LostInput, Market, Scope, market_rows

__all__ = [
    "days_text",
    "finite",
    "impact_payload",
    "impact_table",
    "market_from_options",
    "market_line",
    "market_payload",
    "purchases_table",
    "read_table",
    "scope_payload",
    "unit_text",
    "year_line",
]


def days_text(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:g}"


def finite(value: Any) -> Any:
    """JSON has no infinity: an event that never arrives is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def unit_text(unit: str) -> str:
    return unit.replace("**3", "3") if unit else "units"


def _amount_text(quantity: float | None, unit: str) -> str:
    return "quantity unknown" if quantity is None else f"{quantity:,.0f} {unit_text(unit)}/yr"


def _lost_text(x: LostInput) -> str:
    text = f"{x.stream} {100 * x.share_of_need:.0f}% of need ("
    if x.quantity is None:
        return text + "quantity unknown)"
    text += (
        f"{x.quantity:,.0f} {unit_text(x.unit)}/yr" if x.unit else f"{x.quantity:,.0f} mixed units"
    )
    if x.unknown_flows:
        text += f" + {x.unknown_flows} flow{'s' if x.unknown_flows > 1 else ''} of unknown quantity"
    return text + ")"


def impact_table(result: Impact, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("facility", "runs at", "days until impact", "lost inputs", "outputs lost"):
        table.add_column(
            column, justify="right" if column in ("runs at", "days until impact") else "left"
        )
    for f in result.facilities:
        lost = "; ".join(_lost_text(x) for x in f.lost_inputs)
        outputs = ", ".join(
            f"{k} quantity unknown" if v is None else f"{k} {v:,.3g}"
            for k, v in f.lost_outputs.items()
            if v is None or v > 1e-9
        )
        table.add_row(
            f.facility,
            f"{100 * f.level:.0f}%",
            days_text(f.days_until_impact),
            lost,
            outputs or "-",
        )
    return table


def purchases_table(result: Impact) -> Table:
    """The inputs the report assumes were bought in instead, with the assumption's basis."""
    table = Table(title="assumed bought in instead of the lost flows", title_justify="left")
    for column in ("facility", "input", "bought", "quantity", "EUR/yr", "tCO2e/yr", "basis"):
        table.add_column(column, justify="right" if column in ("EUR/yr", "tCO2e/yr") else "left")
    for x in result.purchases:
        table.add_row(
            x.facility,
            x.stream,
            f"{100 * x.share:.0f}%",
            _amount_text(x.quantity, x.unit),
            "-" if x.cost_eur is None else f"{x.cost_eur:,.0f}",
            "-" if x.co2e_t is None else f"{x.co2e_t:,.0f}",
            x.basis,
        )
    return table


def year_line(scope: Scope | None) -> str:
    """Which year a result describes and what that left out, in one sentence."""
    if scope is None or scope.year is None:
        return "every exchange counts: the registry records no years"
    why = " (the latest the registry describes)" if scope.year == scope.latest_year else ""
    text = f"as of {scope.year}{why}: {len(scope.inactive_flows)} exchanges not active then"
    if scope.not_running:
        idle = ", ".join(f"{f} ({s})" for f, s in sorted(scope.not_running.items()))
        text += f"; not running (their status): {idle}"
        if scope.flows_of_idle_plants:
            text += f", with {len(scope.flows_of_idle_plants)} exchanges left out"
    elif not scope.statuses_applied:
        text += "; statuses describe the latest year, not applied to an earlier one"
    return text


def market_line(assumed: Market | None) -> str:
    if assumed is None:
        return ""
    text = (
        f"market: region {assumed.region or 'anywhere'} (bundled table"
        + (", user rows" if any(r.source.startswith("user") for r in assumed.rows.values()) else "")
        + f"); classes without a row: {100 * assumed.default_share:.0f}% buyable"
    )
    if assumed.overrides:
        text += "; set by the user: " + ", ".join(
            f"{k} {100 * v:.0f}%" for k, v in sorted(assumed.overrides.items())
        )
    return text


def market_payload(assumed: Market | None) -> dict[str, Any] | None:
    if assumed is None:
        return None
    return {
        "region": assumed.region,
        "default_share": assumed.default_share,
        "overrides": dict(assumed.overrides),
        "rows": {k: asdict(v) for k, v in sorted(assumed.rows.items())},
    }


def scope_payload(scope: Scope | None) -> dict[str, Any]:
    if scope is None:
        return {"year": None}
    return {
        "year": scope.year,
        "latest_year": scope.latest_year,
        "statuses_applied": scope.statuses_applied,
        "not_running": scope.not_running,
        "inactive_flows": list(scope.inactive_flows),
        "flows_of_idle_plants": list(scope.flows_of_idle_plants),
    }


def impact_payload(result: Impact) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": asdict(result.event),
        **scope_payload(result.scope),
        "event_facility_not_running": result.not_running,
        "damage_facility_equivalents": result.damage,
        "co2e_t_per_year": result.co2e_t,
        "purchase_cost_eur_per_year": result.cost_eur,
        "purchases": [asdict(x) for x in result.purchases],
        "purchases_of_unknown_quantity": sum(1 for x in result.purchases if x.quantity is None),
        "diverted_per_year": result.diverted,
        "diverted_flows_of_unknown_quantity": result.diverted_unknown,
        "untaken_outputs": result.untaken,
        "iterations": result.iterations,
        "facilities": [asdict(f) for f in result.facilities],
        "market": market_payload(result.market),
    }
    return finite(payload)  # type: ignore[no-any-return]


def _share(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise InputError.single("a share from 0 to 1", repr(text), path=what)
    return value


def market_from_options(
    region: str | None, table: Path | None, buyable: list[str] | None, default: float
) -> Market:
    """The market the options describe: the bundled table (rows of ``table`` replacing its
    rows), shares set per class by ``--buyable CLASS=SHARE``, and ``default`` for the rest."""
    rows = None
    if table is not None:
        frame = read_table(table)
        records = [{str(k): v for k, v in r.items()} for r in frame.to_dict(orient="records")]
        rows = [
            replace(r, source=f"user table {table.name}: {r.source}".rstrip(": "))
            for r in market_rows(records, file=str(table))
        ]
    overrides: dict[str, float] = {}
    for k, item in enumerate(buyable or ()):
        name, sep, value = item.partition("=")
        if not sep or name.strip() not in RESOURCE_CLASSES:
            raise InputError.single(
                "CLASS=SHARE with a resource class such as acid=0.5", repr(item),
                path=f"--buyable[{k}]",
            )  # fmt: skip
        overrides[name.strip()] = _share(value.strip(), f"--buyable[{k}]")
    share = _share(str(default), "--market-default")
    return symbiosis.market(region, rows=rows, default_share=share, overrides=overrides)


def read_table(path: Path) -> pd.DataFrame:
    """A registry table from CSV or Excel, every cell as text (quantities keep their units)."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return pd.read_excel(path, dtype=str)
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise InputError(
            [Problem("an existing CSV or Excel file", "no such file", file=str(path))]
        ) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError([Problem("a CSV or Excel table", str(exc), file=str(path))]) from None
