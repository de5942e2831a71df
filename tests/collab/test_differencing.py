"""The audit of exact cells across releases: known cases, and random overlapping tables
checked against an attacker who solves the released system by least squares."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clusterhub.collab.differencing import LEAK, TOO_MANY, Limits, audit
from clusterhub.collab.disclosure import safe_table

#: Four companies, two days each: atom 2c + d is company c on day d.
OWNERS = np.repeat(np.arange(4), 2)
TOTAL = np.arange(8)
DAYS = [np.arange(0, 8, 2), np.arange(1, 8, 2)]


def test_days_under_a_total_over_the_same_companies_are_released() -> None:
    assert audit([TOTAL], DAYS, OWNERS, requester=0) == ["", ""]


def test_a_total_minus_days_that_miss_one_company_is_refused() -> None:
    days = [np.array([0, 2, 4]), np.array([1, 3, 5])]  # company 3 only in the total
    assert audit([TOTAL], days, OWNERS, requester=0) == ["", LEAK]
    # asked in the other order, the total is the cell that completes the leak
    assert audit(days, [TOTAL], OWNERS, requester=0) == [LEAK]


def test_the_requesters_own_atoms_count_as_known() -> None:
    """Three sums of three of four companies: four unknowns for an outsider, but three (and
    then solvable) for company 0, which knows its own figure."""
    owners = np.arange(4)
    cells = [np.array([0, 1, 2]), np.array([0, 1, 3]), np.array([0, 2, 3])]
    assert audit([], cells, owners, requester=0) == ["", "", LEAK]
    assert audit([], cells, owners, requester=-1) == ["", "", ""]


def test_past_the_cap_no_exact_cell_is_released() -> None:
    limits = Limits(cells=2)
    assert audit([TOTAL], DAYS, OWNERS, requester=0, limits=limits) == [TOO_MANY, TOO_MANY]


def test_random_overlapping_tables_never_determine_one_companys_figure() -> None:
    """Companies with rows on random days and assets; random tables (by day, by asset, by
    both, the total) pass the audit in turn; then an attacker holding every released cell
    solves for each single figure (a company's total, one of its days) by least squares."""
    rng = np.random.default_rng(2026)
    for _ in range(60):
        n = int(rng.integers(3, 6))
        rows = pd.DataFrame({"company": rng.integers(0, n, 40), "day": rng.integers(0, 4, 40),
                             "asset": rng.integers(0, 3, 40)})  # fmt: skip
        rows["mw"] = rng.uniform(1, 10, len(rows))
        owners = rows["company"].to_numpy()
        released: list[np.ndarray] = []
        tables = [["day"], ["asset"], ["day", "asset"], ["all"]]
        for pick in rng.permutation(len(tables)):
            by = tables[pick]
            frame = rows.assign(all=0)
            cells = safe_table(frame, by=by, value="mw", contributor="company",
                               total=by != ["all"])  # fmt: skip
            groups = list(frame.groupby(by, sort=True).indices.values())
            if by != ["all"]:
                groups.append(np.arange(len(frame)))
            candidates = [g for c, g in zip(cells, groups, strict=True) if not c.suppressed]
            reasons = audit(released, candidates, owners, requester=0)
            released += [g for g, r in zip(candidates, reasons, strict=True) if not r]
        if not released:
            continue
        matrix = np.zeros((len(released), len(rows)))
        for i, cell in enumerate(released):
            matrix[i, cell] = 1.0
        matrix = matrix[:, owners != 0]  # the requester subtracts its own rows
        rest = rows[owners != 0].reset_index(drop=True)
        for (_, _), part in [
            *rest.groupby(["company", "day"]),
            *rest.groupby(["company", "company"]),
        ]:
            figure = np.zeros(len(rest))
            figure[part.index] = 1.0
            solution = np.linalg.lstsq(matrix.T, figure, rcond=None)[0]
            assert np.linalg.norm(matrix.T @ solution - figure) > 1e-6
