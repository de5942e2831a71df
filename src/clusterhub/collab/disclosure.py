"""Safe aggregates: what a competitor may see of others' data, and why a cell is withheld.

Why these rules: a sum over two companies tells each the other's value; a sum dominated by one
company tells everyone roughly that company's value; and two harmless sums that differ by one
company tell that company's value by subtraction. So a cell is released only over at least ``k``
contributors with none above ``p`` of the total (primary suppression); in a table with a total,
a lone suppressed cell is protected by withholding the next smallest too (complementary
suppression); and ad-hoc aggregates over chosen sets of companies pass a query auditor that
refuses a set differing from an earlier one by fewer than ``k`` members, or one that would let
any single company's value be solved from what was released.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from clusterhub.collab.privacy import DP_STATISTICS, Privacy, release

__all__ = ["Cell", "QueryAuditor", "Rules", "safe_table"]


@dataclass(frozen=True)
class Rules:
    k: int = 3  # at least this many contributors per released cell
    p: float = 0.6  # no contributor above this share of a cell's total


@dataclass(frozen=True)
class Cell:
    group: tuple[object, ...]
    value: float | None  # None when suppressed
    contributors: int
    reason: str = ""  # why it was suppressed ("" when released)
    epsilon: float | None = None  # differential privacy: what the noisy value spent
    noise_scale: float | None = None  # and the scale of its Laplace noise

    @property
    def suppressed(self) -> bool:
        return self.value is None


#: Percentiles of the contributors' values in a cell, by name.
PERCENTILES = {"p10": 0.10, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p90": 0.90}
STATISTICS = ("sum", "mean", "median", *PERCENTILES)


def safe_table(
    frame: pd.DataFrame,
    *,
    by: Sequence[str],
    value: str,
    contributor: str,
    statistic: str = "sum",
    rules: Rules | None = None,
    total: bool = True,
    privacy: Privacy | None = None,
    time: str | None = None,
) -> list[Cell]:
    """Aggregate ``value`` per group of ``by`` (and a total row when ``total``), each cell
    released only when safe. Several rows of one contributor in a cell count as one
    contributor (their values summed). ``time`` names the column of ``by`` that is a time
    bucket: a series over it is withheld when one contributor makes most of its ups and downs
    (see ``_shapes``). With ``privacy``, every released cell carries Laplace noise and the
    epsilon is split evenly over all cells of the table (see ``privacy``)."""
    rules = rules or Rules()
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}")
    if privacy is not None and statistic not in DP_STATISTICS:
        raise ValueError(f"with differential privacy, statistic must be one of {DP_STATISTICS}")
    per = frame.groupby([*by, contributor], dropna=False)[value].sum().reset_index()
    shaped = (
        _shapes(per, by, time=time, value=value, contributor=contributor, rules=rules)
        if time is not None and time in by
        else set()
    )
    cells: list[Cell] = []
    inputs: list[pd.Series] = []  # each cell's values, one per contributor
    for key, group in per.groupby(list(by), dropna=False, sort=True):
        group_key = key if isinstance(key, tuple) else (key,)
        cell = _cell(group_key, group[value], rules, statistic)
        if not cell.suppressed and _slice(group_key, by, time) in shaped:
            cell = Cell(group_key, None, cell.contributors, SHAPE.format(rules.p))
        cells.append(cell)
        inputs.append(group[value])
    if len(cells) > 1:
        _complement(cells)
    if total:
        whole = per.groupby(contributor)[value].sum()
        cells.append(_cell(("total",), whole, rules, statistic))
        inputs.append(whole)
    if privacy is not None:
        share = privacy.epsilon / len(cells)
        cells = [
            _noisy(c, v, statistic, share, privacy) for c, v in zip(cells, inputs, strict=True)
        ]
    return cells


SHAPE = "over time one contributor makes more than {:.0%} of the ups and downs"


def _slice(key: tuple[object, ...], by: Sequence[str], time: str | None) -> tuple[object, ...]:
    """A cell's series: its group without the time bucket."""
    return tuple(k for k, b in zip(key, by, strict=True) if b != time)


def _shapes(
    per: pd.DataFrame, by: Sequence[str], *, time: str, value: str, contributor: str,
    rules: Rules,
) -> set[tuple[object, ...]]:  # fmt: skip
    """The series (groups without the time bucket) whose breakdown over time would show one
    contributor's profile: when the others are flat, the released series moves exactly as that
    one does, even though every cell passes the k and dominance rules. A contributor's variation
    is the sum of absolute deviations of its values (zero where it has none) from its own mean
    over the series' buckets; a series is withheld when one contributor has more than ``p`` of
    the contributors' variation together."""
    rest = [b for b in by if b != time]
    buckets = per[[*rest, time]].drop_duplicates()
    members = per[[*rest, contributor]].drop_duplicates()
    grid = members.merge(buckets, on=rest) if rest else members.merge(buckets, how="cross")
    grid = grid.merge(per, on=[*rest, contributor, time], how="left")
    grid[value] = grid[value].fillna(0.0)
    own = [*rest, contributor]
    grid["deviation"] = (
        grid[value] - grid.groupby(own, dropna=False)[value].transform("mean")
    ).abs()
    deviation = grid.groupby(own, dropna=False)["deviation"].sum().reset_index()
    if not rest:
        deviation["slice"] = 0
        rest = ["slice"]
    series = deviation.groupby(rest, dropna=False)["deviation"].agg(["max", "sum"])
    width = buckets.groupby(rest, dropna=False)[time].nunique() if rest != ["slice"] else None
    share = (series["max"] / series["sum"]).where(series["sum"] > 0, 0.0)
    if width is not None:
        share = share.where(width.reindex(share.index) > 1, 0.0)
    elif buckets.shape[0] < 2:
        return set()
    if rest == ["slice"]:
        return {()} if float(share.iloc[0]) > rules.p else set()
    return {k if isinstance(k, tuple) else (k,) for k, v in share.items() if v > rules.p}


