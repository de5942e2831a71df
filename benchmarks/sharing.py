"""Benefit sharing at scale: exact Shapley, least core and nucleolus on energy games.

Run: ``.venv/bin/python benchmarks/sharing.py [--shapley 8 10 12] [--core 10 20 50 100]
[--nucleolus 10 20] [--sampling 12]``

The games are the tight synthetic clusters of ``benchmarks/energy.py`` (contracts short for some,
spare for others, curtailable load), one representative day, hourly, plus a grid operator who owns
nothing (a null player). Prints per case: coalition LPs solved, separation seconds (the MILP
oracle), total seconds, and whether the certificate is proven; for sampling, the largest error
against the exact Shapley value by number of sampled orders.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from clusterhub.service.energy_game import EnergyGame
from clusterhub.sharing import CachedGame, allocate
from clusterhub.sharing.shapley import exact_shapley, sampled_shapley
from energy import synthetic


def game(companies: int) -> EnergyGame:
    return EnergyGame(synthetic(companies, "1h", 24, tight=True))


def shapley_rows(sizes: list[int]) -> None:
    print(f"{'exact Shapley':>16} {'LPs':>6} {'seconds':>8} {'saving EUR':>11}")
    for size in sizes:
        energy = game(size)
        result = allocate(energy, "shapley", exact_shapley_up_to=size)
        seconds = float(result.diagnostics["allocation_seconds"])  # without the certificate
        print(
            f"{size:>13} co {result.diagnostics['coalition_solves']:>6} {seconds:>8.1f} "
            f"{result.total:>11,.0f}"
        )


def core_rows(sizes: list[int], method: str) -> None:
    print(
        f"{method:>16} {'LPs':>6} {'rounds':>6} {'separation s':>12} {'total s':>8} "
        f"{'proven':>6} {'epsilon EUR':>11} {'saving EUR':>11}"
    )
    for size in sizes:
        energy = game(size)
        started = time.perf_counter()
        result = allocate(energy, method, unit="EUR")
        total = time.perf_counter() - started
        d = result.diagnostics
        epsilon = result.certificate.least_core_epsilon
        print(
            f"{size:>13} co {d['coalition_solves']:>6} {d['rounds']:>6} "
            f"{d['separation_seconds']:>12.1f} {total:>8.1f} "
            f"{'yes' if result.certificate.proven else 'no':>6} "
            f"{(epsilon or 0.0):>11.2f} {result.total:>11,.0f}"
        )


def sampling_rows(size: int) -> None:
    cached = CachedGame(game(size))
    exact = exact_shapley(cached)
    print(f"sampled Shapley, {size} companies: largest error against exact (EUR)")
    print(f"{'orders':>8} {'max error':>10} {'max CI half-width':>18}")
    for samples in (50, 100, 200, 500, 1000):
        estimate = sampled_shapley(cached, samples=samples, seed=1)
        error = float(np.abs(estimate.value - exact).max())
        print(f"{samples:>8} {error:>10.2f} {estimate.half_width:>18.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shapley", type=int, nargs="*", default=[8, 10, 12])
    parser.add_argument("--core", type=int, nargs="*", default=[10, 20, 50, 100])
    parser.add_argument("--nucleolus", type=int, nargs="*", default=[10, 20])
    parser.add_argument("--sampling", type=int, nargs="*", default=[12])
    args = parser.parse_args()
    if args.shapley:
        shapley_rows(args.shapley)
    if args.core:
        core_rows(args.core, "least-core")
    if args.nucleolus:
        core_rows(args.nucleolus, "nucleolus")
    for size in args.sampling:
        sampling_rows(size)


if __name__ == "__main__":
    main()
