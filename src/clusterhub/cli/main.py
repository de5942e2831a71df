"""Entry point of the ``clusterhub`` command; exit codes are chosen here and nowhere else.

Why one error boundary: every command raises domain errors (``InputError`` with located problems,
``NotFound``, ``StorageError``); users see one line per problem and exit code 1, never a
traceback. A traceback means a bug in clusterhub.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from typer.core import TyperGroup

from clusterhub import __version__
from clusterhub.cli.datasets import app as dataset_app
from clusterhub.cli.db import app as db_app
from clusterhub.cli.examples import app as examples_app
from clusterhub.cli.ingest import app as ingest_app
from clusterhub.cli.options import FileArgument, JsonOption, UrlOption
from clusterhub.cli.output import console, errors, write_json
from clusterhub.cli.service import audit_app, key_app, serve, tenant_app, user_app
from clusterhub.cli.symbiosis import app as symbiosis_app
from clusterhub.cli.versions import versions
from clusterhub.energy import Forecast
from clusterhub.errors import ClusterhubError, InputError
from clusterhub.sharing import Method

# Each command imports the engines it runs in its body: `clusterhub --help` loads no solver,
# no dataframe library and no database driver (tests/cli/test_startup.py pins this).


class _ErrorBoundary(TyperGroup):
    """Turns domain errors from any command into messages and exit code 1, each on one line
    however narrow the terminal (``soft_wrap``): a ``file:line:column`` broken in two is neither
    found by an editor nor by a search, and how it broke depended on the path's length."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for problem in exc.problems:
                errors.print(
                    f"[red]error[/red]: {escape(str(problem))}", highlight=False, soft_wrap=True
                )
            raise typer.Exit(1) from None
        except ClusterhubError as exc:
            errors.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_ErrorBoundary,
    name="clusterhub",
    help="Digital collaboration for industrial clusters: model, engines, data service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(examples_app, name="examples")
app.add_typer(db_app, name="db")
app.add_typer(symbiosis_app, name="symbiosis")
app.add_typer(ingest_app, name="ingest")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")
app.add_typer(audit_app, name="audit")
app.command()(serve)
app.add_typer(dataset_app, name="dataset")
app.command()(versions)


@app.command()
def validate(file: FileArgument, json: JsonOption = None) -> None:
    """Check a cluster file: every field, every reference, every series against the horizon."""
    from clusterhub.cli.output import problems_payload
    from clusterhub.cli.source import cluster_from
    from clusterhub.model import summarize

    try:
        cluster = cluster_from(file)
    except InputError as exc:  # every problem, as the terminal shows them, for a tool to read
        write_json(json, {"valid": False, "file": file, "problems": problems_payload(exc.problems)})
        raise
    summary = summarize(cluster, energy=False)
    console.print(
        f"[green]valid[/green]: {cluster.name}: {summary.participants} participants, "
        f"{summary.assets} assets, {summary.streams} streams, {summary.exchanges} exchanges"
    )
    write_json(
        json,
        {"valid": True, "file": file, "cluster": cluster.name, "summary": summary.as_dict()},
    )


@app.command()
def show(file: FileArgument, json: JsonOption = None) -> None:
    """Summarise a cluster: who is in it (by the ids the other commands take), what they own,
    annual energies."""
    from clusterhub.cli.output import members_payload, members_table, summary_table
    from clusterhub.cli.source import cluster_from
    from clusterhub.model import summarize

    cluster = cluster_from(file)
    summary = summarize(cluster)
    console.print(summary_table(summary))
    console.print(members_table(cluster))
    write_json(json, {"cluster": cluster.name, **summary.as_dict(), **members_payload(cluster)})


