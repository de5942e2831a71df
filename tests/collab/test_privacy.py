"""Differential privacy: the Laplace scale follows from the bounds and epsilon, the noise has
that scale, budgets add up by sequential composition; and the new safe-table statistics.

OpenDP takes no seed, so the noise is checked statistically: for Laplace(b) noise the mean
absolute deviation is b and the standard deviation b * sqrt(2) (any textbook, e.g. Dwork and
Roth, The Algorithmic Foundations of Differential Privacy, 2014, section 3.3). With 400 draws,
the sample's mean absolute deviation lies within 20% of b far beyond six standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clusterhub.collab.disclosure import safe_table
from clusterhub.collab.period import bucket
from clusterhub.collab.privacy import Budget, Privacy, release

VALUES = [10.0, 20.0, 30.0, 250.0]  # the last one is clamped to the upper bound, 100


def test_the_noise_scale_follows_from_the_bounds_and_epsilon() -> None:
    summed = release(VALUES, statistic="sum", epsilon=0.5, lower=0.0, upper=100.0)
    # one company's value may change anywhere within [0, 100]: sensitivity 100, b = 100 / 0.5
    assert summed.scale == pytest.approx(200.0, rel=1e-6)
    averaged = release(VALUES, statistic="mean", epsilon=0.5, lower=0.0, upper=100.0)
    # a mean over 4 public contributors moves by at most 100 / 4
    assert averaged.scale == pytest.approx(100.0 / 4 / 0.5, rel=1e-6)
    assert summed.epsilon == averaged.epsilon == 0.5


def test_released_values_are_noisy_with_the_laplace_scale() -> None:
    draws = np.array(
        [release(VALUES, statistic="sum", epsilon=1.0, lower=0.0, upper=100.0).value
         for _ in range(400)]
    )  # fmt: skip
    exact = 10 + 20 + 30 + 100  # after clamping
    assert np.all(draws != exact)
    assert np.all(np.abs(draws - exact) < 40 * 100)  # e^-40: never, for Laplace(100)
    deviation = float(np.mean(np.abs(draws - exact)))
    assert deviation == pytest.approx(100.0, rel=0.2)
    assert float(np.mean(draws)) == pytest.approx(exact, abs=6 * 100 * np.sqrt(2 / 400))


def test_only_sums_and_means_take_noise() -> None:
    with pytest.raises(ValueError, match="statistic must be one of sum, mean"):
        release(VALUES, statistic="median", epsilon=1.0, lower=0.0, upper=1.0)
    with pytest.raises(ValueError, match="lower must be below upper"):
        Privacy(1.0, 5.0, 5.0)
    with pytest.raises(ValueError, match="epsilon must be > 0"):
        Privacy(0.0, 0.0, 1.0)


def test_budgets_compose_sequentially() -> None:
    budget = Budget(total=1.0)
    for _ in range(10):  # ten releases of 0.1 fit exactly, despite float sums
        assert budget.allows(0.1)
        budget = Budget(budget.total, budget.spent + 0.1)
    assert not budget.allows(0.1)
    assert budget.remaining == pytest.approx(0.0, abs=1e-12)
    assert Budget(1.0, 0.7).remaining == pytest.approx(0.3)
    assert not Budget(1.0, 0.7).allows(0.4)


def _table() -> pd.DataFrame:
    rows = [("chemicals", f"c{i}", 10.0 + i) for i in range(4)]
    rows += [("energy", "e0", 12.0), ("energy", "e1", 11.0)]
    return pd.DataFrame(rows, columns=["sector", "tenant", "mw"])


def test_a_private_table_splits_epsilon_over_its_cells() -> None:
    cells = safe_table(
        _table(), by=["sector"], value="mw", contributor="tenant",
        privacy=Privacy(0.6, 0.0, 50.0),
    )  # fmt: skip
    by_group = {c.group[0]: c for c in cells}
    # energy: two companies, suppressed and not noised; chemicals withheld as its complement
    assert by_group["energy"].suppressed
    assert by_group["energy"].epsilon is None
    assert by_group["chemicals"].suppressed
    total = by_group["total"]
    assert total.epsilon == pytest.approx(0.6 / 3)  # three cells share the request's epsilon
    assert total.noise_scale == pytest.approx(50.0 / 0.2, rel=1e-6)
    assert total.value != pytest.approx(sum(_table()["mw"]), abs=1e-9)


def test_percentiles_need_k_contributors_on_either_side() -> None:
    frame = pd.DataFrame({"tenant": [f"t{i}" for i in range(12)], "mw": np.arange(12.0) + 10})
    frame["all"] = "cluster"
    p50 = safe_table(frame, by=["all"], value="mw", contributor="tenant", statistic="p50",
                     total=False)  # fmt: skip
    assert p50[0].value == pytest.approx(float(np.percentile(np.arange(12.0) + 10, 50)))
    p25 = safe_table(frame, by=["all"], value="mw", contributor="tenant", statistic="p25",
                     total=False)  # fmt: skip
    assert p25[0].value == pytest.approx(float(np.percentile(np.arange(12.0) + 10, 25)))
    p10 = safe_table(frame, by=["all"], value="mw", contributor="tenant", statistic="p10",
                     total=False)  # fmt: skip
    assert p10[0].suppressed  # 3 / 0.1 = 30 contributors needed
    assert p10[0].reason == "a p10 needs at least 30 contributors"
    with pytest.raises(ValueError, match="with differential privacy"):
        safe_table(frame, by=["all"], value="mw", contributor="tenant", statistic="p50",
                   privacy=Privacy(1.0, 0.0, 1.0))  # fmt: skip


def test_periods_label_calendar_buckets() -> None:
    times = pd.Series(["2026-01-05T00:00", "2026-03-31T23:00+02:00", "not a time", "2025-12-29"])
    assert bucket(times, "day").tolist()[:2] == ["2026-01-05", "2026-03-31"]
    assert bucket(times, "week").tolist()[::3] == ["2026-W02", "2026-W01"]  # ISO weeks
    assert bucket(times, "month").tolist()[::3] == ["2026-01", "2025-12"]
    assert bucket(times, "quarter").tolist()[:2] == ["2026-Q1", "2026-Q1"]
    assert bucket(times, "year").tolist()[::3] == ["2026", "2025"]
    assert bucket(times, "month").isna().tolist() == [False, False, True, False]
    with pytest.raises(ValueError, match="period must be one of"):
        bucket(times, "fortnight")


def test_noise_that_cannot_be_calibrated_releases_nothing() -> None:
    with pytest.raises(ValueError, match="Laplace"):
        release(VALUES, statistic="sum", epsilon=1e-300, lower=-1e12, upper=1e12)
    cells = safe_table(_table(), by=["sector"], value="mw", contributor="tenant",
                       privacy=Privacy(1e-300, -1e12, 1e12))  # fmt: skip
    total = cells[-1]
    assert total.suppressed
    assert total.reason == "no noise can be calibrated for these bounds and this epsilon"
