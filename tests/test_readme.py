"""The README as documentation that cannot rot: its cluster file example is a valid cluster, and
every command of its "Command line" section runs, in order, as written, on a fresh home.

How the commands run: each line is split as the shell would (``shlex``, comments dropped, a
leading ``NAME=value`` set in the environment) and must start with ``clusterhub``. Commands that
end by themselves run in this process through Typer's runner (a fresh process each would cost
seconds of start-up apiece). The four that serve until Ctrl-C (``serve``, ``ingest receipts
--watch``, ``ingest smtp``, ``ingest mqtt``) run as processes of their own: each must come up
(say it is serving, or answer on its port), then is sent SIGINT and must exit 0. The one change
made to a line: the value of ``--port`` of a server becomes a free port, so that the test does
not depend on what else listens on this machine. The user's own input files the section names
(``meter.csv``, ``game.json``, ``newco.yaml``, ``registry.xlsx``) come from ``tests/data/readme``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clusterhub import read_cluster

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
#: What each long-running command prints once it is up.
READY = {
    ("serve",): "Application startup complete",
    ("ingest", "receipts"): "accepted acme/meter",
    ("ingest", "smtp"): "receiving mail",
    ("ingest", "mqtt"): "consuming MQTT",
}


def test_readme_example_validates(tmp_path: Path) -> None:
    readme = README.read_text()
    block = re.search(r"```yaml\n(schema_version: 1\n.*?)```", readme, re.S)
    assert block is not None
    (tmp_path / "cluster.yaml").write_text(block.group(1))
    index = pd.date_range(
        pd.Timestamp("2024-01-01", tz="Europe/Amsterdam"), periods=8784, freq="1h"
    )
    prices = pd.DataFrame(
        {"time": [t.isoformat() for t in index], "eur_per_mwh": np.full(len(index), 77.0)}
    )
    prices.to_csv(tmp_path / "prices.csv", index=False)
    cluster = read_cluster(tmp_path / "cluster.yaml")
    assert cluster.participant("acme").assets[1].technology == "gas_boiler"


def command_lines() -> list[str]:
    """The lines of the first ``bash`` block of the "Command line" section that hold a command
    (continuation comments dropped)."""
    section = README.read_text().split("\n## Command line\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block is not None, "README: no bash block in the Command line section"
    return [line for line in block.group(1).splitlines() if shlex.split(line, comments=True)]


def parse(line: str) -> tuple[dict[str, str], list[str]]:
    """The environment a line sets and the arguments after ``clusterhub``."""
    words = shlex.split(line, comments=True)
    env = {}
    while words and ASSIGNMENT.match(words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[:1] == ["clusterhub"], f"README: not a clusterhub command: {line}"
    return env, words[1:]


def long_running(args: list[str]) -> str | None:
    """The ready line of a command that runs until Ctrl-C, None for one that ends."""
    if "--watch" in args:
        return READY["ingest", "receipts"]
    return READY.get(tuple(args[:1])) or READY.get(tuple(args[:2]))


def test_the_command_lines_are_found() -> None:
    lines = command_lines()
    assert len(lines) >= 30
    assert parse(lines[0]) == ({}, ["examples", "list"])
    env, args = parse(next(line for line in lines if "user add" in line))
    assert "CLUSTERHUB_PASSWORD" in env
    assert args[:2] == ["user", "add"]
    assert [a for line in lines if (a := parse(line)[1]) and long_running(a)] == [
        ["serve", "--port", "8000"],
        ["ingest", "receipts", "--as", "ann", "--watch"],
        ["ingest", "smtp", "--domain", "ingest.example.org", "--port", "2525"],
        ["ingest", "mqtt", "--password-file", "./broker/service.password"],
    ]


def user_files(folder: Path) -> None:
    """The files the README names as the user's own: examples of each."""
    given = ROOT / "tests" / "data" / "readme"
    for name in ("meter.csv", "game.json", "newco.yaml"):
        shutil.copy(given / name, folder / name)
    registry = pd.read_csv(given / "registry.csv", dtype=str, keep_default_na=False)
    registry.to_excel(folder / "registry.xlsx", index=False)


def run_until_ready(
    args: list[str], env: dict[str, str], ready: str, cwd: Path, free_port: Callable[[], int]
) -> tuple[int, str]:
    """Start a serving command, wait for its ready line (and for ``serve``, an answer), then
    Ctrl-C it: its exit status and output."""
    args = list(args)
    port = None
    if "--port" in args:
        port = free_port()
        args[args.index("--port") + 1] = str(port)
    source = str(ROOT / "src")
    environ = (
        os.environ | env | {"PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", "")}
    )
    process = subprocess.Popen(
        [sys.executable, "-c", "from clusterhub.cli.main import main; main()", *args],
        cwd=cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout or []), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while ready not in "".join(lines) and process.poll() is None:
        assert time.monotonic() < deadline, f"{args}: not ready: {''.join(lines)}"
        time.sleep(0.2)
    if args[0] == "serve" and process.poll() is None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json", timeout=30) as answer:
            assert answer.status == 200
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        status = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=10)
    return status, "".join(lines)


@pytest.mark.slow(240)
def test_every_command_line_runs_in_order_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_port: Callable[[], int]
) -> None:
    from clusterhub.cli.main import app

    work = tmp_path / "work"
    work.mkdir()
    user_files(work)
    monkeypatch.chdir(work)
    home = Path(os.environ["CLUSTERHUB_HOME"])  # the fresh home of this test (conftest)
    assert not home.exists() or not any(home.iterdir())
    runner = CliRunner()
    for line in command_lines():
        env, args = parse(line)
        ready = long_running(args)
        if ready is not None:
            status, output = run_until_ready(args, env, ready, work, free_port)
        else:
            result = runner.invoke(app, args, env=env, catch_exceptions=False)
            status, output = result.exit_code, result.output
        assert status == 0, f"README line exits {status}: {line}\n{output}"
