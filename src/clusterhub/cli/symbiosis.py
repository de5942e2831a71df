"""``clusterhub symbiosis``: the exchange network, one shutdown's impact, criticality (N-1)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clusterhub.cli.output import Table, console, write_json

if TYPE_CHECKING:
    from clusterhub.model import Cluster
    from clusterhub.symbiosis import Impact, Match

# The engine, the model and pandas load inside each command: `clusterhub --help` needs none.

__all__ = ["app", "match_table", "replacement_options"]

app = typer.Typer(help="Industrial symbiosis: the exchange network and what a shutdown does.")

FileArgument = Annotated[
    str, typer.Argument(help="a cluster file (YAML or JSON), or the name of a bundled example")
]
JsonOption = Annotated[
    Path | None, typer.Option("--json", help="write the machine-readable result to PATH")
]


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
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import (
        finite,
        impact_payload,
        impact_table,
        market_from_options,
        market_line,
        purchases_table,
        unit_text,
        year_line,
    )
    from clusterhub.symbiosis import Event, build_network

    cluster = cluster_from(file)
    net = build_network(cluster)
    assumed = market_from_options(region or net.region, market_table, buyable, market_default)
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
    payload = impact_payload(result)
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
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import (
        market_from_options,
        market_line,
        market_payload,
        scope_payload,
        year_line,
    )
    from clusterhub.symbiosis import build_network

    cluster = cluster_from(file)
    net = build_network(cluster)
    assumed = market_from_options(region or net.region, market_table, buyable, market_default)
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
            **scope_payload(ranking.scope),
            "market": market_payload(ranking.market),
            "rows": [asdict(r) for r in ranking],
        },
    )


def _match_row(m: Match) -> list[str]:
    benefit = "-" if m.net_benefit_eur is None else f"{m.net_benefit_eur:,.0f}"
    co2 = "-" if m.avoided_co2e_t is None else f"{m.avoided_co2e_t:,.1f}"
    short = {"resource": "res", "quality": "qual", "quantity": "qty", "distance": "dist",
             "availability": "free", "timing": "time"}  # fmt: skip
    why = " ".join(f"{short.get(k, k)} {v:.1f}" for k, v in m.parts.items())
    return [
        m.supplier,
        m.receiver,
        f"{m.score:.2f}",
        why + (f"; via {m.treatment}" if m.treatment else ""),
        f"{m.distance_km:.1f} km {m.mode}",
        benefit,
        co2,
    ]


def match_table(title: str, matches: list[Match]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("output", "input", "score", "why", "distance", "EUR/yr", "tCO2e/yr"):
        table.add_column(column)
    for m in matches:
        table.add_row(*_match_row(m))
    return table


@app.command("match")
def match_command(
    file: FileArgument,
    top: Annotated[int, typer.Option(help="candidates per stream")] = 5,
    evaluate_matcher: Annotated[
        bool,
        typer.Option("--evaluate", help="also hide the known exchanges and measure recovery"),
    ] = False,
    json: JsonOption = None,
) -> None:
    """Candidate inputs for every output (and sources for every input) that is not exchanged
    yet, with the score's parts, the annual net benefit and the avoided CO2e."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import finite
    from clusterhub.symbiosis import evaluate, match

    cluster = cluster_from(file)
    found = match(cluster, top=top)
    outputs = {s.id for _, s in cluster.iter_streams() if s.direction == "output"}
    best = sorted(
        (ms[0] for stream, ms in found.items() if stream in outputs and ms),
        key=lambda m: -m.score,
    )
    console.print(match_table(f"{cluster.name}: best new match of each output", best[:30]))
    payload: dict[str, Any] = {"matches": {k: [asdict(m) for m in v] for k, v in found.items()}}
    if evaluate_matcher:
        result = evaluate(cluster)
        console.print(
            f"held-out exchanges: {result.exchanges} (in {result.queries} outputs); "
            + ", ".join(
                f"precision@{k} {result.precision_at[k]:.2f} recall@{k} {result.recall_at[k]:.2f}"
                for k in result.recall_at
            )
            + f"; {result.unreachable} not reachable (incompatible classes)"
        )
        payload["evaluation"] = asdict(result)
    write_json(json, finite(payload))


