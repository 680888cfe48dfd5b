"""Cross-checks a typed blueprint cannot do alone: references, formulas, examples."""

from __future__ import annotations

import difflib
from collections import Counter
from typing import Any

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.model import Blueprint, Column, Table
from perftemplates.blueprint.resolve import Finding, Resolved, ResolveError, resolve
from perftemplates.blueprint.yamlsource import Loc, Source
from perftemplates.errors import Problem

PEOPLE = "people.name"


def check_blueprint(blueprint: Blueprint, source: Source) -> list[Problem]:
    """Every cross-reference problem in the blueprint, resolved with its defaults."""
    try:
        resolved = resolve(blueprint, "example")
    except ResolveError as exc:
        findings = exc.problems
    else:
        findings = check_resolved(resolved)
    return [source.problem(f.loc, f.message, key=f.at_key) for f in findings]


def check_resolved(resolved: Resolved) -> list[Finding]:
    """Problems as (location, message) pairs."""
    checker = _Checker(resolved)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, resolved: Resolved):
        self.resolved = resolved
        self.problems: list[Finding] = []
        self.tables = {table.key: table for table in resolved.tables()}
        self.names = {item.key for item in resolved.fields()}

    def loc(self, model: Any, *rest: str | int) -> Loc:
        return (*self.resolved.locations.get(id(model), ()), *rest)

    def report(self, loc: Loc, message: str) -> None:
        self.problems.append(Finding(loc, message))

    def run(self) -> None:
        blueprint = self.resolved.blueprint
        self.unique("sheet key", [(s.key, self.loc(s)) for s in blueprint.sheets])
        # Spreadsheet programs compare sheet titles ignoring case.
        titles = [(s.title.casefold(), self.loc(s, "title")) for s in blueprint.sheets]
        self.unique("sheet title", titles)
        self.unique("table key", [(t.key, self.loc(t)) for t in self.tables.values()])
        self.unique("field key", [(f.key, self.loc(f)) for f in self.resolved.fields()])
        for table in self.tables.values():
            self.table(table)
        for item in self.resolved.fields():
            self.field(item)
        for sheet in blueprint.sheets:
            for block in sheet.blocks:
                for check in block.checks or []:
                    self.formula(check.when, self.loc(check, "when"), None)
                if block.chart:
                    self.chart(block.chart)
        for section in blueprint.document.sections:
            self.section(section)

    def unique(self, what: str, items: list[tuple[str, Loc]]) -> None:
        counts = Counter(key for key, _ in items)
        for key, loc in items:
            if counts[key] > 1:
                self.report(loc, f"{what} '{key}' is used {counts[key]} times")
                counts[key] = 0

    def table(self, table: Table) -> None:
        keys = [column.key for column in table.columns]
        self.unique("column key", [(c.key, self.loc(c, "key")) for c in table.columns])
        if table.freeze and table.freeze not in keys:
            self.unknown(self.loc(table, "freeze"), "column", table.freeze, keys)
        for column in table.columns:
            self.column(table, column)
        for variant in ("example", "blank"):
            rows = getattr(table, variant)
            if len(rows) > table.rows:
                self.report(
                    self.loc(table, variant),
                    f"{len(rows)} rows given but the table has {table.rows}",
                )

    def column(self, table: Table, column: Column) -> None:
        if column.formula:
            self.formula(column.formula, self.loc(column, "formula"), table)
        for index, fill in enumerate(column.status):
            self.formula(fill.when, self.loc(column, "status", index, "when"), table)
        if column.choices_from:
            self.choices_from(column.choices_from, self.loc(column, "choices_from"))
        if column.type == "choice" and not (column.choices or column.choices_from):
            self.report(
                self.loc(column), "a choice column needs choices or choices_from"
            )
        if (
            column.sparkline
            and (table.key, column.sparkline) not in self.resolved.groups
        ):
            self.report(
                self.loc(column, "sparkline"),
                f"'{column.sparkline}' is not a repeated column of {table.key}",
            )

    def field(self, item) -> None:
        if item.formula:
            self.formula(item.formula, self.loc(item, "formula"), None)
        for index, fill in enumerate(item.status):
            self.formula(fill.when, self.loc(item, "status", index, "when"), None)
        if item.choices_from:
            self.choices_from(item.choices_from, self.loc(item, "choices_from"))

    def choices_from(self, ref: str, loc: Loc) -> None:
        table, _, key = ref.partition(".")
        if table not in self.tables:
            self.unknown(loc, "table", table, list(self.tables))
        elif key not in {c.key for c in self.tables[table].columns}:
            self.unknown(
                loc,
                f"column of {table}",
                key,
                [c.key for c in self.tables[table].columns],
            )

    def formula(self, text: str, loc: Loc, table: Table | None) -> None:
        try:
            tree = fx.parse(text)
        except fx.FormulaError as exc:
            for message in exc.messages:
                self.report(loc, message)
            return
        for ref in fx.references(tree):
            message = self.reference(ref, table)
            if message:
                self.report(loc, message)

    def reference(self, ref: fx.Ref, table: Table | None) -> str | None:
        if isinstance(ref, fx.NameRef):
            return self.name(ref.name)
        if isinstance(ref, fx.ColumnRef):
            return self.column_ref(ref.table, ref.key, groups=False)
        if table is None:
            return (
                f"[{ref.key}] means a cell in the same row, and this formula is "
                "not in a table; use table.column for a whole column"
            )
        other = self.tables.get(ref.table or table.key)
        if ref.table and other is not None and other.rows != table.rows:
            return (
                f"[{ref.table}.{ref.key}] needs {ref.table} to have as many rows "
                f"as {table.key} ({other.rows} and {table.rows})"
            )
        return self.column_ref(ref.table or table.key, ref.key, groups=True)

    def name(self, name: str) -> str | None:
        if fx.CELL_ADDRESS.match(name):
            return f"'{name}' is a cell address; refer to columns by key, like [target]"
        if name in self.names:
            return None
        return _unknown("setting or field", name, sorted(self.names))

    def column_ref(self, table_key: str, key: str, groups: bool) -> str | None:
        table = self.tables.get(table_key)
        if table is None:
            return _unknown("table", table_key, sorted(self.tables))
        keys = [column.key for column in table.columns]
        if groups:
            keys += [
                group for (owner, group) in self.resolved.groups if owner == table_key
            ]
        if key in keys:
            return None
        return _unknown(f"column of {table_key}", key, keys)

    def chart(self, chart) -> None:
        refs = [chart.categories] if chart.categories else []
        refs += [series.values for series in chart.series]
        for ref in refs:
            table, _, key = ref.partition(".")
            message = self.column_ref(table, key, groups=False)
            if message:
                self.report(self.loc(chart), message)
        if chart.rows_of:
            table, _, group = chart.rows_of.partition(".")
            if (table, group) not in self.resolved.groups:
                self.report(
                    self.loc(chart, "rows_of"),
                    f"'{chart.rows_of}' is not a repeated column of a table",
                )

    def section(self, section) -> None:
        if section.table:
            if section.table not in self.tables:
                self.unknown(
                    self.loc(section, "table"),
                    "table",
                    section.table,
                    list(self.tables),
                )
                return
            table = self.tables[section.table]
            keys = [c.key for c in table.columns]
            keys += [g for (owner, g) in self.resolved.groups if owner == table.key]
            for key in section.columns or []:
                if key not in keys:
                    self.unknown(
                        self.loc(section, "columns"),
                        f"column of {table.key}",
                        key,
                        keys,
                    )
            columns = [column.key for column in table.columns]
            for key in section.filter:
                if key not in columns:
                    message = _unknown(f"column of {table.key}", key, columns)
                    loc = self.loc(section, "filter", key)
                    self.problems.append(Finding(loc, message, at_key=True))
        elif section.filter:
            self.report(self.loc(section, "filter"), "filter needs a table to filter")
        for key in section.fields or []:
            if key not in self.names:
                self.unknown(
                    self.loc(section, "fields"), "field", key, sorted(self.names)
                )

    def unknown(self, loc: Loc, what: str, name: str, known: list[str]) -> None:
        self.report(loc, _unknown(what, name, known))


def _unknown(what: str, name: str, known: list[str]) -> str:
    guess = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{guess[0]}'?" if guess else ""
    return f"unknown {what} '{name}'{hint}"
