"""Rich output shared by the commands: the only place that prints."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rich.table
from rich.console import Console

if TYPE_CHECKING:
    from clusterhub.errors import Problem
    from clusterhub.model import Cluster, ClusterSummary

console = Console()
errors = Console(stderr=True)

__all__ = [
    "Table",
    "console",
    "errors",
    "members_payload",
    "members_table",
    "problems_payload",
    "shown_url",
    "summary_table",
    "write_json",
]


class Table(rich.table.Table):
    """A rich table whose cells fold onto the next line when the terminal is narrow.

    Why: rich's default cuts a cell to ``harbour-chem…``; an id cut so can be neither read nor
    pasted into the next command. Columns wrap at spaces first, so ids stay whole while the
    other columns can give way; only when even that does not fit is an id folded, never cut.
    """

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)


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


def problems_payload(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    """Each problem's parts and its one-line message, for ``--json`` of an invalid input."""
    return [{**asdict(p), "message": str(p)} for p in problems]


def members_payload(cluster: Cluster) -> dict[str, Any]:
    """The ids a user needs for the next command: participants and their facilities (sites)."""
    return {
        "participant_ids": [p.id for p in cluster.participants],
        "facilities": [{"id": s.id, "participant": p.id} for p, s in cluster.iter_sites()],
        "members": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind.value,
                "facilities": [s.id for s in p.sites],
                "assets": [a.id for a in p.assets],
                "streams": [s.id for s in p.streams],
            }
            for p in cluster.participants
        ],
    }


def members_table(cluster: Cluster) -> Table:
    """Who is in the cluster, by id: what ``--shutdown``, ``--as`` and the API take. One row per
    facility, so each id is one word in a column that does not wrap: the names give way."""
    table = Table(title=f"{cluster.name}: participants", title_justify="left")
    table.add_column("participant", no_wrap=True)
    table.add_column("facility (site)", no_wrap=True)
    table.add_column("name")
    table.add_column("kind")
    table.add_column("assets", justify="right")
    table.add_column("streams", justify="right")
    for p in cluster.participants:
        sites = [s.id for s in p.sites] or ["-"]
        table.add_row(p.id, sites[0], p.name, p.kind.value, str(len(p.assets)), str(len(p.streams)))
        for site in sites[1:]:
            table.add_row("", site, "", "", "", "")
    return table


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
