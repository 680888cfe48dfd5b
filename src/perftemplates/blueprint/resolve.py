"""A blueprint plus the user's choices becomes the document the renderers draw.

Resolving fixes the variant, parameter values, setting values, the rendered text and
the repeated columns (one per week or month); renderers see nothing else.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from perftemplates.blueprint.brand import Brand
from perftemplates.blueprint.model import Blueprint, Column, Field_, Parameter, Table
from perftemplates.blueprint.standard import standard_settings
from perftemplates.blueprint.textrender import TextError, evaluate, render_text
from perftemplates.blueprint.values import ValueProblem, convert
from perftemplates.blueprint.yamlsource import Loc

Variant = Literal["blank", "example"]
PEOPLE_TABLE = "people"
# Keys whose values are data, not author text: never rendered as templates.
DATA_KEYS = {"example", "blank", "default", "example_settings"}


@dataclass
class Resolved:
    """A fully decided template: what renderers draw, and nothing they must decide."""

    blueprint: Blueprint
    variant: Variant
    parameters: dict[str, Any]
    settings: list[Field_]
    values: dict[str, Any]
    groups: dict[tuple[str, str], list[str]]
    locations: dict[int, Loc] = field(default_factory=dict)
    as_of: dt.date = dt.date(2026, 1, 1)
    brand: Brand = field(default_factory=Brand)
    period: dict[str, Any] = field(default_factory=dict)

    @property
    def company(self) -> str:
        return str(self.values.get("company") or "")

    @property
    def period_label(self) -> str:
        return str(self.period.get("label") or "")

    def tables(self) -> list[Table]:
        return [
            block.table
            for sheet in self.blueprint.sheets
            for block in sheet.blocks
            if block.table is not None
        ]

    def table(self, key: str) -> Table:
        return next(table for table in self.tables() if table.key == key)

    def fields(self) -> list[Field_]:
        """Settings first, then the fields of every sheet, in order."""
        return self.settings + [
            item
            for sheet in self.blueprint.sheets
            for block in sheet.blocks
            for item in block.fields or []
        ]

    def rows(self, table: Table) -> list[dict[str, Any]]:
        """The variant's values for the table, one dict per filled row."""
        return table.example if self.variant == "example" else table.blank


@dataclass(frozen=True)
class Finding:
    """A problem at a place in the blueprint (at its key, or else at its value)."""

    loc: Loc
    message: str
    at_key: bool = False


class ResolveError(ValueError):
    """Problems found while resolving, each with the location it came from."""

    def __init__(self, problems: list[Finding]):
        self.problems = problems
        super().__init__("; ".join(problem.message for problem in problems))


class _NoRow(dict):
    """Without a roster every row value is empty, so `{{ row.notes }}` still renders
    in `render` and `pack`; with a roster an unknown column is an error."""

    def __missing__(self, key: str) -> str:
        return ""

    def __getattr__(self, key: str) -> str:
        return ""


def default_context(as_of: dt.date, brand: Brand) -> dict[str, Any]:
    """Values every blueprint's text may use: `{{ company.name }}`, `{{ today }}`."""
    start = brand.fiscal_year_start
    fiscal_year = as_of.year + (1 if start > 1 and as_of.month >= start else 0)
    fiscal_month = (as_of.month - start) % 12
    return {
        "company": {
            "name": brand.company,
            "currency": brand.currency,
            "fiscal_year_start": start,
        },
        "team": "",
        "owner": "",
        "fy_start_month": start,
        "fiscal_year": fiscal_year,
        "quarter": f"Q{fiscal_month // 3 + 1}",
        "today": as_of,
    }


