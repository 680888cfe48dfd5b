"""Where everything lands in the workbook: sheets, rows and columns.

The layout is decided once from the resolved template; the workbook renderer writes
to it and formulas are compiled against it, so both always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from perftemplates.blueprint import formula as fx
from perftemplates.blueprint.model import Block, Sheet
from perftemplates.blueprint.resolve import Resolved

FIRST_COL = 1  # column A is a narrow margin
FIRST_BLOCK_ROW = 3
SETTINGS_TITLE = "Settings"
GUIDE_TITLE = "Guide"
LISTS_TITLE = "Lists"
ROW_HEIGHT_PX = 20
ROW_MARK = "\x00"
MARKED_ROW = re.compile("\x00(\\d+)\x00")


@dataclass
class TablePlace:
    sheet: str
    header_row: int
    first_row: int
    last_row: int
    columns: dict[str, int]


@dataclass
class CellPlace:
    sheet: str
    row: int
    col: int


@dataclass
class Layout:
    tables: dict[str, TablePlace] = field(default_factory=dict)
    fields: dict[str, CellPlace] = field(default_factory=dict)
    block_rows: dict[int, int] = field(default_factory=dict)
    groups: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # Formula text per (formula, sheet, table) with its row numbers marked, so a
    # column's formula is compiled once, not once per row.
    patterns: dict[tuple[int, str, str], tuple[fx.Node, str]] = field(
        default_factory=dict, repr=False
    )

    def block_row(self, block: Block) -> int:
        return self.block_rows[id(block)]

    def address(
        self,
        ref: fx.Ref,
        table: str | None,
        row: int | None,
        sheet: str,
        mark: bool = False,
    ) -> str:
        """A1 text for `ref` in a formula on `sheet` at `row` of `table`.

        With `mark`, row numbers that follow the formula's row are wrapped in
        ROW_MARK, for `compile` to shift.
        """
        if isinstance(ref, fx.NameRef):
            return ref.name
        if isinstance(ref, fx.ColumnRef):
            place = self.tables[ref.table]
            col = place.columns[ref.key]
            return _range(place.sheet, sheet, place.first_row, col, place.last_row, col)
        place = self.tables[ref.table or table]
        target_row = place.first_row + (row - self.tables[table].first_row)
        number = f"{ROW_MARK}{target_row + 1}{ROW_MARK}" if mark else target_row + 1
        keys = self.groups.get((ref.table or table, ref.key))
        if keys:
            first, last = place.columns[keys[0]], place.columns[keys[-1]]
            return _row_span(place.sheet, sheet, number, first, last)
        cell = f"${xl_col_to_name(place.columns[ref.key])}{number}"
        return cell if place.sheet == sheet else f"{quote_sheet(place.sheet)}!{cell}"

    def compile(
        self,
        tree: fx.Node,
        sheet: str,
        table: str | None = None,
        row: int | None = None,
    ) -> str:
        """The formula as A1 text (without '=')."""
        if table is None or row is None:
            return fx.to_excel(tree, lambda ref: self.address(ref, table, row, sheet))
        first = self.tables[table].first_row
        key = (id(tree), sheet, table)
        if key not in self.patterns:
            text = fx.to_excel(
                tree, lambda ref: self.address(ref, table, first, sheet, mark=True)
            )
            # The tree is kept with its text so that its id is never reused.
            self.patterns[key] = (tree, text)
        text = self.patterns[key][1]
        if ROW_MARK not in text:
            return text
        offset = row - first
        return MARKED_ROW.sub(lambda found: str(int(found[1]) + offset), text)


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _range(place_sheet: str, sheet: str, r1: int, c1: int, r2: int, c2: int) -> str:
    text = (
        xl_rowcol_to_cell(r1, c1, row_abs=True, col_abs=True)
        + ":"
        + xl_rowcol_to_cell(r2, c2, row_abs=True, col_abs=True)
    )
    return text if place_sheet == sheet else f"{quote_sheet(place_sheet)}!{text}"


def _row_span(place_sheet: str, sheet: str, number: int | str, c1: int, c2: int) -> str:
    """Columns c1 to c2 of the row numbered `number` (1-based, or marked)."""
    text = f"${xl_col_to_name(c1)}{number}:${xl_col_to_name(c2)}{number}"
    return text if place_sheet == sheet else f"{quote_sheet(place_sheet)}!{text}"


def plan(resolved: Resolved) -> Layout:
    """Decide every table's and field's place in the workbook."""
    layout = Layout(groups=dict(resolved.groups))
    for sheet in resolved.blueprint.sheets:
        _plan_sheet(sheet, layout)
    for offset, item in enumerate(resolved.settings):
        layout.fields[item.key] = CellPlace(
            SETTINGS_TITLE, FIRST_BLOCK_ROW + offset, FIRST_COL + 1
        )
    return layout


def _plan_sheet(sheet: Sheet, layout: Layout) -> None:
    row = FIRST_BLOCK_ROW if sheet.guide else FIRST_BLOCK_ROW - 1
    for block in sheet.blocks:
        layout.block_rows[id(block)] = row
        row += 1 if block.heading else 0
        row += _place_block(block, sheet.title, row, layout) + 1


def _place_block(block: Block, sheet: str, row: int, layout: Layout) -> int:
    """Place the block's cells from `row`; return how many rows it takes."""
    if block.fields is not None:
        for offset, item in enumerate(block.fields):
            layout.fields[item.key] = CellPlace(sheet, row + offset, FIRST_COL + 1)
        return len(block.fields)
    if block.table is not None:
        table = block.table
        header = row + (1 if table.title else 0)
        columns = {c.key: FIRST_COL + i for i, c in enumerate(table.columns)}
        layout.tables[table.key] = TablePlace(
            sheet, header, header + 1, header + table.rows, columns
        )
        return header - row + 1 + table.rows
    if block.checks is not None:
        return len(block.checks)
    if block.chart is not None:
        return block.chart.height // ROW_HEIGHT_PX + 1
    return 1
