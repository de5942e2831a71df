"""The energy engine's small vocabularies, in a module that loads no solver.

Why apart: the command line names these choices in its options (``--forecast``) and a face
types its progress reports with them; neither must load linopy and HiGHS to print its help.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

__all__ = ["Forecast", "Progress"]

Forecast = Literal["perfect", "persistence", "noisy", "learned"]
"""What the operator believes about a window when it plans (see ``energy.forecast``)."""

Progress = Callable[[str, float], None]
"""Told what is being done (a stage in words) and how much of the whole is done when it starts
(0..1, never decreasing): the command line's bars, the dashboard's jobs."""
