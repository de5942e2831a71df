"""Start-up time of the ``clusterhub`` command, each run in a fresh process.

Run: ``.venv/bin/python benchmarks/cli_startup.py [--repeat N] [--top K] [--no-optimize]``.
Prints one row per command line: the median, minimum and maximum wall time of N fresh processes
(``python -m clusterhub ...`` and the console script next to the interpreter, when installed);
then the K modules costing most (cumulative, ``-X importtime``) for ``--help``; last, for a
24-hour ``optimize`` of the bundled harbour cluster, the time spent importing against the time
spent building and solving (``--json``'s build_seconds and solve_seconds).

Why fresh processes: start-up cost is what a user pays on every command; a warm interpreter
hides it. The target is under 0.5 s for ``--help`` and ``--version``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable


def _environment() -> dict[str, str]:
    """This checkout's ``src`` first, so the script measures the code beside it."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parent.parent / "src")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env.setdefault("COLUMNS", "100")
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    return done


def _times(argv: list[str], env: dict[str, str], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        _run(argv, env)
        times.append(time.perf_counter() - started)
    return times


def _importtime(argv: list[str], env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) per import reported by ``-X importtime``."""
    done = _run([argv[0], "-X", "importtime", *argv[1:]], env)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(own), int(cumulative), name.rstrip()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes per command")
    parser.add_argument("--top", type=int, default=12, help="import offenders to list")
    parser.add_argument("--no-optimize", action="store_true", help="skip the optimize row")
    args = parser.parse_args()
    env = _environment()
    commands = [
        [PYTHON, "-m", "clusterhub", "--version"],
        [PYTHON, "-m", "clusterhub", "--help"],
        [PYTHON, "-m", "clusterhub", "optimize", "--help"],
    ]
    script = Path(PYTHON).with_name("clusterhub")
    if script.exists():
        commands += [[str(script), "--version"], [str(script), "--help"]]
    header = f"{'command':<40} {'median s':>9} {'min s':>7} {'max s':>7}"
    print(f"{args.repeat} fresh processes each")
    print(header)
    print("-" * len(header))
    for argv in commands:
        times = _times(argv, env, args.repeat)
        shown = " ".join(["python" if a == PYTHON else Path(a).name for a in argv[:1]] + argv[1:])
        print(f"{shown:<40} {statistics.median(times):>9.3f} {min(times):>7.3f} {max(times):>7.3f}")

    rows = _importtime([PYTHON, "-m", "clusterhub", "--help"], env)
    print(f"\n-X importtime of `clusterhub --help`: {sum(r[0] for r in rows) / 1e6:.3f} s in total")
    print(f"{'module':<50} {'cumulative s':>12} {'self s':>8}")
    for own, cumulative, name in sorted(rows, key=lambda r: -r[1])[: args.top]:
        print(f"{name:<50} {cumulative / 1e6:>12.3f} {own / 1e6:>8.3f}")

    if args.no_optimize:
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "optimize.json"
        argv = [PYTHON, "-m", "clusterhub", "optimize", "harbour", "--hours", "24"]
        started = time.perf_counter()
        rows = _importtime([*argv, "--json", str(out)], env)
        wall = time.perf_counter() - started
        result = json.loads(out.read_text("utf-8"))
    imports = sum(r[0] for r in rows) / 1e6
    solving = result["build_seconds"] + result["solve_seconds"]
    print("\n`clusterhub optimize harbour --hours 24` (one run, under -X importtime)")
    print(f"{'imports s':>10} {'build + solve s':>16} {'wall s':>7}")
    print(f"{imports:>10.3f} {solving:>16.3f} {wall:>7.3f}")


if __name__ == "__main__":
    main()
