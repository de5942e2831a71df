"""Safe aggregates: k contributors, dominance, complementary suppression, and a differencing
attack that never pins down one company."""

from __future__ import annotations

import highspy
import numpy as np
import pandas as pd

from clusterhub.collab.disclosure import QueryAuditor, Rules, safe_table


def frame() -> pd.DataFrame:
    rows = [
        ("chemicals", "a", 10.0), ("chemicals", "b", 12.0), ("chemicals", "c", 9.0),
        ("steel", "d", 50.0), ("steel", "e", 5.0), ("steel", "f", 4.0),  # d dominates
        ("food", "g", 3.0), ("food", "h", 4.0),  # two only
        ("energy", "i", 7.0), ("energy", "j", 8.0), ("energy", "k", 6.0), ("energy", "l", 7.0),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["sector", "company", "mwh"])


def test_cells_need_k_contributors_and_no_dominant_one() -> None:
    cells = {c.group[0]: c for c in safe_table(frame(), by=["sector"], value="mwh",
                                              contributor="company")}  # fmt: skip
    assert cells["chemicals"].value == 31.0
    assert cells["food"].suppressed
    assert "fewer than 3" in cells["food"].reason
    assert cells["steel"].suppressed
    assert "more than 60%" in cells["steel"].reason
    assert cells["total"].value == frame()["mwh"].sum()


def test_a_lone_suppressed_cell_gets_a_complement() -> None:
    data = frame()
    data = data[data["sector"] != "food"]  # now only steel is suppressed
    cells = {c.group[0]: c for c in safe_table(data, by=["sector"], value="mwh",
                                              contributor="company")}  # fmt: skip
    assert cells["steel"].suppressed
    withheld = [g for g, c in cells.items() if g not in ("steel", "total") and c.suppressed]
    assert withheld in (["energy"], ["chemicals"])  # the smaller released one
    assert "cannot be found from the total" in cells[withheld[0]].reason


def test_the_auditor_refuses_all_but_one() -> None:
    companies = list("abcdefgh")
    values = dict(zip(companies, [10.0, 12, 9, 11, 8, 7, 13, 10], strict=True))
    auditor = QueryAuditor(companies, Rules(k=3, p=0.6))
    assert not auditor.ask(frozenset("abcdefgh"), values).suppressed
    refused = auditor.ask(frozenset("abcdefg"), values)  # would give h by difference
    assert refused.suppressed
    assert "fewer than 3" in refused.reason


def _bounds(rows: list[np.ndarray], sums: list[float], n: int, upper: float) -> np.ndarray:
    """For each company, the interval an attacker can infer from the released sums and
    0 <= x <= upper, by LP (min and max of each x_i)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.full(n, upper))
    for row, total in zip(rows, sums, strict=True):
        index = np.flatnonzero(row).astype(np.int32)
        h.addRow(total, total, len(index), index, np.ones(len(index)))
    out = np.zeros((n, 2))
    for i in range(n):
        for side, sense in enumerate((1.0, -1.0)):
            cost = np.zeros(n)
            cost[i] = sense
            h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            h.run()
            out[i, side] = h.getSolution().col_value[i]
    return out


def test_a_thousand_differencing_attacks_reveal_no_company_within_ten_percent() -> None:
    rng = np.random.default_rng(2026)
    n = 7
    companies = [f"c{i}" for i in range(n)]
    disclosed = 0
    for _ in range(1000):
        values = dict(zip(companies, rng.uniform(5, 20, n), strict=True))
        auditor = QueryAuditor(companies, Rules(k=3, p=0.6))
        rows, sums = [], []
        for _ in range(int(rng.integers(3, 9))):  # random overlapping sets
            size = int(rng.integers(3, n + 1))
            members = frozenset(rng.choice(companies, size, replace=False).tolist())
            cell = auditor.ask(members, values)
            if not cell.suppressed:
                rows.append(np.array([1.0 if c in members else 0.0 for c in companies]))
                sums.append(float(cell.value or 0.0))
        if not rows:
            continue
        bounds = _bounds(rows, sums, n, upper=100.0)
        truth = np.array([values[c] for c in companies])
        width = bounds[:, 1] - bounds[:, 0]
        disclosed += int(np.any(width <= 0.2 * truth))
    assert disclosed == 0


def _hours(moving: list[float], others: float | None = None) -> pd.DataFrame:
    """Four companies by hour: ``a`` follows ``moving``; the others are flat at ``others``
    or, when it is None, move like ``a``."""
    rows = [(h, "a", v) for h, v in enumerate(moving)]
    for company in "bcd":
        rows += [(h, company, others if others is not None else v + 1.0)
                 for h, v in enumerate(moving)]  # fmt: skip
    return pd.DataFrame(rows, columns=["hour", "company", "mw"])


def test_a_series_over_time_does_not_show_one_members_profile() -> None:
    profile = [2.0, 9.0, 4.0, 12.0, 3.0, 8.0]
    flat = safe_table(_hours(profile, 10.0), by=["hour"], value="mw",
                      contributor="company", time="hour")  # fmt: skip
    assert all(c.suppressed and "ups and downs" in c.reason for c in flat[:-1])
    assert flat[-1].value == sum(profile) + 3 * 60.0  # the total over the hours stays
    alike = safe_table(_hours(profile), by=["hour"], value="mw", contributor="company",
                       time="hour")  # fmt: skip
    assert not any(c.suppressed for c in alike)
    untimed = safe_table(_hours(profile, 10.0), by=["hour"], value="mw", contributor="company")
    assert not any(c.suppressed for c in untimed)  # the rule is for time buckets only
