"""Pydantic's error records turned into "expected ..., got ..." for people editing files."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["describe"]

_PATTERNS = {
    r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$": (
        "an id: a letter or digit, then letters, digits, '_', '.', ':' or '-' (at most 64)"
    ),
    r"^[A-U](\d{2}(\.\d{1,2})?)?$": "a NACE Rev. 2 code such as 'C20.14' or 'D35'",
    r"^\d{2} \d{2} \d{2}\*?$": "an EWC code such as '06 01 02*'",
    r"^[A-Z]{2}$": "a two-letter ISO country code such as 'NL'",
}

_FIXED = {
    "missing": ("a value for this required field", "nothing"),
    "float_parsing": ("a number", None),
    "float_type": ("a number", None),
    "finite_number": ("a finite number", None),
    "int_parsing": ("a whole number", None),
    "int_type": ("a whole number", None),
    "int_from_float": ("a whole number", None),
    "bool_type": ("true or false", None),
    "bool_parsing": ("true or false", None),
    "string_type": ("text", None),
    "dict_type": ("a mapping of fields", None),
    "model_type": ("a mapping of fields", None),
    "model_attributes_type": ("a mapping of fields", None),
    "list_type": ("a list", None),
    "tuple_type": ("a list", None),
    "datetime_parsing": ("a date and time such as 2024-01-01T00:00", None),
    "datetime_type": ("a date and time such as 2024-01-01T00:00", None),
    "datetime_from_date_parsing": ("a date and time such as 2024-01-01T00:00", None),
    "extra_forbidden": ("no such field here (a typo?)", None),
}


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def describe(error: ErrorDetails) -> tuple[str, str]:
    """(expected, found) of one pydantic error."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    found = str(ctx["found"]) if "found" in ctx else _shown(error.get("input"))
    value = error.get("input")
    if isinstance(value, dict) and "generator" in value:
        found = f"generator {value['generator']!r}"
    if "expected" in ctx and kind not in ("literal_error", "enum"):
        return str(ctx["expected"]), found
    if error["msg"].startswith("expected "):
        return error["msg"].removeprefix("expected "), found
    if kind in _FIXED:
        expected, fixed_found = _FIXED[kind]
        if kind == "extra_forbidden":
            return expected, repr(error["loc"][-1]) if error["loc"] else found
        return expected, fixed_found or found
    bounds = {
        "greater_than_equal": ("ge", ">="),
        "greater_than": ("gt", ">"),
        "less_than_equal": ("le", "<="),
        "less_than": ("lt", "<"),
    }
    if kind in bounds:
        key, sign = bounds[kind]
        limit = ctx.get(key)
        return f"a number {sign} {limit:g}" if isinstance(
            limit, float
        ) else f"a number {sign} {limit}", found
    if kind in ("literal_error", "enum"):
        return f"one of {ctx.get('expected')}", found
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern"))
        return _PATTERNS.get(pattern, f"text matching {pattern}"), found
    if kind == "union_tag_invalid":
        return f"one of {ctx.get('expected_tags')}", repr(ctx.get("tag"))
    if kind == "union_tag_not_found":
        return f"a {ctx.get('discriminator')} field", found
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        what = "at least" if kind == "too_short" else "at most"
        unit = "characters" if isinstance(error.get("input"), str) else "items"
        return f"{what} {limit} {unit}", found
    message = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    return message, found
