"""Read YAML keeping every scalar's text and every value's line and column.

Plain scalars stay text (`NO`, `01234`, `1.10` and `12:30` are never turned into a
boolean or a number here); the typed model converts them where a field asks for a
number or a yes/no. Duplicate keys are findings that name both lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from perftemplates.errors import BlueprintError, Problem

Loc = tuple[str | int, ...]
NULLS = {"", "~", "null", "Null", "NULL"}


@dataclass
class Source:
    """A parsed YAML file: its data and where each value and key stood."""

    path: str
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # For data merged from several files: the file each position is in.
    files: dict[Loc, str] = field(default_factory=dict)

    def position(self, loc: Loc, *, key: bool = False) -> tuple[str, int, int]:
        """File, line and column of `loc`, or of its nearest ancestor that has one."""
        for end in range(len(loc), -1, -1):
            part = loc[:end]
            if key and part in self.keys:
                return (self.files.get(part, self.path), *self.keys[part])
            if part in self.values:
                return (self.files.get(part, self.path), *self.values[part])
        return (self.path, 1, 1)

    def problem(self, loc: Loc, what: str, *, key: bool = False) -> Problem:
        path, line, column = self.position(loc, key=key)
        return Problem(path, line, column, where(loc), what)


def where(loc: Loc) -> str:
    """`sheets[1].blocks[0].table` from a location tuple."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def load_source(path: Path | str, text: str | None = None) -> Source:
    """Parse one YAML file; raise BlueprintError if it is not YAML at all.

    Duplicate keys are kept in `problems` (the first value wins meanwhile), so they
    are reported together with what later checks find.
    """
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = Problem(name, 0, 0, "", f"cannot read: {exc}")
            raise BlueprintError([problem]) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise BlueprintError([_syntax_problem(name, exc)]) from None
    source = Source(name, None)
    source.data = _build(node, (), source, source.problems) if node else {}
    return source


def _syntax_problem(name: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what = getattr(exc, "problem", None) or str(exc)
    return Problem(name, line, column, "", f"YAML syntax error: {what}")


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, loc: Loc, source: Source, problems: list[Problem]) -> Any:
    source.values[loc] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        return _build_mapping(node, loc, source, problems)
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*loc, index), source, problems)
            for index, item in enumerate(node.value)
        ]
    if node.style is None and node.value in NULLS:
        return None
    return node.value


def _build_mapping(
    node: yaml.MappingNode, loc: Loc, source: Source, problems: list[Problem]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            line, column = _mark(key_node)
            what = "keys must be plain text"
            problems.append(Problem(source.path, line, column, where(loc), what))
            continue
        key = key_node.value
        if key in result:
            first_line = source.keys[(*loc, key)][0]
            line, column = _mark(key_node)
            what = (
                f"duplicate key '{key}' (first on line {first_line}, "
                f"again on line {line})"
            )
            problems.append(Problem(source.path, line, column, where(loc), what))
            continue
        source.keys[(*loc, key)] = _mark(key_node)
        result[key] = _build(value_node, (*loc, key), source, problems)
    return result
