"""Typed values from text, strictly: '1.10' is a number only where a number is asked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
INTEGER = re.compile(r"^[+-]?\d+$")
YES = {"yes", "y", "true"}
NO = {"no", "n", "false"}


class ValueProblem(ValueError):
    """A value that does not fit its type, in words for the user."""


def convert(raw: Any, kind: str) -> Any:
    """`raw` (text from YAML or a roster) as the Python value for a column type."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, list | dict):
        raise ValueProblem(f"expected a single value; found {type(raw).__name__}")
    if kind in ("integer",):
        return _integer(raw)
    if kind in ("number", "percent", "currency"):
        return _number(raw, kind)
    if kind == "date":
        return _date(raw)
    if kind == "yesno":
        return _yes_no(raw)
    return str(raw)


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueProblem(f"expected a whole number; found {raw!r}")
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if not INTEGER.match(text):
        raise ValueProblem(f"expected a whole number; found {text!r}")
    return int(text)


def _number(raw: Any, kind: str) -> float:
    if isinstance(raw, bool):
        raise ValueProblem(f"expected a number; found {raw!r}")
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip()
    scale = 1.0
    if kind == "percent" and text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    if not NUMBER.match(text):
        expected = "a number (0.4 or 40%)" if kind == "percent" else "a number"
        raise ValueProblem(f"expected {expected}; found {str(raw)!r}")
    return float(text) * scale


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ValueProblem(
            f"expected a date as YYYY-MM-DD; found {str(raw)!r}"
        ) from None


def _yes_no(raw: Any) -> str:
    text = str(raw).strip().lower()
    if text in YES:
        return "Yes"
    if text in NO:
        return "No"
    raise ValueProblem(f"expected yes or no; found {str(raw)!r}")
