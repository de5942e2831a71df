"""The energy engine's small vocabularies, in a module that loads no solver.

Why apart: the command line names these choices in its options (``--forecast``) and must not
load linopy and HiGHS to print its help.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Forecast"]

Forecast = Literal["perfect", "persistence", "noisy"]
"""What the operator believes about a window when it plans (see ``energy.forecast``)."""
