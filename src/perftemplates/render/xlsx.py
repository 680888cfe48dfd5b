"""The workbook renderer: a resolved template to .xlsx bytes with XlsxWriter.

Only this module touches XlsxWriter. Every XlsxWriter call is checked: a warning or a
negative return code becomes a RenderError, so no feature is ever silently dropped.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import warnings
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.model import (
    Block,
    Chart,
    Check,
    Column,
    Field_,
    Sheet,
    Table,
)
from perftemplates.blueprint.resolve import Resolved
from perftemplates.blueprint.values import convert
from perftemplates.errors import RenderError
from perftemplates.evaluate import CHECK_MET, CHECK_NOT_MET, CellError, formula_values
from perftemplates.layout import (
    FIRST_BLOCK_ROW,
    FIRST_COL,
    GUIDE_TITLE,
    LISTS_TITLE,
    SETTINGS_TITLE,
    Layout,
    plan,
    quote_sheet,
)
from perftemplates.text import clean
from perftemplates.theme import status_colour

WIDTHS = {
    "text": 24,
    "longtext": 40,
    "integer": 10,
    "number": 12,
    "percent": 11,
    "currency": 14,
    "date": 12,
    "choice": 16,
    "yesno": 9,
}
INLINE_LIST_LIMIT = 255
PAPER = {"A4": 9, "Letter": 1}
PROTECTION = {
    "format_columns": True,
    "format_rows": True,
    "autofilter": True,
    "sort": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}


def render_workbook(resolved: Resolved) -> bytes:
    """The workbook for a resolved template, as bytes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = _WorkbookWriter(resolved).write()
    if caught:
        raise RenderError(f"{resolved.blueprint.id}: XlsxWriter: {caught[0].message}")
    return data


class _Checked:
    """Wraps an XlsxWriter object so that a negative return code raises."""

    def __init__(self, target: Any, label: str):
        self._target = target
        self._label = label

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if isinstance(result, int) and not isinstance(result, bool) and result < 0:
                where = ", ".join(repr(arg) for arg in args[:3])
                raise RenderError(
                    f"{self._label}: XlsxWriter refused {name}({where}): code {result}"
                )
            return result

        return call


