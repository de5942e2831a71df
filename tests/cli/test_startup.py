"""Start-up: ``clusterhub --help`` and ``--version`` load no solver, dataframe or database
library. Behaviour, not time: the time is measured by ``benchmarks/cli_startup.py``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("linopy", "highspy", "pandas", "xarray", "fastapi", "sqlalchemy", "pvlib", "scipy")
SRC = str(Path(__file__).resolve().parents[2] / "src")

PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[2]))
sys.argv = ["clusterhub", *json.loads(sys.argv[1])]
from clusterhub.cli.main import main
try:
    main()
except SystemExit:
    pass
loaded = sorted(({name.partition(".")[0] for name in sys.modules} | set(sys.modules)) & heavy)
print("LOADED=" + json.dumps(loaded))
"""


def _loaded_after(
    *args: str, heavy: tuple[str, ...] = HEAVY, home: Path | None = None
) -> list[str]:
    """The heavy packages or modules imported by a fresh process running the command."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    if home is not None:
        env["HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(heavy)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADED="))
    return list(json.loads(line.removeprefix("LOADED=")))


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--help",),
        ("symbiosis", "--help"),
        ("ingest", "--help"),
        ("share", "--help"),
    ],
)
def test_help_and_version_load_no_heavy_library(args: tuple[str, ...]) -> None:
    assert _loaded_after(*args) == []


def test_a_day_of_harbour_loads_no_signal_or_statistics_library(tmp_path: Path) -> None:
    """Issue 16 item 8: ``scipy.signal`` and ``scipy.stats`` cost more to import (about 1 s)
    than building and solving a day of harbour; the seeded profiles need neither."""
    loaded = _loaded_after(
        "optimize",
        "harbour",
        "--hours",
        "24",
        heavy=("scipy.signal", "scipy.stats", "linopy"),
        home=tmp_path,
    )
    assert loaded == ["linopy"]  # the probe saw the optimisation run


def test_python_dash_m_runs_the_same_command() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "clusterhub", "--version"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    assert done.stdout.startswith("clusterhub ")


def test_engine_doors_still_give_their_names() -> None:
    """Loaded on first use, the doors hand out the same objects as before."""
    import clusterhub
    from clusterhub.energy import Forecast, compare
    from clusterhub.model import read_cluster
    from clusterhub.sharing import Method, allocate
    from clusterhub.sharing.allocate import Method as AllocateMethod

    assert clusterhub.load_cluster is read_cluster
    assert Method is AllocateMethod
    assert callable(allocate)
    assert callable(compare)
    assert "noisy" in Forecast.__args__
