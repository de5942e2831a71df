"""Shutdown impact and N-1 criticality: the bundled examples and synthetic networks.

Run: ``.venv/bin/python benchmarks/symbiosis.py [--sizes 1000 10000] [--repeat 5]``

Synthetic networks (seed 1): N facilities with three output and three input streams each and 10
flows per facility to random receivers; a fifth of the inputs are steam or heat (not
replaceable), the rest replaceable commodities. Prints the best of ``--repeat`` runs of one
shutdown impact (the facility with the most outgoing flows) and of the N-1 scan where it fits
in memory.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from clusterhub.examples import load_example
from clusterhub.symbiosis import Event, build_network, criticality, impact
from clusterhub.symbiosis.matching import evaluate
from clusterhub.symbiosis.network import Network

CLASSES = ("steam", "heat", "water", "co2", "gypsum", "chemical", "oxygen", "ash", "acid", "salt")


def synthetic_network(facilities: int, flows_per_facility: int = 10, seed: int = 1) -> Network:
    rng = np.random.default_rng(seed)
    flows = facilities * flows_per_facility
    src = rng.integers(0, facilities, flows)
    dst = (src + rng.integers(1, facilities, flows)) % facilities  # never to itself
    per = 3  # input and output streams per facility
    receiver_slot = rng.integers(0, per, flows)
    slot_class = rng.choice(len(CLASSES), size=(facilities, per))
    flow_class = slot_class[dst, receiver_slot]
    # a flow leaves by its supplier's output stream of the same class when it has one
    supplier_slot = rng.integers(0, per, flows)
    outputs = src * per + supplier_slot  # output streams first, then input streams
    receiver = facilities * per + dst * per + receiver_slot
    streams = 2 * facilities * per
    stream_facility = np.repeat(np.arange(facilities), per)
    stream_facility = np.concatenate([stream_facility, stream_facility])
    output_class = rng.integers(0, len(CLASSES), facilities * per)
    output_class[outputs] = flow_class
    classes = tuple(CLASSES[c] for c in np.concatenate([output_class, slot_class.ravel()]))
    return Network(
        facilities=tuple(f"f{i}" for i in range(facilities)),
        owner=tuple(f"p{i}" for i in range(facilities)),
        streams=tuple(f"s{i}" for i in range(streams)),
        stream_facility=stream_facility,
        stream_direction=np.repeat([True, False], facilities * per),
        stream_class=classes,
        stream_quantity=np.full(streams, np.nan),
        stream_emission=np.full(streams, np.nan),
        stream_fate=("none",) * streams,
        src=src,
        dst=dst,
        supplier=outputs,
        receiver=receiver,
        quantity=rng.uniform(1, 100, flows),
        known=np.ones(flows, bool),
        unit=("t",) * flows,
        flows=tuple(f"x{i}" for i in range(flows)),
    )


def best(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'network':>12} {'facilities':>10} {'flows':>7} {'impact s':>9} {'hit':>5} {'N-1 s':>8}"
    )
    cases: list[tuple[str, Network]] = [
        (name, build_network(load_example(name))) for name in ("kalundborg", "kwinana")
    ]
    cases += [("synthetic", synthetic_network(n)) for n in args.sizes]
    for name, net in cases:
        busiest = int(np.bincount(net.src, minlength=len(net.facilities)).argmax())
        event = Event(net.facilities[busiest])
        seconds = best(lambda net=net, event=event: impact(net, event), args.repeat)
        hit = len(impact(net, event).facilities)
        n1 = (
            f"{best(lambda net=net: criticality(net), args.repeat):>8.4f}"
            if len(net.facilities) <= 2000
            else f"{'-':>8}"
        )
        print(
            f"{name:>12} {len(net.facilities):>10} {len(net.flows):>7} {seconds:>9.4f} "
            f"{hit:>5} {n1}"
        )
    matcher_rows()


def matcher_rows() -> None:
    print("\nmatcher, known exchanges hidden and searched for again (ties ranked last)")
    header = f"{'example':>12} {'exchanges':>9} {'P@1':>5} {'P@5':>5} {'R@5':>5} {'R@10':>5}"
    print(f"{header}  P@1 with one feature left out")
    for name in ("kalundborg", "kwinana"):
        started = time.perf_counter()
        result = evaluate(load_example(name))
        seconds = time.perf_counter() - started
        without = " ".join(f"{k} {v[1]:.2f}" for k, v in result.without.items())
        print(
            f"{name:>12} {result.exchanges:>9} {result.precision_at[1]:>5.2f} "
            f"{result.precision_at[5]:>5.2f} {result.recall_at[5]:>5.2f} "
            f"{result.recall_at[10]:>5.2f}  {without} ({seconds:.2f} s)"
        )


if __name__ == "__main__":
    main()
