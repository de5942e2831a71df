"""The ``harbour`` example: a port energy cluster like Rotterdam's "Starlings" pilot.

Why a cluster file and not Python: the file is what a cluster council would write and edit, so the
example doubles as a template. Only the day-ahead price is a CSV, because a price is the one
series a council receives as data rather than as a shape; it is synthesised here from a fixed seed
(no market data may be shipped) and committed, and a test checks that regenerating it gives the
committed file byte for byte.

Regenerate the CSV after changing the generator with ``python -m clusterhub.examples.harbour``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from clusterhub.examples import load_packaged
from clusterhub.model import Cluster, Horizon, ar1

__all__ = [
    "FOLDER",
    "PRICE_COLUMN",
    "PRICE_FILE",
    "build",
    "day_ahead_price",
    "horizon_index",
    "price_table",
]

FOLDER = "harbour"
CLUSTER_FILE = "harbour.yaml"
PRICE_FILE = "day_ahead_price.csv"
PRICE_COLUMN = "price_eur_per_mwh"

#: EPEX SPOT NL day-ahead annual average 2024, about 77 EUR/MWh (energy_parameters.csv, label B).
MEAN_PRICE_EUR_PER_MWH = 77.0
PRICE_SEED = 2024


def build() -> Cluster:
    """The harbour cluster, read from its packaged file and price CSV."""
    return load_packaged(FOLDER, CLUSTER_FILE)


def horizon_index() -> pd.DatetimeIndex:
    """The cluster file's time axis, read without its CSV so that the CSV can be regenerated."""
    text = resources.files("clusterhub.examples").joinpath("data", FOLDER, CLUSTER_FILE)
    document = yaml.safe_load(text.read_text(encoding="utf-8"))
    return Horizon.model_validate(document["horizon"]).index(document["timezone"])


def _ar1(rng: np.random.Generator, size: int, persistence: float) -> np.ndarray:
    """Unit-variance autocorrelated noise: weather and market moods last, they do not flicker."""
    shocks = rng.normal(size=size)
    return ar1(shocks, persistence)


def day_ahead_price(
    index: pd.DatetimeIndex,
    *,
    mean_eur_per_mwh: float = MEAN_PRICE_EUR_PER_MWH,
    seed: int = PRICE_SEED,
) -> np.ndarray:
    """A Dutch-like hourly day-ahead price in EUR/MWh, rounded to the cent as exchanges publish.

    Why these terms: what makes joint dispatch pay in a port is the price's shape, so the series
    has the features batteries, electric boilers and electrolysers respond to: morning and evening
    peaks, dearer winters, cheaper weekends, windy spells lasting days, and a solar trough at
    summer noon that turns negative on sunny days (as in the Dutch market since 2023). The level
    is then shifted so that the annual mean is ``mean_eur_per_mwh``.
    """
    rng = np.random.default_rng(seed)
    hour = index.hour.to_numpy() + 0.5
    day_of_year = index.dayofyear.to_numpy()
    weekend = index.dayofweek.to_numpy() >= 5
    days = index.normalize().to_numpy(dtype="datetime64[ns]")
    unique_days, day_of_step = np.unique(days, return_inverse=True)

    winter = np.cos(2 * np.pi * (day_of_year - 15) / 366.0)
    summer = np.clip(np.cos(2 * np.pi * (day_of_year - 172) / 366.0), 0.0, None)
    daily = (
        14.0 * np.exp(-(((hour - 8.5) / 2.0) ** 2))
        + 24.0 * np.exp(-(((hour - 19.5) / 2.5) ** 2))
        - 12.0 * np.exp(-(((hour - 3.5) / 3.0) ** 2))
    )
    windy_day = _ar1(rng, len(unique_days), 0.7)[day_of_step]
    sunny_day = rng.uniform(size=len(unique_days))[day_of_step]
    noon = np.clip(np.cos(np.pi * (hour - 13.5) / 10.0), 0.0, None) ** 1.5
    solar = 105.0 * summer**0.8 * sunny_day**0.7 * noon * np.where(weekend, 1.25, 1.0)
    noise = _ar1(rng, len(index), 0.85)

    price = (
        80.0
        + 14.0 * winter
        + daily * (1.0 + 0.4 * winter)
        - 16.0 * windy_day
        - solar
        - np.where(weekend, 8.0, 0.0)
        + 7.0 * noise
    )
    price += mean_eur_per_mwh - price.mean()
    return np.asarray(np.round(price, 2), dtype=float)


def price_table(index: pd.DatetimeIndex) -> str:
    """The price CSV's text: ``time`` as ``model.io.series_files`` writes it, prices in cents."""
    table = pd.DataFrame(
        {"time": index.map(lambda t: t.isoformat()), PRICE_COLUMN: day_ahead_price(index)}
    )
    return table.to_csv(index=False, float_format="%.2f", lineterminator="\n")


if __name__ == "__main__":  # pragma: no cover - a maintainer's regeneration step
    target = Path(__file__).parent / "data" / FOLDER / PRICE_FILE
    target.write_text(price_table(horizon_index()), encoding="utf-8")
    print(f"wrote {target.name}")
