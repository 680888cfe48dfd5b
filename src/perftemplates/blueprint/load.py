"""Blueprint files to typed, checked Blueprint objects, with every problem at once."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path

from pydantic import BaseModel, ValidationError

from perftemplates.blueprint.checks import check_blueprint
from perftemplates.blueprint.model import COLOUR_PATTERN, Blueprint
from perftemplates.blueprint.override import is_override, merge
from perftemplates.blueprint.yamlsource import Loc, Source, load_source
from perftemplates.errors import BlueprintError, InputError, Problem

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "blueprints"
# What a pattern means, in words, for the patterns users meet.
PATTERN_WORDS = {
    COLOUR_PATTERN: "expected a colour written as #RRGGBB, such as #1F4E79",
}


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


def load_blueprint(
    path: Path | str, text: str | None = None, neighbours: dict[str, Path] | None = None
) -> Blueprint:
    """Load, type-check and cross-check a blueprint file or an override file.

    An override's `extends:` names a file (relative to the override), or an id:
    one of `neighbours` (other overrides by id) first, else a built-in.
    """
    source = load_merged(Path(path), text, neighbours or {}, ())
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
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file, p.line, p.column))


def load_merged(
    path: Path, text: str | None, neighbours: dict[str, Path], chain: tuple[Path, ...]
) -> Source:
    """The YAML of `path`, merged over what it extends if it is an override."""
    source = load_source(path, text)
    if not is_override(source.data):
        return source
    base_path = _extended_path(source, path, neighbours, chain)
    base = load_merged(base_path, None, neighbours, (*chain, path.resolve()))
    return merge(base, source)


def override_id(path: Path) -> str | None:
    """The id a blueprint or override file will have, without loading its base."""
    data = load_source(path).data
    if not isinstance(data, dict):
        return None
    extends = data.get("extends")
    if isinstance(data.get("id"), str):
        return data["id"]
    if isinstance(extends, str) and not extends.endswith((".yaml", ".yml")):
        return extends
    return None


def _extended_path(
    source: Source, path: Path, neighbours: dict[str, Path], chain: tuple[Path, ...]
) -> Path:
    extends = source.data["extends"]
    loc = ("extends",)
    if not isinstance(extends, str) or not extends.strip():
        raise BlueprintError([source.problem(loc, "expected a template id or a file")])
    if extends.endswith((".yaml", ".yml")):
        target = path.parent / extends
        if not target.is_file():
            raise BlueprintError([source.problem(loc, f"no such file: {target}")])
    elif extends in neighbours and neighbours[extends].resolve() != path.resolve():
        target = neighbours[extends]
    else:
        try:
            target = builtin_path(extends)
        except InputError as exc:
            raise BlueprintError([source.problem(loc, str(exc))]) from None
    if target.resolve() in (*chain, path.resolve()):
        names = " -> ".join(p.name for p in (*chain, path.resolve(), target.resolve()))
        raise BlueprintError(
            [source.problem(loc, f"overrides extend each other in a circle: {names}")]
        )
    return target


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
    pattern = (error.get("ctx") or {}).get("pattern")
    if kind == "string_pattern_mismatch" and pattern in PATTERN_WORDS:
        message = PATTERN_WORDS[pattern]
    elif kind == "string_pattern_mismatch" and loc and loc[-1] in {"key", "id"}:
        message = "expected lowercase letters, digits and '_', starting with a letter"
    has_input = "input" in error and not isinstance(error["input"], dict | list)
    if has_input and "; found " not in message:
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