@app.command()
def optimize(
    file: FileArgument,
    start: Annotated[
        str | None, typer.Option(help="first step, e.g. 2024-06-01 (default: horizon start)")
    ] = None,
    hours: Annotated[
        float | None, typer.Option(help="length of the window in hours (default: to the end)")
    ] = None,
    rolling: Annotated[
        bool, typer.Option(help="also operate window by window on forecasts (receding horizon)")
    ] = False,
    window: Annotated[float, typer.Option(help="rolling look-ahead in hours")] = 36.0,
    commit: Annotated[float, typer.Option(help="rolling: hours committed per window")] = 24.0,
    forecast: Annotated[
        Forecast, typer.Option(help="rolling: what the planner knows in advance")
    ] = "perfect",
    seed: Annotated[int, typer.Option(help="rolling: seed of the noisy forecast")] = 0,
    unit_commitment: Annotated[
        bool,
        typer.Option(
            help="converters on or off in each step (minimum load, start-up cost, minimum up "
            "and down times exact; a mixed-integer program); default: the linear relaxation"
        ),
    ] = False,
    causes: Annotated[
        bool,
        typer.Option(
            help="split the saving by cause (netting, congestion relief, shared storage, "
            "converter sharing, demand response, renewables, lines between members): up to "
            "64 more joint runs"
        ),
    ] = False,
    json: JsonOption = None,
) -> None:
    """Joint dispatch of the whole cluster against every participant alone: the saving; with
    --rolling also the cost of operating day by day on forecasts (regret)."""
    from clusterhub.cli.energy import (
        cause_table,
        collaboration_payload,
        collaboration_table,
        rolling_payload,
        rolling_table,
        run_comparison,
        run_rolling,
        window_options,
    )
    from clusterhub.cli.source import cluster_from

    cluster = cluster_from(file)
    options = replace(window_options(cluster, start, hours), unit_commitment=unit_commitment)
    result = run_comparison(cluster, options, causes=causes)
    console.print(collaboration_table(cluster, result))
    if causes:
        console.print(cause_table(result))
    payload = collaboration_payload(cluster, options, result)
    if rolling:
        outcome = run_rolling(
            cluster, options, window=window, commit=commit, kind=forecast, seed=seed
        )
        console.print(rolling_table(outcome, forecast))
        payload["rolling"] = rolling_payload(outcome, forecast, window=window, commit=commit)
    write_json(json, payload)


class Weights(StrEnum):
    COST = "cost"
    ENERGY = "energy"


@app.command()
def share(
    file: Annotated[
        str | None,
        typer.Argument(help="a cluster file or example name (the energy game); or use --game"),
    ] = None,
    game_file: Annotated[
        Path | None, typer.Option("--game", help="an explicit game as GAME.json")
    ] = None,
    method: Annotated[
        list[Method] | None,
        typer.Option(help="allocation rule; repeat to compare rules side by side"),
    ] = None,
    samples: Annotated[
        int | None, typer.Option(help="Shapley by sampling: at most this many orders of arrival")
    ] = None,
    precision: Annotated[
        float | None,
        typer.Option(help="Shapley by sampling: stop when every 95% interval is this narrow"),
    ] = None,
    by: Annotated[
        Weights, typer.Option(help="proportional to stand-alone cost or to energy use")
    ] = Weights.COST,
    seed: Annotated[int, typer.Option(help="seed of the Shapley sampling")] = 0,
    start: Annotated[
        str | None, typer.Option(help="first step of the window (default: horizon start)")
    ] = None,
    hours: Annotated[float, typer.Option(help="hours of dispatch whose saving is shared")] = 24.0,
    json: JsonOption = None,
) -> None:
    """Split the collaboration saving among the participants, with a stability certificate:
    who would gain by leaving, and whether that is proven over every possible group."""
    from clusterhub.cli.energy import window_options, window_payload
    from clusterhub.cli.share import (
        allocations_table,
        energy_game,
        read_game,
        run_allocations,
        share_payload,
    )
    from clusterhub.cli.source import cluster_from
    from clusterhub.sharing import CachedGame

    if (file is None) == (game_file is None):
        raise InputError.single("either a cluster FILE or --game GAME.json", path="share")
    if samples is not None and precision is not None:
        raise InputError.single("--samples or --precision, not both", path="--samples")
    methods = method or [Method.SHAPLEY]
    weights: dict[str, float] | None = None
    about: dict[str, object] = {"game": str(game_file)}
    if game_file is not None:
        game = CachedGame(read_game(game_file))
        title, unit = f"Allocation of {game_file.name}", ""
        if by is Weights.ENERGY and Method.PROPORTIONAL in methods:
            raise InputError.single(
                "--by cost for an explicit game (it has no energy use)", "energy", path="--by"
            )
    else:
        cluster = cluster_from(file or "")
        options = window_options(cluster, start, hours)
        energy = energy_game(cluster, options)
        game = CachedGame(energy)
        weights = energy.energy_use_mwh if by is Weights.ENERGY else energy.standalone_cost
        title = f"{cluster.name}: saving of {hours:g} h of joint dispatch, shared"
        unit = "EUR"
        about = {"cluster": cluster.name, "window": window_payload(cluster, options)}
    results = run_allocations(
        game, methods, samples=samples, precision=precision, seed=seed, weights=weights, unit=unit
    )
    console.print(allocations_table(title, results, unit))
    for result in results:
        console.print(f"[bold]{result.method}[/bold]: {result.certificate.statement}")
    write_json(json, {**about, **share_payload(results)})


