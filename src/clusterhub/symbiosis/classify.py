"""From a free-text description ("spent pickling liquor") to a resource class and waste codes.

Why rules and the official list rather than a model: registry rows arrive as a plant manager's
words; the class decides what the matcher compares, so it must be explainable ("matched the
words pickling, acid") and work offline with no model download. Keywords pick the class; the
European List of Waste descriptions, compared word by word (TF-IDF weighted, so "waste" counts
for little and "pickling" for much), suggest the EWC codes.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from clusterhub.symbiosis.ewc import ewc_codes

__all__ = ["Classification", "classify"]

#: Words that point to a resource class (lower case; several words must all appear).
KEYWORDS: dict[str, tuple[str, ...]] = {
    "steam": ("steam", "condensate", "lp steam", "mp steam", "hp steam"),
    "heat": (
        "waste heat",
        "warm water",
        "warm cooling water",
        "hot cooling water",
        "hot water",
        "heat",
        "cooling water return",
        "flue gas heat",
    ),
    "water": ("water", "groundwater", "surface water", "process water", "demineralised"),
    "wastewater": ("wastewater", "waste water", "effluent", "sewage"),
    "co2": ("co2", "carbon dioxide"),
    "hydrogen": ("hydrogen", "h2"),
    "oxygen": ("oxygen", "o2"),
    "nitrogen": ("nitrogen", "n2"),
    "ammonia": ("ammonia", "nh3"),
    "acid": (
        "acid",
        "pickling",
        "hcl",
        "sulphuric",
        "sulfuric",
        "hydrochloric",
        "nitric",
        "liquor",
    ),
    "alkali": ("caustic", "alkali", "lye", "sodium hydroxide", "naoh", "alkaline"),
    "gypsum": ("gypsum", "plasterboard", "fgd", "phosphogypsum"),
    "ash": ("fly ash", "bottom ash", "ash"),
    "slag": ("slag",),
    "lime": ("lime", "calcium oxide", "kiln dust"),
    "sulphur": ("sulphur", "sulfur"),
    "sludge": ("sludge", "biosolids", "filter cake"),
    "metal": ("scrap", "metal", "steel", "aluminium", "aluminum", "copper", "dross"),
    "plastic": ("plastic", "polymer", "polyethylene", "pet ", "packaging film"),
    "paper": ("paper", "cardboard", "carton"),
    "wood": ("wood", "timber", "pallet", "sawdust", "chips"),
    "biomass": ("biomass", "food waste", "organic", "residue", "yeast", "fermentation"),
    "oil": ("oil", "lubricant", "hydrocarbon"),
    "solvent": ("solvent", "thinner", "acetone"),
    "fuel_gas": ("fuel gas", "off-gas", "offgas", "tail gas", "refinery gas"),
    "natural_gas": ("natural gas", "methane"),
    "biogas": ("biogas",),
    "fertiliser": ("fertiliser", "fertilizer", "ammonium sulphate", "ammonium sulfate", "ats"),
    "salt": ("salt", "brine", "chloride"),
    "electricity": ("electricity", "power"),
}


@dataclass(frozen=True)
class Classification:
    resource_class: str  # "other" when no keyword matched
    confidence: float  # 0-1: share of the class's evidence in all evidence found
    because: tuple[str, ...]  # the words that decided it
    ewc: tuple[tuple[str, bool, str, float], ...]  # (code, hazardous, description, similarity)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


@lru_cache(maxsize=1)
def _index() -> tuple[list[str], np.ndarray, dict[str, int], np.ndarray]:
    codes = ewc_codes()
    names = list(codes)
    documents = [Counter(_words(codes[c][1])) for c in names]
    vocabulary: dict[str, int] = {}
    for document in documents:
        for word in document:
            vocabulary.setdefault(word, len(vocabulary))
    frequency = np.zeros(len(vocabulary))
    for document in documents:
        for word in document:
            frequency[vocabulary[word]] += 1
    idf = np.log((1 + len(documents)) / (1 + frequency)) + 1.0
    matrix = np.zeros((len(documents), len(vocabulary)))
    for row, document in enumerate(documents):
        for word, count in document.items():
            matrix[row, vocabulary[word]] = count * idf[vocabulary[word]]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return names, matrix / np.where(norms > 0, norms, 1.0), vocabulary, idf


def classify(text: str, *, codes: int = 3) -> Classification:
    """The resource class the words point to, and the closest official waste descriptions."""
    lowered = f" {text.lower()} "
    evidence: dict[str, list[str]] = {}
    for resource, keywords in KEYWORDS.items():
        hits = [
            k for k in keywords if re.search(rf"(?<![a-z]){re.escape(k.strip())}(?![a-z])", lowered)
        ]
        if hits:
            evidence[resource] = hits
    if evidence:
        # longer keywords are more specific ("fly ash" over "ash")
        weight = {r: sum(len(k) for k in hits) for r, hits in evidence.items()}
        best = max(weight, key=lambda r: weight[r])
        confidence = weight[best] / sum(weight.values())
        because: tuple[str, ...] = tuple(evidence[best])
    else:
        best, confidence, because = "other", 0.0, ()
    suggestions: list[tuple[str, bool, str, float]] = []
    names, matrix, vocabulary, idf = (
        _index() if ewc_codes() else ([], np.zeros((0, 0)), {}, np.zeros(0))
    )
    if names:
        query = np.zeros(len(vocabulary))
        for word, count in Counter(_words(text)).items():
            if word in vocabulary:
                query[vocabulary[word]] = count * idf[vocabulary[word]]
        norm = np.linalg.norm(query)
        if norm > 0:
            similarity = matrix @ (query / norm)
            for k in np.argsort(-similarity)[:codes].tolist():
                if similarity[k] > 0:
                    code = names[k]
                    hazardous, description = ewc_codes()[code]
                    suggestions.append(
                        (code + ("*" if hazardous else ""), hazardous, description,
                         float(math.floor(similarity[k] * 1000) / 1000))
                    )  # fmt: skip
    return Classification(best, float(confidence), because, tuple(suggestions))
