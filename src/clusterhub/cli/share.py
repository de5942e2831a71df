"""``clusterhub share``: split a saving by one or more rules, each with its stability statement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from clusterhub import sharing
from clusterhub.cli.output import Table, console
from clusterhub.energy import DispatchOptions
from clusterhub.errors import InputError, Problem
from clusterhub.model import Cluster
from clusterhub.sharing import (
    Allocation,
    CachedGame,
    Method,
    TableGame,
    game_from_document,
)

if TYPE_CHECKING:
    from clusterhub.service.energy_game import EnergyGame

__all__ = ["allocations_table", "energy_game", "read_game", "run_allocations", "share_payload"]


def read_game(path: Path) -> TableGame:
    """GAME.json as a table game; a JSON syntax error names its line and column."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(
            [Problem("a readable GAME.json file", exc.strerror, file=str(path))]
        ) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem("valid JSON", exc.msg, file=str(path), line=exc.lineno, column=exc.colno)]
        ) from None
    return game_from_document(document, file=str(path))


def _spinner() -> Progress:
    """A transient spinner line with the elapsed time, for work of unknown length."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def energy_game(cluster: Cluster, options: DispatchOptions) -> EnergyGame:
    from clusterhub.service.energy_game import EnergyGame

    with _spinner() as progress:
        progress.add_task(f"building the dispatch model of {cluster.name}", total=None)
        return EnergyGame(cluster, options=options)


def run_allocations(
    game: CachedGame,
    methods: list[Method],
    *,
    samples: int | None,
    precision: float | None,
    seed: int,
    weights: dict[str, float] | None,
    unit: str,
) -> list[Allocation]:
    """Every requested rule on one cached game: coalitions solved for one rule serve the next."""
    results = []
    with _spinner() as progress:
        task = progress.add_task("", total=len(methods))
        for method in methods:
            progress.update(task, description=f"{method.value}: allocating and certifying")
            results.append(
                sharing.allocate(
                    game,
                    method,
                    samples=samples,
                    precision=precision,
                    seed=seed,
                    weights=weights,
                    unit=unit,
                    report=lambda text: progress.update(task, description=text),
                )
            )
            progress.advance(task)
    return results


def allocations_table(title: str, results: list[Allocation], unit: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("participant", style="bold")
    for result in results:
        table.add_column(f"{result.method} {unit}".strip(), justify="right")
    players = results[0].players
    for player in players:
        cells = []
        for result in results:
            cell = f"{result.shares[player] + 0.0:,.2f}".replace("-0.00", "0.00")
            if result.ci95 is not None:
                low, high = result.ci95[player]
                cell += f" ± {(high - low) / 2:,.2f}"
            cells.append(cell)
        table.add_row(player, *cells)
    table.add_section()
    table.add_row("total", *[f"{r.total:,.2f}" for r in results])
    table.add_row("stable", *["yes" if r.certificate.stable else "[red]no[/red]" for r in results])
    table.add_row("largest excess", *[f"{r.certificate.max_excess:,.2f}" for r in results])
    table.add_row("proven", *["yes" if r.certificate.proven else "searched" for r in results])
    table.add_row(
        "coalitions solved",
        *[r.coalitions for r in results],
    )
    return table


def share_payload(results: list[Allocation]) -> dict[str, Any]:
    """One method: its allocation's keys at the top level; several: one entry per method."""
    if len(results) == 1:
        return results[0].as_dict()
    return {
        "total": results[0].total,
        "allocations": {r.method: r.as_dict() for r in results},
    }