@app.command("plan")
def plan_command(
    file: FileArgument,
    fixed_cost: Annotated[
        float, typer.Option(help="EUR per year for each new link (makes it a MILP)")
    ] = 0.0,
    year: Annotated[
        int | None,
        typer.Option(help="the year whose exchanges exist (default: the latest described)"),
    ] = None,
    json: JsonOption = None,
) -> None:
    """The flows of largest total net benefit under supply and need (LP; MILP with a fixed
    cost per new link), between facilities that run."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import unit_text
    from clusterhub.symbiosis import plan_flows

    cluster = cluster_from(file)
    plan = plan_flows(cluster, fixed_cost_eur=fixed_cost, year=year)
    table = Table(title=f"{cluster.name}: best allocation of flows", title_justify="left")
    for column in ("output", "input", "quantity", "EUR/unit", "EUR/yr", "link"):
        table.add_column(column)
    for f in sorted(plan.flows, key=lambda f: -f.benefit_eur):
        table.add_row(
            f.supplier,
            f.receiver,
            f"{f.quantity:,.0f} {unit_text(f.unit)}",
            f"{f.benefit_eur_per_unit:,.1f}",
            f"{f.benefit_eur:,.0f}",
            "existing" if f.existing else "new",
        )
    console.print(table)
    console.print(
        f"total net benefit EUR {plan.total_benefit_eur:,.0f}/yr with {plan.new_links} new "
        f"links (fixed costs EUR {plan.fixed_cost_eur:,.0f}), from {plan.candidates} candidates"
        + (f"; existing exchanges as of {plan.year}" if plan.year is not None else "")
    )
    if plan.left_out:
        console.print(
            "left out, their status says they do not run: "
            + ", ".join(f"{k} ({v})" for k, v in sorted(plan.left_out.items()))
        )
    write_json(json, asdict(plan))


@app.command("entrant")
def entrant_command(
    file: FileArgument,
    facility: Annotated[Path, typer.Option(help="the newcomer: a participant as YAML or JSON")],
    top: Annotated[int, typer.Option(help="candidates per stream")] = 5,
    json: JsonOption = None,
) -> None:
    """What a new facility would find in the cluster: outputs its inputs could take and
    inputs its outputs could feed."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import finite
    from clusterhub.model.io import read_participant
    from clusterhub.symbiosis import entrant

    cluster = cluster_from(file)
    fit = entrant(cluster, read_participant(facility), top=top)
    absorbs = [m for ms in fit.absorbs.values() for m in ms]
    supplies = [m for ms in fit.supplies.values() for m in ms]
    console.print(match_table(f"{fit.participant} could take", absorbs))
    console.print(match_table(f"{fit.participant} could supply", supplies))
    write_json(
        json,
        finite(
            {
                "participant": fit.participant,
                "absorbs": {k: [asdict(m) for m in v] for k, v in fit.absorbs.items()},
                "supplies": {k: [asdict(m) for m in v] for k, v in fit.supplies.items()},
            }
        ),
    )


@app.command("import")
def import_command(
    file: FileArgument,
    streams: Annotated[Path, typer.Option(help="the registry table: CSV or Excel (.xlsx)")],
    out: Annotated[
        Path, typer.Option(help="where to write the cluster with the streams added (YAML)")
    ],
    json: JsonOption = None,
) -> None:
    """Add the streams of a registry table to a cluster: every row checked (row and column
    named), nothing written unless every row is right."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.cli.symbiosis_report import read_table
    from clusterhub.model.io import write_cluster
    from clusterhub.symbiosis import add_streams, streams_from_table

    cluster = cluster_from(file)
    table = read_table(streams)
    added = streams_from_table(table, file=str(streams), cluster=cluster)
    written = write_cluster(add_streams(cluster, added), out)
    console.print(f"{len(added)} streams added; wrote {', '.join(str(p) for p in written)}")
    write_json(json, {"added": [s.id for s in added], "written": [str(p) for p in written]})


@app.command("classify")
def classify_command(
    text: Annotated[str, typer.Argument(help='a description, e.g. "spent pickling liquor"')],
    json: JsonOption = None,
) -> None:
    """The resource class a description names, and the closest List of Waste entries."""
    from clusterhub import symbiosis

    result = symbiosis.classify(text)
    console.print(
        f"{result.resource_class} (confidence {result.confidence:.2f}"
        + (f"; from: {', '.join(result.because)})" if result.because else ")")
    )
    for code, _, description, similarity in result.ewc:
        console.print(f"  EWC {code}  {description}  (similarity {similarity:.2f})")
    write_json(json, asdict(result))
