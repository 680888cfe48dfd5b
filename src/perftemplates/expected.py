"""The values an example workbook's formulas must compute, as its blueprint states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from perftemplates.blueprint.resolve import Resolved
from perftemplates.layout import Layout, plan


@dataclass(frozen=True)
class Expectation:
    sheet: str
    cell: str
    what: str
    value: Any


def expectations(resolved: Resolved, layout: Layout | None = None) -> list[Expectation]:
    """Every formula cell whose result the example variant states."""
    layout = layout or plan(resolved)
    found = []
    for table in resolved.tables():
        place = layout.tables[table.key]
        formulas = {c.key for c in table.columns if c.formula}
        for offset, row in enumerate(resolved.rows(table)):
            for key, value in row.items():
                if key in formulas:
                    cell = xl_rowcol_to_cell(
                        place.first_row + offset, place.columns[key]
                    )
                    found.append(
                        Expectation(
                            place.sheet, cell, f"{table.key}[{offset + 1}].{key}", value
                        )
                    )
    for item in resolved.fields():
        if item.formula and item.example is not None and resolved.variant == "example":
            place = layout.fields[item.key]
            cell = xl_rowcol_to_cell(place.row, place.col)
            found.append(Expectation(place.sheet, cell, item.key, item.example))
    return found
