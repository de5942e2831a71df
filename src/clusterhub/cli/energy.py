"""``clusterhub optimize``: joint dispatch against everyone alone, as a table and as JSON."""

from __future__ import annotations

import time as clock
from typing import Any

import pandas as pd
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from clusterhub.cli.output import Table, console
from clusterhub.energy import (
    CollaborationResult,
    DispatchOptions,
    DispatchResult,
    Forecast,
    Peak,
    RollingResult,
    compare,
    simulate,
)
from clusterhub.errors import InputError
from clusterhub.model import Cluster

__all__ = [
    "collaboration_payload",
    "collaboration_table",
    "rolling_payload",
    "rolling_table",
    "run_comparison",
    "run_rolling",
    "window_options",
    "window_payload",
]


def window_options(cluster: Cluster, start: str | None, hours: float | None) -> DispatchOptions:
    """Turn ``--start DATE --hours N`` into steps of the cluster's horizon."""
    index = cluster.time_index
    first = 0
    if start is not None:
        try:
            moment = pd.Timestamp(start)
        except ValueError:
            raise InputError.single(
                "a date such as 2024-06-01 or 2024-06-01T06:00", repr(start), path="--start"
            ) from None
        moment = moment.tz_localize(index.tz) if moment.tzinfo is None else moment
        first = int(index.searchsorted(moment))
        if first >= len(index) or index[first] != moment:
            raise InputError.single(
                f"a step of the horizon ({index[0]:%Y-%m-%d %H:%M} to "
                f"{index[-1]:%Y-%m-%d %H:%M}, every {cluster.horizon.resolution})",
                repr(start),
                path="--start",
            )
    steps = None
    if hours is not None:
        steps = round(hours / cluster.horizon.step_hours)
        if steps < 1 or first + steps > len(index):
            raise InputError.single(
                f"hours that fit the horizon after the start (at most "
                f"{(len(index) - first) * cluster.horizon.step_hours:g})",
                f"{hours:g}",
                path="--hours",
            )
    return DispatchOptions(start=first, steps=steps)


