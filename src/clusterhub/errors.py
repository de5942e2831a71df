"""The clusterhub exception tree.

Why one tree: the CLI maps each class to an exit code and the API to an HTTP status in exactly one
place, so every layer can raise the domain error and stay ignorant of how it is shown.

    ClusterhubError
    ├── InputError      bad input from a file, an upload or a user; carries located problems
    ├── ModelError      a cluster that is valid on its own but unusable for the asked operation
    ├── SolveError      a solver ended without an optimal solution
    ├── NotFound        an id that does not exist (or that the caller may not know exists)
    ├── StorageError    the database cannot serve the request (schema not migrated, unreachable)
    └── Forbidden       the policy decision point said no
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ClusterhubError",
    "Conflict",
    "Forbidden",
    "InputError",
    "ModelError",
    "NotFound",
    "Problem",
    "SolveError",
    "StorageError",
]


class ClusterhubError(Exception):
    """Base of every error clusterhub raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows.

    The order of the rendered parts follows the house style: where, then what was expected, then
    what was found: ``harbour.yaml:41:7: participants[3].assets[1].capacity_mw: expected a
    number >= 0, got -5``.
    """

    expected: str
    found: str | None = None
    path: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            place = self.file
            if self.line is not None:
                place += f":{self.line}"
                if self.column is not None:
                    place += f":{self.column}"
            where.append(place)
        if self.path:
            where.append(self.path)
        what = f"expected {self.expected}"
        if self.found is not None:
            what += f", got {self.found}"
        return ": ".join([*where, what])


class InputError(ClusterhubError):
    """Input that cannot be accepted; nothing was changed because of it."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def single(
        cls,
        expected: str,
        found: str | None = None,
        *,
        path: str = "",
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> InputError:
        return cls([Problem(expected, found, path, file, line, column)])


class ModelError(ClusterhubError):
    """A cluster that cannot serve the requested operation (e.g. a file series never loaded)."""


class SolveError(ClusterhubError):
    """An optimisation ended without an optimal solution; status and condition are kept."""

    def __init__(self, message: str, *, status: str = "", termination: str = "") -> None:
        self.status = status
        self.termination = termination
        super().__init__(message)


class NotFound(ClusterhubError):
    """The named object does not exist, or the caller may not learn that it exists."""


class Forbidden(ClusterhubError):
    """The policy decision point denied the request."""


class Conflict(ClusterhubError):
    """The request is valid but clashes with what exists (a name already taken): HTTP 409."""


class StorageError(ClusterhubError):
    """The database cannot serve the request: not migrated, unreachable, or misconfigured."""