def period_of(values: dict[str, Any], period: str) -> dict[str, Any]:
    """The period's label, first and last day from the settings' values.

    A fiscal year is named by the calendar year in which it ends.
    """
    start_month = int(values.get("fy_start_month") or 1)
    year = int(values.get("fiscal_year") or 0)
    if not year or period == "none":
        return {"label": "", "start": None, "end": None}
    first = dt.date(year - (1 if start_month > 1 else 0), start_month, 1)
    months, label = 12, f"FY{year}"
    if period == "quarter":
        number = int(str(values.get("quarter") or "Q1")[1:])
        first, months = _add_months(first, 3 * (number - 1)), 3
        label += f" Q{number}"
    return {
        "label": label,
        "start": first,
        "end": _add_months(first, months) - dt.timedelta(days=1),
    }


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def resolve(
    blueprint: Blueprint,
    variant: Variant = "blank",
    overrides: dict[str, str] | None = None,
    as_of: dt.date | None = None,
    brand: Brand | None = None,
    row: dict[str, str] | None = None,
) -> Resolved:
    """Decide everything about one file; raise ResolveError listing every problem.

    `row` holds a roster row's other columns, for blueprint text (`{{ row.notes }}`).
    """
    as_of = as_of or dt.date.today()
    brand = brand or Brand()
    overrides = dict(overrides or {})
    problems: list[Finding] = []
    context = default_context(as_of, brand)
    context["row"] = dict(row) if row is not None else _NoRow()

    parameters = _parameters(blueprint.parameters, overrides, context, problems)
    context.update(parameters)
    settings = standard_settings(blueprint.period) + list(blueprint.settings)
    values = _values(blueprint, settings, variant, brand, overrides, context, problems)
    if problems:
        # Everything after this depends on the values: stop before follow-on noise.
        raise ResolveError(problems)

    _text_context(context, values, blueprint.period)
    renderer = _Renderer(context, problems)
    expanded = renderer.blueprint(blueprint, parameters)
    if problems:
        raise ResolveError(problems)

    _fill_people(expanded, brand)
    standard = settings[: len(settings) - len(blueprint.settings)]
    return Resolved(
        blueprint=expanded,
        variant=variant,
        parameters=parameters,
        settings=standard + expanded.settings,
        values=values,
        groups=renderer.groups,
        locations=renderer.locations,
        as_of=as_of,
        brand=brand,
        period=context["period"],
    )


def _values(
    blueprint: Blueprint,
    settings: list[Field_],
    variant: Variant,
    brand: Brand,
    overrides: dict[str, str],
    context: dict[str, Any],
    problems: list[Finding],
) -> dict[str, Any]:
    """Every setting's value, and the input fields given values, for this file."""
    examples = dict(blueprint.example_settings) if variant == "example" else {}
    if variant == "example":
        # A worked example is a fixed story: its dates keep their own fiscal year,
        # whatever the company's, so its stated results stay true.
        examples.setdefault("fy_start_month", 1)
    if brand.from_profile:
        examples.pop("company", None)
    standard_count = len(settings) - len(blueprint.settings)
    values = _setting_values(
        settings, standard_count, examples, overrides, context, problems
    )
    values |= _field_values(blueprint, overrides, problems)
    for key in overrides:
        message = f"--set {key}: no parameter, setting or input field is called '{key}'"
        problems.append(Finding((), message))
    return values


def _text_context(context: dict[str, Any], values: dict[str, Any], period: str) -> None:
    """What blueprint text may use once the settings are decided."""
    for key in ("team", "owner", "fy_start_month", "fiscal_year", "quarter"):
        if key in values:
            context[key] = values[key]
    context["period"] = period_of(values, period)
    context["settings"] = dict(values)
    context["month_name"] = _month_namer(int(values.get("fy_start_month") or 1))


def _parameters(
    declared: dict[str, Parameter],
    overrides: dict[str, str],
    context: dict[str, Any],
    problems: list[Finding],
) -> dict[str, Any]:
    values = {}
    for key, parameter in declared.items():
        given = key in overrides
        try:
            raw = overrides.pop(key) if given else _authored(parameter.default, context)
            values[key] = _parameter_value(parameter, raw)
        except (TextError, ValueProblem) as exc:
            label = f"--set {key}" if given else f"parameter {key}"
            problems.append(Finding(("parameters", key, "default"), f"{label}: {exc}"))
    return values


def _authored(raw: Any, context: dict[str, Any]) -> Any:
    """A default written by the blueprint's author, its expressions rendered."""
    return render_text(raw, context) if isinstance(raw, str) else raw


def _parameter_value(parameter: Parameter, raw: Any) -> Any:
    kind = {"integer": "integer", "yesno": "yesno"}.get(parameter.type, "text")
    value = convert(raw, kind)
    check_within(value, parameter.choices, parameter.min, parameter.max)
    return value


def check_within(
    value: Any,
    choices: list[str] | None,
    low: float | None,
    high: float | None,
    percent: bool = False,
) -> None:
    """Raise ValueProblem if `value` is not one of `choices` or not in low..high."""
    if value is None:
        return
    if choices and value not in choices:
        raise ValueProblem(f"expected one of {', '.join(choices)}; found {value!r}")
    if isinstance(value, int | float) and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        raise ValueProblem(_out_of_bounds(value, low, high, percent))