def _noisy(cell: Cell, values: pd.Series, statistic: str, epsilon: float, privacy: Privacy) -> Cell:
    """A released cell's value replaced by its differentially private counterpart; suppressed
    cells stay as they are (nothing of them is released, but their share is spent all the
    same: which cells are suppressed depends on the data too)."""
    if cell.suppressed:
        return cell
    try:
        noisy = release(
            values.tolist(),
            statistic=statistic,
            epsilon=epsilon,
            lower=privacy.lower,
            upper=privacy.upper,
        )
    except ValueError:  # bounds and epsilon too extreme for calibrated noise: release nothing
        why = "no noise can be calibrated for these bounds and this epsilon"
        return Cell(cell.group, None, cell.contributors, why)
    return replace(cell, value=noisy.value, epsilon=noisy.epsilon, noise_scale=noisy.scale)


def _cell(group: tuple[object, ...], values: pd.Series, rules: Rules, statistic: str) -> Cell:
    n = len(values)
    if n < rules.k:
        return Cell(group, None, n, f"fewer than {rules.k} contributors")
    magnitude = float(np.abs(values).sum())
    largest = float(np.abs(values).max())
    if magnitude > 0 and largest > rules.p * magnitude:
        return Cell(group, None, n, f"one contributor has more than {rules.p:.0%} of the total")
    if statistic == "median" and n < 2 * rules.k:
        # a median is one contributor's own value (or the mean of two): needs twice k
        return Cell(group, None, n, f"a median needs at least {2 * rules.k} contributors")
    if statistic in PERCENTILES:
        # like a median, a percentile sits on (or between) contributors' own values: at least k
        # of them on either side, so that it never stands for one company's figure
        q = PERCENTILES[statistic]
        need = math.ceil(round(rules.k / min(q, 1 - q), 9))
        if n < need:
            return Cell(group, None, n, f"a {statistic} needs at least {need} contributors")
        return Cell(group, float(values.quantile(q)), n)
    result = {
        "sum": float(values.sum()),
        "mean": float(values.mean()),
        "median": float(values.median()),
    }[statistic]
    return Cell(group, result, n)


def _complement(cells: list[Cell]) -> None:
    """With the total released, one suppressed cell could be found by subtraction: withhold
    the smallest released cell as well (its value is then no longer the key)."""
    suppressed = [c for c in cells if c.suppressed]
    released = [c for c in cells if not c.suppressed]
    if len(suppressed) == 1 and released:
        smallest = min(released, key=lambda c: abs(c.value or 0.0))
        index = cells.index(smallest)
        cells[index] = Cell(
            smallest.group,
            None,
            smallest.contributors,
            "withheld so that a suppressed cell cannot be found from the total",
        )


@dataclass
class QueryAuditor:
    """Ad-hoc aggregates over chosen sets of contributors, answered only while no contributor's
    value can be worked out from everything released so far (per dataset and measure)."""

    contributors: Sequence[str]
    rules: Rules = field(default_factory=Rules)
    released: list[frozenset[str]] = field(default_factory=list)
    _rows: list[np.ndarray] = field(default_factory=list)

    def ask(self, members: frozenset[str], values: Mapping[str, float]) -> Cell:
        """The sum over ``members``, or a refusal that says why."""
        members = frozenset(members)
        group = tuple(sorted(members))
        unknown = members - set(self.contributors)
        if unknown:
            return Cell(group, None, len(members), "unknown contributors")
        series = pd.Series([values[m] for m in sorted(members)], dtype=float)
        cell = _cell(group, series, self.rules, "sum")
        if cell.suppressed:
            return cell
        if members in self.released:
            return cell  # the same question again: nothing new is revealed
        for earlier in self.released:
            if len(members ^ earlier) < self.rules.k:
                why = f"differs from an earlier query by fewer than {self.rules.k}"
                return Cell(group, None, len(members), why)
        row = np.array([1.0 if c in members else 0.0 for c in self.contributors])
        if _reveals_one(np.vstack([*self._rows, row])):
            why = "together with earlier answers it would reveal one contributor"
            return Cell(group, None, len(members), why)
        self.released.append(members)
        self._rows.append(row)
        return cell


def _reveals_one(rows: np.ndarray) -> bool:
    """Whether some contributor's value is a linear combination of the released sums: its unit
    vector lies in the row space of the released queries."""
    _, singular, vt = np.linalg.svd(rows, full_matrices=False)
    basis = vt[singular > 1e-9 * max(1.0, float(singular.max(initial=0.0)))]
    # the projection of e_i on the row space is basis[:, i]; e_i is in it when that has norm 1
    norms = np.sum(basis**2, axis=0)
    return bool(np.any(norms > 1.0 - 1e-9))
