"""``clusterhub symbiosis match``, ``plan``, ``entrant``, ``import`` and ``classify``: the
exchanges that could be, and the registry they are looked for in.

Why apart from ``symbiosis``: those commands read the network as it is and what a shutdown
takes from it; these look for what is not exchanged yet (candidates, the best allocation, what a
newcomer would find) and add streams to the registry. ``symbiosis`` registers them on its app,
so the commands and their order are the same.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clusterhub.cli.options import FileArgument, JsonOption
from clusterhub.cli.output import Table, console, write_json

if TYPE_CHECKING:
    from clusterhub.symbiosis import Match

# The engine, the model and pandas load inside each command: `clusterhub --help` needs none.

__all__ = [
    "classify_command",
    "entrant_command",
    "import_command",
    "match_command",
    "match_table",
    "plan_command",
]


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
    payload: dict[str, Any] = {
        "cluster": cluster.name,
        "matches": {k: [asdict(m) for m in v] for k, v in found.items()},
    }
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
    write_json(json, {"cluster": cluster.name, **asdict(plan)})


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
                "cluster": cluster.name,
                "participant": fit.participant,
                "absorbs": {k: [asdict(m) for m in v] for k, v in fit.absorbs.items()},
                "supplies": {k: [asdict(m) for m in v] for k, v in fit.supplies.items()},
            }
        ),
    )


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