class _WorkbookWriter:
    def __init__(self, resolved: Resolved):
        self.resolved = resolved
        self.blueprint = resolved.blueprint
        self.brand = resolved.brand
        self.theme = resolved.brand.theme
        self.layout: Layout = plan(resolved)
        self.results = formula_values(resolved, self.layout)
        self.buffer = io.BytesIO()
        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }
        self.book = _Checked(
            xlsxwriter.Workbook(self.buffer, options), self.blueprint.id
        )
        self.formats: dict[tuple, Any] = {}
        self.lists_sheet = None
        self.list_columns = 0

    def write(self) -> bytes:
        self.properties()
        self.guide_sheet()
        for sheet in self.blueprint.sheets:
            self.sheet(sheet)
        self.settings_sheet()
        self.define_names()
        self.book.close()
        return self.buffer.getvalue()

    # Workbook-wide pieces

    def properties(self) -> None:
        # A fixed creation time keeps the same inputs byte-identical.
        created = dt.datetime.combine(self.resolved.as_of, dt.time())
        self.book.set_properties(
            {
                "title": clean(self.blueprint.title),
                "company": clean(self.resolved.company),
                "comments": "Made with perftemplates",
                "created": created,
            }
        )
        self.book.set_calc_mode("auto")

    def format(self, **spec: Any) -> Any:
        key = tuple(sorted(spec.items()))
        if key not in self.formats:
            base = {"font_name": self.theme.font, "font_size": 10, "valign": "top"}
            self.formats[key] = self.book.add_format({**base, **spec})
        return self.formats[key]

    def value_format(
        self, kind: str, decimals: int | None, *, is_input: bool, **extra: Any
    ) -> Any:
        spec: dict[str, Any] = {"num_format": self.number_format(kind, decimals)}
        if kind == "longtext":
            spec["text_wrap"] = True
        if is_input:
            spec |= {
                "locked": False,
                "bg_color": self.theme.input_fill,
                "border": 1,
                "border_color": "#D9D9D9",
            }
        else:
            spec |= {"bg_color": self.theme.formula_fill}
        return self.format(**spec, **extra)

    def number_format(self, kind: str, decimals: int | None) -> str:
        places = "." + "0" * decimals if decimals else ""
        if kind == "percent":
            return "0" + places + "%"
        if kind == "currency":
            return self.brand.currency_format(decimals)
        if kind == "integer":
            return "0"
        if kind == "number":
            return "#,##0" + places if decimals is not None else "General"
        if kind == "date":
            return self.brand.date_format
        return "@" if kind in ("text", "longtext", "choice") else "General"

    def define_names(self) -> None:
        for key, place in self.layout.fields.items():
            cell = xl_rowcol_to_cell(place.row, place.col, row_abs=True, col_abs=True)
            self.book.define_name(key, f"={quote_sheet(place.sheet)}!{cell}")

    def worksheet(self, title: str, orientation: str, tab: str | None = None) -> Any:
        raw = self.book.add_worksheet(title)
        _skip_function_expansion(raw)
        sheet = _Checked(raw, f"{self.blueprint.id}: {title}")
        sheet.set_paper(
            PAPER[self.brand.page_size or self.blueprint.document.page.size]
        )
        if orientation == "landscape":
            sheet.set_landscape()
        else:
            sheet.set_portrait()
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        header_options: dict[str, Any] = {"scale_with_doc": False}
        if self.brand.logo:
            header_options |= {
                "image_left": "logo.png",
                "image_data_left": io.BytesIO(self.brand.logo),
            }
        sheet.set_header(self.header_text(title), header_options)
        sheet.set_footer(
            "&L" + _header_escape(clean(self.blueprint.title)[:100]) + "&RPage &P of &N"
        )
        sheet.set_column(0, 0, 2)
        if tab:
            sheet.set_tab_color(tab)
        return sheet

    def header_text(self, title: str) -> str:
        # Cut before escaping: a cut through '&&' would swallow the next section.
        company = _header_escape(clean(self.resolved.company)[:80])
        period = _header_escape(self.resolved.period_label)
        logo = "&G " if self.brand.logo else ""
        return f"&L{logo}{company}&C{_header_escape(title)}&R{period}"

    def sheet_title(
        self, sheet: Any, title: str, guide: str, width: tuple[int, float]
    ) -> None:
        title_format = self.format(
            bold=True, font_size=16, font_color=self.theme.primary
        )
        sheet.write_string(0, FIRST_COL, clean(title), title_format)
        sheet.set_row(0, 24)
        if guide:
            self.paragraph(sheet, 1, guide, width, self.format(text_wrap=True))

    def paragraph(
        self,
        sheet: Any,
        row: int,
        text: str,
        span: tuple[int, float],
        fmt: Any,
        first_col: int = FIRST_COL,
    ) -> None:
        """Text merged across `span` (columns, characters) with a row to fit it."""
        text = clean(text)
        columns, chars = span
        last = first_col + max(columns, 1) - 1
        if last > first_col:
            sheet.merge_range(row, first_col, row, last, text, fmt)
        else:
            sheet.write_string(row, first_col, text, fmt)
        # Proportional text fits about 1.2 characters per unit of column width.
        chars_per_line = max(20, int(chars * 1.2))
        lines = sum(
            math.ceil(max(len(part), 1) / chars_per_line) for part in text.split("\n")
        )
        sheet.set_row(row, 14 * max(lines, 1) + 2)

    # The guide sheet

    def guide_sheet(self) -> None:
        sheet = self.worksheet(GUIDE_TITLE, "portrait", self.theme.primary)
        sheet.set_column(1, 1, 26)
        sheet.set_column(2, 2, 70)
        title = self.blueprint.title
        if self.resolved.company:
            title = f"{clean(self.resolved.company)}: {title}"
        self.sheet_title(sheet, title, self.blueprint.summary, (2, 96))
        if self.brand.logo:
            sheet.insert_image(
                0, 3, "logo.png", {"image_data": io.BytesIO(self.brand.logo)}
            )
        row = FIRST_BLOCK_ROW
        heading = self.format(bold=True, font_color=self.theme.primary, font_size=11)
        body = self.format(text_wrap=True)
        for entry in self.blueprint.guide:
            sheet.write_string(row, FIRST_COL, clean(entry.heading), heading)
            self.paragraph(sheet, row, entry.text, (1, 70), body, FIRST_COL + 1)
            row += 1
        row += 1
        sheet.write_string(row, FIRST_COL, "Colours", heading)
        row += 1
        legend = [
            (self.theme.input_fill, "Input cell: type here."),
            (self.theme.formula_fill, "Formula cell: computed and locked."),
        ]
        legend += [(status_colour(e.colour), e.meaning) for e in self.blueprint.legend]
        for fill, meaning in legend:
            sheet.write_string(row, FIRST_COL, "", self.format(bg_color=fill, border=1))
            sheet.write_string(row, FIRST_COL + 1, clean(meaning), body)
            row += 1
        row += 1
        sheet.write_string(
            row,
            FIRST_COL,
            "Sheets are protected without a password so formulas are not overwritten "
            "by accident; use Review > Unprotect Sheet to change them on purpose.",
            self.format(italic=True, font_color=self.theme.note_colour),
        )
        sheet.protect("", PROTECTION)

    # Sheets declared by the blueprint

    def sheet(self, sheet_model: Sheet) -> None:
        sheet = self.worksheet(
            sheet_model.title,
            sheet_model.orientation,
            sheet_model.tab_colour or self.theme.accent,
        )
        width = self.set_widths(sheet, sheet_model)
        self.sheet_title(sheet, sheet_model.title, sheet_model.guide, width)
        frozen = False
        for block in sheet_model.blocks:
            row = self.layout.block_row(block)
            if block.heading:
                sheet.write_string(
                    row,
                    FIRST_COL,
                    clean(block.heading),
                    self.format(bold=True, font_size=12, font_color=self.theme.primary),
                )
                row += 1
            if block.table is not None:
                self.table(sheet, sheet_model.title, block.table)
                if not frozen:
                    self.freeze_and_print(sheet, block.table)
                    frozen = True
            else:
                self.block(sheet, sheet_model.title, block, row, width)
        sheet.protect("", PROTECTION)

    def set_widths(self, sheet: Any, sheet_model: Sheet) -> tuple[int, float]:
        """Set column widths; return the columns and characters the content spans."""
        widths: dict[int, float] = {}
        for block in sheet_model.blocks:
            if block.table is not None:
                for index, column in enumerate(block.table.columns):
                    width = column.width or WIDTHS[column.type]
                    col = FIRST_COL + index
                    widths[col] = max(widths.get(col, 0), width)
            elif block.fields is not None or block.checks is not None:
                widths[FIRST_COL] = max(widths.get(FIRST_COL, 0), 34)
                widths[FIRST_COL + 1] = max(widths.get(FIRST_COL + 1, 0), 16)
        for col, width in widths.items():
            sheet.set_column(col, col, width)
        return max(len(widths), 2), max(sum(widths.values()), 60)

    def block(
        self, sheet: Any, title: str, block: Block, row: int, width: tuple[int, float]
    ) -> None:
        if block.text is not None:
            self.paragraph(sheet, row, block.text, width, self.format(text_wrap=True))
        elif block.fields is not None:
            for item in block.fields:
                self.field(sheet, title, item, self.layout.fields[item.key].row)
        elif block.checks is not None:
            for offset, check in enumerate(block.checks):
                self.check(sheet, title, check, row + offset)
        elif block.chart is not None:
            self.chart(sheet, block.chart, row)

    def freeze_and_print(self, sheet: Any, table: Table) -> None:
        place = self.layout.tables[table.key]
        name_key = table.freeze or table.columns[0].key
        sheet.freeze_panes(place.first_row, place.columns[name_key] + 1)
        sheet.repeat_rows(place.header_row)

    # Fields, checks and charts

    def field(self, sheet: Any, title: str, item: Field_, row: int) -> None:
        col = FIRST_COL + 1
        sheet.write_string(
            row, FIRST_COL, clean(item.label), self.format(text_wrap=True)
        )
        if item.formula:
            tree = fx.parse(item.formula)
            text = self.layout.compile(tree, title)
            fmt = self.value_format(item.type, item.decimals, is_input=False)
            self.write_formula(sheet, title, row, col, text, fmt)
        else:
            fmt = self.value_format(item.type, item.decimals, is_input=True)
            self.write_value(sheet, row, col, self.field_value(item), fmt)
            self.validate(sheet, title, row, col, row, item)
        if item.note:
            sheet.write_string(
                row,
                col + 1,
                clean(item.note),
                self.format(italic=True, font_color=self.theme.note_colour),
            )
        self.status(sheet, title, item, row, col, row, None)

    def field_value(self, item: Field_) -> Any:
        if item.key in self.resolved.values:
            return self.resolved.values[item.key]
        raw = item.example if self.resolved.variant == "example" else None
        return convert(raw if raw is not None else item.default, item.type)

    def check(self, sheet: Any, title: str, check: Check, row: int) -> None:
        sheet.write_string(
            row, FIRST_COL, clean(check.message), self.format(text_wrap=True)
        )
        when = self.layout.compile(fx.parse(check.when), title)
        cell = xl_rowcol_to_cell(row, FIRST_COL + 1)
        text = f'IF({when},"{CHECK_NOT_MET}","{CHECK_MET}")'
        fmt = self.format(bold=True, align="center")
        self.write_formula(sheet, title, row, FIRST_COL + 1, text, fmt)
        red = self.format(bg_color=status_colour("red"), font_color="#9C0006")
        green = self.format(bg_color=status_colour("green"), font_color="#006100")
        sheet.conditional_format(
            cell, {"type": "formula", "criteria": f"={when}", "format": red}
        )
        sheet.conditional_format(
            cell, {"type": "formula", "criteria": f"=NOT({when})", "format": green}
        )

    def chart(self, sheet: Any, chart: Chart, row: int) -> None:
        made = self.book.add_chart({"type": chart.type})
        if made is None:
            raise RenderError(f"{self.blueprint.id}: cannot make a {chart.type} chart")
        for series in self.chart_series(chart):
            made.add_series(series)
        made.set_title({"name": clean(chart.title)})
        made.set_legend({"position": "bottom"})
        if chart.x_title:
            category_axis = made.set_y_axis if chart.type == "bar" else made.set_x_axis
            category_axis({"name": clean(chart.x_title)})
        y_axis: dict[str, Any] = {"name": clean(chart.y_title)} if chart.y_title else {}
        if chart.percent_axis:
            y_axis |= {"num_format": "0%", "min": 0}
        if chart.y_min is not None:
            y_axis["min"] = chart.y_min
        if chart.y_max is not None:
            y_axis["max"] = chart.y_max
        # A bar chart lies on its side: its values run along the x axis.
        if y_axis and chart.type == "bar":
            made.set_x_axis(y_axis)
        elif y_axis and chart.type != "pie":
            made.set_y_axis(y_axis)
        made.set_size({"width": chart.width, "height": chart.height})
        sheet.insert_chart(row, FIRST_COL, made)

    def chart_series(self, chart: Chart) -> list[dict[str, Any]]:
        if chart.rows_of:
            return self.row_series(chart)
        result = []
        for series in chart.series:
            entry = {
                "name": clean(series.name),
                "values": self.column_range(series.values),
                "marker": {"type": "circle"} if chart.type == "line" else None,
            }
            if chart.categories:
                entry["categories"] = self.column_range(chart.categories)
            result.append({k: v for k, v in entry.items() if v is not None})
        return result

    def column_range(self, ref: str) -> list[Any]:
        table, _, key = ref.partition(".")
        place = self.layout.tables[table]
        col = place.columns[key]
        return [place.sheet, place.first_row, col, place.last_row, col]

    def row_series(self, chart: Chart) -> list[dict[str, Any]]:
        table_key, _, group = (chart.rows_of or "").partition(".")
        place = self.layout.tables[table_key]
        keys = self.layout.groups[(table_key, group)]
        first, last = place.columns[keys[0]], place.columns[keys[-1]]
        name_col = place.columns[chart.name_column or next(iter(place.columns))]
        return [
            {
                "name": [place.sheet, row, name_col],
                "categories": [
                    place.sheet,
                    place.header_row,
                    first,
                    place.header_row,
                    last,
                ],
                "values": [place.sheet, row, first, row, last],
                "marker": {"type": "circle"},
            }
            for row in range(place.first_row, place.last_row + 1)
        ]

    # Tables

    def table(self, sheet: Any, title: str, table: Table) -> None:
        place = self.layout.tables[table.key]
        if table.title:
            sheet.write_string(
                place.header_row - 1,
                FIRST_COL,
                clean(table.title),
                self.format(bold=True, font_color=self.theme.primary),
            )
        header = self.format(
            bold=True,
            text_wrap=True,
            valign="vcenter",
            border=1,
            bg_color=self.theme.primary,
            font_color=self.theme.on(self.theme.primary),
        )
        for column in table.columns:
            sheet.write_string(
                place.header_row,
                place.columns[column.key],
                clean(column.header),
                header,
            )
        sheet.set_row(place.header_row, 30)
        rows = self.resolved.rows(table)
        for offset in range(table.rows):
            values = rows[offset] if offset < len(rows) else {}
            self.table_row(sheet, title, table, place.first_row + offset, values)
        for column in table.columns:
            self.column_rules(sheet, title, table, column)

    def table_row(
        self, sheet: Any, title: str, table: Table, row: int, values: dict[str, Any]
    ) -> None:
        place = self.layout.tables[table.key]
        self.fit_row_height(sheet, row, table.columns, values)
        for column in table.columns:
            col = place.columns[column.key]
            if column.formula:
                text = self.layout.compile(
                    fx.parse(column.formula), title, table.key, row
                )
                fmt = self.value_format(column.type, column.decimals, is_input=False)
                self.write_formula(sheet, title, row, col, text, fmt)
            elif column.values is not None:
                offset = row - place.first_row
                label = column.values[offset] if offset < len(column.values) else ""
                sheet.write_string(row, col, clean(label), self.format(bold=True))
            elif column.sparkline:
                sheet.write_blank(row, col, None, self.format(bg_color="#FFFFFF"))
                self.sparkline(sheet, title, table, column, row, col)
            else:
                fmt = self.value_format(column.type, column.decimals, is_input=True)
                self.write_value(sheet, row, col, values.get(column.key), fmt)

    def fit_row_height(
        self, sheet: Any, row: int, columns: list[Column], values: dict[str, Any]
    ) -> None:
        """A row tall enough for its longest wrapped text (no program does it)."""
        lines = 1
        for column in columns:
            value = values.get(column.key)
            if column.type == "longtext" and isinstance(value, str):
                per_line = max(8, int((column.width or WIDTHS["longtext"]) * 1.3))
                lines = max(
                    lines,
                    sum(-(-len(part) // per_line) or 1 for part in value.split("\n")),
                )
        if lines > 1:
            sheet.set_row(row, 13 * lines + 2)

    def sparkline(
        self, sheet: Any, title: str, table: Table, column: Column, row: int, col: int
    ) -> None:
        place = self.layout.tables[table.key]
        keys = self.layout.groups[(table.key, column.sparkline or "")]
        first = xl_col_to_name(place.columns[keys[0]])
        last = xl_col_to_name(place.columns[keys[-1]])
        sheet.add_sparkline(
            row,
            col,
            {
                "range": f"{quote_sheet(title)}!{first}{row + 1}:{last}{row + 1}",
                "markers": True,
                "series_color": self.theme.accent,
            },
        )

    def column_rules(
        self, sheet: Any, title: str, table: Table, column: Column
    ) -> None:
        place = self.layout.tables[table.key]
        col = place.columns[column.key]
        if not (column.formula or column.sparkline or column.values is not None):
            self.validate(sheet, title, place.first_row, col, place.last_row, column)
        self.status(
            sheet, title, column, place.first_row, col, place.last_row, table.key
        )

    def status(
        self,
        sheet: Any,
        title: str,
        item: Column | Field_,
        first_row: int,
        col: int,
        last_row: int,
        table: str | None,
    ) -> None:
        cells = (
            xl_rowcol_to_cell(first_row, col) + ":" + xl_rowcol_to_cell(last_row, col)
        )
        for fill in item.status:
            when = self.layout.compile(fx.parse(fill.when), title, table, first_row)
            colour = status_colour(fill.colour)
            fmt = self.format(bg_color=colour, font_color=self.theme.on(colour))
            sheet.conditional_format(
                cells,
                {
                    "type": "formula",
                    "criteria": "=" + when,
                    "format": fmt,
                    "stop_if_true": True,
                },
            )
        if item.data_bar:
            bar: dict[str, Any] = {
                "type": "data_bar",
                "bar_color": self.theme.accent,
                "bar_solid": True,
            }
            if item.type == "percent":
                bar |= {
                    "min_type": "num",
                    "min_value": 0,
                    "max_type": "num",
                    "max_value": 1,
                }
            sheet.conditional_format(cells, bar)

    # Values and drop-downs

    def write_formula(
        self, sheet: Any, title: str, row: int, col: int, text: str, fmt: Any
    ) -> None:
        """A formula with its result stored, so files read right before any
        recalculation (previews, protected view, openpyxl's data_only)."""
        result = self.results.get((title, row, col))
        if isinstance(result, CellError) or result is None:
            sheet.write_formula(row, col, "=" + text, fmt)
        else:
            sheet.write_formula(row, col, "=" + text, fmt, result)

    def write_value(self, sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
        if value is None or value == "":
            sheet.write_blank(row, col, None, fmt)
        elif isinstance(value, dt.date):
            sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, col, value, fmt)
        else:
            # Values from users are always text: '=1+1' must show, never run.
            sheet.write_string(row, col, clean(str(value)), fmt)

    def validate(
        self,
        sheet: Any,
        title: str,
        first_row: int,
        col: int,
        last_row: int,
        item: Column | Field_,
    ) -> None:
        rule = self.validation(item, title)
        if rule is None:
            return
        message = clean(item.note or item.prompt)
        if message:
            rule |= {
                "input_title": clean(
                    getattr(item, "header", "") or getattr(item, "label", "")
                )[:32],
                "input_message": message[:255],
            }
        sheet.data_validation(first_row, col, last_row, col, rule)

    def validation(self, item: Column | Field_, title: str) -> dict[str, Any] | None:
        if item.type == "yesno":
            return {"validate": "list", "source": ["Yes", "No"]}
        if item.type == "choice":
            return {"validate": "list", "source": self.list_source(item, title)}
        if item.type == "date":
            return {
                "validate": "date",
                "criteria": ">=",
                "value": dt.datetime(1990, 1, 1),
                "error_message": "Enter a date.",
            }
        if item.type in ("integer", "number", "percent", "currency"):
            return self.number_rule(item)
        return None

    def number_rule(self, item: Column | Field_) -> dict[str, Any]:
        kind = "integer" if item.type == "integer" else "decimal"
        low = item.min if item.min is not None else -1e12
        high = item.max if item.max is not None else 1e12
        if kind == "integer":
            low, high = int(low), int(high)
        return {
            "validate": kind,
            "criteria": "between",
            "minimum": low,
            "maximum": high,
            "error_message": f"Enter a number from {low:g} to {high:g}.",
        }

    def list_source(self, item: Column | Field_, title: str) -> Any:
        if item.choices_from:
            table, _, key = item.choices_from.partition(".")
            return "=" + self.layout.address(fx.ColumnRef(table, key), None, None, "")
        choices = [clean(choice) for choice in item.choices or []]
        inline = ",".join(choices)
        if len(inline) <= INLINE_LIST_LIMIT and not any("," in c for c in choices):
            return choices
        return "=" + self.list_range(choices)

    def list_range(self, choices: list[str]) -> str:
        """Write a long or comma-holding list to the hidden Lists sheet."""
        if self.lists_sheet is None:
            self.lists_sheet = _Checked(
                self.book.add_worksheet(LISTS_TITLE),
                f"{self.blueprint.id}: {LISTS_TITLE}",
            )
            self.lists_sheet.hide()
            self.lists_sheet.protect("", PROTECTION)
        col = self.list_columns
        self.list_columns += 1
        for row, choice in enumerate(choices):
            self.lists_sheet.write_string(row, col, choice)
        name = xl_col_to_name(col)
        return f"{LISTS_TITLE}!${name}$1:${name}${len(choices)}"

    # The settings sheet

    def settings_sheet(self) -> None:
        sheet = self.worksheet(SETTINGS_TITLE, "portrait", "#808080")
        sheet.set_column(FIRST_COL, FIRST_COL, 36)
        sheet.set_column(FIRST_COL + 1, FIRST_COL + 1, 16)
        sheet.set_column(FIRST_COL + 2, FIRST_COL + 2, 60)
        self.sheet_title(
            sheet,
            SETTINGS_TITLE,
            "Policy values used by the formulas of this workbook. Change "
            "them here; every formula refers to them by name.",
            (3, 112),
        )
        for item in self.resolved.settings:
            self.field(sheet, SETTINGS_TITLE, item, self.layout.fields[item.key].row)
        sheet.protect("", PROTECTION)


def _skip_function_expansion(worksheet: Any) -> None:
    """Write formulas as compiled, without XlsxWriter's search for newer functions.

    XlsxWriter runs some thirty regular expressions over every formula to prefix
    functions newer than Excel 2010 (XLOOKUP, FILTER, ...). The allow-list of
    portable functions admits none of them, so the search can never change a formula
    of ours, and it takes about 40 % of a workbook's rendering time. The test suite
    renders every template both ways and compares the bytes.
    """
    if getattr(worksheet, "use_future_functions", False) or not hasattr(
        worksheet, "_prepare_formula"
    ):
        return
    worksheet._prepare_formula = _as_compiled


def _as_compiled(formula: str, expand_future_functions: bool = False) -> str:
    return formula[1:] if formula.startswith("=") else formula


def _header_escape(text: str) -> str:
    """Header and footer text where '&' starts a code: a literal one is '&&'."""
    return text.replace("&", "&&").replace("\n", " ")
