"""The README's cluster file example is a valid cluster: documentation that cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from clusterhub import read_cluster


def test_readme_example_validates(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
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
