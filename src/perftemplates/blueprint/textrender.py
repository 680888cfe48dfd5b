"""Blueprint text with Jinja2 expressions, rendered in a sandbox.

Only text written by blueprint authors is rendered; values from users (example rows,
profiles, rosters) never are. An unknown name is an error that lists the known ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment, SecurityError


class TextError(ValueError):
    """A Jinja expression that cannot be rendered, in words for the user."""


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@lru_cache(maxsize=4096)
def _template(text: str):
    return _environment().from_string(text)


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """The value of a bare Jinja expression (no braces), such as `weeks > 10`."""
    with _reasons(context):
        return _environment().compile_expression(expression)(**context)


def render_text(text: str, context: dict[str, Any]) -> str:
    """Render `text` if it holds an expression; raise TextError with a clear reason."""
    if not is_template(text):
        return text
    with _reasons(context):
        return _template(text).render(context)


@contextmanager
def _reasons(context: dict[str, Any]) -> Iterator[None]:
    """Jinja's errors as TextError, in words for a blueprint author."""
    try:
        yield
    except SecurityError as exc:
        raise TextError(f"not allowed in a template: {exc}") from None
    except UndefinedError as exc:
        known = ", ".join(sorted(k for k in context if not k.startswith("_")))
        raise TextError(f"{exc.message}; available names: {known}") from None
    except TemplateError as exc:
        raise TextError(f"template error: {exc.message or exc}") from None