def _out_of_bounds(
    value: float, low: float | None, high: float | None, percent: bool
) -> str:
    # A percent is named as people type it: 250 %, not 2.5.
    def shown(number: float) -> str:
        return f"{number * 100:g} %" if percent else f"{number:g}"

    if percent:
        kind = "a percent"
    else:
        kind = "a whole number" if isinstance(value, int) else "a number"
    if low is not None and high is not None:
        bounds = f"from {shown(low)} to {shown(high)}"
    elif low is not None:
        bounds = f"of at least {shown(low)}"
    else:
        bounds = f"up to {shown(high)}"
    return f"expected {kind} {bounds}; found {shown(value)}"


def _setting_values(
    settings: list[Field_],
    standard_count: int,
    examples: dict[str, Any],
    overrides: dict[str, str],
    context: dict[str, Any],
    problems: list[Finding],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for index, setting in enumerate(settings):
        if setting.formula:
            continue
        given = setting.key in overrides
        try:
            # A value given by a user is text as typed; only the blueprint's own
            # defaults may hold template expressions.
            if given:
                raw = overrides.pop(setting.key)
            else:
                raw = _authored(examples.get(setting.key, setting.default), context)
            value = convert(raw, setting.type)
            percent = setting.type == "percent"
            check_within(value, setting.choices, setting.min, setting.max, percent)
            values[setting.key] = value
        except (TextError, ValueProblem) as exc:
            loc = ("settings", index - standard_count, "default")
            label = f"--set {setting.key}" if given else f"setting {setting.key}"
            problems.append(Finding(loc, f"{label}: {exc}"))
    return values


def _field_values(
    blueprint: Blueprint, overrides: dict[str, str], problems: list[Finding]
) -> dict[str, Any]:
    """Values given for input fields of sheets (an employee's name, a salary)."""
    values: dict[str, Any] = {}
    for sheet in blueprint.sheets:
        for block in sheet.blocks:
            for item in block.fields or []:
                if item.formula or item.key not in overrides:
                    continue
                try:
                    value = convert(overrides.pop(item.key), item.type)
                    percent = item.type == "percent"
                    check_within(value, item.choices, item.min, item.max, percent)
                    values[item.key] = value
                except ValueProblem as exc:
                    problems.append(Finding((), f"--set {item.key}: {exc}"))
    return values


def _fill_people(blueprint: Blueprint, brand: Brand) -> None:
    """The company's people fill the blank People table, the owner drop-downs' list."""
    if not brand.people:
        return
    for sheet in blueprint.sheets:
        for block in sheet.blocks:
            table = block.table
            if table is None or table.key != PEOPLE_TABLE:
                continue
            keys = [column.key for column in table.columns]
            table.blank = [
                dict(zip(keys, person, strict=False)) for person in brand.people
            ]
            table.rows = max(table.rows, len(brand.people))


def _unknown_column(table: str, key: str, columns: dict[str, Column]) -> str:
    guess = difflib.get_close_matches(key, list(columns), n=1, cutoff=0.6)
    hint = f"; did you mean '{guess[0]}'?" if guess else ""
    return f"unknown column of {table} '{key}'{hint}"


def _month_namer(fy_start_month: int):
    def month_name(n: int) -> str:
        """The short name of the n-th month of the fiscal year (1-based)."""
        return calendar.month_abbr[(fy_start_month - 1 + int(n) - 1) % 12 + 1]

    return month_name


class _Renderer:
    """Renders author text in a blueprint and expands repeated columns."""

    def __init__(self, context: dict[str, Any], problems: list[Finding]):
        self.context = context
        self.problems = problems
        self.groups: dict[tuple[str, str], list[str]] = {}
        self.locations: dict[int, Loc] = {}
        self.left_out: set[tuple[str, str]] = set()

    def blueprint(self, blueprint: Blueprint, parameters: dict[str, Any]) -> Blueprint:
        self.parameters = parameters
        return self.model(blueprint, ())

    def model(self, model: BaseModel, loc: Loc, context: dict | None = None):
        update = {}
        for name in type(model).model_fields:
            if name in DATA_KEYS:
                continue
            value = getattr(model, name)
            rendered = self.value(value, (*loc, name), context, owner=model)
            if rendered is not value:
                update[name] = rendered
        if isinstance(model, Table):
            update["rows"] = self.count(model.rows, (*loc, "rows"))
            columns = {c.key: c for c in update.get("columns", model.columns)}
            for variant in ("example", "blank"):
                rows = getattr(model, variant)
                update[variant] = [
                    self.row(model.key, columns, row, (*loc, variant, i))
                    for i, row in enumerate(rows)
                ]
        if isinstance(model, Field_) and model.example is not None:
            try:
                update["example"] = convert(model.example, model.type)
            except ValueProblem as exc:
                self.problems.append(Finding((*loc, "example"), f"{model.key}: {exc}"))
        copy = model.model_copy(update=update)
        self.locations[id(copy)] = loc
        return copy

    def value(self, value: Any, loc: Loc, context: dict | None, owner=None) -> Any:
        if isinstance(value, str):
            return self.text(value, loc, context)
        if isinstance(value, BaseModel):
            return self.model(value, loc, context)
        if (
            isinstance(value, list)
            and isinstance(owner, Table)
            and loc[-1] == "columns"
        ):
            return self.columns(owner, value, loc)
        if isinstance(value, list):
            return [
                self.value(item, (*loc, i), context)
                for i, item in enumerate(value)
                if self.included(item, (*loc, i))
            ]
        if isinstance(value, dict):
            return {k: self.value(v, (*loc, k), context) for k, v in value.items()}
        return value

    def row(
        self, table: str, columns: dict[str, Column], row: dict[str, Any], loc: Loc
    ) -> dict[str, Any]:
        """An example row with each value typed by its column."""
        typed = {}
        for key, raw in row.items():
            if self.is_left_out(table, key):
                continue
            if key not in columns and self.is_beyond_repeat(table, key):
                continue
            if key not in columns:
                message = _unknown_column(table, key, columns)
                self.problems.append(Finding((*loc, key), message, at_key=True))
                continue
            try:
                typed[key] = convert(raw, columns[key].type)
            except ValueProblem as exc:
                self.problems.append(Finding((*loc, key), f"{key}: {exc}"))
        return typed

    def is_beyond_repeat(self, table: str, key: str) -> bool:
        """A value for week 20 when this file has 13 weeks: quietly not shown."""
        group, _, number = key.rpartition("_")
        return number.isdigit() and (table, group) in self.groups

    def is_left_out(self, table: str, key: str) -> bool:
        """A value for a column that `only_if` left out (or one of its repeats)."""
        group = key.rpartition("_")[0]
        return (table, key) in self.left_out or (table, group) in self.left_out

    def included(self, item: Any, loc: Loc) -> bool:
        """False for a model whose `only_if` expression is false."""
        condition = getattr(item, "only_if", None)
        if not condition:
            return True
        try:
            return bool(evaluate(condition, self.context))
        except TextError as exc:
            self.problems.append(Finding((*loc, "only_if"), str(exc)))
            return True

    def text(self, text: str, loc: Loc, context: dict | None) -> str:
        try:
            return render_text(text, {**self.context, **(context or {})})
        except TextError as exc:
            self.problems.append(Finding(loc, str(exc)))
            return text

    def columns(self, table: Table, columns: list[Column], loc: Loc) -> list[Column]:
        expanded = []
        for index, column in enumerate(columns):
            if not self.included(column, (*loc, index)):
                self.left_out.add((table.key, column.key))
                continue
            if column.repeat is None:
                expanded.append(self.model(column, (*loc, index)))
                continue
            count = self.count(column.repeat, (*loc, index, "repeat"))
            keys = []
            for n in range(1, count + 1):
                copy = self.model(column, (*loc, index), {"n": n})
                copy = copy.model_copy(
                    update={"key": f"{column.key}_{n}", "repeat": None}
                )
                self.locations[id(copy)] = (*loc, index)
                expanded.append(copy)
                keys.append(copy.key)
            self.groups[(table.key, column.key)] = keys
        return expanded

    def count(self, value: int | str, loc: Loc) -> int:
        if isinstance(value, int):
            return value
        if value.isdigit():
            return int(value)
        if isinstance(self.parameters.get(value), int):
            return self.parameters[value]
        message = f"expected a number or an integer parameter; found '{value}'"
        self.problems.append(Finding(loc, message))
        return 1
