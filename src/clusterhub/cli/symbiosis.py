"""``clusterhub symbiosis``: the exchange network, one shutdown's impact, criticality (N-1)."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from clusterhub.cli.output import console, write_json
from clusterhub.cli.source import cluster_from
from clusterhub.symbiosis import (
    Event,
    Impact,
    build_network,
    criticality,
    flow_tables,
    impact,
    metrics,
    replay,
)

__all__ = ["app", "impact_payload", "impact_table"]

app = typer.Typer(help="Industrial symbiosis: the exchange network and what a shutdown does.")

FileArgument = Annotated[
    str, typer.Argument(help="a cluster file (YAML or JSON), or the name of a bundled example")
]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="write the machine-readable result to PATH")
]


def _days(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:g}"


def _finite(value: Any) -> Any:
    """JSON has no infinity: an event that never arrives is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


@app.command()
def network(
    file: FileArgument,
    year: Annotated[int | None, typer.Option(help="only exchanges active in this year")] = None,
    json: JsonOption = None,
) -> None:
    """Facilities and flows: degree, betweenness, supplier concentration, single points of
    failure, per-resource flow tables (for a Sankey diagram) and the year-by-year replay."""
    cluster = cluster_from(file)
    net = build_network(cluster, year=year)
    m = metrics(net)
    table = Table(title=f"{cluster.name}: exchange network", title_justify="left")
    for column in ("facility", "in", "out", "betweenness"):
        table.add_column(column, justify="left" if column == "facility" else "right")
    ranked = sorted(net.facilities, key=lambda f: (-m.betweenness.get(f, 0.0), -sum(m.degree[f])))
    for facility in ranked:
        inflow, outflow = m.degree[facility]
        if inflow or outflow:
            table.add_row(facility, str(inflow), str(outflow), f"{m.betweenness[facility]:.3f}")
    console.print(table)
    console.print(
        f"{len(net.facilities)} facilities, {len(net.flows)} flows; "
        f"{len(m.single_supplier_inputs)} inputs hang on a single supplier; "
        f"facilities whose loss splits the network: {', '.join(m.articulation_points) or 'none'}"
    )
    history = replay(cluster)
    if history:
        changes = [r for r in history if r["started"] or r["ended"]]
        console.print(
            "exchanges by year: " + ", ".join(f"{r['year']}: {r['exchanges']}" for r in changes)
        )
    write_json(
        json,
        {
            "facilities": len(net.facilities),
            "flows": len(net.flows),
            "degree": {f: {"in": d[0], "out": d[1]} for f, d in m.degree.items()},
            "betweenness": m.betweenness,
            "supplier_hhi": m.supplier_hhi,
            "single_supplier_inputs": m.single_supplier_inputs,
            "articulation_points": list(m.articulation_points),
            "redundancy": m.redundancy,
            "flows_by_resource": flow_tables(net),
            "replay": history,
        },
    )


def impact_table(result: Impact, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("facility", "runs at", "days until impact", "lost inputs", "outputs lost"):
        table.add_column(
            column, justify="right" if column in ("runs at", "days until impact") else "left"
        )
    for f in result.facilities:
        lost = "; ".join(
            f"{x.stream} {100 * x.share_of_need:.0f}% of need"
            + (f" ({x.quantity:,.0f} {x.unit}/yr)" if x.known and x.unit else " (no figure)")
            for x in f.lost_inputs
        )
        outputs = ", ".join(f"{k} {v:,.3g}" for k, v in f.lost_outputs.items() if v > 1e-9)
        table.add_row(
            f.facility, f"{100 * f.level:.0f}%", _days(f.days_until_impact), lost, outputs or "-"
        )
    return table


def impact_payload(result: Impact) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "event": asdict(result.event),
        "damage_facility_equivalents": result.damage,
        "co2e_t_per_year": result.co2e_t,
        "diverted_per_year": result.diverted,
        "iterations": result.iterations,
        "facilities": [asdict(f) for f in result.facilities],
    }
    return _finite(payload)  # type: ignore[no-any-return]


@app.command("impact")
def impact_command(
    file: FileArgument,
    shutdown: Annotated[str, typer.Option(help="id of the facility (site) that stops")],
    days: Annotated[
        float | None, typer.Option(help="a suspension of this many days (default: for good)")
    ] = None,
    json: JsonOption = None,
) -> None:
    """Who loses which input, how much and how soon when a facility stops."""
    cluster = cluster_from(file)
    net = build_network(cluster)
    event = Event(shutdown, "shutdown" if days is None else "suspension", days=days)
    result = impact(net, event)
    span = "for good" if days is None else f"for {days:g} days"
    console.print(impact_table(result, f"{cluster.name}: {shutdown} stops {span}"))
    if not result.facilities:
        console.print("No other facility loses anything: every input it supplies can be replaced.")
    console.print(
        f"production lost elsewhere: {result.damage:.2f} facility-equivalents; inputs bought in "
        f"instead: {result.co2e_t:,.0f} tCO2e/yr more; outputs left without a taker: "
        + (", ".join(f"{v:,.3g} {u}/yr" for u, v in result.diverted.items()) or "none")
    )
    write_json(json, impact_payload(result))


@app.command("criticality")
def criticality_command(
    file: FileArgument,
    top: Annotated[int, typer.Option(help="rows to show")] = 15,
    json: JsonOption = None,
) -> None:
    """Every facility's shutdown in turn (N-1): ranked by the production it takes down
    elsewhere, then by the flows it disrupts."""
    cluster = cluster_from(file)
    rows = criticality(build_network(cluster))
    table = Table(title=f"{cluster.name}: criticality (N-1)", title_justify="left")
    for column in ("rank", "facility", "production lost", "facilities hit", "flows disrupted"):
        table.add_column(column, justify="left" if column == "facility" else "right")
    for rank, row in enumerate(rows[:top], start=1):
        table.add_row(
            str(rank),
            row.facility,
            f"{row.damage:.2f}",
            str(row.affected),
            str(row.disrupted_flows),
        )
    console.print(table)
    write_json(json, [asdict(r) for r in rows])
