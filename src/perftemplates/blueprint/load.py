"""Blueprint files to typed, checked Blueprint objects, with every problem at once."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from perftemplates.blueprint.checks import check_blueprint
from perftemplates.blueprint.model import Blueprint
from perftemplates.blueprint.yamlsource import Loc, Source, load_source
from perftemplates.errors import BlueprintError, InputError, Problem

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "blueprints"


def builtin_ids() -> list[str]:
    """The ids of the blueprints shipped with the package, sorted."""
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.yaml"))


def builtin_path(template_id: str) -> Path:
    """The file of a built-in blueprint; InputError with suggestions if unknown."""
    path = BUILTIN_DIR / f"{template_id}.yaml"
    if not path.is_file():
        known = builtin_ids()
        guess = difflib.get_close_matches(template_id, known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else "."
        raise InputError(
            f"unknown template '{template_id}'{hint} Known: {', '.join(known)}."
        )
    return path


def load_blueprint(path: Path | str, text: str | None = None) -> Blueprint:
    """Load, type-check and cross-check one blueprint file."""
    source = load_source(path, text)
    if not isinstance(source.data, dict):
        problem = source.problem((), "a blueprint is a mapping of keys")
        raise BlueprintError([*source.problems, problem])
    try:
        blueprint = Blueprint.model_validate(source.data)
    except ValidationError as exc:
        problems = pydantic_problems(exc, source, Blueprint)
        raise BlueprintError(_in_order(source.problems + problems)) from None
    problems = source.problems + check_blueprint(blueprint, source)
    if problems:
        raise BlueprintError(_in_order(problems))
    return blueprint


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(dict.fromkeys(problems), key=lambda p: (p.line, p.column))


def pydantic_problems(
    exc: ValidationError, source: Source, root: type[BaseModel]
) -> list[Problem]:
    """One Problem per validation error, at the line of the offending key or value."""
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        problems.append(_problem(error, loc, source, root))
    return problems


def _is_union_tag(part: str | int) -> bool:
    # pydantic inserts the union member's type name (e.g. "int") into locations.
    return isinstance(part, str) and (part in {"int", "str", "float"} or "[" in part)


def _problem(error: dict, loc: Loc, source: Source, root: type[BaseModel]) -> Problem:
    kind = error["type"]
    if kind == "extra_forbidden":
        return source.problem(loc, _unknown_key(loc, root), key=True)
    if kind == "missing":
        return source.problem(loc[:-1], f"missing required key '{loc[-1]}'")
    message = error["msg"]
    message = message[0].lower() + message[1:]
    message = message.removeprefix("value error, ")
    if kind == "string_pattern_mismatch" and loc and loc[-1] in {"key", "id"}:
        message = "expected lowercase letters, digits and '_', starting with a letter"
    if "input" in error and not isinstance(error["input"], dict | list):
        message += f"; found {error['input']!r}"
    return source.problem(loc, message)


def _unknown_key(loc: Loc, root: type[BaseModel]) -> str:
    key = str(loc[-1])
    known = _keys_at(root, loc[:-1])
    guess = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{guess[0]}'?" if guess else ""
    return f"unknown key '{key}'{hint}"


def _keys_at(model: type[BaseModel], loc: Loc) -> list[str]:
    """The keys the model nested at `loc` accepts (for did-you-mean)."""
    current: object = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    model_cls = _model_in(current)
    return list(model_cls.model_fields) if model_cls else []


def _step(annotation: object, part: str | int) -> object | None:
    model_cls = _model_in(annotation)
    if model_cls is not None and isinstance(part, str):
        field = model_cls.model_fields.get(part)
        return field.annotation if field else None
    for arg in _options(annotation):
        origin = typing.get_origin(arg)
        if origin is list and isinstance(part, int):
            return typing.get_args(arg)[0]
        if origin is dict and isinstance(part, str):
            return typing.get_args(arg)[1]
    return None


def _options(annotation: object) -> tuple[object, ...]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _model_in(annotation: object) -> type[BaseModel] | None:
    for arg in _options(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
