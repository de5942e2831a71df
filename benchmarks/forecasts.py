"""Every forecaster side by side: its backtest skill and the regret it costs in rolling operation.

Run: ``.venv/bin/python benchmarks/forecasts.py [--example harbour] [--start 2024-03-01]
[--days 14] [--window 36] [--commit 24]``

Operates the example day by day from ``--start`` for ``--days`` on each forecast (perfect,
persistence, seeded noise, learned) and prints the realized cost, the regret against perfect
foresight and the seconds taken; for the learned forecaster also its version and its
rolling-origin backtest on the history before ``--start`` (MAE in MW and skill against
persistence, overall and for the first, sixth and last hour ahead).
"""

from __future__ import annotations

import argparse
import time
from typing import get_args

from clusterhub.energy import DispatchOptions, Forecast, simulate
from clusterhub.examples import load_example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="harbour")
    parser.add_argument("--start", default="2024-03-01")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--window", type=float, default=36.0)
    parser.add_argument("--commit", type=float, default=24.0)
    args = parser.parse_args()
    cluster = load_example(args.example)
    steps = round(24 * args.days / cluster.horizon.step_hours)
    options = DispatchOptions(start=args.start, steps=steps)
    print(f"{args.example}: {args.days} days from {args.start}, windows of {args.window:g} h")
    print(f"{'forecast':<12} {'realized EUR':>14} {'regret EUR':>12} {'regret %':>9} {'s':>7}")
    for kind in get_args(Forecast):
        started = time.perf_counter()
        result = simulate(
            cluster,
            kind=kind,
            options=options,
            window_hours=args.window,
            commit_hours=args.commit,
        )
        seconds = time.perf_counter() - started
        print(
            f"{kind:<12} {result.realized_cost_eur:>14,.0f} {result.regret_eur:>12,.0f} "
            f"{result.regret_pct:>9.3f} {seconds:>7.1f}"
        )
        if result.backtest is not None:
            judged = result.backtest
            leads = sorted(judged.mae_by_lead_mw)
            picks = [leads[0], leads[min(5, len(leads) - 1)], leads[-1]]
            by_lead = ", ".join(
                f"{lead} ahead {judged.mae_by_lead_mw[lead]:.2f} vs "
                f"{judged.persistence_mae_by_lead_mw[lead]:.2f}"
                for lead in picks
            )
            print(
                f"  learned {result.forecaster_version}: skill {judged.overall_skill:.3f} over "
                f"{judged.windows} daily origins; MAE MW (learned vs persistence) {by_lead}"
            )


if __name__ == "__main__":
    main()
