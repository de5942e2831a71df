"""Shared building blocks of the model: ids and the strict, frozen base class."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

__all__ = ["Id", "Record", "invalid"]

#: Identifier of anything in a cluster: short, stable, safe in URLs, file names and SQL.
Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"),
]


class Record(BaseModel):
    """Strict and immutable: unknown fields are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)


def invalid(expected: str, found: Any) -> PydanticCustomError:
    """A validation error that keeps *expected* and *found* apart for located messages."""
    shown = found if isinstance(found, str) and found.startswith("<") else repr(found)
    return PydanticCustomError(
        "invalid", "expected {expected}, got {found}", {"expected": expected, "found": shown}
    )
