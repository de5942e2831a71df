"""Differencing across releases: may one more exact cell be released to a requester, given
every exact cell it was released before over the same data?

Why linear algebra: an exact sum (or mean: the number of companies per cell is public) is a
known linear combination of the underlying figures ("atoms": one row of one version of one
company's dataset). Whoever holds several such cells may add and subtract them; it learns a
single company's figures exactly when some combination of the cells it holds is nonzero only
on that company's atoms. The requester knows its own atoms, and those of other companies it
may read raw through a grant, so they are taken out first.
Hence, with ``A`` the released cells as indicator rows over the other companies' atoms, the
releases reveal company ``c`` iff ``rank(A) > rank(A without c's columns)``: then a vector of
the row space vanishes outside ``c``'s atoms. This holds whatever the combination singles out
(a total, one period, the change between two versions), which is the point: a table by two
dimensions next to a cluster total, period totals minus their released days, or a corrected
version set against the release of the earlier one are all such combinations.

Why atoms that appear in exactly the same cells are merged (per company): their columns are
equal, so ranks do not change, and the matrix shrinks from rows of data to patterns of cells.
Why a cap: ranks of dense matrices cost the cube of their size; past the cap no exact cell is
released at all (a differentially private release still is), which is the safe side.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["LEAK", "TOO_MANY", "Limits", "audit"]

LEAK = "together with earlier releases it would reveal a single company's figures"
TOO_MANY = (
    "too many exact releases of this data to this tenant to audit: "
    "ask for a differentially private release"
)


@dataclass(frozen=True)
class Limits:
    cells: int = 600  # earlier and new exact cells together, per requester and data
    columns: int = 3000  # distinct (company, pattern of cells) after merging atoms


def audit(
    earlier: Sequence[np.ndarray],
    candidates: Sequence[np.ndarray],
    owners: np.ndarray,
    *,
    requester: int,
    known: np.ndarray | None = None,
    limits: Limits | None = None,
) -> list[str]:
    """For each candidate cell (in order), ``""`` when it may be released together with the
    ``earlier`` cells and the candidates accepted before it, else why not. A cell is an array of
    atom ids; ``owners[atom]`` is the atom's company; ``requester`` is the asking company (its
    atoms are known to it); ``known[atom]`` marks other atoms it knows too (rows it may read raw
    through a grant), which it can subtract like its own. The earlier cells are taken to be
    safe together (each was audited)."""
    limits = limits or Limits()
    if not candidates:
        return []
    if len(earlier) + len(candidates) > limits.cells:
        return [TOO_MANY] * len(candidates)
    cells = [*earlier, *candidates]
    matrix, companies = _merged(cells, owners, requester, known)
    if matrix.shape[1] > limits.columns:
        return [TOO_MANY] * len(candidates)
    base = len(earlier)
    accepted = list(range(base))
    reasons = [""] * len(candidates)
    todo = list(range(base, len(cells)))
    while todo:
        if not _reveals(matrix[[*accepted, *todo]], companies):
            accepted.extend(todo)
            break
        # leaks are monotone in the set of cells: find the first candidate that completes one
        low, high = 0, len(todo) - 1  # the prefix up to ``high`` leaks
        while low < high:
            middle = (low + high) // 2
            if _reveals(matrix[[*accepted, *todo[: middle + 1]]], companies):
                high = middle
            else:
                low = middle + 1
        accepted.extend(todo[:low])
        reasons[todo[low] - base] = LEAK
        todo = todo[low + 1 :]
    return reasons


def _merged(
    cells: Sequence[np.ndarray], owners: np.ndarray, requester: int, known: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The cells as 0/1 rows over merged atoms of the companies other than the requester, and
    each column's company. Atoms are merged when the same company's atoms lie in exactly the
    same cells; the pattern is hashed twice (random 64-bit sums, wrapping), and a collision of
    both for distinct patterns is about 2**-128 per pair."""
    sizes = np.array([len(c) for c in cells], dtype=np.int64)
    rows = np.repeat(np.arange(len(cells)), sizes)
    atoms = np.concatenate([np.asarray(c, dtype=np.int64) for c in cells])
    keep = owners[atoms] != requester
    if known is not None:
        keep &= ~known[atoms]
    rows, atoms = rows[keep], atoms[keep]
    if atoms.size == 0:
        return np.zeros((len(cells), 0)), np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(0x5EED)  # fixed: the merge is exact, the seed only spreads
    weights = rng.integers(1, 2**63, size=(2, len(cells)), dtype=np.uint64)
    used, local = np.unique(atoms, return_inverse=True)
    signature = np.zeros((2, used.size), dtype=np.uint64)
    for side in range(2):
        np.add.at(signature[side], local, weights[side, rows])
    keys = np.column_stack([owners[used].astype(np.uint64), signature[0], signature[1]])
    _, first, column = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    matrix = np.zeros((len(cells), first.size))
    matrix[rows, column.reshape(-1)[local]] = 1.0
    return matrix, owners[used[first]].astype(np.int64)


def _reveals(matrix: np.ndarray, companies: np.ndarray) -> bool:
    """Whether the rows' span holds a nonzero vector supported on one company's columns."""
    nonzero = matrix.any(axis=0)
    matrix, companies = matrix[:, nonzero], companies[nonzero]
    if matrix.size == 0:
        return False
    patterns, pattern_of = np.unique(matrix.T, axis=0, return_inverse=True)
    pattern_of = pattern_of.reshape(-1)
    whole: int | None = None
    for company in np.unique(companies):  # a handful of companies, not rows
        own = set(pattern_of[companies == company].tolist())
        others = set(pattern_of[companies != company].tolist())
        if own <= others:  # every column of its is another company's column too
            continue
        if whole is None:
            whole = int(np.linalg.matrix_rank(patterns.T))
        rest = patterns[sorted(others)].T if others else np.zeros((matrix.shape[0], 0))
        if rest.shape[1] == 0 or int(np.linalg.matrix_rank(rest)) < whole:
            return True
    return False