def run_comparison(
    cluster: Cluster, options: DispatchOptions, *, causes: bool = False
) -> CollaborationResult:
    """Build and solve with a live status line naming the engine's stage: a year of a large
    cluster takes a while."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{cluster.name}: joint and stand-alone dispatch", total=1.0)

        def tell(stage: str, fraction: float) -> None:
            progress.update(task, description=f"{cluster.name}: {stage}", completed=fraction)

        started = clock.perf_counter()
        result = compare(cluster, options=options, progress=tell, causes=causes)
        progress.console.print(f"[dim]solved in {clock.perf_counter() - started:.1f} s[/dim]")
    return result


def window_payload(cluster: Cluster, options: DispatchOptions) -> dict[str, Any]:
    """The steps a run covers, as the user gives them back: ``--start`` and ``--hours``."""
    index = cluster.time_index
    first, steps = options.window(cluster)
    return {
        "start": index[first].isoformat(),
        "hours": steps * cluster.horizon.step_hours,
        "steps": steps,
        "resolution": cluster.horizon.resolution,
    }


def collaboration_payload(
    cluster: Cluster, options: DispatchOptions, result: CollaborationResult
) -> dict[str, Any]:
    """What ``--json`` carries: which cluster and window, then the costs, each participant's
    alone and in the joint dispatch."""
    joint = result.joint
    return {
        "cluster": cluster.name,
        "window": window_payload(cluster, options),
        "joint_cost_by_participant_eur": joint.cost_by_participant_eur,
        "joint_cost_eur": joint.total_cost_eur,
        "joint_cost_parts_eur": joint.cost_parts_eur,
        "standalone_cost_eur": result.standalone_cost_eur,
        "standalone_total_eur": result.standalone.total_cost_eur,
        "saving_eur": result.saving_eur,
        "saving_pct": result.saving_pct,
        "saving_pct_of_bills": result.saving_pct_of_bills,
        "saving_by_cost_part_eur": result.saving_by_cost_part_eur,
        "saving_by_cause_eur": result.saving_by_cause_eur,
        "emissions_t": joint.emissions_t,
        "standalone_emissions_t": result.standalone.emissions_t,
        "congested_hours": joint.congested_hours,
        "one_way_hours": {
            "joint": joint.one_way_hours,
            "standalone": result.standalone.one_way_hours,
        },
        "gap_pct": {"joint": joint.gap_pct, "standalone": result.standalone.gap_pct},
        "unit_commitment": joint.unit_commitment,
        "capacity_peaks": {
            "joint": [peak_payload(p) for p in joint.peaks],
            "standalone": [peak_payload(p) for p in result.standalone.peaks],
        },
        "build_seconds": result.build_seconds,
        "solve_seconds": result.solve_seconds,
    }


def collaboration_table(cluster: Cluster, result: CollaborationResult) -> Table:
    joint, alone = result.joint, result.standalone
    window = joint.dispatch.time
    first = pd.Timestamp(window.values[0]).tz_localize("UTC").tz_convert(cluster.timezone)
    title = (
        f"{cluster.name}: {first:%Y-%m-%d %H:%M} + {window.size * cluster.horizon.step_hours:g} h"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("participant")
    table.add_column("alone, EUR", justify="right")
    table.add_column("together, EUR", justify="right")
    together = joint.cost_by_participant_eur
    for participant, cost in alone.cost_by_participant_eur.items():
        if cost or together.get(participant):
            table.add_row(participant, f"{cost:,.0f}", f"{together.get(participant, 0.0):,.0f}")
    table.add_section()
    table.add_row(
        "[bold]all[/bold]",
        f"[bold]{alone.total_cost_eur:,.0f}[/bold]",
        f"[bold]{joint.total_cost_eur:,.0f}[/bold]",
    )
    table.add_row(
        "[green]saving[/green]",
        "",
        f"[green]{result.saving_eur:,.0f} ({result.saving_pct:.1f}%)[/green]",
    )
    table.add_row(
        "[green]of the paying members' bills[/green]",
        f"{result.paying_cost_eur:,.0f}",
        f"[green]{result.saving_pct_of_bills:.1f}%[/green]",
    )
    table.add_section()
    parts = ", ".join(f"{k} {v:,.0f}" for k, v in joint.cost_parts_eur.items())
    table.add_row("cost parts", "", parts)
    table.add_row("emissions", f"{alone.emissions_t:,.0f} t", f"{joint.emissions_t:,.0f} t")
    congested = ", ".join(f"{c} {h:g} h" for c, h in joint.congested_hours.items())
    table.add_row("hours at the connection limit", "", congested or "-")
    for label, run in (("one way per meter, alone", alone), ("one way per meter, joint", joint)):
        held = meter_line(run)
        if held:
            table.add_row(label, "", held)
    if joint.unit_commitment is not None:
        table.add_row("converters on/off", "", COMMITMENT[joint.unit_commitment])
    if alone.peaks or joint.peaks:
        table.add_row("capacity-tariff peaks", peak_line(alone), peak_line(joint))
    return table


def cause_table(result: CollaborationResult) -> Table:
    """The saving by cause and by cost part, side by side: which decisions made it, and
    what got cheaper."""
    table = Table(title="where the saving comes from", title_justify="left")
    table.add_column("cause")
    table.add_column("EUR", justify="right")
    table.add_column("cost part")
    table.add_column("EUR", justify="right")
    causes = list((result.saving_by_cause_eur or {}).items())
    parts = list(result.saving_by_cost_part_eur.items())
    for row in range(max(len(causes), len(parts))):
        cause, part = causes[row : row + 1], parts[row : row + 1]
        table.add_row(
            cause[0][0] if cause else "",
            f"{cause[0][1]:,.0f}" if cause else "",
            part[0][0] if part else "",
            f"{part[0][1]:,.0f}" if part else "",
        )
    return table


#: What each way of running units with a minimum load or start-up cost means for the figures.
COMMITMENT = {
    "binary": "on or off in each step (exact; unit commitment)",
    "relaxed": "as a share (the linear relaxation: a unit may run below its minimum load; "
    "--unit-commitment for on or off)",
}


def peak_payload(peak: Peak) -> dict[str, Any]:
    return {
        "meter": peak.meter,
        "side": peak.side,
        "period": peak.period,
        "peak_mw": peak.peak_mw,
        "at": peak.at.isoformat(),
        "charge_eur": peak.charge_eur,
    }


def peak_line(run: DispatchResult) -> str:
    """The peaks a capacity tariff charged, summed per side: what pooling or shaving saves."""
    if not run.peaks:
        return "-"
    sides: dict[str, tuple[float, float]] = {}
    for peak in run.peaks:
        mw, eur = sides.get(peak.side, (0.0, 0.0))
        sides[peak.side] = (mw + peak.peak_mw, eur + peak.charge_eur)
    return ", ".join(f"{side} {mw:,.1f} MW, {eur:,.0f} EUR" for side, (mw, eur) in sides.items())


def meter_line(run: DispatchResult) -> str:
    """Where export paid more than import cost, so an on/off choice kept each meter to one
    direction per hour: said, with how far from the best that can leave the cost, because
    without it the optimum would be free money."""
    if not run.one_way_hours:
        return ""
    hours = sum(run.one_way_hours.values())
    proof = {
        "relaxation": "the linear program already did (exact)",
        "rounded": "the linear program's directions, fixed",
        "branch-and-bound": "branch and bound",
    }.get(run.one_way_method or "", "exact")
    gap = f", within {run.gap_pct:.3g}% of the best" if run.gap_pct else ""
    return f"{hours:g} meter-hours held to import or export, not both: {proof}{gap}"


def run_rolling(
    cluster: Cluster,
    options: DispatchOptions,
    *,
    window: float,
    commit: float,
    kind: Forecast,
    seed: int,
) -> RollingResult:
    """Window by window with a progress bar: a year is 365 plans and 365 settlements."""
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("rolling horizon", total=1.0)

        def tell(stage: str, fraction: float) -> None:
            progress.update(task, description=f"rolling horizon: {stage}", completed=fraction)

        return simulate(
            cluster,
            window_hours=window,
            commit_hours=commit,
            kind=kind,
            seed=seed,
            options=options,
            progress=tell,
        )


def rolling_payload(
    result: RollingResult, kind: Forecast, *, window: float, commit: float
) -> dict[str, Any]:
    return {
        "forecast": kind,
        "window_hours": window,
        "commit_hours": commit,
        "windows": result.windows,
        "realized_cost_eur": result.realized_cost_eur,
        "capacity_cost_eur": result.capacity_cost_eur,
        "perfect_foresight_cost_eur": result.perfect_foresight_cost_eur,
        "regret_eur": result.regret_eur,
        "regret_pct": result.regret_pct,
        "build_seconds": result.build_seconds,
        "solve_seconds": result.solve_seconds,
        "windows_seconds": result.windows_seconds,
        "reference_seconds": result.reference_seconds,
        "forecaster_version": result.forecaster_version,
        "backtest": None
        if result.backtest is None
        else {
            "overall_skill": result.backtest.overall_skill,
            "skill": result.backtest.skill,
            "mae_mw": result.backtest.mae_mw,
            "persistence_mae_mw": result.backtest.persistence_mae_mw,
            "mae_by_lead_mw": result.backtest.mae_by_lead_mw,
            "persistence_mae_by_lead_mw": result.backtest.persistence_mae_by_lead_mw,
        },
    }


def rolling_table(result: RollingResult, kind: Forecast) -> Table:
    table = Table(title=f"Operating window by window on a {kind} forecast", title_justify="left")
    table.add_column("what")
    table.add_column("EUR", justify="right")
    table.add_row("windows", str(result.windows))
    table.add_row("realized cost", f"{result.realized_cost_eur:,.0f}")
    if result.capacity_cost_eur:
        table.add_row("  of which capacity tariffs", f"{result.capacity_cost_eur:,.0f}")
    table.add_row("perfect foresight", f"{result.perfect_foresight_cost_eur:,.0f}")
    table.add_row("regret", f"{result.regret_eur:,.0f} ({result.regret_pct:.2f}%)")
    if result.backtest is not None:
        judged = result.backtest
        table.add_row(
            "forecaster",
            f"{result.forecaster_version}: skill {judged.overall_skill:.2f} against persistence "
            f"({judged.windows} daily origins before the first window)",
        )
    return table
