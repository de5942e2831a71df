"""Build and solve times of the dispatch engine on synthetic clusters of 6, 50 and 200 companies.

Run: ``.venv/bin/python benchmarks/energy.py [--sizes 6 50] [--horizons day week] [--coalitions]``
Horizons: ``day`` (96 quarter-hours), ``week`` (168 h), ``year`` (8760 h). Each company has a PV
plant, a battery, a flexible electric load, an electric and a gas boiler and a steam load, behind
one shared, congested connection. Prints one row per case with build, joint solve, stand-alone
solve and total seconds and the process's peak memory; with ``--coalitions`` also the mean time of
a coalition re-solve on one built model (12 companies, one day, random coalitions); with
``--park 1 --park-start 2024-06-29 --unit-commitment``: a summer week, its units on or off;
``--rolling N`` a year of daily 36-hour windows for N companies on the same built model
(``--rolling-commit 1 --rolling-days 7``: a week committed hour by hour); ``--capacity-tariff
40`` charges the connection's monthly import peak (running-peak columns); with ``--park 1 4``
the energy park over 1 and 4 weeks, whose meters need binaries (how solved, gap, time). The
last column says how each run kept every meter to one direction per step.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import datetime

import numpy as np

from clusterhub.energy import CoalitionCosts, DispatchOptions, compare, prepare, simulate
from clusterhub.energy.solver import Run
from clusterhub.model import (
    Carrier,
    Cluster,
    Connection,
    Contract,
    Converter,
    Demand,
    Flexibility,
    Generator,
    Horizon,
    Location,
    Participant,
    PvProfile,
    ShapeProfile,
    Site,
    Storage,
)

HORIZONS = {"day": ("15min", 96), "week": ("1h", 168), "year": ("1h", 8760)}


def synthetic(
    companies: int, resolution: str, periods: int, seed: int = 1, *, tight: bool = False
) -> Cluster:
    """``tight``: contracts between 0.7 and 1.3 times the mean load, small export contracts and
    curtailable load, the connection as large as the contracts: working together pays (the
    benefit-sharing benchmark's game); otherwise ample contracts and a congested connection."""
    rng = np.random.default_rng(seed)
    participants = []
    contracts = []
    for i in range(companies):
        pid = f"c{i:03d}"
        site = f"{pid}-site"
        load = float(rng.uniform(2, 20))
        participants.append(
            Participant(
                id=pid,
                name=f"Company {i}",
                nace="C20.14",
                sites=(Site(id=site, latitude=51.9, longitude=4.1, connection="grid"),),
                assets=(
                    Generator(
                        id=f"{pid}-pv",
                        site=site,
                        technology="pv",
                        capacity_mw=round(load * rng.uniform(0, 1.5), 1),
                        availability=PvProfile(generator="pv", seed=i % 5),
                    ),
                    Storage(
                        id=f"{pid}-bat",
                        site=site,
                        technology="battery",
                        carrier="electricity",
                        energy_capacity_mwh=load,
                        charge_capacity_mw=load / 2,
                        discharge_capacity_mw=load / 2,
                        charge_efficiency=0.95,
                        discharge_efficiency=0.95,
                    ),
                    Demand(
                        id=f"{pid}-load",
                        site=site,
                        carrier="electricity",
                        profile_mw=ShapeProfile(
                            generator="shape", mean=load, daily_amplitude=0.3, noise=0.05, seed=i
                        ),
                        flexibility=Flexibility(
                            shiftable_share=0.2,
                            window_hours=8,
                            curtailable_share=0.3 if tight else 0.0,
                            curtailment_penalty_eur_per_mwh=250.0 if tight else 0.0,
                        ),
                    ),
                    Converter(
                        id=f"{pid}-eb",
                        site=site,
                        technology="electric_boiler",
                        capacity_mw=load,
                        inputs={"electricity": 1.0},
                        outputs={"steam": 0.99},
                    ),
                    Converter(
                        id=f"{pid}-gb",
                        site=site,
                        technology="gas_boiler",
                        capacity_mw=2 * load,
                        inputs={"gas": 1.0},
                        outputs={"steam": 0.93},
                    ),
                    Demand(id=f"{pid}-steam", site=site, carrier="steam", profile_mw=load / 2),
                ),
            )
        )
        contracts.append(
            Contract(
                participant=pid,
                import_mw=round(load * (rng.uniform(0.7, 1.3) if tight else 2.0), 1),
                export_mw=round(load * (0.2 if tight else 1.0), 1),
            )
        )
    participants.append(Participant(id="grid-co", name="Grid Co", kind="grid_operator"))
    total = sum(c.import_mw for c in contracts)
    return Cluster(
        name=f"Synthetic {companies}",
        location=Location(latitude=51.9, longitude=4.1),
        timezone="Europe/Amsterdam",
        horizon=Horizon(start=datetime(2024, 1, 1), resolution=resolution, periods=periods),
        carbon_price_eur_per_t=65.0,
        carriers=(
            Carrier(
                id="electricity",
                kind="electricity",
                price_eur_per_unit=ShapeProfile(
                    generator="shape",
                    mean=77,
                    daily_amplitude=0.4,
                    noise=0.2,
                    persistence=0.9,
                    seed=9,
                ),
                export_price_eur_per_unit=ShapeProfile(
                    generator="shape", mean=60, daily_amplitude=0.4, seed=9
                ),
                emission_factor_t_per_unit=0.27,
                carbon_priced=False,
            ),
            Carrier(
                id="gas",
                kind="natural_gas",
                price_eur_per_unit=34.0,
                emission_factor_t_per_unit=0.202,
            ),
            Carrier(id="steam", kind="steam", temperature_c=180),
        ),
        participants=tuple(participants),
        connections=(
            Connection(
                id="grid",
                operator="grid-co",
                import_limit_mw=total if tight else 0.6 * total,
                export_limit_mw=sum(c.export_mw for c in contracts) if tight else 0.3 * total,
                import_tariff_eur_per_mwh=5.0,
                contracts=tuple(contracts),
            ),
        ),
    )


def _one_way(run: Run) -> str:
    """How a run kept its meters one way: its binaries, the method, the gap proven."""
    if run.bounds is None:
        return "LP"
    return f"{len(run.integral)} {run.bounds.method} {100 * run.bounds.gap:.4f}"


def park(weeks: int, *, start: str | None = None, unit_commitment: bool = False) -> None:
    """The energy park, whose renewables sell at the coal benchmark, above the valley tariff:
    where binaries bind, with how they were solved; ``unit_commitment``: its converters with a
    minimum load on or off (binaries) instead of the relaxation."""
    from clusterhub.examples import load_example

    started = time.perf_counter()
    options = DispatchOptions(start=start or 0, steps=168 * weeks, unit_commitment=unit_commitment)
    result = compare(load_example("energy-park"), options=options)
    total = time.perf_counter() - started
    for name, run in (("joint", result.joint), ("alone", result.standalone)):
        print(
            f"energy-park {weeks} week(s) {name}: {sum(run.one_way_hours.values()):g} "
            f"meter-hours one way, {run.one_way_method}, gap {run.gap_pct or 0:.4f}% "
            f"(bounds {run.lower_bound_eur or 0:,.0f} .. {run.upper_bound_eur or 0:,.0f} EUR), "
            f"solve {run.solve_seconds:.1f} s"
        )
    how = "units on/off" if unit_commitment else "units relaxed"
    print(
        f"energy-park {weeks} week(s) from {start or 'the start'}, {how}: {total:.1f} s in all "
        f"(gather, build, both solves); joint {result.joint.total_cost_eur:,.0f} EUR, alone "
        f"{result.standalone.total_cost_eur:,.0f} EUR"
    )


def tariffed(cluster: Cluster, eur_per_kw_year: float) -> Cluster:
    """``cluster`` with a monthly import capacity tariff on every connection (0: as it is)."""
    if not eur_per_kw_year:
        return cluster
    update = {"import_capacity_tariff_eur_per_kw_year": eur_per_kw_year}
    connections = tuple(c.model_copy(update=update) for c in cluster.connections)
    return cluster.model_copy(update={"connections": connections})


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[6, 50, 200])
    parser.add_argument("--horizons", nargs="+", default=["day", "week"], choices=list(HORIZONS))
    parser.add_argument("--coalitions", action="store_true")
    parser.add_argument(
        "--rolling",
        type=int,
        metavar="COMPANIES",
        help="also a year in daily windows (36 h look-ahead) for this many",
    )
    parser.add_argument(
        "--rolling-commit", type=int, default=24, metavar="HOURS", help="hours committed per window"
    )
    parser.add_argument(
        "--rolling-days", type=int, default=365, metavar="DAYS", help="days operated (from 1 Jan)"
    )
    parser.add_argument(
        "--park", type=int, nargs="*", metavar="WEEKS", help="the energy park over these weeks"
    )
    parser.add_argument(
        "--capacity-tariff",
        type=float,
        default=0.0,
        metavar="EUR_PER_KW_YEAR",
        help="a monthly capacity tariff on the synthetic clusters' connection (running peaks)",
    )
    parser.add_argument("--park-start", metavar="DATE", help="the energy park's first day")
    parser.add_argument(
        "--unit-commitment",
        action="store_true",
        help="the energy park's converters with a minimum load on or off (binaries)",
    )
    args = parser.parse_args()
    # one small case first, untimed: imports and first-use costs (pvlib, linopy, HiGHS) are
    # paid once per process and would otherwise land on the first row
    prepare(synthetic(2, "15min", 8)).joint()
    print(
        f"{'companies':>9} {'horizon':>7} {'columns':>9} {'build s':>8} {'joint s':>8} "
        f"{'alone s':>8} {'total s':>8} {'saving %':>8} {'peak MiB':>9} {'method':>8}  "
        "one way (binaries, how, gap %: joint / alone)"
    )
    for size in args.sizes:
        for horizon in args.horizons:
            resolution, periods = HORIZONS[horizon]
            cluster = tariffed(synthetic(size, resolution, periods), args.capacity_tariff)
            started = time.perf_counter()
            solver = prepare(cluster)
            built = time.perf_counter() - started
            joint = solver.joint()
            alone = solver.standalone()
            total = time.perf_counter() - started
            saving = 100 * (alone.objective - joint.objective) / alone.objective
            print(
                f"{size:>9} {horizon:>7} {len(solver.vlabels):>9} {built:>8.2f} "
                f"{joint.seconds:>8.2f} {alone.seconds:>8.2f} {total:>8.2f} {saving:>8.2f} "
                f"{peak_mib():>9.0f} {solver.method:>8}  {_one_way(joint)} / {_one_way(alone)}"
            )
    for weeks in args.park or []:
        park(weeks, start=args.park_start, unit_commitment=args.unit_commitment)
    if args.rolling:
        cluster = synthetic(args.rolling, "1h", 8760)
        started = time.perf_counter()
        result = simulate(
            cluster,
            window_hours=36,
            commit_hours=args.rolling_commit,
            kind="perfect",
            options=DispatchOptions(steps=24 * args.rolling_days),
        )
        print(
            f"rolling {args.rolling_days} days, {args.rolling} companies, {result.windows} "
            f"windows of 36 h committing {args.rolling_commit} h: "
            f"{time.perf_counter() - started:.1f} s total = {result.build_seconds:.1f} s "
            f"gather+build + {result.windows_seconds:.1f} s for the windows (of which "
            f"{result.solve_seconds:.1f} s in HiGHS) + {result.reference_seconds:.1f} s for the "
            f"perfect-foresight reference; regret {result.regret_pct:.3f}%, "
            f"peak {peak_mib():.0f} MiB"
        )
    if args.coalitions:
        costs = CoalitionCosts(synthetic(12, "1h", 24), options=DispatchOptions())
        costs.standalone()
        rng = np.random.default_rng(7)
        companies = [p for p in costs.participants if p != "grid-co"]
        samples = [[p for p in companies if rng.random() < 0.5] for _ in range(200)]
        started = time.perf_counter()
        for members in samples:
            costs(members)
        per = (time.perf_counter() - started) / costs.solves * 1000
        print(
            f"coalition re-solve, 12 companies x 24 h: {per:.2f} ms each over {costs.solves} "
            "distinct coalitions (bounds changed on one built model, HiGHS warm start)"
        )


if __name__ == "__main__":
    main()
