"""``clusterhub symbiosis``: the exchange network, one shutdown's impact, criticality (N-1).

The commands that look for new exchanges and feed the registry (``match``, ``plan``,
``entrant``, ``import``, ``classify``) are in ``symbiosis_matching`` and registered here, after
these, on the same app.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clusterhub.cli.options import FileArgument, JsonOption
from clusterhub.cli.output import Table, console, write_json
from clusterhub.cli.symbiosis_matching import (
    classify_command,
    entrant_command,
    import_command,
    match_command,
    match_table,
    plan_command,
)

if TYPE_CHECKING:
    from clusterhub.model import Cluster
    from clusterhub.symbiosis import Impact, Market, Match, Network

# The engine, the model and pandas load inside each command: `clusterhub --help` needs none.

__all__ = ["app", "match_table", "replacement_options"]

app = typer.Typer(help="Industrial symbiosis: the exchange network and what a shutdown does.")


@app.command()
def network(
    file: FileArgument,
    year: Annotated[int | None, typer.Option(help="only exchanges active in this year")] = None,
    json: JsonOption = None,
) -> None:
    """Facilities and flows: degree, betweenness, supplier concentration, single points of
    failure, per-resource flow tables (for a Sankey diagram) and the year-by-year replay."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.symbiosis import build_network, flow_tables, metrics, replay

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
            "cluster": cluster.name,
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


YearOption = Annotated[
    int | None,
    typer.Option(help="the year to describe (default: the latest year the registry describes)"),
]
BuyableOption = Annotated[
    list[str] | None,
    typer.Option(
        "--buyable", help="CLASS=SHARE: share of a lost input of CLASS bought in (repeatable)"
    ),
]
MarketOption = Annotated[
    Path | None,
    typer.Option(
        "--market",
        help="a market table (CSV or Excel: resource_class, region, buyable_share, price, "
        "emission_factor, source) whose rows replace the bundled ones",
    ),
]
DefaultOption = Annotated[
    float,
    typer.Option("--market-default", help="buyable share of classes without a market row"),
]
RegionOption = Annotated[
    str | None,
    typer.Option(help="market region (ISO code; default: the cluster's country)"),
]


