"""Rich output shared by the commands: the only place that prints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from clusterhub.model import ClusterSummary

console = Console()
errors = Console(stderr=True)

__all__ = ["console", "errors", "shown_url", "summary_table", "write_json"]


def shown_url(url: str) -> str:
    """A database URL safe to print: the password masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def write_json(path: Path | None, payload: Any) -> None:
    """Write a command's machine-readable result when ``--json PATH`` was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    console.print(f"[dim]wrote {path}[/dim]")


def _fmt(values: dict[str, float], unit: str) -> str:
    return ", ".join(f"{k} {v:,.0f} {unit}" for k, v in sorted(values.items())) or "-"


def summary_table(summary: ClusterSummary) -> Table:
    table = Table(title=summary.name, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(summary.participants_by_kind.items()))
    types = ", ".join(f"{n} {k}" for k, n in sorted(summary.assets_by_type.items()))
    provenance = ", ".join(f"{n} {k}" for k, n in sorted(summary.records_by_provenance.items()))
    rows = [
        ("participants", f"{summary.participants} ({kinds})"),
        ("sites", str(summary.sites)),
        ("assets", f"{summary.assets} ({types})" if types else "0"),
        ("connections / links", f"{summary.connections} / {summary.links}"),
        ("carriers", str(summary.carriers)),
        ("streams / exchanges", f"{summary.streams} / {summary.exchanges}"),
        ("records by provenance", provenance or "-"),
        ("horizon", summary.horizon),
        ("capacity", _fmt(summary.capacity_mw_by_technology, "MW")),
        ("storage", _fmt(summary.storage_mwh_by_technology, "MWh")),
        ("demand over horizon", _fmt(summary.demand_mwh_by_carrier, "MWh")),
        ("generation available", _fmt(summary.generation_mwh_by_technology, "MWh")),
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table
