"""Fair benefit sharing: who gets which part of a joint saving, with a stability certificate.

Engines are pure: a game in (a table, or any ``Game``: the service's energy game joins this engine
to the energy engine's coalition costs), an allocation and
its certificate out; no files, no database.

Why each name loads on first use: allocation pulls numpy and the least-core LPs; a command that
only names a choice (``Method``) or prints its help should not pay for them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterhub.sharing.allocate import Allocation, Certificate, allocate, certify
    from clusterhub.sharing.game import CachedGame, Game, TableGame, game_from_document
    from clusterhub.sharing.kinds import Method
    from clusterhub.sharing.separation import Search, in_span, membership

__all__ = [
    "Allocation",
    "CachedGame",
    "Certificate",
    "Game",
    "Method",
    "Search",
    "TableGame",
    "allocate",
    "certify",
    "game_from_document",
    "in_span",
    "membership",
]

_HOMES = {
    "Allocation": "allocate",
    "CachedGame": "game",
    "Certificate": "allocate",
    "Game": "game",
    "Method": "kinds",
    "TableGame": "game",
    "allocate": "allocate",
    "certify": "allocate",
    "game_from_document": "game",
    "Search": "separation",
    "in_span": "separation",
    "membership": "separation",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Door(ModuleType):
    """Keeps ``sharing.allocate`` the function when its submodule of the same name loads.

    Why: loading a submodule binds it on its package; with every name loaded up front that
    happened before the function was bound over it, now it may happen at any later time.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in _HOMES and isinstance(value, ModuleType):
            return  # the submodule stays reachable in sys.modules
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Door