def _network_and_market(
    file: str, region: str | None, table: Path | None, buyable: list[str] | None, default: float
) -> tuple[Cluster, Network, Market]:
    """The cluster, its exchange network and the market its options describe (the region by
    default the cluster's country): what ``impact`` and ``criticality`` both start from."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import market_from_options
    from clusterhub.symbiosis import build_network

    cluster = cluster_from(file)
    net = build_network(cluster)
    return cluster, net, market_from_options(region or net.region, table, buyable, default)


@app.command("impact")
def impact_command(
    file: FileArgument,
    shutdown: Annotated[str, typer.Option(help="id of the facility (site) that stops")],
    days: Annotated[
        float | None, typer.Option(help="a suspension of this many days (default: for good)")
    ] = None,
    year: YearOption = None,
    buyable: BuyableOption = None,
    market_table: MarketOption = None,
    market_default: DefaultOption = 0.0,
    region: RegionOption = None,
    json: JsonOption = None,
) -> None:
    """Who loses which input, how much and how soon when a facility stops, in one year; what
    is assumed bought in instead, at what cost and CO2e."""
    from clusterhub import symbiosis
    from clusterhub.cli.symbiosis_report import (
        finite,
        impact_payload,
        impact_table,
        market_line,
        purchases_table,
        unit_text,
        year_line,
    )
    from clusterhub.symbiosis import Event

    cluster, net, assumed = _network_and_market(file, region, market_table, buyable, market_default)
    event = Event(shutdown, "shutdown" if days is None else "suspension", days=days)
    result = symbiosis.impact(net, event, year=year, market=assumed)
    span = "for good" if days is None else f"for {days:g} days"
    when = f" in {result.year}" if result.year is not None else ""
    if not result.not_running:
        console.print(impact_table(result, f"{cluster.name}{when}: {shutdown} stops {span}"))
    console.print(year_line(result.scope))
    if result.not_running and result.scope is not None:
        console.print(
            f"{shutdown} does not run in {result.year} (status: "
            f"{result.scope.not_running[shutdown]}): stopping it takes nothing away."
        )
    if result.purchases:
        console.print(purchases_table(result))
    console.print(market_line(result.market))
    options = replacement_options(cluster, result)
    if any(options.values()):
        console.print(
            match_table(
                "replacements for the lost inputs", [m for ms in options.values() for m in ms]
            )
        )
    if not result.facilities and not result.not_running:
        console.print(
            "No other facility has to slow down"
            + (": every input it supplies is bought in instead (above)." if result.purchases
               else ": it supplies no running facility in this year.")
        )  # fmt: skip
    unknown = sum(1 for x in result.purchases if x.quantity is None)
    left = ", ".join(f"{v:,.3g} {unit_text(u)}/yr" for u, v in result.diverted.items())
    if result.diverted_unknown:
        n = result.diverted_unknown
        left += (", " if left else "") + f"{n} flow{'s' if n > 1 else ''} of unknown quantity"
    console.print(
        f"production lost elsewhere: {result.damage:.2f} facility-equivalents; bought in "
        f"instead: EUR {result.cost_eur:,.0f}/yr, {result.co2e_t:,.0f} tCO2e/yr"
        + (f" ({unknown} purchases of unknown quantity not counted)" if unknown else "")
        + f"; outputs left without a taker: {left or 'none'}"
    )
    payload = {"cluster": cluster.name, **impact_payload(result)}
    payload["replacements"] = finite({k: [asdict(m) for m in v] for k, v in options.items()})
    write_json(json, payload)


def replacement_options(cluster: Cluster, result: Impact, top: int = 3) -> dict[str, list[Match]]:
    """Ranked sources for every input the event cuts, at facilities that keep running (not
    the one that stops, not those it slows, not those whose status says they are idle)."""
    from clusterhub.symbiosis import replacements

    lost = {x.stream: f.facility for f in result.facilities for x in f.lost_inputs}
    down = {result.event.facility} | {f.facility for f in result.facilities if f.level < 1}
    if result.scope is not None:
        down |= set(result.scope.not_running)
    return replacements(cluster, lost, down, top=top)


@app.command("criticality")
def criticality_command(
    file: FileArgument,
    top: Annotated[int, typer.Option(help="rows to show")] = 15,
    year: YearOption = None,
    buyable: BuyableOption = None,
    market_table: MarketOption = None,
    market_default: DefaultOption = 0.0,
    region: RegionOption = None,
    json: JsonOption = None,
) -> None:
    """Every running facility's shutdown in turn (N-1) in one year: ranked by the production
    it takes down elsewhere, then by the flows it disrupts."""
    from clusterhub import symbiosis
    from clusterhub.cli.symbiosis_report import (
        market_line,
        market_payload,
        scope_payload,
        year_line,
    )

    cluster, net, assumed = _network_and_market(file, region, market_table, buyable, market_default)
    ranking = symbiosis.criticality(net, year=year, market=assumed)
    when = f" in {ranking.year}" if ranking.year is not None else ""
    table = Table(title=f"{cluster.name}{when}: criticality (N-1)", title_justify="left")
    for column in ("rank", "facility", "production lost", "facilities hit", "flows disrupted"):
        table.add_column(column, justify="left" if column == "facility" else "right")
    running = [r for r in ranking if r.running]
    for rank, row in enumerate(running[:top], start=1):
        table.add_row(
            str(rank),
            row.facility,
            f"{row.damage:.2f}",
            str(row.affected),
            str(row.disrupted_flows),
        )
    console.print(table)
    console.print(year_line(ranking.scope))
    console.print(market_line(ranking.market))
    write_json(
        json,
        {
            "cluster": cluster.name,
            **scope_payload(ranking.scope),
            "market": market_payload(ranking.market),
            "rows": [asdict(r) for r in ranking],
        },
    )


app.command("match")(match_command)
app.command("plan")(plan_command)
app.command("entrant")(entrant_command)
app.command("import")(import_command)
app.command("classify")(classify_command)
