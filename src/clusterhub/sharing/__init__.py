"""Fair benefit sharing: who gets which part of a joint saving, with a stability certificate.

Engines are pure: a game in (a table, or the energy engine's coalition costs), an allocation and
its certificate out; no files, no database.
"""

from clusterhub.sharing.allocate import Allocation, Certificate, Method, allocate, certify
from clusterhub.sharing.energy import EnergyGame
from clusterhub.sharing.game import CachedGame, Game, TableGame, game_from_document

__all__ = [
    "Allocation",
    "CachedGame",
    "Certificate",
    "EnergyGame",
    "Game",
    "Method",
    "TableGame",
    "allocate",
    "certify",
    "game_from_document",
]