@app.command("import")
def import_(
    file: FileArgument,
    key: Annotated[str | None, typer.Option(help="storage key (default: from the name)")] = None,
    url: UrlOption = None,
    json: JsonOption = None,
) -> None:
    """Store a validated cluster as a new version; an invalid file writes nothing."""
    from clusterhub.cli.source import cluster_from
    from clusterhub.storage import database_url, import_cluster

    cluster = cluster_from(file)  # raises before anything touches the database
    stored = import_cluster(database_url(url), cluster, key=key, source=file)
    state = "new version" if stored.is_new else "unchanged, already stored as"
    console.print(f"{stored.key}: {state} {stored.version} (sha256 {stored.sha256[:12]})")
    write_json(json, stored.__dict__)


@app.command()
def demo(
    store: Annotated[
        bool, typer.Option(help="also store each example in the database (embedded SQLite)")
    ] = True,
    url: UrlOption = None,
    hours: Annotated[
        float | None,
        typer.Option(help="hours of harbour dispatch to optimise (default: the whole year)"),
    ] = None,
    json: JsonOption = None,
) -> None:
    """The main job, end to end: every bundled example loaded, validated, summarised and stored,
    then the harbour cluster's joint dispatch against each company alone, and its saving shared
    by Shapley and by the nucleolus, each with its stability certificate; last, the shutdown of
    Kwinana's most critical facility and who loses what."""
    from rich.progress import Progress

    from clusterhub import symbiosis
    from clusterhub.cli.energy import (
        collaboration_payload,
        collaboration_table,
        run_comparison,
        window_options,
    )
    from clusterhub.cli.output import shown_url, summary_table
    from clusterhub.cli.share import allocations_table, energy_game, run_allocations, share_payload
    from clusterhub.cli.symbiosis import match_table, replacement_options
    from clusterhub.cli.symbiosis_report import impact_payload, impact_table
    from clusterhub.examples import EXAMPLES, load_example
    from clusterhub.model import summarize
    from clusterhub.sharing import CachedGame
    from clusterhub.storage import database_url, import_cluster, upgrade
    from clusterhub.symbiosis import Event, build_network

    results: dict[str, object] = {}
    target = database_url(url)
    if store:
        upgrade(target)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("loading examples", total=len(EXAMPLES))
        for name in EXAMPLES:
            progress.update(task, description=f"loading and validating {name}")
            cluster = load_example(name)
            summary = summarize(cluster)
            entry: dict[str, object] = {"summary": summary.as_dict()}
            if store:
                stored = import_cluster(target, cluster, source=f"example:{name}")
                entry["stored"] = {"version": stored.version, "new": stored.is_new}
            results[name] = entry
            progress.console.print(summary_table(summary))
            if store:
                state = "new version" if stored.is_new else "unchanged, version"
                progress.console.print(
                    f"[dim]stored as {stored.key}: {state} {stored.version}[/dim]"
                )
            progress.advance(task)
    if store:
        console.print(f"[dim]stored in {shown_url(target)}[/dim]")
    harbour = load_example("harbour")
    window = window_options(harbour, None, hours)
    comparison = run_comparison(harbour, window)
    console.print(collaboration_table(harbour, comparison))
    results["harbour"]["optimize"] = collaboration_payload(harbour, window, comparison)  # type: ignore[index]
    energy = energy_game(harbour, window)
    shared = run_allocations(
        CachedGame(energy),
        [Method.SHAPLEY, Method.NUCLEOLUS],
        samples=None,
        precision=None,
        seed=0,
        weights=None,
        unit="EUR",
    )
    console.print(allocations_table(f"{harbour.name}: the saving shared", shared, "EUR"))
    for result in shared:
        console.print(f"[bold]{result.method}[/bold]: {result.certificate.statement}")
    results["harbour"]["share"] = share_payload(shared)  # type: ignore[index]
    kwinana = load_example("kwinana")
    network = build_network(kwinana)
    worst = symbiosis.criticality(network)[0]
    shutdown = symbiosis.impact(network, Event(worst.facility))
    console.print(
        impact_table(shutdown, f"{kwinana.name}: the most critical facility, {worst.name}, stops")
    )
    options = replacement_options(kwinana, shutdown)
    if any(options.values()):
        console.print(
            match_table(
                "replacements for the lost inputs", [m for v in options.values() for m in v]
            )
        )
    payload = impact_payload(shutdown)
    payload["replacements"] = {k: [m.__dict__ for m in v] for k, v in options.items()}
    results["kwinana"]["shutdown"] = payload  # type: ignore[index]
    write_json(json, results)


def version_callback(value: bool) -> None:
    if value:
        console.print(f"clusterhub {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True)
    ] = False,
) -> None:
    """clusterhub: digital collaboration for industrial clusters."""


def main() -> None:
    """Console-script entry point."""
    app()
